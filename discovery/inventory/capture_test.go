package inventory_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/testutil"
)

func ingestPcap(t *testing.T, rel string) *inventory.Inventory {
	t.Helper()
	inv, err := ingest.Inventory(context.Background(), []string{testutil.SharedPcap(t, rel)}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// bacnet_example.pcap frame 72 is a Who-Is from 172.20.32.200 to
// 172.20.32.255 with a unicast destination MAC (tshark: eth.dst
// 2c:30:33:d3:15:44); frames 74 and 76 are I-Ams to the same address. The
// address never sends: it is the subnet's broadcast, not a device.
func TestCaptureBACnetDirectedBroadcast(t *testing.T) {
	inv := ingestPcap(t, "bacnet/bacnet_example.pcap")
	var whoIs *inventory.Communication
	for i, a := range inv.Assets {
		for _, ip := range a.IPs {
			if ip == "172.20.32.255" {
				t.Errorf("asset %s carries the broadcast address", inv.Assets[i].Key)
			}
		}
	}
	for i, c := range inv.Communications {
		if c.Server == "broadcast:172.20.32.255" && c.Source == "pcap:bacnet_example.pcap#frame=72" {
			whoIs = &inv.Communications[i]
		}
	}
	if whoIs == nil {
		t.Fatal("no communication to broadcast:172.20.32.255 first seen in frame 72")
	}
	if a := inv.AssetByID(whoIs.Client); a == nil || len(a.IPs) != 1 || a.IPs[0] != "172.20.32.200" {
		t.Errorf("Who-Is client %+v, want the asset of 172.20.32.200", a)
	}
}

// demoPlant generates the demo plant capture (testdata/gen is
// deterministic) unless OTZONE_DEMO names one, and ingests it.
func demoPlant(t *testing.T) *inventory.Inventory {
	t.Helper()
	path := os.Getenv("OTZONE_DEMO")
	if path == "" {
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
	return inv
}

// The demo plant's identity replies (values as testdata/gen writes them)
// reach the merged fields through the whole pipeline.
func TestCaptureDemoIdentityFields(t *testing.T) {
	inv := demoPlant(t)
	get := func(ip string) *inventory.Asset {
		t.Helper()
		as := inv.Find(ip)
		if len(as) != 1 {
			t.Fatalf("%s: %d assets", ip, len(as))
		}
		return as[0]
	}
	for _, c := range []struct {
		ip, vendor, model, firmware, serial, hostname string
	}{
		// dnp3.go: g0v252/250/242/248/247 of the RTU.
		{"10.10.10.14", "Schweitzer Engineering Laboratories, Inc.", "SEL-3505 RTAC", "R148-V2", "1193620145", "RTU-SUB4"},
		// iec61850.go: MMS Identify response.
		{"10.10.10.18", "Bay Protection Systems", "BPS-670", "2.2.4.1", "", ""},
		// longtail.go: FINS controller data read, SLMP CPU model, C37.118 STN.
		{"10.10.10.40", "", "CJ2M-CPU31", "02.01", "", ""},
		{"10.10.10.80", "", "Q03UDVCPU", "", "", ""},
		{"10.10.10.50", "", "", "", "", "SUB4_PMU1"},
		// it.go: the IE4000's CDP platform and software version (firmware
		// is the version token; the attribute keeps the full text).
		{"10.10.10.2", "", "cisco IE-4000-8GT4G4E", "15.2(7)E4", "", "ie-switch-1"},
	} {
		a := get(c.ip)
		for _, f := range []struct{ name, got, want string }{
			{"vendor", a.Vendor, c.vendor}, {"model", a.Model, c.model},
			{"firmware", a.Firmware, c.firmware}, {"serial", a.Serial, c.serial},
		} {
			if f.want != "" && f.got != f.want {
				t.Errorf("%s %s = %q, want %q (candidates %+v)", c.ip, f.name, f.got, f.want, a.Fields[f.name])
			}
		}
		if c.hostname != "" && !slices.Contains(a.Hostnames, c.hostname) {
			t.Errorf("%s hostnames %v, want %q", c.ip, a.Hostnames, c.hostname)
		}
	}
	// The HMI runs Niagara Workbench (a Fox client): its version is not the
	// HMI's firmware. The JACE station's is.
	if hmi := get("10.10.20.21"); hmi.Firmware != "" {
		t.Errorf("HMI firmware %q from a client application", hmi.Firmware)
	}
	for _, a := range inv.Assets {
		if strings.HasSuffix(a.Vendor, ",") {
			t.Errorf("%s vendor %q: OUI punctuation", a.Key, a.Vendor)
		}
	}
}
