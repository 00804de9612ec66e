//go:build enginebench

package dissbench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otzone/otzone/discovery"
	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/source"
)

// callKind is which dissector method a recorded call went to.
type callKind uint8

const (
	callDatagram callKind = iota
	callFrame
	callNewStream
	callPDULen
	callParse
)

type call struct {
	kind   callKind
	dir    discovery.Direction
	flow   int32 // recorded flow id, -1 for none
	stream int32 // recorded stream id for PDULen/Parse/NewStream
	off    int   // data in the recorder's arena
	n      int
	pkt    discovery.PacketInfo
}

// recorder collects the calls made into one dissector.
type recorder struct {
	calls   []call
	arena   []byte
	flows   map[flowID]int32
	nflows  int32
	streams int32
	packets int // Datagram + Frame + Parse calls
}

type flowID struct {
	p              *discovery.Flow
	client, server discovery.Endpoint
	cport, sport   uint16
}

func (r *recorder) flowOf(f *discovery.Flow) int32 {
	if f == nil {
		return -1
	}
	k := flowID{f, f.Client, f.Server, f.ClientPort, f.ServerPort}
	id, ok := r.flows[k]
	if !ok {
		id = r.nflows
		r.nflows++
		r.flows[k] = id
	}
	return id
}

func (r *recorder) add(kind callKind, data []byte, pkt *discovery.PacketInfo, dir discovery.Direction, stream int32) {
	c := call{kind: kind, dir: dir, stream: stream, off: len(r.arena), n: len(data), flow: -1}
	r.arena = append(r.arena, data...)
	if pkt != nil {
		c.pkt = *pkt
		c.pkt.Flow = nil
		c.flow = r.flowOf(pkt.Flow)
	}
	r.calls = append(r.calls, c)
	if kind == callDatagram || kind == callFrame || kind == callParse {
		r.packets++
	}
}

// dgramRec wraps a datagram and/or frame dissector.
type dgramRec struct {
	d discovery.Dissector
	r *recorder
}

func (w *dgramRec) Name() string            { return w.d.Name() }
func (w *dgramRec) Ports() []discovery.Port { return w.d.Ports() }
func (w *dgramRec) Heuristic() bool {
	h, ok := w.d.(discovery.Heuristic)
	return ok && h.Heuristic()
}
func (w *dgramRec) Detect(data []byte, pkt *discovery.PacketInfo) discovery.Verdict {
	return w.d.(discovery.DatagramDissector).Detect(data, pkt)
}
func (w *dgramRec) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	w.r.add(callDatagram, data, pkt, pkt.Dir, -1)
	return w.d.(discovery.DatagramDissector).Datagram(data, pkt, emit)
}
func (w *dgramRec) Frames() []discovery.FrameMatch {
	if fd, ok := w.d.(discovery.FrameDissector); ok {
		return fd.Frames()
	}
	return nil
}
func (w *dgramRec) Frame(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	w.r.add(callFrame, data, pkt, 0, -1)
	return w.d.(discovery.FrameDissector).Frame(data, pkt, emit)
}

// streamRec wraps a stream dissector (and its frames, if any).
type streamRec struct {
	d discovery.StreamDissector
	r *recorder
}

func (w *streamRec) Name() string            { return w.d.Name() }
func (w *streamRec) Ports() []discovery.Port { return w.d.Ports() }
func (w *streamRec) Heuristic() bool {
	h, ok := w.d.(discovery.Heuristic)
	return ok && h.Heuristic()
}
func (w *streamRec) Detect(data []byte, dir discovery.Direction) discovery.Verdict {
	return w.d.Detect(data, dir)
}
func (w *streamRec) NewStream(f *discovery.Flow) discovery.Stream {
	id := w.r.streams
	w.r.streams++
	w.r.add(callNewStream, nil, &discovery.PacketInfo{Flow: f}, 0, id)
	return &recStream{s: w.d.NewStream(f), r: w.r, id: id}
}
func (w *streamRec) Frames() []discovery.FrameMatch {
	if fd, ok := w.d.(discovery.FrameDissector); ok {
		return fd.Frames()
	}
	return nil
}
func (w *streamRec) Frame(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	w.r.add(callFrame, data, pkt, 0, -1)
	return w.d.(discovery.FrameDissector).Frame(data, pkt, emit)
}

