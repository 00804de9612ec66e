package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/otzone/otzone/discovery/modbus"
)

// terminalUnsafe returns a description of the first byte or rune in s that
// a terminal would interpret rather than show: a C0 control other than
// newline (and tab where allowTab: the column separator of piped tables),
// DEL, a C1 control, a bidi or other invisible format character, or
// invalid UTF-8.
func terminalUnsafe(s string, allowTab bool) string {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return fmt.Sprintf("invalid UTF-8 byte %#x at offset %d: %q", s[i], i, around(s, i))
		case r == '\n', r == '\t' && allowTab:
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			return fmt.Sprintf("control character %U at offset %d: %q", r, i, around(s, i))
		case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0xfeff, r == 0x2028, r == 0x2029:
			return fmt.Sprintf("format character %U at offset %d: %q", r, i, around(s, i))
		}
		i += n
	}
	return ""
}

func around(s string, i int) string {
	return s[max(0, i-40):min(len(s), i+40)]
}

// hostileDB writes the hostile capture into dir and ingests it into
// dir/h.db.
func hostileDB(t *testing.T) (dir, db string) {
	t.Helper()
	dir = t.TempDir()
	writeHostileCapture(t, filepath.Join(dir, "hostile.pcapng"))
	db = filepath.Join(dir, "h.db")
	r := run(t, dir, "--db", db, "ingest", "hostile.pcapng")
	if r.code != 0 {
		t.Fatalf("%s: exit %d, stderr %q", r, r.code, r.stderr)
	}
	if s := terminalUnsafe(r.stdout+r.stderr, false); s != "" {
		t.Errorf("%s: %s", r, s)
	}
	return dir, db
}

type invDoc struct {
	Assets []struct {
		ID         string   `json:"id"`
		Hostnames  []string `json:"hostnames"`
		Vendor     string   `json:"vendor"`
		Attributes []struct {
			Key, Value string
		} `json:"attributes"`
	} `json:"assets"`
}

func inventoryJSON(t *testing.T, dir, db string) invDoc {
	t.Helper()
	r := run(t, dir, "--db", db, "export", "inventory", "--format", "json")
	if r.code != 0 {
		t.Fatalf("%s: exit %d: %s", r, r.code, r.stderr)
	}
	var doc invDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	return doc
}

// TestHostileCaptureReachesTheInventory guards the test itself: the
// hostile strings must arrive in the inventory, or every other check here
// passes vacuously.
func TestHostileCaptureReachesTheInventory(t *testing.T) {
	dir, db := hostileDB(t)
	doc := inventoryJSON(t, dir, db)
	want := map[string]bool{"dhcp.hostname": false, "lldp.system_name": false, "dns.name": false, "http.server": false,
		"profinet.station_name": false, "modbus.vendor_name": false, "enip.product_name": false,
		"ssh.banner": false, "ftp.banner": false, "tls.sni": false, "cdp.device_id": false, "cdp.platform": false,
		"bacnet.object_name": false, "bacnet.model_name": false}
	for _, a := range doc.Assets {
		for _, at := range a.Attributes {
			if _, ok := want[at.Key]; ok && strings.Contains(strings.ToLower(at.Value), "pwned") {
				want[at.Key] = true
			}
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("no %s fact carries the hostile string", k)
		}
	}
}

