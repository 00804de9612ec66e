package zones

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseSecurityLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    SecurityLevel
		wantErr bool
	}{
		{"0", SL0, false},
		{"2", SL2, false},
		{"4", SL4, false},
		{"SL3", SL3, false},
		{" sl 1 ", SL1, false},
		{"5", 0, true},
		{"-1", 0, true},
		{"", 0, true},
		{"two", 0, true},
		{"2.5", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSecurityLevel(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSecurityLevel(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("ParseSecurityLevel(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSecurityLevelStringJSONYAML(t *testing.T) {
	for l := SL0; l <= SL4; l++ {
		if got, want := l.String(), "SL"+string(rune('0'+l)); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		b, err := json.Marshal(l)
		if err != nil || string(b) != string(rune('0'+l)) {
			t.Errorf("json %v: %s %v", l, b, err)
		}
		var back SecurityLevel
		if err := json.Unmarshal(b, &back); err != nil || back != l {
			t.Errorf("json round trip %v: got %v %v", l, back, err)
		}
		y, err := yaml.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var yb SecurityLevel
		if err := yaml.Unmarshal(y, &yb); err != nil || yb != l {
			t.Errorf("yaml round trip %v: %q -> %v %v", l, y, yb, err)
		}
	}
	if _, err := json.Marshal(SecurityLevel(7)); err == nil {
		t.Error("marshal SL7: want error")
	}
	var l SecurityLevel
	if err := yaml.Unmarshal([]byte("5"), &l); err == nil {
		t.Error("yaml 5: want error")
	}
}

func TestParseFoundationalRequirement(t *testing.T) {
	tests := []struct {
		in      string
		want    FoundationalRequirement
		wantErr bool
	}{
		{"FR1", FR1, false},
		{"fr7", FR7, false},
		{"FR 3", FR3, false},
		{"4", FR4, false},
		{"IAC", FR1, false},
		{"rdf", FR5, false},
		{"RA", FR7, false},
		{"FR0", 0, true},
		{"FR8", 0, true},
		{"", 0, true},
		{"XX", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseFoundationalRequirement(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	for _, fr := range FoundationalRequirements {
		back, err := ParseFoundationalRequirement(fr.String())
		if err != nil || back != fr {
			t.Errorf("%v round trip: %v %v", fr, back, err)
		}
		back, err = ParseFoundationalRequirement(fr.Abbrev())
		if err != nil || back != fr {
			t.Errorf("%v abbrev %q round trip: %v %v", fr, fr.Abbrev(), back, err)
		}
		if fr.Title() == "" {
			t.Errorf("%v: empty title", fr)
		}
	}
	if FoundationalRequirement(0).Valid() || FoundationalRequirement(8).Valid() {
		t.Error("FR0/FR8 valid")
	}
}

func TestSLVectorJSON(t *testing.T) {
	v := SLVector{2, 2, 2, 1, 2, 2, 1}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// The CONTRACT.md example, keys in FR order.
	want := `{"FR1":2,"FR2":2,"FR3":2,"FR4":1,"FR5":2,"FR6":2,"FR7":1}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var back SLVector
	if err := json.Unmarshal(b, &back); err != nil || back != v {
		t.Errorf("round trip: %v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"FR9":1}`), &back); err == nil {
		t.Error("FR9: want error")
	}
	if err := json.Unmarshal([]byte(`{"FR1":5}`), &back); err == nil {
		t.Error("level 5: want error")
	}
	if v.Compact() != "2221221" || v.Max() != SL2 || v.Get(FR4) != SL1 {
		t.Errorf("Compact %q Max %v Get(FR4) %v", v.Compact(), v.Max(), v.Get(FR4))
	}
}

func TestSLVectorYAML(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    SLVector
		wantErr string
	}{
		{"number", "3", Uniform(SL3), ""},
		{"string level", `"SL2"`, Uniform(SL2), ""},
		{"map", "{FR1: 2, FR5: 3}", SLVector{2, 0, 0, 0, 3, 0, 0}, ""},
		{"map by abbrev", "{IAC: 1, RA: 4}", SLVector{1, 0, 0, 0, 0, 0, 4}, ""},
		{"too high", "5", SLVector{}, `1:1: unknown sl_target "5"`},
		{"bad fr", "{FR8: 1}", SLVector{}, `1:2: unknown foundational requirement "FR8"`},
		{"bad level in map", "{FR1: 9}", SLVector{}, `1:7: FR1: unknown security level "9"`},
		{"duplicate fr", "{FR1: 1, fr1: 2}", SLVector{}, "FR1 given twice"},
		{"list", "[1, 2]", SLVector{}, "want a number 0 to 4 or a map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.in), &doc); err != nil {
				t.Fatal(err)
			}
			got, err := ParseSLVectorNode(doc.Content[0])
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v %v, want %v", got, err, tt.want)
			}
		})
	}
	// Marshal and read back.
	v := SLVector{1, 2, 3, 4, 0, 1, 2}
	b, err := yaml.Marshal(struct {
		SL SLVector `yaml:"sl"`
	}{v})
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		SL SLVector `yaml:"sl"`
	}
	if err := yaml.Unmarshal(b, &back); err != nil || back.SL != v {
		t.Fatalf("yaml round trip %q: %v %v", b, back.SL, err)
	}
}

