package wirestr

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"", ""},
		{"plc-1\x00\x00\x00", "plc-1"},
		{"  Cisco IOS\r\n", "Cisco IOS"},
		{"a\x1b[31mb", "a [31mb"},
		{"a\x00b", "ab"},
		{"caf\xc3\xa9", "café"},
		{"bad\xff", "bad\uFFFD"},
		{"x\u0085y", "x y"},
		{"plc\u202egpj.exe", "plcgpj.exe"},
		{"a\u200bb\ufeff", "ab"},
		{"line\u2028two", "line two"},
	}
	for _, c := range cases {
		if got := Clean([]byte(c.in)); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("é", 300)
	got := Clean([]byte(long))
	if len(got) > Max+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("long value not capped: %d bytes", len(got))
	}
}

func TestPrintable(t *testing.T) {
	if !Printable([]byte("SSH-2.0-OpenSSH_8.9\r\n")) || Printable([]byte{0x16, 3, 1}) || Printable(nil) {
		t.Error("Printable wrong")
	}
}
