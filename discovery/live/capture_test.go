package live

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/store"
	"github.com/otzone/otzone/internal/testutil"
)

func demoPath() string {
	return filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")
}

// fakeHandle replays frames as a socket would hand them over. gate, when
// set, holds back frames from index hold on until it is closed.
type fakeHandle struct {
	name   string
	frames []testutil.Frame
	i      int
	hold   int
	gate   chan struct{}
	closed atomic.Bool
	drops  uint64
	served atomic.Int64
}

func (h *fakeHandle) Name() string              { return h.name }
func (h *fakeHandle) LinkType() layers.LinkType { return layers.LinkTypeEthernet }
func (h *fakeHandle) Warnings() []string        { return nil }
func (h *fakeHandle) Close() error              { h.closed.Store(true); return nil }
func (h *fakeHandle) Stats() (KernelStats, error) {
	return KernelStats{Packets: uint64(h.i) + h.drops, Drops: h.drops}, nil
}

func (h *fakeHandle) Read() ([]byte, gopacket.CaptureInfo, error) {
	if h.gate != nil && h.i == h.hold {
		select {
		case <-h.gate:
			h.gate = nil
		case <-time.After(10 * time.Millisecond):
			return nil, gopacket.CaptureInfo{}, ErrTimeout
		}
	}
	if h.i >= len(h.frames) {
		time.Sleep(5 * time.Millisecond)
		return nil, gopacket.CaptureInfo{}, ErrTimeout
	}
	f := h.frames[h.i]
	h.i++
	h.served.Add(1)
	return f.Data, f.CI, nil
}