type recStream struct {
	s  discovery.Stream
	r  *recorder
	id int32
}

func (s *recStream) PDULen(data []byte, dir discovery.Direction) (int, error) {
	s.r.add(callPDULen, data, nil, dir, s.id)
	return s.s.PDULen(data, dir)
}
func (s *recStream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	s.r.add(callParse, pdu, pkt, pkt.Dir, s.id)
	return s.s.Parse(pdu, pkt, emit)
}

// wrap returns a factory for the recording wrapper of f's dissector.
func wrap(f discovery.Factory, r *recorder) discovery.Factory {
	return func() discovery.Dissector {
		d := f()
		if sd, ok := d.(discovery.StreamDissector); ok {
			return &streamRec{sd, r}
		}
		return &dgramRec{d, r}
	}
}

func factories(t testing.TB) map[string]discovery.Factory {
	// the registry exposes names only: instantiate through NewSet.
	fs := map[string]discovery.Factory{}
	for _, n := range discovery.Registered() {
		fs[n] = func() discovery.Dissector {
			s, err := discovery.NewSet(n)
			if err != nil {
				t.Fatal(err)
			}
			return s.All[0]
		}
	}
	return fs
}

func selected(t testing.TB) []string {
	if v := os.Getenv("OTZONE_BENCH_DISSECTORS"); v != "" {
		return strings.Split(v, ",")
	}
	return discovery.Registered()
}

// record runs the engine over path with every registered dissector, those
// in names wrapped in recorders.
func record(t testing.TB, path string, names []string) (map[string]*recorder, int) {
	fs := factories(t)
	recs := map[string]*recorder{}
	var list []discovery.Factory
	for _, n := range discovery.Registered() {
		f := fs[n]
		if contains(names, n) {
			r := &recorder{flows: map[flowID]int32{}}
			recs[n] = r
			f = wrap(f, r)
		}
		list = append(list, f)
	}
	set, err := discovery.NewSetOf(list...)
	if err != nil {
		t.Fatal(err)
	}
	e := discovery.NewEngine(set, func(discovery.Observation) {}, discovery.EngineOptions{})
	pkts := 0
	err = readFile(path, func(f *source.Frame, ev discovery.Evidence) {
		pkts++
		e.Packet(f.Data, f.CI, f.LinkType, ev)
		if pkts&0xffff == 0 {
			e.Flush()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	return recs, pkts
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func readFile(path string, fn func(*source.Frame, discovery.Evidence)) error {
	r, err := source.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	ev := discovery.Evidence{Kind: "pcap", Name: filepath.Base(path)}
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		ev.Frame = f.Number
		fn(f, ev)
	}
}

// replay feeds r's calls into d, a fresh dissector; with d nil it only
// stages every call (the baseline: what the engine would have paid to
// have the packet and its PacketInfo in cache).
func replay(d discovery.Dissector, r *recorder, emit discovery.Emit) (errs int) {
	flows := make([]discovery.Flow, r.nflows)
	for k, id := range r.flows {
		flows[id] = discovery.Flow{Client: k.client, Server: k.server, ClientPort: k.cport, ServerPort: k.sport}
	}
	var streams []discovery.Stream
	if r.streams > 0 {
		streams = make([]discovery.Stream, r.streams)
	}
	pkt := new(discovery.PacketInfo) // reused, as the engine does
	buf := make([]byte, 0, 64<<10)   // the packet, copied as a reader would
	for i := range r.calls {
		c := &r.calls[i]
		data := append(buf[:0], r.arena[c.off:c.off+c.n]...)
		*pkt = c.pkt
		if c.flow >= 0 {
			pkt.Flow = &flows[c.flow]
		}
		if d == nil {
			if len(data) > 0 {
				sink += int(data[len(data)-1]) + int(pkt.SrcPort)
			}
			continue
		}
		var err error
		switch c.kind {
		case callDatagram:
			err = d.(discovery.DatagramDissector).Datagram(data, pkt, emit)
		case callFrame:
			err = d.(discovery.FrameDissector).Frame(data, pkt, emit)
		case callNewStream:
			streams[c.stream] = d.(discovery.StreamDissector).NewStream(pkt.Flow)
		case callPDULen:
			_, err = streams[c.stream].PDULen(data, c.dir)
		case callParse:
			err = streams[c.stream].Parse(data, pkt, emit)
		}
		if err != nil {
			errs++
		}
	}
	return errs
}

var sink int

// BenchmarkDissectors: see the package comment. One op is one replay of
// every recorded call of one dissector; ns/pkt divides by its Datagram,
// Frame and Parse calls.
func BenchmarkDissectors(b *testing.B) {
	path := os.Getenv("OTZONE_BENCH_FILE")
	if path == "" {
		b.Skip("set OTZONE_BENCH_FILE to a capture")
	}
	names := selected(b)
	recs, pkts := record(b, path, names)
	fs := factories(b)
	sort.Strings(names)
	runtime.GC() // the recording's collection done: the replays start on a settled heap
	for _, n := range names {
		r := recs[n]
		if r == nil || r.packets == 0 {
			continue
		}
		b.Run(n, func(b *testing.B) {
			var obs uint64
			emit := func(discovery.Observation) { obs++ }
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				replay(fs[n](), r, emit)
			}
			cpu := cpuTime() - cpu0
			// the baseline: staging the calls without the dissector
			b.StopTimer()
			base0 := cpuTime()
			for range b.N {
				replay(nil, r, emit)
			}
			base := cpuTime() - base0
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*r.packets), "ns/pkt")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*r.packets), "cpu-ns/pkt")
			b.ReportMetric(float64((cpu-base).Nanoseconds())/float64(b.N*r.packets), "net-cpu-ns/pkt")
			b.ReportMetric(float64(r.packets), "pkts")
			b.ReportMetric(float64(obs)/float64(b.N), "obs")
		})
	}
	_ = pkts
}

