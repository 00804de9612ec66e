package zones

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/internal/testutil"
)

// FuzzParseModel: any bytes give a model or positioned errors, never a
// panic; a model that parses can be compared with an inventory.
func FuzzParseModel(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "testdata", "models", "demo.yaml")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(designedYAML))
	f.Add([]byte("zones:\n  - id: a\n    kind: control\n    sl_target: {FR1: 9}\n    members: {select: {attribute: {k: '(('}}}\n"))
	inv := plant()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseModel("m.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "m.yaml") {
				t.Fatalf("error without file name: %v", err)
			}
			return
		}
		if _, err := Compare(m, inv, Options{}); err != nil {
			t.Fatal(err)
		}
	})
}
