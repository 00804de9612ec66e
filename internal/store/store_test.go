package store

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func mac(s string) discovery.MAC {
	m, err := discovery.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// delta builds a Builder delta: plc seen n times, an HMI talking Modbus to it.
func delta(n int, base time.Time) *inventory.Rows {
	b := inventory.NewBuilder("")
	plc := discovery.Endpoint{MAC: mac("00:80:f4:10:00:11"), IP: netip.MustParseAddr("10.10.10.11")}
	hmi := discovery.Endpoint{MAC: mac("00:0c:29:20:00:21"), IP: netip.MustParseAddr("10.10.20.21")}
	for i := 0; i < n; i++ {
		tm := base.Add(time.Duration(i) * time.Second)
		ev := discovery.Evidence{Kind: "pcap", Name: "x.pcap", Frame: uint64(i + 1)}
		b.Add(discovery.Observation{Kind: discovery.KindHost, Time: tm, Evidence: ev, Asset: plc, Protocol: "arp", Packets: 1})
		b.Add(discovery.Observation{Kind: discovery.KindAttribute, Time: tm, Evidence: ev, Asset: plc, Key: "modbus.vendor_name", Value: "Schneider Electric"})
		b.Add(discovery.Observation{Kind: discovery.KindFlow, Time: tm, Evidence: ev, Asset: hmi, Peer: plc, Protocol: "modbus",
			Transport: "tcp", Port: 502, Packets: 2, Bytes: 150})
		b.Add(discovery.Observation{Kind: discovery.KindOperation, Time: tm, Evidence: ev, Asset: hmi, Peer: plc, Protocol: "modbus",
			Transport: "tcp", Port: 502, Op: discovery.Operation{Code: 16, Name: "write_multiple_registers", Class: discovery.OpWrite}})
		b.Add(discovery.Observation{Kind: discovery.KindService, Time: tm, Evidence: ev, Asset: plc, Protocol: "modbus",
			Transport: "tcp", Port: 502, Role: "server"})
		b.Add(discovery.Observation{Kind: discovery.KindCommAttribute, Time: tm, Evidence: ev, Asset: hmi, Peer: plc, Protocol: "modbus",
			Transport: "tcp", Port: 502, Key: "encrypted", Value: "false"})
	}
	return b.Drain()
}

func TestMigrationsNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].version != 1 {
		t.Fatalf("migrations %+v", ms)
	}
	s, path := openTemp(t)
	v, err := s.SchemaVersion(context.Background())
	if err != nil || v != len(ms) {
		t.Fatalf("schema version %d, %v; want %d", v, err, len(ms))
	}
	s.Close()
	// Reopening applies nothing twice.
	s2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if v, _ := s2.SchemaVersion(context.Background()); v != len(ms) {
		t.Fatalf("after reopen: %d", v)
	}
}

func TestOpenNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("this is not sqlite, just a text file long enough to have a header......................................"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path); err == nil {
		t.Fatal("want an error for a text file")
	}
}

func TestCommitUpsertsAdd(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	id, err := s.BeginSource(ctx, inventory.Source{Kind: "pcap", Name: "x.pcap", SHA256: "abc"}, "/tmp/x.pcap", t0)
	if err != nil {
		t.Fatal(err)
	}
	// Two batches: the second one starts earlier (out-of-order files) so it
	// must take over first_seen and its evidence.
	if err := s.Commit(ctx, id, delta(3, t0.Add(time.Hour)), nil); err != nil {
		t.Fatal(err)
	}
	p := &Progress{Source: inventory.Source{Packets: 42, FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour)}, Complete: true, Finished: t0}
	if err := s.Commit(ctx, id, delta(2, t0), p); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows.Hosts) != 1 || rows.Hosts[0].Count != 5 {
		t.Fatalf("hosts %+v", rows.Hosts)
	}
	if h := rows.Hosts[0]; !h.FirstSeen.Equal(t0) || !h.LastSeen.Equal(t0.Add(time.Hour+2*time.Second)) || h.Source != "pcap:x.pcap#frame=1" {
		t.Errorf("host seen %+v", h.Seen)
	}
	if len(rows.Communications) != 1 || rows.Communications[0].Packets != 10 || rows.Communications[0].Bytes != 750 {
		t.Errorf("communications %+v", rows.Communications)
	}
	if len(rows.Operations) != 1 || rows.Operations[0].Count != 5 || rows.Operations[0].Class != "write" {
		t.Errorf("operations %+v", rows.Operations)
	}
	if len(rows.Attributes) != 1 || rows.Attributes[0].Count != 5 || rows.Attributes[0].Confidence != inventory.DefaultConfidence {
		t.Errorf("attributes %+v", rows.Attributes)
	}
	if len(rows.Services) != 1 || rows.Services[0].Count != 5 || len(rows.CommAttributes) != 1 || rows.CommAttributes[0].Count != 5 {
		t.Errorf("services %+v comm attributes %+v", rows.Services, rows.CommAttributes)
	}
	rec, ok, err := s.SourceBySHA256(ctx, "abc")
	if err != nil || !ok || !rec.Complete || rec.Source.Packets != 42 || rec.Path != "/tmp/x.pcap" {
		t.Fatalf("source %+v %v %v", rec, ok, err)
	}
	if _, ok, _ := s.SourceBySHA256(ctx, "other"); ok {
		t.Error("unknown hash found")
	}
	inv, err := s.Inventory(ctx, inventory.BuildOptions{Now: t0, NoOUI: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Assets) != 2 || len(inv.Communications) != 1 || len(inv.Sources) != 1 {
		t.Errorf("inventory: %d assets %d comms %d sources", len(inv.Assets), len(inv.Communications), len(inv.Sources))
	}
}

