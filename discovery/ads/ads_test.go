package ads

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

// Payloads of testdata/fixtures/ads/demo_ads.pcapng (`go run ./testdata/gen -only
// 52-ads`). tshark 4.0.17 decodes the TCP frames as AMS; it has no
// dissector for the UDP discovery service, whose layout follows Apache
// PLC4X's ads-discovery.mspec.
const (
	// frame 1: discovery request from NetId 10.10.20.22.1.1, port 10000.
	discReq = "0366147100000000010000000a0a14160101102700000000"
	// frame 2: discovery response: host name "CX-2040A7", OS data,
	// version 3.1.4024.
	discResp = "0366147100000000010000800a0a0a29010110270300000005000a0043582d32303430413700040014009400000006000000010000008025000002000000030004000301b80f"
	// frame 3: add-route request with user "Administrator" and password "1".
	addRoute = "0366147100000000060000000a0a141601011027050000000c0006004557532d3100070006000a0a141601010d000e0041646d696e6973747261746f720002000200310005000c0031302e31302e32302e323200"
	// frame 8: "ADS Read Device Info Request" to 10.10.10.41.1.1:851.
	readInfo = "0000200000000a0a0a29010153030a0a14160101898001000400000000000000000001000000"
	// frame 9: "ADS Read Device Info Response": 3.1 build 4024, "Plc30 App".
	readInfoResp = "0000380000000a0a1416010189800a0a0a290101530301000500180000000000000001000000000000000301b80f506c6333302041707000000000000000"
	// frame 12: "ADS Read Write Request", index group 0xF003 "MAIN.bStart".
	readWrite = "00003c0000000a0a0a29010153030a0a141601018980090004001c000000000000000300000003f0000000000000040000000c0000004d41494e2e62537461727400"
	// frame 16: "ADS Write Control Request" to port 10000, AdsState 5 (RUN).
	writeControl = "0000280000000a0a0a29010110270a0a141601018980050004000800000000000000050000000500000000000000"
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
	f, err := ParseFrame(unhex(t, readInfo))
	if err != nil {
		t.Fatal(err)
	}
	if f.Target.String() != "10.10.10.41.1.1" || f.TargetPort != 851 || f.Source.String() != "10.10.20.22.1.1" || f.SourcePort != 32905 || f.Command != 1 || f.Response() || f.InvokeID != 1 {
		t.Errorf("%+v", f.Header)
	}
	r, err := ParseFrame(unhex(t, readInfoResp))
	if err != nil || !r.Response() {
		t.Fatal(r, err)
	}
	d, err := ParseDeviceInfo(r.Data)
	if err != nil || d.Name != "Plc30 App" || d.Version() != "3.1.4024" {
		t.Errorf("%+v %v", d, err)
	}
	rw, _ := ParseFrame(unhex(t, readWrite))
	if op := rw.Operation(); op.Name != "read_write" || op.Class != discovery.OpRead {
		t.Errorf("read write 0xF003: %+v", op)
	}
	wc, _ := ParseFrame(unhex(t, writeControl))
	if op := wc.Operation(); op.Name != "write_control" || op.Class != discovery.OpControl || wc.TargetPort != 10000 {
		t.Errorf("write control: %+v", op)
	}
}

func TestParseDiscovery(t *testing.T) {
	m, err := ParseDiscovery(unhex(t, discResp))
	if err != nil || !m.Response() || m.Hostname != "CX-2040A7" || m.Version != "3.1.4024" || m.NetID.String() != "10.10.10.41.1.1" {
		t.Errorf("%+v %v", m, err)
	}
	a, err := ParseDiscovery(unhex(t, addRoute))
	if err != nil || a.Operation != OpAddRoute || !a.HasPassword || a.Response() {
		t.Errorf("%+v %v", a, err)
	}
	if _, err := ParseDiscovery(unhex(t, readInfo)); !errors.Is(err, ErrMagic) {
		t.Errorf("ams frame as discovery: %v", err)
	}
}