// TestHostileTerminalOutput runs every command that prints for a person,
// piped and on a pseudo-terminal, and checks that nothing a terminal
// interprets comes out and that no fake rows appear.
func TestHostileTerminalOutput(t *testing.T) {
	dir, db := hostileDB(t)
	doc := inventoryJSON(t, dir, db)
	empty := filepath.Join(dir, "empty.db")
	if r := run(t, dir, "--db", empty, "ingest", "--quiet", filepath.Join(dir, "nothing")); r.code == 0 {
		// Only to create an empty database; a missing path must fail.
		t.Errorf("%s: exit 0 for a missing path", r)
	}
	cmds := [][]string{
		{"assets"},
		{"zones"},
		{"zones", "--format", "table"},
		{"assess"},
		{"assess", "--format", "table"},
		{"rules", "list"},
		{"diff", db, db},
		{"diff", empty, db},
		{"diff", db, empty},
		{"ingest", "hostile.pcapng"},
		{"version"},
	}
	for _, a := range doc.Assets {
		cmds = append(cmds, []string{"assets", "show", a.ID})
	}
	for _, args := range cmds {
		full := append([]string{"--db", db}, args...)
		if args[0] == "diff" && !strings.HasSuffix(args[1], "h.db") && !strings.HasSuffix(args[1], "empty.db") {
			continue
		}
		r := run(t, dir, full...)
		if r.code != 0 && !(args[0] == "diff" && strings.HasSuffix(args[1], "empty.db")) {
			t.Errorf("%s: exit %d: %s", r, r.code, r.stderr)
		}
		if s := terminalUnsafe(r.stdout, true); s != "" {
			t.Errorf("%s (piped) stdout: %s", r, s)
		}
		if s := terminalUnsafe(r.stderr, false); s != "" {
			t.Errorf("%s stderr: %s", r, s)
		}
		tr := runTTY(t, dir, full...)
		if s := terminalUnsafe(tr.stdout, true); s != "" {
			t.Errorf("%s (terminal): %s", tr, s)
		}
	}

	// Piped `assets` is one line per asset: newlines in names cannot
	// forge rows.
	r := run(t, dir, "--db", db, "assets")
	if got := strings.Count(r.stdout, "\n"); got != len(doc.Assets) {
		t.Errorf("%s: %d lines for %d assets:\n%s", r, got, len(doc.Assets), r.stdout)
	}
	for i, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "|") {
			t.Errorf("%s: line %d is a forged row: %q", r, i+1, l)
		}
	}
}

// TestHostileCSV checks that no CSV cell starts with a character a
// spreadsheet evaluates.
func TestHostileCSV(t *testing.T) {
	dir, db := hostileDB(t)
	for _, args := range [][]string{
		{"assets", "--format", "csv"},
		{"export", "inventory", "--format", "csv"},
		{"export", "inventory", "--format", "csv", "--table", "communications"},
	} {
		r := run(t, dir, append([]string{"--db", db}, args...)...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", r, r.code, r.stderr)
		}
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		formulas := 0
		for i, row := range rows {
			for j, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: row %d column %d starts with %q: %q", r, i+1, j+1, cell[0], cell)
				}
				if strings.HasPrefix(cell, "'"+formula) {
					formulas++
				}
				if s := terminalUnsafe(strings.NewReplacer("\n", "", "\t", "").Replace(cell), false); strings.HasPrefix(s, "control") || strings.HasPrefix(s, "format") {
					t.Errorf("%s: row %d column %d: %s", r, i+1, j+1, s)
				}
			}
		}
		if formulas == 0 && !strings.Contains(strings.Join(args, " "), "communications") {
			t.Errorf("%s: no defused formula cell: the hostile names did not reach the CSV", r)
		}
	}
}

