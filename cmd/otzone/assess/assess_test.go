package assess

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
)

func TestNewCmdAssess(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		want    Options
		wantErr string
	}{
		{argv: nil, want: Options{Format: "table", Detail: "zones"}},
		{argv: []string{"--format", "html", "-o", "r.html", "--target-sl", "3", "--model", "z.yaml", "--detail", "assets"},
			want: Options{Format: "html", Output: "r.html", TargetSL: "3", Model: "z.yaml", Detail: "assets"}},
		{argv: []string{"--format", "pdf"}, wantErr: `--format "pdf": want table, json, md, html`},
		{argv: []string{"--target-sl", "5"}, wantErr: `--target-sl "5": want 0 to 4`},
		{argv: []string{"--detail", "ports"}, wantErr: `--detail "ports"`},
		{argv: []string{"extra"}, wantErr: "extra"},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			var got *Options
			cmd := NewCmdAssess(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tc.argv)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != tc.want.Format || got.Output != tc.want.Output || got.TargetSL != tc.want.TargetSL || got.Model != tc.want.Model || got.Detail != tc.want.Detail {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func testInventory() *inventory.Inventory {
	one, two := 1, 2
	return &inventory.Inventory{Schema: inventory.Schema,
		Assets: []inventory.Asset{
			{ID: "hmi", IPs: []string{"10.0.2.10"}, Hostnames: []string{"hmi\x1b[31m"}, DeviceType: "historian", PurdueLevel: &two},
			{ID: "plc", IPs: []string{"10.0.1.10"}, DeviceType: "plc", PurdueLevel: &one,
				Services: []inventory.Service{{Protocol: "modbus", Transport: "tcp", Port: 502, Role: "server"}}},
		},
		Communications: []inventory.Communication{{Client: "hmi", Server: "plc", Protocol: "modbus", Transport: "tcp", Port: 502, Packets: 6,
			Source:     "pcap:t.pcap#frame=1",
			Operations: []inventory.Operation{{Code: 6, Name: "write_single_register", Class: "write", Count: 2, Source: "pcap:t.pcap#frame=3"}}}},
	}
}

func TestAssessRun(t *testing.T) {
	get := func(context.Context) (*inventory.Inventory, error) { return testInventory(), nil }
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	load := func() (*rules.RuleSet, error) { return rules.Load("") }
	// Piped table: tab-separated rows tagged zone / finding, escapes applied.
	ios, _, out, _ := cmdutil.Test()
	if err := runAssess(context.Background(), &Options{IO: ios, Inventory: get, Rules: load, Now: now, Format: "table", Detail: "zones"}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "finding\thigh\tconduit-cleartext-industrial@control-10.0.1.0-24--supervisory-10.0.2.0-24") || !strings.Contains(s, "zone\t") || strings.Contains(s, "\x1b") {
		t.Errorf("table:\n%s", s)
	}
	// JSON to a file.
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	ios, _, _, _ = cmdutil.Test()
	if err := runAssess(context.Background(), &Options{IO: ios, Inventory: get, Rules: load, Now: now, Format: "json", Output: path, Detail: "zones"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema   string `json:"schema"`
		Findings []struct {
			ID string `json:"id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Schema != "otzone.assessment/v1" || len(doc.Findings) == 0 {
		t.Errorf("json: %v %s", err, b[:200])
	}
	// HTML and Markdown render.
	for _, f := range []string{"html", "md"} {
		ios, _, out, _ := cmdutil.Test()
		if err := runAssess(context.Background(), &Options{IO: ios, Inventory: get, Rules: load, Now: now, Format: f, Detail: "assets"}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "conduit-cleartext-industrial@control-10.0.1.0-24--supervisory-10.0.2.0-24") {
			t.Errorf("%s lacks the finding", f)
		}
	}
}
