package inventory

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCleanValueMatchesReference: CleanValue, with its printable-ASCII
// shortcut, gives what cleanValueSlow (the full sanitizer) gives on printable ASCII with and without surrounding spaces, at and
// around the length limit, with each C0 control, DEL and non-ASCII bytes
// at the start, middle and end, and on random byte strings.
func TestCleanValueMatchesReference(t *testing.T) {
	var in []string
	for _, n := range []int{0, 1, 5, 127, 128, 129, 255, 256, 257, 300} {
		in = append(in, strings.Repeat("a", n), " "+strings.Repeat("Z~", n/2)+" ", strings.Repeat(" ", n))
	}
	for c := 0; c < 256; c++ {
		for _, pos := range []int{0, 3, 6} {
			b := []byte("abcdef ")
			b[pos] = byte(c)
			in = append(in, string(b))
		}
	}
	in = append(in, "Siemens\u202e", "caf\u00e9", "\u00a0x\u00a0", "x\u2028y", "\xc2\x85", "\xff\xfe")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		b := make([]byte, rng.IntN(300))
		for j := range b {
			if rng.IntN(4) == 0 {
				b[j] = byte(rng.IntN(256))
			} else {
				b[j] = byte(0x20 + rng.IntN(0x5f))
			}
		}
		in = append(in, string(b))
	}
	for _, s := range in {
		if got, want := CleanValue(s), cleanValueSlow(s); got != want {
			t.Fatalf("CleanValue(%q) = %q, reference %q", s, got, want)
		}
	}
}
