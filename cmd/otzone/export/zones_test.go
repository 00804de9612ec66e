package export

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

func TestNewCmdZones(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		wantErr string
	}{
		{nil, ""},
		{[]string{"--format", "yaml", "-o", "z.yaml", "--model", "m.yaml"}, ""},
		{[]string{"--format", "svg"}, `--format "svg"`},
		{[]string{"--target-sl", "x"}, "--target-sl"},
	} {
		ios, _, _, _ := cmdutil.Test()
		var got *ZonesOptions
		cmd := NewCmdZones(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *ZonesOptions) error { got = o; return nil })
		cmd.SetArgs(tc.argv)
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: %v, want %q", tc.argv, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got == nil {
			t.Errorf("%v: %v", tc.argv, err)
		}
	}
}

func TestZonesRun(t *testing.T) {
	inv := func(context.Context) (*inventory.Inventory, error) {
		return &inventory.Inventory{Assets: []inventory.Asset{
			{ID: "p", IPs: []string{"10.0.0.1"}, Services: []inventory.Service{{Protocol: "dnp3", Role: "outstation", Port: 20000}}},
			{ID: "m", IPs: []string{"10.0.1.1"}},
		}, Communications: []inventory.Communication{{Client: "m", Server: "p", Protocol: "dnp3", Transport: "tcp", Port: 20000, Source: "pcap:x#frame=1"}}}, nil
	}
	dir := t.TempDir()
	for _, format := range []string{"json", "yaml"} {
		ios, _, _, _ := cmdutil.Test()
		path := filepath.Join(dir, "zones."+format)
		err := runZones(context.Background(), &ZonesOptions{IO: ios, Inventory: inv, Rules: func() (*rules.RuleSet, error) { return rules.Load("") }, Format: format, Output: path})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch format {
		case "json":
			if !strings.Contains(string(b), `"schema": "otzone.zones/v1"`) || !strings.Contains(string(b), `"id": "control-10.0.0.0-24--supervisory-10.0.1.0-24"`) {
				t.Errorf("json: %s", b)
			}
		case "yaml":
			m, err := zones.ParseModel(path, b)
			if err != nil || len(m.Zones) != 2 || len(m.Conduits) != 1 {
				t.Errorf("yaml does not read back: %v\n%s", err, b)
			}
		}
	}
}
