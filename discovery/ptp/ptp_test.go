package ptp

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

// Frames of testdata/fixtures/ptp/demo_ptp.pcapng (`go run ./testdata/gen -only 50-ptp`),
// PTP payload after the 802.1Q tag, as tshark 4.0.17 decodes them.
const (
	// frame 1: "Announce Message": ClockIdentity 0x001b19fffe100030,
	// domain 0, priority1 128, grandmasterClockClass 6, accuracy 0x21,
	// variance 20061, priority2 128, grandmaster 0x001b19fffe100030, steps
	// removed 0, timeSource GPS (0x20).
	announce = "0b02004000000200000000000000000000000000001b19fffe10003000010000050000006968a880000000000025008006214e5d80001b19fffe100030000020"
	// frame 4: "Delay_Req Message" from ClockIdentity 0x000f73fffe100017.
	delayReq = "0102002c00000000000000000000000000000000000f73fffe10001700010000017f00006968a88000000000"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseAnnounce(t *testing.T) {
	m, err := Parse(unhex(t, announce))
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != Announce || m.Length != 64 || m.Domain != 0 || m.ClockIdentity.String() != "00:1b:19:ff:fe:10:00:30" || m.PortNumber != 1 {
		t.Fatalf("header %+v", m.Header)
	}
	a := m.Announce
	want := AnnounceBody{UTCOffset: 37, Priority1: 128, ClockClass: 6, ClockAccuracy: 0x21, Variance: 20061, Priority2: 128,
		GrandmasterIdentity: m.ClockIdentity, StepsRemoved: 0, TimeSource: 0x20}
	if a == nil || *a != want {
		t.Fatalf("announce %+v, want %+v", a, want)
	}
	if a.TimeSource.String() != "gps" {
		t.Errorf("time source %s", a.TimeSource)
	}
}

func TestParseErrors(t *testing.T) {
	b := unhex(t, announce)
	b[1] = 0x01
	if _, err := Parse(b); !errors.Is(err, ErrVersion) {
		t.Errorf("v1: %v", err)
	}
	b = unhex(t, announce)
	b[0] = 0x05
	if _, err := Parse(b); !errors.Is(err, ErrType) {
		t.Errorf("type 5: %v", err)
	}
	b = unhex(t, announce)
	if _, err := Parse(b[:50]); !errors.Is(err, ErrShort) {
		t.Errorf("truncated: %v", err)
	}
	for i := 0; i < len(b); i++ {
		if _, err := Parse(b[:i]); err == nil {
			t.Fatalf("prefix %d parsed", i)
		}
	}
}

// TestDemoCapture runs the demo capture through the engine: the
// grandmaster is a master with its identity and announce facts, the IED a
// slave.
func TestDemoCapture(t *testing.T) {
	var got []string
	for _, o := range runCapture(t, testutil.Fixture("ptp", "demo_ptp.pcapng"), func() discovery.Dissector { return New() }) {
		if o.Protocol != "ptp" {
			continue
		}
		switch o.Kind {
		case discovery.KindService:
			got = append(got, fmt.Sprintf("%s %s %s", o.Asset.MAC, o.Transport, o.Role))
		case discovery.KindAttribute:
			got = append(got, fmt.Sprintf("%s %s=%s", o.Asset.MAC, o.Key, o.Value))
		}
	}
	sort.Strings(got)
	want := []string{
		"00:0f:73:10:00:17 eth slave",
		"00:0f:73:10:00:17 ptp.clock_identity=00:0f:73:ff:fe:10:00:17",
		"00:0f:73:10:00:17 ptp.domain=0",
		"00:1b:19:10:00:30 eth master",
		"00:1b:19:10:00:30 ptp.clock_identity=00:1b:19:ff:fe:10:00:30",
		"00:1b:19:10:00:30 ptp.domain=0",
		"00:1b:19:10:00:30 ptp.grandmaster=true",
		"00:1b:19:10:00:30 ptp.grandmaster_clock_class=6",
		"00:1b:19:10:00:30 ptp.grandmaster_identity=00:1b:19:ff:fe:10:00:30",
		"00:1b:19:10:00:30 ptp.grandmaster_priority1=128",
		"00:1b:19:10:00:30 ptp.grandmaster_priority2=128",
		"00:1b:19:10:00:30 ptp.steps_removed=0",
		"00:1b:19:10:00:30 ptp.time_source=gps",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestManagementOperation(t *testing.T) {
	// A management GET: header type 0xd, then targetPortIdentity (unicast
	// clock), boundary hops, action 0 (IEEE 1588-2008 15.4.1).
	b := unhex(t, announce)[:34]
	b[0], b[3] = 0x0d, 48
	b = append(b, 0x00, 0x1b, 0x19, 0xff, 0xfe, 0x10, 0x00, 0x30, 0x00, 0x01, 1, 1, 0x00, 0x00)
	d := New()
	var ops []discovery.Operation
	pkt := &discovery.PacketInfo{Dst: discovery.Endpoint{MAC: discovery.MAC{0x00, 0x1b, 0x19, 0x10, 0x00, 0x30}}}
	if err := d.Frame(b, pkt, func(o discovery.Observation) {
		if o.Kind == discovery.KindOperation {
			ops = append(ops, o.Op)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || ops[0].Name != "management_get" || ops[0].Class != discovery.OpRead {
		t.Errorf("ops %+v", ops)
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{announce, delayReq} {
		b, _ := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := New()
		pkt := &discovery.PacketInfo{}
		_ = d.Frame(b, pkt, func(discovery.Observation) {})
		if d.Detect(b, pkt) == discovery.Yes {
			_ = d.Datagram(b, pkt, func(discovery.Observation) {})
		}
	})
}

func BenchmarkParse(b *testing.B) {
	raw, _ := hex.DecodeString(announce)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
