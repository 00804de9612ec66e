package export

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/inventory"
)

func TestNewCmdInventory(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		want    InventoryOptions
		wantErr string
	}{
		{argv: nil, want: InventoryOptions{Format: "json", Table: "assets"}},
		{argv: []string{"--format", "csv", "-o", "a.csv"}, want: InventoryOptions{Format: "csv", Table: "assets", Output: "a.csv"}},
		{argv: []string{"--format", "csv", "--table", "communications"}, want: InventoryOptions{Format: "csv", Table: "communications"}},
		{argv: []string{"--format", "svg"}, wantErr: `--format "svg": want json, csv`},
		{argv: []string{"--format", "csv", "--table", "zones"}, wantErr: `--table "zones": want assets, communications`},
		{argv: []string{"--table", "communications"}, wantErr: `--table applies to --format csv`},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			var got *InventoryOptions
			cmd := NewCmdInventory(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *InventoryOptions) error { got = o; return nil })
			cmd.SetArgs(tc.argv)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != tc.want.Format || got.Output != tc.want.Output || got.Table != tc.want.Table {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestInventoryRun(t *testing.T) {
	inv := &inventory.Inventory{Schema: inventory.Schema, Sources: []inventory.Source{}, Communications: []inventory.Communication{},
		Assets: []inventory.Asset{{ID: "abc", Key: "ip:10.0.0.5", IPs: []string{"10.0.0.5"}, MACs: []string{}, Hostnames: []string{"=HYPERLINK(\"x\")"},
			DeviceType: "unknown", Services: []inventory.Service{}, Attributes: []inventory.Attribute{}}}}
	get := func(context.Context) (*inventory.Inventory, error) { return inv, nil }
	ios, _, out, _ := cmdutil.Test()
	if err := runInventory(context.Background(), &InventoryOptions{IO: ios, Inventory: get, Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema string `json:"schema"`
		Assets []struct {
			ID        string   `json:"id"`
			Hostnames []string `json:"hostnames"`
		} `json:"assets"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "otzone.inventory/v1" || len(doc.Assets) != 1 || doc.Assets[0].Hostnames[0] != "=HYPERLINK(\"x\")" {
		t.Errorf("doc %+v", doc)
	}

	path := filepath.Join(t.TempDir(), "assets.csv")
	if err := runInventory(context.Background(), &InventoryOptions{IO: ios, Inventory: get, Format: "csv", Output: path}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"'=HYPERLINK(""x"")"`) {
		t.Errorf("csv:\n%s", b)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".assets.csv.tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// --table communications: one row per communication, same defence.
	inv.Communications = []inventory.Communication{{Client: "abc", Server: "broadcast:10.0.0.255", Protocol: "bacnet",
		Transport: "udp", Port: 47808, Packets: 1, Bytes: 60, Operations: []inventory.Operation{}}}
	ios, _, out, _ = cmdutil.Test()
	if err := runInventory(context.Background(), &InventoryOptions{IO: ios, Inventory: get, Format: "csv", Table: "communications"}); err != nil {
		t.Fatal(err)
	}
	want := strings.Join(inventory.CommunicationsCSVHeader, ",") + "\n" +
		`abc,10.0.0.5,"'=HYPERLINK(""x"")",broadcast:10.0.0.255,,,bacnet,udp,47808,1,60,,,,,` + "\n"
	if out.String() != want {
		t.Errorf("communications csv:\n%s\nwant:\n%s", out.String(), want)
	}
}
