package ingest

import (
	"context"
	"os"
	"path/filepath"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/store"
)

// Inventory runs captures through the whole pipeline (engine, Builder,
// store, Build) in a temporary database and returns the merged inventory.
// It is for tests (conformance against the oracles, end-to-end checks). The
// inventory is returned whenever the database could be read, even when some
// file failed; err then joins the per-file errors (a truncated file's
// frames before the damage are in the inventory). OUI vendors are included.
func Inventory(ctx context.Context, paths []string, opt Options) (*inventory.Inventory, error) {
	dir, err := os.MkdirTemp("", "otzone-ingest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, filepath.Join(dir, "inventory.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	sum, runErr := Files(ctx, st, paths, opt)
	inv, err := st.Inventory(ctx, inventory.BuildOptions{})
	if err != nil {
		return nil, err
	}
	if runErr != nil {
		return inv, runErr
	}
	return inv, sum.Err()
}
