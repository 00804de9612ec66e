package rules

import (
	"fmt"
	"strings"
	"testing"
)

func TestBuiltinRulesParseStrictly(t *testing.T) {
	rs, err := Builtin()
	if err != nil {
		t.Fatalf("built-in rules: %v", err)
	}
	if len(rs) < 30 {
		t.Fatalf("only %d built-in rules", len(rs))
	}
	set, err := NewRuleSet(rs, nil)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := BuiltinFS().ReadDir("builtin")
	for _, f := range files {
		id := strings.TrimSuffix(f.Name(), ".yaml")
		r := set.Get(id)
		if r == nil {
			t.Errorf("%s: file name is not the id of the rule it holds", f.Name())
			continue
		}
		if r.Origin != OriginBuiltin {
			t.Errorf("%s: origin %q", id, r.Origin)
		}
	}
	if len(files) != len(set.Rules) {
		t.Errorf("%d files, %d rules: one rule per file", len(files), len(set.Rules))
	}
	for _, k := range []Kind{KindClassify, KindZone} {
		if len(set.ByKind(k)) == 0 {
			t.Errorf("no built-in %s rules", k)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"unknown top-level field", "id: a\nkind: classify\ntitle: t\nwhen: {offers: {protocol: modbus}}\nset: {device_type: plc}\nbecause: b\nprioirty: 5\n",
			`r.yaml:7:1: unknown field "prioirty"`},
		{"unknown condition key", "id: a\nkind: classify\ntitle: t\nwhen:\n  offerz: {protocol: modbus}\nset: {device_type: plc}\nbecause: b\n",
			`r.yaml:5:3: unknown field "offerz" in when`},
		{"wrong type", "id: a\nkind: classify\ntitle: t\npriority: high\nwhen: {offers: {protocol: modbus}}\nset: {device_type: plc}\nbecause: b\n",
			`r.yaml:4:11: priority: want an integer, got "high"`},
		{"two tests in one node", "id: a\nkind: classify\ntitle: t\nwhen:\n  offers: {protocol: modbus}\n  uses: {protocol: modbus}\nset: {device_type: plc}\nbecause: b\n",
			`r.yaml:5:3: rule "a": a condition needs exactly one of`},
		{"bad regex", "id: a\nkind: classify\ntitle: t\nwhen:\n  attribute: {key: x, matches: '(('}\nset: {device_type: plc}\nbecause: b\n",
			`r.yaml:5:32: rule "a": attribute.matches: bad regular expression`},
		{"bad cidr", "id: a\nkind: classify\ntitle: t\nwhen:\n  network: {cidr: [10.0.0.0/8, 10.1.2.3/40]}\nset: {device_type: plc}\nbecause: b\n",
			`r.yaml:5:32: rule "a": network.cidr: bad CIDR "10.1.2.3/40"`},
		{"unknown device type", "id: a\nkind: classify\ntitle: t\nwhen: {offers: {protocol: modbus}}\nset: {device_type: robot}\nbecause: b\n",
			`r.yaml:5:20: rule "a": unknown device_type "robot"`},
		{"level out of range", "id: a\nkind: classify\ntitle: t\nwhen: {offers: {protocol: modbus}}\nset: {purdue_level: 7}\nbecause: b\n",
			`r.yaml:5:21: rule "a": purdue_level 7 out of range`},
		{"bad id", "id: Bad_ID\nkind: classify\ntitle: t\nwhen: {offers: {protocol: modbus}}\nset: {device_type: plc}\nbecause: b\n",
			`r.yaml:1:5: rule "Bad_ID": id must be kebab-case`},
		{"unknown kind", "id: a\nkind: magic\ntitle: t\n", `r.yaml:2:7: rule "a": unknown kind "magic"`},
		{"duplicate key", "id: a\nid: b\n", `r.yaml:2:1: field "id" given twice`},
		{"yaml syntax", "id: a\n  kind: [\n", "r.yaml:2:"},
		{"bad op class", "id: a\nkind: classify\ntitle: t\nwhen: {issues: {class: [writes]}}\nset: {device_type: plc}\nbecause: b\n",
			`unknown operation class "writes"`},
		{"bad role", "id: a\nkind: classify\ntitle: t\nwhen: {offers: {role: [client]}}\nset: {device_type: plc}\nbecause: b\n",
			`offers.role: "client" is not one of server, outstation, publisher`},
		{"zone kind", "id: a\nkind: zone\ntitle: t\nwhen: {purdue_level: 1}\nzone: {kind: cell}\n",
			`r.yaml:5:14: rule "a": unknown zone kind "cell"`},
		{"finding severity", "id: a\nkind: finding\ntitle: t\ncheck: x\nseverity: severe\n",
			`r.yaml:5:11: rule "a": unknown severity "severe"`},
		{"empty file", "", "no rule in file"},
		{"missing because", "id: a\nkind: classify\ntitle: t\nwhen: {offers: {protocol: modbus}}\nset: {device_type: plc}\n",
			`needs because`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("r.yaml", []byte(tt.in), OriginUser)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant containing %q", err, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	in := `id: my-rule
kind: classify
title: t
priority: 120
when:
  all:
    - offers: {protocol: modbus, port: 502}
    - not: {network: {cidr: 192.168.0.0/16}}
    - any:
        - attribute: {key_prefix: modbus.}
        - vendor: '(?i)schneider'
set: {device_type: rtu}
because: b
---
id: my-finding
kind: finding
title: cleartext writes
severity: high
scope: conduit
conduit: {op_class: [write], encrypted: false, from_kind: [enterprise], to_kind: [control]}
references: {iec62443_3_3: ["SR 3.1"], attack_ics: [T0855]}
remediation: r
false_positives: f
params: {threshold: "3"}
`
	rs, err := Parse("u.yaml", []byte(in), OriginUser)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].ID != "my-rule" || rs[1].Kind != KindFinding {
		t.Fatalf("got %v", rs)
	}
	if got := rs[0].When.All[1].Not.Network.CIDR; len(got) != 1 || got[0] != "192.168.0.0/16" {
		t.Errorf("single scalar as list: %v", got)
	}
	if rs[0].Confidence != 0.5 {
		t.Errorf("default confidence %v", rs[0].Confidence)
	}
	if rs[1].References == nil || rs[1].References.AttackICS[0] != "T0855" || *rs[1].Conduit.Encrypted {
		t.Errorf("finding fields: %+v", rs[1])
	}
}

func TestRuleSetOverride(t *testing.T) {
	b, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	user := func(extra string) []*Rule {
		rs, err := Parse("u.yaml", []byte("id: plc-modbus-server\nkind: classify\ntitle: t\nwhen: {offers: {protocol: modbus}}\nset: {device_type: rtu}\nbecause: b\n"+extra), OriginUser)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	if _, err := NewRuleSet(b, user("")); err == nil || !strings.Contains(err.Error(), "set override: true") {
		t.Fatalf("want override error, got %v", err)
	}
	rs, err := NewRuleSet(b, user("override: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := rs.Get("plc-modbus-server"); r.Origin != OriginUser || r.Set.DeviceType != "rtu" {
		t.Errorf("override not applied: %+v", r)
	}
	rs, err = NewRuleSet(b, user("override: true\ndisabled: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.ByKind(KindClassify) {
		if r.ID == "plc-modbus-server" {
			t.Error("disabled rule evaluated")
		}
	}
	dup := append(user("override: true\n"), user("override: true\n")...)
	if _, err := NewRuleSet(b, dup); err == nil || !strings.Contains(err.Error(), "duplicate id") {
		t.Errorf("duplicate user ids: %v", err)
	}
}

func TestLooksLikeRuleFile(t *testing.T) {
	if !LooksLikeRuleFile([]byte("id: x\nkind: classify\n")) {
		t.Error("rule not recognised")
	}
	if LooksLikeRuleFile([]byte("zones:\n  - id: a\n")) {
		t.Error("model taken for a rule")
	}
	if LooksLikeRuleFile([]byte("[1, 2")) {
		t.Error("garbage taken for a rule")
	}
}

func TestAliasBomb(t *testing.T) {
	// 4^12 conditions after alias expansion from a 1 KB file.
	var b strings.Builder
	b.WriteString("a0: &a0 [{vendor: x}, {vendor: x}, {vendor: x}, {vendor: x}]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [{any: *a%d}, {any: *a%d}, {any: *a%d}, {any: *a%d}]\n", i, i, i-1, i-1, i-1, i-1)
	}
	b.WriteString("id: bomb\nkind: classify\ntitle: t\nwhen: {any: *a11}\nset: {device_type: plc}\nbecause: b\n")
	_, err := Parse("bomb.yaml", []byte(b.String()), OriginUser)
	if err == nil || !strings.Contains(err.Error(), "document too large") {
		t.Fatalf("err = %v", err)
	}
}
