package capture

// Tests with real interfaces: a network namespace of our own with a veth
// pair, tcpreplay writing a capture into one end and `otzone capture`
// (this test binary in helper mode, run inside the namespace with
// `ip netns exec`) reading the other. Nothing leaves the namespace: it has
// no route, no address and IPv6 is disabled in it. They need root, ip
// (iproute2) and tcpreplay, and skip with a message otherwise.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/store"
	"github.com/otzone/otzone/internal/testutil"
)

const (
	helperEnv  = "OTZONE_CAPTURE_HELPER"
	argsEnv    = "OTZONE_CAPTURE_ARGS"
	replayPort = "otzr0" // tcpreplay writes here
	capPort    = "otzc0" // otzone captures here
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// helperMain is `otzone capture` with main's signal handling: the first
// SIGINT/SIGTERM cancels, the second exits at once.
func helperMain() int {
	args := strings.Split(os.Getenv(argsEnv), "\x1f")
	f := cmdutil.New("test", "")
	f.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		cancel()
		<-sig
		fmt.Fprintln(os.Stderr, "otzone: interrupted twice, exiting without committing")
		os.Exit(cmdutil.ExitError)
	}()
	cmd := NewCmdCapture(f, nil)
	cmd.SetArgs(args)
	cmd.SetFlagErrorFunc(cmdutil.FlagErrorFunc)
	err := cmd.ExecuteContext(ctx)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return cmdutil.ExitCode(err, func(msg string) { fmt.Fprintln(os.Stderr, "otzone: "+msg) })
}

func needRealInterfaces(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("not root: the veth/netns capture tests need root (ip netns, AF_PACKET)")
	}
	for _, tool := range []string{"ip", "tcpreplay"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: the veth/netns capture tests need it", tool)
		}
	}
}

// newNetns makes a namespace with a veth pair (replayPort, capPort), both
// up, IPv6 off, no addresses, and removes it when the test ends.
func newNetns(t *testing.T) string {
	t.Helper()
	needRealInterfaces(t)
	return testutil.VethNamespace(t, "otzt", replayPort, capPort, "tcpreplay")
}

func txPackets(t *testing.T, ns, dev string) uint64 {
	t.Helper()
	out := testutil.Run(t, "ip", "netns", "exec", ns, "cat", "/sys/class/net/"+dev+"/statistics/tx_packets")
	n, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type captureProc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
	db     string
	done   chan error
}

// startCapture runs `otzone capture ARGS` in ns on capPort and waits until
// its socket is open (the source row exists).
func startCapture(t *testing.T, ns, db string, args ...string) *captureProc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &captureProc{db: db, done: make(chan error, 1)}
	p.cmd = exec.Command("ip", "netns", "exec", ns, self, "-test.run=^$")
	all := append([]string{"-i", capPort}, args...)
	p.cmd.Env = append(os.Environ(), helperEnv+"=1", argsEnv+"="+strings.Join(all, "\x1f"), "OTZONE_DB="+db)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			t.Fatalf("capture exited before it started: %v\nstdout: %s\nstderr: %s", err, &p.stdout, &p.stderr)
		default:
		}
		if n := sourceRows(t, db); n > 0 {
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("capture did not start within 20 s; stderr: %s", &p.stderr)
	return nil
}

func sourceRows(t *testing.T, db string) int {
	if _, err := os.Stat(db); err != nil {
		return 0
	}
	d, err := sql.Open("sqlite3", "file:"+db+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return 0
	}
	defer d.Close()
	var n int
	if err := d.QueryRow(`SELECT count(*) FROM sources`).Scan(&n); err != nil {
		return 0
	}
	return n
}

// stop sends SIGINT and waits for the exit status.
func (p *captureProc) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	return p.wait(t)
}

