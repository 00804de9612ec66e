package zones_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/testutil"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

var (
	demoOnce sync.Once
	demoPath string
	demoErr  error
)

// demoCapture is the demo plant capture: $OTZONE_DEMO, else generated
// once per test binary by testdata/gen (deterministic), so the tests follow
// the scenarios in testdata/gen rather than a possibly stale file.
func demoCapture(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("OTZONE_DEMO"); p != "" {
		return p
	}
	demoOnce.Do(func() {
		gobin, err := exec.LookPath("go")
		if err != nil {
			demoErr = fmt.Errorf("go tool not found to generate the demo plant: %w", err)
			return
		}
		dir, err := os.MkdirTemp("", "otzone-zones-demo")
		if err != nil {
			demoErr = err
			return
		}
		path := filepath.Join(dir, "plant.pcapng")
		cmd := exec.Command(gobin, "run", "./testdata/gen", "-o", path)
		cmd.Dir = testutil.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			demoErr = fmt.Errorf("generating the demo plant: %v\n%s", err, out)
			return
		}
		demoPath = path
	})
	if demoErr != nil {
		t.Skip(demoErr)
	}
	return demoPath
}

func demoInventory(t *testing.T) (*inventory.Inventory, *rules.RuleSet) {
	t.Helper()
	path := demoCapture(t)
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

// frameRE matches the frame number of an evidence string.
var frameRE = regexp.MustCompile(`(pcap:[^"#]*#frame=)[0-9]+`)

// TestDemoGolden derives zones from the demo plant and compares the JSON
// export with testdata/golden/demo-zones.json (go test -update rewrites
// it). Frame numbers are left out of the comparison ("#frame=N" becomes
// "#frame=*"): they move whenever a scenario is added before them, and
// TestDemoEvidence checks every one of them against the capture's bytes
// instead. What the golden still catches is a change of zones, members,
// conduits, protocols, ports, counts or violations.
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
	if os.Getenv("OTZONE_DEMO") != "" {
		os.Stdout.Write(got)
		return
	}
	got = frameRE.ReplaceAll(got, []byte("${1}*"))
	golden := filepath.Join("testdata", "golden", "demo-zones.json")
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

// TestDemoEvidence: the evidence of every conduit flow and violation of the
// demo plant names a frame of the capture that carries that communication:
// its IP (or, for layer-2 protocols, MAC) source and destination are the
// client's and the server's, read from the frame's own bytes.
func TestDemoEvidence(t *testing.T) {
	inv, rs := demoInventory(t)
	m, err := zones.Derive(inv, rs, zones.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := demoCapture(t)
	type addrs struct{ all map[string]bool }
	frames := map[int]addrs{}
	for _, fr := range testutil.ReadFrames(t, path) {
		p := gopacket.NewPacket(fr.Data, fr.LinkType, gopacket.Default)
		a := addrs{all: map[string]bool{}}
		if e, ok := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet); ok {
			a.all[e.SrcMAC.String()], a.all[e.DstMAC.String()] = true, true
		}
		if ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			a.all[ip.SrcIP.String()], a.all[ip.DstIP.String()] = true, true
		}
		if ip, ok := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			a.all[ip.SrcIP.String()], a.all[ip.DstIP.String()] = true, true
		}
		frames[fr.Number] = a
	}
	byID := map[string]*inventory.Asset{}
	for i := range inv.Assets {
		byID[inv.Assets[i].ID] = &inv.Assets[i]
	}
	carries := func(fa addrs, id string) (bool, bool) {
		a := byID[id]
		if a == nil {
			return false, true
		}
		if len(a.IPs) == 0 && len(a.MACs) == 0 {
			return true, false // reached through a gateway: no address of its own
		}
		for _, x := range append(append([]string{}, a.IPs...), a.MACs...) {
			if fa.all[strings.ToLower(x)] {
				return true, true
			}
		}
		return false, true
	}
	checked := 0
	check := func(where string, c zones.CommRef) {
		sm := regexp.MustCompile(`^pcap:plant\.pcapng#frame=([0-9]+)$`).FindStringSubmatch(c.Evidence)
		if sm == nil {
			t.Errorf("%s: %s->%s %s evidence %q is not a frame of plant.pcapng", where, c.Client, c.Server, c.Protocol, c.Evidence)
			return
		}
		n, _ := strconv.Atoi(sm[1])
		fa, ok := frames[n]
		if !ok {
			t.Errorf("%s: evidence frame %d is not in the capture", where, n)
			return
		}
		okC, addrC := carries(fa, c.Client)
		okS, addrS := carries(fa, c.Server)
		if !okC || !okS {
			t.Errorf("%s: %s->%s %s/%d: frame %d does not carry both (its addresses: %v)", where, c.Client, c.Server, c.Protocol, c.Port, n, fa.all)
		}
		if addrC && addrS {
			checked++
		}
	}
	for _, cd := range m.Conduits {
		for _, f := range cd.Flows {
			check("conduit "+cd.ID, f)
		}
	}
	for _, v := range m.Violations {
		for _, f := range v.Communications {
			check(string(v.Kind), f)
		}
	}
	t.Logf("%d evidence frames checked against the capture", checked)
	if checked < 20 {
		t.Errorf("only %d evidence frames checked: the demo plant should cross zones far more often", checked)
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
