package source

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/otzone/otzone/internal/testutil"
)

// FuzzReader opens arbitrary file bytes. Open either fails or the frames
// come out numbered 1, 2, ... and the reading ends with io.EOF or a
// *FormatError naming the next frame; nothing panics.
func FuzzReader(f *testing.F) {
	for _, rel := range []string{"enip/multiple_service_packet_cip.pcapng", "profinet/profinet_io_cm_connect_minimal.pcapng", "modbus/modbus_example.pcap"} {
		p := filepath.Join(testutil.RepoRoot(), "..", "shared", "pcaps", rel)
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if len(raw) > 4096 {
			raw = raw[:4096]
		}
		f.Add(raw)
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(raw)
		w.Close()
		f.Add(b.Bytes())
	}
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := OpenReader("fuzz", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		defer r.Close()
		var n uint64
		for {
			fr, err := r.Next()
			if err == io.EOF {
				return
			}
			var fe *FormatError
			if errors.As(err, &fe) {
				if fe.Frame != n+1 {
					t.Fatalf("FormatError frame %d after %d frames", fe.Frame, n)
				}
				return
			}
			if err != nil {
				return // read errors from gzip etc.
			}
			n++
			if fr.Number != n || len(fr.Data) != fr.CI.CaptureLength {
				t.Fatalf("frame %d numbered %d, len %d caplen %d", n, fr.Number, len(fr.Data), fr.CI.CaptureLength)
			}
		}
	})
}
