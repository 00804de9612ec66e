package inventory

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func hostileInventory() *Inventory {
	lvl := 1
	return &Inventory{Schema: Schema, GeneratedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Sources: []Source{},
		Assets: []Asset{{
			ID: "abc", Key: "ip:10.0.0.5", MACs: []string{}, IPs: []string{"10.0.0.5"},
			Hostnames:  []string{"=cmd|' /C calc'!A0", "<script>alert(1)</script>"},
			Vendor:     "line1\nline2, \"quoted\"",
			Model:      "\x1b[31mred\x1b[0m",
			Firmware:   "@SUM(1+1)",
			Serial:     "-1+2",
			DeviceType: "plc", PurdueLevel: &lvl,
			Services:   []Service{{Protocol: "modbus", Transport: "tcp", Port: 502, Role: "server"}},
			Attributes: []Attribute{},
		}},
		Communications: []Communication{},
	}
}

func TestWriteCSVHostile(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, hostileInventory()); err != nil {
		t.Fatal(err)
	}
	// Read back with a CSV parser: quoting must keep one record per asset.
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("want header + 1 row, got %d: %q", len(recs), recs)
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	for col, want := range map[string]string{
		"hostnames":    "'=cmd|' /C calc'!A0; <script>alert(1)</script>",
		"vendor":       "line1\nline2, \"quoted\"",
		"model":        " [31mred [0m",
		"firmware":     "'@SUM(1+1)",
		"serial":       "'-1+2",
		"purdue_level": "1",
		"services":     "modbus/tcp/502 server",
	} {
		if row[col] != want {
			t.Errorf("%s = %q, want %q", col, row[col], want)
		}
	}
	for col, v := range row {
		if strings.ContainsAny(v[:min(1, len(v))], "=+-@") {
			t.Errorf("%s starts with a formula character: %q", col, v)
		}
	}
}

func TestWriteJSONContract(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, hostileInventory()); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, bad := range []string{"\x1b", "<script>"} {
		if strings.Contains(s, bad) {
			t.Errorf("JSON carries %q raw", bad)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["schema"] != "otzone.inventory/v1" {
		t.Errorf("schema %v", doc["schema"])
	}
	for _, k := range []string{"generated_at", "sources", "assets", "communications"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("missing top-level key %q", k)
		}
	}
	a := doc["assets"].([]any)[0].(map[string]any)
	// CONTRACT.md asset keys.
	for _, k := range []string{"id", "macs", "ips", "hostnames", "vendor", "model", "firmware", "serial", "device_type",
		"purdue_level", "services", "attributes", "first_seen", "last_seen"} {
		if _, ok := a[k]; !ok {
			t.Errorf("asset lacks %q", k)
		}
	}
	if a["model"] != "\x1b[31mred\x1b[0m" {
		t.Errorf("JSON must round-trip the value, escaped on the wire: %q", a["model"])
	}
}

func TestWriteCommunicationsCSV(t *testing.T) {
	inv := hostileInventory()
	inv.Assets = append(inv.Assets, Asset{ID: "def", IPs: []string{"10.0.0.6", "10.0.0.7"}, Hostnames: []string{"hmi-1"}})
	first := time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)
	inv.Communications = []Communication{
		{Client: "def", Server: "abc", Protocol: "modbus", Transport: "tcp", Port: 502, Packets: 12, Bytes: 960,
			FirstSeen: first, LastSeen: first.Add(time.Minute), Source: "pcap:plant.pcapng#frame=38",
			Operations: []Operation{{Code: 3, Name: "read_holding_registers", Class: "read", Count: 10},
				{Code: 90, Name: "=HYPERLINK(\"http://x\")", Class: "other", Count: 2}},
			Attributes: []Attribute{{Key: "encrypted", Value: "false"}}},
		{Client: "def", Server: "broadcast:10.0.0.255", Protocol: "bacnet", Transport: "udp", Port: 47808, Packets: 1, Bytes: 60},
	}
	var buf bytes.Buffer
	if err := WriteCommunicationsCSV(&buf, inv); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("want header + 2 rows, got %q", recs)
	}
	rows := make([]map[string]string, 0, 2)
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	for col, want := range map[string]string{
		"client": "def", "client_ips": "10.0.0.6; 10.0.0.7", "client_name": "hmi-1",
		"server": "abc", "server_ips": "10.0.0.5", "server_name": "'=cmd|' /C calc'!A0",
		"protocol": "modbus", "transport": "tcp", "port": "502", "packets": "12", "bytes": "960",
		"operations": "read_holding_registers(3) read x10; =HYPERLINK(\"http://x\")(90) other x2",
		"attributes": "encrypted=false", "first_seen": "2026-01-15T08:00:00Z", "last_seen": "2026-01-15T08:01:00Z",
		"source": "pcap:plant.pcapng#frame=38",
	} {
		if rows[0][col] != want {
			t.Errorf("%s = %q, want %q", col, rows[0][col], want)
		}
	}
	if rows[1]["server"] != "broadcast:10.0.0.255" || rows[1]["server_ips"] != "" || rows[1]["operations"] != "" {
		t.Errorf("broadcast row %q", rows[1])
	}
	// A hostile operation name that opens the cell is defused too.
	inv.Communications[0].Operations = inv.Communications[0].Operations[1:]
	buf.Reset()
	if err := WriteCommunicationsCSV(&buf, inv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"'=HYPERLINK(""http://x"")(90) other x2"`) {
		t.Errorf("formula not defused:\n%s", buf.String())
	}
}
