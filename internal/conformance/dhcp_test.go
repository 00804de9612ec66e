package conformance

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/otzone/otzone/discovery/inventory"
)

func init() { Register("dhcp", []string{"dhcp"}, 0, checkDHCP) }

type oracleDHCP struct {
	Clients []struct {
		MAC           string   `json:"mac"`
		Hostnames     []string `json:"hostnames"`
		VendorClasses []string `json:"vendor_classes"`
		RequestedIPs  []string `json:"requested_ips"`
		AssignedIPs   []string `json:"assigned_ips"`
	} `json:"clients"`
}

// dhcpKeys map the oracle's client lists to the inventory attributes
// dhcp.<key> (singular) of the asset with the client's MAC.
var dhcpKeys = []string{"hostname", "vendor_class", "requested_ip", "assigned_ip"}

// checkDHCP compares, per DHCP client (chaddr MAC), host names, vendor
// classes, requested and assigned addresses. Extras are dhcp.<key>
// attributes otzone reports that the oracle does not have for that MAC, on
// any capture.
func checkDHCP(raw json.RawMessage, inv *inventory.Inventory) Score {
	or, err := ParseOracle(raw)
	if err != nil {
		return Score{FN: 1, Missed: []string{err.Error()}}
	}
	var d oracleDHCP
	if err := or.Section("dhcp", &d); err != nil {
		return Score{}
	}
	want := map[string]bool{}
	for _, c := range d.Clients {
		mac := strings.ToLower(c.MAC)
		for i, vs := range [][]string{c.Hostnames, c.VendorClasses, c.RequestedIPs, c.AssignedIPs} {
			for _, v := range vs {
				want[fmt.Sprintf("dhcp %s %s=%s", mac, dhcpKeys[i], dhcpNorm(dhcpKeys[i], v))] = true
			}
		}
	}
	got, ignore := macFacts(inv, "dhcp", dhcpKeys, want, dhcpNorm)
	return Compare(want, got, ignore)
}

func dhcpNorm(k, v string) string {
	if strings.HasSuffix(k, "_ip") {
		return NormIP(v)
	}
	return v
}
