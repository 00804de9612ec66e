package slmp

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

// Frames of testdata/fixtures/slmp/demo_slmp.pcapng (`go run ./testdata/gen -only
// 57-slmp`). Wireshark 4.0 has no SLMP dissector; the request layout is
// the one public MC-protocol clients send, e.g. the batch read
// "500000FFFF03000C001000010400002C0100A80300" (D300, 3 words) and the bit
// write "500000FFFF03000D0010000114010018020090010010" found in several
// open-source MELSEC clients.
const (
	readModel     = "500000ffff03000600100001010000"                             // frame 4: 0101 read CPU model
	readModelResp = "d00000ffff030014000000513033554456435055202020202020206603" // frame 5: "Q03UDVCPU", code 0x0366
	readD100      = "500000ffff03000c00100001040000640000a80a00"                 // frame 6: 0401 D100, 10 words
	writeM0       = "500000ffff03000d0010000114010000000090010010"               // frame 8: 1401/0001 M0 = ON
	remoteStop    = "500000ffff030008001000021000000100"                         // frame 10: 1002 remote STOP
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		hex   string
		cmd   Command
		sub   uint16
		class discovery.OpClass
	}{
		{readModel, 0x0101, 0, discovery.OpDiscovery},
		{readD100, 0x0401, 0, discovery.OpRead},
		{writeM0, 0x1401, 1, discovery.OpWrite},
		{remoteStop, 0x1002, 0, discovery.OpControl},
		{"500000FFFF03000C001000010400002C0100A80300", 0x0401, 0, discovery.OpRead},
	} {
		f, err := Parse(unhex(t, tc.hex))
		if err != nil || f.Response || f.Command != tc.cmd || f.Subcommand != tc.sub || f.Command.Class() != tc.class || f.ModuleIO != 0x03ff || f.Station != 0xff {
			t.Errorf("%s: %+v %v", tc.hex, f, err)
		}
	}
	r, err := Parse(unhex(t, readModelResp))
	if err != nil || !r.Response || r.EndCode != 0 {
		t.Fatal(r, err)
	}
	m, err := ParseCPUModel(r.Data)
	if err != nil || m.Name != "Q03UDVCPU" || m.Code != 0x0366 {
		t.Errorf("%+v %v", m, err)
	}
	bad := unhex(t, readD100)
	bad[4] = 0x00 // module I/O 0x0300: not a CPU
	if _, err := FrameLen(bad); !errors.Is(err, ErrHeader) {
		t.Errorf("I/O 0x0300: %v", err)
	}
}

func TestDetectAndPrefixes(t *testing.T) {
	d := New()
	for _, h := range []string{readModel, readModelResp, readD100, writeM0, remoteStop} {
		b := unhex(t, h)
		if d.Detect(b, discovery.ToServer) != discovery.Yes || NewUDP().Detect(b, nil) != discovery.Yes {
			t.Errorf("%s not detected", h)
		}
		for i := 0; i < len(b); i++ {
			if n, err := FrameLen(b[:i]); err != nil || (n != 0 && n <= i) {
				t.Fatalf("%s prefix %d: %d %v", h, i, n, err)
			}
			if _, err := Parse(b[:i]); err == nil {
				t.Fatalf("%s prefix %d parsed", h, i)
			}
			if NewUDP().Detect(b[:i], nil) == discovery.Yes {
				t.Fatalf("%s prefix %d detected as a datagram", h, i)
			}
		}
	}
	for _, s := range []string{"GET / HTTP/1.1\r\n\r\n", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"} {
		if d.Detect([]byte(s), discovery.ToServer) != discovery.No {
			t.Errorf("%q detected", s)
		}
	}
}

func TestDemoCapture(t *testing.T) {
	var got []string
	for _, o := range runCapture(t, testutil.Fixture("slmp", "demo_slmp.pcapng"), func() discovery.Dissector { return New() }, func() discovery.Dissector { return NewUDP() }) {
		if o.Protocol != "slmp" {
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
		"attr 10.10.10.80 slmp.cpu_model=Q03UDVCPU",
		"attr 10.10.10.80 slmp.model_code=0x366",
		"op 10 10.10.20.22>10.10.10.80 remote_stop/control",
		"op 12 10.10.20.22>10.10.10.80 remote_run/control",
		"op 4 10.10.20.22>10.10.10.80 read_cpu_model/discovery",
		"op 6 10.10.20.22>10.10.10.80 device_read/read",
		"op 8 10.10.20.22>10.10.10.80 device_write/write",
		"service 10.10.10.80 tcp/5010 server",
		"service 10.10.20.22 tcp/5010 client",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{readModel, readModelResp, readD100, writeM0, remoteStop} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var flow discovery.Flow
		pkt := &discovery.PacketInfo{Flow: &flow}
		if NewUDP().Detect(b, pkt) == discovery.Yes {
			_ = NewUDP().Datagram(b, pkt, func(discovery.Observation) {})
		}
		_ = New().Detect(b, 0)
	})
}

func BenchmarkParse(b *testing.B) {
	raw, _ := hex.DecodeString(readD100)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
