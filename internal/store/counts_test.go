package store

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
)

// TestLoadForCountsMergeRows: the attribute rows the merge reads are loaded
// whole whatever the case of their key (Build's saysRouter lowercases it),
// the others as one key-less service row per endpoint; operations fold to one row
// per server address, "discovery" only when every operation to it is.
func TestLoadForCountsMergeRows(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	id, err := s.BeginSource(ctx, inventory.Source{Kind: "pcap", Name: "x.pcap", SHA256: "abc"}, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	ep := func(ip string) discovery.Endpoint {
		return discovery.Endpoint{MAC: mac("00:80:f4:10:00:11"), IP: netip.MustParseAddr(ip)}
	}
	seen := inventory.Seen{Count: 1, FirstSeen: t0, LastSeen: t0}
	a := ep("10.0.0.1")
	rows := &inventory.Rows{}
	for _, kv := range [][2]string{
		{"LLDP.System_Capabilities", "Bridge, Router"},
		{"Device.Role", "router"},
		{"snmp.NetMask", "255.255.255.0"},
		{"dcp.Subnet_Mask", "255.255.0.0"},
		{"dcp.IP", "10.0.0.1"},
		{"net.vlan", "10"},
		{"modbus.vendor_name", "Schneider Electric"},
		{"device.roles", "router"}, // not device.role
	} {
		rows.Attributes = append(rows.Attributes, inventory.AttributeRow{Endpoint: a, Key: kv[0], Value: kv[1], Seen: seen})
	}
	op := func(server, class string, code int) {
		rows.Operations = append(rows.Operations, inventory.OperationRow{CommKey: inventory.CommKey{
			Client: ep("10.0.0.9"), Server: ep(server), Protocol: "bacnet", Transport: "udp", Port: 47808},
			Code: code, Name: class, Class: class, Seen: seen})
	}
	op("10.0.0.255", "discovery", 8)
	op("10.0.0.255", "discovery", 1)
	op("10.0.0.2", "discovery", 8)
	op("10.0.0.2", "read", 12)
	if err := s.Commit(ctx, id, rows, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadForCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys, ops []string
	for _, r := range got.Attributes {
		keys = append(keys, r.Key+"="+r.Value)
	}
	for _, r := range got.Operations {
		ops = append(ops, r.Server.IP.String()+" "+r.Class)
	}
	sort.Strings(keys)
	sort.Strings(ops)
	wantKeys := []string{"Device.Role=router", "LLDP.System_Capabilities=Bridge, Router", "dcp.IP=10.0.0.1",
		"dcp.Subnet_Mask=255.255.0.0", "net.vlan=10", "snmp.NetMask=255.255.255.0"}
	if d := cmp.Diff(wantKeys, keys); d != "" {
		t.Errorf("attribute rows (-want +got):\n%s", d)
	}
	// The endpoint of the other attributes is one key-less service row.
	if len(got.Services) != 1 || got.Services[0].Endpoint != a || got.Services[0].Protocol != "" {
		t.Errorf("endpoint rows %+v, want one key-less row of %v", got.Services, a)
	}
	if d := cmp.Diff([]string{"10.0.0.2 other", "10.0.0.255 discovery"}, ops); d != "" {
		t.Errorf("operation rows (-want +got):\n%s", d)
	}
}

// TestCountsKeyMatchesSQLite: the Go filter agrees with SQLite's LIKE
// expression (attrFilterSQL) on every key it claims to know, and leaves
// the keys LIKE reads differently (NUL, non-ASCII) to SQLite.
func TestCountsKeyMatchesSQLite(t *testing.T) {
	s, _ := openTemp(t)
	keys := []string{"", "net.vlan", "NET.VLAN", "net.vlanx", "lldp.system_capabilities", "lldp.enabled_CAPABILITIES", "capabilities",
		"Capabilitie", "xcapabilitiesx", "device.role", "DEVICE.Role", "device.roles", "xdevice.role", "device_role", "dhcp.subnet_mask",
		"dhcp.subnetXmask", "dhcp.SUBNET-MASK", ".subnet_mas", "subnet_mask", "x.subnet__mask", "profinet.netmask", "a.NetMask",
		"netmask", "x.ip", ".IP", "ip", "x.ipx", "x.i", "%.ip", "_.ip", "a\x00.ip", "caf\xc3\xa9.ip", "x.subnet\xc3\xa9mask", "\xff.ip",
		"[\"x.ip\"]", "x.ip\n", "x.ip ", "\x7f.ip", "x.\x49P"}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "abcdeiklmnoprstvxyACEIPMNKS._%-\\ 0"
	for i := 0; i < 3000; i++ {
		suffix := []string{"capabilities", ".netmask", ".subnet_mask", ".ip", "device.role", "net.vlan", ""}[rng.IntN(7)]
		var b []byte
		for j := rng.IntN(6); j > 0; j-- {
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
		k := append(b, suffix...)
		for j := range k { // flip case, swap characters
			switch rng.IntN(12) {
			case 0:
				k[j] ^= 0x20
			case 1:
				k[j] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		keys = append(keys, string(k))
	}
	var matched int
	for _, k := range keys {
		var want bool
		if err := s.db.QueryRow(`SELECT `+strings.ReplaceAll(attrFilterSQL, "key", "?1"), k).Scan(&want); err != nil {
			t.Fatal(err)
		}
		got, known := countsKey([]byte(k))
		if !known {
			if strings.IndexFunc(k, func(r rune) bool { return r == 0 || r >= 0x80 }) < 0 {
				t.Errorf("%q: an ASCII key left undecided", k)
			}
			continue
		}
		if got != want {
			t.Errorf("%q: Go filter says %v, SQLite %v", k, got, want)
		}
		if want {
			matched++
		}
	}
	if matched < 100 {
		t.Fatalf("only %d of %d keys match: the test does not exercise the patterns", matched, len(keys))
	}
}
