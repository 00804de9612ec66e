package conformance

import (
	"encoding/json"
	"fmt"

	"github.com/otzone/otzone/discovery/inventory"
)

func init() { Register("dnp3", []string{"dnp3"}, 0, checkDNP3) }

type oracleDNP3 struct {
	Outstations []struct {
		IP                  string   `json:"ip"`
		Port                int      `json:"port"`
		Transport           string   `json:"transport"`
		Clients             []string `json:"clients"`
		OutstationAddresses []int    `json:"outstation_addresses"`
		MasterAddresses     []int    `json:"master_addresses"`
	} `json:"outstations"`
	Masters []struct {
		IP        string `json:"ip"`
		Addresses []int  `json:"addresses"`
	} `json:"masters"`
}

// dnp3Writes are the function codes ORACLE.md lists as DNP3 write operations.
var dnp3Writes = map[int]bool{2: true, 3: true, 4: true, 5: true, 6: true, 13: true, 14: true, 16: true, 17: true, 18: true}

// checkDNP3 compares outstations (ip:port), master -> outstation pairs,
// link addresses of both ends (dnp3.address), and write/control functions
// with their counts.
func checkDNP3(raw json.RawMessage, inv *inventory.Inventory) Score {
	or, err := ParseOracle(raw)
	if err != nil {
		return Score{FN: 1, Missed: []string{err.Error()}}
	}
	var d oracleDNP3
	if err := or.Section("dnp3", &d); err != nil {
		return Score{}
	}
	want, got := map[string]bool{}, map[string]bool{}
	for _, o := range d.Outstations {
		ip := NormIP(o.IP)
		want[fmt.Sprintf("outstation %s:%d", ip, o.Port)] = true
		for _, c := range o.Clients {
			want[fmt.Sprintf("master %s -> %s:%d", NormIP(c), ip, o.Port)] = true
		}
		for _, a := range o.OutstationAddresses {
			want[fmt.Sprintf("address %s %d", ip, a)] = true
		}
	}
	for _, m := range d.Masters {
		for _, a := range m.Addresses {
			want[fmt.Sprintf("address %s %d", NormIP(m.IP), a)] = true
		}
	}
	for _, w := range or.WriteOperations {
		if w.Protocol == "dnp3" {
			want[fmt.Sprintf("write %s -> %s:%d fc %d x%d", NormIP(w.Client), NormIP(w.Server), w.ServerPort, w.Code, w.Count)] = true
		}
	}
	x := NewIndex(inv)
	for _, as := range x.ServerServices("dnp3") {
		for _, ip := range as.Asset.IPs {
			got[fmt.Sprintf("outstation %s:%d", NormIP(ip), as.Service.Port)] = true
		}
	}
	for i := range inv.Assets {
		a := &inv.Assets[i]
		for _, v := range Attr(a, "dnp3.address") {
			for _, ip := range a.IPs {
				got[fmt.Sprintf("address %s %s", NormIP(ip), v)] = true
			}
		}
	}
	for _, c := range x.Comms("dnp3", 0) {
		for _, sip := range x.IPs(c.Server) {
			for _, cip := range x.IPs(c.Client) {
				got[fmt.Sprintf("master %s -> %s:%d", cip, sip, c.Port)] = true
				for _, op := range c.Operations {
					if dnp3Writes[op.Code] {
						got[fmt.Sprintf("write %s -> %s:%d fc %d x%d", cip, sip, c.Port, op.Code, op.Count)] = true
					}
				}
			}
		}
	}
	return Compare(want, got, nil)
}
