package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/testutil"
)

// TestLoadForCountsMatchesLoad holds the summary's shortcut to the full
// build: Build over store.LoadForCounts must materialise exactly the
// assets (by id) and communications (by client, server, protocol,
// transport, port) that Build over store.Load does, on every shared real
// capture ingested together and on the demo plant, with and without a
// site. The summary line counts assets that way so it need not load the
// whole database.
func TestLoadForCountsMatchesLoad(t *testing.T) {
	var pcaps []string
	shared := testutil.SharedDir(t)
	filepath.WalkDir(filepath.Join(shared, "pcaps"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			pcaps = append(pcaps, p)
		}
		return nil
	})
	if len(pcaps) == 0 {
		t.Skip("no shared captures")
	}
	cases := []struct {
		name  string
		paths []string
		site  string
	}{
		{"shared", pcaps, ""},
		{"shared-site", pcaps, "north"},
		{"demo", []string{demo(t)}, "plant"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			sum, err := Files(ctx, st, c.paths, Options{Site: c.site})
			if err != nil {
				t.Fatal(err)
			}
			full, err := st.Inventory(ctx, inventory.BuildOptions{NoOUI: true})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := st.LoadForCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			part := inventory.Build(rows, inventory.BuildOptions{NoOUI: true})
			if len(full.Assets) < 10 || len(full.Communications) < 10 {
				t.Fatalf("only %d assets, %d communications: the captures did not ingest", len(full.Assets), len(full.Communications))
			}
			if d := cmp.Diff(assetIDs(full), assetIDs(part)); d != "" {
				t.Errorf("asset ids (-Load +LoadForCounts):\n%s", d)
			}
			if len(full.Communications) != len(part.Communications) {
				t.Errorf("%d communications from Load, %d from LoadForCounts", len(full.Communications), len(part.Communications))
			}
			// Which asset a communication lands on is compared on the demo
			// plant only: on the shared captures Build itself is not
			// deterministic (two builds of the same rows put the s7comm
			// server on different assets; reported to build.go's owner).
			full2, err := st.Inventory(ctx, inventory.BuildOptions{NoOUI: true})
			if err != nil {
				t.Fatal(err)
			}
			if c.name == "demo" && cmp.Equal(commKeys(full), commKeys(full2)) {
				if d := cmp.Diff(commKeys(full), commKeys(part)); d != "" {
					t.Errorf("communications (-Load +LoadForCounts):\n%s", d)
				}
			} else {
				t.Logf("%s: communication endpoints not compared (Build deterministic here: %v)", c.name,
					cmp.Equal(commKeys(full), commKeys(full2)))
			}
			// inventory.Count, which the summary uses, over either row set.
			all, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for name, r := range map[string]*inventory.Rows{"Load": all, "LoadForCounts": rows} {
				if a, n := inventory.Count(r); a != len(full.Assets) || n != len(full.Communications) {
					t.Errorf("Count(%s) = %d assets, %d communications; Build(Load) has %d, %d",
						name, a, n, len(full.Assets), len(full.Communications))
				}
			}
			if sum.Assets != len(full.Assets) || sum.Communications != len(full.Communications) {
				t.Errorf("summary %d assets %d communications, inventory %d %d", sum.Assets, sum.Communications,
					len(full.Assets), len(full.Communications))
			}
		})
	}
}

func assetIDs(inv *inventory.Inventory) []string {
	var out []string
	for _, a := range inv.Assets {
		out = append(out, a.ID+" "+a.Key+" via="+a.Via)
	}
	sort.Strings(out)
	return out
}

func commKeys(inv *inventory.Inventory) []string {
	var out []string
	for _, c := range inv.Communications {
		out = append(out, fmt.Sprintf("%s>%s %s/%s/%d", c.Client, c.Server, c.Protocol, c.Transport, c.Port))
	}
	sort.Strings(out)
	return out
}
