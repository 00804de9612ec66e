package diff

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/internal/testutil"
	"github.com/otzone/otzone/rules"
)

// TestDiffOpensReadOnly: diff never migrates or writes the databases it
// compares. An "old" database (its last migration row removed, as a
// database written by an earlier otzone would lack it) is refused with a
// message naming the schema, and its bytes are unchanged; an up-to-date
// database is read without a byte changing.
func TestDiffOpensReadOnly(t *testing.T) {
	snap7 := testutil.SharedPcap(t, "s7comm/snap7.pcap")
	dir := t.TempDir()
	oldDB, newDB := filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")
	ingestDB(t, oldDB, snap7)
	ingestDB(t, newDB, snap7)
	db, err := sql.Open("sqlite3", "file:"+oldDB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	oldBytes, _ := os.ReadFile(oldDB)
	newBytes, _ := os.ReadFile(newDB)

	ios, _, _, _ := cmdutil.Test()
	opts := &Options{IO: ios, Old: oldDB, New: newDB, Format: "json", Rules: func() (*rules.RuleSet, error) { return rules.Load("") },
		Load: loadDB(&cmdutil.Factory{IOStreams: ios})}
	err = runDiff(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "older") || !strings.Contains(err.Error(), "old.db") {
		t.Errorf("old schema: err %v, want a refusal naming old.db and the older schema", err)
	}
	if b, _ := os.ReadFile(oldDB); !bytes.Equal(b, oldBytes) {
		t.Errorf("diff modified the old database")
	}
	var v int
	db, _ = sql.Open("sqlite3", "file:"+oldDB+"?mode=ro")
	db.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	db.Close()
	if v != 0 {
		t.Errorf("diff migrated the old database to version %d", v)
	}

	// Two current databases: the diff runs and neither file changes.
	ios, _, out, _ := cmdutil.Test()
	opts.IO, opts.Old = ios, newDB
	if err := runDiff(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"otzone.diff/v1"`) {
		t.Errorf("diff output %.200s", out.String())
	}
	if b, _ := os.ReadFile(newDB); !bytes.Equal(b, newBytes) {
		t.Errorf("diff modified %s", newDB)
	}
}
