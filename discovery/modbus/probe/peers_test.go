package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	mb "github.com/simonvetter/modbus"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/discovery/probe"
)

// The real peers each listen on their own loopback address so that the
// per-host pacing can be checked on the wire.
const (
	gatewayIP    = "127.0.0.2" // pymodbus, --mode gateway
	individualIP = "127.0.0.3" // pymodbus, --mode individual
	svIP         = "127.0.0.4" // simonvetter/modbus server
	silentIP     = "127.0.0.5" // accepts, never answers
)

const pythonPath = "/usr/bin/python3"

func freePort(t *testing.T, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s (loopback aliases unavailable): %v", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("peer %s did not start", addr)
}

// startPymodbus runs testdata/pymodbus_server.py; it stops when the test
// closes its stdin.
func startPymodbus(t *testing.T, ip, mode string) string {
	t.Helper()
	if _, err := os.Stat(pythonPath); err != nil {
		t.Skipf("%s not installed", pythonPath)
	}
	if err := exec.Command(pythonPath, "-c", "import pymodbus.server").Run(); err != nil {
		t.Skipf("python3-pymodbus not installed: %v", err)
	}
	port := freePort(t, ip)
	cmd := exec.Command(pythonPath, filepath.Join("testdata", "pymodbus_server.py"), "--host", ip, "--port", fmt.Sprint(port), "--mode", mode)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logBuf strings.Builder
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("pymodbus %s log:\n%s", mode, logBuf.String())
		}
	})
	addr := net.JoinHostPort(ip, fmt.Sprint(port))
	waitListening(t, addr)
	return addr
}

// svHandler serves reads from simonvetter/modbus's server and fails the
// test if a write ever reaches it.
type svHandler struct {
	t      *testing.T
	mu     sync.Mutex
	writes int
}

func (h *svHandler) wrote() {
	h.mu.Lock()
	h.writes++
	h.mu.Unlock()
}

func (h *svHandler) HandleCoils(r *mb.CoilsRequest) ([]bool, error) {
	if r.IsWrite {
		h.wrote()
		return nil, mb.ErrIllegalFunction
	}
	out := make([]bool, r.Quantity)
	for i := range out {
		out[i] = (int(r.Addr)+i)%3 == 0
	}
	return out, nil
}

func (h *svHandler) HandleDiscreteInputs(r *mb.DiscreteInputsRequest) ([]bool, error) {
	out := make([]bool, r.Quantity)
	for i := range out {
		out[i] = true
	}
	return out, nil
}

func (h *svHandler) HandleHoldingRegisters(r *mb.HoldingRegistersRequest) ([]uint16, error) {
	if r.IsWrite {
		h.wrote()
		return nil, mb.ErrIllegalFunction
	}
	out := make([]uint16, r.Quantity)
	for i := range out {
		out[i] = 1000 + r.Addr + uint16(i)
	}
	return out, nil
}

func (h *svHandler) HandleInputRegisters(r *mb.InputRegistersRequest) ([]uint16, error) {
	out := make([]uint16, r.Quantity)
	for i := range out {
		out[i] = 2000 + r.Addr + uint16(i)
	}
	return out, nil
}

