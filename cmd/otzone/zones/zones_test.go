package zones

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

// testInventory: a Modbus PLC on VLAN 10 polled by an HMI on VLAN 20.
func testInventory(context.Context) (*inventory.Inventory, error) {
	v := func(s string) []inventory.Attribute {
		return []inventory.Attribute{{Key: "net.vlan", Value: s, Source: "pcap:t.pcap#frame=1"}}
	}
	return &inventory.Inventory{
		Assets: []inventory.Asset{
			{ID: "plc", Key: "mac:00:80:f4:10:00:11", IPs: []string{"10.10.10.11"}, MACs: []string{"00:80:f4:10:00:11"}, Attributes: v("10"),
				Services: []inventory.Service{{Protocol: "modbus", Transport: "tcp", Port: 502, Role: "server", Source: "pcap:t.pcap#frame=3"}}},
			{ID: "hmi", Key: "mac:00:0c:29:20:00:21", IPs: []string{"10.10.20.21"}, MACs: []string{"00:0c:29:20:00:21"}, Hostnames: []string{"hmi-1"}, Attributes: v("20")},
		},
		Communications: []inventory.Communication{{Client: "hmi", Server: "plc", Protocol: "modbus", Transport: "tcp", Port: 502, Packets: 8,
			Source: "pcap:t.pcap#frame=3", Operations: []inventory.Operation{{Name: "write_single_register", Class: "write", Count: 2, Source: "pcap:t.pcap#frame=5"}}}},
	}, nil
}

func testOptions(ios *cmdutil.IOStreams) *Options {
	return &Options{IO: ios, Inventory: testInventory, Rules: func() (*rules.RuleSet, error) { return rules.Load("") }, Format: "table"}
}

func TestNewCmdList(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		wantErr string
		check   func(*Options) bool
	}{
		{nil, "", func(o *Options) bool { return o.Format == "table" && o.Model == "" }},
		{[]string{"--model", "m.yaml", "--format", "json", "--target-sl", "3"}, "", func(o *Options) bool {
			return o.Model == "m.yaml" && o.Format == "json" && o.TargetSL == "3"
		}},
		{[]string{"--format", "csv"}, `--format "csv"`, nil},
		{[]string{"--target-sl", "5"}, `--target-sl "5": want 0 to 4`, nil},
		{[]string{"x"}, "unexpected argument", nil},
	} {
		ios, _, _, _ := cmdutil.Test()
		var got *Options
		cmd := NewCmdList(&cmdutil.Factory{IOStreams: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
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
		if err != nil || !tc.check(got) {
			t.Errorf("%v: %v %+v", tc.argv, err, got)
		}
	}
}

func TestListRun(t *testing.T) {
	ios, _, out, _ := cmdutil.Test()
	if err := runList(context.Background(), testOptions(ios)); err != nil {
		t.Fatal(err)
	}
	want := "zone\tsupervisory-vlan20\tsupervisory\t2\t1\t2221222\tno\thmi-1\n" +
		"zone\tcontrol-vlan10\tcontrol\t1\t1\t2221222\tno\t10.10.10.11\n" +
		"conduit\tcontrol-vlan10--supervisory-vlan20\t1\tno\t2/0/0\tno\tsupervisory-vlan20\tmodbus\n"
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}

	ios, _, out, _ = cmdutil.Test()
	o := testOptions(ios)
	o.Format, o.TargetSL = "json", "3"
	if err := runList(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var m zones.Model
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if m.Schema != "otzone.zones/v1" || len(m.Zones) != 2 || m.Zones[0].SLTarget != zones.Uniform(zones.SL3) || len(m.Conduits) != 1 || m.Conduits[0].Operations["write"] != 2 {
		t.Errorf("json model: %+v", m)
	}
}

func TestModelRunAndInit(t *testing.T) {
	dir := t.TempDir()
	// zones init, then check the traffic against what it wrote: no violations.
	ios, _, _, _ := cmdutil.Test()
	path := filepath.Join(dir, "zones.yaml")
	if err := runInit(context.Background(), &InitOptions{Options: *testOptions(ios), Output: path}); err != nil {
		t.Fatal(err)
	}
	ios, _, out, _ := cmdutil.Test()
	o := testOptions(ios)
	o.Model = path
	if err := runList(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "violation\t") || !strings.Contains(out.String(), "\tyes\thmi-1") {
		t.Errorf("round trip:\n%s", out.String())
	}
	// A model without the conduit: one undeclared_conduit with its evidence.
	strict := filepath.Join(dir, "strict.yaml")
	os.WriteFile(strict, []byte("zones:\n  - id: ctl\n    kind: control\n    members: {vlans: [10]}\n  - id: sup\n    kind: supervisory\n    members: {vlans: [20]}\n"), 0o644)
	ios, _, out, _ = cmdutil.Test()
	o = testOptions(ios)
	o.Model = strict
	if err := runList(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "violation\tundeclared_conduit\t1\tpcap:t.pcap#frame=3\tzones \"ctl\" and \"sup\" communicate but no conduit joins them (1 communication)\n") {
		t.Errorf("violation:\n%s", out.String())
	}
	// A bad model file is an error naming file:line:col.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("zones:\n  - id: a\n    kind: nope\n    members: {vlans: [1]}\n"), 0o644)
	o.Model = bad
	if err := runList(context.Background(), o); err == nil || !strings.Contains(err.Error(), bad+`:3:11: zone "a": unknown kind "nope"`) {
		t.Errorf("bad model: %v", err)
	}
}
