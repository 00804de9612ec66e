package profinet

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// TestIM0VsTshark: every I&M0 read response tshark decodes in the demo
// plant (scenario 71-profinet-im0, an implicit read of index 0xAFF0) gives
// the same order number, serial, hardware and software revision here. No
// shared capture carries an I&M0 record.
func TestIM0VsTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: it is the ground truth for I&M0")
	}
	path := filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")
	out, err := exec.Command(tshark, "-n", "-r", path, "-Y", "pn_io.order_id", "-T", "fields", "-E", "separator=|",
		"-e", "ip.src", "-e", "pn_io.order_id", "-e", "pn_io.im_serial_number", "-e", "pn_io.im_hardware_revision",
		"-e", "pn_io.im_revision_prefix", "-e", "pn_io.im_sw_revision_functional_enhancement",
		"-e", "pn_io.im_revision_bugfix", "-e", "pn_io.im_sw_revision_internal_change").Output()
	if err != nil {
		t.Fatal(err)
	}
	num := func(s string) int {
		n, err := strconv.ParseInt(strings.TrimPrefix(s, "0x"), 16, 32)
		if err != nil {
			t.Fatalf("tshark field %q: %v", s, err)
		}
		return int(n)
	}
	want := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 8 {
			t.Fatalf("tshark line %q", l)
		}
		ip := f[0]
		sw := strings.Trim(f[4], "'") + strconv.Itoa(num(f[5])) + "." + strconv.Itoa(num(f[6])) + "." + strconv.Itoa(num(f[7]))
		for _, kv := range []string{
			"profinet.order_id=" + strings.TrimSpace(f[1]), "profinet.serial_number=" + strings.TrimSpace(f[2]),
			"profinet.hardware_revision=" + strconv.Itoa(num(f[3])), "profinet.software_revision=" + sw,
		} {
			want[ip+" "+kv] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("tshark found no I&M0 record in the demo plant")
	}
	got := map[string]bool{}
	obs := ittest.Engine(t, path, func() discovery.Dissector { return NewFrames() }, func() discovery.Dissector { return NewRPC() })
	for _, o := range obs {
		if o.Kind == discovery.KindAttribute && (o.Key == "profinet.order_id" || o.Key == "profinet.serial_number" ||
			o.Key == "profinet.hardware_revision" || o.Key == "profinet.software_revision") {
			got[o.Asset.IP.String()+" "+o.Key+"="+o.Value] = true
		}
	}
	sameSet(t, want, got)
}

// sameSet reports what want has and got lacks, and the reverse.
func sameSet(t *testing.T, want, got map[string]bool) {
	t.Helper()
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

// Every prefix of an I&M0 record shorter than the block is an error, not a panic.
func TestParseIM0Truncated(t *testing.T) {
	rec := im0Record()
	if _, err := ParseIM0(rec); err != nil {
		t.Fatal(err)
	}
	for i := range rec {
		if _, err := ParseIM0(rec[:i]); err == nil {
			t.Errorf("prefix %d parsed", i)
		}
	}
}

// im0Record is the demo plant's I&M0 record (frame 647's record data,
// as tshark decodes it above).
func im0Record() []byte {
	b := []byte{0x00, 0x20, 0x00, 0x38, 1, 0, 0x00, 0x2a}
	b = append(b, "6ES7 155-6AU01-0BN0 S C-J9N712345678"...)
	return append(b, 0x00, 0x03, 'V', 4, 2, 1, 0, 0, 0, 0, 0, 5, 1, 1, 0x00, 0x1e)
}

func FuzzParseIM0(f *testing.F) {
	f.Add(im0Record())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseIM0(b)
		if err == nil && len(m.OrderID) > 20 {
			t.Fatalf("order id of %d bytes", len(m.OrderID))
		}
	})
}
