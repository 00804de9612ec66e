package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/otzone/otzone/discovery/inventory"
)

// SourceID names a sources row.
type SourceID int64

// Recorded is a source row as stored.
type Recorded struct {
	ID       SourceID
	Source   inventory.Source
	Path     string
	Complete bool
}

// SourceBySHA256 returns the source recorded with this content hash, if any.
// ok is false when the content was never ingested.
func (s *Store) SourceBySHA256(ctx context.Context, sum string) (rec Recorded, ok bool, err error) {
	row := s.db.QueryRowContext(ctx, `SELECT id, kind, name, path, sha256, site, packets, bytes, first_seen, last_seen,
		malformed, error, capture_stats, complete FROM sources WHERE sha256 = ? ORDER BY complete DESC, id LIMIT 1`, sum)
	src, id, path, complete, err := scanSource(row.Scan)
	if err == sql.ErrNoRows {
		return Recorded{}, false, nil
	}
	if err != nil {
		return Recorded{}, false, fmt.Errorf("store: source by sha256: %w", err)
	}
	return Recorded{ID: id, Source: src, Path: path, Complete: complete}, true, nil
}

// BeginSource records a source being ingested (complete = 0 until
// FinishSource) and returns its id.
func (s *Store) BeginSource(ctx context.Context, src inventory.Source, path string, started time.Time) (SourceID, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO sources(kind, name, path, sha256, site, started_at) VALUES (?, ?, ?, ?, ?, ?)`,
		src.Kind, src.Name, path, src.SHA256, src.Site, started.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: begin source %s: %w", src.Name, err)
	}
	id, err := res.LastInsertId()
	return SourceID(id), err
}

// Progress is what a batch says about its source, written in the batch's
// transaction so the source row always matches the facts committed.
type Progress struct {
	Source   inventory.Source // Packets, Bytes, FirstSeen, LastSeen, Malformed, Error, Drops
	Complete bool
	Finished time.Time
	Frames   uint64
}

// Commit writes one Builder delta and the source's progress in a single
// transaction: either all of it is in the file or none of it. ctx is
// checked before the transaction starts; a commit once begun runs to its
// end (ingest commits its last batch after a cancel anyway).
func (s *Store) Commit(ctx context.Context, id SourceID, rows *inventory.Rows, p *Progress) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	s.rawMu.Lock()
	defer s.rawMu.Unlock()
	c, err := s.rawConn()
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if err := c.exec("BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	// The encoded rows are garbage after the batch: kept for the next one
	// they would sit in the live heap (and double in the collector's
	// target) through the packets in between.
	var b rowBuf
	if err := writeRows(c, &b, rows); err != nil {
		c.exec("ROLLBACK")
		return fmt.Errorf("store: commit: %w", err)
	}
	if p != nil && id != 0 {
		if err := writeProgress(c, id, p); err != nil {
			c.exec("ROLLBACK")
			return fmt.Errorf("store: commit source: %w", err)
		}
	}
	if err := s.walLimit(c); err != nil {
		c.exec("ROLLBACK")
		return fmt.Errorf("store: commit: %w", err)
	}
	if err := c.exec("COMMIT"); err != nil {
		c.exec("ROLLBACK")
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// maxWALPages bounds the WAL a commit lets grow before it checkpoints
// (256 MiB of 4 KiB pages).
const maxWALPages = 1 << 16

// walLimit sets, in Commit's transaction, the WAL size past which its
// COMMIT checkpoints: the database's size in pages (at least SQLite's
// default of 1000, at most maxWALPages). A batch of new random keys
// dirties pages all over the file; with the default, every commit copied
// its pages back into the database at once (and synced both files). Let
// to grow to the database's size, the WAL holds several batches, and a
// checkpoint writes each page once however many of them changed it. The
// WAL file stays bounded by the database's size plus a batch, and Close
// still checkpoints and truncates it. The caller holds rawMu.
func (s *Store) walLimit(c *rawConn) error {
	st, err := c.stmt("PRAGMA page_count")
	if err != nil {
		return err
	}
	var pages int64
	var buf [64]byte
	if _, err := c.query(st, "i", buf[:], func(r *rowReader) { pages = r.int() }); err != nil {
		return err
	}
	limit := int(min(max(pages, 1000), maxWALPages))
	if limit == s.walPages {
		return nil
	}
	if err := c.exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", limit)); err != nil {
		return err
	}
	s.walPages = limit
	return nil
}

const progressSQL = `UPDATE sources SET packets = ?, bytes = ?, first_seen = ?, last_seen = ?, malformed = ?,
		error = ?, capture_stats = ?, complete = ?, finished_at = ? WHERE id = ?`

func writeProgress(c *rawConn, id SourceID, p *Progress) error {
	stats := ""
	if p.Source.Drops != nil {
		b, err := json.Marshal(p.Source.Drops)
		if err != nil {
			return err
		}
		stats = string(b)
	}
	var fin int64
	if !p.Finished.IsZero() {
		fin = p.Finished.UnixNano()
	}
	st, err := c.stmt(progressSQL)
	if err != nil {
		return err
	}
	var b rowBuf
	b.row()
	b.int(int64(p.Source.Packets))
	b.int(int64(p.Source.Bytes))
	b.int(nanos(p.Source.FirstSeen))
	b.int(nanos(p.Source.LastSeen))
	b.int(int64(p.Source.Malformed))
	b.text(p.Source.Error)
	b.text(stats)
	b.int(int64(boolInt(p.Complete)))
	b.int(fin)
	b.int(int64(id))
	_, err = c.execRows(st, nil, 0, "iiiiittiii", &b)
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// The upsert rule shared by every table: counts add, first_seen is the
// minimum and source the evidence of that minimum, last_seen the maximum.
// (In SQLite's UPDATE every expression reads the old row, so the order of
// the assignments does not matter.)
const seenUpsert = `
	source = CASE WHEN excluded.first_seen < first_seen THEN excluded.source ELSE source END,
	first_seen = MIN(first_seen, excluded.first_seen),
	last_seen = MAX(last_seen, excluded.last_seen)`

const (
	hostSQL = `INSERT INTO hosts(mac, ip, protocol, site, packets, first_seen, last_seen, source)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(mac, ip, protocol, site) DO UPDATE SET packets = packets + excluded.packets,` + seenUpsert
	attrSQL = `INSERT INTO attributes(mac, ip, sub, key, value, site, count, confidence, first_seen, last_seen, source)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(mac, ip, sub, key, value, site) DO UPDATE SET count = count + excluded.count,
		confidence = MAX(confidence, excluded.confidence),` + seenUpsert
	svcSQL = `INSERT INTO services(mac, ip, sub, protocol, transport, port, role, site, count, first_seen, last_seen, source)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(mac, ip, sub, protocol, transport, port, role, site) DO UPDATE SET count = count + excluded.count,` + seenUpsert
	commCols = `c_mac, c_ip, c_sub, s_mac, s_ip, s_sub, protocol, transport, port, site`
	commSQL  = `INSERT INTO communications(` + commCols + `, packets, bytes, first_seen, last_seen, source)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(` + commCols + `) DO UPDATE SET packets = packets + excluded.packets, bytes = bytes + excluded.bytes,` + seenUpsert
	opSQL = `INSERT INTO operations(` + commCols + `, code, name, class, count, first_seen, last_seen, source)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(` + commCols + `, code, name, class) DO UPDATE SET count = count + excluded.count,` + seenUpsert
	cattrSQL = `INSERT INTO comm_attributes(` + commCols + `, key, value, count, confidence, first_seen, last_seen, source)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(` + commCols + `, key, value) DO UPDATE SET count = count + excluded.count,
		confidence = MAX(confidence, excluded.confidence),` + seenUpsert
)

// Column types of each upsert's arguments, in ozs_exec_rows's letters:
// 't' text, 'i' integer, 'd' real.
const (
	commTypes  = "ttttttttit"
	hostTypes  = "ttttiiit"
	attrTypes  = "ttttttidiit"
	svcTypes   = "tttttittiiit"
	commTypesX = commTypes + "iiiit"
	opTypes    = commTypes + "ittiiit"
	cattrTypes = commTypes + "ttidiit"
)

func (b *rowBuf) commKey(k *inventory.CommKey) {
	b.mac(k.Client.MAC)
	b.ip(k.Client.IP)
	b.text(k.Client.Sub)
	b.mac(k.Server.MAC)
	b.ip(k.Server.IP)
	b.text(k.Server.Sub)
	b.text(k.Protocol)
	b.text(k.Transport)
	b.int(int64(k.Port))
	b.text(k.Site)
}

func (b *rowBuf) seen(s *inventory.Seen) {
	b.int(nanos(s.FirstSeen))
	b.int(nanos(s.LastSeen))
	b.text(s.Source)
}

// writeRows upserts every row of r, table by table, through the raw
// connection (in its open transaction), b its scratch. Each table gives
// the encoding of a row's key columns and of the rest.
func writeRows(c *rawConn, b *rowBuf, r *inventory.Rows) error {
	if r == nil {
		return nil
	}
	if err := upsert(c, b, "hosts", hostSQL, hostTypes, 4, len(r.Hosts), func(i int) {
		h := &r.Hosts[i]
		b.mac(h.MAC)
		b.ip(h.IP)
		b.text(h.Protocol)
		b.text(h.Site)
	}, func(i int) {
		h := &r.Hosts[i]
		b.int(int64(h.Count))
		b.seen(&h.Seen)
	}); err != nil {
		return err
	}
	if err := upsert(c, b, "attributes", attrSQL, attrTypes, 6, len(r.Attributes), func(i int) {
		a := &r.Attributes[i]
		b.mac(a.Endpoint.MAC)
		b.ip(a.Endpoint.IP)
		b.text(a.Endpoint.Sub)
		b.text(a.Key)
		b.text(a.Value)
		b.text(a.Site)
	}, func(i int) {
		a := &r.Attributes[i]
		b.int(int64(a.Count))
		b.float(a.Confidence)
		b.seen(&a.Seen)
	}); err != nil {
		return err
	}
	if err := upsert(c, b, "services", svcSQL, svcTypes, 8, len(r.Services), func(i int) {
		v := &r.Services[i]
		b.mac(v.Endpoint.MAC)
		b.ip(v.Endpoint.IP)
		b.text(v.Endpoint.Sub)
		b.text(v.Protocol)
		b.text(v.Transport)
		b.int(int64(v.Port))
		b.text(v.Role)
		b.text(v.Site)
	}, func(i int) {
		v := &r.Services[i]
		b.int(int64(v.Count))
		b.seen(&v.Seen)
	}); err != nil {
		return err
	}
	if err := upsert(c, b, "communications", commSQL, commTypesX, 10, len(r.Communications), func(i int) {
		b.commKey(&r.Communications[i].CommKey)
	}, func(i int) {
		m := &r.Communications[i]
		b.int(int64(m.Packets))
		b.int(int64(m.Bytes))
		b.seen(&m.Seen)
	}); err != nil {
		return err
	}
	if err := upsert(c, b, "operations", opSQL, opTypes, 13, len(r.Operations), func(i int) {
		o := &r.Operations[i]
		b.commKey(&o.CommKey)
		b.int(int64(o.Code))
		b.text(o.Name)
		b.text(o.Class)
	}, func(i int) {
		o := &r.Operations[i]
		b.int(int64(o.Count))
		b.seen(&o.Seen)
	}); err != nil {
		return err
	}
	return upsert(c, b, "communication attributes", cattrSQL, cattrTypes, 12, len(r.CommAttributes), func(i int) {
		a := &r.CommAttributes[i]
		b.commKey(&a.CommKey)
		b.text(a.Key)
		b.text(a.Value)
	}, func(i int) {
		a := &r.CommAttributes[i]
		b.int(int64(a.Count))
		b.float(a.Confidence)
		b.seen(&a.Seen)
	})
}

// upsert runs the one-row upsert q over the n rows of a table: key(i)
// appends row i's first nkey arguments (the table's primary key) to b,
// rest(i) the others. The rows run in key order (as SQLite orders the
// key: text bytewise, integers numerically): Builder deltas come out in
// map order, and in key order each B-tree page is visited once per batch
// instead of once per row, which is most of the cost of a batch once the
// database outgrows SQLite's page cache. Each row is encoded once, with
// its sort key beside it; the rows' offsets are then put in key order and
// run, chunkRows rows per statement, execChunk rows per call into C. The
// encoded table (a few MB for the largest table of a 50k-row batch) is
// garbage after the call.
func upsert(c *rawConn, b *rowBuf, table, q, types string, nkey, n int, key, rest func(i int)) error {
	if n == 0 {
		return nil
	}
	keys, kb := slices.Grow(b.keys[:0], n), b.kb[:0]
	b.reset()
	b.offs = slices.Grow(b.offs, n)
	for i := 0; i < n; i++ {
		if i == sizeSample && n > 2*sizeSample {
			// Sized for all rows from the first ones: one allocation
			// instead of a doubling's garbage.
			kb = slices.Grow(kb, len(kb)/i*(n-i)*9/8)
			b.b = slices.Grow(b.b, len(b.b)/i*(n-i)*9/8)
		}
		b.row()
		at := len(b.b)
		key(i)
		rest(i)
		k := len(kb)
		kb = appendSortKey(kb, b.b[at:], types[:nkey])
		p0, p1 := prefix(kb[k:])
		keys = append(keys, sortKey{p0: p0, p1: p1, row: uint32(i), key: uint32(k), n: uint32(len(kb) - k)})
	}
	slices.SortFunc(keys, func(x, y sortKey) int { return x.compare(&y, kb) })
	b.keys, b.kb = keys, kb
	// The rows' offsets in key order (keys[j].row is row j's index).
	offs := make([]uint32, n)
	for j, k := range keys {
		offs[j] = b.offs[k.row]
	}
	b.offs = offs
	st, err := c.stmt(q)
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	var multi *cstmt
	if n >= chunkRows {
		if multi, err = c.stmt(multiRow(q, chunkRows)); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	all := b.offs
	defer func() { b.offs = all[:0] }()
	for len(b.offs) > 0 {
		m := min(len(b.offs), execChunk)
		chunk := rowBuf{b: b.b, offs: b.offs[:m]}
		if row, err := c.execRows(st, multi, chunkRows, types, &chunk); err != nil {
			return fmt.Errorf("%s: row %s: %w", table, keyString(b.b[chunk.offs[row]:], types[:nkey]), err)
		}
		b.offs = b.offs[m:]
	}
	return nil
}

// execChunk is the rows encoded and run per call into C (a multiple of
// chunkRows).
const execChunk = 32 * chunkRows

// sizeSample is the rows upsert encodes before sizing its buffers.
const sizeSample = 256

// sortKey orders a table's row (row) by its key columns, as SQLite orders
// them: a byte string (n bytes at key in rowBuf.kb) that compares
// bytewise as the columns do, and its first 16 bytes as two numbers
// (which decide most comparisons without reading kb).
type sortKey struct {
	p0, p1      uint64
	row, key, n uint32
}

func (x *sortKey) compare(y *sortKey, kb []byte) int {
	if x.p0 != y.p0 {
		return cmp.Compare(x.p0, y.p0)
	}
	if x.p1 != y.p1 {
		return cmp.Compare(x.p1, y.p1)
	}
	return bytes.Compare(kb[x.key:x.key+x.n], kb[y.key:y.key+y.n])
}

// appendSortKey appends the sort key of an encoded row's first
// len(types) columns: a text's bytes, a zero byte escaped as 00 FF, then
// 00 01 (so a text sorts before its extensions, as in SQLite); an integer
// big-endian with the sign bit flipped.
func appendSortKey(kb, row []byte, types string) []byte {
	for i := 0; i < len(types); i++ {
		if types[i] == 't' {
			l := binary.NativeEndian.Uint32(row)
			t := row[4 : 4+l]
			row = row[4+l:]
			for {
				z := bytes.IndexByte(t, 0)
				if z < 0 {
					break
				}
				kb = append(append(kb, t[:z]...), 0, 0xff)
				t = t[z+1:]
			}
			kb = append(append(kb, t...), 0, 1)
			continue
		}
		// 'i' ('d' is never a key column)
		kb = binary.BigEndian.AppendUint64(kb, binary.NativeEndian.Uint64(row)^(1<<63))
		row = row[8:]
	}
	return kb
}

// prefix is a sort key's first 16 bytes as two numbers (zero-padded).
func prefix(k []byte) (uint64, uint64) {
	var p [16]byte
	copy(p[:], k)
	return binary.BigEndian.Uint64(p[:8]), binary.BigEndian.Uint64(p[8:])
}

// keyString formats an encoded row's key columns for an error message.
func keyString(x []byte, types string) string {
	r := rowReader{b: x}
	var sb strings.Builder
	sb.WriteByte('[')
	for i := 0; i < len(types); i++ {
		if i > 0 {
			sb.WriteByte(' ')
		}
		if types[i] == 't' {
			fmt.Fprintf(&sb, "%q", r.text())
		} else {
			fmt.Fprint(&sb, r.int())
		}
	}
	sb.WriteByte(']')
	return sb.String()
}

// chunkRows is the rows per multi-row upsert (at most 17 columns: 544
// parameters, far below SQLite's limit of 32766): one statement run per
// chunk instead of per row.
const chunkRows = 32

// multiRow repeats the VALUES tuple of a one-row INSERT n times. Rows of
// one delta have distinct keys; were one repeated, the later tuple would
// take the ON CONFLICT path against the earlier like a separate statement.
func multiRow(q string, n int) string {
	i := strings.Index(q, "VALUES (") + len("VALUES ")
	j := i + strings.IndexByte(q[i:], ')') + 1
	return q[:i] + strings.Repeat(q[i:j]+", ", n-1) + q[i:j] + q[j:]
}
