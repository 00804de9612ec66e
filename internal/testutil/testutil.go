// Package testutil holds what tests across the project share: where the
// shared real captures live, one pcap reader, and golden-file helpers.
package testutil

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Update is the -update flag: golden tests rewrite their golden files.
var Update = flag.Bool("update", false, "rewrite golden files")

// RepoRoot is the directory holding go.mod.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedDir returns ../shared beside the repository (or $OTZONE_SHARED), or
// skips the test with a clear message when it is absent.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("OTZONE_SHARED")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "pcaps")); err != nil {
		t.Skipf("shared captures not found at %s (set OTZONE_SHARED or check out ../shared): %v", dir, err)
	}
	return dir
}

// SharedPcap returns the path of a capture under ../shared/pcaps, skipping
// when ../shared is absent and failing when the file itself is missing.
func SharedPcap(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(SharedDir(t), "pcaps", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	return p
}

// Frame is one captured frame as read from a file.
type Frame struct {
	Number   int // 1-based, as Wireshark counts
	Data     []byte
	CI       gopacket.CaptureInfo
	LinkType layers.LinkType
}

// ReadFrames reads every frame of a pcap or pcapng file. It is for tests:
// it fails the test on any error.
func ReadFrames(t testing.TB, path string) []Frame {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []Frame
	if len(raw) >= 4 && bytes.Equal(raw[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for n := 1; ; n++ {
			data, ci, err := r.ReadPacketData()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: frame %d: %v (a fixture must be a whole capture)", path, n, err)
			}
			lt := r.LinkType()
			if ci.InterfaceIndex >= 0 && ci.InterfaceIndex < r.NInterfaces() {
				if intf, err := r.Interface(ci.InterfaceIndex); err == nil {
					lt = intf.LinkType
				}
			}
			out = append(out, Frame{Number: n, Data: append([]byte(nil), data...), CI: ci, LinkType: lt})
		}
		return out
	}
	r, err := pcapgo.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for n := 1; ; n++ {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: frame %d: %v (a fixture must be a whole capture)", path, n, err)
		}
		out = append(out, Frame{Number: n, Data: append([]byte(nil), data...), CI: ci, LinkType: r.LinkType()})
	}
	return out
}

// Golden compares got with testdata file path (relative to the calling
// package), rewriting it under -update.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test -update to create it)", path, err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("output differs from golden %s (run go test -update after checking the diff)\n--- got ---\n%s", path, got)
	}
}

// Fixture is the path of a capture the project generated for one package's
// tests: testdata/fixtures/PKG/NAME (each directory holds the script that
// wrote its captures).
func Fixture(pkg, name string) string {
	return filepath.Join(RepoRoot(), "testdata", "fixtures", pkg, name)
}
