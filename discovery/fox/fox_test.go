package fox

import (
	"errors"
	"fmt"
	"github.com/otzone/otzone/internal/testutil"
	"sort"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
)

// The client hello of nmap's fox-info.nse (its probe, byte for byte).
const nmapHello = "fox a 1 -1 fox hello\n{\nfox.version=s:1.0\nid=i:1\n};;\n"

func TestParseFrame(t *testing.T) {
	f, err := ParseFrame([]byte(nmapHello))
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != 'a' || f.Sequence != 1 || f.ReplyTo != -1 || f.Channel != "fox" || f.Command != "hello" || f.Get("fox.version") != "1.0" || f.Get("id") != "1" {
		t.Errorf("%+v", f)
	}
	// A nested object value (sysInfo=o:bog ...) and multi-line text do not
	// leak into the top-level fields that follow.
	nested := "fox a 0 -1 fox hello\n{\nsysInfo=o:bog 61[<bog version=\"1.0\">\n<p m=\"b=baja\"/>\n</bog>\n]\nstation.name=s:JACE_A\n};;\n"
	g, err := ParseFrame([]byte(nested))
	if err != nil || g.Get("station.name") != "JACE_A" {
		t.Errorf("%+v %v", g, err)
	}
	if _, err := FrameLen([]byte("GET / HTTP/1.1\r\n")); !errors.Is(err, ErrHeader) {
		t.Errorf("http: %v", err)
	}
	if _, err := FrameLen([]byte("fox " + strings.Repeat("x", MaxFrame))); !errors.Is(err, ErrSize) {
		t.Errorf("oversize: %v", err)
	}
	for i := 0; i < len(nmapHello); i++ {
		if n, err := FrameLen([]byte(nmapHello[:i])); err != nil || n != 0 {
			t.Fatalf("prefix %d: %d %v", i, n, err)
		}
		if _, err := ParseFrame([]byte(nmapHello[:i])); err == nil {
			t.Fatalf("prefix %d parsed", i)
		}
	}
	if v := New().Detect([]byte("fox a"), discovery.ToServer); v != discovery.NeedMore {
		t.Errorf("detect 5 bytes: %v", v)
	}
}

// TestDemoCapture: testdata/fixtures/fox/demo_fox.pcapng (`go run ./testdata/gen -only
// 56-fox`) carries Workbench's hello (frame 4) and the station's (frame 5,
// station.name=s:JACE_BLDG_A, app.version=s:4.10.1.36, os.name=s:QNX, ...)
// and a challenge exchange. There is no Wireshark dissector for Fox; the
// expected values are the hello lines themselves.
func TestDemoCapture(t *testing.T) {
	var got []string
	for _, o := range runCapture(t, testutil.Fixture("fox", "demo_fox.pcapng"), func() discovery.Dissector { return New() }) {
		if o.Protocol != "fox" {
			continue
		}
		switch o.Kind {
		case discovery.KindService:
			got = append(got, fmt.Sprintf("service %s %s", o.Asset.IP, o.Role))
		case discovery.KindAttribute:
			got = append(got, fmt.Sprintf("attr %s %s=%s", o.Asset.IP, o.Key, o.Value))
		case discovery.KindOperation:
			got = append(got, fmt.Sprintf("op %d %s>%s %s/%s", o.Evidence.Frame, o.Asset.IP, o.Peer.IP, o.Op.Name, o.Op.Class))
		}
	}
	sort.Strings(got)
	tz := "America/New_York;-18000000;3600000;02:00:00.000,wall,march,8,on or after,sunday,undefined;02:00:00.000,wall,november,1,on or after,sunday,undefined"
	want := []string{
		"attr 10.10.10.15 fox.app_name=Station",
		"attr 10.10.10.15 fox.app_version=4.10.1.36",
		"attr 10.10.10.15 fox.brand_id=vykon",
		"attr 10.10.10.15 fox.host_id=Qnx-TITN-0000-1BD7-02C4",
		"attr 10.10.10.15 fox.host_name=10.10.10.15",
		"attr 10.10.10.15 fox.os_name=QNX",
		"attr 10.10.10.15 fox.os_version=6.5.0",
		"attr 10.10.10.15 fox.station_name=JACE_BLDG_A",
		"attr 10.10.10.15 fox.time_zone=" + tz,
		"attr 10.10.10.15 fox.version=1.0",
		"attr 10.10.10.15 fox.vm_name=Java HotSpot(TM) Embedded Client VM",
		"attr 10.10.10.15 fox.vm_version=25.181-b13",
		"attr 10.10.20.21 fox.app_name=Workbench",
		"attr 10.10.20.21 fox.app_version=4.10.1.36",
		"attr 10.10.20.21 fox.host_name=hmi-1",
		"attr 10.10.20.21 fox.os_name=Windows 10",
		"attr 10.10.20.21 fox.os_version=10.0",
		"attr 10.10.20.21 fox.time_zone=" + tz,
		"attr 10.10.20.21 fox.version=1.0",
		"attr 10.10.20.21 fox.vm_name=OpenJDK 64-Bit Server VM",
		"attr 10.10.20.21 fox.vm_version=11.0.14",
		"op 4 10.10.20.21>10.10.10.15 fox_hello/discovery",
		"op 6 10.10.20.21>10.10.10.15 fox_challenge/other",
		"service 10.10.10.15 server",
		"service 10.10.20.21 client",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(nmapHello))
	f.Add([]byte("fox a 0 -1 fox hello\n{\nsysInfo=o:bog 61[<bog>\n]\n};;\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New().NewStream(nil)
		pkt := &discovery.PacketInfo{}
		if n, err := s.PDULen(b, 0); err == nil && n > 0 && n <= len(b) {
			_ = s.Parse(b[:n], pkt, func(o discovery.Observation) {
				if len(o.Value) > 256 {
					t.Fatalf("value %d bytes", len(o.Value))
				}
			})
		}
	})
}

func BenchmarkParse(b *testing.B) {
	raw := []byte(nmapHello)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFrame(raw); err != nil {
			b.Fatal(err)
		}
	}
}
