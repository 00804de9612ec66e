// Package recent is the bounded "report it again only when it changed or
// went quiet" table the announcement dissectors share (lldp, cdp, dhcp,
// ntp): a sender repeats the same facts every few seconds all day, and an
// inventory needs them once per change or per quiet period.
package recent

import "time"

type entry struct {
	hash uint64
	at   time.Time
}

// Table remembers, per key, the content hash last reported and when. It
// holds at most max keys and is cleared when full. Not safe for concurrent
// use.
type Table[K comparable] struct {
	m     map[K]entry
	max   int
	quiet time.Duration
}

// New returns a table of at most max keys that keeps unchanged content
// quiet for the quiet period.
func New[K comparable](max int, quiet time.Duration) *Table[K] {
	return &Table[K]{m: map[K]entry{}, max: max, quiet: quiet}
}

// Fresh reports whether content h for k is due: new, changed, or last
// reported at least quiet ago (or "after" now, when capture time went
// backwards). A due report is recorded.
func (t *Table[K]) Fresh(k K, h uint64, now time.Time) bool {
	if e, ok := t.m[k]; ok && e.hash == h && now.Sub(e.at) < t.quiet && !now.Before(e.at) {
		return false
	}
	if len(t.m) >= t.max {
		clear(t.m)
	}
	t.m[k] = entry{h, now}
	return true
}

// Hash is FNV-1a 64 of b, inlined so that hashing a frame does not
// allocate.
func Hash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
