package probe

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/opcua"
	"github.com/otzone/otzone/internal/testutil"
)

// capture records loopback traffic on one TCP port with tcpdump; it skips
// the test (with the reason) without tcpdump or root.
func capture(t *testing.T, port int) (path string, stop func()) {
	t.Helper()
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed: wire check skipped")
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: cannot capture on lo, wire check skipped")
	}
	path = filepath.Join(t.TempDir(), "opcua-probe-wire.pcap")
	if keep := os.Getenv("OTZONE_KEEP_WIRE"); keep != "" {
		path = keep
	}
	cmd := exec.Command(bin, "-i", "lo", "-n", "-U", "--immediate-mode", "-w", path, "tcp port "+itoa(port))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("tcpdump: %v", err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on") {
				ready <- true
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Skip("tcpdump exited")
		}
	case <-time.After(10 * time.Second):
		t.Skip("tcpdump did not start")
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		time.Sleep(200 * time.Millisecond) // let the last segments be written
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	return path, stop
}

// TestWireCheck captures the probe's traffic to gopcua's server and reads
// it back with this project's passive OPC UA dissector (through the real
// engine): every request on the wire is on the allow-list, and requests to
// the host are spaced by the per-host rate.
func TestWireCheck(t *testing.T) {
	port := startGopcua(t)
	path, stop := capture(t, port)
	const perHost = 5.0 // requests/s: 200 ms apart
	r, _ := runProbe(t, "opc.tcp://127.0.0.1:"+itoa(port), Options{Rate: 10, PerHostRate: perHost})
	stop()
	if r.Err != nil {
		t.Fatalf("probe: %v", r.Err)
	}
	frames := testutil.ReadFrames(t, path)
	when := map[uint64]time.Time{}
	for _, f := range frames {
		when[uint64(f.Number)] = f.CI.Timestamp
	}
	set, err := discovery.NewSetOf(func() discovery.Dissector { return opcua.New() })
	if err != nil {
		t.Fatal(err)
	}
	var ops []discovery.Observation
	var hello time.Time
	e := discovery.NewEngine(set, func(o discovery.Observation) {
		switch {
		case o.Kind == discovery.KindOperation:
			ops = append(ops, o)
		case o.Kind == discovery.KindAttribute && o.Key == "opcua.endpoint_url" && hello.IsZero():
			hello = when[o.Evidence.Frame] // the Hello carries the URL
		}
	}, discovery.EngineOptions{})
	for _, f := range frames {
		e.Packet(f.Data, f.CI, f.LinkType, discovery.Evidence{Kind: "pcap", Name: "wire", Frame: uint64(f.Number)})
	}
	e.Close()
	if len(ops) != len(r.Sent) {
		t.Errorf("dissector saw %d requests on the wire, the probe reports %d sent (%v)", len(ops), len(r.Sent), r.Sent)
	}
	times := []time.Time{hello}
	var names []string
	for _, o := range ops {
		if _, ok := Allowed[opcua.ServiceID(o.Op.Code)]; !ok {
			t.Errorf("frame %d: %s (%d) on the wire, not on the allow-list", o.Evidence.Frame, o.Op.Name, o.Op.Code)
		}
		names = append(names, o.Op.Name)
		times = append(times, when[o.Evidence.Frame])
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	min := time.Duration(float64(time.Second)/perHost) * 9 / 10 // 10% for timer and capture jitter
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < min {
			t.Errorf("requests %d and %d only %v apart, want >= %v", i-1, i, gap, min)
		}
	}
	t.Logf("wire: HEL + %v, %d requests over %v", names, len(times), times[len(times)-1].Sub(times[0]))
}
