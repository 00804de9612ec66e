package discovery_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/source"
	"github.com/otzone/otzone/internal/testutil"
)

// oracle is the part of <capture>.oracle.json the engine is checked against
// (format in ../shared/pcaps/ORACLE.md; Wireshark 4.0 decodes).
type oracle struct {
	Packets int `json:"packets"`
	Hosts   []struct {
		MAC string   `json:"mac"`
		IPs []string `json:"ips"`
	} `json:"hosts"`
	IPsWithoutMAC []string `json:"ips_without_mac"`
}

func sharedOracles(t testing.TB) map[string]oracle {
	t.Helper()
	dir := filepath.Join(testutil.SharedDir(t), "pcaps")
	out := map[string]oracle{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".oracle.json") {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var o oracle
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		out[strings.TrimSuffix(p, ".oracle.json")] = o
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runCapture feeds a capture file through an engine and returns what it emitted.
func runCapture(t testing.TB, path string, set *discovery.Set) ([]discovery.Observation, discovery.EngineStats) {
	t.Helper()
	var obs []discovery.Observation
	e := discovery.NewEngine(set, func(o discovery.Observation) { obs = append(obs, o) }, discovery.EngineOptions{})
	r, err := source.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ev := discovery.Evidence{Kind: "pcap", Name: filepath.Base(path)}
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ev.Frame = f.Number
		e.Packet(f.Data, f.CI, f.LinkType, ev)
	}
	e.Close()
	return obs, e.Stats()
}

// TestOracleHosts checks the host observations against Wireshark's view of
// every shared capture: the set of unicast source MACs with their source and
// ARP-sender IPs, and the source IPs of frames without a MAC.
func TestOracleHosts(t *testing.T) {
	for path, o := range sharedOracles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			obs, st := runCapture(t, path, nil)
			if int(st.Packets) != o.Packets {
				t.Errorf("packets %d, oracle %d", st.Packets, o.Packets)
			}
			got := map[string][]string{}
			var noMAC []string
			for _, ob := range obs {
				if ob.Kind != discovery.KindHost {
					continue
				}
				if ob.Asset.MAC.IsZero() {
					noMAC = append(noMAC, ob.Asset.IP.String())
					continue
				}
				m := ob.Asset.MAC.String()
				if _, ok := got[m]; !ok {
					got[m] = []string{}
				}
				if ob.Asset.IP.IsValid() {
					got[m] = append(got[m], ob.Asset.IP.String())
				}
			}
			for m := range got {
				got[m] = uniq(got[m])
			}
			want := map[string][]string{}
			for _, h := range o.Hosts {
				want[h.MAC] = uniq(append([]string{}, h.IPs...))
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("hosts (-oracle +engine):\n%s", d)
			}
			if d := cmp.Diff(uniq(o.IPsWithoutMAC), uniq(noMAC)); d != "" {
				t.Errorf("ips without mac (-oracle +engine):\n%s", d)
			}
			if st.Malformed != 0 {
				t.Logf("malformed frames: %d", st.Malformed)
			}
		})
	}
}

func uniq(s []string) []string {
	sort.Strings(s)
	out := []string{}
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// claimer claims the standard ICS server ports without dissecting, so that
// flow roles follow the engine's rules for claimed ports.
type claimer struct{}

func (claimer) Name() string { return "claimer" }
func (claimer) Ports() []discovery.Port {
	var ps []discovery.Port
	for _, p := range []uint16{102, 502, 2404, 4840, 20000, 44818} {
		ps = append(ps, discovery.Port{Transport: discovery.TCP, Number: p})
	}
	return ps
}
func (claimer) Detect([]byte, discovery.Direction) discovery.Verdict { return discovery.No }
func (claimer) NewStream(*discovery.Flow) discovery.Stream           { return nil }

// TestOracleTCPServers checks flow roles against Wireshark's: every TCP
// server the oracle lists (with its clients) is the Peer of a KindFlow on
// its port whose Asset is one of its clients, and never the Asset of a
// flow to one of its clients on the server's port.
func TestOracleTCPServers(t *testing.T) {
	type server struct {
		IP        string   `json:"ip"`
		Port      uint16   `json:"port"`
		Transport string   `json:"transport"`
		Clients   []string `json:"clients"`
	}
	dir := filepath.Join(testutil.SharedDir(t), "pcaps")
	set, err := discovery.NewSetOf(func() discovery.Dissector { return claimer{} })
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for path := range sharedOracles(t) {
		raw, err := os.ReadFile(path + ".oracle.json")
		if err != nil {
			t.Fatal(err)
		}
		var o struct {
			Protocols map[string]json.RawMessage `json:"protocols"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		var servers []server
		for _, v := range o.Protocols {
			var p struct {
				Servers     []server `json:"servers"`
				Outstations []server `json:"outstations"`
			}
			if json.Unmarshal(v, &p) == nil {
				servers = append(servers, p.Servers...)
				servers = append(servers, p.Outstations...)
			}
		}
		obs, _ := runCapture(t, path, set)
		rel, _ := filepath.Rel(dir, path)
		for _, s := range servers {
			if s.Transport != "tcp" || len(s.Clients) == 0 {
				continue
			}
			checked++
			ok := false
			for _, ob := range obs {
				if ob.Kind != discovery.KindFlow || ob.Transport != "tcp" {
					continue
				}
				if ob.Peer.IP.String() == s.IP && ob.Port == s.Port && contains(s.Clients, ob.Asset.IP.String()) {
					ok = true
				}
				if ob.Asset.IP.String() == s.IP && !contains(s.Clients, s.IP) && contains(s.Clients, ob.Peer.IP.String()) {
					t.Errorf("%s: server %s:%d appears as the client of %s:%d", rel, s.IP, s.Port, ob.Peer.IP, ob.Port)
				}
			}
			if !ok {
				t.Errorf("%s: no flow from %v to server %s:%d", rel, s.Clients, s.IP, s.Port)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no TCP server in the oracles")
	}
	t.Logf("%d TCP servers checked", checked)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