// TestCrashKeepsCommittedBatches runs a child process that commits one
// batch, opens a second transaction, writes into it and dies without
// committing or rolling back (as kill -9 or a power cut would). The parent
// then reopens the file: the first batch is there, the second is not, and
// the database is usable.
func TestCrashKeepsCommittedBatches(t *testing.T) {
	if path := os.Getenv("OTZONE_STORE_CRASH_CHILD"); path != "" {
		ctx := context.Background()
		s, err := Open(ctx, path)
		if err != nil {
			os.Exit(3)
		}
		id, err := s.BeginSource(ctx, inventory.Source{Kind: "pcap", Name: "x.pcap", SHA256: "abc"}, "", t0)
		if err != nil {
			os.Exit(4)
		}
		if err := s.Commit(ctx, id, delta(3, t0), &Progress{Source: inventory.Source{Packets: 3}}); err != nil {
			os.Exit(5)
		}
		s.rawMu.Lock()
		c, err := s.rawConn()
		if err != nil || c.exec("BEGIN IMMEDIATE") != nil {
			os.Exit(6)
		}
		if err := writeRows(c, &rowBuf{}, delta(100, t0)); err != nil {
			os.Exit(7)
		}
		os.Exit(0) // abandon tx: no commit, no rollback, no close
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsCommittedBatches$")
	cmd.Env = append(os.Environ(), "OTZONE_STORE_CRASH_CHILD="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	rows, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows.Hosts) != 1 || rows.Hosts[0].Count != 3 {
		t.Fatalf("want only the committed batch (3), got %+v", rows.Hosts)
	}
	recs, err := s.Sources(ctx)
	if err != nil || len(recs) != 1 || recs[0].Complete || recs[0].Source.Packets != 3 {
		t.Fatalf("source after crash %+v %v", recs, err)
	}
	// And it takes new writes.
	if err := s.Commit(ctx, recs[0].ID, delta(1, t0), nil); err != nil {
		t.Fatal(err)
	}
}

func TestContextCancelled(t *testing.T) {
	s, _ := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Commit(ctx, 0, delta(1, t0), nil); err == nil {
		t.Fatal("commit with a cancelled context must fail")
	}
	rows, err := s.Load(context.Background())
	if err != nil || len(rows.Hosts) != 0 {
		t.Fatalf("nothing may be written: %+v %v", rows.Hosts, err)
	}
}

// TestOddPathBothConnections: a file name with the characters a URI reads
// as query, fragment or escape is the same file for the database/sql
// connection and the raw one (Commit, LoadForCounts), read-write and
// read-only, and no other file appears.
func TestOddPathBothConnections(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "a?mode=ro#x%41 b.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.BeginSource(ctx, inventory.Source{Kind: "pcap", Name: "x.pcap"}, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, id, delta(2, t0), &Progress{Source: inventory.Source{Packets: 2}, Complete: true}); err != nil {
		t.Fatal(err)
	}
	counts, err := s.LoadForCounts(ctx)
	if err != nil || len(counts.Hosts) != 1 {
		t.Fatalf("load counts: %d hosts, %v", len(counts.Hosts), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != filepath.Base(path) {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("files after close: %q, want only %q", names, filepath.Base(path))
	}
	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	counts, err = ro.LoadForCounts(ctx)
	if err != nil || len(counts.Hosts) != 1 || len(counts.Communications) != 1 {
		t.Fatalf("read-only load counts: %+v, %v", counts, err)
	}
	recs, err := ro.Sources(ctx)
	if err != nil || len(recs) != 1 || !recs[0].Complete || recs[0].Source.Packets != 2 {
		t.Fatalf("sources %+v %v", recs, err)
	}
	if err := ro.Commit(ctx, 0, delta(1, t0), nil); err == nil {
		t.Fatal("a read-only store committed")
	}
}

// TestClosedStore: Commit and LoadForCounts after Close fail instead of
// opening a new connection.
func TestClosedStore(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	if err := s.Commit(ctx, 0, delta(1, t0), nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Commit(ctx, 0, delta(1, t0), nil); err == nil {
		t.Fatal("commit after close succeeded")
	}
	if _, err := s.LoadForCounts(ctx); err == nil {
		t.Fatal("load counts after close succeeded")
	}
}
