// Package cmdutil is what every otzone command shares: the Factory handed to
// each NewCmdX, the streams, the error kinds that map to exit codes, the
// table printer and output escaping (GitHub CLI pkg/cmdutil).
package cmdutil

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/store"
)

// DefaultDB is the database used when neither --db nor $OTZONE_DB is set.
const DefaultDB = "otzone.db"

// Factory carries the dependencies of the commands. Commands that do not
// need the database never open it: Store is lazy.
type Factory struct {
	IOStreams *IOStreams
	// Logger writes diagnostics to stderr at --log-level.
	Logger *slog.Logger
	// Now is the clock (tests pin it).
	Now func() time.Time
	// DBPath is the --db flag (default $OTZONE_DB or otzone.db).
	DBPath string

	// Version and Commit are stamped by main (ldflags or build info).
	Version, Commit string

	storeOnce sync.Once
	store     *store.Store
	storeErr  error
	// Classify, when set (root.go wires the rules engine), sets each
	// asset's device_type, purdue_level and decisions after the merge.
	Classify func(context.Context, *inventory.Inventory) error

	// OpenStore opens the database; tests may replace it.
	OpenStore func(ctx context.Context, path string) (*store.Store, error)
}

// New returns a Factory on the process's streams.
func New(version, commit string) *Factory {
	ios := System()
	db := os.Getenv("OTZONE_DB")
	if db == "" {
		db = DefaultDB
	}
	return &Factory{
		IOStreams: ios,
		Logger:    slog.New(slog.NewTextHandler(ios.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:       time.Now,
		DBPath:    db,
		Version:   version,
		Commit:    commit,
		OpenStore: func(ctx context.Context, path string) (*store.Store, error) {
			return store.Open(ctx, path)
		},
	}
}

// Store opens the database on first use and returns the same handle after.
func (f *Factory) Store(ctx context.Context) (*store.Store, error) {
	f.storeOnce.Do(func() {
		f.store, f.storeErr = f.OpenStore(ctx, f.DBPath)
	})
	return f.store, f.storeErr
}

// Close closes the database if a command opened it.
func (f *Factory) Close() error {
	if f.store != nil {
		return f.store.Close()
	}
	return nil
}

// Inventory loads the merged inventory from the database and classifies
// it: what every command that shows or exports assets starts from.
func (f *Factory) Inventory(ctx context.Context) (*inventory.Inventory, error) {
	st, err := f.Store(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := st.Inventory(ctx, inventory.BuildOptions{Now: f.Now()})
	if err != nil {
		return nil, err
	}
	if f.Classify != nil {
		if err := f.Classify(ctx, inv); err != nil {
			return nil, fmt.Errorf("classify: %w", err)
		}
	}
	return inv, nil
}
