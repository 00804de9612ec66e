// Package wirestr turns hostile byte strings from the wire into values safe
// to store and show: copied out of the packet buffer, NUL and space padding
// trimmed, control characters replaced, invisible format characters (bidi
// overrides, zero-width spaces) dropped, invalid UTF-8 repaired, and the
// length capped. It is shared by the IT-protocol dissectors (lldp, cdp, dhcp,
// dns, http, tls, ssh, ftp, smb, snmp, ...).
package wirestr

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Max is the longest value kept, in bytes; longer values are cut at a rune
// boundary and end in "…".
const Max = 256

// Clean copies b into a new string fit for storage (see package doc).
func Clean(b []byte) string { return CleanN(b, Max) }

// CleanN is Clean with a caller-chosen cap.
func CleanN(b []byte, max int) string {
	// Trim NUL/space padding at both ends without allocating.
	for len(b) > 0 && (b[len(b)-1] == 0 || b[len(b)-1] == ' ' || b[len(b)-1] == '\r' || b[len(b)-1] == '\n' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == 0 || b[0] == ' ' || b[0] == '\r' || b[0] == '\n' || b[0] == '\t') {
		b = b[1:]
	}
	if len(b) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.Grow(min(len(b), max+3))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r == utf8.RuneError && n <= 1:
			r = '\uFFFD'
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029':
			if r == 0 {
				continue // embedded NULs carry nothing
			}
			r = ' '
		case r >= 0xa0 && unicode.Is(unicode.Cf, r):
			// Format characters (bidi overrides U+202A-202E, U+2066-2069,
			// zero-width spaces, BOM) change how a value displays, not what it
			// says: drop them so that "evil\u202Eexe.txt" cannot pose as another name.
			continue
		}
		if sb.Len()+utf8.RuneLen(r) > max {
			sb.WriteString("…")
			break
		}
		sb.WriteRune(r)
	}
	// Control characters at the ends became spaces: trim them too.
	return strings.TrimSpace(sb.String())
}

// Printable reports whether b is non-empty ASCII text without control
// characters other than tab/CR/LF; detectors use it to confirm text protocols.
func Printable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c >= 0x7f || (c < 0x20 && c != '\t' && c != '\r' && c != '\n') {
			return false
		}
	}
	return true
}