func (p *captureProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("capture did not exit; stderr: %s", &p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

// replay writes file into replayPort at pps packets per second and checks
// tcpreplay sent every frame.
func replay(t *testing.T, ns, file string, rate ...string) {
	t.Helper()
	if len(rate) == 0 {
		rate = []string{"--pps", "2000"}
	}
	args := append([]string{"netns", "exec", ns, "tcpreplay", "-i", replayPort}, rate...)
	out := testutil.Run(t, "ip", append(args, file)...)
	if !strings.Contains(out, "Failed packets:            0") {
		t.Fatalf("tcpreplay did not send every frame:\n%s", out)
	}
}

func scrub(t testing.TB, inv *inventory.Inventory) any {
	t.Helper()
	b, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k := range x {
				switch {
				case k == "generated_at", k == "sources", k == "source", k == "evidence",
					strings.HasSuffix(k, "first_seen"), strings.HasSuffix(k, "last_seen"):
					delete(x, k)
				default:
					x[k] = walk(x[k])
				}
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	return walk(v)
}

func openInventory(t *testing.T, db string) (*inventory.Inventory, []store.Recorded) {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inv, err := st.Inventory(context.Background(), inventory.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := st.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return inv, srcs
}

func liveFiles(t *testing.T) []string {
	files := []string{filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")}
	if dir := testutil.SharedDir(t); dir != "" {
		for _, rel := range []string{"enip/enip_cip_example.pcap", "s7comm/s7ident.pcap", "dnp3/dnp3_example.pcap"} {
			if p := filepath.Join(dir, "pcaps", rel); fileExists(p) {
				files = append(files, p)
			}
		}
	}
	return files
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestLiveEqualsIngest replays captures over the veth: the database the
// live capture builds equals `otzone ingest` of the same file (assets,
// services, attributes, communications; evidence names and times
// scrubbed), and the capturing interface transmitted nothing.
func TestLiveEqualsIngest(t *testing.T) {
	for _, file := range liveFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ns := newNetns(t)
			frames := testutil.ReadFrames(t, file)
			want, err := ingest.Inventory(context.Background(), []string{asReplayed(t, file, frames)}, ingest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(t.TempDir(), "live.db")
			tx0 := txPackets(t, ns, capPort)
			p := startCapture(t, ns, db, "--max-packets", strconv.Itoa(len(frames)), "--flush", "500ms")
			replay(t, ns, file)
			// --max-packets ends it once every frame arrived.
			done := make(chan int, 1)
			go func() { done <- p.wait(t) }()
			var code int
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				code = p.stop(t)
				t.Fatalf("capture did not see all %d frames; stdout: %s", len(frames), &p.stdout)
			}
			if code != 0 {
				t.Fatalf("exit %d; stderr: %s", code, &p.stderr)
			}
			if tx := txPackets(t, ns, capPort) - tx0; tx != 0 {
				t.Errorf("the capturing interface transmitted %d packets", tx)
			}
			got, srcs := openInventory(t, db)
			if len(want.Assets) == 0 {
				t.Fatal("offline ingest found no asset")
			}
			if d := cmp.Diff(scrub(t, want), scrub(t, got)); d != "" {
				t.Errorf("live capture differs from the offline ingest (-ingest +live):\n%s", d)
			}
			if len(srcs) != 1 || srcs[0].Source.Kind != "live" || srcs[0].Source.Name != capPort || !srcs[0].Complete ||
				srcs[0].Source.Packets != uint64(len(frames)) || srcs[0].Source.Drops == nil {
				t.Fatalf("source row: %+v", srcs)
			}
			if cs := srcs[0].Source.Drops; cs.KernelPackets < uint64(len(frames)) || cs.KernelDrops != 0 {
				t.Errorf("capture stats %+v for %d frames replayed at 2000/s", *cs, len(frames))
			}
			if !strings.Contains(p.stdout.String(), fmt.Sprintf("captured %d packets", len(frames))) {
				t.Errorf("summary: %s", &p.stdout)
			}
		})
	}
}

// asReplayed returns file, or when some frames were cut by the capture's
// snap length (a frame.len beyond frame.cap_len, as a missing FCS makes
// it), a copy whose frames have the length tcpreplay actually sends: the
// captured bytes. The wire length is otherwise not what was on the veth.
func asReplayed(t *testing.T, file string, frames []testutil.Frame) string {
	cut := false
	for _, f := range frames {
		if f.CI.Length != len(f.Data) {
			cut = true
		}
	}
	if !cut {
		return file
	}
	p := filepath.Join(t.TempDir(), filepath.Base(file)+".replayed.pcap")
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := pcapgo.NewWriterNanos(out)
	if err := w.WriteFileHeader(262144, frames[0].LinkType); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		ci := f.CI
		ci.CaptureLength, ci.Length = len(f.Data), len(f.Data)
		if err := w.WritePacket(ci, f.Data); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestLiveFilterMatchesTcpdump: frames kept by the kernel filter (written
// with --write-pcap) are exactly those tcpdump -r keeps from the file.
func TestLiveFilterMatchesTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed")
	}
	file := filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")
	ns := newNetns(t)
	for _, tc := range []struct{ expr, offline string }{
		{"vlan 20 and tcp port 502", ""},
		{"vlan and (udp or arp)", ""},
		{"vlan 10 or vlan 30", ""},
		{"not vlan", ""},
		{"vlan and not host 10.10.20.23", ""},
		{"vlan and ether proto 0x88cc", ""},
		// Without vlan, a live socket also matches tagged frames (the
		// kernel removed the tag before the filter runs; libpcap on Linux
		// behaves the same): in a file that is "X or (vlan and X)".
		{"ether proto 0x8892 or ether proto 0x88cc", "(ether proto 0x8892 or ether proto 0x88cc) or (vlan and (ether proto 0x8892 or ether proto 0x88cc))"},
		{"udp port 47808", "udp port 47808 or (vlan and udp port 47808)"},
	} {
		expr, offline := tc.expr, tc.offline
		if offline == "" {
			offline = expr
		}
		t.Run(expr, func(t *testing.T) {
			tmp := t.TempDir()
			out := filepath.Join(tmp, "tcpdump.pcap")
			testutil.Run(t, tcpdump, "-r", file, "-w", out, offline)
			want := dataMultiset(testutil.ReadFrames(t, out))
			db := filepath.Join(tmp, "live.db")
			dir := filepath.Join(tmp, "pcap")
			p := startCapture(t, ns, db, "--filter", expr, "--write-pcap", dir)
			replay(t, ns, file)
			time.Sleep(300 * time.Millisecond)
			if code := p.stop(t); code != 0 {
				t.Fatalf("exit %d: %s", code, &p.stderr)
			}
			var frames []testutil.Frame
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				frames = append(frames, testutil.ReadFrames(t, filepath.Join(dir, e.Name()))...)
			}
			got := dataMultiset(frames)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%q: %d frames captured, tcpdump -r keeps %d (-tcpdump +live, frame lengths):\n%s", expr, len(frames), total(want), d)
			}
		})
	}
}

// dataMultiset maps frame bytes to their count (as lengths for a readable
// diff when they differ: the key keeps the length first).
func dataMultiset(fs []testutil.Frame) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[fmt.Sprintf("%05d:%x", len(f.Data), f.Data)]++
	}
	return m
}

