package profinet

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// TestIMTextVsTshark: the demo plant's I&M1, I&M2 and I&M3 read responses
// (scenario 73-profinet-im1-3, implicit reads of 0xAFF1-0xAFF3) give the
// tag function and location, installation date and descriptor tshark
// decodes (pn_io.im_tag_function, .im_tag_location, .im_date,
// .im_descriptor), blank padding trimmed. No shared capture carries them.
func TestIMTextVsTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: it is the ground truth for I&M1-3")
	}
	path := filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")
	keys := []string{"profinet.tag_function", "profinet.tag_location", "profinet.installation_date", "profinet.descriptor"}
	out, err := exec.Command(tshark, "-n", "-r", path, "-Y", "pn_io.im_tag_function || pn_io.im_date || pn_io.im_descriptor",
		"-T", "fields", "-E", "separator=|", "-e", "ip.src", "-e", "pn_io.im_tag_function", "-e", "pn_io.im_tag_location",
		"-e", "pn_io.im_date", "-e", "pn_io.im_descriptor").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 5 {
			t.Fatalf("tshark line %q", l)
		}
		for i, k := range keys {
			if v := strings.TrimRight(f[i+1], " "); v != "" {
				want[f[0]+" "+k+"="+v] = true
			}
		}
	}
	if len(want) != 4 {
		t.Fatalf("tshark found %d I&M1-3 values in the demo plant, want 4: %v", len(want), want)
	}
	got := map[string]bool{}
	for _, o := range ittest.Engine(t, path, func() discovery.Dissector { return NewFrames() }, func() discovery.Dissector { return NewRPC() }) {
		for _, k := range keys {
			if o.Kind == discovery.KindAttribute && o.Key == k {
				got[o.Asset.IP.String()+" "+k+"="+o.Value] = true
			}
		}
	}
	sameSet(t, want, got)
}

// imRecords are the demo plant's I&M1-3 records (the record data of
// frames 651, 653 and 655, as tshark decodes them above).
func imRecords() map[uint16][]byte {
	pad := func(s string, n int) []byte { return []byte(s + strings.Repeat(" ", n-len(s))) }
	return map[uint16][]byte{
		IndexIM1: append(append([]byte{0x00, 0x21, 0x00, 0x38, 1, 0}, pad("FIC-101 feed flow control", 32)...), pad("Line 3 / cabinet +A12", 22)...),
		IndexIM2: append([]byte{0x00, 0x22, 0x00, 0x12, 1, 0}, pad("2024-03-18 09:30", 16)...),
		IndexIM3: append([]byte{0x00, 0x23, 0x00, 0x38, 1, 0}, pad("ET 200SP remote I/O, feed pumps P-101/P-102", 54)...),
	}
}

func TestParseIMText(t *testing.T) {
	for index, rec := range imRecords() {
		m, err := ParseIMText(index, rec)
		if err != nil {
			t.Fatalf("index 0x%04x: %v", index, err)
		}
		var want IMText
		switch index {
		case IndexIM1:
			want = IMText{TagFunction: "FIC-101 feed flow control", TagLocation: "Line 3 / cabinet +A12"}
		case IndexIM2:
			want = IMText{Date: "2024-03-18 09:30"}
		case IndexIM3:
			want = IMText{Descriptor: "ET 200SP remote I/O, feed pumps P-101/P-102"}
		}
		if m != want {
			t.Errorf("index 0x%04x: %+v, want %+v", index, m, want)
		}
		// Every prefix shorter than the block is an error, never a panic.
		for i := range rec {
			if _, err := ParseIMText(index, rec[:i]); err == nil {
				t.Errorf("index 0x%04x: prefix %d parsed", index, i)
			}
		}
		// Another record's block type is refused.
		if _, err := ParseIMText(index^3, rec); err == nil {
			t.Errorf("index 0x%04x record parsed as 0x%04x", index, index^3)
		}
	}
}

func FuzzParseIMText(f *testing.F) {
	for index, rec := range imRecords() {
		f.Add(index, rec)
	}
	f.Fuzz(func(t *testing.T, index uint16, b []byte) {
		m, err := ParseIMText(index, b)
		if err == nil && len(m.TagFunction)+len(m.TagLocation)+len(m.Date)+len(m.Descriptor) > 54 {
			t.Fatalf("%+v: more text than a block holds", m)
		}
	})
}