func startSimonvetter(t *testing.T, h *svHandler) string {
	t.Helper()
	port := freePort(t, svIP)
	addr := net.JoinHostPort(svIP, fmt.Sprint(port))
	srv, err := mb.NewServer(&mb.ServerConfiguration{URL: "tcp://" + addr, Timeout: 30 * time.Second, MaxClients: 4}, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	waitListening(t, addr)
	return addr
}

// startSilent accepts connections and never answers.
func startSilent(t *testing.T) (addr string, received func() int) {
	t.Helper()
	l, err := net.Listen("tcp", silentIP+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", silentIP, err)
	}
	var mu sync.Mutex
	n := 0
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				b := make([]byte, 512)
				for {
					k, err := c.Read(b)
					mu.Lock()
					n += k
					mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

func target(t *testing.T, addr string) probe.Target {
	t.Helper()
	ts, err := probe.ParseTargets([]string{addr}, 502, false)
	if err != nil {
		t.Fatal(err)
	}
	return ts[0]
}

type obsLog struct {
	mu  sync.Mutex
	obs []discovery.Observation
}

func (l *obsLog) emit(o discovery.Observation) {
	l.mu.Lock()
	l.obs = append(l.obs, o)
	l.mu.Unlock()
}

// attr returns the values of key on the endpoint with sub-address sub.
func (l *obsLog) attr(sub, key string) []string {
	var out []string
	for _, o := range l.obs {
		if o.Kind == discovery.KindAttribute && o.Key == key && o.Asset.Sub == sub {
			out = append(out, o.Value)
		}
	}
	return out
}

func one(t *testing.T, got []string, want string, what string) {
	t.Helper()
	if len(got) != 1 || got[0] != want {
		t.Errorf("%s = %q, want [%q]", what, got, want)
	}
}

// TestProbeRealPeers probes pymodbus (a gateway with several unit ids, and
// a device that refuses stream access), simonvetter/modbus's server and a
// peer that never answers, while tcpdump records the loopback traffic; the
// wire check then proves from the capture that only allowed requests were
// sent and that the pacing held.
func TestProbeRealPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real Modbus peers")
	}
	gw := startPymodbus(t, gatewayIP, "gateway")
	ind := startPymodbus(t, individualIP, "individual")
	h := &svHandler{t: t}
	sv := startSimonvetter(t, h)
	silent, silentBytes := startSilent(t)

	wire := startCapture(t, []string{gw, ind, sv, silent})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var runs []wireRun

	t.Run("gateway", func(t *testing.T) {
		reads, _ := ParseReads("holding:0-9")
		opt := Options{UnitIDs: []uint8{0, 3, 7, 9}, ReportServerID: true, Reads: reads, Rate: 20, PerHostRate: 10, Timeout: 3 * time.Second}
		var log obsLog
		start := time.Now()
		res, err := Run(ctx, []probe.Target{target(t, gw)}, opt, log.emit)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, wireRun{name: "gateway", opt: opt, results: res, start: start, end: time.Now()})
		r := res[0]
		if r.Err != nil {
			t.Fatalf("probe stopped: %v", r.Err)
		}
		// Identities from testdata/pymodbus_server.py (GATEWAY, METER).
		one(t, log.attr("", "modbus.vendor_name"), "Gateway Co", "gateway vendor")
		one(t, log.attr("", "modbus.product_code"), "GW-100", "gateway product code")
		one(t, log.attr("", "modbus.revision"), "v2.4.1", "gateway revision")
		one(t, log.attr("", "modbus.vendor_url"), "https://gateway.example", "gateway url")
		one(t, log.attr("", "modbus.product_name"), "Serial Gateway", "gateway product name")
		one(t, log.attr("", "modbus.model_name"), "GW-100-ETH", "gateway model")
		one(t, log.attr("", "modbus.user_application_name"), "Line 3 gateway", "gateway application")
		one(t, log.attr("", "modbus.gateway"), "true", "gateway flag (exception 11 for unit 9)")
		// Unit 3 is a meter behind the gateway; unit 7 repeats the gateway's identity.
		one(t, log.attr("modbus:unit=3", "modbus.vendor_name"), "Meter Maker", "unit 3 vendor")
		one(t, log.attr("modbus:unit=3", "modbus.model_name"), "MM-3000-TCP", "unit 3 model")
		one(t, log.attr("modbus:unit=3", "modbus.unit_id"), "3", "unit 3 unit id")
		// Ten private objects do not fit one reply: reaching 0x89 needs "more follows".
		one(t, log.attr("modbus:unit=3", "modbus.object_0x89"), "private object 09 xxxxxxxxxxxx", "unit 3 object 0x89")
		if got := log.attr("modbus:unit=7", "modbus.vendor_name"); len(got) != 0 {
			t.Errorf("unit 7 (same identity as the gateway) became a sub-device: %v", got)
		}
		units := log.attr("", "modbus.unit_id")
		sort.Strings(units)
		if strings.Join(units, ",") != "0,3,7" {
			t.Errorf("unit ids on the gateway = %v, want 0,3,7 (9 is absent behind it)", units)
		}
		// pymodbus answers FC 17 with its identity and run indicator 0xFF.
		one(t, log.attr("", "modbus.server_id"), "Gateway Co-GW-100-v2.4.1", "server id")
		// Through the inventory the meter becomes its own asset reached via the gateway.
		b := inventory.NewBuilder("")
		for _, o := range log.obs {
			b.Add(o)
		}
		inv := inventory.Build(b.Drain(), inventory.BuildOptions{})
		var gwAsset, meter *inventory.Asset
		for i := range inv.Assets {
			a := &inv.Assets[i]
			for _, at := range a.Attributes {
				if at.Key == "modbus.vendor_name" && at.Value == "Gateway Co" {
					gwAsset = a
				}
				if at.Key == "modbus.vendor_name" && at.Value == "Meter Maker" {
					meter = a
				}
			}
		}
		if gwAsset == nil || meter == nil || meter.Via != gwAsset.ID || gwAsset == meter {
			t.Errorf("inventory: gateway %+v meter %+v: want the meter via the gateway", gwAsset, meter)
		}
		var svc, evid int
		for _, o := range log.obs {
			if o.Kind == discovery.KindService && o.Role == "server" && o.Port == r.Target.Port && o.Asset.IP.String() == gatewayIP {
				svc++
			}
			if o.Evidence.Kind == "probe" && o.Evidence.Name == "modbus@"+gw {
				evid++
			}
		}
		if svc != 1 || evid != len(log.obs) {
			t.Errorf("services %d (want 1), probe evidence on %d of %d observations", svc, evid, len(log.obs))
		}
		// pymodbus 3.0 serves holding address a from block index a+1
		// (zero_mode off); the block holds its index: 1..10.
		var got []uint16
		for _, u := range r.Units {
			if u.Unit == 0 && len(u.Reads) == 1 {
				got = u.Reads[0].Values
			}
		}
		if fmt.Sprint(got) != "[1 2 3 4 5 6 7 8 9 10]" {
			t.Errorf("holding 0-9 on unit 0 = %v", got)
		}
		// Requests: unit 0: basic, regular, extended (empty), FC 17, read = 5;
		// unit 3: basic, regular, extended x2 (more follows), FC 17, read = 6;
		// unit 7: 5; unit 9: basic -> exception 11 = 1.
		if r.Requests != 17 {
			t.Errorf("%d requests, want 17", r.Requests)
		}
	})

	t.Run("default units stop at the first identity", func(t *testing.T) {
		opt := Options{Rate: 20, PerHostRate: 10}
		var log obsLog
		start := time.Now()
		res, err := Run(ctx, []probe.Target{target(t, gw)}, opt, log.emit)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, wireRun{name: "default", opt: opt, results: res, start: start, end: time.Now()})
		if r := res[0]; r.Err != nil || len(r.Units) != 1 || r.Units[0].Unit != 0 || r.Requests != 3 {
			t.Errorf("result %+v: want unit 0 only, 3 requests", r)
		}
	})

	t.Run("individual access after refused stream", func(t *testing.T) {
		opt := Options{Rate: 20, PerHostRate: 10}
		var log obsLog
		start := time.Now()
		res, err := Run(ctx, []probe.Target{target(t, ind)}, opt, log.emit)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, wireRun{name: "individual", opt: opt, results: res, start: start, end: time.Now()})
		r := res[0]
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		one(t, log.attr("", "modbus.vendor_name"), "Gateway Co", "vendor read individually")
		one(t, log.attr("", "modbus.user_application_name"), "Line 3 gateway", "object 6 read individually")
		// basic refused (exception 1), then objects 0..6 one by one.
		if r.Requests != 8 || len(r.Units) != 1 || len(r.Units[0].Exceptions) != 1 {
			t.Errorf("result %+v: want 8 requests on unit 0 with one exception", r)
		}
	})

	t.Run("simonvetter server", func(t *testing.T) {
		reads, _ := ParseReads("holding:0-9,input:100-104,coils:0-7,discrete:0-3")
		opt := Options{UnitIDs: []uint8{1}, Reads: reads, Rate: 20, PerHostRate: 10}
		var log obsLog
		start := time.Now()
		res, err := Run(ctx, []probe.Target{target(t, sv)}, opt, log.emit)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, wireRun{name: "simonvetter", opt: opt, results: res, start: start, end: time.Now()})
		r := res[0]
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		// simonvetter/modbus has no FC 43: illegal function to the stream
		// request and to the first individual one, then the four reads.
		if r.Requests != 6 || len(r.Units) != 1 {
			t.Fatalf("result %+v: want 6 requests", r)
		}
		u := r.Units[0]
		if len(u.Objects) != 0 || len(u.Exceptions) != 2 || !strings.HasSuffix(u.Exceptions[0], "illegal_function") {
			t.Errorf("unit 1: objects %v exceptions %v", u.Objects, u.Exceptions)
		}
		want := map[string]string{
			"holding:0-9":   "[1000 1001 1002 1003 1004 1005 1006 1007 1008 1009]",
			"input:100-104": "[2100 2101 2102 2103 2104]",
			"coils:0-7":     "[1 0 0 1 0 0 1 0]",
			"discrete:0-3":  "[1 1 1 1]",
		}
		for _, rr := range u.Reads {
			if got := fmt.Sprint(rr.Values); got != want[rr.Spec.String()] || rr.Err != "" {
				t.Errorf("%s = %s (%s), want %s", rr.Spec, got, rr.Err, want[rr.Spec.String()])
			}
		}
		one(t, log.attr("", "modbus.unit_id"), "1", "unit id of a device that answered with data")
		if h.writes != 0 {
			t.Errorf("%d writes reached the server", h.writes)
		}
	})

	t.Run("silent peer times out and the host is dropped", func(t *testing.T) {
		opt := Options{Rate: 20, PerHostRate: 10, Timeout: 400 * time.Millisecond}
		var log obsLog
		start := time.Now()
		res, err := Run(ctx, []probe.Target{target(t, silent)}, opt, log.emit)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, wireRun{name: "silent", opt: opt, results: res, start: start, end: time.Now()})
		r := res[0]
		var ne net.Error
		if r.Err == nil || !errors.As(r.Err, &ne) || !ne.Timeout() {
			t.Errorf("err = %v, want a timeout", r.Err)
		}
		if r.Requests != 1 || !r.Connected || r.Answered || len(log.obs) != 0 {
			t.Errorf("result %+v, %d observations: want one request, nothing observed", r, len(log.obs))
		}
		time.Sleep(100 * time.Millisecond)
		// One Read Device Identification ADU: 7-byte MBAP + 4-byte PDU.
		if n := silentBytes(); n != 11 {
			t.Errorf("silent peer received %d bytes, want one 11-byte request", n)
		}
	})

	t.Run("all peers in one run", func(t *testing.T) {
		// Four hosts at once: the global rate (8/s) binds, not the per-host one (4/s).
		opt := Options{UnitIDs: []uint8{0, 1}, Rate: 8, PerHostRate: 4, Parallel: 4, Timeout: 2 * time.Second}
		var log obsLog
		ts := []probe.Target{target(t, gw), target(t, ind), target(t, sv), target(t, silent)}
		start := time.Now()
		res, err := Run(ctx, ts, opt, log.emit)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, wireRun{name: "all", opt: opt, results: res, start: start, end: time.Now()})
		identified := map[string]bool{}
		for _, o := range log.obs {
			if o.Key == "modbus.vendor_name" {
				identified[o.Asset.IP.String()] = true
			}
		}
		if res[0].Err != nil || !identified[gatewayIP] || !identified[individualIP] || len(identified) != 2 {
			t.Errorf("identified %v, want the gateway and the individual-access peer", identified)
		}
		if res[3].Err == nil {
			t.Error("silent peer did not time out")
		}
	})

	wire.check(t, runs)
}
