package ingest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/store"
	"github.com/otzone/otzone/internal/testutil"
)

// flushEngine flushes the engine after every packet: every flow delta and
// host refresh is cut as finely as it can be.
type flushEngine struct{ Engine }

func (f flushEngine) Packet(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, ev discovery.Evidence) {
	f.Engine.Packet(data, ci, lt, ev)
	f.Engine.Flush()
}

// The database must not depend on where the ingest flushed and committed:
// it commits every BatchRows rows and every BatchInterval of wall time, so
// a loaded machine cuts the same capture elsewhere than an idle one (and a
// live capture flushes every --flush). Two bugs made it depend on them: a
// communication's first_seen was the minimum of its deltas' LAST packet
// times, and a flow flushed before its protocol was detected put its first
// packets into a separate "unknown" communication. The same captures are
// ingested once with one commit per file and once flushing the engine after
// every packet and committing every 1024 packets; every table must match.
func TestDatabaseIndependentOfFlushes(t *testing.T) {
	t.Run("demo plant", func(t *testing.T) { sameWithFineFlushes(t, demo(t)) })
	t.Run("shared captures", func(t *testing.T) {
		sameWithFineFlushes(t, filepath.Join(testutil.SharedDir(t), "pcaps"))
	})
}

func sameWithFineFlushes(t *testing.T, path string) {
	ingest := func(name string, opt Options) map[string][]string {
		db := filepath.Join(t.TempDir(), name+".db")
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Files(context.Background(), st, []string{path}, opt); err != nil {
			t.Fatal(err)
		}
		st.Close()
		return dumpDB(t, db)
	}
	once := ingest("once", Options{BatchRows: 1 << 30, BatchInterval: 1 << 62})
	fine := ingest("fine", Options{BatchRows: 1, BatchInterval: 1, NewEngine: func(emit discovery.Emit) (Engine, error) {
		set, err := discovery.NewSet()
		if err != nil {
			return nil, err
		}
		return flushEngine{discovery.NewEngine(set, emit, discovery.EngineOptions{})}, nil
	}})
	if len(once["communications"]) < 20 {
		t.Fatalf("only %d communications: the capture did not ingest", len(once["communications"]))
	}
	for table, rows := range once {
		if d := cmp.Diff(rows, fine[table]); d != "" {
			t.Errorf("%s: one commit per file (-) against a flush per packet (+):\n%s", table, d)
		}
	}
}

// dumpDB is testutil.DumpTables of the database file at path.
func dumpDB(t *testing.T, path string) map[string][]string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return testutil.DumpTables(t, db)
}