func total(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// TestLiveRotationAndCap: --rotate-size rotates, --max-total deletes the
// oldest files first, every kept file is a valid pcapng.
func TestLiveRotationAndCap(t *testing.T) {
	file := filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")
	ns := newNetns(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "pcap")
	db := filepath.Join(tmp, "live.db")
	p := startCapture(t, ns, db, "--write-pcap", dir, "--rotate-size", "16KiB", "--max-total", "64KiB")
	for i := 0; i < 3; i++ {
		replay(t, ns, file, "--pps", "5000")
	}
	time.Sleep(300 * time.Millisecond)
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d: %s", code, &p.stderr)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var sum int64
	for _, e := range ents {
		info, _ := e.Info()
		sum += info.Size()
		names = append(names, e.Name())
		if info.Size() > 16<<10+10000 {
			t.Errorf("%s: %d bytes with --rotate-size 16KiB", e.Name(), info.Size())
		}
		if len(testutil.ReadFrames(t, filepath.Join(dir, e.Name()))) == 0 {
			t.Errorf("%s holds no frame", e.Name())
		}
	}
	sort.Strings(names)
	if sum > 64<<10 {
		t.Errorf("kept %d bytes with --max-total 64KiB", sum)
	}
	var written int
	if m := regexp.MustCompile(`pcapng: (\d+) files written`).FindStringSubmatch(p.stdout.String()); m != nil {
		written, _ = strconv.Atoi(m[1])
	}
	if written <= len(names) || len(names) < 2 {
		t.Fatalf("%d files written, %d kept (%v): rotation or the cap did not happen\n%s", written, len(names), names, &p.stdout)
	}
	// Oldest first: the kept ones are the last written (sequence numbers).
	lastSeq := fmt.Sprintf("-%04d.pcapng", written)
	if !strings.HasSuffix(names[len(names)-1], lastSeq) {
		t.Errorf("newest kept file %s, want sequence %s", names[len(names)-1], lastSeq)
	}
	if strings.HasSuffix(names[0], "-0001.pcapng") {
		t.Errorf("the first file survived the cap: %v", names)
	}
}

// TestLiveSIGINT: SIGINT in the middle of a replay stops the capture with
// exit 0 after the final commit; the database passes integrity_check and
// its assets are readable. A second SIGINT exits at once and what was
// committed is intact.
func TestLiveSIGINT(t *testing.T) {
	file := filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")
	ns := newNetns(t)
	for _, twice := range []bool{false, true} {
		t.Run(fmt.Sprintf("twice=%v", twice), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "live.db")
			p := startCapture(t, ns, db, "--flush", "200ms")
			rep := exec.Command("ip", "netns", "exec", ns, "tcpreplay", "-i", replayPort, "--pps", "200", file)
			if err := rep.Start(); err != nil {
				t.Fatal(err)
			}
			defer rep.Wait()
			time.Sleep(1500 * time.Millisecond)
			p.cmd.Process.Signal(os.Interrupt)
			if twice {
				time.Sleep(time.Millisecond)
				p.cmd.Process.Signal(os.Interrupt)
			}
			code := p.wait(t)
			rep.Process.Kill()
			if !twice && code != 0 {
				t.Fatalf("exit %d after SIGINT; stderr: %s", code, &p.stderr)
			}
			if !twice && !strings.Contains(p.stdout.String(), "(interrupted)") {
				t.Errorf("no summary after SIGINT: %q", &p.stdout)
			}
			d, err := sql.Open("sqlite3", "file:"+db)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var ok string
			if err := d.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
				t.Fatalf("integrity_check: %q %v", ok, err)
			}
			d.Close()
			inv, srcs := openInventory(t, db)
			if len(srcs) != 1 {
				t.Fatalf("sources %+v", srcs)
			}
			if !twice {
				if len(inv.Assets) == 0 || !srcs[0].Complete || srcs[0].Source.Packets == 0 {
					t.Errorf("after SIGINT: %d assets, source %+v", len(inv.Assets), srcs[0])
				}
			}
		})
	}
}

