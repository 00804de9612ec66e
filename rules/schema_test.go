package rules

import (
	"encoding/json"
	"io/fs"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func readRuleSchema(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("schema/rule.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// schemaProps returns the property names of the root ("") or of a $defs entry.
func schemaProps(t *testing.T, schema []byte, def string) []string {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil {
		t.Fatalf("schema is not valid JSON: %v", err)
	}
	node := root
	if def != "" {
		defs, _ := root["$defs"].(map[string]any)
		n, ok := defs[def].(map[string]any)
		if !ok {
			t.Fatalf("schema has no $defs/%s", def)
		}
		node = n
	}
	props, _ := node["properties"].(map[string]any)
	var out []string
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// structKeys are the YAML keys a struct reads.
func structKeys(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if name, ok := YAMLName(f); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// TestRuleSchemaMatchesStructs keeps rules/schema/rule.schema.json and the
// Go structs the loader decodes into from drifting apart.
func TestRuleSchemaMatchesStructs(t *testing.T) {
	schema := readRuleSchema(t)
	for def, v := range map[string]any{
		"":                 Rule{},
		"set":              Set{},
		"zoneHint":         ZoneHint{},
		"references":       References{},
		"conduitCondition": ConduitCondition{},
		"condition":        Condition{},
		"serviceMatch":     ServiceMatch{},
		"operationMatch":   OperationMatch{},
		"peerMatch":        PeerMatch{},
		"attributeMatch":   AttributeMatch{},
		"fieldMatch":       FieldMatch{},
		"networkMatch":     NetworkMatch{},
	} {
		got, want := schemaProps(t, schema, def), structKeys(v)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("schema %q properties %v, Go struct %T reads %v", def, got, v, want)
		}
	}
}

func TestBuiltinRulesMatchSchema(t *testing.T) {
	schema := readRuleSchema(t)
	n := 0
	err := fs.WalkDir(BuiltinFS(), "builtin", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(BuiltinFS(), p)
		if err != nil {
			return err
		}
		var doc any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		errs, err := CheckSchema(schema, doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			t.Errorf("%s: %s", p, e)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no built-in rules checked")
	}
	// The schema rejects what the loader rejects.
	for _, bad := range []string{
		"id: a\nkind: classify\ntitle: t\ncolour: red\n",
		"id: a\nkind: classify\ntitle: t\nwhen: {offers: {protocol: modbus}, uses: {protocol: modbus}}\n",
		"id: a\nkind: classify\ntitle: t\nset: {device_type: robot}\n",
		"id: Bad\nkind: classify\ntitle: t\n",
		"id: a\nkind: classify\ntitle: t\npriority: high\n",
	} {
		var doc any
		if err := yaml.Unmarshal([]byte(bad), &doc); err != nil {
			t.Fatal(err)
		}
		errs, _ := CheckSchema(schema, doc)
		if len(errs) == 0 {
			t.Errorf("schema accepts %q", bad)
		}
	}
}
