package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver (cgo)
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is one otzone database.
type Store struct {
	db   *sql.DB
	path string
	// uri and readonly open raw (lazily), the second connection Commit
	// and LoadForCounts use; rawMu serialises its use.
	uri      string
	readonly bool
	rawMu    sync.Mutex
	raw      *rawConn
	closed   bool // by Close: raw is not reopened
	walPages int  // raw's wal_autocheckpoint as Commit last set it
}

// ErrNotOtzone is returned when the file exists but is not an otzone
// database (or not SQLite at all).
var ErrNotOtzone = errors.New("not an otzone database")

// Open opens (creating if needed) the database at path and brings its
// schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_cache_size", "-32768")
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	// The path is a URI path: escape what a URI would read as a query or
	// fragment (file names with ? or #).
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite3", uri+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// One writer; SQLite serialises writes anyway and a single connection
	// keeps the pragmas in effect for every statement.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path, uri: uri}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close checkpoints and closes the database.
func (s *Store) Close() error {
	if s == nil || s.db == nil {
		return nil
	}
	s.rawMu.Lock()
	rerr := s.raw.close()
	s.raw, s.closed = nil, true
	s.rawMu.Unlock()
	_, _ = s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	err := s.db.Close()
	s.db = nil
	return errors.Join(err, rerr)
}

// rawConn is the raw connection, opened on first use with the pragmas
// Open gives the database/sql one (journal_mode=WAL is the file's own,
// set by Open). The caller holds rawMu.
func (s *Store) rawConn() (*rawConn, error) {
	if s.raw != nil {
		return s.raw, nil
	}
	if s.closed {
		return nil, errors.New("store is closed")
	}
	c, err := openRaw(s.uri, s.readonly)
	if err != nil {
		return nil, err
	}
	// temp_store = MEMORY keeps the statement journal in memory: each
	// multi-row upsert (upsert's chunkRows rows) may abort half done, so
	// SQLite saves the first image of every page it modifies, which past
	// 64 KiB spills to a temporary file; in an ingest that was half the
	// bytes written (a 4-byte and a 4096-byte write per page). It holds
	// the pages of one statement, and the connection's temporary tables
	// (it has none) would live in memory too.
	pragmas := "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768; PRAGMA foreign_keys = 1; PRAGMA temp_store = MEMORY"
	if s.readonly {
		pragmas = "PRAGMA query_only = 1; PRAGMA foreign_keys = 1"
	}
	if err := c.exec(pragmas); err != nil {
		c.close()
		return nil, err
	}
	s.raw, s.walPages = c, 0
	return c, nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	ents, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range ents {
		n := e.Name()
		num, _, ok := strings.Cut(n, "_")
		if !ok || !strings.HasSuffix(n, ".sql") {
			return nil, fmt.Errorf("migration %q: want NNNN_name.sql", n)
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %q: %w", n, err)
		}
		b, err := migrationFS.ReadFile("migrations/" + n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, n, string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %q: want number %04d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies the missing migrations, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	// Reading the schema fails early on a file that is not SQLite; a SQLite
	// file of another application (tables, but no schema_migrations) is
	// refused rather than having otzone's tables added to it.
	var others, ours int
	if err := s.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(name != 'schema_migrations'), 0), COALESCE(SUM(name = 'schema_migrations'), 0)
		FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).Scan(&others, &ours); err != nil {
		if strings.Contains(err.Error(), "file is not a database") {
			return ErrNotOtzone
		}
		return err
	}
	if others > 0 && ours == 0 {
		return fmt.Errorf("%w: it is a SQLite file of another application (%d tables, no otzone schema)", ErrNotOtzone, others)
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (datetime('now')))`); err != nil {
		if strings.Contains(err.Error(), "file is not a database") {
			return ErrNotOtzone
		}
		return err
	}
	var have int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return err
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	if have > len(ms) {
		return fmt.Errorf("database schema version %d is newer than this otzone (%d): upgrade otzone", have, len(ms))
	}
	for _, m := range ms[have:] {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name) VALUES (?, ?)`, m.version, m.name); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion is the number of the last applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// ShrinkMemory returns the page cache's memory (bounded by _cache_size,
// 32 MiB) to the allocator: for a process that is done writing and goes
// on to work of its own, like ingest's summary.
func (s *Store) ShrinkMemory(ctx context.Context) error {
	s.rawMu.Lock()
	if s.raw != nil {
		s.raw.releaseMemory()
	}
	s.rawMu.Unlock()
	_, err := s.db.ExecContext(ctx, "PRAGMA shrink_memory")
	return err
}
