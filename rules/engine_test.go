package rules

import (
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery/inventory"
)

func builtinSet(t *testing.T) *RuleSet {
	t.Helper()
	rs, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func comm(client, server, proto string, port int, src string, ops ...inventory.Operation) inventory.Communication {
	return inventory.Communication{Client: client, Server: server, Protocol: proto, Transport: "tcp", Port: port, Packets: 10, Source: src, Operations: ops}
}

func op(name, class string, count uint64, src string) inventory.Operation {
	return inventory.Operation{Name: name, Class: class, Count: count, Source: src}
}

func find(inv *inventory.Inventory, id string) *inventory.Asset {
	for i := range inv.Assets {
		if inv.Assets[i].ID == id {
			return &inv.Assets[i]
		}
	}
	return nil
}

func level(a *inventory.Asset) int {
	if a.PurdueLevel == nil {
		return -1
	}
	return *a.PurdueLevel
}

// A small plant as model literals: a Modbus PLC polled by an HMI, an S7 PLC
// programmed by an engineering station, a DNP3 outstation and its master.
func smallPlant() *inventory.Inventory {
	return &inventory.Inventory{
		Assets: []inventory.Asset{
			{ID: "plc1", IPs: []string{"10.10.10.11"}},
			{ID: "plc2", IPs: []string{"10.10.10.13"}, Attributes: []inventory.Attribute{
				{Key: "s7.order_number", Value: "6ES7 315-2EH14-0AB0", Source: "pcap:p.pcapng#frame=40"}}},
			{ID: "rtu", IPs: []string{"10.10.10.14"}, Services: []inventory.Service{{Protocol: "dnp3", Transport: "tcp", Port: 20000, Role: "outstation", Source: "pcap:p.pcapng#frame=70"}}},
			{ID: "hmi", IPs: []string{"10.10.20.21"}},
			{ID: "ews", IPs: []string{"10.10.20.22"}},
			{ID: "master", IPs: []string{"10.10.20.23"}},
			{ID: "lonely", IPs: []string{"10.10.30.99"}},
		},
		Communications: []inventory.Communication{
			comm("hmi", "plc1", "modbus", 502, "pcap:p.pcapng#frame=10", op("read_holding_registers", "read", 50, "pcap:p.pcapng#frame=11"), op("write_single_register", "write", 2, "pcap:p.pcapng#frame=20")),
			comm("ews", "plc2", "s7comm", 102, "pcap:p.pcapng#frame=30", op("download_block", "program", 3, "pcap:p.pcapng#frame=33")),
			comm("master", "rtu", "dnp3", 20000, "pcap:p.pcapng#frame=60", op("operate", "control", 4, "pcap:p.pcapng#frame=66")),
		},
	}
}

func TestClassifySmallPlant(t *testing.T) {
	inv := smallPlant()
	if err := Classify(inv, builtinSet(t)); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		typ   string
		level int
		rule  string
	}{
		"plc1":   {"plc", 1, "plc-modbus-server"},
		"plc2":   {"plc", 1, "plc-s7-identity"},
		"rtu":    {"rtu", 1, "rtu-dnp3-outstation"},
		"hmi":    {"hmi", 2, "hmi-polls-controllers"},
		"ews":    {"engineering_workstation", 2, "ews-program-operations"},
		"master": {"scada_server", 2, "scada-telecontrol-master"},
		"lonely": {"unknown", -1, ""},
	}
	for id, w := range want {
		a := find(inv, id)
		if a.DeviceType != w.typ || level(a) != w.level {
			t.Errorf("%s: %s level %d, want %s level %d (decisions %+v)", id, a.DeviceType, level(a), w.typ, w.level, a.Decisions)
			continue
		}
		won := ""
		for _, d := range a.Decisions {
			if d.Field == FieldDeviceType && d.Won {
				won = d.Rule
				if len(d.Evidence) == 0 || d.Because == "" || d.Confidence <= 0 {
					t.Errorf("%s: decision without evidence/because/confidence: %+v", id, d)
				}
			}
		}
		if won != w.rule {
			t.Errorf("%s: won by %q, want %q", id, won, w.rule)
		}
	}
	// plc2 also matched the weaker S7 server rule: kept as a loser.
	var lost *inventory.Decision
	for i, d := range find(inv, "plc2").Decisions {
		if d.Rule == "plc-s7-server" && d.Field == FieldDeviceType {
			lost = &find(inv, "plc2").Decisions[i]
		}
	}
	if lost == nil || lost.Won {
		t.Errorf("plc-s7-server should be kept as a losing decision: %+v", find(inv, "plc2").Decisions)
	}
	// The EWS decision cites the frame of the program operation.
	ews := find(inv, "ews")
	if d := ews.Decisions[0]; !contains(d.Evidence, "pcap:p.pcapng#frame=33") || !strings.Contains(d.Because, "issued 3 program operations (s7comm) to 1 peer") {
		t.Errorf("ews decision: %+v", d)
	}
	// The DNP3 master issues control operations but is not an engineering station.
	for _, d := range find(inv, "master").Decisions {
		if d.Rule == "ews-plc-control" {
			t.Errorf("DNP3 operate taken for PLC control: %+v", d)
		}
	}
}

