package rules_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/testutil"
	"github.com/otzone/otzone/rules"
)

func classifyCapture(t *testing.T, path string) *inventory.Inventory {
	t.Helper()
	inv, err := ingest.Inventory(context.Background(), []string{path}, ingest.Options{})
	if inv == nil {
		t.Fatalf("%s: %v", path, err)
	}
	rs, err := rules.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if err := rules.Classify(inv, rs); err != nil {
		t.Fatal(err)
	}
	return inv
}

func describe(a *inventory.Asset) string {
	lv := "-"
	if a.PurdueLevel != nil {
		lv = fmt.Sprint(*a.PurdueLevel)
	}
	rule := ""
	for _, d := range a.Decisions {
		if d.Field == rules.FieldDeviceType && d.Won {
			rule = d.Rule
		}
	}
	var svcs []string
	for _, s := range a.Services {
		svcs = append(svcs, s.Protocol+"/"+s.Role)
	}
	return fmt.Sprintf("%-40s %-24s L%s %-28s %s", strings.Join(append(append([]string{}, a.IPs...), a.MACs...), ","), a.DeviceType, lv, rule, strings.Join(svcs, " "))
}

// TestDumpRealCaptures prints the classification of every shared capture
// (go test ./rules -run DumpReal -v -dump); it is how the truth table in
// the README was made.
func TestDumpRealCaptures(t *testing.T) {
	if os.Getenv("OTZONE_DUMP") == "" {
		t.Skip("set OTZONE_DUMP=1 to print the classification of every shared capture")
	}
	dir := filepath.Join(testutil.SharedDir(t), "pcaps")
	var files []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	for _, f := range files {
		inv := classifyCapture(t, f)
		rel, _ := filepath.Rel(dir, f)
		fmt.Printf("== %s (%d assets)\n", rel, len(inv.Assets))
		for i := range inv.Assets {
			fmt.Println("   " + describe(&inv.Assets[i]))
		}
	}
}