// TestHostileFileFormats exports every document format and checks the
// escaping each format needs.
func TestHostileFileFormats(t *testing.T) {
	dir, db := hostileDB(t)
	raw := regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f]")
	for _, args := range [][]string{
		{"export", "inventory", "--format", "json"},
		{"export", "zones", "--format", "json"},
		{"export", "assessment", "--format", "json"},
		{"export", "report", "--format", "json"},
		{"zones", "--format", "json"},
		{"assess", "--format", "json"},
		{"assets", "--format", "json"},
		{"export", "report", "--format", "html"},
		{"assess", "--format", "html"},
		{"export", "report", "--format", "md"},
		{"assess", "--format", "md"},
		{"export", "diagram", "--format", "svg"},
		{"export", "diagram", "--format", "drawio"},
		{"export", "diagram", "--format", "dot"},
		{"export", "diagram", "--format", "mermaid"},
		{"zones", "init"},
	} {
		r := run(t, dir, append([]string{"--db", db}, args...)...)
		if strings.Contains(r.stderr, "goroutine ") || strings.Count(r.stderr, "\n") > 1 {
			t.Errorf("%s: a stack trace or several error lines: %.500s", r, r.stderr)
		}
		if r.code != 0 {
			if args[0] == "zones" && args[1] == "init" && strings.Contains(r.stderr, "internal error") {
				knownIssue(t, "%s: exit %d: %s", r, r.code, r.stderr)
				continue
			}
			t.Errorf("%s: exit %d: %s", r, r.code, r.stderr)
			continue
		}
		out := r.stdout
		if loc := raw.FindStringIndex(out); loc != nil {
			t.Errorf("%s: raw control character %q at offset %d: %q", r, out[loc[0]], loc[0], around(out, loc[0]))
		}
		if s := terminalUnsafe(out, true); strings.HasPrefix(s, "format") && args[len(args)-1] != "json" {
			// JSON keeps U+202E as data (encoding/json); documents a
			// person reads must not reorder text.
			switch f := args[len(args)-1]; f {
			case "html":
				knownIssue(t, "%s: %s (inventory.CleanValue and the PROFINET/OPC UA/DNP3 sanitizers keep bidi overrides; html/template does not neutralise them)", r, s)
			case "init":
				knownIssue(t, "%s: %s (zones init writes asset names into YAML comments unescaped)", r, s)
			default:
				t.Errorf("%s: %s", r, s)
			}
		}
		switch f := args[len(args)-1]; f {
		case "json":
			if !json.Valid([]byte(out)) {
				t.Errorf("%s: invalid JSON", r)
			}
			if !strings.Contains(out, "PWNED") && !strings.Contains(out, "pwned") && args[0] != "export" {
				break
			}
		case "html", "svg", "drawio":
			if strings.Contains(out, "<script>alert") {
				t.Errorf("%s: unescaped <script> from the wire", r)
			}
		case "dot":
			for i := 0; ; {
				j := strings.Index(out[i:], `"]; evil [`)
				if j < 0 {
					break
				}
				if i+j == 0 || out[i+j-1] != '\\' {
					t.Errorf("%s: DOT quote breakout: %q", r, around(out, i+j))
				}
				i += j + 1
			}
		case "mermaid":
			if strings.Contains(out, `"]; evil [`) {
				t.Errorf("%s: Mermaid label breakout: %q", r, around(out, strings.Index(out, `"]; evil [`)))
			}
		case "md":
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "| 10.6.6.6") {
					t.Errorf("%s: forged Markdown table row: %q", r, l)
				}
				if strings.Contains(l, "<script>") {
					t.Errorf("%s: raw <script> in Markdown: %q", r, l)
				}
			}
		case "init":
			var v any
			if err := yaml.Unmarshal([]byte(out), &v); err != nil {
				if strings.Contains(err.Error(), "UTF-8") {
					knownIssue(t, "%s: the designed-model YAML does not parse: %v (zones init cuts comments at byte 120, inside a rune)", r, err)
				} else {
					t.Errorf("%s: the designed-model YAML does not parse: %v", r, err)
				}
			}
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "| 10.6.6.6") {
					t.Errorf("%s: forged YAML line: %q", r, l)
				}
			}
		}
	}
}

