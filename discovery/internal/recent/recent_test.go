package recent

import (
	"hash/fnv"
	"testing"
	"time"
)

func TestFresh(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tb := New[string](2, 10*time.Minute)
	steps := []struct {
		k    string
		h    uint64
		at   time.Duration
		want bool
	}{
		{"a", 1, 0, true},                 // new
		{"a", 1, time.Minute, false},      // unchanged, quiet
		{"a", 2, 2 * time.Minute, true},   // changed
		{"a", 2, 11 * time.Minute, false}, // 9 min after the last report
		{"a", 2, 12 * time.Minute, true},  // 10 min: due again
		{"a", 2, time.Minute, true},       // time went backwards
		{"b", 2, time.Minute, true},       // other key
		{"c", 2, time.Minute, true},       // table full: cleared, then c
		{"a", 2, time.Minute, true},       // a was forgotten by the clear
	}
	for i, s := range steps {
		if got := tb.Fresh(s.k, s.h, t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d (%s %d at %v): Fresh = %v, want %v", i, s.k, s.h, s.at, got, s.want)
		}
	}
}

func TestHashIsFNV1a(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("a"), []byte("\x01\x02\xfflldp")} {
		h := fnv.New64a()
		h.Write(b)
		if got, want := Hash(b), h.Sum64(); got != want {
			t.Errorf("Hash(%q) = %#x, want %#x (hash/fnv)", b, got, want)
		}
	}
}
