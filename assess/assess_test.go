package assess

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	stdhtml "html"
	"strings"
	"testing"
	"time"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

var fixedNow = func() time.Time { return time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC) }

func ruleSet(t testing.TB) *rules.RuleSet {
	t.Helper()
	rs, err := rules.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func lv(n int) *int { return &n }

// plant is a small literal plant: an HMI, an EWS, a historian and an IT
// desktop, two PLCs, in four zones.
type plant struct {
	inv *inventory.Inventory
	m   *zones.Model
}

func newPlant() *plant {
	p := &plant{inv: &inventory.Inventory{}, m: &zones.Model{Source: "derived"}}
	add := func(id, ip, typ string, level int, zone string) {
		p.inv.Assets = append(p.inv.Assets, inventory.Asset{ID: id, IPs: []string{ip}, Hostnames: []string{id}, DeviceType: typ, PurdueLevel: lv(level)})
		z := p.m.Zone(zone)
		z.Assets = append(z.Assets, id)
	}
	for _, z := range []zones.Zone{
		{ID: "enterprise", Kind: zones.KindEnterprise, PurdueLevel: lv(4)},
		{ID: "operations", Kind: zones.KindOperations, PurdueLevel: lv(3)},
		{ID: "supervisory", Kind: zones.KindSupervisory, PurdueLevel: lv(2)},
		{ID: "control", Kind: zones.KindControl, PurdueLevel: lv(1)},
	} {
		z.SLTarget = zones.DefaultSLTarget(z.Kind)
		p.m.Zones = append(p.m.Zones, z)
	}
	add("it-desktop", "192.168.1.50", "workstation", 4, "enterprise")
	add("historian", "10.10.30.31", "historian", 3, "operations")
	add("hmi", "10.10.20.21", "hmi", 2, "supervisory")
	add("ews", "10.10.20.22", "engineering_workstation", 2, "supervisory")
	add("plc-1", "10.10.10.11", "plc", 1, "control")
	add("plc-2", "10.10.10.12", "plc", 1, "control")
	p.inv.Sources = []inventory.Source{{Kind: "pcap", Name: "t.pcap", Packets: 100, FirstSeen: fixedNow(), LastSeen: fixedNow().Add(time.Minute)}}
	return p
}

func (p *plant) comm(client, server, proto string, port int, packets uint64, ops ...inventory.Operation) *inventory.Communication {
	p.inv.Communications = append(p.inv.Communications, inventory.Communication{Client: client, Server: server, Protocol: proto, Transport: "tcp",
		Port: port, Packets: packets, Operations: ops, Source: "pcap:t.pcap#frame=1"})
	return &p.inv.Communications[len(p.inv.Communications)-1]
}

func op(name, class string, n uint64, frame string) inventory.Operation {
	return inventory.Operation{Name: name, Class: class, Count: n, Source: "pcap:t.pcap#frame=" + frame}
}

func (p *plant) conduits() {
	seen := map[[2]string]bool{}
	zoneOf := p.m.ZoneOf()
	for _, c := range p.inv.Communications {
		a, b := zoneOf[c.Client], zoneOf[c.Server]
		if a == b || a == "" || b == "" {
			continue
		}
		k := pair(a, b)
		if !seen[k] {
			seen[k] = true
			p.m.Conduits = append(p.m.Conduits, zones.Conduit{ID: k[0] + "--" + k[1], Zones: k, Protocols: []string{c.Protocol}})
		}
	}
}

func run(t *testing.T, p *plant) *Assessment {
	t.Helper()
	p.conduits()
	a, err := Run(p.inv, p.m, ruleSet(t), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func findingIDs(a *Assessment) []string {
	var out []string
	for _, f := range a.Findings {
		out = append(out, f.ID)
	}
	return out
}

func has(a *Assessment, id string) *Finding {
	for i := range a.Findings {
		if a.Findings[i].ID == id {
			return &a.Findings[i]
		}
	}
	return nil
}

func TestEmpty(t *testing.T) {
	a, err := Run(&inventory.Inventory{}, &zones.Model{}, ruleSet(t), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Findings) != 0 || a.Findings == nil || len(a.Compliance.IEC62443_3_3) != 100 {
		t.Errorf("empty: findings %v, %d SR rows", a.Findings, len(a.Compliance.IEC62443_3_3))
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, a); err != nil || !strings.Contains(b.String(), `"findings": []`) {
		t.Errorf("empty findings must be [] in JSON: %v", err)
	}
	if _, err := Run(nil, nil, ruleSet(t), Options{}); err == nil {
		t.Error("nil inputs: want an error")
	}
}

func TestCleartextCrossingOnly(t *testing.T) {
	// Below the threshold: HMI and PLC in one zone (no boundary) → nothing.
	p := newPlant()
	p.m.Zones[3].Assets = append(p.m.Zones[3].Assets, "hmi")
	p.m.Zones[2].Assets = []string{"ews"}
	p.comm("hmi", "plc-1", "modbus", 502, 10, op("read_holding_registers", "read", 5, "3"))
	if a := run(t, p); has(a, "conduit-cleartext-industrial@control") != nil || len(a.Findings) != 0 {
		t.Errorf("same-zone modbus reported: %v", findingIDs(a))
	}
	// Above: across supervisory→control, reads only → medium; with a write → high.
	p = newPlant()
	p.comm("hmi", "plc-1", "modbus", 502, 10, op("read_holding_registers", "read", 5, "3"))
	a := run(t, p)
	f := has(a, "conduit-cleartext-industrial@control--supervisory")
	if f == nil || f.Severity != "medium" {
		t.Fatalf("read-only crossing: %v", findingIDs(a))
	}
	p = newPlant()
	p.comm("hmi", "plc-1", "modbus", 502, 10, op("read_holding_registers", "read", 5, "3"), op("write_single_register", "write", 2, "9"))
	a = run(t, p)
	f = has(a, "conduit-cleartext-industrial@control--supervisory")
	if f == nil || f.Severity != "high" || f.EvidenceTotal != 2 || f.Evidence[1].Source != "pcap:t.pcap#frame=9" {
		t.Fatalf("write crossing: %+v", f)
	}
	if f.Conduit != "control--supervisory" || len(f.AffectedZones) != 2 {
		t.Errorf("conduit/zones: %q %v", f.Conduit, f.AffectedZones)
	}
	// Encrypted (TLS) or a lone packet to a broadcast address → nothing.
	p = newPlant()
	c := p.comm("hmi", "plc-1", "modbus", 802, 10, op("write_single_register", "write", 2, "9"))
	c.Attributes = []inventory.Attribute{{Key: "encrypted", Value: "true"}}
	if a := run(t, p); has(a, "conduit-cleartext-industrial@control--supervisory") != nil {
		t.Error("encrypted conduit reported as cleartext")
	}
}

func TestWriteFromUnexpectedSource(t *testing.T) {
	p := newPlant()
	p.comm("hmi", "plc-1", "modbus", 502, 4, op("write_single_register", "write", 1, "5"))
	p.comm("plc-2", "plc-1", "modbus", 502, 4, op("write_single_register", "write", 1, "6")) // peer PLC, same zone
	if a := run(t, p); has(a, "controller-write-unexpected-source@control") != nil {
		t.Errorf("HMI / same-zone PLC write reported: %v", findingIDs(a))
	}
	// An engineering workstation in the enterprise zone is not the plant's.
	p = newPlant()
	p.m.Zones[2].Assets = []string{"hmi"}
	p.m.Zones[0].Assets = append(p.m.Zones[0].Assets, "ews")
	p.comm("ews", "plc-1", "modbus", 502, 4, op("write_single_register", "write", 1, "5"))
	if a := run(t, p); has(a, "controller-write-unexpected-source@control") == nil {
		t.Errorf("EWS in the enterprise zone writing: %v", findingIDs(a))
	}
	p = newPlant()
	p.comm("historian", "plc-1", "modbus", 502, 4, op("write_single_register", "write", 3, "7"))
	a := run(t, p)
	f := has(a, "controller-write-unexpected-source@control")
	if f == nil || f.Severity != "high" || !strings.Contains(f.Because, "historian (historian) writes to plc-1") {
		t.Fatalf("historian write: %+v", f)
	}
}

func TestLifecycle(t *testing.T) {
	p := newPlant()
	p.comm("ews", "plc-1", "s7comm", 102, 8, op("read_var", "read", 1, "2"), op("request_download", "program", 1, "4"), op("plc_stop", "control", 1, "8"))
	a := run(t, p)
	if f := has(a, "controller-program-or-state-change@control"); f == nil || f.EvidenceTotal != 2 {
		t.Fatalf("EWS download not reported: %v", findingIDs(a))
	}
	if has(a, "controller-program-from-unexpected-host@control") != nil {
		t.Error("EWS reported as unexpected host")
	}
	p = newPlant()
	p.comm("hmi", "plc-1", "s7comm", 102, 8, op("upload", "program", 1, "4")) // an upload changes nothing
	p.comm("hmi", "plc-2", "s7comm", 102, 8, op("plc_stop", "control", 1, "5"))
	a = run(t, p)
	f := has(a, "controller-program-from-unexpected-host@control")
	if f == nil || len(f.Evidence) != 1 || !strings.Contains(f.Evidence[0].Detail, "plc_stop") {
		t.Fatalf("HMI stop: %+v", f)
	}
}

func TestOPCUA(t *testing.T) {
	none := func(p *plant, ops ...inventory.Operation) *inventory.Communication {
		c := p.comm("historian", "hmi", "opcua", 4840, 10, ops...)
		c.Attributes = []inventory.Attribute{{Key: "opcua.security_policy_uri", Value: "http://opcfoundation.org/UA/SecurityPolicy#None", Source: "pcap:t.pcap#frame=11"}}
		return c
	}
	// Discovery over None is what the specification allows: not reported.
	p := newPlant()
	none(p, op("open_secure_channel", "other", 1, "11"), op("get_endpoints", "discovery", 1, "12"))
	if a := run(t, p); has(a, "opcua-security-none@supervisory") != nil {
		t.Error("GetEndpoints over None reported")
	}
	p = newPlant()
	none(p, op("open_secure_channel", "other", 1, "11"), op("read", "read", 3, "15"))
	a := run(t, p)
	if f := has(a, "opcua-security-none@supervisory"); f == nil || f.Evidence[0].Source != "pcap:t.pcap#frame=11" {
		t.Fatalf("session over None: %v", findingIDs(a))
	}
	p = newPlant()
	c := p.comm("historian", "hmi", "opcua", 4840, 10, op("read", "read", 1, "3"))
	c.Attributes = []inventory.Attribute{{Key: "opcua.security_policy_uri", Value: "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"}}
	p.inv.Assets[2].Attributes = []inventory.Attribute{{Key: "opcua.security_policy_uri", Value: "http://opcfoundation.org/UA/SecurityPolicy#Basic128Rsa15", Source: "pcap:t.pcap#frame=2"}}
	a = run(t, p)
	if has(a, "opcua-security-none@supervisory") != nil || has(a, "opcua-deprecated-policy@supervisory") == nil {
		t.Errorf("Basic256Sha256 session with a Basic128Rsa15 endpoint offered: %v", findingIDs(a))
	}
}

func TestInsecureManagement(t *testing.T) {
	p := newPlant()
	v3 := p.comm("hmi", "plc-1", "snmp", 161, 4)
	v3.Attributes = []inventory.Attribute{{Key: "snmp.version", Value: "v3"}}
	if a := run(t, p); has(a, "insecure-management-service@control") != nil {
		t.Error("SNMPv3 reported")
	}
	p = newPlant()
	v2 := p.comm("hmi", "plc-1", "snmp", 161, 4)
	v2.Attributes = []inventory.Attribute{{Key: "snmp.version", Value: "v2c"}}
	p.comm("ews", "plc-2", "telnet", 23, 30)
	a := run(t, p)
	if f := has(a, "insecure-management-service@control"); f == nil || f.EvidenceTotal != 2 {
		t.Fatalf("SNMPv2c + telnet to PLCs: %v", findingIDs(a))
	}
}

func TestITToControllerAndRemoteAccess(t *testing.T) {
	p := newPlant()
	p.comm("it-desktop", "plc-1", "s7comm", 102, 6, op("read_var", "read", 1, "3"))
	p.comm("it-desktop", "hmi", "rdp", 3389, 300)
	a := run(t, p)
	if f := has(a, "it-to-controller-without-dmz@control--enterprise"); f == nil || f.Severity != "critical" {
		t.Errorf("IT → PLC: %v", findingIDs(a))
	}
	if has(a, "remote-access-into-control@enterprise--supervisory") == nil {
		t.Errorf("RDP from enterprise into supervisory: %v", findingIDs(a))
	}
	// RDP inside one zone is administration, not remote access from outside.
	p = newPlant()
	p.comm("ews", "hmi", "rdp", 3389, 300)
	if a := run(t, p); has(a, "remote-access-into-control@supervisory") != nil {
		t.Error("same-zone RDP reported")
	}
}

func TestFlatNetworkAndInternet(t *testing.T) {
	p := newPlant()
	for i := range p.inv.Assets {
		if id := p.inv.Assets[i].ID; id == "it-desktop" || id == "plc-1" {
			p.inv.Assets[i].Attributes = append(p.inv.Assets[i].Attributes, inventory.Attribute{Key: "net.vlan", Value: "10", Source: "pcap:t.pcap#frame=" + id})
		}
	}
	// Routed through the core router, the IT desktop is seen on VLAN 10 but has no MAC there: not flat.
	if a := run(t, p); has(a, "flat-network@control") != nil {
		t.Errorf("routed host counted on the controllers' VLAN: %v", findingIDs(a))
	}
	p.m.Conduits = nil
	for i := range p.inv.Assets {
		p.inv.Assets[i].MACs = []string{fmt.Sprintf("00:0c:29:00:00:%02x", i)}
	}
	p.inv.Assets = append(p.inv.Assets, inventory.Asset{ID: "cloud", IPs: []string{"3.15.227.20"}, DeviceType: "unknown"})
	p.comm("historian", "cloud", "https", 443, 20)
	p.inv.Assets = append(p.inv.Assets, inventory.Asset{ID: "doc", IPs: []string{"203.0.113.80"}, DeviceType: "unknown"})
	p.comm("hmi", "doc", "http", 80, 20)
	a := run(t, p)
	if f := has(a, "flat-network@control"); f == nil || !strings.Contains(f.Because, "vlan:10 holds 1 controller(s) and 1 level 4/5 host(s)") {
		t.Errorf("flat VLAN: %v", findingIDs(a))
	}
	// 3.15.227.20 is public; zoneOf has no zone for it, so the OT side (historian's zone) carries it.
	if f := has(a, "internet-routable-peer@operations"); f == nil || !strings.Contains(f.Because, "3.15.227.20") {
		t.Errorf("public peer: %v", findingIDs(a))
	}
	if has(a, "internet-routable-peer@supervisory") != nil {
		t.Error("documentation range 203.0.113.0/24 counted as internet")
	}
}

func TestTimeSyncAndUnknown(t *testing.T) {
	p := newPlant() // one minute of traffic
	a := run(t, p)
	if has(a, "no-time-sync@site") != nil || !notEvaluated(a, "no-time-sync") {
		t.Errorf("short capture: %v %v", findingIDs(a), a.NotEvaluated)
	}
	p = newPlant()
	p.inv.Sources[0].LastSeen = fixedNow().Add(2 * time.Hour)
	p.inv.Sources[0].Packets = 100 // sparse: 100 packets in 2 hours
	if a := run(t, p); !notEvaluated(a, "no-time-sync") {
		t.Error("sparse capture evaluated")
	}
	p.inv.Sources[0].Packets = 100000
	if a := run(t, p); has(a, "no-time-sync@site") == nil {
		t.Errorf("2 h dense capture without NTP: %v", findingIDs(a))
	}
	p.comm("hmi", "historian", "ntp", 123, 4)
	if a := run(t, p); has(a, "no-time-sync@site") != nil {
		t.Error("NTP seen but reported")
	}
	// Unknown assets: one packet is not enough, two are.
	p = newPlant()
	p.inv.Assets = append(p.inv.Assets, inventory.Asset{ID: "mystery", IPs: []string{"10.10.10.99"}, DeviceType: "unknown"})
	p.m.Zones[3].Assets = append(p.m.Zones[3].Assets, "mystery")
	p.inv.Assets = append(p.inv.Assets, inventory.Asset{ID: "lo", IPs: []string{"127.0.0.1"}, DeviceType: "unknown"})
	p.m.Zones[3].Assets = append(p.m.Zones[3].Assets, "lo")
	p.comm("lo", "plc-1", "unknown", 9999, 50) // the capture host itself
	p.comm("mystery", "plc-1", "unknown", 9999, 1)
	if a := run(t, p); has(a, "unknown-asset@control") != nil {
		t.Error("single-packet unknown asset reported")
	}
	if a := run(t, p); has(a, "unknown-asset@control") != nil {
		t.Error("loopback-only asset reported as unknown")
	}
	p.inv.Communications[1].Packets = 2
	if a := run(t, p); has(a, "unknown-asset@control") == nil || len(has(a, "unknown-asset@control").Assets) != 1 {
		t.Error("unknown asset not reported (alone)")
	}
}

func notEvaluated(a *Assessment, rule string) bool {
	for _, n := range a.NotEvaluated {
		if n.Rule == rule {
			return true
		}
	}
	return false
}

func TestUndeclaredConduit(t *testing.T) {
	p := newPlant()
	p.m.Source = "zones.yaml"
	p.m.Violations = []zones.Violation{{Kind: zones.ViolationUndeclaredConduit, Detail: "enterprise → control undeclared", Zones: []string{"enterprise", "control"},
		Communications: []zones.CommRef{{Client: "it-desktop", Server: "plc-1", Protocol: "s7comm", Port: 102, Evidence: "pcap:t.pcap#frame=42"}}}}
	a := run(t, p)
	f := has(a, "conduit-undeclared@control--enterprise")
	if f == nil || f.Evidence[0].Source != "pcap:t.pcap#frame=42" {
		t.Fatalf("undeclared: %v", findingIDs(a))
	}
	// Without a designed model the rule is listed as not evaluated.
	p = newPlant()
	if a := run(t, p); !notEvaluated(a, "conduit-undeclared") {
		t.Error("derived model: undeclared-conduit rule should be not evaluated")
	}
}

// TestGapOnlyWhereSLTRequires: the same violation is a gap at SL-T 2 and
// not at SL-T 0/1 for requirements whose min_sl is 2 (SR 1.2).
func TestGapOnlyWhereSLTRequires(t *testing.T) {
	build := func(target zones.SecurityLevel) FRScore {
		p := newPlant()
		p.m.Zones[2].SLTarget = zones.Uniform(target)
		p.m.Zones[3].SLTarget = zones.Uniform(target)
		p.comm("hmi", "plc-1", "modbus", 502, 10, op("read_coils", "read", 1, "3"))
		a := run(t, p)
		for _, z := range a.Zones {
			if z.Zone == "control" {
				return z.FR[0] // FR1: cleartext refs SR 1.2 (min_sl 2)
			}
		}
		t.Fatal("no control zone")
		return FRScore{}
	}
	if c := build(2); c.Status != StatusGap || c.Gap != 1 || *c.Achieved != 1 {
		t.Errorf("SL-T 2: %+v", c)
	}
	if c := build(1); c.Status != StatusMeetsSeen || c.Gap != 0 || *c.Achieved != 1 {
		t.Errorf("SL-T 1 (SR 1.2 needs 2): %+v", c)
	}
	if c := build(0); c.Status == StatusGap {
		t.Errorf("SL-T 0: %+v", c)
	}
	// FR3: SR 3.1 (min 1) caps SL-A at 0 → gap = SL-T.
	p := newPlant()
	p.comm("hmi", "plc-1", "modbus", 502, 10, op("read_coils", "read", 1, "3"))
	a := run(t, p)
	for _, z := range a.Zones {
		if z.Zone == "control" {
			if z.Gap["FR3"] != 2 || z.SLAchieved["FR3"] != 0 || z.FR[5].Status == StatusGap {
				t.Errorf("control zone: gap %v achieved %v FR6 %+v", z.Gap, z.SLAchieved, z.FR[5])
			}
		}
		if z.Zone == "operations" && len(z.Gap) != 0 {
			t.Errorf("operations has no findings but gaps %v", z.Gap)
		}
	}
}

func TestReferencesNeverClaimUnverified(t *testing.T) {
	p := newPlant()
	p.comm("hmi", "plc-1", "modbus", 502, 10, op("read_coils", "read", 1, "3"))
	a := run(t, p)
	f := has(a, "conduit-cleartext-industrial@control--supervisory")
	if f == nil {
		t.Fatal("no finding")
	}
	// data/nist-800-82r3.yaml: 5.2.3 verified, 6.2.3 unverified.
	want := []string{"5.2.3", "6.2.3 (unverified)", "F.7"}
	if strings.Join(f.References.NIST800_82r3, "|") != strings.Join(want, "|") {
		t.Errorf("800-82r3 refs %v, want %v", f.References.NIST800_82r3, want)
	}
	if !f.ReferencesUnverified || len(f.References.AttackICS) == 0 || len(f.References.CSF2_0) == 0 || len(f.References.IEC62443_3_2) == 0 {
		t.Errorf("references: %+v", f.References)
	}
	for _, d := range f.ReferenceDetails {
		if d.Framework == "nist_800_53r5" && d.ID == "SC-8" && (d.Basis != "ATTACK" || d.Unverified) {
			t.Errorf("SC-8 basis: %+v", d)
		}
		if d.Framework == "nist_800_53r5" && d.ID == "SC-13" && (d.Basis != "ANALYST" || !d.Unverified) {
			t.Errorf("SC-13 basis: %+v", d)
		}
	}
	// Every output format shows the unverified section marked.
	var md, js bytes.Buffer
	WriteMarkdown(&md, a, nil)
	WriteJSON(&js, a)
	for name, out := range map[string]string{"md": md.String(), "json": js.String()} {
		if strings.Contains(strings.ReplaceAll(out, "6.2.3 (unverified)", ""), "6.2.3") && name == "json" {
			t.Errorf("%s prints 6.2.3 without (unverified)", name)
		}
	}
	// Compliance: SR 3.1 gap, SR 7.8 observable (unknown-asset) but no gap, SR 1.1 not observable.
	st := map[string]string{}
	for _, r := range a.Compliance.IEC62443_3_3 {
		st[r.ID] = r.Status
	}
	if st["SR 3.1"] != CompGap || st["SR 7.8"] != CompNoGapSeen || st["SR 1.1"] != CompNotObservable {
		t.Errorf("compliance: SR 3.1 %q, SR 7.8 %q, SR 1.1 %q", st["SR 3.1"], st["SR 7.8"], st["SR 1.1"])
	}
	for _, r := range a.Compliance.NIST800_82r3 {
		if strings.HasPrefix(r.ID, "6.2.3") && r.ID != "6.2.3 (unverified)" {
			t.Errorf("compliance row %q", r.ID)
		}
	}
}

func TestFIPS199Baseline(t *testing.T) {
	p := newPlant()
	p.m.Zones[3].FIPS199 = &zones.FIPS199{Confidentiality: zones.ImpactLow, Integrity: zones.ImpactHigh, Availability: zones.ImpactModerate}
	a := run(t, p)
	for _, z := range a.Zones {
		if z.Zone == "control" {
			if z.FIPS199 == nil || z.FIPS199.HighWater != "high" || z.FIPS199.Baseline != "HIGH" {
				t.Errorf("FIPS 199: %+v", z.FIPS199)
			}
		}
	}
}

func TestEvidenceCappedButCounted(t *testing.T) {
	p := newPlant()
	for i := 0; i < 30; i++ {
		p.inv.Assets = append(p.inv.Assets, inventory.Asset{ID: "h" + string(rune('a'+i)), DeviceType: "historian", PurdueLevel: lv(3)})
		p.m.Zones[1].Assets = append(p.m.Zones[1].Assets, "h"+string(rune('a'+i)))
		p.comm("h"+string(rune('a'+i)), "plc-1", "modbus", 502, 2, op("write_single_coil", "write", 1, string(rune('0'+i%10))+"0"))
	}
	a := run(t, p)
	f := has(a, "controller-write-unexpected-source@control")
	if f == nil || len(f.Evidence) != 10 || f.EvidenceTotal != 30 {
		t.Fatalf("evidence cap: %d of %d", len(f.Evidence), f.EvidenceTotal)
	}
	if !strings.Contains(f.Because, "and 24 more") {
		t.Errorf("because not capped: %s", f.Because)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, a); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["schema"] != Schema {
		t.Errorf("json round trip: %v", err)
	}
}

func TestHTMLEscapesHostileNames(t *testing.T) {
	p := newPlant()
	evil := []string{`<script>window.pwned=1</script>`, `"><img src=x onerror=window.pwned=2>`, `=cmd|' /C calc'!A0`, "line\nbreak", `</style><script>window.pwned=3</script>`}
	for i, e := range evil {
		p.inv.Assets[i].Hostnames = []string{e}
		p.inv.Assets[i].Vendor = e
	}
	p.comm("historian", "plc-1", "modbus", 502, 4, op("write_single_register", "write", 1, "5"))
	a := run(t, p)
	var b bytes.Buffer
	if err := WriteHTML(context.Background(), &b, a, Diagram(a, p.m, p.inv, "assets")); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, e := range []string{"<script>window", "<img src=x", "</style><script>"} {
		if strings.Contains(html, e) {
			t.Errorf("raw %q in HTML", e)
		}
	}
	if strings.Count(html, "<script") != 1 || !strings.Contains(html, "&lt;script&gt;window.pwned=1&lt;/script&gt;") {
		t.Errorf("want exactly the report's own script and the hostile name escaped; %d <script", strings.Count(html, "<script"))
	}
	if !strings.Contains(html, `http-equiv="Content-Security-Policy"`) || !strings.Contains(stdhtml.UnescapeString(html), "script-src 'sha256-") {
		t.Error("CSP missing")
	}
	for _, ext := range []string{`src="http`, `href="http`, `@import`, `url(http`} {
		if strings.Contains(html, ext) {
			t.Errorf("external resource %q referenced", ext)
		}
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, a, Diagram(a, p.m, p.inv, "assets")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "<script") || strings.Contains(md.String(), "<img") {
		t.Error("raw HTML from a hostile name in Markdown")
	}
}

func TestDataFiles(t *testing.T) {
	d, err := LoadData()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sources) != 8 {
		t.Errorf("data sources: %d", len(d.Sources))
	}
	// Spot checks against IEC 62443-3-3 Table B.1 as the shared reference records it.
	for id, min := range map[string]int{"SR 1.1": 1, "SR 1.2": 2, "SR 3.1 RE 1": 3, "SR 5.2 RE 1": 2} {
		if q := d.Requirement(id); q == nil || q.MinSL != min {
			t.Errorf("%s: %+v, want min_sl %d", id, q, min)
		}
	}
	if d.Section82("5.2.3") != "5.2.3" || d.Section82("6.2.3") != "6.2.3 (unverified)" || d.Section82("9.9") != "9.9 (unverified)" {
		t.Error("Section82 marking")
	}
	if d.Baseline("moderate") != "MODERATE" {
		t.Error("FIPS 199 baseline")
	}
	// Every finding rule names a known check and a crosswalk family.
	for _, r := range ruleSet(t).ByKind(rules.KindFinding) {
		if checks[r.Check] == nil {
			t.Errorf("rule %s: unknown check %q", r.ID, r.Check)
		}
		if d.Crosswalk[r.Params["crosswalk"]] == nil {
			t.Errorf("rule %s: unknown crosswalk %q", r.ID, r.Params["crosswalk"])
		}
		if r.References == nil || len(r.References.IEC62443_3_3) == 0 || len(r.References.NIST800_82r3) == 0 || len(r.References.CSF2_0) == 0 ||
			len(r.References.NIST800_53r5) == 0 || len(r.References.IEC62443_3_2) == 0 {
			t.Errorf("rule %s: missing references", r.ID)
		}
		if r.Remediation == "" || r.FalsePositives == "" {
			t.Errorf("rule %s: missing remediation or false positives", r.ID)
		}
		for _, id := range r.References.IEC62443_3_3 {
			if d.Requirement(id) == nil {
				t.Errorf("rule %s: unknown requirement %q", r.ID, id)
			}
		}
	}
}

// synthetic2000 is a 2,000-asset plant: 40 control zones of 48 PLCs, each
// polled (and written) by one HMI in a supervisory zone, plus a historian.
func synthetic2000() (*inventory.Inventory, *zones.Model) {
	inv := &inventory.Inventory{Sources: []inventory.Source{{Name: "synthetic.pcap", Packets: 1 << 20, FirstSeen: fixedNow(), LastSeen: fixedNow().Add(time.Hour)}}}
	m := &zones.Model{Source: "derived"}
	m.Zones = append(m.Zones, zones.Zone{ID: "supervisory", Kind: zones.KindSupervisory, PurdueLevel: lv(2), SLTarget: zones.DefaultSLTarget(zones.KindSupervisory)})
	for z := 0; z < 40; z++ {
		zid := fmt.Sprintf("control-%02d", z)
		m.Zones = append(m.Zones, zones.Zone{ID: zid, Kind: zones.KindControl, PurdueLevel: lv(1), SLTarget: zones.DefaultSLTarget(zones.KindControl)})
		hmi := fmt.Sprintf("hmi-%02d", z)
		inv.Assets = append(inv.Assets, inventory.Asset{ID: hmi, IPs: []string{fmt.Sprintf("10.20.%d.10", z)}, DeviceType: "hmi", PurdueLevel: lv(2)})
		m.Zones[0].Assets = append(m.Zones[0].Assets, hmi)
		for i := 0; i < 48; i++ {
			id := fmt.Sprintf("plc-%02d-%02d", z, i)
			inv.Assets = append(inv.Assets, inventory.Asset{ID: id, IPs: []string{fmt.Sprintf("10.10.%d.%d", z, i+1)}, MACs: []string{fmt.Sprintf("00:80:f4:00:%02x:%02x", z, i)},
				DeviceType: "plc", PurdueLevel: lv(1), Attributes: []inventory.Attribute{{Key: "net.vlan", Value: fmt.Sprint(100 + z)}}})
			m.Zones[z+1].Assets = append(m.Zones[z+1].Assets, id)
			inv.Communications = append(inv.Communications, inventory.Communication{Client: hmi, Server: id, Protocol: "modbus", Port: 502, Packets: 1000,
				Source:     fmt.Sprintf("pcap:synthetic.pcap#frame=%d", len(inv.Communications)+1),
				Operations: []inventory.Operation{{Name: "read_holding_registers", Class: "read", Count: 900}, {Name: "write_single_register", Class: "write", Count: 3}}})
		}
		m.Conduits = append(m.Conduits, zones.Conduit{ID: zid + "--supervisory", Zones: [2]string{zid, "supervisory"}, Protocols: []string{"modbus"}, Operations: map[string]uint64{"write": 144}})
	}
	for len(inv.Assets) < 2000 {
		id := fmt.Sprintf("hist-%d", len(inv.Assets))
		inv.Assets = append(inv.Assets, inventory.Asset{ID: id, DeviceType: "historian", PurdueLevel: lv(3)})
	}
	return inv, m
}

// BenchmarkReport2000 runs the assessment and renders the HTML report
// (with the in-process SVG diagram) of a synthetic 2,000-asset plant.
func BenchmarkReport2000(b *testing.B) {
	inv, m := synthetic2000()
	rs := ruleSet(b)
	for i := 0; i < b.N; i++ {
		a, err := Run(inv, m, rs, Options{Now: fixedNow})
		if err != nil {
			b.Fatal(err)
		}
		var out bytes.Buffer
		if err := WriteHTML(context.Background(), &out, a, Diagram(a, m, inv, "zones")); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(out.Len()), "html-bytes")
	}
}

func BenchmarkAssess2000(b *testing.B) {
	inv, m := synthetic2000()
	rs := ruleSet(b)
	for i := 0; i < b.N; i++ {
		if _, err := Run(inv, m, rs, Options{Now: fixedNow}); err != nil {
			b.Fatal(err)
		}
	}
}