func TestZoneKind(t *testing.T) {
	for _, k := range ZoneKinds {
		got, err := ParseZoneKind(strings.ToUpper(k.String()))
		if err != nil || got != k {
			t.Errorf("ParseZoneKind(%q) = %v %v", k, got, err)
		}
		b, err := json.Marshal(k)
		if err != nil || string(b) != `"`+k.String()+`"` {
			t.Errorf("json %v = %s %v", k, b, err)
		}
		var back ZoneKind
		if err := json.Unmarshal(b, &back); err != nil || back != k {
			t.Errorf("json back %v: %v %v", k, back, err)
		}
		y, _ := yaml.Marshal(k)
		var yb ZoneKind
		if err := yaml.Unmarshal(y, &yb); err != nil || yb != k {
			t.Errorf("yaml back %v: %v %v", k, yb, err)
		}
	}
	for _, bad := range []string{"", "plant", "level1"} {
		if _, err := ParseZoneKind(bad); err == nil {
			t.Errorf("ParseZoneKind(%q): want error", bad)
		}
	}
	if _, err := json.Marshal(ZoneKind(99)); err == nil {
		t.Error("marshal kind 99: want error")
	}
	// The contract lists exactly these kinds.
	want := "enterprise|dmz|operations|supervisory|control|safety|field|external|unassigned"
	for _, name := range strings.Split(want, "|") {
		if _, err := ParseZoneKind(name); err != nil {
			t.Errorf("contract kind %q: %v", name, err)
		}
	}
	if len(ZoneKinds) != len(strings.Split(want, "|")) {
		t.Errorf("%d kinds, contract has %d", len(ZoneKinds), len(strings.Split(want, "|")))
	}
}

func TestKindForLevelAndDefaults(t *testing.T) {
	tests := []struct {
		level int
		kind  ZoneKind
	}{{0, KindField}, {1, KindControl}, {2, KindSupervisory}, {3, KindOperations}, {4, KindEnterprise}, {5, KindEnterprise}}
	for _, tt := range tests {
		if got := KindForLevel(tt.level); got != tt.kind {
			t.Errorf("KindForLevel(%d) = %v, want %v", tt.level, got, tt.kind)
		}
		if lv := tt.kind.DefaultLevel(); tt.level <= 4 && lv != tt.level {
			t.Errorf("%v.DefaultLevel() = %d, want %d", tt.kind, lv, tt.level)
		}
	}
	for _, k := range ZoneKinds {
		v := DefaultSLTarget(k)
		for i, l := range v {
			if !l.Valid() {
				t.Errorf("%v FR%d default %d invalid", k, i+1, l)
			}
		}
	}
	if DefaultSLTarget(KindSafety).Max() <= DefaultSLTarget(KindControl).Max() {
		t.Error("safety default should exceed control")
	}
	if DefaultSLTarget(KindExternal) != (SLVector{}) {
		t.Error("external default should be all SL0")
	}
}

func TestParseDirectionAndImpact(t *testing.T) {
	for in, want := range map[string]Direction{"": DirectionAny, "any": DirectionAny, "a_to_b": DirectionAtoB, "A->B": DirectionAtoB, "b_to_a": DirectionBtoA, "both": DirectionBoth} {
		got, err := ParseDirection(in)
		if err != nil || got != want {
			t.Errorf("ParseDirection(%q) = %v %v, want %v", in, got, err, want)
		}
	}
	if _, err := ParseDirection("up"); err == nil {
		t.Error("direction up: want error")
	}
	for in, want := range map[string]Impact{"low": ImpactLow, "Moderate": ImpactModerate, "HIGH": ImpactHigh} {
		got, err := ParseImpact(in)
		if err != nil || got != want {
			t.Errorf("ParseImpact(%q) = %v %v", in, got, err)
		}
	}
	if _, err := ParseImpact("medium"); err == nil {
		t.Error("impact medium: want error")
	}
	f := FIPS199{Confidentiality: ImpactLow, Integrity: ImpactHigh, Availability: ImpactModerate}
	if f.HighWater() != ImpactHigh {
		t.Errorf("HighWater = %v", f.HighWater())
	}
	b, _ := json.Marshal(f)
	if string(b) != `{"confidentiality":"low","integrity":"high","availability":"moderate"}` {
		t.Errorf("fips199 json %s", b)
	}
}

func TestModelJSONKeys(t *testing.T) {
	lvl := 1
	m := Model{Schema: Schema,
		Zones:      []Zone{{ID: "control-10.10.10.0-24", Name: "Control", Kind: KindControl, PurdueLevel: &lvl, Assets: []string{"a1"}, SLTarget: DefaultSLTarget(KindControl), Why: []string{"x"}}},
		Conduits:   []Conduit{{ID: "c1", Zones: [2]string{"a", "b"}, Protocols: []string{"modbus"}, Communications: 3}},
		Violations: []Violation{{Kind: ViolationUnusedConduit, Detail: "d"}},
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	// CONTRACT.md otzone.zones/v1 keys.
	zone := generic["zones"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "name", "kind", "purdue_level", "assets", "sl_target", "declared", "why"} {
		if _, ok := zone[k]; !ok {
			t.Errorf("zone key %q missing in %s", k, b)
		}
	}
	cond := generic["conduits"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "zones", "protocols", "communications", "encrypted", "declared", "why"} {
		if _, ok := cond[k]; !ok {
			t.Errorf("conduit key %q missing in %s", k, b)
		}
	}
	v := generic["violations"].([]any)[0].(map[string]any)
	for _, k := range []string{"kind", "detail", "communications"} {
		if _, ok := v[k]; !ok {
			t.Errorf("violation key %q missing in %s", k, b)
		}
	}
	if generic["schema"] != "otzone.zones/v1" {
		t.Errorf("schema %v", generic["schema"])
	}
}
