package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// --db pointing at another application's SQLite file must not get otzone's
// tables added to it.
func TestOpenRefusesForeignSQLite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "places.sqlite")
	db, err := sql.Open("sqlite3", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(p)
	_, err = Open(context.Background(), p)
	if !errors.Is(err, ErrNotOtzone) {
		t.Fatalf("Open on a foreign SQLite file: err = %v, want ErrNotOtzone", err)
	}
	db, _ = sql.Open("sqlite3", "file:"+p+"?mode=ro")
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type='table'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("foreign file changed: %d tables (%v); size before %d", n, err, len(before))
	}
}

// A file name with URI metacharacters is a file name, not a query.
func TestOpenPathWithQueryCharacters(t *testing.T) {
	p := filepath.Join(t.TempDir(), "visit?mode=ro#1.db")
	s, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("database not created under its own name: %v", err)
	}
}
