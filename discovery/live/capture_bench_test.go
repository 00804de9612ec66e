package live

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/store"
	"github.com/otzone/otzone/internal/testutil"
)

// loopHandle serves the same frames round and round, as fast as asked.
type loopHandle struct {
	frames []testutil.Frame
	i      int
}

func (h *loopHandle) Name() string                { return "bench0" }
func (h *loopHandle) LinkType() layers.LinkType   { return layers.LinkTypeEthernet }
func (h *loopHandle) Warnings() []string          { return nil }
func (h *loopHandle) Close() error                { return nil }
func (h *loopHandle) Stats() (KernelStats, error) { return KernelStats{}, nil }
func (h *loopHandle) Read() ([]byte, gopacket.CaptureInfo, error) {
	f := &h.frames[h.i]
	if h.i++; h.i == len(h.frames) {
		h.i = 0
	}
	return f.Data, f.CI, nil
}

// nullEngine counts frames and does nothing else.
type nullEngine struct{ n uint64 }

func (e *nullEngine) Packet([]byte, gopacket.CaptureInfo, layers.LinkType, discovery.Evidence) { e.n++ }
func (e *nullEngine) Flush()                                                                   {}
func (e *nullEngine) FlushAll()                                                                {}
func (e *nullEngine) Close()                                                                   {}
func (e *nullEngine) Stats() discovery.EngineStats                                             { return discovery.EngineStats{} }

// BenchmarkRunOverhead is what the live source costs per frame on top of
// the engine and the kernel: the reader goroutine copying frames into
// batches, the hand-over, the processing loop and its counters (the demo
// plant's frames, a null engine, one final commit of nothing).
func BenchmarkRunOverhead(b *testing.B) {
	frames := testutil.ReadFrames(b, demoPath())
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	eng := &nullEngine{}
	b.ReportAllocs()
	b.ResetTimer()
	sum, err := Run(context.Background(), st, Config{
		Interfaces: []string{"bench0"},
		MaxPackets: uint64(b.N),
		OpenHandle: func(string, OpenOptions) (Handle, error) { return &loopHandle{frames: frames}, nil },
		NewEngine:  func(discovery.Emit) (ingest.Engine, error) { return eng, nil },
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if eng.n != uint64(b.N) || sum.Packets != uint64(b.N) {
		b.Fatalf("engine saw %d frames, summary %d, want %d", eng.n, sum.Packets, b.N)
	}
}
