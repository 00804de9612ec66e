package root

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/internal/store"
)

// run executes otzone with argv and returns the exit code and streams, as
// main does (one place maps errors to exit codes).
func run(t *testing.T, argv ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		DBPath: filepath.Join(t.TempDir(), "t.db"), Version: "1.2.3", Commit: "abc123",
		OpenStore: func(ctx context.Context, p string) (*store.Store, error) { return store.Open(ctx, p) }}
	defer f.Close()
	cmd := NewCmdRoot(f)
	cmd.SetArgs(argv)
	err := cmd.ExecuteContext(context.Background())
	code := cmdutil.ExitCode(err, func(s string) { errOut.WriteString("otzone: " + s + "\n") })
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		code    int
		wantOut string
		wantErr string
	}{
		{[]string{"version"}, 0, "otzone 1.2.3\ncommit abc123\n", ""},
		{[]string{"nosuchcommand"}, 2, "", `unknown command "nosuchcommand"`},
		{[]string{"--nosuchflag"}, 2, "", "unknown flag: --nosuchflag"},
		{[]string{"assets", "--format", "xml"}, 2, "", `--format "xml"`},
		{[]string{"assets", "show"}, 2, "", "one asset id"},
		{[]string{"export"}, 2, "", "name a kind: assessment, diagram, inventory"},
		{[]string{"ingest"}, 2, "", "at least one capture"},
		{[]string{"--log-level", "loud", "version"}, 2, "", "--log-level"},
		{[]string{"ingest", "/nonexistent/file.pcap"}, 1, "1 file (1 failed)", "/nonexistent/file.pcap"},
		{[]string{"assets", "show", "10.9.9.9"}, 1, "", `no asset matches "10.9.9.9"`},
		{[]string{"assets", "--format", "json"}, 0, `"schema": "otzone.inventory/v1"`, ""},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			code, out, errOut := run(t, tc.argv...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if !strings.Contains(out, tc.wantOut) {
				t.Errorf("stdout %q lacks %q", out, tc.wantOut)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tc.wantErr)
			}
			if tc.code != 0 && strings.Count(errOut, "\n") > 2 {
				t.Errorf("errors are one line each: %q", errOut)
			}
		})
	}
}
