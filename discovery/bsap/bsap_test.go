package bsap

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

// Datagrams of testdata/fixtures/bsap/demo_bsap.pcapng (`go run ./testdata/gen -only
// 59-bsap`), built to the ICSNPP layout (there is no Wireshark dissector).
const (
	readReq  = "0e00010006000100000000000000170000000e01000000a0000446543130312e464c4f5700"
	readResp = "160001000500010000000000000000000000000000000f0000001601000000000100004843"
	writeReq = "0e000100060002000000000000001a0000000e02000000a000845049433230312e53500000002042"
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
	m, err := Parse(unhex(t, readReq))
	if err != nil || !m.Request() || !m.HasRDB || m.RDBFunc != 0x04 || m.Sequence != 1 {
		t.Fatalf("%+v %v", m, err)
	}
	if op, ok := m.Operation(); !ok || op.Name != "read_signal_by_name" || op.Class != discovery.OpRead {
		t.Errorf("%+v", op)
	}
	w, _ := Parse(unhex(t, writeReq))
	if op, _ := w.Operation(); op.Name != "write_signal_by_name" || op.Class != discovery.OpWrite {
		t.Errorf("%+v", op)
	}
	r, err := Parse(unhex(t, readResp))
	if err != nil || r.Request() || r.HasRequest {
		t.Errorf("%+v %v", r, err)
	}
	s, err := Parse([]byte{0x10, 0x02, 0x81, 0x01, 0xa0, 0x00, 0x10, 0x03, 0x12, 0x34})
	if err != nil || !s.Serial {
		t.Errorf("serial: %+v %v", s, err)
	}
}

// UDP 1234 is a generic port: common traffic there must not be taken for
// BSAP (ICSNPP's signature: 0x0E/0x16, 0, n, 0, function, 0).
func TestStrictDetect(t *testing.T) {
	d := New()
	for name, h := range map[string]string{
		"mpeg-ts (VLC)":   "474011100042f0250001c10000ff01ff0001fc80",
		"rtp":             "80210001000000000000000100000000",
		"dns-like":        "12340100000100000000000003777777",
		"bad function":    "0e0001000700010000000000000000",
		"nonzero byte 5":  "0e0001000601",
		"serial, no etx":  "10028101a0000000",
		"short":           "0e00",
		"header overflow": "16000100050001",
	} {
		if d.Detect(unhex(t, h), nil) != discovery.No {
			t.Errorf("%s detected", name)
		}
	}
	if _, err := Parse(unhex(t, "0e0001000700")); !errors.Is(err, ErrHeader) {
		t.Errorf("function 7: %v", err)
	}
	for _, h := range []string{readReq, readResp, writeReq} {
		b := unhex(t, h)
		for i := 0; i <= len(b); i++ {
			_, _ = Parse(b[:i])
		}
	}
}

func TestDemoCapture(t *testing.T) {
	var got []string
	for _, o := range runCapture(t, testutil.Fixture("bsap", "demo_bsap.pcapng"), func() discovery.Dissector { return New() }) {
		if o.Protocol != "bsap" {
			continue
		}
		switch o.Kind {
		case discovery.KindService:
			got = append(got, fmt.Sprintf("service %s %d %s", o.Asset.IP, o.Port, o.Role))
		case discovery.KindOperation:
			got = append(got, fmt.Sprintf("op %d %s>%s %s/%s", o.Evidence.Frame, o.Asset.IP, o.Peer.IP, o.Op.Name, o.Op.Class))
		}
	}
	sort.Strings(got)
	want := []string{
		"op 1 10.10.20.23>10.10.10.100 read_signal_by_name/read",
		"op 3 10.10.20.23>10.10.10.100 write_signal_by_name/write",
		"service 10.10.10.100 1234 server",
		"service 10.10.20.23 1234 client",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{readReq, readResp, writeReq} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := New()
		pkt := &discovery.PacketInfo{}
		if d.Detect(b, pkt) == discovery.Yes {
			_ = d.Datagram(b, pkt, func(discovery.Observation) {})
		}
	})
}

func BenchmarkParse(b *testing.B) {
	raw, _ := hex.DecodeString(readReq)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
