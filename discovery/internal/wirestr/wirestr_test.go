package wirestr

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
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

func FuzzClean(f *testing.F) {
	f.Add([]byte("plc-1\x00\x00"))
	f.Add([]byte("\x1b[31m\u202eevil\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Clean(b)
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
		if len(s) > Max+len("…") {
			t.Fatalf("%d bytes", len(s))
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("kept %U in %q", r, s)
			}
		}
		if s != strings.TrimSpace(s) {
			t.Fatalf("untrimmed %q", s)
		}
	})
}

func BenchmarkClean(b *testing.B) {
	in := []byte("Siemens, SIMATIC S7, CPU315-2 PN/DP, 6ES7 315-2EH14-0AB0, HW: 1, FW: V3.2.6\x00\x00\x00")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Clean(in)
	}
}
