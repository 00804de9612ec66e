package zones_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/testutil"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

// roundTrip derives the zones of inv, writes them as `otzone zones init`
// does, reads the file back and compares the same traffic against it, as
// `otzone zones --model` does. An unedited model must describe the traffic
// it was written from: the comparison may only repeat the derived model's
// own violations (purdue_shortcut is about the traffic, not the model).
func roundTrip(t *testing.T, name string, inv *inventory.Inventory, rs *rules.RuleSet) {
	t.Helper()
	derived, err := zones.Derive(inv, rs, zones.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := zones.WriteModel(&buf, derived, inv); err != nil {
		t.Fatal(err)
	}
	designed, err := zones.ParseModel(name+".yaml", buf.Bytes())
	if err != nil {
		t.Fatalf("%s: the written model does not read back: %v\n%s", name, err, buf.String())
	}
	got, err := zones.Compare(designed, inv, zones.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, v := range derived.Violations {
		want[violationKey(v)] = true
	}
	var extra []string
	for _, v := range got.Violations {
		if !want[violationKey(v)] {
			extra = append(extra, fmt.Sprintf("%s: %s", v.Kind, v.Detail))
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%s: the unedited model reports violations on its own traffic:\n  %s\nmodel:\n%s", name, strings.Join(extra, "\n  "), buf.String())
	}
	// The same zones hold the same assets.
	dz, gz := derived.ZoneOf(), got.ZoneOf()
	for id, z := range dz {
		if gz[id] != z {
			t.Errorf("%s: asset %s in zone %q after the round trip, derived %q", name, id, gz[id], z)
		}
	}
}

func violationKey(v zones.Violation) string {
	return string(v.Kind) + "|" + strings.Join(v.Zones, ",") + "|" + v.Conduit
}

// TestRoundTripSharedCaptures: init then --model on every shared real capture.
func TestRoundTripSharedCaptures(t *testing.T) {
	dir := filepath.Join(testutil.SharedDir(t), "pcaps")
	var files []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skipf("no captures under %s", dir)
	}
	rs, err := rules.Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			inv, err := ingest.Inventory(context.Background(), []string{f}, ingest.Options{})
			if inv == nil {
				t.Fatalf("%s: %v", f, err)
			}
			if err := rules.Classify(inv, rs); err != nil {
				t.Fatal(err)
			}
			roundTrip(t, rel, inv, rs)
		})
	}
}

// TestRoundTripDemo: init then --model on the demo plant.
func TestRoundTripDemo(t *testing.T) {
	inv, rs := demoInventory(t)
	roundTrip(t, "demo", inv, rs)
}