func TestPrefixes(t *testing.T) {
	for _, h := range []string{discReq, discResp, addRoute, readInfo, readInfoResp, readWrite, writeControl} {
		b := unhex(t, h)
		for i := 0; i < len(b); i++ {
			if n, err := FrameLen(b[:i]); err == nil && n != 0 && n <= i && i >= TCPHeaderLen+AMSHeaderLen {
				t.Fatalf("%s prefix %d: FrameLen %d", h, i, n)
			}
			_, _ = ParseFrame(b[:i])
			_, _ = ParseDiscovery(b[:i])
			_ = New().Detect(b[:i], discovery.ToServer)
		}
	}
	if v := New().Detect([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n0123456789"), discovery.ToServer); v != discovery.No {
		t.Errorf("http: %v", v)
	}
}

// TestDemoCapture runs the demo capture through the engine; the expected
// facts come from tshark's decode of the AMS frames and the discovery
// blocks listed above.
func TestDemoCapture(t *testing.T) {
	var got []string
	for _, o := range runCapture(t, testutil.Fixture("ads", "demo_ads.pcapng"), func() discovery.Dissector { return New() }, func() discovery.Dissector { return NewUDP() }) {
		if o.Protocol != "ads" {
			continue
		}
		switch o.Kind {
		case discovery.KindService:
			got = append(got, fmt.Sprintf("service %s %s/%d %s", o.Asset.IP, o.Transport, o.Port, o.Role))
		case discovery.KindAttribute:
			got = append(got, fmt.Sprintf("attr %s %s=%s", o.Asset.IP, o.Key, o.Value))
		case discovery.KindOperation:
			got = append(got, fmt.Sprintf("op %d %s>%s %s/%s", o.Evidence.Frame, o.Asset.IP, o.Peer.IP, o.Op.Name, o.Op.Class))
		case discovery.KindCommAttribute:
			got = append(got, fmt.Sprintf("comm %s>%s %s=%s", o.Asset.IP, o.Peer.IP, o.Key, o.Value))
		}
	}
	sort.Strings(got)
	want := []string{
		"attr 10.10.10.41 ads.ams_net_id=10.10.10.41.1.1", // once per flow: two UDP, one TCP
		"attr 10.10.10.41 ads.ams_net_id=10.10.10.41.1.1",
		"attr 10.10.10.41 ads.ams_net_id=10.10.10.41.1.1",
		"attr 10.10.10.41 ads.ams_port=10000",
		"attr 10.10.10.41 ads.ams_port=851",
		"attr 10.10.10.41 ads.device_name=Plc30 App",
		"attr 10.10.10.41 ads.hostname=CX-2040A7",
		"attr 10.10.10.41 ads.twincat_version=3.1.4024",
		"attr 10.10.10.41 ads.version=3.1.4024",
		"attr 10.10.20.22 ads.ams_net_id=10.10.20.22.1.1",
		"attr 10.10.20.22 ads.ams_net_id=10.10.20.22.1.1",
		"attr 10.10.20.22 ads.ams_net_id=10.10.20.22.1.1",
		"comm 10.10.20.22>10.10.10.41 ads.route_password_cleartext=true",
		"op 1 10.10.20.22>10.10.10.41 discovery/discovery",
		"op 10 10.10.20.22>10.10.10.41 read_state/read",
		"op 12 10.10.20.22>10.10.10.41 read_write/read",
		"op 14 10.10.20.22>10.10.10.41 write/write",
		"op 16 10.10.20.22>10.10.10.41 write_control/control",
		"op 3 10.10.20.22>10.10.10.41 add_route/config",
		"op 8 10.10.20.22>10.10.10.41 read_device_info/read",
		"service 10.10.10.41 tcp/48898 server",
		"service 10.10.10.41 udp/48899 server", // two UDP flows (client ports 55189, 55190)
		"service 10.10.10.41 udp/48899 server",
		"service 10.10.20.22 tcp/48898 client",
		"service 10.10.20.22 udp/48899 client",
		"service 10.10.20.22 udp/48899 client",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{discReq, discResp, addRoute, readInfo, readInfoResp, readWrite, writeControl} {
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

func BenchmarkParse(b *testing.B) {
	raw, _ := hex.DecodeString(readWrite)
	var flow discovery.Flow
	s := New().NewStream(&flow)
	pkt := &discovery.PacketInfo{Flow: &flow}
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Parse(raw, pkt, emit); err != nil {
			b.Fatal(err)
		}
	}
}
