package conformance

import (
	"encoding/json"
	"fmt"
	"strings"

	_ "github.com/otzone/otzone/discovery/enip" // until discovery/all lists it
	"github.com/otzone/otzone/discovery/inventory"
)

func init() {
	Register("enip", []string{"enip", "other.enip_io", "other.cip_class3"}, 0, checkENIP)
}

type oracleENIP struct {
	Servers []struct {
		IP        string `json:"ip"`
		Port      int    `json:"port"`
		Transport string `json:"transport"`
		Identity  []struct {
			VendorID      int    `json:"vendor_id"`
			DeviceType    int    `json:"device_type"`
			ProductCode   int    `json:"product_code"`
			RevisionMajor int    `json:"revision_major"`
			RevisionMinor int    `json:"revision_minor"`
			SerialNumber  int64  `json:"serial_number"`
			ProductName   string `json:"product_name"`
		} `json:"identity"`
	} `json:"servers"`
}

// checkENIP compares EtherNet/IP servers (ip:port/transport), identity
// facts (ListIdentity and Identity object replies; otzone prints the
// revision as major.minor with three digits and the serial in hex, so the
// oracle's integers are formatted the same way), implicit I/O peers
// (oracle other.enip_io, otzone "publisher" services on udp/2222) and CIP
// write-class operations with their counts.
func checkENIP(raw json.RawMessage, inv *inventory.Inventory) Score {
	or, err := ParseOracle(raw)
	if err != nil {
		return Score{FN: 1, Missed: []string{err.Error()}}
	}
	var e oracleENIP
	_ = or.Section("enip", &e)
	want, got := map[string]bool{}, map[string]bool{}
	for _, s := range e.Servers {
		ip := NormIP(s.IP)
		want[fmt.Sprintf("server %s:%d/%s", ip, s.Port, s.Transport)] = true
		for _, id := range s.Identity {
			for k, v := range map[string]string{
				"vendor_id": fmt.Sprint(id.VendorID), "device_type": fmt.Sprint(id.DeviceType),
				"product_code": fmt.Sprint(id.ProductCode), "product_name": id.ProductName,
				"revision":      fmt.Sprintf("%d.%03d", id.RevisionMajor, id.RevisionMinor),
				"serial_number": fmt.Sprintf("0x%08x", id.SerialNumber),
			} {
				want[fmt.Sprintf("id %s enip.%s=%s", ip, k, v)] = true
			}
		}
	}
	var other struct {
		IO struct {
			Peers []string `json:"peers"`
		} `json:"enip_io"`
		Class3 struct { // connected explicit messaging: its servers are ENIP servers
			Servers []struct {
				IP        string `json:"ip"`
				Port      int    `json:"port"`
				Transport string `json:"transport"`
			} `json:"servers"`
		} `json:"cip_class3"`
	}
	_ = or.Section("other", &other)
	for _, s := range other.Class3.Servers {
		want[fmt.Sprintf("server %s:%d/%s", NormIP(s.IP), s.Port, s.Transport)] = true
	}
	for _, p := range other.IO.Peers {
		want["io "+NormIP(p)] = true
	}
	for _, w := range or.WriteOperations {
		if w.Protocol == "cip" {
			want[fmt.Sprintf("write %s -> %s:%d %s x%d", NormIP(w.Client), NormIP(w.Server), w.ServerPort, w.Operation, w.Count)] = true
		}
	}

	x := NewIndex(inv)
	for _, as := range x.ServerServices("enip") {
		for _, ip := range as.Asset.IPs {
			switch as.Service.Role {
			case "server":
				got[fmt.Sprintf("server %s:%d/%s", NormIP(ip), as.Service.Port, as.Service.Transport)] = true
			case "publisher":
				got["io "+NormIP(ip)] = true
			}
		}
	}
	for i := range inv.Assets {
		a := &inv.Assets[i]
		for _, at := range a.Attributes {
			k, ok := strings.CutPrefix(at.Key, "enip.")
			if !ok || k == "vendor_name" || k == "device_type_name" || k == "socket_address" {
				continue
			}
			for _, ip := range a.IPs {
				got[fmt.Sprintf("id %s enip.%s=%s", NormIP(ip), k, at.Value)] = true
			}
		}
	}
	for _, c := range x.Comms("cip", 0) {
		counts := map[string]uint64{}
		for _, op := range c.Operations {
			if op.Class == "write" || op.Class == "program" || op.Class == "control" {
				counts[op.Name] += op.Count
			}
		}
		for _, sip := range x.IPs(c.Server) {
			for _, cip := range x.IPs(c.Client) {
				for name, n := range counts {
					got[fmt.Sprintf("write %s -> %s:%d %s x%d", cip, sip, c.Port, name, n)] = true
				}
			}
		}
	}
	return Compare(want, got, nil)
}
