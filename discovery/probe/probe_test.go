package probe

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseTargets(t *testing.T) {
	tests := []struct {
		args       []string
		allowRange bool
		want       string // targets joined by space, or "error: <substring>"
	}{
		{[]string{"10.0.0.5"}, false, "10.0.0.5:502"},
		{[]string{"10.0.0.5:5020", "10.0.0.5:5020"}, false, "10.0.0.5:5020"},
		{[]string{"[fe80::1]:503", "::1"}, false, "[fe80::1]:503 [::1]:502"},
		{[]string{"plc-1.example", "plc-2:1502"}, false, "plc-1.example:502 plc-2:1502"},
		{[]string{"10.0.0.0/30"}, false, "error: --allow-range"},
		{[]string{"10.0.0.0/30"}, true, "10.0.0.1:502 10.0.0.2:502"},
		{[]string{"10.0.0.8/31"}, true, "10.0.0.8:502 10.0.0.9:502"},
		{[]string{"10.0.0.7/32:1502"}, true, "10.0.0.7:1502"},
		{[]string{"10.0.0.0/23"}, true, "error: at most 256"},
		{[]string{"10.0.0.0/24", "10.0.1.0/24"}, true, "error: at most 256 per run"},
		{[]string{"224.0.0.1"}, false, "error: not a unicast"},
		{[]string{"0.0.0.0"}, false, "error: not a unicast"},
		{[]string{"10.0.0.5:0"}, false, "error: bad port"},
		{[]string{"10.0.0.5:70000"}, false, "error: bad port"},
		{[]string{"bad host!"}, false, "error: not an IP address or host name"},
		{[]string{""}, false, "error: empty"},
	}
	for _, tc := range tests {
		ts, err := ParseTargets(tc.args, 502, tc.allowRange)
		var got string
		if err != nil {
			got = "error: " + err.Error()
			if !strings.HasPrefix(tc.want, "error: ") || !strings.Contains(got, strings.TrimPrefix(tc.want, "error: ")) {
				t.Errorf("%v: %s, want %s", tc.args, got, tc.want)
			}
			continue
		}
		var s []string
		for _, x := range ts {
			s = append(s, x.String())
		}
		if got = strings.Join(s, " "); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.args, got, tc.want)
		}
	}
	ts, err := ParseTargets([]string{"192.168.7.0/24"}, 502, true)
	if err != nil || len(ts) != 254 || ts[0].Host != "192.168.7.1" || ts[253].Host != "192.168.7.254" {
		t.Errorf("/24: %d targets, %v", len(ts), err)
	}
}

func TestPacerLimits(t *testing.T) {
	for _, r := range [][2]float64{{0, 1}, {-1, 1}, {MaxRate + 1, 1}, {1, 0}, {1, MaxPerHostRate + 1}} {
		if _, err := NewPacer(r[0], r[1]); err == nil {
			t.Errorf("rates %v accepted", r)
		}
	}
}

// TestPacerSlots checks the grants on a fake clock that only moves when a
// caller sleeps: global interval 10 ms, per host 50 ms.
func TestPacerSlots(t *testing.T) {
	p, err := NewPacer(100, 20)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1700000000, 0)
	clock := t0
	p.now = func() time.Time { return clock }
	p.sleep = func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil }
	var got []time.Duration
	for _, h := range []string{"a", "b", "a", "c", "a", "b"} {
		if err := p.Wait(context.Background(), h); err != nil {
			t.Fatal(err)
		}
		got = append(got, clock.Sub(t0))
	}
	// a@0, b@10ms, a@50ms (its host interval), c@60ms, a@100ms, b@110ms.
	want := []time.Duration{0, 10 * time.Millisecond, 50 * time.Millisecond, 60 * time.Millisecond, 100 * time.Millisecond, 110 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("grant %d at %v, want %v (all %v)", i, got[i], want[i], got)
		}
	}
	// A caller granted late pushes the next grant: b asks at 300 ms (late),
	// the next request anywhere waits the full global interval after it.
	clock = t0.Add(300 * time.Millisecond)
	_ = p.Wait(context.Background(), "b")
	_ = p.Wait(context.Background(), "c")
	if d := clock.Sub(t0); d != 310*time.Millisecond {
		t.Errorf("grant after a late one at %v, want 310ms", d)
	}
}

// TestPacerWaits: concurrent callers are spread over real time; the lower
// bound is deterministic (n requests at rate r take at least (n-1)/r).
func TestPacerWaits(t *testing.T) {
	p, err := NewPacer(50, 20)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := p.Wait(context.Background(), []string{"x", "y", "z"}[i%3]); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	// 6 requests over 3 hosts: 2 per host at 20/s -> >= 50 ms; globally
	// 5 gaps at 50/s -> >= 100 ms.
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("6 paced requests took %v, want at least 100ms", el)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 3; i++ {
		_ = p.Wait(context.Background(), "q")
	}
	if err := p.Wait(ctx, "q"); err == nil {
		t.Error("cancelled wait returned nil")
	}
}
