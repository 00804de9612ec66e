package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/store"
)

// Config is one capture run.
type Config struct {
	Interfaces []string
	Open       OpenOptions // filter, snap length, ring size (every interface)
	// Duration stops the capture after this long (0: until cancelled).
	Duration time.Duration
	// MaxPackets stops after this many frames (0: no limit).
	MaxPackets uint64
	// Flush commits the inventory at least this often (default 30 s).
	Flush time.Duration
	// BatchRows also commits when the Builder holds this many rows
	// (default ingest.DefaultBatchRows), so memory stays bounded.
	BatchRows int
	// Pcap, when Dir is set, writes every captured frame to rotating
	// pcapng files.
	Pcap RotateOptions
	Site string
	// StatsEvery calls Progress this often (default 2 s); Progress may be nil.
	StatsEvery time.Duration
	Progress   func(Stats)
	Logger     *slog.Logger
	// OpenHandle opens an interface (default Open); tests pass fakes.
	OpenHandle func(iface string, opt OpenOptions) (Handle, error)
	// NewEngine builds the engine (default: every registered dissector, as
	// `otzone ingest` builds it).
	NewEngine func(emit discovery.Emit) (ingest.Engine, error)
	// Now is the wall clock (default time.Now).
	Now func() time.Time
}

// Stats are the counters shown while capturing and in the summary.
type Stats struct {
	Elapsed time.Duration
	Packets uint64 // frames processed
	Bytes   uint64 // their length on the wire
	Kernel  KernelStats
	// AppDrops: frames read from the ring but dropped because processing
	// was stuck (no free buffer for appDropWait).
	AppDrops       uint64
	Malformed      uint64
	Assets         int // in the database after the last commit (counted after the final commit, and after the others only when Progress is set)
	Communications int
	Commits        int
	PcapFiles      int   // files written (including the open one)
	PcapBytes      int64 // bytes in the files kept
	PerInterface   []InterfaceStats
}

// InterfaceStats are one interface's counters.
type InterfaceStats struct {
	Name     string
	Packets  uint64
	Bytes    uint64
	Kernel   KernelStats
	AppDrops uint64
}

// LossPercent is the share of frames that reached the socket but were lost
// (kernel and application drops), in percent.
func (s Stats) LossPercent() float64 {
	// The kernel's count starts when the ring is set up; a few frames
	// queued while the socket was being bound are processed but not in it.
	// Kernel.Packets already counts the frames dropped in the kernel and
	// those read then dropped here.
	total := s.Kernel.Packets
	if seen := s.Packets + s.Kernel.Drops + s.AppDrops; seen > total {
		total = seen
	}
	if total == 0 {
		return 0
	}
	return 100 * float64(s.Kernel.Drops+s.AppDrops) / float64(total)
}

// Summary is the outcome of Run.
type Summary struct {
	Stats
	Interrupted bool   // the context was cancelled
	Reason      string // why it stopped: "interrupted", "duration", "max-packets", "error"
}

const (
	batchBytes   = 1 << 20
	batchPackets = 2048
	nBatches     = 32
	batchAge     = 20 * time.Millisecond
	appDropWait  = 2 * time.Second
)

// frameRec is one frame of a batch: where its bytes are, its length on
// the wire and its time (a small record: the reader writes one per frame).
type frameRec struct {
	off, n int
	wire   int
	ts     time.Time
	frame  uint64
}

type batch struct {
	iface int
	buf   []byte
	recs  []frameRec
}

type reader struct {
	idx      int
	h        Handle
	frames   uint64
	appDrops atomic.Uint64
	mu       sync.Mutex
	kstats   KernelStats
	kerr     error
}

func (r *reader) snapshot() {
	ks, err := r.h.Stats()
	r.mu.Lock()
	if err == nil {
		r.kstats = ks
	} else {
		r.kerr = err
	}
	r.mu.Unlock()
}

func (r *reader) kernel() KernelStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kstats
}

