package conformance

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/otzone/otzone/discovery/inventory"
)

func init() { Register("bacnet", []string{"bacnet"}, 0, checkBACnet) }

type oracleBACnet struct {
	Servers []struct {
		IP        string `json:"ip"`
		Port      int    `json:"port"`
		Transport string `json:"transport"`
	} `json:"servers"`
	Clients []string         `json:"clients"`
	Devices []map[string]any `json:"devices"`
}

var bacnetWrites = map[int]bool{7: true, 15: true, 16: true, 17: true, 20: true}

// bacnetDeviceKeys are the oracle's device properties and their attribute keys.
var bacnetDeviceKeys = []string{"object_name", "model_name", "firmware_revision", "vendor_name", "application_software_version", "description", "location"}

// checkBACnet compares BACnet/IP servers (ip:port), clients (ip), devices
// by instance (vendor id, device-object properties, whether reached through
// a router), and write-class services with their counts. A device's facts
// are read from the asset carrying its bacnet.device_instance; an asset
// carrying several instances (a host relaying other devices' I-Ams as its
// own) only contributes the instances. Table-derived vendor names
// (confidence below 0.9) are not compared: the oracle has only what devices
// say.
func checkBACnet(raw json.RawMessage, inv *inventory.Inventory) Score {
	or, err := ParseOracle(raw)
	if err != nil {
		return Score{FN: 1, Missed: []string{err.Error()}}
	}
	var b oracleBACnet
	if err := or.Section("bacnet", &b); err != nil {
		return Score{}
	}
	want, got := map[string]bool{}, map[string]bool{}
	for _, s := range b.Servers {
		want[fmt.Sprintf("server %s:%d", NormIP(s.IP), s.Port)] = true
	}
	for _, c := range b.Clients {
		want["client "+NormIP(c)] = true
	}
	for _, d := range b.Devices {
		inst := fmt.Sprint(int64(d["instance"].(float64)))
		want["device "+inst] = true
		if v, ok := d["vendor_id"]; ok {
			want[fmt.Sprintf("device %s vendor_id=%d", inst, int64(v.(float64)))] = true
		}
		if _, ok := d["snet"]; ok {
			want[fmt.Sprintf("device %s routed", inst)] = true
		}
		for _, k := range bacnetDeviceKeys {
			if v, ok := d[k]; ok {
				want[fmt.Sprintf("device %s %s=%v", inst, k, v)] = true
			}
		}
	}
	for _, w := range or.WriteOperations {
		if w.Protocol == "bacnet" {
			want[fmt.Sprintf("write %s -> %s:%d %s x%d", NormIP(w.Client), NormIP(w.Server), w.ServerPort, w.Operation, w.Count)] = true
		}
	}
	x := NewIndex(inv)
	for _, as := range x.ServerServices("bacnet") {
		if as.Service.Transport != "udp" {
			continue
		}
		for _, ip := range as.Asset.IPs {
			got[fmt.Sprintf("server %s:%d", NormIP(ip), as.Service.Port)] = true
		}
	}
	for i := range inv.Assets {
		a := &inv.Assets[i]
		for _, s := range a.Services {
			if s.Protocol == "bacnet" && s.Role == "client" && s.Transport == "udp" {
				for _, ip := range a.IPs {
					got["client "+NormIP(ip)] = true
				}
			}
		}
		insts := Attr(a, "bacnet.device_instance")
		distinct := map[string]bool{}
		for _, v := range insts {
			distinct[v] = true
		}
		for inst := range distinct {
			got["device "+inst] = true
			if len(distinct) > 1 {
				continue
			}
			if a.Via != "" {
				got[fmt.Sprintf("device %s routed", inst)] = true
			}
			for _, v := range Attr(a, "bacnet.vendor_id") {
				got[fmt.Sprintf("device %s vendor_id=%s", inst, v)] = true
			}
			for _, at := range a.Attributes {
				k, ok := strings.CutPrefix(at.Key, "bacnet.")
				if !ok || k == "device_instance" || k == "vendor_id" || (k == "vendor_name" && at.Confidence < 0.9) {
					continue
				}
				for _, dk := range bacnetDeviceKeys {
					if k == dk {
						got[fmt.Sprintf("device %s %s=%s", inst, k, at.Value)] = true
					}
				}
			}
		}
	}
	// Requests to routed devices are their own communications; the oracle
	// counts them by IP (the router's), so counts are summed by IP here.
	counts := map[string]uint64{}
	for _, c := range x.Comms("bacnet", 0) {
		for _, sip := range bacnetIPs(x, c.Server) {
			for _, cip := range bacnetIPs(x, c.Client) {
				for _, op := range c.Operations {
					if bacnetWrites[op.Code] {
						counts[fmt.Sprintf("write %s -> %s:%d %s", cip, sip, c.Port, op.Name)] += op.Count
					}
				}
			}
		}
	}
	for k, n := range counts {
		got[fmt.Sprintf("%s x%d", k, n)] = true
	}
	return Compare(want, got, nil)
}

// bacnetIPs returns an asset's IPs, or for a device behind a BACnet router
// (an asset with via) the router's, as the oracle does.
func bacnetIPs(x *Index, id string) []string {
	if a := x.ByID[id]; a != nil && len(a.IPs) == 0 && a.Via != "" {
		return x.IPs(a.Via)
	}
	return x.IPs(id)
}
