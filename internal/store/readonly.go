package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// ErrSchemaMismatch is returned by OpenReadOnly when the database's schema
// is not the one this otzone writes: reading it would need a migration, and
// a read-only open never migrates.
var ErrSchemaMismatch = errors.New("database schema differs from this otzone's")

// OpenReadOnly opens an existing database for reading only (SQLite
// mode=ro and query_only): it never creates the file, never runs a
// migration and never writes, so comparing an old engagement's database
// (otzone diff) leaves it as it was. A database whose schema is older or
// newer than this otzone's is refused with ErrSchemaMismatch and a message
// saying what to do; a file that is not an otzone database gives
// ErrNotOtzone.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_query_only", "true")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "1")
	// The path is a URI path: escape what a URI would read as a query or
	// fragment (file names with ? or #).
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite3", uri+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	// The raw connection is read-only too: mode=ro in its URI and
	// SQLITE_OPEN_READONLY.
	s := &Store{db: db, path: path, uri: uri + "?mode=ro", readonly: true}
	if err := s.checkSchema(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return s, nil
}

// checkSchema compares the database's applied migrations with this
// otzone's, without changing anything.
func (s *Store) checkSchema(ctx context.Context) error {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil {
		if strings.Contains(err.Error(), "file is not a database") {
			return ErrNotOtzone
		}
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w (no schema_migrations table)", ErrNotOtzone)
	}
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	switch {
	case have > len(ms):
		return fmt.Errorf("%w: schema version %d is newer than this otzone's (%d): use a newer otzone", ErrSchemaMismatch, have, len(ms))
	case have < len(ms):
		return fmt.Errorf("%w: schema version %d is older than this otzone's (%d), and a read-only open does not migrate: "+
			"upgrade a copy first (otzone --db COPY assets runs the migrations), then use the copy", ErrSchemaMismatch, have, len(ms))
	}
	return nil
}
