package probe

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery/modbus"
	"github.com/otzone/otzone/internal/testutil"
)

// wireRun is one probe run whose traffic the wire check examines.
type wireRun struct {
	name       string
	opt        Options
	results    []Result
	start, end time.Time
}

type capture struct {
	path    string
	cmd     *exec.Cmd
	servers map[string]bool // "ip:port"
	skip    string
}

// startCapture records loopback traffic to the given servers with tcpdump.
// Without root or tcpdump the wire check is skipped with a message (the
// probe tests still run).
func startCapture(t *testing.T, servers []string) *capture {
	t.Helper()
	c := &capture{servers: map[string]bool{}}
	for _, s := range servers {
		c.servers[s] = true
	}
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		c.skip = "tcpdump not installed"
		return c
	}
	if os.Geteuid() != 0 {
		c.skip = "not root: cannot capture on lo"
		return c
	}
	var parts []string
	for _, s := range servers {
		h, p, _ := net.SplitHostPort(s)
		parts = append(parts, fmt.Sprintf("(host %s and tcp port %s)", h, p))
	}
	c.path = filepath.Join(t.TempDir(), "probe-wire.pcap")
	if keep := os.Getenv("OTZONE_KEEP_WIRE"); keep != "" {
		c.path = keep // keep the capture for inspection
	}
	c.cmd = exec.Command(bin, "-i", "lo", "-n", "-U", "--immediate-mode", "-w", c.path, strings.Join(parts, " or "))
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		c.skip = "tcpdump: " + err.Error()
		return c
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on") {
				ready <- ""
			}
		}
		ready <- "tcpdump exited"
	}()
	select {
	case msg := <-ready:
		if msg != "" {
			c.skip = msg
		}
	case <-time.After(10 * time.Second):
		c.skip = "tcpdump did not start"
	}
	t.Cleanup(func() { c.stop() })
	return c
}

func (c *capture) stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
	c.cmd = nil
}

// wireReq is one Modbus request read back from the capture.
type wireReq struct {
	t      time.Time
	server string // ip:port
	host   string
	unit   uint8
	pdu    []byte
}

// requests reassembles the client-to-server direction of every probe
// connection in the capture and frames the Modbus requests in it.
func (c *capture) requests(t *testing.T) []wireReq {
	type flow struct {
		buf    []byte
		times  []time.Time // arrival of the segment holding each byte run
		server string
	}
	flows := map[string]*flow{}
	var order []string
	var out []wireReq
	for _, fr := range testutil.ReadFrames(t, c.path) {
		pkt := gopacket.NewPacket(fr.Data, fr.LinkType, gopacket.Default)
		ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if ip == nil || tcp == nil || len(tcp.Payload) == 0 {
			continue
		}
		dst := net.JoinHostPort(ip.DstIP.String(), strconv.Itoa(int(tcp.DstPort)))
		if !c.servers[dst] {
			continue // a reply
		}
		key := fmt.Sprintf("%s:%d>%s", ip.SrcIP, tcp.SrcPort, dst)
		f := flows[key]
		if f == nil {
			f = &flow{server: dst}
			flows[key] = f
			order = append(order, key)
		}
		f.buf = append(f.buf, tcp.Payload...)
		for {
			n, err := modbus.FrameLen(f.buf)
			if err != nil {
				t.Fatalf("frame %d: not Modbus/TCP on the wire: %v", fr.Number, err)
			}
			if n == 0 || n > len(f.buf) {
				break
			}
			a, err := modbus.ParseADU(f.buf[:n])
			if err != nil {
				t.Fatalf("frame %d: %v", fr.Number, err)
			}
			h, _, _ := net.SplitHostPort(dst)
			out = append(out, wireReq{t: fr.CI.Timestamp, server: dst, host: h, unit: a.UnitID, pdu: append([]byte{a.RawFunction()}, a.Data...)})
			f.buf = f.buf[n:]
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].t.Before(out[j].t) })
	return out
}

