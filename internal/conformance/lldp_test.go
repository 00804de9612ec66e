package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/testutil"
)

func init() { Register("lldp", []string{"lldp"}, 0, checkLLDP) }

type oracleLLDP struct {
	Neighbors []map[string]string `json:"neighbors"`
}

// lldpKeys are the oracle neighbor fields compared; each is the inventory
// attribute lldp.<key> of the asset with the neighbor's source MAC.
var lldpKeys = []string{"chassis_id", "port_id", "port_description", "system_name", "system_description", "management_ip"}

// checkLLDP compares, per LLDP neighbor (source MAC), the chassis id, port
// id, port description, system name, system description and management
// address. Extras are lldp.<key> attributes otzone reports that the oracle
// does not have for that MAC, on any capture.
func checkLLDP(raw json.RawMessage, inv *inventory.Inventory) Score {
	or, err := ParseOracle(raw)
	if err != nil {
		return Score{FN: 1, Missed: []string{err.Error()}}
	}
	var l oracleLLDP
	if err := or.Section("lldp", &l); err != nil {
		return Score{}
	}
	want := map[string]bool{}
	for _, n := range l.Neighbors {
		mac := strings.ToLower(n["src_mac"])
		for _, k := range lldpKeys {
			if v := n[k]; v != "" {
				if k == "management_ip" {
					v = NormIP(v)
				}
				want[fmt.Sprintf("lldp %s %s=%s", mac, k, v)] = true
			}
		}
	}
	got, ignore := macFacts(inv, "lldp", lldpKeys, want, func(k, v string) string {
		if k == "management_ip" {
			return NormIP(v)
		}
		return v
	})
	// Oracle gap: oracle.py takes port_id from tshark's lldp.port.id only,
	// which is empty for port id subtype 3 (MAC address; tshark puts it in
	// lldp.port.id.mac), so such neighbors have no port_id in the oracle
	// although Wireshark decodes one (enip/enip_cip_example.pcap frame 623:
	// port id subtype 3, 64:4b:f0:2b:31:71). A MAC-valued port_id of a
	// neighbor the oracle lists without port_id is neither wanted nor extra.
	for _, n := range l.Neighbors {
		if n["port_id"] != "" {
			continue
		}
		mac := strings.ToLower(n["src_mac"])
		prefix := fmt.Sprintf("lldp %s port_id=", mac)
		for f := range got {
			if v, ok := strings.CutPrefix(f, prefix); ok && isMAC(v) {
				delete(got, f)
				ignore[f] = true
			}
		}
	}
	return Compare(want, got, ignore)
}

func isMAC(s string) bool {
	hw, err := net.ParseMAC(s)
	return err == nil && len(hw) == 6
}

// macFacts gathers "<proto> <mac> <key>=<value>" facts from the
// attributes <proto>.<key> of every asset, one per MAC of the asset. An
// asset with several MACs would otherwise repeat each fact for every MAC:
// when one of them is wanted the others are ignored, when none is wanted
// only the first counts as an extra.
func macFacts(inv *inventory.Inventory, proto string, keys []string, want map[string]bool, norm func(k, v string) string) (got, ignore map[string]bool) {
	got, ignore = map[string]bool{}, map[string]bool{}
	for i := range inv.Assets {
		a := &inv.Assets[i]
		if len(a.MACs) == 0 {
			continue
		}
		for _, k := range keys {
			for _, v := range Attr(a, proto+"."+k) {
				v = norm(k, v)
				var cands []string
				hit := false
				for _, m := range a.MACs {
					f := fmt.Sprintf("%s %s %s=%s", proto, strings.ToLower(m), k, v)
					cands = append(cands, f)
					hit = hit || want[f]
				}
				for j, f := range cands {
					switch {
					case want[f] || (!hit && j == 0):
						got[f] = true
					default:
						ignore[f] = true
					}
				}
			}
		}
	}
	return got, ignore
}

