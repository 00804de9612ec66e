package inventory

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// WriteJSON writes the inventory as the otzone.inventory/v1 document
// (CONTRACT.md), indented. encoding/json escapes control characters, and
// its HTML escaping of <, > and & is kept so the document can be embedded
// in a web page safely.
func WriteJSON(w io.Writer, inv *Inventory) error {
	if inv.Schema == "" {
		inv.Schema = Schema
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

// CSVHeader are the columns of WriteCSV, one row per asset. Lists are
// joined with "; ".
var CSVHeader = []string{"id", "key", "macs", "ips", "hostnames", "via", "vendor", "model", "firmware", "serial",
	"device_type", "purdue_level", "services", "sites", "first_seen", "last_seen"}

// WriteCSV writes one row per asset. encoding/csv quotes commas, quotes and
// newlines; CSVCell defends every text cell against spreadsheet formula
// injection.
func WriteCSV(w io.Writer, inv *Inventory) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, a := range inv.Assets {
		purdue := ""
		if a.PurdueLevel != nil {
			purdue = strconv.Itoa(*a.PurdueLevel)
		}
		svcs := make([]string, 0, len(a.Services))
		for _, s := range a.Services {
			svcs = append(svcs, ServiceString(s))
		}
		row := []string{a.ID, a.Key, strings.Join(a.MACs, "; "), strings.Join(a.IPs, "; "), strings.Join(a.Hostnames, "; "),
			a.Via, a.Vendor, a.Model, a.Firmware, a.Serial, a.DeviceType, purdue, strings.Join(svcs, "; "),
			strings.Join(a.Sites, "; "), timeString(a.FirstSeen), timeString(a.LastSeen)}
		for i := range row {
			row[i] = CSVCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CommunicationsCSVHeader are the columns of WriteCommunicationsCSV, one
// row per communication. client/server are asset ids (or a server's
// "broadcast:ADDR"/"multicast:ADDR"); the *_ips and *_name columns repeat
// the asset's addresses and first hostname so a spreadsheet needs no join.
// operations lists "name(code) class xCOUNT", attributes "key=value", both
// joined with "; ".
var CommunicationsCSVHeader = []string{"client", "client_ips", "client_name", "server", "server_ips", "server_name",
	"protocol", "transport", "port", "packets", "bytes", "operations", "attributes", "first_seen", "last_seen", "source"}

// WriteCommunicationsCSV writes one row per communication with the same
// defences as WriteCSV (encoding/csv quoting, CSVCell on every cell).
func WriteCommunicationsCSV(w io.Writer, inv *Inventory) error {
	byID := make(map[string]*Asset, len(inv.Assets))
	for i := range inv.Assets {
		byID[inv.Assets[i].ID] = &inv.Assets[i]
	}
	side := func(id string) (ips, name string) {
		a := byID[id]
		if a == nil {
			return "", ""
		}
		if len(a.Hostnames) > 0 {
			name = a.Hostnames[0]
		}
		return strings.Join(a.IPs, "; "), name
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CommunicationsCSVHeader); err != nil {
		return err
	}
	for _, c := range inv.Communications {
		ops := make([]string, 0, len(c.Operations))
		for _, o := range c.Operations {
			ops = append(ops, fmt.Sprintf("%s(%d) %s x%d", o.Name, o.Code, o.Class, o.Count))
		}
		attrs := make([]string, 0, len(c.Attributes))
		for _, a := range c.Attributes {
			attrs = append(attrs, a.Key+"="+a.Value)
		}
		cips, cname := side(c.Client)
		sips, sname := side(c.Server)
		row := []string{c.Client, cips, cname, c.Server, sips, sname, c.Protocol, c.Transport, strconv.Itoa(c.Port),
			strconv.FormatUint(c.Packets, 10), strconv.FormatUint(c.Bytes, 10), strings.Join(ops, "; "),
			strings.Join(attrs, "; "), timeString(c.FirstSeen), timeString(c.LastSeen), c.Source}
		for i := range row {
			row[i] = CSVCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ServiceString is "modbus/tcp/502 server".
func ServiceString(s Service) string {
	if s.Port == 0 {
		return fmt.Sprintf("%s/%s %s", s.Protocol, s.Transport, s.Role)
	}
	return fmt.Sprintf("%s/%s/%d %s", s.Protocol, s.Transport, s.Port, s.Role)
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// CSVCell defends a cell against formula injection (OWASP "CSV
// Injection"): a cell a spreadsheet would evaluate, one starting with
// = + - @ tab or carriage return, is prefixed with a single quote. Control
// characters other than tab and newline are replaced by spaces, and the
// invisible format characters that reorder or hide text (bidi overrides,
// zero-width) are dropped so that a cell shows what it holds.
func CSVCell(s string) string {
	if s == "" {
		return s
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return ' '
		case r == '\u2028' || r == '\u2029':
			return ' '
		case r > 0xff && unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s)
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
