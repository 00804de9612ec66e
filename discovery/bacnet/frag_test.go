package bacnet

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// TestFragmentedAck: the demo plant's ReadProperty-ACK of the controller's
// description (scenario 68-ipfrag) arrives as two IP fragments, the second
// first. tshark reassembles them in frame 628 (ip.fragment.count 2) and
// decodes property 28; the engine's reassembly gives the BACnet dissector
// the same datagram, and its description starts as tshark's does.
func TestFragmentedAck(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: it is the ground truth for the reassembly")
	}
	path := filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")
	out, err := exec.Command(tshark, "-n", "-r", path, "-Y", "ip.fragment.count == 2 && bacapp.property_identifier == 28", "-V").Output()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*Frame (\d+):`).FindSubmatch(out)
	d := regexp.MustCompile(`description: UTF-8 '([^']{20})`).FindSubmatch(out)
	if m == nil || d == nil {
		t.Fatalf("tshark did not reassemble a description ack:\n%.400s", out)
	}
	frame, prefix := string(m[1]), string(d[1])
	var got []string
	for _, o := range ittest.Engine(t, path, func() discovery.Dissector { return New() }) {
		if o.Kind == discovery.KindAttribute && o.Key == "bacnet.description" && strings.HasPrefix(o.Value, prefix) {
			got = append(got, o.Evidence.String())
		}
	}
	if len(got) != 1 || got[0] != "pcap:plant.pcapng#frame="+frame {
		t.Errorf("description %q from %v, want one from frame %s", prefix, got, frame)
	}
}
