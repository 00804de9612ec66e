package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/otzone/otzone/discovery"
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
// transaction: either all of it is in the file or none of it.
func (s *Store) Commit(ctx context.Context, id SourceID, rows *inventory.Rows, p *Progress) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if err := writeRows(ctx, tx, rows); err != nil {
		tx.Rollback()
		return fmt.Errorf("store: commit: %w", err)
	}
	if p != nil && id != 0 {
		if err := writeProgress(ctx, tx, id, p); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: commit source: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func writeProgress(ctx context.Context, tx *sql.Tx, id SourceID, p *Progress) error {
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
	_, err := tx.ExecContext(ctx, `UPDATE sources SET packets = ?, bytes = ?, first_seen = ?, last_seen = ?, malformed = ?,
		error = ?, capture_stats = ?, complete = ?, finished_at = ? WHERE id = ?`,
		int64(p.Source.Packets), int64(p.Source.Bytes), nanos(p.Source.FirstSeen), nanos(p.Source.LastSeen),
		int64(p.Source.Malformed), p.Source.Error, stats, boolInt(p.Complete), fin, int64(id))
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

func macStr(m discovery.MAC) string { return m.String() }

func ipStr(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	return ip.String()
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

func commArgs(k inventory.CommKey) []any {
	a := make([]any, 10, 17)
	a[0], a[1], a[2], a[3], a[4], a[5] = macStr(k.Client.MAC), ipStr(k.Client.IP), k.Client.Sub, macStr(k.Server.MAC), ipStr(k.Server.IP), k.Server.Sub
	a[6], a[7], a[8], a[9] = k.Protocol, k.Transport, int64(k.Port), k.Site
	return a
}

func writeRows(ctx context.Context, tx *sql.Tx, r *inventory.Rows) error {
	if r == nil {
		return nil
	}
	if err := upsert(ctx, tx, hostSQL, 4, len(r.Hosts), func(i int) []any {
		h := &r.Hosts[i]
		return []any{macStr(h.MAC), ipStr(h.IP), h.Protocol, h.Site, int64(h.Count), nanos(h.FirstSeen), nanos(h.LastSeen), h.Source}
	}); err != nil {
		return fmt.Errorf("hosts: %w", err)
	}
	if err := upsert(ctx, tx, attrSQL, 6, len(r.Attributes), func(i int) []any {
		a := &r.Attributes[i]
		e := a.Endpoint
		return []any{macStr(e.MAC), ipStr(e.IP), e.Sub, a.Key, a.Value, a.Site, int64(a.Count),
			a.Confidence, nanos(a.FirstSeen), nanos(a.LastSeen), a.Source}
	}); err != nil {
		return fmt.Errorf("attributes: %w", err)
	}
	if err := upsert(ctx, tx, svcSQL, 8, len(r.Services), func(i int) []any {
		v := &r.Services[i]
		e := v.Endpoint
		return []any{macStr(e.MAC), ipStr(e.IP), e.Sub, v.Protocol, v.Transport, int64(v.Port), v.Role,
			v.Site, int64(v.Count), nanos(v.FirstSeen), nanos(v.LastSeen), v.Source}
	}); err != nil {
		return fmt.Errorf("services: %w", err)
	}
	if err := upsert(ctx, tx, commSQL, 10, len(r.Communications), func(i int) []any {
		c := &r.Communications[i]
		return append(commArgs(c.CommKey), int64(c.Packets), int64(c.Bytes), nanos(c.FirstSeen), nanos(c.LastSeen), c.Source)
	}); err != nil {
		return fmt.Errorf("communications: %w", err)
	}
	if err := upsert(ctx, tx, opSQL, 13, len(r.Operations), func(i int) []any {
		o := &r.Operations[i]
		return append(commArgs(o.CommKey), int64(o.Code), o.Name, o.Class, int64(o.Count), nanos(o.FirstSeen), nanos(o.LastSeen), o.Source)
	}); err != nil {
		return fmt.Errorf("operations: %w", err)
	}
	if err := upsert(ctx, tx, cattrSQL, 12, len(r.CommAttributes), func(i int) []any {
		a := &r.CommAttributes[i]
		return append(commArgs(a.CommKey), a.Key, a.Value, int64(a.Count), a.Confidence, nanos(a.FirstSeen), nanos(a.LastSeen), a.Source)
	}); err != nil {
		return fmt.Errorf("communication attributes: %w", err)
	}
	return nil
}

// upsert runs the prepared statement q once per row, the rows sorted by
// their first nkey arguments (the table's primary key, compared as SQLite
// compares them: text bytewise, integers numerically). Builder deltas come
// out in map order; in key order each B-tree page is visited once per
// batch instead of once per row, which is most of the cost of a batch
// once the database outgrows SQLite's page cache.
func upsert(ctx context.Context, tx *sql.Tx, q string, nkey, n int, args func(i int) []any) error {
	if n == 0 {
		return nil
	}
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = args(i)
	}
	slices.SortFunc(rows, func(a, b []any) int {
		for k := 0; k < nkey; k++ {
			if c := cmpArg(a[k], b[k]); c != 0 {
				return c
			}
		}
		return 0
	})
	// Whole chunks go through one multi-row statement (one call into
	// SQLite per chunk instead of per row), the rest row by row.
	if len(rows) >= chunkRows {
		st, err := tx.PrepareContext(ctx, multiRow(q, chunkRows))
		if err != nil {
			return err
		}
		defer st.Close()
		args := make([]any, 0, chunkRows*len(rows[0]))
		for len(rows) >= chunkRows {
			args = args[:0]
			for _, a := range rows[:chunkRows] {
				args = append(args, a...)
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("%v...: %w", rows[0][:nkey], err)
			}
			rows = rows[chunkRows:]
		}
	}
	if len(rows) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, a := range rows {
		if _, err := st.ExecContext(ctx, a...); err != nil {
			return fmt.Errorf("%v: %w", a[:nkey], err)
		}
	}
	return nil
}

// chunkRows is the rows per multi-row upsert (at most 17 columns: 544
// parameters, far below SQLite's limit of 32766).
const chunkRows = 32

// multiRow repeats the VALUES tuple of a one-row INSERT n times. Rows of
// one delta have distinct keys; were one repeated, the later tuple would
// take the ON CONFLICT path against the earlier like a separate statement.
func multiRow(q string, n int) string {
	i := strings.Index(q, "VALUES (") + len("VALUES ")
	j := i + strings.IndexByte(q[i:], ')') + 1
	return q[:i] + strings.Repeat(q[i:j]+", ", n-1) + q[i:j] + q[j:]
}

// cmpArg orders two arguments of the same column.
func cmpArg(a, b any) int {
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case int64:
		return cmp.Compare(x, b.(int64))
	}
	return 0
}