// check is the wire check: from the capture alone it asserts that every
// request was on the allow-list with a valid shape, that the number of
// requests on the wire equals what the probe counted, and that no run sent
// faster than its global or per-host rate.
func (c *capture) check(t *testing.T, runs []wireRun) {
	t.Run("wire check", func(t *testing.T) {
		if c.skip != "" {
			t.Skipf("wire check skipped: %s", c.skip)
		}
		time.Sleep(200 * time.Millisecond) // let tcpdump write the last packets
		c.stop()
		reqs := c.requests(t)
		if len(reqs) == 0 {
			t.Fatal("no requests captured")
		}
		fcs := map[byte]int{}
		for _, r := range reqs {
			fcs[r.pdu[0]]++
			if err := allowedOnWire(r.pdu); err != nil {
				t.Errorf("%s: sent to %s: %v", r.t.Format(time.StampMicro), r.server, err)
			}
			if _, err := NewRequest(r.pdu); err != nil {
				t.Errorf("request on the wire fails the allow-list: %v", err)
			}
		}
		want := 0
		for _, run := range runs {
			for _, res := range run.results {
				want += res.Requests
			}
		}
		if len(reqs) != want {
			t.Errorf("%d requests on the wire, the probe counted %d", len(reqs), want)
		}
		t.Logf("wire: %d requests, function codes %v", len(reqs), fcs)

		// Pacing: each run's requests lie between its start and end.
		const tol = 60 * time.Millisecond // scheduler noise on a loaded machine
		for _, run := range runs {
			var in []wireReq
			for _, r := range reqs {
				if !r.t.Before(run.start) && !r.t.After(run.end) {
					in = append(in, r)
				}
			}
			global := time.Duration(float64(time.Second) / run.opt.Rate)
			perHost := time.Duration(float64(time.Second) / run.opt.PerHostRate)
			worst := checkSpacing(t, run.name+" global", in, global, tol)
			byHost := map[string][]wireReq{}
			for _, r := range in {
				byHost[r.host] = append(byHost[r.host], r)
			}
			for h, rs := range byHost {
				checkSpacing(t, run.name+" host "+h, rs, perHost, tol)
			}
			if len(in) > 1 {
				span := in[len(in)-1].t.Sub(in[0].t)
				rate := float64(len(in)-1) / span.Seconds()
				t.Logf("run %-11s %3d requests over %v: %.1f req/s (limit %.0f global, %.0f per host); tightest window %v",
					run.name, len(in), span.Round(time.Millisecond), rate, run.opt.Rate, run.opt.PerHostRate, worst.Round(time.Millisecond))
				if rate > run.opt.Rate*1.05 {
					t.Errorf("run %s: %.2f req/s exceeds %g", run.name, rate, run.opt.Rate)
				}
			}
		}
		c.tsharkCrossCheck(t, runs)
	})
}

// checkSpacing asserts that any k+1 consecutive requests span at least
// k*interval - tol, and returns the smallest k-step slack seen.
func checkSpacing(t *testing.T, what string, rs []wireReq, interval, tol time.Duration) time.Duration {
	worst, err := spacing(rs, interval, tol)
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
	return worst
}

func spacing(rs []wireReq, interval, tol time.Duration) (time.Duration, error) {
	worst := time.Duration(1 << 62)
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			k := time.Duration(j - i)
			got := rs[j].t.Sub(rs[i].t)
			if slack := got - k*interval; slack < worst {
				worst = slack
			}
			if got < k*interval-tol {
				return worst, fmt.Errorf("requests %d..%d within %v, pacing allows no less than %v", i, j, got, k*interval)
			}
		}
	}
	return worst, nil
}

// allowedOnWire is the wire check's own statement of the allow-list,
// independent of NewRequest.
func allowedOnWire(pdu []byte) error {
	fc := pdu[0]
	if fc&0x80 != 0 || !(fc >= 1 && fc <= 4 || fc == 17 || fc == 43) {
		return fmt.Errorf("function code %d", fc)
	}
	if fc == 43 && (len(pdu) < 2 || pdu[1] != modbus.MEIReadDeviceID) {
		return fmt.Errorf("FC 43 with MEI other than 14: % x", pdu)
	}
	return nil
}

