package zones

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
)

// TestWriteModelHostileNames: wire-derived names in the member comments
// of `zones init` (a DHCP host name with a two-byte rune across byte 120,
// as the e2e hostile capture has; invalid UTF-8; newlines, U+2028, bidi
// overrides) give a file that parses back to the same zones; the YAML
// emitter panicked on the rune cut in half before.
func TestWriteModelHostileNames(t *testing.T) {
	names := []string{
		strings.Repeat("h", 110) + "é" + "-tail",                   // "unknown, " + 110 + é: the rune spans bytes 119-120
		strings.Repeat("h", 111) + "é" + "-tail",                   // and 120-121
		"bad\xff\xfeutf8",                                          // invalid UTF-8
		"line1\nzones: []\r\n# injected",                           // comment break-out
		"sep\u2028arated \u202egnp.exe \u200bzero-width \u0085nel", // separators, bidi, format, C1
	}
	for _, name := range names {
		inv := &inventory.Inventory{Assets: []inventory.Asset{
			{ID: "a1", Key: "ip:10.0.0.1", IPs: []string{"10.0.0.1"}, Hostnames: []string{name}},
			{ID: "a2", Key: "ip:10.0.0.2", IPs: []string{"10.0.0.2"}, Vendor: name},
			{ID: "a3", Key: "ip:10.0.1.3", IPs: []string{"10.0.1.3"}},
		}, Communications: []inventory.Communication{cm("a1", "a3", "http", 80)}}
		rs := ruleSet(t)
		if err := rules.Classify(inv, rs); err != nil {
			t.Fatal(err)
		}
		m, err := Derive(inv, rs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Put both hosts in one zone so they are listed one by one, with
		// their comments (two zones share no network otherwise).
		m.Zones[0].Networks = append(m.Zones[0].Networks, "10.0.0.0/24")
		if len(m.Zones) > 1 {
			m.Zones[1].Networks = append(m.Zones[1].Networks, "10.0.0.0/24")
		}
		var buf bytes.Buffer
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%q: WriteModel panicked: %v", name, r)
				}
			}()
			if err := WriteModel(&buf, m, inv); err != nil {
				t.Fatalf("%q: %v", name, err)
			}
		}()
		out := buf.String()
		if !utf8.ValidString(out) {
			t.Errorf("%q: output is not valid UTF-8", name)
		}
		if strings.ContainsAny(out, "\u2028\u202e\u200b\u0085\r") || strings.Contains(out, "\nzones: []") {
			t.Errorf("%q: a hostile character or line reached the file:\n%s", name, out)
		}
		if _, err := ParseModel("m.yaml", buf.Bytes()); err != nil {
			t.Errorf("%q: the written model does not parse: %v\n%s", name, err, out)
		}
	}
}

func TestCommentText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 10, "abc"},
		{"aé", 2, "a"}, // never half a rune
		{"aé", 3, "aé"},
		{"a\nb\u2028c", 10, "a b c"},
		{"x\u202ey\u200bz", 10, "xyz"},
		{"\xff", 10, "\uFFFD"},
	} {
		if got := commentText(tt.in, tt.max); got != tt.want {
			t.Errorf("commentText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
