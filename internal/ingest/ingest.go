// Package ingest reads capture files through the discovery engine into the
// inventory Builder and commits the result to the store in batches. It is
// the library behind `otzone ingest` and what tests use to run real
// captures through the whole pipeline.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/discovery/source"
	"github.com/otzone/otzone/internal/store"
)

// Defaults for Options.
const (
	DefaultBatchRows     = 50_000
	DefaultBatchInterval = 5 * time.Second
)

// Engine is what ingest needs of the discovery engine (a fake in tests).
type Engine interface {
	Packet(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, ev discovery.Evidence)
	Flush()
	FlushAll()
	Close()
	Stats() discovery.EngineStats
}

// Options tune Files. The zero value is usable.
type Options struct {
	// Site tags every observation (--site).
	Site   string
	Logger *slog.Logger
	// Progress, when set, is called from the ingest goroutine about ten
	// times a second while a file is read, and once when it ends.
	Progress func(Progress)
	// BatchRows commits when the Builder holds this many rows (default
	// DefaultBatchRows); BatchInterval commits at least this often in wall
	// time (default DefaultBatchInterval). Every file ends with a commit.
	BatchRows     int
	BatchInterval time.Duration
	// Now is the wall clock (default time.Now).
	Now func() time.Time
	// NewEngine builds the engine (default: every registered dissector).
	NewEngine func(emit discovery.Emit) (Engine, error)
}

// Progress is what a progress bar shows.
type Progress struct {
	File        string // path
	FileIndex   int    // 0-based
	Files       int
	Read, Total int64 // bytes of the current file (compressed bytes for .gz)
	Packets     uint64
	Hashing     bool // no longer set: the sha256 is computed while the file is read
}

// FileResult is the outcome for one path.
type FileResult struct {
	Path   string
	SHA256 string
	// Skipped: this content was already ingested completely (Err is nil).
	Skipped bool
	// Resumed: an interrupted ingest of the same content is being
	// continued; ResumedAt frames were already committed.
	Resumed   bool
	ResumedAt uint64
	Packets   uint64 // frames read (including ResumedAt)
	Bytes     uint64 // bytes on the wire
	Malformed uint64
	Duration  time.Duration
	// Err is why the file failed: nothing read (not a capture, empty,
	// unsupported link type, unreadable), or a problem part way (a
	// *source.FormatError for a truncated file, whose frames before the
	// damage are kept). Either way the file counts as failed.
	Err error
	// Interrupted: the context was cancelled while reading this file; what
	// was read is committed and ingesting the same file again resumes.
	Interrupted bool
}

// Failed reports whether the file counts as failed for the exit status.
func (r *FileResult) Failed() bool { return r.Err != nil }

// Summary is the outcome of Files.
type Summary struct {
	Files          []FileResult
	Packets        uint64
	Bytes          uint64
	Malformed      uint64
	Assets         int // in the whole database after the ingest
	Communications int
	Duration       time.Duration
	Interrupted    bool
}

// Failed is the number of files that failed.
func (s *Summary) Failed() int {
	n := 0
	for i := range s.Files {
		if s.Files[i].Failed() {
			n++
		}
	}
	return n
}

