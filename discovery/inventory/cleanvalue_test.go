package inventory

import "testing"

func TestCleanValueDropsFormatCharacters(t *testing.T) {
	cases := map[string]string{
		"plc\u202Etxt.exe":         "plctxt.exe",               // right-to-left override
		"a\u200Bb\u2066c\u2069":    "abc",                      // zero-width space, isolates
		"line1\u2028line2":         "line1 line2",              // line separator
		"\uFEFFname":               "name",                     // BOM
		"Köln Süd":                 "Köln Süd",                 // ordinary non-ASCII stays
		"\u2013 en dash \u2014":    "\u2013 en dash \u2014",    // E2 lead byte, not a format char
		"\u0645\u0631\u062D\u0628": "\u0645\u0631\u062D\u0628", // Arabic letters stay
	}
	for in, want := range cases {
		if got := CleanValue(in); got != want {
			t.Errorf("CleanValue(%q) = %q, want %q", in, got, want)
		}
	}
}
