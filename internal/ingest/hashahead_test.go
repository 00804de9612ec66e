package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/store"
	"github.com/otzone/otzone/internal/testutil"
)

// The file's hash is computed while its frames are read; these tests hold
// the hash back until the reading has reached a given frame, so that the
// answer comes late, and check that the result is what it would have been
// with the hash first.

// atEngine calls fire once, after its n-th packet.
type atEngine struct {
	Engine
	seen, n int
	fire    func()
}

func (a *atEngine) Packet(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, ev discovery.Evidence) {
	a.Engine.Packet(data, ci, lt, ev)
	if a.seen++; a.seen == a.n && a.fire != nil {
		a.fire()
	}
}

// lateHash makes hashFile wait for release (or the context) and restores it
// when the test ends.
func lateHash(t *testing.T) (release chan struct{}) {
	release = make(chan struct{})
	t.Cleanup(func() { hashFile = HashFile })
	hashFile = func(ctx context.Context, path string, progress func(read, total int64)) (string, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		return HashFile(ctx, path, progress)
	}
	return release
}

func releasingAt(n int, release chan struct{}) func(discovery.Emit) (Engine, error) {
	return func(emit discovery.Emit) (Engine, error) {
		set, err := discovery.NewSet()
		if err != nil {
			return nil, err
		}
		return &atEngine{Engine: discovery.NewEngine(set, emit, discovery.EngineOptions{}), n: n, fire: func() { close(release) }}, nil
	}
}

// interrupted ingests path into a fresh store and cancels it after 1700 of
// its 3000 frames (with the hash known: a commit every 1024 frames).
func interrupted(t *testing.T, path string) *store.Store {
	t.Helper()
	st := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	opt := Options{BatchRows: 1, NewEngine: cancelAfter(1700, cancel)}
	if sum, err := Files(ctx, st, []string{path}, opt); !errors.Is(err, context.Canceled) || !sum.Interrupted || !sum.Files[0].Interrupted {
		t.Fatalf("interrupted run: %v %+v", err, sum)
	}
	recs, _ := st.Sources(context.Background())
	if len(recs) != 1 || recs[0].Complete || recs[0].Source.Packets != 1700 {
		t.Fatalf("after interrupt: %+v", recs)
	}
	return st
}

func TestLateHashResumeRereads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.pcap")
	synth(t, path, 3000)
	ref, err := Inventory(context.Background(), []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	refPk, refBy := commPackets(ref)
	for _, c := range []struct {
		name    string
		release int // the reading frame after which the hash may start
	}{
		{"hash in at the end of the file", 3000},
		{"hash in after the resume point", 1800},
		{"hash in before the resume point", 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := interrupted(t, path)
			release := lateHash(t)
			sum, err := Files(context.Background(), ts, []string{path}, Options{NewEngine: releasingAt(c.release, release)})
			if err != nil {
				t.Fatal(err)
			}
			if r := sum.Files[0]; !r.Resumed || r.ResumedAt != 1700 || r.Packets != 3000 || r.Err != nil {
				t.Fatalf("resume: %+v", r)
			}
			got, _ := ts.Inventory(context.Background(), inventory.BuildOptions{})
			pk, by := commPackets(got)
			if pk != refPk || by != refBy || len(got.Assets) != len(ref.Assets) {
				t.Errorf("resumed: %d packets %d bytes %d assets; uninterrupted: %d %d %d", pk, by, len(got.Assets), refPk, refBy, len(ref.Assets))
			}
			recs, _ := ts.Sources(context.Background())
			if len(recs) != 1 || !recs[0].Complete || recs[0].Source.Packets != 3000 || recs[0].Source.Bytes != 300000 {
				t.Errorf("after resume: %+v", recs)
			}
		})
	}
}

