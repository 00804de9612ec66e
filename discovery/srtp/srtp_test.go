package srtp

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/otzone/otzone/internal/testutil"
	"sort"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
)

// request builds a header as gesrtp-py's SRTPPacket.build_request does
// (byte 0 0x02, sequence at 2 and 30, 0x01 at 9 and 17, message type 0xC0
// at 31, mailbox 10 0e 00 00 at 36, packet 1 of 1 at 40-41, service at 42,
// segment selector at 43, offset and length little endian at 44-47).
func request(seq, service, segment byte) []byte {
	b := make([]byte, HeaderLen)
	b[0], b[2], b[9], b[17], b[30], b[31] = 0x02, seq, 1, 1, seq, 0xc0
	b[36], b[37], b[40], b[41], b[42], b[43] = 0x10, 0x0e, 1, 1, service, segment
	b[46] = 10
	return b
}

func TestParse(t *testing.T) {
	h, err := Parse(request(7, 0x04, 0x08))
	if err != nil || h.Type != 2 || h.Sequence != 7 || h.MessageType != MsgRequest || h.Service != 0x04 || h.Segment != 0x08 || len(h.Text) != 0 {
		t.Fatalf("%+v %v", h, err)
	}
	if Service(0x23).String() != "set_plc_state" || Service(0x23).Class() != discovery.OpControl || Service(0x40).Class() != discovery.OpProgram {
		t.Error("service table")
	}
	// Text length (offset 4) extends the message.
	w := request(2, 0x07, 0x08)
	w[4] = 2
	w = append(w, 0x64, 0x00)
	if n, err := MessageLen(w); err != nil || n != 58 {
		t.Errorf("MessageLen %d %v", n, err)
	}
	bad := request(1, 0x04, 0x08)
	bad[31] = 0x55
	if _, err := Parse(bad); !errors.Is(err, ErrHeader) {
		t.Errorf("message type 0x55: %v", err)
	}
	z := make([]byte, HeaderLen)
	z[20] = 1
	if _, err := Parse(z); !errors.Is(err, ErrHeader) {
		t.Errorf("non-zero init: %v", err)
	}
	for i := 0; i < HeaderLen; i++ {
		if n, err := MessageLen(w[:i]); err != nil || n != 0 {
			t.Fatalf("prefix %d: %d %v", i, n, err)
		}
	}
	if New().Detect([]byte("GET / HTTP/1.1\r\n"), discovery.ToServer) != discovery.No {
		t.Error("http detected")
	}
	if New().Detect(bytes.Repeat([]byte{0}, HeaderLen), discovery.ToServer) != discovery.Yes {
		t.Error("init not detected")
	}
}

// TestDemoCapture: testdata/fixtures/srtp/demo_srtp.pcapng (`go run ./testdata/gen -only
// 58-srtp`): initialisation (frames 4-5), read %R (6), write %R (8),
// set PLC state (10). Wireshark has no SRTP dissector.
func TestDemoCapture(t *testing.T) {
	var got []string
	for _, o := range runCapture(t, testutil.Fixture("srtp", "demo_srtp.pcapng"), func() discovery.Dissector { return New() }) {
		if o.Protocol != "srtp" {
			continue
		}
		switch o.Kind {
		case discovery.KindService:
			got = append(got, fmt.Sprintf("service %s %s", o.Asset.IP, o.Role))
		case discovery.KindOperation:
			got = append(got, fmt.Sprintf("op %d %s>%s %s/%s", o.Evidence.Frame, o.Asset.IP, o.Peer.IP, o.Op.Name, o.Op.Class))
		}
	}
	sort.Strings(got)
	want := []string{
		"op 10 10.10.20.22>10.10.10.90 set_plc_state/control",
		"op 6 10.10.20.22>10.10.10.90 read_system_memory/read",
		"op 8 10.10.20.22>10.10.10.90 write_system_memory/write",
		"service 10.10.10.90 server",
		"service 10.10.20.22 client",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParse(f *testing.F) {
	f.Add(request(1, 0x04, 0x08))
	f.Add(make([]byte, HeaderLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New().NewStream(nil)
		if n, err := s.PDULen(b, 0); err == nil && n > 0 && n <= len(b) {
			_ = s.Parse(b[:n], &discovery.PacketInfo{}, func(discovery.Observation) {})
		}
	})
}

func BenchmarkParse(b *testing.B) {
	raw := request(1, 0x04, 0x08)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
