package conformance

import (
	"encoding/json"
	"fmt"

	"github.com/otzone/otzone/discovery/inventory"
)

func init() { Register("modbus", []string{"modbus"}, ModbusThreshold, checkModbus) }

type oracleModbus struct {
	Servers []struct {
		IP            string            `json:"ip"`
		Port          int               `json:"port"`
		Clients       []string          `json:"clients"`
		UnitIDs       []int             `json:"unit_ids"`
		FunctionCodes []int             `json:"function_codes"`
		DeviceID      map[string]string `json:"device_identification"`
	} `json:"servers"`
}

// checkModbus compares Modbus servers (ip:port), client→server pairs,
// unit ids per server, request function codes per server, FC 43/14 device
// identification values, and write operations with their counts.
func checkModbus(raw json.RawMessage, inv *inventory.Inventory) Score {
	or, err := ParseOracle(raw)
	if err != nil {
		return Score{FN: 1, Missed: []string{err.Error()}}
	}
	var m oracleModbus
	if err := or.Section("modbus", &m); err != nil {
		return Score{}
	}
	want, got := map[string]bool{}, map[string]bool{}
	for _, s := range m.Servers {
		ip := NormIP(s.IP)
		want[fmt.Sprintf("server %s:%d", ip, s.Port)] = true
		for _, c := range s.Clients {
			want[fmt.Sprintf("client %s -> %s:%d", NormIP(c), ip, s.Port)] = true
		}
		for _, u := range s.UnitIDs {
			want[fmt.Sprintf("unit %s %d", ip, u)] = true
		}
		for _, fc := range s.FunctionCodes {
			want[fmt.Sprintf("fc %s:%d %d", ip, s.Port, fc)] = true
		}
		for k, v := range s.DeviceID {
			want[fmt.Sprintf("id %s modbus.%s=%s", ip, k, v)] = true
		}
	}
	for _, w := range or.WriteOperations {
		if w.Protocol == "modbus" {
			want[fmt.Sprintf("write %s -> %s:%d fc %d x%d", NormIP(w.Client), NormIP(w.Server), w.ServerPort, w.Code, w.Count)] = true
		}
	}

	x := NewIndex(inv)
	for _, as := range x.ServerServices("modbus") {
		for _, ip := range as.Asset.IPs {
			ip = NormIP(ip)
			got[fmt.Sprintf("server %s:%d", ip, as.Service.Port)] = true
		}
	}
	for i := range inv.Assets {
		a := &inv.Assets[i]
		for _, ip := range a.IPs {
			ip = NormIP(ip)
			for _, u := range Attr(a, "modbus.unit_id") {
				got[fmt.Sprintf("unit %s %s", ip, u)] = true
			}
			if a.Via != "" {
				continue // a unit behind a gateway: its identity is not the gateway's
			}
			for _, k := range []string{"vendor_name", "product_code", "revision", "vendor_url", "product_name", "model_name", "user_application_name"} {
				for _, v := range Attr(a, "modbus."+k) {
					got[fmt.Sprintf("id %s modbus.%s=%s", ip, k, v)] = true
				}
			}
		}
	}
	for _, c := range x.Comms("modbus", 0) {
		for _, sip := range x.IPs(c.Server) {
			for _, cip := range x.IPs(c.Client) {
				got[fmt.Sprintf("client %s -> %s:%d", cip, sip, c.Port)] = true
				for _, op := range c.Operations {
					if op.Class == "write" {
						got[fmt.Sprintf("write %s -> %s:%d fc %d x%d", cip, sip, c.Port, op.Code, op.Count)] = true
					}
				}
			}
			for _, op := range c.Operations {
				got[fmt.Sprintf("fc %s:%d %d", sip, c.Port, op.Code)] = true
			}
		}
	}
	return Compare(want, got, nil)
}
