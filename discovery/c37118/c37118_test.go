package c37118

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

// Payloads of testdata/fixtures/c37118/demo_c37118.pcapng (`go run ./testdata/gen -only
// 53-c37118`) as tshark 4.0.17 decodes them.
const (
	// frame 4: "Command Frame, send CFG-2 frame", IDCODE 41, checksum 0x4427 [correct].
	cmdCfg2 = "aa420012002969689e800000000000054427"
	// frame 6: "Command Frame, data transmission on".
	cmdOn = "aa420012002969689e8000000000000234c0"
	// frame 7: "Data Frame".
	data = "aa020030002969689e80000000000000488ca00000000000447a0000bf060a92000000000000000043480000000142df"
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
	f, err := ParseFrame(unhex(t, cmdCfg2))
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != TypeCommand || f.Version != 2 || f.IDCode != 41 || f.SOC != 1768464000 || len(f.Body) != 2 {
		t.Errorf("%+v", f)
	}
	d, err := ParseFrame(unhex(t, data))
	if err != nil || d.Type != TypeData || d.Size != 48 {
		t.Errorf("%+v %v", d, err)
	}
	b := unhex(t, data)
	b[20] ^= 1
	if _, err := ParseFrame(b); !errors.Is(err, ErrCRC) {
		t.Errorf("corrupted: %v", err)
	}
	if Command(1).Class() != discovery.OpControl || Command(5).String() != "send_cfg2" {
		t.Error("command table")
	}
}

func TestPrefixes(t *testing.T) {
	for _, h := range []string{cmdCfg2, cmdOn, data} {
		b := unhex(t, h)
		for i := 0; i < len(b); i++ {
			if n, err := FrameLen(b[:i]); err != nil || (n != 0 && n <= i) {
				t.Fatalf("%s prefix %d: %d %v", h, i, n, err)
			}
			if _, err := ParseFrame(b[:i]); err == nil {
				t.Fatalf("%s prefix %d parsed", h, i)
			}
			_, _ = ParseConfig(b[:i])
			if v := NewUDP().Detect(b[:i], nil); v == discovery.Yes {
				t.Fatalf("prefix %d detected as a whole datagram", i)
			}
		}
	}
}

// TestDemoCapture: the CFG-2 of frame 5 names station "SUB4_PMU1" (tshark:
// Station #1 "SUB4_PMU1       ", 60 Hz), PMU id code 41, 30 frames/s; the
// PDC (10.10.20.23) sends send-CFG-2, data on, data off.
func TestDemoCapture(t *testing.T) {
	var got []string
	for _, o := range runCapture(t, testutil.Fixture("c37118", "demo_c37118.pcapng"), func() discovery.Dissector { return New() }, func() discovery.Dissector { return NewUDP() }) {
		if o.Protocol != "c37118" {
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
		"attr 10.10.10.50 c37118.data_rate=30",
		"attr 10.10.10.50 c37118.idcode=41",
		"attr 10.10.10.50 c37118.nominal_frequency=60",
		"attr 10.10.10.50 c37118.pmu_idcode=41",
		"attr 10.10.10.50 c37118.station_name=SUB4_PMU1",
		"attr 10.10.10.50 c37118.version=2011",
		"op 10 10.10.20.23>10.10.10.50 turn_off_data/control",
		"op 4 10.10.20.23>10.10.10.50 send_cfg2/read",
		"op 6 10.10.20.23>10.10.10.50 turn_on_data/control",
		"service 10.10.10.50 tcp/4712 server",
		"service 10.10.20.23 tcp/4712 client",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{cmdCfg2, cmdOn, data} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var flow discovery.Flow
		pkt := &discovery.PacketInfo{Flow: &flow}
		emit := func(discovery.Observation) {}
		if NewUDP().Detect(b, pkt) == discovery.Yes {
			_ = NewUDP().Datagram(b, pkt, emit)
		}
		_, _ = ParseConfig(b)
	})
}

func BenchmarkParse(b *testing.B) {
	raw, _ := hex.DecodeString(data)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFrame(raw); err != nil {
			b.Fatal(err)
		}
	}
}