func TestClassifyIdempotent(t *testing.T) {
	inv := smallPlant()
	rs := builtinSet(t)
	if err := Classify(inv, rs); err != nil {
		t.Fatal(err)
	}
	first := len(find(inv, "plc2").Decisions)
	if err := Classify(inv, rs); err != nil {
		t.Fatal(err)
	}
	if got := len(find(inv, "plc2").Decisions); got != first {
		t.Errorf("decisions grew from %d to %d on a second run", first, got)
	}
}

func TestSecondPassNeedsPeerTypes(t *testing.T) {
	// The HMI rule needs its peer classified: with the PLC rule disabled,
	// the HMI stays unknown.
	inv := smallPlant()
	b, _ := Builtin()
	off, err := Parse("u.yaml", []byte("id: plc-modbus-server\nkind: classify\ntitle: off\noverride: true\ndisabled: true\nwhen: {offers: {protocol: modbus}}\nset: {device_type: plc}\nbecause: b\n"), OriginUser)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := NewRuleSet(b, off)
	if err != nil {
		t.Fatal(err)
	}
	if err := Classify(inv, rs); err != nil {
		t.Fatal(err)
	}
	if got := find(inv, "hmi").DeviceType; got != "unknown" {
		t.Errorf("hmi without classified peers = %q, want unknown", got)
	}
}

func TestThresholds(t *testing.T) {
	rule := func(cond string) *RuleSet {
		rs, err := Parse("t.yaml", []byte("id: t\nkind: classify\ntitle: t\npriority: 500\nwhen:\n"+cond+"set: {device_type: scada_server}\nbecause: b\n"), OriginUser)
		if err != nil {
			t.Fatal(err)
		}
		set, _ := NewRuleSet(rs, nil)
		return set
	}
	inv := func(nPeers int, writes uint64) *inventory.Inventory {
		in := &inventory.Inventory{Assets: []inventory.Asset{{ID: "c"}}}
		for i := 0; i < nPeers; i++ {
			id := "peer" + string(rune('0'+i))
			in.Assets = append(in.Assets, inventory.Asset{ID: id})
			in.Communications = append(in.Communications, comm("c", id, "modbus", 502, "s", op("w", "write", writes, "")))
		}
		return in
	}
	tests := []struct {
		name   string
		cond   string
		peers  int
		writes uint64
		want   bool
	}{
		{"peers below", "  connects_to: {protocol: modbus, min_peers: 3}\n", 2, 1, false},
		{"peers at", "  connects_to: {protocol: modbus, min_peers: 3}\n", 3, 1, true},
		{"peers above max", "  connects_to: {protocol: modbus, max_peers: 2}\n", 3, 1, false},
		{"max 0 means none", "  connects_to: {protocol: modbus, max_peers: 0}\n", 0, 1, true},
		{"count below", "  issues: {class: write, min_count: 7}\n", 2, 3, false},
		{"count at", "  issues: {class: write, min_count: 6}\n", 2, 3, true},
		{"other class", "  issues: {class: program}\n", 2, 3, false},
		{"empty inventory", "  issues: {class: write}\n", 0, 0, false},
		{"not", "  not: {issues: {class: write}}\n", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := inv(tt.peers, tt.writes)
			if err := Classify(in, rule(tt.cond)); err != nil {
				t.Fatal(err)
			}
			if got := find(in, "c").DeviceType == "scada_server"; got != tt.want {
				t.Errorf("matched = %v, want %v (%+v)", got, tt.want, find(in, "c").Decisions)
			}
		})
	}
}

func TestLeafConditions(t *testing.T) {
	a := inventory.Asset{ID: "x", IPs: []string{"10.1.2.3", "8.8.4.4"}, Vendor: "Siemens AG", Hostnames: []string{"ews-01"},
		Attributes: []inventory.Attribute{{Key: "net.vlan", Value: "20", Source: "v"}, {Key: "modbus.vendor_name", Value: "Schneider Electric", Source: "m"}}}
	inv := &inventory.Inventory{Assets: []inventory.Asset{a}}
	tests := []struct {
		cond string
		want bool
	}{
		{"network: {cidr: 10.1.0.0/16}", true},
		{"network: {cidr: 10.2.0.0/16}", false},
		{"network: {vlan: 20}", true},
		{"network: {vlan: [10, 30]}", false},
		{"network: {public: true}", true},
		{"network: {public: false}", false},
		{"vendor: '(?i)schneider'", true},
		{"vendor: '^Siemens'", true},
		{"vendor: 'Rockwell'", false},
		{"field: {name: hostname, matches: '^ews'}", true},
		{"field: {name: ip, matches: '.', min_values: 2}", true},
		{"field: {name: ip, matches: '.', min_values: 3}", false},
		{"attribute: {key: modbus.vendor_name, equals: schneider electric}", true},
		{"attribute: {key_prefix: s7.}", false},
		{"device_type: unknown", true},
		{"purdue_level: 1", false},
		{"any: [{vendor: nope}, {network: {vlan: 20}}]", true},
		{"all: [{vendor: nope}, {network: {vlan: 20}}]", false},
	}
	for _, tt := range tests {
		rs, err := Parse("t.yaml", []byte("id: t\nkind: zone\ntitle: t\nwhen: {"+tt.cond+"}\nzone: {kind: control}\n"), OriginUser)
		if err != nil {
			t.Fatalf("%s: %v", tt.cond, err)
		}
		m := NewEvaluator(inv).Eval(rs[0], &inv.Assets[0])
		if m.OK != tt.want {
			t.Errorf("%s: %v, want %v", tt.cond, m.OK, tt.want)
		}
	}
}

