package store

import (
	"context"
	"net/netip"
	"sort"
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
