package zones_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/testutil"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

func demoInventory(t *testing.T) (*inventory.Inventory, *rules.RuleSet) {
	t.Helper()
	path := os.Getenv("OTZONE_DEMO")
	if path == "" {
		// The generator is deterministic; running it makes the golden follow
		// the scenarios in testdata/gen rather than a possibly stale file.
		gobin, err := exec.LookPath("go")
		if err != nil {
			t.Skipf("go tool not found to generate the demo plant: %v", err)
		}
		path = filepath.Join(t.TempDir(), "plant.pcapng")
		cmd := exec.Command(gobin, "run", "./testdata/gen", "-o", path)
		cmd.Dir = testutil.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("generating the demo plant: %v\n%s", err, out)
		}
	}
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
	return inv, rs
}

// TestDemoGolden derives zones from the demo plant and compares the JSON
// export with testdata/golden/demo-zones.json (go test -update rewrites it).
func TestDemoGolden(t *testing.T) {
	inv, rs := demoInventory(t)
	m, err := zones.Derive(inv, rs, zones.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "golden", "demo-zones.json")
	if os.Getenv("OTZONE_DEMO") != "" {
		os.Stdout.Write(got)
		return
	}
	if *testutil.Update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./zones -run DemoGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("zones of the demo plant differ from %s (go test ./zones -run DemoGolden -update after checking):\n%s", golden, got)
	}
}

// TestDemoSubset checks what must hold however the demo plant grows (the
// hosts of testdata/gen/plant.go): controllers in the VLAN 10 control zone,
// HMI/EWS/SCADA in VLAN 20, the historian in VLAN 30, and the engineering
// station's S7 program download crossing the control/supervisory conduit.
func TestDemoSubset(t *testing.T) {
	inv, rs := demoInventory(t)
	m, err := zones.Derive(inv, rs, zones.Options{})
	if err != nil {
		t.Fatal(err)
	}
	zoneOfIP := map[string]string{}
	zoneOf := m.ZoneOf()
	for _, a := range inv.Assets {
		for _, ip := range a.IPs {
			zoneOfIP[ip] = zoneOf[a.ID]
		}
	}
	for ip, want := range map[string]string{
		"10.10.10.11": "control-vlan10", "10.10.10.12": "control-vlan10", "10.10.10.13": "control-vlan10", "10.10.10.14": "control-vlan10",
		"10.10.20.21": "supervisory-vlan20", "10.10.20.22": "supervisory-vlan20", "10.10.20.23": "supervisory-vlan20",
		"10.10.30.31": "operations-vlan30",
	} {
		if zoneOfIP[ip] != want {
			t.Errorf("%s in zone %q, want %q", ip, zoneOfIP[ip], want)
		}
	}
	c := m.Conduit("control-vlan10--supervisory-vlan20")
	if c == nil {
		t.Fatalf("no control/supervisory conduit: %+v", m.Conduits)
	}
	if c.Operations["program"] == 0 || c.Encrypted || !contains(c.Protocols, "s7comm") || !contains(c.Initiators, "supervisory-vlan20") {
		t.Errorf("control/supervisory conduit: %+v", c)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