// cpuTime is the process's user+system CPU time (the machine is shared:
// wall time alone overstates).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestDump: see the package comment.
func TestDump(t *testing.T) {
	in, out := os.Getenv("OTZONE_DUMP_IN"), os.Getenv("OTZONE_DUMP_OUT")
	if in == "" || out == "" {
		t.Skip("set OTZONE_DUMP_IN and OTZONE_DUMP_OUT")
	}
	var files []string
	for _, p := range strings.Split(in, ",") {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(q string, de os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !de.IsDir() && (strings.HasSuffix(q, ".pcap") || strings.HasSuffix(q, ".pcapng") || strings.HasSuffix(q, ".cap")) {
				files = append(files, q)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(files)
	fh, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	w := bufio.NewWriterSize(fh, 1<<20)
	defer w.Flush()
	total := 0
	for _, f := range files {
		set, err := discovery.NewSet()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "# %s\n", f)
		e := discovery.NewEngine(set, func(o discovery.Observation) {
			total++
			fmt.Fprintf(w, "%d %s %s %d %s|%s|%s %s|%s|%s %q %q %d %q %q %q %g %d %q %q %d %d\n",
				o.Kind, o.Time.UTC().Format("2006-01-02T15:04:05.000000000"), o.Evidence.Kind+":"+o.Evidence.Name, o.Evidence.Frame,
				o.Asset.MAC, o.Asset.IP, o.Asset.Sub, o.Peer.MAC, o.Peer.IP, o.Peer.Sub,
				o.Protocol, o.Transport, o.Port, o.Role, o.Key, o.Value, o.Confidence,
				o.Op.Code, o.Op.Name, o.Op.Class, o.Packets, o.Bytes)
		}, discovery.EngineOptions{})
		n := 0
		err = readFile(f, func(fr *source.Frame, ev discovery.Evidence) {
			n++
			e.Packet(fr.Data, fr.CI, fr.LinkType, ev)
			if n&0xffff == 0 {
				e.Flush()
			}
		})
		if err != nil {
			fmt.Fprintf(w, "# error %v\n", err)
		}
		e.Close()
		st := e.Stats()
		fmt.Fprintf(w, "# packets %d malformed %d dissector errors %d panics %d\n", st.Packets, st.Malformed, st.DissectorErrors, st.DissectorPanics)
	}
	t.Logf("%d files, %d observations", len(files), total)
}
