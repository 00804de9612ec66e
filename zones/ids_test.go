package zones

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
)

func TestPrefixKey(t *testing.T) {
	for _, tt := range []struct{ prefix, want string }{
		{"10.10.10.0/24", "10.10.10.0-24"},
		{"fe80::/64", "fe80--64"},
		{"2001:db8:0:1::/64", "2001-db8-0-1--64"},
		{"2001:db8::/64", "2001-db8--64"},
		{"2001:0db8:00ab:cdef::/64", "2001-db8-ab-cdef--64"},
		{"::/64", "0--64"},
		// A zero group inside the prefix stays: the form is unique per prefix.
		{"2001:0:0:0:1::/80", "2001-0-0-0-1--80"},
		{"2001:0:1::/80", "2001-0-1--80"},
		{"FD00:AB::/48", "fd00-ab--48"},
	} {
		p := netip.MustParsePrefix(tt.prefix)
		if got := prefixKey(p); got != tt.want {
			t.Errorf("prefixKey(%s) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
}

// TestIPv6ZoneIDs: zones of IPv6-only assets have readable ids of
// [a-z0-9-] (before: "supervisory-fe80__-64"), the same on every run.
func TestIPv6ZoneIDs(t *testing.T) {
	mk := func() *inventory.Inventory {
		a := func(id, ip string) inventory.Asset {
			return inventory.Asset{ID: id, Key: "ip:" + ip, IPs: []string{ip}}
		}
		read := inventory.Operation{Name: "read_holding_registers", Class: "read", Count: 40}
		return &inventory.Inventory{
			Assets: []inventory.Asset{
				a("plc1", "fd00:10::11"), a("plc2", "fd00:10::12"),
				a("hmi1", "fe80::21"), a("odd", "fe80::5"),
				a("v4", "10.0.0.9"),
			},
			Communications: []inventory.Communication{
				cm("hmi1", "plc1", "modbus", 502, read),
				cm("hmi1", "plc2", "modbus", 502, read),
				cm("odd", "v4", "http", 80),
			},
		}
	}
	valid := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*(--[0-9]+)?$`)
	var first []string
	for run := 0; run < 2; run++ {
		inv := mk()
		rs := ruleSet(t)
		if err := rules.Classify(inv, rs); err != nil {
			t.Fatal(err)
		}
		m, err := Derive(inv, rs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		zoneOf := m.ZoneOf()
		want := map[string]string{"plc1": "control-fd00-10--64", "hmi1": "supervisory-fe80--64", "odd": "supervisory-fe80--64"}
		for id, z := range want {
			if zoneOf[id] != z {
				t.Errorf("run %d: %s in zone %q, want %q (%s)", run, id, zoneOf[id], z, inv.Assets[0].DeviceType)
			}
		}
		var ids []string
		for _, z := range m.Zones {
			ids = append(ids, z.ID)
			if !strings.HasSuffix(z.ID, "-10.0.0.0-24") && !valid.MatchString(z.ID) {
				t.Errorf("zone id %q is not [a-z0-9-]", z.ID)
			}
		}
		for _, c := range m.Conduits {
			if !regexp.MustCompile(`^[a-z0-9.-]+$`).MatchString(c.ID) {
				t.Errorf("conduit id %q", c.ID)
			}
		}
		if run == 0 {
			first = ids
		} else if len(ids) != len(first) {
			t.Errorf("zone ids differ between runs: %v, %v", first, ids)
		} else {
			for i := range ids {
				if ids[i] != first[i] {
					t.Errorf("zone ids differ between runs: %v, %v", first, ids)
				}
			}
		}
	}
}
