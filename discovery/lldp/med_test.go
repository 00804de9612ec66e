package lldp

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// TestMEDVsTshark: every LLDP-MED inventory tshark decodes in the demo
// plant (scenario 69-lldp-med, the control-room IP phone) is reported
// here with the same values: lldp.media.{hardware, firmware, software, sn,
// manufacturer, model, asset} and the device class (lldp.media.subtype.class).
func TestMEDVsTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: it is the ground truth for LLDP-MED")
	}
	path := filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")
	keys := []string{"lldp.hardware_revision", "lldp.firmware_revision", "lldp.software_revision", "lldp.serial_number",
		"lldp.manufacturer", "lldp.model", "lldp.asset_id", "lldp.med_device_class"}
	out, err := exec.Command(tshark, "-n", "-r", path, "-Y", "lldp.media.subtype.class", "-T", "fields", "-E", "separator=|",
		"-e", "eth.src", "-e", "lldp.media.hardware", "-e", "lldp.media.firmware", "-e", "lldp.media.software", "-e", "lldp.media.sn",
		"-e", "lldp.media.manufacturer", "-e", "lldp.media.model", "-e", "lldp.media.asset", "-e", "lldp.media.subtype.class").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 1+len(keys) {
			t.Fatalf("tshark line %q", l)
		}
		f[len(f)-1] = MEDClass(f[len(f)-1][0] - '0').String() // tshark prints the class number
		for i, k := range keys {
			if f[1+i] != "" {
				want[f[0]+" "+k+"="+f[1+i]] = true
			}
		}
	}
	if len(want) < len(keys) {
		t.Fatalf("tshark found %d LLDP-MED facts", len(want))
	}
	got := map[string]bool{}
	for _, o := range ittest.Engine(t, path, func() discovery.Dissector { return New() }) {
		for _, k := range keys {
			if o.Kind == discovery.KindAttribute && o.Key == k {
				got[o.Asset.MAC.String()+" "+o.Key+"="+o.Value] = true
			}
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("extra %s", k)
		}
	}
}
