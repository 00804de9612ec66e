package conformance

import (
	"encoding/json"
	"strings"

	"github.com/otzone/otzone/discovery/inventory"
)

func init() { Register("hosts", nil, HostThreshold, checkHosts) }

// checkHosts: every unicast source MAC (oracle hosts) and every IP seen as
// a source (ip_addresses with seen_as_source, ips_without_mac) must be on
// some asset; an asset MAC or IP the oracle never saw as a source is a
// false positive, except IPs the oracle saw only as destinations of
// unicast frames, and the MACs of assets whose IPs are all such
// destinations (a device addressed but silent in the capture: the oracle
// lists source MACs only).
func checkHosts(raw json.RawMessage, inv *inventory.Inventory) Score {
	or, err := ParseOracle(raw)
	if err != nil {
		return Score{FN: 1, Missed: []string{err.Error()}}
	}
	want, ignore, got := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, h := range or.Hosts {
		want["mac "+strings.ToLower(h.MAC)] = true
	}
	for _, a := range or.IPAddresses {
		if ip := NormIP(a.IP); ip != "" {
			if a.SeenAsSource {
				want["ip "+ip] = true
			} else {
				ignore["ip "+ip] = true
			}
		}
	}
	for _, ip := range or.IPsWithoutMAC {
		if n := NormIP(ip); n != "" {
			want["ip "+n] = true
		}
	}
	for _, a := range inv.Assets {
		destOnly := len(a.IPs) > 0
		for _, ip := range a.IPs {
			if !ignore["ip "+NormIP(ip)] {
				destOnly = false
			}
		}
		for _, m := range a.MACs {
			k := "mac " + strings.ToLower(m)
			got[k] = true
			if destOnly && !want[k] {
				ignore[k] = true
			}
		}
		for _, ip := range a.IPs {
			if n := NormIP(ip); n != "" {
				got["ip "+n] = true
			}
		}
	}
	return Compare(want, got, ignore)
}
