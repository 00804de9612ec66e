package discovery_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
)

// A communication's first_seen, last_seen and evidence must not depend on
// where the ingest happened to flush (it commits every 50 000 rows or 5 s
// of wall time), and packet times need not grow (merged captures). Before
// KindFlow carried Since, a flow flushed once showed the time of its last
// packet as first_seen, and a flow flushed after each packet the time of
// its first.
func TestFlowTimesIndependentOfFlushes(t *testing.T) {
	a := ep{"00:1d:9c:00:00:07", "10.0.0.7", 40001}
	b := ep{"00:1d:9c:00:00:08", "10.0.0.8", 47808}
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	// Frame 1 at t0+3s, 2 at t0+1s (the earliest), 3 at t0+5s (the latest), 4 at t0+2s.
	times := []time.Duration{3 * time.Second, time.Second, 5 * time.Second, 2 * time.Second}
	type comm struct {
		First, Last time.Time
		Source      string
		Packets     uint64
	}
	run := func(flushAfter map[int]bool) comm {
		set, _ := testSet(t)
		r := newRunner(t, set, discovery.EngineOptions{})
		r.step = 0
		bl := inventory.NewBuilder("")
		for i, d := range times {
			r.ts = t0.Add(d)
			r.eth(ether(a, b, ipUDP(a, b, []byte("\x81x"+string(rune('0'+i))))))
			if flushAfter[i+1] {
				r.e.Flush()
			}
		}
		r.e.Flush()
		for _, o := range r.obs {
			bl.Add(o)
		}
		rows := bl.Drain()
		var got []comm
		for _, c := range rows.Communications {
			// Rows of several deltas merge as the store merges them.
			got = append(got, comm{c.FirstSeen, c.LastSeen, c.Source, c.Packets})
		}
		if len(got) != 1 {
			t.Fatalf("communications %+v, want one", got)
		}
		return got[0]
	}
	want := comm{t0.Add(time.Second), t0.Add(5 * time.Second), "pcap:test.pcap#frame=2", 4}
	for name, flushes := range map[string]map[int]bool{
		"once":             nil,
		"after each frame": {1: true, 2: true, 3: true, 4: true},
		"after frame 1":    {1: true},
		"after frame 2":    {2: true},
		"after frame 3":    {3: true},
	} {
		if d := cmp.Diff(want, run(flushes)); d != "" {
			t.Errorf("flushed %s: communication (-want +got):\n%s", name, d)
		}
	}
}
