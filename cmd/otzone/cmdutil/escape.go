package cmdutil

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// EscapeTerminal makes a string from the wire safe to print on a terminal:
// control characters (ANSI escapes, newlines, carriage returns, bidi
// overrides) are shown as Go escapes instead of being interpreted, and
// invalid UTF-8 as \xNN.
func EscapeTerminal(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteByte("0123456789abcdef"[s[i]>>4])
			b.WriteByte("0123456789abcdef"[s[i]&0xf])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unsafeRune(r):
			if r < 0x100 {
				b.WriteString(`\x`)
				b.WriteByte("0123456789abcdef"[r>>4])
				b.WriteByte("0123456789abcdef"[r&0xf])
			} else {
				b.WriteString(`\u`)
				const h = "0123456789abcdef"
				b.WriteByte(h[(r>>12)&0xf])
				b.WriteByte(h[(r>>8)&0xf])
				b.WriteByte(h[(r>>4)&0xf])
				b.WriteByte(h[r&0xf])
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune: C0/C1 controls, DEL, the Unicode format characters that
// reorder or hide text (bidi overrides, zero-width), and the line and
// paragraph separators U+2028/U+2029 (a new line to some terminals, log
// viewers and editors).
func unsafeRune(r rune) bool {
	if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
		return true
	}
	return r > 0xff && (unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029')
}

// EscapeCSVCell defends a CSV cell against formula injection: a cell that a
// spreadsheet would evaluate (starting with = + - @ tab or carriage return)
// is prefixed with a single quote (OWASP CSV injection). encoding/csv does
// the quoting of commas, quotes and newlines.
func EscapeCSVCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