// TestHostileFileNames ingests files whose names carry escapes: the
// summary and error lines must show them escaped, on one line each.
func TestHostileFileNames(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "evil\x1b[2J\r\u202egnp.pcap")
	if err := os.WriteFile(bad, []byte("this is not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "ok\x1b[31m.pcapng")
	writeHostileCapture(t, good)
	r := run(t, dir, "--db", filepath.Join(dir, "x.db"), "ingest", good, bad)
	if r.code != 1 {
		t.Errorf("%s: exit %d, want 1", r, r.code)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if s := terminalUnsafe(out, false); s != "" {
			t.Errorf("%s: %s", r, s)
		}
	}
	if !strings.Contains(r.stderr, `evil\x1b[2J\r\u202egnp.pcap`) {
		t.Errorf("%s: stderr does not name the bad file (escaped): %q", r, r.stderr)
	}
	tr := runTTY(t, dir, "--db", filepath.Join(dir, "y.db"), "ingest", good, bad)
	if !strings.Contains(tr.stdout, "\r\x1b[K") {
		t.Logf("%s: no progress bar on the terminal", tr)
	}
	// The progress bar's own line redraws are the program's, not the wire's.
	if s := terminalUnsafe(strings.ReplaceAll(tr.stdout, "\r\x1b[K", ""), false); s != "" {
		t.Errorf("%s (terminal): %s", tr, s)
	}
}

// fakeModbus serves Read Device Identification with hostile objects on
// 127.0.0.1 and returns its address.
func fakeModbus(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback listener: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				for {
					hdr := make([]byte, 7)
					if _, err := io.ReadFull(c, hdr); err != nil {
						return
					}
					n := int(binary.BigEndian.Uint16(hdr[4:]))
					if n < 1 || n > 254 {
						return
					}
					pdu := make([]byte, n-1)
					if _, err := io.ReadFull(c, pdu); err != nil {
						return
					}
					txid, unit := binary.BigEndian.Uint16(hdr), hdr[6]
					var resp []byte
					if len(pdu) >= 3 && pdu[0] == 0x2b && pdu[1] == 0x0e {
						code := modbus.ReadDevIDCode(pdu[2])
						resp = modbus.AppendDeviceIDResponse(nil, modbus.DeviceIDResponse{Code: code, Conformity: 0x81,
							Objects: []modbus.DeviceObject{
								{ID: modbus.ObjVendorName, Value: []byte(formula + hostile)},
								{ID: modbus.ObjProductCode, Value: []byte("-\x1b[2J\r\u202e")},
								{ID: modbus.ObjMajorMinorRevision, Value: []byte("@\x1b]0;t\x07\n")},
							}})
					} else {
						resp = []byte{pdu[0] | 0x80, 0x01}
					}
					if _, err := c.Write(modbus.AppendADU(nil, txid, unit, resp)); err != nil {
						return
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

// TestHostileProbe probes a fake Modbus device whose identity objects are
// hostile: the probe's report and the inventory it feeds stay escaped.
func TestHostileProbe(t *testing.T) {
	addr := fakeModbus(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	args := []string{"--db", db, "probe", "modbus", "--unit-ids", "1", "--rate", "100", "--per-host-rate", "20", "--timeout", "2s", addr}
	r := run(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("%s: exit %d: %s", r, r.code, r.stderr)
	}
	if !strings.Contains(strings.ToLower(r.stdout+r.stderr), "pwned") {
		t.Errorf("%s: the hostile vendor name is not in the report:\n%s%s", r, r.stdout, r.stderr)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if s := terminalUnsafe(out, true); s != "" {
			t.Errorf("%s: %s", r, s)
		}
	}
	tr := runTTY(t, dir, args...)
	if s := terminalUnsafe(strings.ReplaceAll(tr.stdout, "\r\x1b[K", ""), true); s != "" {
		t.Errorf("%s (terminal): %s", tr, s)
	}
	for _, a := range [][]string{{"assets"}, {"assets", "--format", "csv"}} {
		r := run(t, dir, append([]string{"--db", db}, a...)...)
		if s := terminalUnsafe(r.stdout, true); s != "" {
			t.Errorf("%s: %s", r, s)
		}
		if bytes.Contains([]byte(r.stdout), []byte("\n"+formula)) || bytes.Contains([]byte(r.stdout), []byte(","+formula)) {
			t.Errorf("%s: formula cell not defused", r)
		}
	}
}
