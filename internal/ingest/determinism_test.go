package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/store"
	"github.com/otzone/otzone/internal/testutil"
)

// Build must give the same inventory for the same rows every time: the merge
// walks maps, and a tie decided by map order (two routers claiming one
// address, say) made the asset count of one database change between runs.
func TestBuildDeterministicOnSharedCaptures(t *testing.T) {
	dir := filepath.Join(testutil.SharedDir(t), "pcaps")
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Files(ctx, st, []string{dir}, Options{}); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var first []byte
	for i := 0; i < 8; i++ {
		inv := inventory.Build(rows, inventory.BuildOptions{Now: now})
		b, err := json.Marshal(inv)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
			if len(inv.Assets) < 100 {
				t.Fatalf("only %d assets from the shared captures", len(inv.Assets))
			}
			continue
		}
		if !bytes.Equal(first, b) {
			_ = os.WriteFile(filepath.Join(t.TempDir(), "a.json"), first, 0o644)
			t.Fatalf("build %d differs from build 0 on the same rows (%d vs %d bytes)", i, len(b), len(first))
		}
	}
}
