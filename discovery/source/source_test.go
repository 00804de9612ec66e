package source

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/internal/testutil"
)

// sharedCaptures returns every capture under the shared pcaps directory with
// its oracle packet count (Wireshark's count of frames).
func sharedCaptures(t *testing.T) map[string]int {
	t.Helper()
	dir := filepath.Join(testutil.SharedDir(t), "pcaps")
	out := map[string]int{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".oracle.json") {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var o struct {
			Packets int `json:"packets"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		out[strings.TrimSuffix(p, ".oracle.json")] = o.Packets
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no oracle files under %s", dir)
	}
	return out
}

// readAll reads a capture, copying each frame, and returns the frames and
// the error that ended the read (nil at a clean end).
func readAll(t testing.TB, path string) ([]Frame, error) {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	return collect(r)
}

// collect reads r to its end (and closes it): copies of every frame, and
// the error that ended the read (nil at a clean end).
func collect(r Reader) ([]Frame, error) {
	defer r.Close()
	var out []Frame
	for {
		f, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		c := *f
		c.Data = append([]byte(nil), f.Data...)
		out = append(out, c)
	}
}

func TestSharedCapturesFrameCount(t *testing.T) {
	for path, want := range sharedCaptures(t) {
		frames, err := readAll(t, path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if len(frames) != want {
			t.Errorf("%s: %d frames, oracle (tshark) counts %d", path, len(frames), want)
		}
		// Cross-check bytes, timestamps and link types with gopacket's
		// pcapgo readers (testutil.ReadFrames).
		ref := testutil.ReadFrames(t, path)
		if len(ref) != len(frames) {
			t.Errorf("%s: %d frames, pcapgo reads %d", path, len(frames), len(ref))
			continue
		}
		for i, f := range frames {
			g := ref[i]
			if f.Number != uint64(g.Number) || !bytes.Equal(f.Data, g.Data) || !f.CI.Timestamp.Equal(g.CI.Timestamp) ||
				f.CI.Length != g.CI.Length || f.LinkType != g.LinkType {
				t.Errorf("%s frame %d: got #%d len %d ts %v lt %v, pcapgo #%d len %d ts %v lt %v", path, i+1,
					f.Number, f.CI.Length, f.CI.Timestamp, f.LinkType, g.Number, g.CI.Length, g.CI.Timestamp, g.LinkType)
				break
			}
		}
	}
}

func gzipFile(t *testing.T, src, dst string) {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	if err := os.WriteFile(dst, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGzipSharedCaptures(t *testing.T) {
	dir := t.TempDir()
	for path, want := range sharedCaptures(t) {
		// The name says nothing about gzip: the magic decides.
		dst := filepath.Join(dir, filepath.Base(path))
		gzipFile(t, path, dst)
		frames, err := readAll(t, dst)
		if err != nil {
			t.Errorf("%s (gzip): %v", path, err)
			continue
		}
		if len(frames) != want {
			t.Errorf("%s (gzip): %d frames, oracle counts %d", path, len(frames), want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// pcap header, little endian, µs, link type 147 (USER0), snaplen 65535.
	user0 := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 147, 0, 0, 0}
	var gzEmpty bytes.Buffer
	zw := gzip.NewWriter(&gzEmpty)
	zw.Close()
	cases := []struct {
		name string
		path string
		want error
	}{
		{"empty", write("empty.pcap", nil), ErrEmpty},
		{"text", write("notes.pcap", []byte("hello, this is not a capture\n")), ErrNotCapture},
		{"tiny", write("tiny.pcap", []byte{0xd4}), ErrNotCapture},
		{"unknown link type", write("user0.pcap", user0), ErrUnknownLinkType},
		{"pcap header cut", write("cut.pcap", user0[:10]), ErrTruncated},
		{"empty gzip", write("empty.gz", gzEmpty.Bytes()), ErrEmpty},
		{"missing", filepath.Join(dir, "nope.pcap"), os.ErrNotExist},
		{"zstd", write("x.pcap.zst", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0}), ErrNotCapture},
	}
	for _, c := range cases {
		r, err := Open(c.path)
		if err == nil {
			r.Close()
			t.Errorf("%s: Open succeeded, want %v", c.name, c.want)
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
		if !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: error %q does not name the file", c.name, err)
		}
	}
}