// TestLLDPDHCPChecksCanFail mutates the inventory of
// profinet/profinet_io_cm_mixed_1.pcap and shows the LLDP and DHCP checks
// notice: a changed system description, a lost DHCP host name (frame 1237), a bogus
// neighbor attribute, and a fact moved to another asset.
func TestLLDPDHCPChecksCanFail(t *testing.T) {
	path := testutil.SharedPcap(t, "profinet/profinet_io_cm_mixed_1.pcap")
	raw, err := os.ReadFile(path + ".oracle.json")
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *inventory.Inventory {
		inv, err := pipeline(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	for name, fn := range map[string]CheckFunc{"lldp": checkLLDP, "dhcp": checkDHCP} {
		if s := fn(json.RawMessage(raw), fresh()); s.Empty() || s.Recall() != 1 || s.Precision() != 1 {
			t.Fatalf("baseline %s score %+v", name, s)
		}
	}
	// edit changes the first attribute key of an asset with mac (the
	// test fails when there is none).
	edit := func(inv *inventory.Inventory, mac, key string, f func(a *inventory.Asset, i int)) {
		t.Helper()
		x := NewIndex(inv)
		for _, a := range x.ByMAC[mac] {
			for i := range a.Attributes {
				if a.Attributes[i].Key == key {
					f(a, i)
					return
				}
			}
		}
		t.Fatalf("no %s on %s", key, mac)
	}

	// Frame 29 (LLDP from 00:0e:8c:ef:75:c9): system description
	// "Siemens AG SIMATIC S7 MULTIPORT SCALANCE X 200 FAM" per the oracle.
	inv := fresh()
	edit(inv, "00:0e:8c:ef:75:c9", "lldp.system_description", func(a *inventory.Asset, i int) { a.Attributes[i].Value += " X" })
	if s := checkLLDP(json.RawMessage(raw), inv); s.FN != 1 || s.FP != 1 {
		t.Errorf("changed system description: %+v", s)
	}

	inv = fresh()
	edit(inv, "e4:11:5b:5a:d9:73", "dhcp.hostname", func(a *inventory.Asset, i int) {
		a.Attributes = append(a.Attributes[:i], a.Attributes[i+1:]...)
	})
	if s := checkDHCP(json.RawMessage(raw), inv); s.FN != 1 || s.FP != 0 || s.Recall() >= DefaultThreshold {
		t.Errorf("lost host name: %+v", s)
	}

	inv = fresh()
	inv.Assets = append(inv.Assets, inventory.Asset{ID: "bogus", MACs: []string{"02:00:00:00:00:01"},
		Attributes: []inventory.Attribute{{Key: "lldp.system_name", Value: "ghost"}, {Key: "dhcp.vendor_class", Value: "ghost"},
			{Key: "lldp.port_id", Value: "02:00:00:00:00:01"}}})
	if s := checkLLDP(json.RawMessage(raw), inv); s.FP != 2 {
		t.Errorf("bogus neighbor: %+v", s) // the MAC port id counts: the oracle has no such neighbor
	}
	if s := checkDHCP(json.RawMessage(raw), inv); s.FP != 1 {
		t.Errorf("bogus client: %+v", s)
	}

	// The switch's DHCP host name (frame 118, chaddr 00:0e:8c:ef:75:c5) on
	// the laptop (frame 1237, e4:11:5b:5a:d9:73) instead of the switch.
	inv = fresh()
	edit(inv, "00:0e:8c:ef:75:c5", "dhcp.hostname", func(a *inventory.Asset, i int) { a.Attributes[i].Key = "moved" })
	edit(inv, "e4:11:5b:5a:d9:73", "dhcp.hostname", func(a *inventory.Asset, i int) {
		a.Attributes = append(a.Attributes, inventory.Attribute{Key: "dhcp.hostname", Value: "siemens-x208-switch"})
	})
	if s := checkDHCP(json.RawMessage(raw), inv); s.FN != 1 || s.FP != 1 {
		t.Errorf("moved host name: %+v", s)
	}
}
