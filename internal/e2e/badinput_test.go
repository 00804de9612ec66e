package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// toPcap rewrites a pcapng file as classic pcap (microseconds).
func toPcap(t *testing.T, ng []byte) []byte {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(ng), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := pcapgo.NewWriter(&out)
	if err := w.WriteFileHeader(262144, r.LinkType()); err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ci.Timestamp, CaptureLength: len(data), Length: ci.Length}, data); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var summaryPackets = regexp.MustCompile(`(\d+) packets`)

// checkErrLines: every stderr line is one line starting "otzone: " and
// naming the file; no Go panic or stack trace.
func checkErrLines(t *testing.T, r result, file string) {
	t.Helper()
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("%s: panic:\n%s", r, r.stderr)
	}
	for _, l := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "otzone: ") {
			t.Errorf("%s: stderr line without the otzone: prefix: %q", r, l)
		}
		if file != "" && !strings.Contains(l, file) {
			t.Errorf("%s: stderr line does not name %s: %q", r, file, l)
		}
	}
}

// TestTruncatedCaptures cuts pcap, pcapng and gzip'd pcap at many offsets:
// each cut is exit 1 with one error line naming the file and the offset
// or frame, never a panic, and the frames before the cut are ingested.
func TestTruncatedCaptures(t *testing.T) {
	dir := t.TempDir()
	ngPath := filepath.Join(dir, "h.pcapng")
	frames := writeHostileCapture(t, ngPath)
	ng, err := os.ReadFile(ngPath)
	if err != nil {
		t.Fatal(err)
	}
	pc := toPcap(t, ng)
	kinds := []struct {
		name       string
		data       []byte
		boundaries map[int]bool // cuts that leave a shorter but complete capture
	}{{"cut.pcapng", ng, ngBoundaries(ng)}, {"cut.pcap", pc, pcapBoundaries(pc)}, {"cut.pcap.gz", gz(t, pc), nil}}
	for _, k := range kinds {
		var cuts []int
		for _, c := range []int{1, 3, 4, 7, 8, 12, 23, 24, 25, 28, 31, 32, 40, 41, 60, 100, 200} {
			if c < len(k.data) {
				cuts = append(cuts, c)
			}
		}
		for c := 300; c < len(k.data); c += len(k.data)/23 + 1 {
			cuts = append(cuts, c)
		}
		cuts = append(cuts, len(k.data)-1)
		for _, c := range cuts {
			if k.boundaries[c] {
				continue
			}
			p := filepath.Join(dir, k.name)
			if err := os.WriteFile(p, k.data[:c], 0o644); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "cut.db")
			os.Remove(db)
			r := run(t, dir, "--db", db, "ingest", k.name)
			if r.code != 1 {
				t.Errorf("%s cut at %d: exit %d, want 1; stderr %q", k.name, c, r.code, r.stderr)
			}
			checkErrLines(t, r, k.name)
			if n := strings.Count(r.stderr, "\n"); n != 1 {
				t.Errorf("%s cut at %d: %d stderr lines, want 1: %q", k.name, c, n, r.stderr)
			}
			if !regexp.MustCompile(`offset \d+|frame \d+|empty file|not a pcap|header|magic|gzip: unexpected EOF`).MatchString(r.stderr) {
				t.Errorf("%s cut at %d: error names no position: %q", k.name, c, r.stderr)
			}
			m := summaryPackets.FindStringSubmatch(r.stdout)
			if m == nil {
				t.Errorf("%s cut at %d: no summary on stdout: %q", k.name, c, r.stdout)
				continue
			}
			if n, _ := strconv.Atoi(m[1]); n > frames {
				t.Errorf("%s cut at %d: %d packets from a %d-frame capture", k.name, c, n, frames)
			}
			// The frames before the cut are kept: near the end, all but
			// the last frame (the 100 KB HTTP reply makes the last ones
			// long, so only check the final cut).
			if c == len(k.data)-1 && k.name != "cut.pcap.gz" {
				if n, _ := strconv.Atoi(m[1]); n != frames-1 {
					t.Errorf("%s cut one byte short: %d packets ingested, want %d", k.name, n, frames-1)
				}
			}
		}
	}
}

// pcapBoundaries are the offsets at which a classic pcap file ends
// cleanly: after the file header and after each record.
func pcapBoundaries(b []byte) map[int]bool {
	m := map[int]bool{24: true}
	for off := 24; off+16 <= len(b); {
		off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
		m[off] = true
	}
	return m
}

