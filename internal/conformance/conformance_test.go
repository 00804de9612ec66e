package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/testutil"
)

// pipeline builds the inventory of one capture: the whole otzone pipeline
// (engine with every registered dissector, Builder, store, Build).
var pipeline = func(ctx context.Context, path string) (*inventory.Inventory, error) {
	return ingest.Inventory(ctx, []string{path}, ingest.Options{})
}

type row struct {
	capture, check string
	score          Score
	threshold      float64
}

// TestConformance runs every shared capture with an oracle through the
// pipeline and scores each registered check on it. It prints a table per
// capture and in total, lists what the oracle decodes that no check covers,
// and fails when a check is below its threshold on a capture or in total.
func TestConformance(t *testing.T) {
	shared := testutil.SharedDir(t)
	var oracles []string
	err := filepath.WalkDir(filepath.Join(shared, "pcaps"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".oracle.json") {
			oracles = append(oracles, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(oracles)
	if len(oracles) == 0 {
		t.Fatal("no oracles under " + shared)
	}
	cs := Checks()
	covered := map[string]bool{}
	for _, c := range cs {
		for _, k := range c.Covers {
			covered[k] = true
		}
	}
	var rows []row
	totals := map[string]Score{}
	notChecked := map[string][]string{}
	for _, op := range oracles {
		capture := strings.TrimSuffix(op, ".oracle.json")
		rel, _ := filepath.Rel(filepath.Join(shared, "pcaps"), capture)
		raw, err := os.ReadFile(op)
		if err != nil {
			t.Fatal(err)
		}
		or, err := ParseOracle(raw)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		inv, err := pipeline(ctx, capture)
		cancel()
		if inv == nil {
			t.Errorf("%s: pipeline: %v", rel, err)
			continue
		}
		if err != nil {
			t.Logf("%s: pipeline reported: %v", rel, err)
		}
		for _, c := range cs {
			s := c.Fn(json.RawMessage(raw), inv)
			totals[c.Name] = totals[c.Name].Add(s)
			if !s.Empty() {
				rows = append(rows, row{rel, c.Name, s, c.Threshold})
			}
		}
		for _, p := range or.Decoded() {
			if !covered[p] {
				notChecked[p] = append(notChecked[p], rel)
			}
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%-72s %-8s %5s %4s %4s %4s %7s %9s\n", "capture", "check", "want", "tp", "fn", "fp", "recall", "precision")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-72s %-8s %5d %4d %4d %4d %7.3f %9.3f\n", r.capture, r.check, r.score.TP+r.score.FN,
			r.score.TP, r.score.FN, r.score.FP, r.score.Recall(), r.score.Precision())
	}
	fmt.Fprintf(&b, "\nTOTAL (%d captures)\n", len(oracles))
	for _, c := range cs {
		s := totals[c.Name]
		fmt.Fprintf(&b, "%-72s %-8s %5d %4d %4d %4d %7.3f %9.3f  (threshold %.2f)\n", "all", c.Name, s.TP+s.FN, s.TP, s.FN, s.FP,
			s.Recall(), s.Precision(), c.Threshold)
	}
	if len(notChecked) > 0 {
		fmt.Fprintf(&b, "\nnot checked (decoded by the oracle, no check registered):\n")
		for _, p := range sortedKeys(boolSet(notChecked)) {
			fmt.Fprintf(&b, "  %-20s %d capture(s): %s\n", p, len(notChecked[p]), strings.Join(notChecked[p], ", "))
		}
	}
	t.Log(b.String())

	for _, r := range rows {
		if r.score.Recall() < r.threshold || r.score.Precision() < r.threshold {
			t.Errorf("%s %s: recall %.3f precision %.3f below %.2f; missed %v; extra %v", r.capture, r.check,
				r.score.Recall(), r.score.Precision(), r.threshold, r.score.Missed, r.score.Extra)
		}
	}
	for _, c := range cs {
		s := totals[c.Name]
		if s.Recall() < c.Threshold || s.Precision() < c.Threshold {
			t.Errorf("total %s: recall %.3f precision %.3f below %.2f", c.Name, s.Recall(), s.Precision(), c.Threshold)
		}
	}
}

func boolSet(m map[string][]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}