// Run captures from every interface into st until ctx is cancelled, the
// duration or packet limit is reached, or a read fails. Frames go through
// the same engine, Builder and store commits as `otzone ingest`; each
// interface is a source of kind "live" whose row carries the kernel and
// application loss counters. Every flush interval (and at the end) the
// inventory is committed in one transaction, so readers of the database see
// it grow. A cancelled context is not an error: the capture is flushed and
// committed and Summary.Interrupted is set.
func Run(ctx context.Context, st *store.Store, cfg Config) (sum Summary, err error) {
	if len(cfg.Interfaces) == 0 {
		return sum, errors.New("live: no interface")
	}
	seen := map[string]bool{}
	for _, n := range cfg.Interfaces {
		if seen[n] {
			return sum, fmt.Errorf("live: interface %s given twice", n)
		}
		seen[n] = true
	}
	if cfg.Flush <= 0 {
		cfg.Flush = 30 * time.Second
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = ingest.DefaultBatchRows
	}
	if cfg.StatsEvery <= 0 {
		cfg.StatsEvery = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OpenHandle == nil {
		cfg.OpenHandle = Open
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewEngine == nil {
		logger := cfg.Logger
		cfg.NewEngine = func(emit discovery.Emit) (ingest.Engine, error) {
			set, err := discovery.NewSet()
			if err != nil {
				return nil, err
			}
			return discovery.NewEngine(set, emit, discovery.EngineOptions{Logger: logger}), nil
		}
	}
	cfg.Open.defaults()
	start := cfg.Now()

	// Open every interface first: a typo in the second one fails before
	// anything is recorded.
	readers := make([]*reader, len(cfg.Interfaces))
	for i, name := range cfg.Interfaces {
		h, err := cfg.OpenHandle(name, cfg.Open)
		if err != nil {
			for _, r := range readers[:i] {
				r.h.Close()
			}
			return sum, err
		}
		for _, w := range h.Warnings() {
			cfg.Logger.Warn(w)
		}
		readers[i] = &reader{idx: i, h: h}
	}
	closeAll := func() {
		for _, r := range readers {
			r.h.Close()
		}
	}

	var pw *rotator
	if cfg.Pcap.Dir != "" {
		ifs := make([]pcapIface, len(readers))
		for i, r := range readers {
			ifs[i] = pcapIface{Name: r.h.Name(), LinkType: r.h.LinkType(), SnapLen: cfg.Open.SnapLen, Filter: cfg.Open.Filter}
		}
		pw, err = newRotator(cfg.Pcap, ifs, cfg.Now)
		if err != nil {
			closeAll()
			return sum, err
		}
	}

	builder := inventory.NewBuilder(cfg.Site)
	eng, err := cfg.NewEngine(builder.Add)
	if err != nil {
		closeAll()
		return sum, fmt.Errorf("live: %w", err)
	}
	srcs := make([]inventory.Source, len(readers))
	ids := make([]store.SourceID, len(readers))
	per := make([]InterfaceStats, len(readers))
	for i, r := range readers {
		srcs[i] = inventory.Source{Kind: "live", Name: r.h.Name(), Site: cfg.Site, Drops: &inventory.CaptureStats{}}
		ids[i], err = st.BeginSource(ctx, srcs[i], "iface:"+r.h.Name(), start)
		if err != nil {
			closeAll()
			return sum, err
		}
		per[i].Name = r.h.Name()
	}

	// Readers: one goroutine per interface, copying frames into batches.
	free := make(chan *batch, nBatches)
	full := make(chan *batch, nBatches)
	for i := 0; i < nBatches; i++ {
		free <- &batch{buf: make([]byte, 0, batchBytes), recs: make([]frameRec, 0, batchPackets)}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	readErr := make(chan error, len(readers))
	for _, r := range readers {
		wg.Add(1)
		go func(r *reader) {
			defer wg.Done()
			defer r.h.Close()
			if err := r.run(&stop, free, full); err != nil {
				readErr <- err
			}
			r.snapshot()
		}(r)
	}
	allDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(allDone)
	}()

	var (
		malformed0 = eng.Stats().Malformed
		commits    int
		lastErr    error
		stopping   bool
	)
	stats := func() Stats {
		s := Stats{Elapsed: cfg.Now().Sub(start), PerInterface: append([]InterfaceStats(nil), per...), Commits: commits}
		for i, r := range readers {
			k := r.kernel()
			s.PerInterface[i].Kernel = k
			s.PerInterface[i].AppDrops = r.appDrops.Load()
			s.Packets += per[i].Packets
			s.Bytes += per[i].Bytes
			s.Kernel.Packets += k.Packets
			s.Kernel.Drops += k.Drops
			s.Kernel.Freezes += k.Freezes
			s.AppDrops += s.PerInterface[i].AppDrops
		}
		s.Malformed = eng.Stats().Malformed - malformed0
		s.Assets, s.Communications = sum.Assets, sum.Communications
		if pw != nil {
			s.PcapFiles, s.PcapBytes = pw.files, pw.total()
		}
		return s
	}
	// Commits run in their own goroutine so that a slow transaction (or
	// the count of assets after it) never stalls processing: the Builder's
	// rows are drained here and handed over; at most one commit is in
	// flight.
	type commitJob struct {
		rows     *inventory.Rows
		progress []*store.Progress
		final    bool
	}
	type commitResult struct {
		err          error
		assets, comm int
		counted      bool
		rows         *inventory.Rows // committed: the Builder may reuse them
	}
	jobs := make(chan commitJob)
	results := make(chan commitResult, 1)
	var closeJobs sync.Once
	defer closeJobs.Do(func() { close(jobs) })
	go func() {
		for j := range jobs {
			var res commitResult
			for i, p := range j.progress {
				var r *inventory.Rows
				if i == 0 {
					r = j.rows
				}
				// The final commit happens after a cancel too.
				if err := st.Commit(context.WithoutCancel(ctx), ids[i], r, p); err != nil {
					res.err = err
					break
				}
			}
			// The asset and communication counts are for the status line
			// and the summary: after the final commit, and after the others
			// only when someone shows them. LoadForCounts reads just what
			// decides the merge (as `otzone ingest` does for its summary),
			// not the whole inventory.
			if res.err == nil && (j.final || cfg.Progress != nil) {
				if rows, err := st.LoadForCounts(context.WithoutCancel(ctx)); err == nil {
					res.assets, res.comm = inventory.Count(rows)
					res.counted = true
				}
			}
			res.rows = j.rows
			results <- res
		}
	}()
	busy := false
	startCommit := func(complete bool) {
		eng.Flush()
		s := stats()
		j := commitJob{rows: builder.Drain(), final: complete}
		for i := range readers {
			src := srcs[i]
			src.Packets, src.Bytes = per[i].Packets, per[i].Bytes
			if i == 0 {
				src.Malformed = s.Malformed
			}
			src.Drops = &inventory.CaptureStats{KernelPackets: s.PerInterface[i].Kernel.Packets, KernelDrops: s.PerInterface[i].Kernel.Drops,
				Freezes: s.PerInterface[i].Kernel.Freezes, AppDrops: s.PerInterface[i].AppDrops}
			p := &store.Progress{Source: src, Complete: complete}
			if complete {
				p.Finished = cfg.Now()
			}
			j.progress = append(j.progress, p)
		}
		jobs <- j
		busy = true
	}
	var commitErr error
	done1 := func(res commitResult) {
		busy = false
		builder.Recycle(res.rows) // the store is done with them
		if res.err != nil {
			if commitErr == nil {
				commitErr = res.err
			}
			return
		}
		commits++
		if res.counted {
			sum.Assets, sum.Communications = res.assets, res.comm
		}
	}
	waitCommit := func() {
		if busy {
			done1(<-results)
		}
	}

	flushT := time.NewTicker(cfg.Flush)
	defer flushT.Stop()
	statsT := time.NewTicker(cfg.StatsEvery)
	defer statsT.Stop()
	var durC <-chan time.Time
	if cfg.Duration > 0 {
		dt := time.NewTimer(cfg.Duration)
		defer dt.Stop()
		durC = dt.C
	}
	done := ctx.Done()
	beginStop := func(reason string) {
		if !stopping {
			stopping = true
			sum.Reason = reason
			stop.Store(true)
			done, durC = nil, nil
		}
	}
	var total uint64
	process := func(b *batch) {
		r := readers[b.iface]
		ev := discovery.Evidence{Kind: "live", Name: r.h.Name()}
		src := &srcs[b.iface]
		for _, fr := range b.recs {
			if cfg.MaxPackets > 0 && total >= cfg.MaxPackets {
				beginStop("max-packets")
				break
			}
			data := b.buf[fr.off : fr.off+fr.n]
			total++
			ev.Frame = fr.frame
			wire := fr.wire
			if wire < fr.n {
				wire = fr.n
			}
			per[b.iface].Packets++
			per[b.iface].Bytes += uint64(wire)
			ts := fr.ts
			if src.FirstSeen.IsZero() || ts.Before(src.FirstSeen) {
				src.FirstSeen = ts
			}
			if ts.After(src.LastSeen) {
				src.LastSeen = ts
			}
			ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: fr.n, Length: fr.wire}
			eng.Packet(data, ci, layers.LinkTypeEthernet, ev)
			if pw != nil {
				if err := pw.write(b.iface, ci, data); err != nil {
					cfg.Logger.Error("writing pcapng stopped", "err", err)
					pw.abandon()
					pw = nil
				}
			}
		}
		if cfg.MaxPackets > 0 && total >= cfg.MaxPackets {
			beginStop("max-packets")
		}
		b.buf, b.recs = b.buf[:0], b.recs[:0]
		free <- b
	}

	defer func() {
		if p := recover(); p != nil {
			// A bug must not lose what is committed: stop the readers and
			// report.
			stop.Store(true)
			<-allDone
			err = fmt.Errorf("live: internal error: %v", p)
		}
	}()
loop:
	for {
		select {
		case b := <-full:
			process(b)
			if !stopping && builder.Pending() >= cfg.BatchRows {
				waitCommit() // memory stays bounded: wait for the one in flight
				startCommit(false)
			}
		case <-flushT.C:
			if !busy {
				startCommit(false)
			}
		case res := <-results:
			done1(res)
		case <-statsT.C:
			for _, r := range readers {
				r.snapshot()
			}
			if pw != nil {
				if err := pw.tick(); err != nil {
					cfg.Logger.Error("writing pcapng stopped", "err", err)
					pw.abandon()
					pw = nil
				}
			}
			if cfg.Progress != nil {
				cfg.Progress(stats())
			}
		case <-durC:
			beginStop("duration")
		case <-done:
			sum.Interrupted = true
			beginStop("interrupted")
		case err := <-readErr:
			lastErr = err
			beginStop("error")
		case <-allDone:
			break loop
		}
		if commitErr != nil && !stopping {
			beginStop("error")
		}
	}
	// Readers are gone: process what they queued (unless over the limit).
	for {
		select {
		case b := <-full:
			process(b)
			continue
		default:
		}
		break
	}
	select {
	case err := <-readErr:
		if lastErr == nil {
			lastErr = err
		}
	default:
	}
	if pw != nil {
		if err := pw.close(); err != nil && lastErr == nil {
			lastErr = err
		}
	}
	eng.Close()
	waitCommit()
	startCommit(true)
	waitCommit()
	closeJobs.Do(func() { close(jobs) })
	sum.Stats = stats()
	if commitErr != nil {
		return sum, commitErr
	}
	return sum, lastErr
}

// run reads frames into batches until stop is set or the handle fails.
// When every batch is in use (processing is behind) it waits for one, so
// the kernel ring absorbs the burst and its drop counter tells; only after
// appDropWait without a free batch (processing stuck, e.g. the database
// locked by another writer) are frames dropped here, counted as AppDrops.
func (r *reader) run(stop *atomic.Bool, free, full chan *batch) error {
	var cur *batch
	var started time.Time
	send := func() {
		if cur != nil && len(cur.recs) > 0 {
			full <- cur // never blocks: every batch fits
			cur = nil
		}
	}
	defer send()
	r.snapshot()
	lastSnap := time.Now()
	var stuckSince time.Time
	n := 0
	for !stop.Load() {
		data, ci, err := r.h.Read()
		if err != nil {
			if errors.Is(err, ErrTimeout) {
				send()
				if time.Since(lastSnap) > 500*time.Millisecond {
					r.snapshot()
					lastSnap = time.Now()
				}
				continue
			}
			if errors.Is(err, ErrClosed) {
				return nil
			}
			return err
		}
		r.frames++
		if n++; n&63 == 0 {
			now := time.Now()
			if cur != nil && now.Sub(started) > batchAge {
				send()
			}
			if now.Sub(lastSnap) > 500*time.Millisecond {
				r.snapshot()
				lastSnap = now
			}
		}
		if cur != nil && (len(cur.buf)+len(data) > cap(cur.buf) || len(cur.recs) == cap(cur.recs)) {
			send()
		}
		if cur == nil {
			select {
			case cur = <-free:
			default:
				if !stuckSince.IsZero() && time.Since(stuckSince) > appDropWait {
					r.appDrops.Add(1)
					continue
				}
				t := time.NewTimer(appDropWait)
				select {
				case cur = <-free:
					stuckSince = time.Time{}
				case <-t.C:
					stuckSince = time.Now().Add(-appDropWait - 1)
					r.appDrops.Add(1)
				}
				t.Stop()
				if cur == nil {
					continue
				}
			}
			stuckSince = time.Time{}
			cur.iface = r.idx
			started = time.Now()
		}
		if len(data) > cap(cur.buf)-len(cur.buf) {
			data = data[:cap(cur.buf)-len(cur.buf)] // only a frame over 1 MiB, never with the snap length cap
		}
		off := len(cur.buf)
		cur.buf = append(cur.buf, data...)
		cur.recs = append(cur.recs, frameRec{off: off, n: len(data), wire: ci.Length, ts: ci.Timestamp, frame: r.frames})
	}
	return nil
}