// ngBoundaries are the offsets between pcapng blocks (little-endian, as
// pcapgo writes on this machine and as the SHB byte-order magic says).
func ngBoundaries(b []byte) map[int]bool {
	m := map[int]bool{}
	for off := 0; off+12 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		if n < 12 {
			break
		}
		off += n
		m[off] = true
	}
	return m
}

// TestBadFiles: text, empty, unknown link type, a corrupt record length,
// a directory with good and bad files (the good ones are ingested, exit 1).
func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mix", "good.pcapng")
	if err := os.MkdirAll(filepath.Join(dir, "mix", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	frames := writeHostileCapture(t, good)
	hdr := func(link uint32) []byte {
		b := make([]byte, 24)
		binary.LittleEndian.PutUint32(b, 0xa1b2c3d4)
		binary.LittleEndian.PutUint16(b[4:], 2)
		binary.LittleEndian.PutUint16(b[6:], 4)
		binary.LittleEndian.PutUint32(b[16:], 65535)
		binary.LittleEndian.PutUint32(b[20:], link)
		return b
	}
	rec := func(n uint32, data []byte) []byte {
		b := make([]byte, 16)
		binary.LittleEndian.PutUint32(b, 1)
		binary.LittleEndian.PutUint32(b[8:], n)
		binary.LittleEndian.PutUint32(b[12:], n)
		return append(b, data...)
	}
	files := map[string][]byte{
		"text.pcap":           []byte("hello, this is not a capture\n"),
		"empty.pcap":          nil,
		"linktype147.pcap":    append(hdr(147), rec(10, []byte("0123456789"))...),
		"hugerecord.pcap":     append(append(hdr(1), rec(10, []byte("0123456789"))...), rec(0x7fffffff, nil)...),
		"mix/sub/notes.txt":   []byte("a directory may hold other files: skipped\n"),
		"mix/sub/cut.pcap":    append(hdr(1), rec(100, []byte("only part of the record"))...),
		"mix/sub/bad.pcap.gz": []byte("\x1f\x8b\x08\x00garbage after the gzip magic"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"text.pcap", "empty.pcap", "linktype147.pcap", "hugerecord.pcap"} {
		r := run(t, dir, "--db", filepath.Join(dir, "b.db"), "ingest", name)
		if r.code != 1 {
			t.Errorf("%s: exit %d, want 1", r, r.code)
		}
		checkErrLines(t, r, name)
		if n := strings.Count(r.stderr, "\n"); n != 1 {
			t.Errorf("%s: %d stderr lines, want 1: %q", r, n, r.stderr)
		}
	}

	// A directory: the good capture is ingested, each bad file reported.
	db := filepath.Join(dir, "mix.db")
	r := run(t, dir, "--db", db, "ingest", "mix")
	if r.code != 1 {
		t.Errorf("%s: exit %d, want 1", r, r.code)
	}
	checkErrLines(t, r, "")
	for _, bad := range []string{"mix/sub/cut.pcap", "mix/sub/bad.pcap.gz"} {
		if !strings.Contains(r.stderr, bad) {
			t.Errorf("%s: %s not reported: %q", r, bad, r.stderr)
		}
	}
	if m := summaryPackets.FindStringSubmatch(r.stdout); m == nil || m[1] != strconv.Itoa(frames) {
		t.Errorf("%s: summary %q, want %d packets", r, r.stdout, frames)
	}
	// Nothing already ingested is lost: a later bad file leaves the
	// inventory as it was.
	before := run(t, dir, "--db", db, "assets").stdout
	r = run(t, dir, "--db", db, "ingest", "text.pcap", "empty.pcap", "mix/sub/cut.pcap")
	if r.code != 1 {
		t.Errorf("%s: exit %d, want 1", r, r.code)
	}
	after := run(t, dir, "--db", db, "assets").stdout
	if before != after || !strings.Contains(after, "PWNED") {
		t.Errorf("the inventory changed after ingesting only bad files:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestUsageAndFailureErrors: usage errors exit 2, failures exit 1, each
// with one stderr line that says what is wrong (and where).
func TestUsageAndFailureErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "u.db")
	writeHostileCapture(t, filepath.Join(dir, "h.pcapng"))
	if r := run(t, dir, "--db", db, "ingest", "h.pcapng"); r.code != 0 {
		t.Fatalf("%s: exit %d: %s", r, r.code, r.stderr)
	}
	must := func(name string, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	notDB := must("notdb.db", "this is not SQLite\n")
	badModel := must("model.yaml", "zones:\n  - id: a\n    kind: control\n    bogus_key: 1\n")
	badRule := must("rule.yaml", "- id: x\n  when: [\n")
	for _, c := range []struct {
		args []string
		code int
		want string // a regexp the one stderr line must match
	}{
		{[]string{"--bogus"}, 2, `unknown flag`},
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{[]string{"assets", "--format", "xml"}, 2, `--format "xml"`},
		{[]string{"zones", "--format", "csv"}, 2, `--format "csv"`},
		{[]string{"assess", "--format", "pdf"}, 2, `--format "pdf"`},
		{[]string{"export", "inventory", "--format", "svg"}, 2, `--format "svg"`},
		{[]string{"export", "diagram", "--format", "png"}, 2, `--format "png"`},
		{[]string{"assess", "--target-sl", "7"}, 2, `target-sl`},
		{[]string{"ingest"}, 2, `ingest`},
		{[]string{"assets", "show"}, 2, `show`},
		{[]string{"assets", "show", "nope"}, 1, `"nope"`},
		{[]string{"diff", "missing-old.db", "missing-new.db"}, 1, `missing-old\.db`},
		{[]string{"diff", "u.db"}, 2, `diff`},
		{[]string{"probe", "modbus", "10.0.0.0/24"}, 2, `allow-range`},
		{[]string{"--db", notDB, "assets"}, 1, `notdb\.db`},
		{[]string{"--db", notDB, "ingest", "h.pcapng"}, 1, `notdb\.db`},
		{[]string{"--db", dir, "assets"}, 1, regexp.QuoteMeta(filepath.Base(dir))},
		{[]string{"zones", "--model", badModel}, 1, `model\.yaml:\d+:\d+`},
		{[]string{"assess", "--model", badModel}, 1, `model\.yaml:\d+:\d+`},
		{[]string{"rules", "check", badRule}, 1, `rule\.yaml:\d+:\d+`},
		{[]string{"zones", "--model", "missing.yaml"}, 1, `missing\.yaml`},
	} {
		args := c.args
		if args[0] != "--db" {
			args = append([]string{"--db", db}, args...)
		}
		r := run(t, dir, args...)
		if r.code != c.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", r, r.code, c.code, r.stderr)
		}
		if n := strings.Count(r.stderr, "\n"); n != 1 {
			t.Errorf("%s: %d stderr lines, want 1: %q", r, n, r.stderr)
		}
		if !regexp.MustCompile(c.want).MatchString(r.stderr) {
			t.Errorf("%s: stderr %q does not match %q", r, r.stderr, c.want)
		}
		if strings.Contains(r.stderr, "panic") {
			t.Errorf("%s: panic: %s", r, r.stderr)
		}
	}
}

// TestReadOnlyDatabase runs as an unprivileged user (root only, via
// setpriv) against a database in a directory it cannot write.
func TestReadOnlyDatabase(t *testing.T) {
	bin := otzone(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the binary as another user")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("no setpriv")
	}
	dir, err := os.MkdirTemp("", "otzone-ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "ro"), 0o755); os.RemoveAll(dir) })
	for _, p := range []string{dir, filepath.Dir(bin)} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeHostileCapture(t, filepath.Join(dir, "h.pcapng"))
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	// A database ingested by root, then the directory made read-only.
	if r := run(t, dir, "--db", filepath.Join(ro, "x.db"), "ingest", "h.pcapng"); r.code != 0 {
		t.Fatalf("%s: %d %s", r, r.code, r.stderr)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o1777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(tmp, 0o1777)
	nobody := func(args ...string) result {
		cmd := exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "OTZONE_DB=", "TMPDIR="+tmp)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return result{args: args, stdout: out.String(), stderr: errb.String(), code: exitCode(t, err)}
	}
	for _, args := range [][]string{
		{"--db", filepath.Join(ro, "new.db"), "ingest", "h.pcapng"},
		{"--db", filepath.Join(ro, "x.db"), "ingest", "h.pcapng"},
	} {
		r := nobody(args...)
		if r.code != 1 {
			t.Errorf("%s: exit %d, want 1 (stderr %q)", r, r.code, r.stderr)
		}
		if n := strings.Count(r.stderr, "\n"); n != 1 || !strings.Contains(r.stderr, "ro/") {
			t.Errorf("%s: want one stderr line naming the database: %q", r, r.stderr)
		}
	}
}
