package conformance

import (
	"encoding/json"
	"fmt"

	"github.com/otzone/otzone/discovery/inventory"
)

func init() { Register("iec104", []string{"iec104"}, 0, checkIEC104) }

type oracleIEC104 struct {
	Servers []struct {
		IP              string   `json:"ip"`
		Port            int      `json:"port"`
		Clients         []string `json:"clients"`
		CommonAddresses []int    `json:"common_addresses"`
	} `json:"servers"`
}

func iec104Command(t int) bool { return t >= 45 && t <= 51 || t >= 58 && t <= 64 || t == 105 }

// checkIEC104 compares controlled stations (ip:port), controlling ->
// controlled pairs, common addresses, and command ASDUs (type ids 45-51,
// 58-64, 105) with their counts. (The shared set has no IEC 104 capture
// yet; the check runs when one appears.)
func checkIEC104(raw json.RawMessage, inv *inventory.Inventory) Score {
	or, err := ParseOracle(raw)
	if err != nil {
		return Score{FN: 1, Missed: []string{err.Error()}}
	}
	var d oracleIEC104
	if err := or.Section("iec104", &d); err != nil {
		return Score{}
	}
	want, got := map[string]bool{}, map[string]bool{}
	for _, s := range d.Servers {
		ip := NormIP(s.IP)
		want[fmt.Sprintf("server %s:%d", ip, s.Port)] = true
		for _, c := range s.Clients {
			want[fmt.Sprintf("client %s -> %s:%d", NormIP(c), ip, s.Port)] = true
		}
		for _, a := range s.CommonAddresses {
			want[fmt.Sprintf("ca %s %d", ip, a)] = true
		}
	}
	for _, w := range or.WriteOperations {
		if w.Protocol == "iec104" {
			want[fmt.Sprintf("command %s -> %s:%d type %d x%d", NormIP(w.Client), NormIP(w.Server), w.ServerPort, w.Code, w.Count)] = true
		}
	}
	x := NewIndex(inv)
	for _, as := range x.ServerServices("iec104") {
		for _, ip := range as.Asset.IPs {
			got[fmt.Sprintf("server %s:%d", NormIP(ip), as.Service.Port)] = true
		}
	}
	for i := range inv.Assets {
		a := &inv.Assets[i]
		for _, v := range Attr(a, "iec104.common_address") {
			for _, ip := range a.IPs {
				got[fmt.Sprintf("ca %s %s", NormIP(ip), v)] = true
			}
		}
	}
	for _, c := range x.Comms("iec104", 0) {
		for _, sip := range x.IPs(c.Server) {
			for _, cip := range x.IPs(c.Client) {
				got[fmt.Sprintf("client %s -> %s:%d", cip, sip, c.Port)] = true
				for _, op := range c.Operations {
					if iec104Command(op.Code) {
						got[fmt.Sprintf("command %s -> %s:%d type %d x%d", cip, sip, c.Port, op.Code, op.Count)] = true
					}
				}
			}
		}
	}
	return Compare(want, got, nil)
}