// TestLiveFramesExact: every frame tcpreplay sends arrives, in order and
// byte for byte (VLAN tags the kernel takes out put back, with their
// priority bits), through the ring, the batches and the pcapng writer.
func TestLiveFramesExact(t *testing.T) {
	files := append(liveFiles(t), vlanEdgeFile(t))
	ns := newNetns(t)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "pcap")
			db := filepath.Join(tmp, "live.db")
			p := startCapture(t, ns, db, "--write-pcap", dir)
			replay(t, ns, file, "--pps", "5000")
			want := testutil.ReadFrames(t, file)
			// A block is handed over at the latest 100 ms after its first
			// frame; the writer's buffer is flushed when capture stops.
			time.Sleep(500 * time.Millisecond)
			if code := p.stop(t); code != 0 {
				t.Fatalf("exit %d: %s", code, &p.stderr)
			}
			var got []testutil.Frame
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				got = append(got, testutil.ReadFrames(t, filepath.Join(dir, e.Name()))...)
			}
			if len(got) != len(want) {
				t.Fatalf("captured %d frames, sent %d\n%s", len(got), len(want), &p.stdout)
			}
			for i := range want {
				if !bytes.Equal(got[i].Data, want[i].Data) {
					t.Fatalf("frame %d: captured % x, sent % x", want[i].Number, got[i].Data[:min(len(got[i].Data), 32)], want[i].Data[:min(len(want[i].Data), 32)])
				}
				if got[i].CI.Length != len(want[i].Data) {
					t.Errorf("frame %d: wire length %d, sent %d bytes", want[i].Number, got[i].CI.Length, len(want[i].Data))
				}
			}
		})
	}
}

// vlanEdgeFile writes frames whose tags are easy to lose: priority-tagged
// (VID 0, with and without priority bits), 802.1ad outer with 802.1Q
// inner, and an untagged frame between them.
func vlanEdgeFile(t *testing.T) string {
	t.Helper()
	arp := []byte{0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2}
	macs := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1}
	frame := func(tags ...byte) []byte {
		f := append(append(append([]byte{}, macs...), tags...), arp...)
		for len(f) < 60 {
			f = append(f, 0)
		}
		return f
	}
	frames := [][]byte{
		frame(0x81, 0x00, 0x00, 0x00), // TCI 0
		frame(0x81, 0x00, 0xa0, 0x00), // PCP 5, VID 0
		frame(),                       // untagged
		frame(0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0a), // S-tag 100, C-tag 10
		frame(0x81, 0x00, 0x0f, 0xff),                         // VID 4095
	}
	path := filepath.Join(t.TempDir(), "vlan-edge.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
