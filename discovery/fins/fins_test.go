package fins

import (
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/otzone/otzone/internal/testutil"
	"sort"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
)

// Payloads of testdata/fixtures/fins/demo_fins.pcapng (`go run ./testdata/gen -only
// 51-fins`) with tshark 4.0.17's decode.
const (
	// frame 1 (UDP): "Command : Memory Area Read (D100)", DA1 0x0a, SA1 0x15, SID 1.
	udpRead = "800002000a00001500010101820064000004"
	// frame 2 (UDP): "Response : Memory Area Read", end code 0x0000.
	udpReadResp = "c00002001500000a000101010000002a01f400001388"
	// frame 9 (TCP): "FINS/TCP : Node Address Data Send (Server to Client)",
	// client node 22, server node 10.
	tcpNodes = "46494e53000000100000000100000000000000160000000a"
	// frame 11 (TCP): "Response : Controller Data Read": model
	// "CJ2M-CPU31", version "02.01", area data.
	tcpCDResp = "46494e53000000720000000200000000c00002001600000a000105010000434a324d2d43505533312020202020202020202030322e303120202020202020202020202020202000000000000000000000000000000000000000000000000000000000000000000000000000000000001417800008010000040080"
	// frame 12 (TCP): "Command : Stop" (no program number: tshark warns
	// "Unexpected Length (Should be 0)" when one is sent).
	tcpStop = "46494e53000000140000000200000000800002000a00001600020402"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFrame(t *testing.T) {
	f, err := ParseFrame(unhex(t, udpRead))
	if err != nil {
		t.Fatal(err)
	}
	if f.Response() || f.DA1 != 10 || f.SA1 != 21 || f.SID != 1 || f.Command != 0x0101 || f.Command.Class() != discovery.OpRead {
		t.Errorf("%+v", f)
	}
	r, err := ParseFrame(unhex(t, udpReadResp))
	if err != nil || !r.Response() || r.EndCode != 0 || len(r.Data) != 8 {
		t.Errorf("%+v %v", r, err)
	}
	tf, err := ParseTCP(unhex(t, tcpCDResp))
	if err != nil || tf.Command != 2 {
		t.Fatalf("%+v %v", tf, err)
	}
	cd, err := ParseFrame(tf.Data)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseControllerData(cd.Data)
	if err != nil || c.Model != "CJ2M-CPU31" || c.Version != "02.01" {
		t.Errorf("%+v %v", c, err)
	}
	if Command(0x0402).String() != "stop" || Command(0x0402).Class() != discovery.OpControl || Command(0x0307).Class() != discovery.OpProgram {
		t.Error("command table")
	}
}

func TestErrors(t *testing.T) {
	b := unhex(t, udpRead)
	b[1] = 1 // RSV must be 0
	if _, err := ParseFrame(b); !errors.Is(err, ErrHeader) {
		t.Errorf("rsv: %v", err)
	}
	if _, err := TCPLen([]byte("GET / HTTP/1.1")); !errors.Is(err, ErrHeader) {
		t.Errorf("http: %v", err)
	}
	for _, h := range []string{udpRead, udpReadResp, tcpNodes, tcpCDResp, tcpStop} {
		b := unhex(t, h)
		for i := 0; i < len(b); i++ {
			_, _ = ParseFrame(b[:i])
			if _, err := ParseTCP(b[:i]); err == nil {
				t.Fatalf("%s prefix %d parsed", h, i)
			}
			if n, err := TCPLen(b[:i]); err == nil && n != 0 && n <= i {
				t.Fatalf("%s prefix %d: TCPLen %d", h, i, n)
			}
		}
	}
}

// TestDemoCapture runs the demo capture through the engine. Expected facts
// from tshark's decode: UDP and TCP server 10.10.10.40 (node 10), clients
// 10.10.20.21 (node 21, memory area reads) and 10.10.20.22 (node 22,
// controller data read, stop, run), model CJ2M-CPU31 version 02.01.
func TestDemoCapture(t *testing.T) {
	var got []string
	for _, o := range runCapture(t, testutil.Fixture("fins", "demo_fins.pcapng"), func() discovery.Dissector { return New() }, func() discovery.Dissector { return NewUDP() }) {
		if o.Protocol != "fins" {
			continue
		}
		switch o.Kind {
		case discovery.KindService:
			got = append(got, fmt.Sprintf("service %s %s/%d %s", o.Asset.IP, o.Transport, o.Port, o.Role))
		case discovery.KindAttribute:
			got = append(got, fmt.Sprintf("attr %s %s=%s", o.Asset.IP, o.Key, o.Value))
		case discovery.KindOperation:
			got = append(got, fmt.Sprintf("op %d %s>%s %s/%s", o.Evidence.Frame, o.Asset.IP, o.Peer.IP, o.Op.Name, o.Op.Class))
		}
	}
	sort.Strings(got)
	want := []string{
		"attr 10.10.10.40 fins.model=CJ2M-CPU31",
		"attr 10.10.10.40 fins.node=10",
		"attr 10.10.10.40 fins.node=10",
		"attr 10.10.10.40 fins.version=02.01",
		"attr 10.10.20.21 fins.node=21",
		"attr 10.10.20.22 fins.node=22",
		"op 1 10.10.20.21>10.10.10.40 memory_area_read/read",
		"op 10 10.10.20.22>10.10.10.40 controller_data_read/read",
		"op 12 10.10.20.22>10.10.10.40 stop/control",
		"op 14 10.10.20.22>10.10.10.40 run/control",
		"op 3 10.10.20.21>10.10.10.40 memory_area_read/read",
		"service 10.10.10.40 tcp/9600 server",
		"service 10.10.10.40 udp/9600 server",
		"service 10.10.20.21 udp/9600 client",
		"service 10.10.20.22 tcp/9600 client",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{udpRead, udpReadResp, tcpNodes, tcpCDResp, tcpStop} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var flow discovery.Flow
		emit := func(discovery.Observation) {}
		pkt := &discovery.PacketInfo{Flow: &flow}
		if NewUDP().Detect(b, pkt) == discovery.Yes {
			_ = NewUDP().Datagram(b, pkt, emit)
		}
		s := New().NewStream(&flow)
		if n, err := s.PDULen(b, 0); err == nil && n > 0 && n <= len(b) {
			_ = s.Parse(b[:n], pkt, emit)
		}
	})
}

func BenchmarkDatagram(b *testing.B) {
	raw, _ := hex.DecodeString(udpRead)
	var flow discovery.Flow
	d := NewUDP()
	pkt := &discovery.PacketInfo{Flow: &flow}
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Datagram(raw, pkt, emit); err != nil {
			b.Fatal(err)
		}
	}
}
