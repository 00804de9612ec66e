package cmdutil

import (
	"testing"
	"unicode/utf8"
)

// FuzzEscapeTerminal: whatever the wire sends, the escaped form is valid
// UTF-8 without a control character or a bidi/format character.
func FuzzEscapeTerminal(f *testing.F) {
	for _, s := range []string{"plc-1", "\x1b[2J", "a\r\nb", "\u202e", "\xff", "\u009b", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := EscapeTerminal(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("%U left in %q", r, out)
			}
		}
	})
}
