package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/otzone/otzone/internal/testutil"
)

// chunkReader returns at most n bytes per Read, so records cross the
// reader's refills at every possible place.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

// readFrom reads every frame of r (copied) and the error that ended it.
func readFrom(t *testing.T, name string, r io.Reader) ([]Frame, error) {
	t.Helper()
	rd, err := OpenReader(name, r, 0)
	if err != nil {
		t.Fatal(err)
	}
	return collect(rd)
}

func sameFrames(t *testing.T, what string, got, want []Frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d frames, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := &got[i], &want[i]
		if g.Number != w.Number || g.Offset != w.Offset || g.LinkType != w.LinkType || !g.CI.Timestamp.Equal(w.CI.Timestamp) ||
			g.CI.Length != w.CI.Length || g.CI.CaptureLength != w.CI.CaptureLength || !bytes.Equal(g.Data, w.Data) {
			t.Fatalf("%s: frame %d differs: %+v %v / %+v %v", what, i+1, g.CI, g.Offset, w.CI, w.Offset)
		}
	}
}

// TestChunkedSource reads real captures (pcap and pcapng, plain and
// gzip) through sources that return 1, 7 and 4093 bytes per Read: every
// record then straddles a refill somewhere, and the frames must be those
// read from the file in one go. The pcap's frames are also checked against
// gopacket's pcapgo reader.
func TestChunkedSource(t *testing.T) {
	shared := filepath.Join(testutil.SharedDir(t), "pcaps")
	for _, rel := range []string{"modbus/modbus_example.pcap", "profinet/profinet_io_cm_connect.pcapng", "bacnet/bacnet_services.pcap"} {
		src := filepath.Join(shared, rel)
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		want, err := readAll(t, src)
		if err != nil || len(want) == 0 {
			t.Fatalf("%s: %d frames, %v", rel, len(want), err)
		}
		if filepath.Ext(rel) == ".pcap" {
			pr, err := pcapgo.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				data, ci, err := pr.ReadPacketData()
				if err != nil || !bytes.Equal(data, want[i].Data) || !ci.Timestamp.Equal(want[i].CI.Timestamp) || ci.Length != want[i].CI.Length {
					t.Fatalf("%s frame %d: pcapgo says %v %+v", rel, i+1, err, ci)
				}
			}
			if _, _, err := pr.ReadPacketData(); err != io.EOF {
				t.Fatalf("%s: pcapgo has more frames (%v)", rel, err)
			}
		}
		gzPath := filepath.Join(t.TempDir(), "g")
		gzipFile(t, src, gzPath)
		gz, err := os.ReadFile(gzPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 7, 4093} {
			got, err := readFrom(t, rel, &chunkReader{b: raw, n: n})
			if err != nil {
				t.Fatalf("%s by %d: %v", rel, n, err)
			}
			sameFrames(t, rel, got, want)
			got, err = readFrom(t, rel, &chunkReader{b: gz, n: n})
			if err != nil {
				t.Fatalf("%s gzip by %d: %v", rel, n, err)
			}
			sameFrames(t, rel+" gzip", got, want)
		}
		got, err := readFrom(t, rel, iotest.DataErrReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		sameFrames(t, rel+" data+EOF", got, want)
	}
}

// TestRecordLargerThanBuffer: records longer than the reader's buffer
// (bufSize) are read whole, between small ones, and thousands of records
// of varied sizes cross the buffer's end at varied places, from a file and
// from sources read a few bytes at a time; every byte is checked against
// the pattern written. Cut inside the big record, the file gives the
// frames before it and a FormatError at its offset.
func TestRecordLargerThanBuffer(t *testing.T) {
	le := binary.LittleEndian
	f := le.AppendUint32(nil, 0xa1b2c3d4)
	f = le.AppendUint16(f, 2)
	f = le.AppendUint16(f, 4)
	f = le.AppendUint32(le.AppendUint32(le.AppendUint32(le.AppendUint32(f, 0), 0), 1<<24), 1)
	sizes := []int{60, 3<<20 + 5, 42, bufSize + 1, bufSize - 16, 60}
	for i := 0; i < 40000; i++ {
		sizes = append(sizes, (i*37)%300+1)
	}
	var offs []int64
	for i, n := range sizes {
		offs = append(offs, int64(len(f)))
		f = le.AppendUint32(le.AppendUint32(le.AppendUint32(le.AppendUint32(f, uint32(100+i)), 7), uint32(n)), uint32(n))
		for j := 0; j < n; j++ {
			f = append(f, byte(i*31+j))
		}
	}
	p := filepath.Join(t.TempDir(), "big.pcap")
	if err := os.WriteFile(p, f, 0o644); err != nil {
		t.Fatal(err)
	}
	frames, err := readAll(t, p)
	if err != nil || len(frames) != len(sizes) {
		t.Fatalf("%d frames, %v", len(frames), err)
	}
	for i, fr := range frames {
		if len(fr.Data) != sizes[i] || fr.Offset != offs[i] || fr.Number != uint64(i+1) ||
			!fr.CI.Timestamp.Equal(time.Unix(int64(100+i), 7000)) {
			t.Fatalf("frame %d: %d bytes at %d", i+1, len(fr.Data), fr.Offset)
		}
		for j, c := range fr.Data {
			if c != byte(i*31+j) {
				t.Fatalf("frame %d: byte %d is %d, want %d", i+1, j, c, byte(i*31+j))
			}
		}
	}
	for _, n := range []int{3, 4093, 65536} {
		got, err := readFrom(t, "big", &chunkReader{b: f, n: n})
		if err != nil {
			t.Fatal(err)
		}
		sameFrames(t, "big chunked", got, frames)
	}
	// Cut 1000 bytes into the 3 MiB record (frame 2).
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, f[:offs[1]+16+1000], 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, cut)
	var fe *FormatError
	if len(got) != 1 || !errors.As(err, &fe) || fe.Offset != offs[1] || fe.Frame != 2 || !errors.Is(err, ErrTruncated) {
		t.Fatalf("cut: %d frames, %v", len(got), err)
	}
}