// Scrub removes what legitimately differs between a live capture and an
// offline ingest of the same frames: the source rows and names, evidence
// (source name and frame number) and every time (a replay has new
// timestamps).
func Scrub(t testing.TB, inv *inventory.Inventory) any {
	t.Helper()
	b, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k := range x {
				switch {
				case k == "generated_at", k == "sources", k == "source", k == "evidence",
					strings.HasSuffix(k, "first_seen"), strings.HasSuffix(k, "last_seen"):
					delete(x, k)
				default:
					x[k] = walk(x[k])
				}
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	return walk(v)
}

func openStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "live.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// TestRunEqualsIngest: the demo plant's frames handed over as a socket
// would give them produce the inventory `otzone ingest` builds from the
// file; the capture stops at --max-packets.
func TestRunEqualsIngest(t *testing.T) {
	frames := testutil.ReadFrames(t, demoPath())
	want, err := ingest.Inventory(context.Background(), []string{demoPath()}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := openStore(t)
	h := &fakeHandle{name: "fake0", frames: frames}
	sum, err := Run(context.Background(), st, Config{
		Interfaces: []string{"fake0"},
		MaxPackets: uint64(len(frames)),
		OpenHandle: func(string, OpenOptions) (Handle, error) { return h, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Reason != "max-packets" || sum.Packets != uint64(len(frames)) {
		t.Fatalf("stopped for %q after %d packets, want max-packets after %d", sum.Reason, sum.Packets, len(frames))
	}
	if !h.closed.Load() {
		t.Error("handle not closed")
	}
	got, err := st.Inventory(context.Background(), inventory.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Assets) == 0 {
		t.Fatal("the offline ingest found no asset: nothing to compare")
	}
	if d := cmp.Diff(Scrub(t, want), Scrub(t, got)); d != "" {
		t.Errorf("live inventory differs from the offline ingest (-ingest +live):\n%s", d)
	}
	if sum.Assets != len(got.Assets) || sum.Communications != len(got.Communications) {
		t.Errorf("summary says %d assets, %d communications; the database has %d, %d", sum.Assets, sum.Communications, len(got.Assets), len(got.Communications))
	}
	// The source row: kind live, the interface's name, the counters.
	srcs, err := st.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 1 || srcs[0].Source.Kind != "live" || srcs[0].Source.Name != "fake0" || !srcs[0].Complete ||
		srcs[0].Source.Packets != uint64(len(frames)) || srcs[0].Source.Drops == nil {
		t.Fatalf("source rows %+v", srcs)
	}
	if srcs[0].Source.Drops.KernelPackets != uint64(len(frames)) {
		t.Errorf("capture stats %+v: kernel packets want %d", *srcs[0].Source.Drops, len(frames))
	}
	// Evidence names the interface.
	found := false
	for _, a := range got.Assets {
		for _, at := range a.Attributes {
			if strings.HasPrefix(at.Source, "live:fake0#frame=") {
				found = true
			}
		}
	}
	if !found {
		t.Error("no attribute with live:fake0#frame=N evidence")
	}
}

// TestTwoInterfacesOneInventory: the same frames split over two interfaces
// make the same assets as one file (one source row per interface).
func TestTwoInterfacesOneInventory(t *testing.T) {
	frames := testutil.ReadFrames(t, demoPath())
	want, err := ingest.Inventory(context.Background(), []string{demoPath()}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// One engine serves both interfaces: give each every other frame.
	var a, b []testutil.Frame
	for i, f := range frames {
		if i%2 == 0 {
			a = append(a, f)
		} else {
			b = append(b, f)
		}
	}
	hs := map[string]*fakeHandle{"ethA": {name: "ethA", frames: a}, "ethB": {name: "ethB", frames: b}}
	st, _ := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Stop once both have handed over everything.
		for hs["ethA"].served.Load() < int64(len(a)) || hs["ethB"].served.Load() < int64(len(b)) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		cancel()
	}()
	sum, err := Run(ctx, st, Config{
		Interfaces: []string{"ethA", "ethB"},
		OpenHandle: func(n string, _ OpenOptions) (Handle, error) { return hs[n], nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.Packets != uint64(len(frames)) {
		t.Fatalf("interrupted=%v packets=%d, want true and %d", sum.Interrupted, sum.Packets, len(frames))
	}
	got, err := st.Inventory(context.Background(), inventory.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Frames of one flow now arrive over two goroutines, so their order can
	// change between interfaces: compare what order cannot change (assets
	// and their identities, services, communication endpoints).
	ids := func(inv *inventory.Inventory) []string {
		var out []string
		for _, a := range inv.Assets {
			out = append(out, a.ID+" "+strings.Join(a.IPs, ",")+" "+strings.Join(a.MACs, ","))
		}
		sort.Strings(out)
		return out
	}
	if d := cmp.Diff(ids(want), ids(got)); d != "" {
		t.Errorf("assets differ (-ingest +two interfaces):\n%s", d)
	}
	srcs, _ := st.Sources(context.Background())
	if len(srcs) != 2 || srcs[0].Source.Name != "ethA" || srcs[1].Source.Name != "ethB" ||
		srcs[0].Source.Packets+srcs[1].Source.Packets != uint64(len(frames)) {
		t.Errorf("source rows: %+v", srcs)
	}
}

// TestFlushVisibleToReaders: while the capture runs, a second connection
// to the database sees the committed inventory (WAL: the reader does not
// block the writer, nor the writer the reader).
func TestFlushVisibleToReaders(t *testing.T) {
	frames := testutil.ReadFrames(t, demoPath())
	gate := make(chan struct{})
	h := &fakeHandle{name: "fake0", frames: frames, hold: len(frames) / 2, gate: gate}
	st, path := openStore(t)
	type result struct {
		sum Summary
		err error
	}
	res := make(chan result, 1)
	go func() {
		s, err := Run(context.Background(), st, Config{
			Interfaces: []string{"fake0"}, Flush: 50 * time.Millisecond, MaxPackets: uint64(len(frames)),
			OpenHandle: func(string, OpenOptions) (Handle, error) { return h, nil },
		})
		res <- result{s, err}
	}()
	reader, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	deadline := time.Now().Add(10 * time.Second)
	var mid int
	for time.Now().Before(deadline) {
		inv, err := reader.Inventory(context.Background(), inventory.BuildOptions{NoOUI: true})
		if err != nil {
			t.Fatalf("reading while capturing: %v", err)
		}
		if len(inv.Assets) > 0 {
			mid = len(inv.Assets)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if mid == 0 {
		t.Fatal("no asset visible to another connection while half the frames were captured")
	}
	close(gate)
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	inv, err := reader.Inventory(context.Background(), inventory.BuildOptions{NoOUI: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Assets) <= mid {
		t.Errorf("assets seen mid-capture %d, at the end %d: the second half added nothing", mid, len(inv.Assets))
	}
	if r.sum.Commits < 2 {
		t.Errorf("%d commits, want periodic ones plus the final", r.sum.Commits)
	}
}

func TestOpenErrors(t *testing.T) {
	st, _ := openStore(t)
	if _, err := Run(context.Background(), st, Config{}); err == nil {
		t.Error("no interface: no error")
	}
	if _, err := Run(context.Background(), st, Config{Interfaces: []string{"a", "a"}}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("same interface twice: %v", err)
	}
	_, err := Run(context.Background(), st, Config{Interfaces: []string{"otzone-no-such0"}})
	if err == nil || !strings.Contains(err.Error(), "otzone-no-such0") {
		t.Errorf("missing interface: %v", err)
	}
	_, err = Run(context.Background(), st, Config{Interfaces: []string{"lo"}, Open: OpenOptions{Filter: "tcp port http"}})
	if err == nil || !strings.Contains(err.Error(), "column 10") {
		t.Errorf("bad filter: %v", err)
	}
	srcs, _ := st.Sources(context.Background())
	if len(srcs) != 0 {
		t.Errorf("a failed start recorded sources: %+v", srcs)
	}
}

// TestRotation writes frames through the rotator: files rotate by size,
// every file is a readable pcapng holding whole frames, and the cap deletes
// the oldest first.
func TestRotation(t *testing.T) {
	frames := testutil.ReadFrames(t, demoPath())
	dir := t.TempDir()
	// A file of an earlier run, oldest of all: the cap removes it first.
	old := filepath.Join(dir, "otzone-20000101T000000Z-0001.pcapng")
	if err := os.WriteFile(old, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "keep-me.pcapng")
	if err := os.WriteFile(other, make([]byte, 100000), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { return clock }
	const size, capTotal = 8 << 10, 40 << 10
	r, err := newRotator(RotateOptions{Dir: dir, Size: size, MaxTotal: capTotal, Every: time.Minute},
		[]pcapIface{{Name: "eth1", LinkType: layers.LinkTypeEthernet, SnapLen: 262144}, {Name: "eth2", LinkType: layers.LinkTypeEthernet, SnapLen: 262144}}, now)
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		for i, f := range frames {
			if err := r.write(i%2, f.CI, f.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Time rotation: a minute later the next tick starts a new file.
	before := r.files
	clock = clock.Add(time.Minute)
	if err := r.tick(); err != nil {
		t.Fatal(err)
	}
	if r.files != before+1 {
		t.Errorf("files %d after a minute, want %d", r.files, before+1)
	}
	if err := r.write(0, frames[0].CI, frames[0].Data); err != nil {
		t.Fatal(err)
	}
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Error("the oldest file (an earlier run's) was not deleted first")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("a file not named otzone-*.pcapng was touched")
	}
	ents, _ := os.ReadDir(dir)
	var total int64
	var ours []string
	kept := 0
	for _, e := range ents {
		if !isOurs(e.Name()) {
			continue
		}
		info, _ := e.Info()
		total += info.Size()
		ours = append(ours, e.Name())
		p := filepath.Join(dir, e.Name())
		if info.Size() > size+int64(len(frames[0].Data))+2048 {
			t.Errorf("%s: %d bytes, rotation at %d", e.Name(), info.Size(), size)
		}
		got := testutil.ReadFrames(t, p)
		if len(got) == 0 {
			t.Errorf("%s: no frame", e.Name())
		}
		kept += len(got)
	}
	if total > capTotal {
		t.Errorf("files total %d bytes, cap %d", total, capTotal)
	}
	if r.files < 10 {
		t.Errorf("only %d files written for %d frames at %d bytes each", r.files, 3*len(frames), size)
	}
	sort.Strings(ours)
	// The newest file (the time rotation's) holds the single last frame.
	last := testutil.ReadFrames(t, filepath.Join(dir, ours[len(ours)-1]))
	if len(last) != 1 || string(last[0].Data) != string(frames[0].Data) {
		t.Errorf("newest file holds %d frames, want the one written after the time rotation", len(last))
	}
	if kept >= 3*len(frames) {
		t.Errorf("the cap deleted nothing: %d frames kept", kept)
	}
}