// TestWireCheckCatches shows the wire check's assertions fail on traffic
// that breaks the rules: a burst, a per-host burst, a write, FC 43/13.
func TestWireCheckCatches(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	burst := []wireReq{{t: t0}, {t: t0.Add(10 * time.Millisecond)}, {t: t0.Add(20 * time.Millisecond)}}
	if _, err := spacing(burst, 100*time.Millisecond, 60*time.Millisecond); err == nil {
		t.Error("3 requests in 20 ms passed a 10/s pacing check")
	}
	// Two late-then-early sends: 0, 140, 200 ms at 100 ms spacing: 1..2 is
	// 60 ms apart, within tolerance of one late send; 0..2 is fine.
	ok := []wireReq{{t: t0}, {t: t0.Add(140 * time.Millisecond)}, {t: t0.Add(200 * time.Millisecond)}}
	if _, err := spacing(ok, 100*time.Millisecond, 60*time.Millisecond); err != nil {
		t.Errorf("paced sequence rejected: %v", err)
	}
	for _, pdu := range [][]byte{{6, 0, 1, 0, 1}, {16, 0, 0, 0, 1, 2, 0, 1}, {43, 13, 0}, {8, 0, 4, 0, 0}, {90, 0, 0x41}} {
		if allowedOnWire(pdu) == nil {
			t.Errorf("% x passed the wire allow-list", pdu)
		}
	}
	for _, pdu := range [][]byte{{3, 0, 0, 0, 10}, {43, 14, 1, 0}, {17}} {
		if err := allowedOnWire(pdu); err != nil {
			t.Errorf("% x rejected: %v", pdu, err)
		}
	}
}

// tsharkCrossCheck decodes the captured FC 43/14 replies with tshark and
// compares every object (server ip, unit, object id, value) with what the
// probe reported.
func (c *capture) tsharkCrossCheck(t *testing.T, runs []wireRun) {
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Log("tshark not installed: identity cross-check skipped")
		return
	}
	// Wireshark tells queries from responses only by port 502: map the
	// test peers' ports to 502 first.
	rewrite, err := exec.LookPath("tcprewrite")
	if err != nil {
		t.Log("tcprewrite not installed: identity cross-check skipped")
		return
	}
	var maps []string
	for s := range c.servers {
		_, p, _ := net.SplitHostPort(s)
		maps = append(maps, p+":502")
	}
	at502 := c.path + ".502.pcap"
	if out, err := exec.Command(rewrite, "--portmap="+strings.Join(maps, ","), "--infile="+c.path, "--outfile="+at502).CombinedOutput(); err != nil {
		t.Fatalf("tcprewrite: %v: %s", err, out)
	}
	args := []string{"-n", "-r", at502, "-Y", "modbus.object_id && tcp.srcport == 502", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=~",
		"-e", "ip.src", "-e", "mbtcp.unit_id", "-e", "modbus.object_id", "-e", "modbus.object_str_value", "-e", "modbus.object_value"}
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	fromWire := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 5 {
			continue
		}
		// Wireshark shows objects 0x80+ as bytes (object_value), the
		// standard ones as strings.
		ids, vals := strings.Split(f[2], "~"), strings.Split(f[3], "~")
		if f[3] == "" && f[4] != "" {
			vals = nil
			for _, v := range strings.Split(f[4], "~") {
				b, err := hex.DecodeString(strings.ReplaceAll(v, ":", ""))
				if err != nil {
					t.Fatalf("tshark object value %q: %v", v, err)
				}
				vals = append(vals, string(b))
			}
		}
		if len(ids) != len(vals) {
			t.Errorf("tshark: %d ids, %d values: %s", len(ids), len(vals), line)
			continue
		}
		for i := range ids {
			fromWire[fmt.Sprintf("%s unit %s object %s = %s", f[0], f[1], ids[i], vals[i])] = true
		}
	}
	fromProbe := map[string]bool{}
	for _, run := range runs {
		for _, res := range run.results {
			for _, u := range res.Units {
				for id, v := range u.Objects {
					fromProbe[fmt.Sprintf("%s unit %d object %d = %s", res.IP, u.Unit, uint8(id), v)] = true
				}
			}
		}
	}
	for k := range fromWire {
		if !fromProbe[k] {
			t.Errorf("tshark decoded %q, the probe did not report it", k)
		}
	}
	for k := range fromProbe {
		if !fromWire[k] {
			t.Errorf("probe reported %q, tshark did not decode it", k)
		}
	}
	t.Logf("tshark cross-check: %d identity objects decoded by both", len(fromWire))

}
