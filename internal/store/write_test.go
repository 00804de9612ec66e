package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/otzone/otzone/discovery/inventory"
)

// TestCommitManyRowsMerges: deltas of a hundred rows per table, committed twice with shifted
// times plus a delta of new keys, load back as the rule says: counts add,
// first_seen is the minimum with its source, last_seen the maximum.
func TestCommitManyRowsMerges(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	a := randomRows(5*103, 1) // 103 rows per table
	later := randomRows(5*103, 1)
	for i := range later.Operations {
		later.Operations[i].Seen = inventory.Seen{Count: 2, FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(time.Hour), Source: "earlier"}
		later.Attributes[i].Seen = later.Operations[i].Seen
		later.Attributes[i].Confidence = 0.5
	}
	other := randomRows(5*32, 2)
	for _, d := range []*inventory.Rows{a, later, other} {
		if err := s.Commit(ctx, 0, d, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, want := len(got.Operations), len(a.Operations)+len(other.Operations); n != want {
		t.Fatalf("%d operation rows, want %d", n, want)
	}
	if n, want := len(got.Attributes), len(a.Attributes)+len(other.Attributes); n != want {
		t.Fatalf("%d attribute rows, want %d", n, want)
	}
	if n, want := len(got.Hosts), len(a.Hosts)+len(other.Hosts); n != want {
		t.Fatalf("%d host rows, want %d", n, want)
	}
	want := map[string]inventory.Seen{}
	for _, d := range []*inventory.Rows{a, later, other} {
		for _, o := range d.Operations {
			k := fmt.Sprint(o.CommKey, o.Code)
			s := want[k]
			s.Merge(o.Seen)
			want[k] = s
		}
	}
	for _, o := range got.Operations {
		k := fmt.Sprint(o.CommKey, o.Code)
		w := want[k]
		if o.Count != w.Count || !o.FirstSeen.Equal(w.FirstSeen) || !o.LastSeen.Equal(w.LastSeen) || o.Source != w.Source {
			t.Fatalf("operation %s: %+v, want %+v", k, o.Seen, w)
		}
	}
	for i, at := range got.Attributes {
		if at.Confidence != 0.9 || (at.Count != 5 && at.Count != 3) {
			t.Fatalf("attribute %d: count %d confidence %v (want 3+2 or 3, max(0.9, 0.5))", i, at.Count, at.Confidence)
		}
	}
}

// TestSortKeyOrdersAsSQLite: rows sorted by their sort keys come out in
// the order of the table's primary key in SQLite (hostile texts: NUL,
// prefixes of each other, bytes >= 0x80; negative and large integers).
func TestSortKeyOrdersAsSQLite(t *testing.T) {
	s, _ := openTemp(t)
	if _, err := s.db.Exec(`CREATE TABLE k (a TEXT, b INTEGER, c TEXT, PRIMARY KEY (a, b, c)) WITHOUT ROWID`); err != nil {
		t.Fatal(err)
	}
	texts := []string{"", "\x00", "\x00\x00", "\x00\x01", "\x01", "a", "a\x00", "a\x00b", "a\x01", "ab", "b", "\xff", "\xff\x00", "é", "A",
		"0123456789abcdefX", "0123456789abcdef", "0123456789abcdef\x00", "0123456789abcdefY"}
	ints := []int64{math.MinInt64, -1, 0, 1, 255, 256, math.MaxInt64}
	var b rowBuf
	for _, x := range texts {
		for _, n := range ints {
			for _, y := range texts {
				if _, err := s.db.Exec(`INSERT INTO k VALUES (?, ?, ?)`, x, n, y); err != nil {
					t.Fatal(err)
				}
				b.row()
				b.text(x)
				b.int(n)
				b.text(y)
			}
		}
	}
	keys := make([]sortKey, len(b.offs))
	var kb []byte
	for i, off := range b.offs {
		k := len(kb)
		kb = appendSortKey(kb, b.b[off:], "tit")
		p0, p1 := prefix(kb[k:])
		keys[i] = sortKey{p0: p0, p1: p1, row: uint32(i), key: uint32(k), n: uint32(len(kb) - k)}
	}
	slices.SortFunc(keys, func(x, y sortKey) int { return x.compare(&y, kb) })
	rows, err := s.db.Query(`SELECT a, b, c FROM k ORDER BY a, b, c`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var x, y string
		var n int64
		if err := rows.Scan(&x, &n, &y); err != nil {
			t.Fatal(err)
		}
		r := rowReader{b: b.b[b.offs[keys[i].row]:]}
		gx, gn, gy := string(r.text()), r.int(), string(r.text())
		if gx != x || gn != n || gy != y {
			t.Fatalf("row %d: sort key order gives (%q %d %q), SQLite (%q %d %q)", i, gx, gn, gy, x, n, y)
		}
	}
	if i != len(keys) {
		t.Fatalf("%d rows from SQLite, %d sorted", i, len(keys))
	}
}

// TestWALStaysBounded: Commit lets the WAL grow to the database's size
// before it checkpoints (walLimit), never further than that plus one
// transaction's pages, and Close folds it back: the file reopens with
// every committed row.
func TestWALStaysBounded(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	const batches, n = 12, 5000
	frame := int64(4096 + 24)
	var checkpointed bool
	var walMax int64
	for i := 0; i < batches; i++ {
		if err := s.Commit(ctx, 0, randomRows(n, uint64(i)), nil); err != nil {
			t.Fatal(err)
		}
		db, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		wal, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		// The limit (the database's pages, at least 1000) plus one
		// transaction, which cannot write more distinct pages than the
		// database has.
		pages := max(db.Size()/4096, 1000)
		if bound := 2*pages*frame + 32; wal.Size() > bound {
			t.Fatalf("batch %d: WAL %d bytes, database %d: over %d", i, wal.Size(), db.Size(), bound)
		}
		// The WAL header's checkpoint sequence number (bytes 12-15)
		// counts the restarts after a checkpoint.
		hdr := make([]byte, 16)
		if f, err := os.Open(path + "-wal"); err == nil {
			f.ReadAt(hdr, 0)
			f.Close()
		}
		if seq := binary.BigEndian.Uint32(hdr[12:]); seq > 0 {
			checkpointed = true
		}
		walMax = max(walMax, wal.Size())
	}
	if !checkpointed {
		t.Errorf("the WAL never restarted (%d bytes): no checkpoint in %d batches", walMax, batches)
	}
	if s.walPages < 1000 || s.walPages > maxWALPages {
		t.Errorf("wal_autocheckpoint %d", s.walPages)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Errorf("WAL of %d bytes after Close", fi.Size())
	}
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	rows, err := s2.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// randomRows: n/5 rows of each table per batch, random keys.
	if got, want := len(rows.Communications), batches*n/5; got != want {
		t.Errorf("%d communications after reopening, want %d", got, want)
	}
}
