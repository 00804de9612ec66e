package hartip

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

// Payloads of testdata/fixtures/hartip/demo_hartip.pcapng (`go run ./testdata/gen -only
// 55-hartip`) with tshark 4.0.17's decode.
const (
	// frame 4: "Pass Through Response", short address 0, command 0:
	// expanded device type 0x2680, universal rev 7, device rev 4, software
	// rev 3, device id 0a1b2c, manufacturer id 38.
	cmd0Resp = "0101030000010025068000180000fe26800507040321000a1b2c050400030000260026815c"
	// frame 8: long address a6753e1f07, command 13: Tag "FT101",
	// Descriptor "FEED FLOW".
	cmd13Resp = "010103000003002886a6753e1f070d170000194c70c6082018514480630f5e08208208200f017eef"
	// frame 9: request, long address, command 35 (write PV range values).
	cmd35Req = "010003000004001a82a6753e1f07230913437a00000000000077"
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
	h, err := ParseHeader(unhex(t, cmd0Resp))
	if err != nil || h.Type != 1 || h.ID != 3 || h.Sequence != 1 || h.ByteCount != 37 {
		t.Fatalf("%+v %v", h, err)
	}
	p, err := ParsePDU(h.Body)
	if err != nil || p.Long || p.Command != 0 || !p.Response {
		t.Fatalf("%+v %v", p, err)
	}
	id, err := ParseIdentity(p.Data)
	want := Identity{ExpandedDeviceType: 0x2680, UniversalRevision: 7, DeviceRevision: 4, SoftwareRevision: 3, HardwareRevision: 4, DeviceID: [3]byte{0x0a, 0x1b, 0x2c}, ManufacturerID: 38}
	if err != nil || id != want {
		t.Errorf("%+v %v, want %+v", id, err, want)
	}
	h, _ = ParseHeader(unhex(t, cmd13Resp))
	p, err = ParsePDU(h.Body)
	if err != nil || !p.Long || p.UniqueID() != "26753e1f07" {
		t.Fatalf("%+v %v", p, err)
	}
	if tag, desc := UnpackASCII(p.Data[:6]), UnpackASCII(p.Data[6:18]); tag != "FT101" || desc != "FEED FLOW" {
		t.Errorf("tag %q descriptor %q", tag, desc)
	}
	h, _ = ParseHeader(unhex(t, cmd35Req))
	p, _ = ParsePDU(h.Body)
	if n, c := CommandName(p.Command); n != "write_pv_range_values" || c != discovery.OpConfig || p.Response {
		t.Errorf("%s %s", n, c)
	}
	if _, err := ParseHeader([]byte{9, 0, 0, 0, 0, 0, 0, 8}); !errors.Is(err, ErrHeader) {
		t.Errorf("version 9: %v", err)
	}
}

func TestPrefixes(t *testing.T) {
	for _, h := range []string{cmd0Resp, cmd13Resp, cmd35Req} {
		b := unhex(t, h)
		for i := 0; i < len(b); i++ {
			if n, err := MessageLen(b[:i]); err != nil || (n != 0 && n <= i) {
				t.Fatalf("prefix %d: %d %v", i, n, err)
			}
			if _, err := ParseHeader(b[:i]); err == nil {
				t.Fatalf("prefix %d parsed", i)
			}
			if i > HeaderLen {
				_, _ = ParsePDU(b[HeaderLen:i])
				_, _ = ParseIdentity(b[HeaderLen:i])
			}
		}
	}
}

// TestDemoCapture: the gateway's identity goes on its own IP; the
// transmitter reached by long address is a sub-device of the gateway.
func TestDemoCapture(t *testing.T) {
	var got []string
	for _, o := range runCapture(t, testutil.Fixture("hartip", "demo_hartip.pcapng"), func() discovery.Dissector { return New() }, func() discovery.Dissector { return NewUDP() }) {
		if o.Protocol != "hart_ip" {
			continue
		}
		switch o.Kind {
		case discovery.KindService:
			got = append(got, fmt.Sprintf("service %s %s", o.Asset, o.Role))
		case discovery.KindAttribute:
			got = append(got, fmt.Sprintf("attr %s %s=%s", o.Asset, o.Key, o.Value))
		case discovery.KindOperation:
			got = append(got, fmt.Sprintf("op %d %s>%s %s/%s", o.Evidence.Frame, o.Asset.IP, o.Peer.IP, o.Op.Name, o.Op.Class))
		}
	}
	sort.Strings(got)
	want := []string{
		"attr 10.10.10.70/00:0f:0f:10:00:70 hart.device_id=0a1b2c",
		"attr 10.10.10.70/00:0f:0f:10:00:70 hart.device_revision=4",
		"attr 10.10.10.70/00:0f:0f:10:00:70 hart.expanded_device_type=9856",
		"attr 10.10.10.70/00:0f:0f:10:00:70 hart.hardware_revision=4",
		"attr 10.10.10.70/00:0f:0f:10:00:70 hart.manufacturer_id=38",
		"attr 10.10.10.70/00:0f:0f:10:00:70 hart.software_revision=3",
		"attr 10.10.10.70/00:0f:0f:10:00:70 hart.universal_revision=7",
		"attr 10.10.10.70[hart:uid=26753e1f07] hart.descriptor=FEED FLOW",
		"attr 10.10.10.70[hart:uid=26753e1f07] hart.long_tag=FT-101 FEED FLOW",
		"attr 10.10.10.70[hart:uid=26753e1f07] hart.tag=FT101",
		"op 3 10.10.20.22>10.10.10.70 read_unique_identifier/read",
		"op 5 10.10.20.22>10.10.10.70 read_long_tag/read",
		"op 7 10.10.20.22>10.10.10.70 read_tag_descriptor_date/read",
		"op 9 10.10.20.22>10.10.10.70 write_pv_range_values/config",
		"service 10.10.10.70 server",
		"service 10.10.20.22/00:0c:29:20:00:22 client",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{cmd0Resp, cmd13Resp, cmd35Req} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var flow discovery.Flow
		pkt := &discovery.PacketInfo{Flow: &flow}
		if NewUDP().Detect(b, pkt) == discovery.Yes {
			_ = NewUDP().Datagram(b, pkt, func(discovery.Observation) {})
		}
		_, _ = ParsePDU(b)
	})
}

func BenchmarkDatagram(b *testing.B) {
	raw, _ := hex.DecodeString(cmd35Req)
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
