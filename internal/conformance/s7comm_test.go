package conformance

import (
	"encoding/json"
	"fmt"

	"github.com/otzone/otzone/discovery/inventory"
	_ "github.com/otzone/otzone/discovery/s7comm" // until discovery/all lists it
)

func init() { Register("s7comm", []string{"s7comm", "s7comm_plus"}, 0, checkS7) }

type oracleS7 struct {
	Servers []struct {
		IP          string            `json:"ip"`
		Port        int               `json:"port"`
		Transport   string            `json:"transport"`
		OrderNumber string            `json:"order_number"`
		Firmware    string            `json:"firmware"`
		Component   map[string]string `json:"component_identification"`
	} `json:"servers"`
}

// checkS7 compares S7comm and S7comm-plus servers (protocol ip:port),
// S7 identity (order number, firmware from SZL 0x0011 index 7, component
// identification; empty oracle values are not wanted) and S7comm
// write-class operations (write_var, downloads, plc_control, plc_stop)
// with their counts. The oracle has no S7comm-plus dissector, so
// S7comm-plus operations are not compared.
func checkS7(raw json.RawMessage, inv *inventory.Inventory) Score {
	or, err := ParseOracle(raw)
	if err != nil {
		return Score{FN: 1, Missed: []string{err.Error()}}
	}
	want, got := map[string]bool{}, map[string]bool{}
	for _, proto := range []string{"s7comm", "s7comm_plus"} {
		var s7 oracleS7
		_ = or.Section(proto, &s7)
		for _, s := range s7.Servers {
			ip := NormIP(s.IP)
			want[fmt.Sprintf("server %s %s:%d", proto, ip, s.Port)] = true
			vals := map[string]string{"order_number": s.OrderNumber, "firmware": s.Firmware}
			for k, v := range s.Component {
				vals[k] = v
			}
			for k, v := range vals {
				if v != "" {
					want[fmt.Sprintf("id %s s7.%s=%s", ip, k, v)] = true
				}
			}
		}
	}
	for _, w := range or.WriteOperations {
		if w.Protocol == "s7comm" {
			// the oracle splits plc_control by PI service; otzone counts them together
			want[fmt.Sprintf("write %s -> %s:%d %s", NormIP(w.Client), NormIP(w.Server), w.ServerPort, w.Operation)] = true
		}
	}
	x := NewIndex(inv)
	for _, proto := range []string{"s7comm", "s7comm_plus"} {
		for _, as := range x.ServerServices(proto) {
			for _, ip := range as.Asset.IPs {
				got[fmt.Sprintf("server %s %s:%d", proto, NormIP(ip), as.Service.Port)] = true
			}
		}
	}
	for i := range inv.Assets {
		a := &inv.Assets[i]
		for _, k := range []string{"order_number", "firmware", "plc_name", "module_name", "plant_tag", "serial_number", "module_type"} {
			for _, v := range Attr(a, "s7."+k) {
				for _, ip := range a.IPs {
					got[fmt.Sprintf("id %s s7.%s=%s", NormIP(ip), k, v)] = true
				}
			}
		}
	}
	for _, c := range x.Comms("s7comm", 0) {
		for _, op := range c.Operations {
			if op.Class != "write" && op.Class != "program" && op.Class != "control" {
				continue
			}
			for _, sip := range x.IPs(c.Server) {
				for _, cip := range x.IPs(c.Client) {
					got[fmt.Sprintf("write %s -> %s:%d %s", cip, sip, c.Port, op.Name)] = true
				}
			}
		}
	}
	// counts: compared separately so a miscount is a miss and an extra
	wantN, gotN := map[string]uint64{}, map[string]uint64{}
	for _, w := range or.WriteOperations {
		if w.Protocol == "s7comm" {
			wantN[fmt.Sprintf("%s -> %s:%d %s", NormIP(w.Client), NormIP(w.Server), w.ServerPort, w.Operation)] += uint64(w.Count)
		}
	}
	for _, c := range x.Comms("s7comm", 0) {
		for _, op := range c.Operations {
			if op.Class == "write" || op.Class == "program" || op.Class == "control" {
				for _, sip := range x.IPs(c.Server) {
					for _, cip := range x.IPs(c.Client) {
						gotN[fmt.Sprintf("%s -> %s:%d %s", cip, sip, c.Port, op.Name)] += op.Count
					}
				}
			}
		}
	}
	for k, n := range wantN {
		want[fmt.Sprintf("count %s x%d", k, n)] = true
	}
	for k, n := range gotN {
		got[fmt.Sprintf("count %s x%d", k, n)] = true
	}
	return Compare(want, got, nil)
}
