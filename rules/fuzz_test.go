package rules

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery/inventory"
)

// FuzzParse: any bytes give rules or positioned errors, never a panic; a
// rule that parses can be evaluated.
func FuzzParse(f *testing.F) {
	_ = fs.WalkDir(BuiltinFS(), "builtin", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(BuiltinFS(), p)
			f.Add(b)
		}
		return nil
	})
	f.Add([]byte("id: a\nkind: classify\ntitle: t\nwhen: {all: [{not: {vendor: x}}]}\nset: {device_type: plc}\nbecause: b\n"))
	f.Add([]byte("&a [*a, *a]"))
	inv := &inventory.Inventory{Assets: []inventory.Asset{{ID: "a", IPs: []string{"10.0.0.1", "bad"}, Attributes: []inventory.Attribute{{Key: "net.vlan", Value: "x"}}}},
		Communications: []inventory.Communication{{Client: "a", Server: "a", Protocol: "modbus"}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse("f.yaml", data, OriginUser)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error without file name: %v", err)
			}
			return
		}
		e := NewEvaluator(inv)
		for _, r := range rs {
			e.Eval(r, &inv.Assets[0])
		}
	})
}
