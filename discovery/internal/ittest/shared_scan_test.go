package ittest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/internal/testutil"
)

// TestSharedNoFalsePositives runs every shared real ICS capture through the
// engine with all registered dissectors and checks that the IT dissectors
// (several of them heuristic) report only what Wireshark finds there:
// tshark -Y 'lldp or cdp or dhcp or dns or mdns or nbns or http or tls or ssh or
// telnet or ftp or smb or smb2 or snmp or ntp or rdp' over the set shows LLDP
// (enip_cip_example, profinet_io_cm_mixed_1/2), DHCP and NBNS (profinet mixed)
// and DNS between two ephemeral ports (open62541 mainloop, not on port 53)
// only. No IT dissector may fail or panic on them.
func TestSharedNoFalsePositives(t *testing.T) {
	dir := filepath.Join(testutil.SharedDir(t), "pcaps")
	var files []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.Contains(filepath.Base(p), ".pcap") && !strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no shared captures")
	}
	it := map[string]bool{"lldp": true, "cdp": true, "dhcp": true, "dns": true, "mdns": true, "nbns": true, "http": true, "tls": true,
		"ssh": true, "telnet": true, "ftp": true, "rdp": true, "smb": true, "snmp": true, "ntp": true}
	allowed := map[string]map[string]bool{
		"enip/enip_cip_example.pcap":             {"lldp": true},
		"profinet/profinet_io_cm_mixed_1.pcap":   {"lldp": true, "dhcp": true, "nbns": true},
		"profinet/profinet_io_cm_mixed_2.pcapng": {"lldp": true, "dhcp": true, "nbns": true},
	}
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		set, err := discovery.NewSet()
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		eng := discovery.NewEngine(set, func(o discovery.Observation) {
			if it[o.Protocol] {
				seen[o.Protocol] = true
			}
		}, discovery.EngineOptions{})
		for _, fr := range testutil.ReadFrames(t, f) {
			eng.Packet(fr.Data, fr.CI, fr.LinkType, discovery.Evidence{Kind: "pcap", Name: rel, Frame: uint64(fr.Number)})
		}
		eng.Close()
		for p := range seen {
			if !allowed[rel][p] {
				t.Errorf("%s: %s observations, but Wireshark finds no %s there", rel, p, p)
			}
		}
		for p := range allowed[rel] {
			if !seen[p] {
				t.Errorf("%s: no %s observations", rel, p)
			}
		}
		st := eng.Stats()
		if st.DissectorPanics != 0 {
			t.Errorf("%s: %d dissector panics", rel, st.DissectorPanics)
		}
	}
}