func TestResolveTies(t *testing.T) {
	ds := Resolve([]inventory.Decision{
		{Field: "device_type", Value: "hmi", Rule: "b", Priority: 10, Confidence: 0.5},
		{Field: "device_type", Value: "plc", Rule: "a", Priority: 10, Confidence: 0.5},
		{Field: "device_type", Value: "rtu", Rule: "c", Priority: 10, Confidence: 0.9},
		{Field: "purdue_level", Value: "1", Rule: "a", Priority: 1},
	})
	if !ds[0].Won || ds[0].Rule != "c" || ds[1].Won || ds[2].Won || ds[1].Rule != "a" || !ds[3].Won {
		t.Errorf("resolve order: %+v", ds)
	}
}

func TestLevelFollowsWinningType(t *testing.T) {
	// A router (network_device, no level) that also answers DNS: the DNS rule
	// loses device_type, so its level 4 is not taken either.
	inv := &inventory.Inventory{Assets: []inventory.Asset{{ID: "r", IPs: []string{"10.0.0.1", "10.0.1.1"}, Key: "mac:x",
		Attributes: []inventory.Attribute{{Key: "net.vlan", Value: "10"}, {Key: "net.vlan", Value: "20"}},
		Services:   []inventory.Service{{Protocol: "dns", Transport: "udp", Port: 53, Role: "server", Source: "s"}}}}}
	if err := Classify(inv, builtinSet(t)); err != nil {
		t.Fatal(err)
	}
	a := &inv.Assets[0]
	if a.DeviceType != "network_device" || a.PurdueLevel != nil {
		t.Errorf("router: %s level %v, decisions %+v", a.DeviceType, a.PurdueLevel, a.Decisions)
	}
	for _, d := range a.Decisions {
		if d.Rule == "it-dns-server" && d.Won {
			t.Errorf("losing rule's decision marked won: %+v", d)
		}
	}
}

func TestIdentityRules(t *testing.T) {
	at := func(k, v string) inventory.Attribute {
		return inventory.Attribute{Key: k, Value: v, Source: "pcap:x#frame=1"}
	}
	tests := []struct {
		attrs []inventory.Attribute
		host  string
		want  string
	}{
		{[]inventory.Attribute{at("snmp.sys_descr", "FortiGate-60F v7.2.5,build1517")}, "", "firewall"},
		{[]inventory.Attribute{at("lldp.system_description", "Cisco IOS Software, IE4000 Software")}, "", "network_device"},
		{[]inventory.Attribute{at("cdp.capabilities", "switch,igmp")}, "", "network_device"},
		// A BIOS string or a studio name is not network equipment.
		{[]inventory.Attribute{at("lldp.system_description", "Studio 5000 Logix Designer on Windows, BIOS 1.2")}, "", "unknown"},
		{[]inventory.Attribute{at("lldp.system_description", "Siemens, SIMATIC S7, CPU315-2 PN/DP")}, "", "unknown"},
		{nil, "fw-01", "firewall"},
		{nil, "ews-03", "engineering_workstation"},
		{[]inventory.Attribute{at("enip.device_type", "24")}, "", "hmi"},
		{[]inventory.Attribute{at("enip.device_type", "14"), at("enip.product_name", "1756-L61/B LOGIX5561")}, "", "plc"},
		{[]inventory.Attribute{at("enip.device_type", "7")}, "", "io_device"},
		{[]inventory.Attribute{at("profinet.device_role", "io-device,io-controller")}, "", "plc"},
		{[]inventory.Attribute{at("profinet.device_role", "io-device,io-multidevice")}, "", "io_device"},
		{[]inventory.Attribute{at("profinet.device_role", "io-supervisor")}, "", "engineering_workstation"},
	}
	rs := builtinSet(t)
	for _, tt := range tests {
		a := inventory.Asset{ID: "x", IPs: []string{"10.0.0.9"}, Attributes: tt.attrs}
		if tt.host != "" {
			a.Hostnames = []string{tt.host}
		}
		inv := &inventory.Inventory{Assets: []inventory.Asset{a}}
		if err := Classify(inv, rs); err != nil {
			t.Fatal(err)
		}
		if got := inv.Assets[0].DeviceType; got != tt.want {
			t.Errorf("%v %q: %s, want %s", tt.attrs, tt.host, got, tt.want)
		}
	}
}
