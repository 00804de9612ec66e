package probe

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Rate defaults and hard caps (requests per second).
const (
	DefaultRate        = 10
	DefaultPerHostRate = 2
	MaxRate            = 100
	MaxPerHostRate     = 20
)

// Pacer spaces requests: at most rate per second overall and perHost per
// second to any one host, with no bursts. A request is granted only when
// both its global and its host interval have passed since the previous
// grants, and the grant time (not a reservation made in advance) starts the
// next intervals, so a caller that was scheduled late cannot make the next
// request follow it closely on the wire. It is safe for concurrent use.
type Pacer struct {
	global, perHost time.Duration

	mu         sync.Mutex
	nextGlobal time.Time
	nextHost   map[string]time.Time
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
}

// NewPacer checks the rates against the caps and returns a pacer.
func NewPacer(rate, perHost float64) (*Pacer, error) {
	if !(rate > 0) || rate > MaxRate {
		return nil, fmt.Errorf("rate %g: want more than 0 and at most %d requests/s", rate, MaxRate)
	}
	if !(perHost > 0) || perHost > MaxPerHostRate {
		return nil, fmt.Errorf("per-host rate %g: want more than 0 and at most %d requests/s", perHost, MaxPerHostRate)
	}
	return &Pacer{
		global:   time.Duration(float64(time.Second) / rate),
		perHost:  time.Duration(float64(time.Second) / perHost),
		nextHost: map[string]time.Time{},
		now:      time.Now,
		sleep:    sleepCtx,
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Interval returns the spacing of the global and per-host schedules.
func (p *Pacer) Interval() (global, perHost time.Duration) { return p.global, p.perHost }

// Wait blocks until a request to host may be sent, or ctx ends.
func (p *Pacer) Wait(ctx context.Context, host string) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.mu.Lock()
		now := p.now()
		wait := max(p.nextGlobal.Sub(now), p.nextHost[host].Sub(now))
		if wait <= 0 {
			p.nextGlobal = now.Add(p.global)
			p.nextHost[host] = now.Add(p.perHost)
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		if err := p.sleep(ctx, wait); err != nil {
			return err
		}
	}
}
