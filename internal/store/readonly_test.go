package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/otzone/otzone/discovery/inventory"
)

// fileBytes reads the database and its WAL/SHM companions: a read-only
// open must leave all of them as they were (or absent).
func fileBytes(t *testing.T, path string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(p)
		if err == nil {
			out[filepath.Base(p)] = b
		}
	}
	return out
}

func sameFiles(t *testing.T, before, after map[string][]byte) {
	t.Helper()
	for k, b := range before {
		if !bytes.Equal(b, after[k]) {
			t.Errorf("%s changed by a read-only open", k)
		}
	}
}

func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cur := filepath.Join(dir, "cur.db")
	s, err := Open(ctx, cur)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// An up-to-date database opens and reads; nothing is written.
	before := fileBytes(t, cur)
	if len(before["cur.db"]) == 0 {
		t.Fatal("no database file")
	}
	ro, err := OpenReadOnly(ctx, cur)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Inventory(ctx, inventory.BuildOptions{NoOUI: true}); err != nil {
		t.Errorf("read: %v", err)
	}
	if _, err := ro.db.ExecContext(ctx, `CREATE TABLE x (a INTEGER)`); err == nil {
		t.Errorf("a read-only store accepted a write")
	}
	ro.Close()
	sameFiles(t, before, fileBytes(t, cur))

	// An older schema (one migration short) is refused, not migrated.
	old := filepath.Join(dir, "old.db")
	s, err = Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite3", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before = fileBytes(t, old)
	_, err = OpenReadOnly(ctx, old)
	if !errors.Is(err, ErrSchemaMismatch) || !bytes.Contains([]byte(err.Error()), []byte("older")) {
		t.Errorf("old schema: err %v, want ErrSchemaMismatch (older)", err)
	}
	sameFiles(t, before, fileBytes(t, old))
	// Open (read-write) would have migrated it: the read-only path must not.
	db, _ = sql.Open("sqlite3", "file:"+old+"?mode=ro")
	var v int
	if err := db.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil || v != 0 {
		t.Errorf("old database migrated to version %d (%v)", v, err)
	}
	db.Close()

	// A newer schema is refused.
	newer := filepath.Join(dir, "newer.db")
	s, err = Open(ctx, newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO schema_migrations(version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := OpenReadOnly(ctx, newer); !errors.Is(err, ErrSchemaMismatch) || !bytes.Contains([]byte(err.Error()), []byte("newer")) {
		t.Errorf("newer schema: err %v, want ErrSchemaMismatch (newer)", err)
	}

	// Not SQLite, not otzone's, absent: errors, and nothing is created.
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 100), 0o644)
	if _, err := OpenReadOnly(ctx, junk); !errors.Is(err, ErrNotOtzone) {
		t.Errorf("junk: err %v, want ErrNotOtzone", err)
	}
	other := filepath.Join(dir, "other.db")
	db, _ = sql.Open("sqlite3", "file:"+other)
	db.Exec(`CREATE TABLE t (a)`)
	db.Close()
	if _, err := OpenReadOnly(ctx, other); !errors.Is(err, ErrNotOtzone) {
		t.Errorf("other SQLite: err %v, want ErrNotOtzone", err)
	}
	absent := filepath.Join(dir, "absent.db")
	if _, err := OpenReadOnly(ctx, absent); err == nil {
		t.Errorf("absent: no error")
	}
	if _, err := os.Stat(absent); err == nil {
		t.Errorf("absent: the read-only open created %s", absent)
	}
}
