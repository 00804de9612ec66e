package diff

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/store"
	"github.com/otzone/otzone/internal/testutil"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"

	_ "github.com/otzone/otzone/discovery/all"
)

func TestNewCmdDiff(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		wantErr string
	}{
		{[]string{"a.db", "b.db"}, ""},
		{[]string{"a.db"}, "give two databases"},
		{[]string{"a.db", "b.db", "c.db"}, "give two databases"},
		{[]string{"a.db", "b.db", "--format", "xml"}, `--format "xml"`},
	} {
		ios, _, _, _ := cmdutil.Test()
		var got *Options
		cmd := NewCmdDiff(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(tc.argv)
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err %v, want %q", tc.argv, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.Old != "a.db" || got.New != "b.db" || got.Format != "table" {
			t.Errorf("%v: %v %+v", tc.argv, err, got)
		}
	}
}

// ingestDB builds a database from real captures.
func ingestDB(t *testing.T, path string, captures ...string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := ingest.Files(ctx, st, captures, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestDiffTwoDatabases: OLD holds snap7.pcap, NEW holds snap7.pcap and
// dnp3_example.pcap. The DNP3 master (10.10.20.5) and outstation
// (10.10.20.8) are new, with the select/operate controls the oracle lists
// (134 select, 133 operate); nothing vanished.
func TestDiffTwoDatabases(t *testing.T) {
	snap7 := testutil.SharedPcap(t, "s7comm/snap7.pcap")
	dnp3 := testutil.SharedPcap(t, "dnp3/dnp3_example.pcap")
	dir := t.TempDir()
	oldDB, newDB := filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")
	ingestDB(t, oldDB, snap7)
	ingestDB(t, newDB, snap7, dnp3)
	ios, _, out, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, OpenStore: store.Open}
	opts := &Options{IO: ios, Old: oldDB, New: newDB, Format: "json", Rules: func() (*rules.RuleSet, error) { return rules.Load("") }, Load: loadDB(f)}
	if err := runDiff(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var d zones.Diff
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if d.Schema != "otzone.diff/v1" || len(d.NewAssets) != 2 || len(d.VanishedAssets) != 0 || len(d.NewCommunications) != 1 || len(d.GoneCommunications) != 0 {
		t.Fatalf("diff: %s", out.String())
	}
	ops := map[string]uint64{}
	for _, o := range d.NewOperations {
		ops[o.Name] = o.Count
		if o.Protocol != "dnp3" || !strings.HasPrefix(o.Evidence, "pcap:dnp3_example.pcap#frame=") {
			t.Errorf("operation %+v", o)
		}
	}
	if ops["select"] != 134 || ops["operate"] != 133 {
		t.Errorf("new operations %v, want select 134 and operate 133 (oracle)", ops)
	}
	if len(d.NewConduits) != 1 || d.NewConduits[0].Protocols[0] != "dnp3" {
		t.Errorf("new conduits %+v", d.NewConduits)
	}
	// The reverse direction: everything DNP3 vanished.
	ios, _, out, _ = cmdutil.Test()
	opts.IO, opts.Old, opts.New, opts.Format = ios, newDB, oldDB, "table"
	if err := runDiff(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "vanished asset\t10.10.20.8\t10.10.20.8 00:30:a7:1c:08:a3 rtu") || !strings.Contains(out.String(), "unused conduit\t") {
		t.Errorf("reverse table:\n%s", out.String())
	}
	// A missing database is an error, and is not created.
	opts.Old = filepath.Join(dir, "missing.db")
	if err := runDiff(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "missing.db") {
		t.Errorf("missing db: %v", err)
	}
	if _, err := os.Stat(opts.Old); err == nil {
		t.Error("diff created the missing database")
	}

}
