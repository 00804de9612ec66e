package source

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/otzone/otzone/internal/testutil"
)

// TestGzipStreamCut cuts the gzip stream itself (not the capture inside
// it) at many offsets. A cut gzip file is never a clean end, even when
// the bytes it inflates end exactly between two records: every cut reports
// a *FormatError (or fails at Open), none reads as a complete capture.
func TestGzipStreamCut(t *testing.T) {
	path := testutil.SharedPcap(t, "modbus/modbus_example.pcap")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	full := gz.Bytes()
	cleanEnds := 0
	for cut := 1; cut < len(full); cut += 7 {
		rd, err := OpenReader("cut.pcap.gz", bytes.NewReader(full[:cut]), int64(cut))
		if err != nil {
			continue // header or first bytes missing: refused at Open
		}
		for {
			_, err = rd.Next()
			if err != nil {
				break
			}
		}
		rd.Close()
		if err == io.EOF {
			cleanEnds++
			t.Errorf("gzip cut at %d of %d: read as a complete capture", cut, len(full))
			continue
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("gzip cut at %d: %v, want *FormatError", cut, err)
		}
	}
	// The whole stream still ends cleanly.
	rd, err := OpenReader("full.pcap.gz", bytes.NewReader(full), int64(len(full)))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for {
		if _, err = rd.Next(); err != nil {
			break
		}
	}
	if err != io.EOF {
		t.Errorf("complete gzip stream: %v, want io.EOF", err)
	}
}
