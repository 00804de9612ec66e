package rules_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/cmd/otzone/root"
	"github.com/otzone/otzone/internal/store"
	"github.com/otzone/otzone/internal/testutil"
)

// TestRulesFlagEveryNoun: --rules DIR works on every command that
// classifies (assets and export inventory were $OTZONE_RULES only): a user
// rule in DIR makes the Modbus master of modbus_example.pcap (192.168.1.6,
// an HMI by the built-in rules) a historian.
func TestRulesFlagEveryNoun(t *testing.T) {
	t.Setenv("OTZONE_RULES", "")
	pcap := testutil.SharedPcap(t, "modbus/modbus_example.pcap")
	dir := t.TempDir()
	rule := `id: test-historian-by-address
kind: classify
title: the test's historian
priority: 200
when: {network: {cidr: [192.168.1.6/32]}}
set: {device_type: historian, purdue_level: 3}
because: the test says so
`
	if err := os.WriteFile(filepath.Join(dir, "test-historian-by-address.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "t.db")
	run := func(argv ...string) string {
		t.Helper()
		ios, _, out, errOut := cmdutil.Test()
		f := &cmdutil.Factory{IOStreams: ios, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }, DBPath: db,
			OpenStore: func(ctx context.Context, p string) (*store.Store, error) { return store.Open(ctx, p) }}
		defer f.Close()
		cmd := root.NewCmdRoot(f)
		cmd.SetArgs(argv)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("otzone %s: %v\n%s", strings.Join(argv, " "), err, errOut.String())
		}
		return out.String()
	}
	run("ingest", "-q", pcap)
	typeOf := func(js string) string {
		t.Helper()
		var doc struct {
			Assets []struct {
				IPs        []string `json:"ips"`
				DeviceType string   `json:"device_type"`
			} `json:"assets"`
		}
		if err := json.Unmarshal([]byte(js), &doc); err != nil {
			// assets --format json is a bare list
			if err2 := json.Unmarshal([]byte(js), &doc.Assets); err2 != nil {
				t.Fatalf("%v / %v: %.300s", err, err2, js)
			}
		}
		for _, a := range doc.Assets {
			for _, ip := range a.IPs {
				if ip == "192.168.1.6" {
					return a.DeviceType
				}
			}
		}
		t.Fatalf("no asset 192.168.1.6 in %.300s", js)
		return ""
	}
	for _, argv := range [][]string{
		{"assets", "--format", "json", "--rules", dir},
		{"export", "inventory", "--format", "json", "--rules", dir},
	} {
		if got := typeOf(run(argv...)); got != "historian" {
			t.Errorf("otzone %s: 192.168.1.6 is %q, want historian (the user rule)", strings.Join(argv, " "), got)
		}
	}
}