// Err joins the per-file errors (nil when every file was read).
func (s *Summary) Err() error {
	var errs []error
	for i := range s.Files {
		if err := s.Files[i].Err; err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.BatchInterval <= 0 {
		o.BatchInterval = DefaultBatchInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewEngine == nil {
		logger := o.Logger
		o.NewEngine = func(emit discovery.Emit) (Engine, error) {
			set, err := discovery.NewSet()
			if err != nil {
				return nil, err
			}
			return discovery.NewEngine(set, emit, discovery.EngineOptions{Logger: logger}), nil
		}
	}
}

// Files ingests capture files and directories (walked recursively) into
// st. A file that fails is recorded in its FileResult and the others are
// still ingested; the returned error is only for what stops the whole run
// (the database failing, the context cancelled). Content already ingested
// (same sha256) is skipped; an interrupted ingest of the same content
// resumes after its last committed frame.
func Files(ctx context.Context, st *store.Store, paths []string, opt Options) (Summary, error) {
	opt.defaults()
	defer StartCPUProfile()()
	start := opt.Now()
	var sum Summary
	files, expErr := source.Expand(paths)
	if expErr != nil {
		// Unreadable paths: one failed result per error, the rest go on.
		for _, e := range unjoin(expErr) {
			sum.Files = append(sum.Files, FileResult{Path: pathOf(e), Err: e})
		}
	}
	run := &runner{ctx: ctx, st: st, opt: &opt}
	run.builder = inventory.NewBuilder(opt.Site)
	eng, err := opt.NewEngine(run.emit)
	if err != nil {
		return sum, fmt.Errorf("ingest: %w", err)
	}
	run.eng = eng
	var runErr error
	for i, path := range files {
		if err := ctx.Err(); err != nil {
			sum.Interrupted = true
			runErr = err
			break
		}
		res, err := run.file(i, len(files), path)
		sum.Files = append(sum.Files, res)
		if res.Packets > res.ResumedAt {
			sum.Packets += res.Packets - res.ResumedAt
		}
		sum.Bytes += res.Bytes
		sum.Malformed += res.Malformed
		if res.Interrupted {
			sum.Interrupted = true
			runErr = ctx.Err()
			break
		}
		if err != nil {
			runErr = err
			break
		}
	}
	writeHeapProfile("")
	defer writeHeapProfile(".end")
	// The summary's counts: the merge of Build (inventory.Count, which
	// keeps a key per asset and communication, no records) over the facts
	// that decide which assets and communications exist, not over the
	// whole database (which holds every attribute and operation ever
	// seen). Its memory is per asset and row loaded; with the page cache
	// returned and the collector kept close to the live heap.
	_ = st.ShrinkMemory(context.WithoutCancel(ctx))
	debug.FreeOSMemory() // the read phase's garbage, before the count's peak
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	if rows, err := st.LoadForCounts(context.WithoutCancel(ctx)); err == nil {
		sum.Assets, sum.Communications = inventory.Count(rows)
	} else if runErr == nil {
		runErr = err
	}
	sum.Duration = opt.Now().Sub(start)
	return sum, runErr
}

// unjoin splits an errors.Join result.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func pathOf(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path
	}
	return ""
}

type runner struct {
	ctx     context.Context
	st      *store.Store
	opt     *Options
	eng     Engine
	builder *inventory.Builder
	// discard drops observations while frames already committed by an
	// interrupted run are replayed through the engine (to rebuild flow
	// state) on resume.
	discard bool
}

func (r *runner) emit(o discovery.Observation) {
	if !r.discard {
		r.builder.Add(o)
	}
}

// hashFile is HashFile; tests slow it down to make the reading overtake it.
var hashFile = HashFile

