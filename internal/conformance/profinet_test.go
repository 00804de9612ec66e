package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/discovery/profinet"
	"github.com/otzone/otzone/internal/testutil"
)

func init() {
	Register("profinet", []string{"profinet_dcp", "other.profinet_rt", "other.profinet_io", "other.profinet_ptcp"}, 0, checkPROFINET)
}

type oracleDCP struct {
	Devices []struct {
		MAC           string `json:"mac"`
		StationName   string `json:"station_name"`
		VendorID      *int   `json:"vendor_id"`
		DeviceID      *int   `json:"device_id"`
		IP            string `json:"ip"`
		TypeOfStation string `json:"type_of_station"`
		DeviceRole    *int   `json:"device_role"`
	} `json:"devices"`
}

// checkPROFINET compares DCP identities (oracle profinet_dcp.devices: station
// name, type of station, vendor/device id in decimal, device role — the
// oracle's bitmask printed as otzone prints it, "io-device" — and the IP),
// the layer-2 senders (oracle other.profinet_rt: every 0x8892 source MAC,
// otzone's profinet_dcp/profinet_rt/profinet_ptcp services), the cyclic IO
// providers (other.profinet_io publishers: otzone's profinet_rt
// publishers), PTCP senders, and DCP Set operations (write_operations
// pn_dcp). PN-IO CM over DCE/RPC is not in the oracle; discovery/profinet
// measures it against tshark directly.
func checkPROFINET(raw json.RawMessage, inv *inventory.Inventory) Score {
	or, err := ParseOracle(raw)
	if err != nil {
		return Score{FN: 1, Missed: []string{err.Error()}}
	}
	x := NewIndex(inv)
	key := func(mac string) string {
		mac = strings.ToLower(mac)
		if as := x.ByMAC[mac]; len(as) == 1 {
			return as[0].ID
		}
		return "mac:" + mac
	}
	want, got, ignore := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var d oracleDCP
	_ = or.Section("profinet_dcp", &d)
	for _, dev := range d.Devices {
		k := key(dev.MAC)
		if dev.StationName != "" {
			want[k+" station_name="+dev.StationName] = true
		}
		if dev.TypeOfStation != "" {
			want[k+" type_of_station="+dev.TypeOfStation] = true
		}
		if dev.VendorID != nil {
			want[k+" vendor_id="+strconv.Itoa(*dev.VendorID)] = true
		}
		if dev.DeviceID != nil {
			want[k+" device_id="+strconv.Itoa(*dev.DeviceID)] = true
		}
		if dev.DeviceRole != nil {
			want[k+" device_role="+profinet.DeviceRole(*dev.DeviceRole).String()] = true
		}
		if dev.IP != "" {
			want[k+" ip="+NormIP(dev.IP)] = true
		}
	}
	var other map[string]struct {
		Publishers []string `json:"publishers"`
	}
	_ = or.Section("other", &other)
	for _, m := range other["profinet_rt"].Publishers {
		want["l2 "+key(m)] = true
		// Wireshark files RT fragments (0xFF80-0xFF8F, profinet_io_cm.pcap
		// frames 28-52) under pn_rt, not pn_io, because it cannot reassemble
		// them; otzone reports their sender as an RT publisher too. A
		// publisher the oracle knows as a pn_rt sender is not a false
		// positive of the pn_io comparison.
		ignore["io "+key(m)] = true
	}
	for _, m := range other["profinet_io"].Publishers {
		want["io "+key(m)] = true
	}
	for _, m := range other["profinet_ptcp"].Publishers {
		want["ptcp "+key(m)] = true
	}
	for _, w := range or.WriteOperations {
		if w.Protocol == "pn_dcp" {
			want[fmt.Sprintf("set %s -> %s", key(w.Client), key(w.Server))] = true
		}
	}

	dcpAssets := map[string]bool{}
	for i := range inv.Assets {
		a := &inv.Assets[i]
		for _, s := range a.Services {
			if s.Transport != "eth" {
				continue
			}
			switch s.Protocol {
			case "profinet_dcp":
				got["l2 "+a.ID] = true
				if s.Role == "server" {
					dcpAssets[a.ID] = true
				}
			case "profinet_rt":
				if s.Role == "publisher" {
					got["l2 "+a.ID] = true
					got["io "+a.ID] = true
				}
			case "profinet_ptcp":
				got["l2 "+a.ID] = true
				got["ptcp "+a.ID] = true
			}
		}
		for _, at := range a.Attributes {
			k, ok := strings.CutPrefix(at.Key, "profinet.")
			if !ok || !strings.HasPrefix(at.Source, "pcap:") || at.Confidence < 0.9 {
				continue // requested values of a DCP Set are not identities
			}
			switch k {
			case "station_name", "type_of_station", "vendor_id", "device_id", "device_role":
				if dcpAssets[a.ID] || hasDCPServer(a) {
					got[a.ID+" "+k+"="+at.Value] = true
				}
			}
		}
		if hasDCPServer(a) {
			for _, ip := range a.IPs {
				got[a.ID+" ip="+NormIP(ip)] = true
			}
		}
	}
	for _, c := range x.Comms("profinet_dcp", 0) {
		for _, op := range c.Operations {
			if op.Code == 4 {
				got[fmt.Sprintf("set %s -> %s", c.Client, c.Server)] = true
			}
		}
	}
	return Compare(want, got, ignore)
}

func hasDCPServer(a *inventory.Asset) bool {
	for _, s := range a.Services {
		if s.Protocol == "profinet_dcp" && s.Role == "server" {
			return true
		}
	}
	return false
}

// TestPROFINETChecks runs only the PROFINET captures (a quick subset of
// TestConformance) and shows the check can fail.
func TestPROFINETChecks(t *testing.T) {
	caps, _ := filepath.Glob(filepath.Join(testutil.SharedDir(t), "pcaps", "profinet", "*.pcap*"))
	n := 0
	for _, c := range caps {
		if strings.HasSuffix(c, ".json") {
			continue
		}
		n++
		raw, err := os.ReadFile(c + ".oracle.json")
		if err != nil {
			t.Fatal(err)
		}
		inv, err := pipeline(context.Background(), c)
		if inv == nil {
			t.Fatalf("%s: %v", c, err)
		}
		s := checkPROFINET(raw, inv)
		t.Logf("%-45s tp %3d fn %2d fp %2d recall %.3f precision %.3f", filepath.Base(c), s.TP, s.FN, s.FP, s.Recall(), s.Precision())
		if s.Recall() < DefaultThreshold || s.Precision() < DefaultThreshold {
			t.Errorf("%s: missed %v extra %v", filepath.Base(c), s.Missed, s.Extra)
		}
		if strings.HasSuffix(c, "mixed_1.pcap") {
			for i := range inv.Assets {
				for j := range inv.Assets[i].Attributes {
					if inv.Assets[i].Attributes[j].Key == "profinet.station_name" {
						inv.Assets[i].Attributes[j].Value = "renamed"
					}
				}
			}
			if m := checkPROFINET(raw, inv); m.FN != 1 || m.FP != 1 {
				t.Errorf("mutated station name not noticed: %+v", m)
			}
		}
	}
	if n == 0 {
		t.Fatal("no PROFINET captures")
	}
}
