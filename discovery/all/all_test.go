package all

import (
	"testing"

	"github.com/otzone/otzone/discovery"
)

// Every registered dissector must instantiate together: two claiming one
// port is a startup error (registry.go), and that must fail here, not in a
// user's ingest.
func TestRegisteredSetBuilds(t *testing.T) {
	names := discovery.Registered()
	if len(names) == 0 {
		t.Fatal("no dissectors registered")
	}
	set, err := discovery.NewSet()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.All) != len(names) {
		t.Fatalf("set has %d dissectors, registry %d", len(set.All), len(names))
	}
	for _, d := range set.All {
		if d.Name() == "" {
			t.Errorf("%T has an empty name", d)
		}
	}
	t.Logf("%d dissectors: %v", len(names), names)
}