// HashFile returns the hex sha256 of a file's bytes.
func HashFile(ctx context.Context, path string, progress func(read, total int64)) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return "", fmt.Errorf("%s: is a directory", path)
	}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		k, err := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if progress != nil {
			progress(n, st.Size())
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// file ingests one capture. The error return is for run-stopping failures
// (the store); per-file problems are in res.Err.
func (r *runner) file(idx, total int, path string) (res FileResult, fatal error) {
	started := r.opt.Now()
	res.Path = path
	defer func() {
		res.Duration = r.opt.Now().Sub(started)
		if p := recover(); p != nil {
			// A bug must not lose the other files; what was committed stays.
			res.Err = fmt.Errorf("%s: internal error: %v", path, p)
			r.opt.Logger.Error("ingest panic", "file", path, "panic", p)
			r.eng.Close()
			r.builder.Drain()
			r.discard = false
		}
	}()
	prog := Progress{File: path, FileIndex: idx, Files: total}
	report := func() {
		if r.opt.Progress != nil {
			r.opt.Progress(prog)
		}
	}
	lastReport := time.Now()
	// The file's SHA-256 decides whether it was ingested already (skip) or
	// in part (resume), and it is needed before the first commit. It is
	// computed on another goroutine while the frames are read: nothing
	// the frames produce is committed before the answer, and the answer
	// drops or redoes what was read ahead (decide, below).
	type hashResult struct {
		sum string
		err error
	}
	hashc := make(chan hashResult, 1)
	hctx, hcancel := context.WithCancel(r.ctx)
	defer hcancel()
	go func() {
		sum, err := hashFile(hctx, path, nil)
		hashc <- hashResult{sum, err}
	}()
	rd, err := source.Open(path)
	if err != nil {
		// Report what the hash says first (an unreadable file, a
		// directory), as when the hash came before the reader.
		if h := <-hashc; h.err != nil {
			err = h.err
		}
		if r.ctx.Err() != nil {
			res.Interrupted = true
			return res, nil
		}
		res.Err = err
		return res, nil
	}
	defer func() { rd.Close() }()

	src := inventory.Source{Kind: "pcap", Name: filepath.Base(path), Site: r.opt.Site}
	var id store.SourceID
	base := r.eng.Stats()
	obs0, drop0 := r.builder.Observations(), r.builder.Dropped()
	// The source's malformed count: what it had before this run plus what
	// the engine counted since malBase, which moves past the frames a
	// resume re-reads (they were counted by the run that committed them).
	malformed0, malBase := uint64(0), base.Malformed
	lastCommit := time.Now()
	// A batch is committed in its own goroutine while the next one is read
	// (SQLite's work overlaps decoding on a second core); at most one is in
	// flight, so memory holds at most two batches. A file's last commit is
	// waited for.
	// Once a commit has finished, its rows go back to the Builder, which
	// builds a later delta in their slices (no batch-sized allocation per
	// batch).
	var inflight chan error
	var inflightRows *inventory.Rows
	wait := func() error {
		if inflight == nil {
			return nil
		}
		err := <-inflight
		inflight = nil
		if err == nil {
			r.builder.Recycle(inflightRows)
		}
		inflightRows = nil
		return err
	}
	defer wait()
	commit := func(complete bool) error {
		r.eng.Flush()
		st := r.eng.Stats()
		src.Packets = res.Packets
		src.Malformed = malformed0 + (st.Malformed - malBase)
		p := &store.Progress{Source: src, Complete: complete}
		if complete {
			p.Finished = r.opt.Now()
		}
		if err := wait(); err != nil {
			return err
		}
		rows := r.builder.Drain()
		done := make(chan error, 1)
		inflight, inflightRows = done, rows
		go func() {
			// The final commit must happen even after a cancel (SIGINT), so
			// it does not use the cancelled context.
			done <- r.st.Commit(context.WithoutCancel(r.ctx), id, rows, p)
		}()
		if complete {
			return wait()
		}
		return nil
	}

	// decide takes the hash's answer. Until then the frames read ahead
	// were processed as a new source's (nothing committed). Skipped, or an
	// error: stop, dropping that work. A source recorded in part: the
	// frames up to its resume point only rebuild flow state, so what they
	// produced is dropped; if the reading has already passed that point,
	// the file is read again from its start. A new source: recorded now.
	decided, restarted := false, false
	decide := func(h hashResult) (stop bool, fatal error) {
		decided = true
		drop := func() {
			r.eng.Close()
			r.builder.Recycle(r.builder.Drain())
			res.Packets = 0 // read ahead, not ingested
		}
		if h.err != nil {
			drop()
			if r.ctx.Err() != nil {
				res.Interrupted = true
			} else {
				res.Err = h.err
			}
			return true, nil
		}
		res.SHA256, src.SHA256 = h.sum, h.sum
		rec, found, err := r.st.SourceBySHA256(r.ctx, h.sum)
		if err != nil {
			drop()
			return true, err
		}
		if found && rec.Complete {
			drop()
			res.Skipped = true
			return true, nil
		}
		if !found {
			abs, _ := filepath.Abs(path)
			id, err = r.st.BeginSource(r.ctx, src, abs, started)
			if err != nil {
				drop()
				return true, err
			}
			return false, nil
		}
		id = rec.ID
		res.Resumed, res.ResumedAt = true, rec.Source.Packets
		src.FirstSeen, src.LastSeen = rec.Source.FirstSeen, rec.Source.LastSeen
		src.Bytes, src.Malformed = rec.Source.Bytes, rec.Source.Malformed
		malformed0 = src.Malformed
		if res.Packets > res.ResumedAt {
			// Read past the resume point: start the file again.
			drop()
			rd.Close()
			if rd, err = source.Open(path); err != nil {
				res.Err = err
				return true, nil
			}
			res.Packets = 0
			base = r.eng.Stats()
			malBase = base.Malformed
			restarted = true
		} else {
			r.eng.FlushAll()
			r.builder.Recycle(r.builder.Drain())
		}
		r.discard = res.ResumedAt > res.Packets
		return false, nil
	}
	// await blocks for the hash's answer when it is not in yet.
	await := func(block bool) (stop bool, fatal error) {
		if decided {
			return false, nil
		}
		if block {
			return decide(<-hashc)
		}
		select {
		case h := <-hashc:
			return decide(h)
		default:
			return false, nil
		}
	}

	var readErr error
	done := r.ctx.Done()
	// A second pass when the hash's answer, in after the reading had passed
	// the resume point, restarted the file.
	for {
		for {
			select {
			case <-done:
				res.Interrupted = true
			default:
			}
			if res.Interrupted {
				break
			}
			f, err := rd.Next()
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				break
			}
			res.Packets++
			if r.discard && res.Packets > res.ResumedAt {
				// Frames up to the resume point only rebuilt flow state: drop
				// the deltas they produced, they are committed already.
				r.eng.FlushAll()
				r.builder.Recycle(r.builder.Drain())
				r.discard = false
				malBase = r.eng.Stats().Malformed
			}
			ts := f.CI.Timestamp
			if !r.discard {
				wire := f.CI.Length
				if wire < len(f.Data) {
					wire = len(f.Data)
				}
				src.Bytes += uint64(wire)
				if src.FirstSeen.IsZero() || ts.Before(src.FirstSeen) {
					src.FirstSeen = ts
				}
				if ts.After(src.LastSeen) {
					src.LastSeen = ts
				}
			}
			r.eng.Packet(f.Data, f.CI, f.LinkType, discovery.Evidence{Kind: "pcap", Name: src.Name, Frame: f.Number})
			if res.Packets&1023 == 0 {
				now := time.Now()
				if now.Sub(lastReport) > 100*time.Millisecond {
					prog.Read, prog.Total = rd.Progress()
					prog.Packets = res.Packets
					report()
					lastReport = now
				}
				due := r.builder.Pending() >= r.opt.BatchRows || now.Sub(lastCommit) >= r.opt.BatchInterval
				if stop, err := await(due); err != nil {
					return res, err
				} else if stop {
					return res, nil
				}
				restarted = false // a restart here goes on reading the reopened file
				if !r.discard && due {
					if err := commit(false); err != nil {
						return res, err
					}
					lastCommit = now
				}
			}
		}
		if !decided && res.Interrupted {
			// Nothing is committed before the hash's answer: stop here; the
			// next run starts the file afresh.
			hcancel()
			<-hashc
			r.eng.Close()
			r.builder.Recycle(r.builder.Drain())
			res.Packets = 0 // read ahead, not ingested
			return res, nil
		}
		if stop, err := await(true); err != nil {
			return res, err
		} else if stop {
			return res, nil
		}
		if restarted {
			restarted, readErr = false, nil
			continue
		}
		break
	}
	if r.discard {
		// The read ended at or before the resume point (the hash came last,
		// or the file is shorter now): nothing new to commit from it.
		r.eng.FlushAll()
		r.builder.Recycle(r.builder.Drain())
		malBase = r.eng.Stats().Malformed
	}
	r.discard = false
	if readErr != nil {
		res.Err = readErr
		src.Error = readErr.Error()
	}
	res.Bytes, res.Malformed = src.Bytes, src.Malformed
	if res.Interrupted {
		// Keep the flow state's partial deltas: flush (every packet, also
		// of flows whose protocol is still undecided: the resumed run drops
		// what these frames produce), commit, stop. The source stays
		// incomplete so the next run resumes after this frame.
		r.eng.FlushAll()
		err := commit(false)
		if werr := wait(); err == nil {
			err = werr
		}
		r.eng.Close()
		r.builder.Drain()
		return res, err
	}
	r.eng.Close() // flushes every flow's last delta
	if err := commit(true); err != nil {
		return res, err
	}
	st := r.eng.Stats()
	r.opt.Logger.Info("ingested", "file", path, "frames", res.Packets, "malformed", st.Malformed-base.Malformed,
		"unsupported_link_type", st.UnsupportedLinkType-base.UnsupportedLinkType,
		"dissector_errors", st.DissectorErrors-base.DissectorErrors, "dissector_panics", st.DissectorPanics-base.DissectorPanics,
		"tcp_gaps", st.TCPGaps-base.TCPGaps, "flows_evicted_full", st.FlowsEvictedFull-base.FlowsEvictedFull,
		"observations", r.builder.Observations()-obs0, "dropped_observations", r.builder.Dropped()-drop0)
	if n := st.DissectorPanics - base.DissectorPanics; n > 0 {
		r.opt.Logger.Warn("dissector panics recovered (a bug: please report with the capture)", "file", path, "count", n)
	}
	res.Malformed = src.Malformed
	prog.Read, prog.Total = rd.Progress()
	prog.Packets = res.Packets
	report()
	return res, nil
}
