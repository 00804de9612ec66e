package ingest

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/otzone/otzone/internal/ingest"
)

// TestProgressBarLongNames: a long file name is shortened on a rune
// boundary (German, CJK names), escaped, and the line stays valid UTF-8.
func TestProgressBarLongNames(t *testing.T) {
	for _, name := range []string{
		"Anlage-Süd-Schaltschrank-Übergabe-Ölpumpe-2026.pcapng",
		strings.Repeat("温度", 20) + ".pcap",
		strings.Repeat("a", 30) + "\x1b[31m\u202e-capture.pcap",
	} {
		var buf bytes.Buffer
		b := &progressBar{w: &buf}
		b.update(ingest.Progress{File: "/captures/" + name, Files: 1, Read: 10, Total: 100, Packets: 3})
		out := buf.String()
		if !utf8.ValidString(out) {
			t.Errorf("%q: progress line is not valid UTF-8: %q", name, out)
		}
		if strings.Contains(strings.TrimPrefix(out, "\r\x1b[K"), "\x1b") || strings.ContainsRune(out, '\u202e') {
			t.Errorf("%q: raw escape in the progress line: %q", name, out)
		}
		if !strings.Contains(out, "…") {
			t.Errorf("%q: long name not shortened: %q", name, out)
		}
	}
}