// A file ingested before is skipped even when its hash comes in after the
// whole file was read, and nothing read ahead reaches the database.
func TestLateHashSkip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.pcap")
	synth(t, path, 3000)
	st := openStore(t)
	if _, err := Files(context.Background(), st, []string{path}, Options{}); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Inventory(context.Background(), inventory.BuildOptions{})
	release := lateHash(t)
	sum, err := Files(context.Background(), st, []string{path}, Options{NewEngine: releasingAt(3000, release)})
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.Files[0]; !r.Skipped || r.Packets != 0 || sum.Packets != 0 {
		t.Fatalf("second ingest: %+v, summary packets %d", r, sum.Packets)
	}
	after, _ := st.Inventory(context.Background(), inventory.BuildOptions{})
	p0, b0 := commPackets(before)
	p1, b1 := commPackets(after)
	if p0 != p1 || b0 != b1 || len(before.Assets) != len(after.Assets) || len(after.Sources) != 1 {
		t.Errorf("skipped file changed the database: %d/%d packets, %d/%d bytes, %d sources", p0, p1, b0, b1, len(after.Sources))
	}
}

// Interrupted before the hash is known: nothing is committed, and the next
// run ingests the file whole.
func TestLateHashInterruptedBeforeAnswer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.pcap")
	synth(t, path, 3000)
	st := openStore(t)
	lateHash(t) // never released: only the cancel ends it
	ctx, cancel := context.WithCancel(context.Background())
	opt := Options{BatchRows: 1 << 30, NewEngine: cancelAfter(1700, cancel)}
	sum, _ := Files(ctx, st, []string{path}, opt)
	if !sum.Interrupted || sum.Packets != 0 {
		t.Fatalf("interrupted run: %+v", sum)
	}
	if recs, _ := st.Sources(context.Background()); len(recs) != 0 {
		t.Fatalf("sources after an interrupt before the hash: %+v", recs)
	}
	hashFile = HashFile
	if _, err := Files(context.Background(), st, []string{path}, Options{}); err != nil {
		t.Fatal(err)
	}
	inv, _ := st.Inventory(context.Background(), inventory.BuildOptions{})
	if pk, by := commPackets(inv); pk != 3000 || by != 300000 {
		t.Errorf("after the next run: %d packets %d bytes, want 3000 and 300000", pk, by)
	}
}

// A resumed source's malformed count is the uninterrupted one: the frames
// before the resume point are read again to rebuild flow state, but their
// malformed frames were counted by the run that committed them. (They were
// counted twice before.) Every hundredth frame of the synthetic capture
// gets an IPv4 header length of 4 bytes: 17 such frames before frame 1700,
// 13 after.
func TestResumeMalformedCountedOnce(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.pcap")
	synth(t, clean, 3000)
	path := filepath.Join(dir, "bad.pcap")
	corrupt(t, clean, path, func(i int, b []byte) {
		if i%100 == 50 {
			b[14] = 0x41 // IPv4, IHL 1: shorter than the header itself
		}
	})
	ref := openStore(t)
	if _, err := Files(context.Background(), ref, []string{path}, Options{}); err != nil {
		t.Fatal(err)
	}
	want, _ := ref.Sources(context.Background())
	if len(want) != 1 || want[0].Source.Malformed != 30 {
		t.Fatalf("uninterrupted: %+v, want 30 malformed", want)
	}
	st := interrupted(t, path)
	if _, err := Files(context.Background(), st, []string{path}, Options{}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Sources(context.Background())
	if len(got) != 1 || !got[0].Complete || got[0].Source.Malformed != 30 {
		t.Errorf("resumed: %+v, want complete with 30 malformed", got)
	}
}

// corrupt copies the pcap in to out, letting edit change frame i (0-based).
func corrupt(t *testing.T, in, out string, edit func(i int, b []byte)) {
	t.Helper()
	frames := testutil.ReadFrames(t, in)
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, fr := range frames {
		b := append([]byte(nil), fr.Data...)
		edit(i, b)
		if err := w.WritePacket(fr.CI, b); err != nil {
			t.Fatal(err)
		}
	}
}
