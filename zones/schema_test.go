package zones

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/otzone/otzone/internal/testutil"
	"github.com/otzone/otzone/rules"
)

func readModelSchema(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("schema/model.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func props(t *testing.T, schema []byte, def string) []string {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil {
		t.Fatalf("schema is not valid JSON: %v", err)
	}
	node := root
	if def != "" {
		node, _ = root["$defs"].(map[string]any)[def].(map[string]any)
		if node == nil {
			t.Fatalf("schema has no $defs/%s", def)
		}
	}
	var out []string
	for k := range node["properties"].(map[string]any) {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func keysOf(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if name, ok := rules.YAMLName(t.Field(i)); ok && t.Field(i).IsExported() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// TestModelSchemaMatchesStructs keeps zones/schema/model.schema.json and
// the input structs from drifting apart.
func TestModelSchemaMatchesStructs(t *testing.T) {
	schema := readModelSchema(t)
	for def, v := range map[string]any{"": ModelInput{}, "zone": ZoneInput{}, "fips199": FIPS199Input{}, "members": MembersInput{},
		"select": SelectorInput{}, "conduit": ConduitInput{}} {
		if got, want := props(t, schema, def), keysOf(v); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("schema %q properties %v, Go struct %T reads %v", def, got, v, want)
		}
	}
}

func checkModelSchema(t *testing.T, name string, data []byte) {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	errs, err := rules.CheckSchema(readModelSchema(t), doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("%s: %s", name, e)
	}
}

func TestDemoModel(t *testing.T) {
	path := filepath.Join(testutil.RepoRoot(), "testdata", "models", "demo.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkModelSchema(t, path, data)
	m, err := ParseModel(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Zones) != 7 || len(m.Conduits) != 5 {
		t.Errorf("demo model: %d zones, %d conduits", len(m.Zones), len(m.Conduits))
	}
	// The PROFINET device's /32 and MAC beat the control zone's /24 and VLAN;
	// the router's MAC beats every subnet.
	inv, _ := derived(t)
	inv.Assets = append(inv.Assets, asset("pn16", "10.10.10.16", "10"), asset("rt01", "10.10.10.1", "10"))
	inv.Assets[len(inv.Assets)-1].MACs = []string{"00:1b:54:10:00:01"}
	zoneOf, _, amb := Assign(m, inv)
	if zoneOf["pn16"] != "field-io" || zoneOf["rt01"] != "network-infrastructure" || zoneOf["plc11"] != "control" || len(amb) != 0 {
		t.Errorf("assignment: %v ambiguous %v", zoneOf, amb)
	}
}

func TestInitOutputMatchesSchema(t *testing.T) {
	inv, m := derived(t)
	var buf bytes.Buffer
	if err := WriteModel(&buf, m, inv); err != nil {
		t.Fatal(err)
	}
	checkModelSchema(t, "zones init", buf.Bytes())
	// The schema rejects what the parser rejects.
	for _, bad := range []string{
		"zones:\n  - id: a\n    kind: control\n    sl_target: 5\n    members: {vlans: [1]}\n",
		"zones:\n  - id: a\n    kind: plant\n    members: {vlans: [1]}\n",
		"zones:\n  - id: a\n    kind: control\n    colour: red\n    members: {vlans: [1]}\n",
		"zones:\n  - id: a\n    kind: control\n    sl_target: {FR8: 1}\n    members: {vlans: [1]}\n",
	} {
		var doc any
		_ = yaml.Unmarshal([]byte(bad), &doc)
		errs, _ := rules.CheckSchema(readModelSchema(t), doc)
		if len(errs) == 0 {
			t.Errorf("schema accepts %q", bad)
		}
	}
}
