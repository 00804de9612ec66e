package zones

import (
	"bytes"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
)

func ruleSet(t *testing.T) *rules.RuleSet {
	t.Helper()
	rs, err := rules.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func vlan(v string) inventory.Attribute {
	return inventory.Attribute{Key: "net.vlan", Value: v, Source: "pcap:t#frame=1"}
}

func asset(id, ip, v string, attrs ...inventory.Attribute) inventory.Asset {
	a := inventory.Asset{ID: id, IPs: []string{ip}}
	if v != "" {
		a.Key = "mac:" + id
		a.MACs = []string{"00:00:00:00:00:" + id[len(id)-2:]}
		a.Attributes = append(a.Attributes, vlan(v))
	} else {
		a.Key = "ip:" + ip
	}
	a.Attributes = append(a.Attributes, attrs...)
	return a
}

func cm(client, server, proto string, port int, ops ...inventory.Operation) inventory.Communication {
	return inventory.Communication{Client: client, Server: server, Protocol: proto, Transport: "tcp", Port: port, Packets: 10, Bytes: 1000,
		Source: "pcap:t#frame=" + client + server, Operations: ops}
}

// plant is the demo plant in miniature: controllers on VLAN 10, HMI and EWS
// on VLAN 20, a historian on VLAN 30, an IT desktop behind the router that
// (wrongly) talks Modbus to a PLC.
func plant() *inventory.Inventory {
	return &inventory.Inventory{
		Assets: []inventory.Asset{
			asset("plc11", "10.10.10.11", "10"),
			asset("plc13", "10.10.10.13", "10", inventory.Attribute{Key: "s7.order_number", Value: "6ES7 315-2EH14-0AB0", Source: "pcap:t#frame=9"}),
			asset("sw-01", "10.10.10.2", "10"), // unclassified: joins its VLAN's zone
			asset("hmi21", "10.10.20.21", "20"),
			asset("ews22", "10.10.20.22", "20"),
			asset("hist31", "10.10.30.31", "30"),
			asset("it50", "192.168.1.50", ""),
			asset("dc10", "192.168.1.10", ""),
		},
		Communications: []inventory.Communication{
			cm("hmi21", "plc11", "modbus", 502, inventory.Operation{Name: "write_single_register", Class: "write", Count: 3}),
			cm("ews22", "plc13", "s7comm", 102, inventory.Operation{Name: "download_block", Class: "program", Count: 2}),
			cm("hist31", "hmi21", "opcua", 4840),
			cm("it50", "plc11", "modbus", 502, inventory.Operation{Name: "read_coils", Class: "read", Count: 1}),
			cm("it50", "dc10", "ldap", 389),
		},
	}
}

func derived(t *testing.T) (*inventory.Inventory, *Model) {
	t.Helper()
	inv := plant()
	rs := ruleSet(t)
	if err := rules.Classify(inv, rs); err != nil {
		t.Fatal(err)
	}
	m, err := Derive(inv, rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inv, m
}

func TestDerive(t *testing.T) {
	inv, m := derived(t)
	got := map[string][]string{}
	for _, z := range m.Zones {
		got[z.ID] = z.Assets
		if z.Declared || len(z.Why) == 0 || z.SLTarget != DefaultSLTarget(z.Kind) {
			t.Errorf("zone %s: declared %v why %v sl %v", z.ID, z.Declared, z.Why, z.SLTarget)
		}
	}
	want := map[string][]string{
		"control-vlan10":            {"plc11", "plc13", "sw-01"},
		"supervisory-vlan20":        {"ews22", "hmi21"},
		"operations-vlan30":         {"hist31"},
		"enterprise-192.168.1.0-24": {"dc10"},
		// it50 polls a PLC over Modbus: the rules see an HMI (level 2) on the IT subnet.
		"supervisory-192.168.1.0-24": {"it50"},
	}
	for id, assets := range want {
		if strings.Join(got[id], ",") != strings.Join(assets, ",") {
			t.Errorf("zone %s = %v, want %v (all zones: %v)", id, got[id], assets, got)
		}
	}
	// it50 is classified as nothing (a client of LDAP and Modbus, and
	// the Modbus PLC makes it an HMI by the polling rule): check where it went.
	var it *inventory.Asset
	for i := range inv.Assets {
		if inv.Assets[i].ID == "it50" {
			it = &inv.Assets[i]
		}
	}
	t.Logf("it50 classified %s level %v", it.DeviceType, it.PurdueLevel)
	if c := m.Conduit("control-vlan10--supervisory-vlan20"); c == nil {
		t.Fatalf("no conduit between control and supervisory: %+v", m.Conduits)
	} else {
		if strings.Join(c.Protocols, ",") != "modbus,s7comm" || c.Communications != 2 || c.Encrypted {
			t.Errorf("conduit: %+v", c)
		}
		if c.Operations["write"] != 3 || c.Operations["program"] != 2 {
			t.Errorf("conduit ops: %v", c.Operations)
		}
		if c.Direction != DirectionBtoA || strings.Join(c.Initiators, ",") != "supervisory-vlan20" {
			t.Errorf("direction %v initiators %v", c.Direction, c.Initiators)
		}
	}
}

func TestDeriveEmpty(t *testing.T) {
	m, err := Derive(&inventory.Inventory{}, ruleSet(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Zones) != 0 || len(m.Conduits) != 0 || len(m.Violations) != 0 || m.Zones == nil || m.Violations == nil {
		t.Errorf("empty inventory: %+v", m)
	}
}

func TestDeriveTargetSL(t *testing.T) {
	inv := plant()
	rs := ruleSet(t)
	_ = rules.Classify(inv, rs)
	sl := SL3
	m, _ := Derive(inv, rs, Options{TargetSL: &sl})
	for _, z := range m.Zones {
		if z.SLTarget != Uniform(SL3) || z.SLSource != "--target-sl" {
			t.Errorf("%s: %v %q", z.ID, z.SLTarget, z.SLSource)
		}
	}
}

func TestCellSplit(t *testing.T) {
	// Two HMIs on two LANs each polling their own PLCs: two cells. A third PLC nobody
	// polls joins the larger cell.
	inv := &inventory.Inventory{Assets: []inventory.Asset{
		asset("p01", "10.0.0.1", "10"), asset("p02", "10.0.0.2", "10"), asset("p03", "10.0.0.3", "10"), asset("p04", "10.0.0.4", "10"),
		asset("p05", "10.0.0.5", "10"), asset("h01", "10.0.1.1", "11"), asset("h02", "10.0.2.2", "12"),
	}, Communications: []inventory.Communication{
		cm("h01", "p01", "modbus", 502), cm("h01", "p02", "modbus", 502), cm("h01", "p03", "modbus", 502),
		cm("h02", "p04", "modbus", 502),
	}}
	for i := range inv.Assets[:5] {
		inv.Assets[i].Services = []inventory.Service{{Protocol: "modbus", Transport: "tcp", Port: 502, Role: "server"}}
	}
	rs := ruleSet(t)
	_ = rules.Classify(inv, rs)
	m, _ := Derive(inv, rs, Options{})
	got := map[string]string{}
	for _, z := range m.Zones {
		got[z.ID] = strings.Join(z.Assets, ",")
	}
	if got["control-vlan10-cell1"] != "p01,p02,p03,p05" || got["control-vlan10-cell2"] != "p04" {
		t.Errorf("cells: %v", got)
	}
	// Just below the split: one HMI polls all → one zone.
	inv.Communications = append(inv.Communications, cm("h01", "p04", "modbus", 502))
	_ = rules.Classify(inv, rs)
	m, _ = Derive(inv, rs, Options{})
	if z := m.Zone("control-vlan10"); z == nil || len(z.Assets) != 5 {
		t.Errorf("shared HMI should keep one cell: %+v", m.Zones)
	}
}

func TestPurdueShortcut(t *testing.T) {
	_, m := derived(t)
	var found *Violation
	for i, v := range m.Violations {
		if v.Kind == ViolationPurdueShortcut {
			found = &m.Violations[i]
		}
	}
	// it50 is classified by its peers (it polls a PLC: hmi, level 2), so
	// no level-4 asset reaches level 1 in the derived model. Make it IT.
	if found != nil {
		t.Logf("shortcut: %+v", found)
	}
	inv := plant()
	inv.Assets[6].Services = []inventory.Service{{Protocol: "smb", Transport: "tcp", Port: 445, Role: "server"}}
	rs, _ := rules.Load("")
	// a user rule pins the IT desktop at level 4
	user, err := rules.Parse("u.yaml", []byte("id: it-desk\nkind: classify\ntitle: t\npriority: 500\nwhen: {network: {cidr: 192.168.1.0/24}}\nset: {device_type: workstation, purdue_level: 4}\nbecause: IT network\n"), rules.OriginUser)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := rules.Builtin()
	rs, err = rules.NewRuleSet(b, user)
	if err != nil {
		t.Fatal(err)
	}
	_ = rules.Classify(inv, rs)
	m, _ = Derive(inv, rs, Options{})
	found = nil
	for i, v := range m.Violations {
		if v.Kind == ViolationPurdueShortcut {
			found = &m.Violations[i]
		}
	}
	if found == nil || len(found.Communications) != 1 || found.Communications[0].Client != "it50" || found.Communications[0].Protocol != "modbus" {
		t.Fatalf("want one purdue_shortcut it50→plc11 modbus, got %+v", m.Violations)
	}
}

const designedYAML = `version: 1
name: mini plant
zones:
  - id: control
    kind: control
    sl_target: {FR1: 2, FR2: 2, FR3: 3, FR4: 1, FR5: 2, FR6: 2, FR7: 3}
    fips199: {confidentiality: low, integrity: high, availability: high}
    members: {cidrs: [10.10.10.0/24]}
  - id: supervisory
    kind: supervisory
    sl_target: 2
    members: {vlans: [20]}
  - id: enterprise
    kind: enterprise
    members: {cidrs: [192.168.1.0/24]}
conduits:
  - id: sup-ctl
    zones: [supervisory, control]
    protocols: [modbus]
    direction: a_to_b
  - id: ent-sup
    zones: [enterprise, supervisory]
    protocols: [rdp]
`

func TestCompare(t *testing.T) {
	designed, err := ParseModel("m.yaml", []byte(designedYAML))
	if err != nil {
		t.Fatal(err)
	}
	inv := plant()
	rs := ruleSet(t)
	_ = rules.Classify(inv, rs)
	m, err := Compare(designed, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[ViolationKind][]Violation{}
	for _, v := range m.Violations {
		kinds[v.Kind] = append(kinds[v.Kind], v)
	}
	// hist31 (VLAN 30) is in no zone.
	if v := kinds[ViolationAssetOutsideModel]; len(v) != 1 || v[0].Assets[0] != "hist31" || len(v[0].Communications) != 1 {
		t.Errorf("asset_outside_model: %+v", v)
	}
	// ews22 → plc13 over s7comm: the conduit allows modbus only.
	if v := kinds[ViolationProtocolNotAllowed]; len(v) != 1 || v[0].Conduit != "sup-ctl" || v[0].Communications[0].Protocol != "s7comm" {
		t.Errorf("protocol_not_allowed: %+v", v)
	}
	// it50 → plc11: enterprise and control have no conduit.
	if v := kinds[ViolationUndeclaredConduit]; len(v) != 1 || strings.Join(v[0].Zones, ",") != "control,enterprise" {
		t.Errorf("undeclared_conduit: %+v", v)
	}
	// ent-sup saw nothing.
	if v := kinds[ViolationUnusedConduit]; len(v) != 1 || v[0].Conduit != "ent-sup" {
		t.Errorf("unused_conduit: %+v", v)
	}
	if z := m.Zone("control"); z.SLTarget.Get(FR3) != SL3 || z.FIPS199.Integrity != ImpactHigh || strings.Join(z.Assets, ",") != "plc11,plc13,sw-01" {
		t.Errorf("control zone: %+v", z)
	}
	if z := m.Zone("enterprise"); z.SLTarget != DefaultSLTarget(KindEnterprise) {
		t.Errorf("enterprise default SL-T: %v", z.SLTarget)
	}
	// Direction: the declared a_to_b conduit initiated from supervisory: no violation.
	if v := kinds[ViolationDirectionNotAllowed]; len(v) != 0 {
		t.Errorf("direction: %+v", v)
	}
}

func TestParseModelErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"sl too high", "zones:\n  - id: cell-3\n    kind: control\n    sl_target: 5\n    members: {vlans: [1]}\n", `m.yaml:4:16: zone "cell-3": unknown sl_target "5"`},
		{"unknown kind", "zones:\n  - id: a\n    kind: plant\n    members: {vlans: [1]}\n", `m.yaml:3:11: zone "a": unknown kind "plant"`},
		{"unknown field", "zones:\n  - id: a\n    kind: control\n    colour: red\n    members: {vlans: [1]}\n", `m.yaml:4:5: unknown field "colour" in zones[0]`},
		{"duplicate zone", "zones:\n  - id: a\n    kind: control\n    members: {vlans: [1]}\n  - id: a\n    kind: control\n    members: {vlans: [2]}\n", `m.yaml:5:9: zone "a": duplicate id (first at line 2)`},
		{"dangling conduit", "zones:\n  - id: a\n    kind: control\n    members: {vlans: [1]}\nconduits:\n  - id: c\n    zones: [a, b]\n", `m.yaml:7:16: conduit "c": zones: unknown zone "b"`},
		{"duplicate conduit", "zones:\n  - id: a\n    kind: control\n    members: {vlans: [1]}\n  - id: b\n    kind: dmz\n    members: {vlans: [2]}\nconduits:\n  - id: c\n    zones: [a, b]\n  - id: c\n    zones: [b, a]\n", `m.yaml:11:9: conduit "c": duplicate id`},
		{"one end", "zones:\n  - id: a\n    kind: control\n    members: {vlans: [1]}\nconduits:\n  - id: c\n    zones: [a]\n", `conduit "c": zones: want exactly two zone ids, got 1`},
		{"bad cidr", "zones:\n  - id: a\n    kind: control\n    members: {cidrs: [10.0.0.0/33]}\n", `m.yaml:4:23: zone "a": members.cidrs: bad CIDR "10.0.0.0/33"`},
		{"bad mac", "zones:\n  - id: a\n    kind: control\n    members: {macs: [zz]}\n", `zone "a": members.macs: bad MAC "zz"`},
		{"no members", "zones:\n  - id: a\n    kind: control\n", `zone "a": no members`},
		{"bad fips", "zones:\n  - id: a\n    kind: control\n    fips199: {integrity: medium}\n    members: {vlans: [1]}\n", `m.yaml:4:26: zone "a": unknown fips199.integrity "medium"`},
		{"bad level", "zones:\n  - id: a\n    kind: control\n    level: 9\n    members: {vlans: [1]}\n", `zone "a": unknown level "9"`},
		{"bad fr", "zones:\n  - id: a\n    kind: control\n    sl_target: {FR9: 1}\n    members: {vlans: [1]}\n", `m.yaml:4:17: zone "a": unknown foundational requirement "FR9"`},
		{"bad direction", "zones:\n  - id: a\n    kind: control\n    members: {vlans: [1]}\n  - id: b\n    kind: dmz\n    members: {vlans: [2]}\nconduits:\n  - id: c\n    zones: [a, b]\n    direction: up\n", `m.yaml:11:16: conduit "c": unknown direction "up"`},
		{"no zones", "conduits: []\n", "model: no zones"},
		{"empty", "", "empty model file"},
		{"syntax", "zones: [\n", "m.yaml:"},
		{"type", "zones:\n  - id: a\n    kind: control\n    members: {vlans: [ten]}\n", `m.yaml:4:23: zones[0].members.vlans[0]: want an integer, got "ten"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseModel("m.yaml", []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant containing %q", err, tt.want)
			}
		})
	}
}

func TestInitRoundTrip(t *testing.T) {
	inv, m := derived(t)
	var buf bytes.Buffer
	if err := WriteModel(&buf, m, inv); err != nil {
		t.Fatal(err)
	}
	back, err := ParseModel("init.yaml", buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	cmp, err := Compare(back, inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cmp.Zones) != len(m.Zones) || len(cmp.Conduits) != len(m.Conduits) {
		t.Fatalf("round trip: %d/%d zones, %d/%d conduits\n%s", len(cmp.Zones), len(m.Zones), len(cmp.Conduits), len(m.Conduits), buf.String())
	}
	for _, z := range m.Zones {
		bz := cmp.Zone(z.ID)
		if bz == nil || strings.Join(bz.Assets, ",") != strings.Join(z.Assets, ",") || bz.Kind != z.Kind || bz.SLTarget != z.SLTarget {
			t.Errorf("zone %s: derived %+v, read back %+v", z.ID, z, bz)
		}
	}
	for _, v := range cmp.Violations {
		if v.Kind != ViolationPurdueShortcut {
			t.Errorf("round trip violation: %+v\n%s", v, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "# otzone designed model") {
		t.Errorf("no header comment:\n%s", buf.String())
	}
}

func TestDiff(t *testing.T) {
	old := plant()
	cur := plant()
	cur.Assets[1].Attributes = append(cur.Assets[1].Attributes, inventory.Attribute{Key: "s7.firmware", Value: "V3.3.0"})
	cur.Assets[1].Firmware = "V3.3.0"
	old.Assets[1].Firmware = "V3.2.6"
	cur.Assets = append(cur.Assets, asset("new99", "10.10.10.99", "10"))
	cur.Communications = append(cur.Communications, cm("ews22", "plc11", "modbus", 502, inventory.Operation{Name: "write_multiple_registers", Class: "write", Count: 1}))
	// hist31 → hmi21 disappears.
	cur.Communications = append(cur.Communications[:2], cur.Communications[3:]...)
	d, err := DiffInventories(old, cur, ruleSet(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.NewAssets) != 1 || d.NewAssets[0].ID != "new99" || len(d.VanishedAssets) != 0 {
		t.Errorf("assets: %+v %+v", d.NewAssets, d.VanishedAssets)
	}
	fw := false
	for _, c := range d.ChangedFacts {
		if c.Asset == "plc13" && c.Field == "firmware" && c.Old == "V3.2.6" && c.New == "V3.3.0" {
			fw = true
		}
	}
	if !fw {
		t.Errorf("firmware change missing: %+v", d.ChangedFacts)
	}
	if len(d.NewCommunications) != 1 || d.NewCommunications[0].Client != "ews22" || len(d.GoneCommunications) != 1 || d.GoneCommunications[0].Client != "hist31" {
		t.Errorf("communications: new %+v gone %+v", d.NewCommunications, d.GoneCommunications)
	}
	if len(d.NewOperations) != 1 || d.NewOperations[0].Name != "write_multiple_registers" {
		t.Errorf("new operations: %+v", d.NewOperations)
	}
	if len(d.UnusedConduits) != 1 || d.UnusedConduits[0].ID != "operations-vlan30--supervisory-vlan20" {
		t.Errorf("unused conduits: %+v", d.UnusedConduits)
	}
	same, err := DiffInventories(plant(), plant(), ruleSet(t))
	if err != nil || !same.Empty() {
		t.Errorf("identical inventories differ: %+v %v", same, err)
	}
}

func TestGatewayDeviceJoinsGatewayZone(t *testing.T) {
	designed, err := ParseModel("m.yaml", []byte(designedYAML))
	if err != nil {
		t.Fatal(err)
	}
	inv := plant()
	inv.Assets = append(inv.Assets, inventory.Asset{ID: "behind", Key: "ip:10.10.10.11|bacnet:net=5,adr=0a", Via: "plc11"},
		inventory.Asset{ID: "lost", Key: "ip:10.99.0.1|bacnet:net=5,adr=0b", Via: "nobody"})
	zoneOf, outside, _ := Assign(designed, inv)
	if zoneOf["behind"] != "control" {
		t.Errorf("device behind plc11 in %q, want control", zoneOf["behind"])
	}
	if !contains(outside, "lost") {
		t.Errorf("device behind an unknown gateway should be outside: %v", outside)
	}
	// Derive puts it on its gateway's network too.
	rs := ruleSet(t)
	_ = rules.Classify(inv, rs)
	m, _ := Derive(inv, rs, Options{})
	if m.ZoneOf()["behind"] != m.ZoneOf()["plc11"] {
		t.Errorf("derived: behind in %q, gateway in %q", m.ZoneOf()["behind"], m.ZoneOf()["plc11"])
	}
}

func TestCellsSameLAN(t *testing.T) {
	// Two HMIs on one LAN polling disjoint PLCs: one cell (the LAN is one
	// supervisory zone that reaches every controller).
	inv := &inventory.Inventory{Assets: []inventory.Asset{
		asset("p01", "10.0.0.1", "10"), asset("p02", "10.0.0.2", "10"), asset("h01", "10.0.1.1", "11"), asset("h02", "10.0.1.2", "11"),
	}, Communications: []inventory.Communication{cm("h01", "p01", "modbus", 502), cm("h02", "p02", "modbus", 502)}}
	for i := range inv.Assets[:2] {
		inv.Assets[i].Services = []inventory.Service{{Protocol: "modbus", Transport: "tcp", Port: 502, Role: "server"}}
	}
	rs := ruleSet(t)
	_ = rules.Classify(inv, rs)
	m, _ := Derive(inv, rs, Options{})
	if z := m.Zone("control-vlan10"); z == nil || len(z.Assets) != 2 {
		t.Errorf("want one control zone with both PLCs: %+v", m.Zones)
	}
}
