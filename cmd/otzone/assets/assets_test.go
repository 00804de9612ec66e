package assets

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/inventory"
)

var t0 = time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)

// fixture is a hand-made inventory: a PLC with competing vendor
// candidates and a hostile hostname, and an HMI reading from it.
func fixture() *inventory.Inventory {
	return &inventory.Inventory{Schema: inventory.Schema, GeneratedAt: t0,
		Assets: []inventory.Asset{
			{ID: "062f9c3986a9", Key: "mac:00:80:f4:10:00:11", MACs: []string{"00:80:f4:10:00:11"}, IPs: []string{"10.10.10.11"},
				Hostnames: []string{"plc\x1b[2J-1"}, Vendor: "Schneider Electric", Model: "M340", Firmware: "v3.1",
				DeviceType: "unknown", FirstSeen: t0, LastSeen: t0.Add(time.Minute),
				Services: []inventory.Service{{Protocol: "modbus", Transport: "tcp", Port: 502, Role: "server", Source: "pcap:p.pcapng#frame=5", FirstSeen: t0}},
				Attributes: []inventory.Attribute{
					{Key: "modbus.vendor_name", Value: "Schneider Electric", Source: "pcap:p.pcapng#frame=9", FirstSeen: t0, Confidence: 0.8, Count: 2},
					{Key: "oui.vendor", Value: "TELEMECANIQUE ELECTRIQUE", Source: "oui:00:80:f4", FirstSeen: t0, Confidence: 0.3},
				},
				Fields: map[string][]inventory.FieldValue{"vendor": {
					{Value: "Schneider Electric", From: "modbus.vendor_name", Source: "pcap:p.pcapng#frame=9", Confidence: 0.8, Chosen: true},
					{Value: "TELEMECANIQUE ELECTRIQUE", From: "oui.vendor", Source: "oui:00:80:f4", Confidence: 0.3},
				}},
			},
			{ID: "0122693a1664", Key: "mac:00:0c:29:20:00:21", MACs: []string{"00:0c:29:20:00:21"}, IPs: []string{"10.10.20.21"},
				Hostnames: []string{}, DeviceType: "unknown",
				Services: []inventory.Service{{Protocol: "modbus", Transport: "tcp", Port: 502, Role: "client"}}},
		},
		Communications: []inventory.Communication{{Client: "0122693a1664", Server: "062f9c3986a9", Protocol: "modbus", Transport: "tcp",
			Port: 502, Packets: 10, Bytes: 900, FirstSeen: t0, LastSeen: t0,
			Operations: []inventory.Operation{{Code: 3, Name: "read_holding_registers", Class: "read", Count: 5, Source: "pcap:p.pcapng#frame=6"}}}},
	}
}

func fixed(context.Context) (*inventory.Inventory, error) { return fixture(), nil }

func TestNewCmdList(t *testing.T) {
	for _, tc := range []struct {
		argv    []string
		want    ListOptions
		wantErr string
	}{
		{argv: nil, want: ListOptions{Format: "table"}},
		{argv: []string{"--format", "json"}, want: ListOptions{Format: "json"}},
		{argv: []string{"--format", "csv"}, want: ListOptions{Format: "csv"}},
		{argv: []string{"--format", "xml"}, wantErr: `--format "xml": want table, json, csv`},
		{argv: []string{"extra"}, wantErr: `unexpected argument "extra"`},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			f := &cmdutil.Factory{IOStreams: ios}
			var got *ListOptions
			cmd := NewCmdList(f, func(_ context.Context, o *ListOptions) error { got = o; return nil })
			cmd.SetArgs(tc.argv)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if cmdutil.ExitCode(err, func(string) {}) != cmdutil.ExitUsage {
					t.Errorf("%v must be a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != tc.want.Format {
				t.Errorf("format %q", got.Format)
			}
		})
	}
}

func TestListRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tty    bool
		width  int
		format string
		want   string
	}{
		{"piped", false, 0, "table", "062f9c3986a9\t10.10.10.11\t00:80:f4:10:00:11\tplc\\x1b[2J-1\tSchneider Electric\tM340\tv3.1\tunknown\tmodbus/502\n" +
			"0122693a1664\t10.10.20.21\t00:0c:29:20:00:21\t\t\t\t\tunknown\t> modbus\n"},
		{"narrow tty", true, 80, "table", "ID            IP           MAC                NAME        VENDOR      MODEL  FIRMWARE  TYPE     SERVICES\n" +
			"062f9c3986a9  10.10.10.11  00:80:f4:10:00:11  plc\\x1b[2…  Schneider…  M340   v3.1      unknown  modbus/502\n" +
			"0122693a1664  10.10.20.21  00:0c:29:20:00:21                                           unknown  > modbus\n"},
		{"tty", true, 200, "table", "ID            IP           MAC                NAME          VENDOR              MODEL  FIRMWARE  TYPE     SERVICES\n" +
			"062f9c3986a9  10.10.10.11  00:80:f4:10:00:11  plc\\x1b[2J-1  Schneider Electric  M340   v3.1      unknown  modbus/502\n" +
			"0122693a1664  10.10.20.21  00:0c:29:20:00:21                                                     unknown  > modbus\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, out, _ := cmdutil.Test()
			ios.SetStdoutTTY(tc.tty)
			ios.SetTerminalWidth(tc.width)
			if err := runList(context.Background(), &ListOptions{IO: ios, Inventory: fixed, Format: tc.format}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestListRunJSONAndCSV(t *testing.T) {
	ios, _, out, _ := cmdutil.Test()
	if err := runList(context.Background(), &ListOptions{IO: ios, Inventory: fixed, Format: "json"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"schema": "otzone.inventory/v1"`) || strings.Contains(out.String(), "\x1b") {
		t.Errorf("json:\n%s", out)
	}
	out.Reset()
	if err := runList(context.Background(), &ListOptions{IO: ios, Inventory: fixed, Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "id,key,macs,ips") {
		t.Errorf("csv:\n%s", out)
	}
}

func TestShowRun(t *testing.T) {
	ios, _, out, _ := cmdutil.Test()
	err := runShow(context.Background(), &ShowOptions{IO: ios, Inventory: fixed, Query: "10.10.10.11", Format: "text"})
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"asset 062f9c3986a9  (mac:00:80:f4:10:00:11)",
		"hostnames:    plc\\x1b[2J-1",
		"* Schneider Electric             from modbus.vendor_name, pcap:p.pcapng#frame=9, confidence 0.80",
		"  TELEMECANIQUE ELECTRIQUE       from oui.vendor, oui:00:80:f4, confidence 0.30",
		"modbus/tcp/502 server        source pcap:p.pcapng#frame=5",
		"modbus.vendor_name = Schneider Electric\n      source pcap:p.pcapng#frame=9, confidence 0.80, first seen 2026-01-15T08:00:00Z, seen 2 times",
		"<- 0122693a1664 (10.10.20.21) modbus/tcp/502  10 packets, 900 bytes",
		"op 3 read_holding_registers (read) x5, first pcap:p.pcapng#frame=6",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "\x1b") {
		t.Error("raw escape on the terminal")
	}

	for q, wantErr := range map[string]string{
		"10.99.99.99":       `no asset matches "10.99.99.99"`,
		"0":                 `no asset matches "0"`, // prefixes need 4 characters
		"0122":              "",                     // unique prefix
		"00-0c-29-20-00-21": "",
		"PLC\x1b[2J-1":      "", // hostnames match case-insensitively
	} {
		out.Reset()
		err := runShow(context.Background(), &ShowOptions{IO: ios, Inventory: fixed, Query: q, Format: "json"})
		if wantErr == "" && err != nil {
			t.Errorf("%q: %v", q, err)
		}
		if wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("%q: err %v, want %q", q, err, wantErr)
		}
	}
	// Two assets whose ids start with "01" and "06": "0" alone is too short,
	// and a shared prefix would list both.
	inv := fixture()
	inv.Assets[1].ID = "062f9c39aaaa"
	err = runShow(context.Background(), &ShowOptions{IO: ios, Inventory: func(context.Context) (*inventory.Inventory, error) { return inv, nil },
		Query: "062f9c39", Format: "text"})
	if err == nil || !strings.Contains(err.Error(), "matches 2 assets") {
		t.Errorf("ambiguous prefix: %v", err)
	}
}
