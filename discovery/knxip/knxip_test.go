package knxip

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

// Payloads of testdata/fixtures/knxip/demo_knxip.pcapng (`go run ./testdata/gen -only
// 54-knxip`) with tshark 4.0.17's summary.
const (
	// frame 2: "SearchResp @10.10.10.60:3671, 1.1.0 "KNX IP Router Building
	// A"", serial 0x00c501020304, TP1.
	searchResp = "06100202004e08010a0a0a3c0e57360102001100000000c501020304e000170c00246d1000604b4e5820495020526f75746572204275696c64696e6720410000000000000a020201030104010501"
	// frame 7: "TunnelReq #15:0 L_Data.req 1.1.255->1/2/3 GroupValueWrite $01".
	groupWrite = "061004200015041500001100bce011ff0a03010081"
	// frame 9: "TunnelReq #15:1 L_Data.req 1.1.255->1.1.5 Restart".
	restart = "061004200015041501001100b06011ff1105014380"
	// frame 11: "RoutingInd L_Data.ind 1.1.20->2/1/1 GroupValueWrite $0C33".
	routing = "0610053000132900bcd0111411010300800c33"
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
	h, err := ParseHeader(unhex(t, searchResp))
	if err != nil || h.Service != SearchResponse {
		t.Fatal(h, err)
	}
	d, err := DeviceInfoOf(h)
	if err != nil {
		t.Fatal(err)
	}
	if d.FriendlyName != "KNX IP Router Building A" || FormatIndividual(d.IndividualAddress) != "1.1.0" || hexString(d.Serial[:]) != "00c501020304" || d.MediumName() != "tp1" {
		t.Errorf("%+v", d)
	}
	for _, tc := range []struct {
		hex, name string
		group     bool
		class     discovery.OpClass
	}{
		{groupWrite, "group_value_write", true, discovery.OpWrite},
		{restart, "restart", false, discovery.OpControl},
	} {
		h, _ := ParseHeader(unhex(t, tc.hex))
		c, err := ParseCEMI(h.Body[4:])
		if err != nil || !c.HasAPCI || c.Group != tc.group {
			t.Fatalf("%+v %v", c, err)
		}
		if n, cl := APCIName(c.APCI); n != tc.name || cl != tc.class {
			t.Errorf("%s: %s/%s", tc.name, n, cl)
		}
	}
	h, _ = ParseHeader(unhex(t, routing))
	c, err := ParseCEMI(h.Body)
	if err != nil || c.MessageCode != 0x29 || FormatIndividual(c.Source) != "1.1.20" || c.APCI != 0x080 {
		t.Errorf("routing %+v %v", c, err)
	}
	if _, err := ParseHeader([]byte("\x06\x11\x02\x01\x00\x06")); !errors.Is(err, ErrHeader) {
		t.Errorf("version 0x11: %v", err)
	}
}

func TestPrefixes(t *testing.T) {
	d := New()
	for _, h := range []string{searchResp, groupWrite, restart, routing} {
		b := unhex(t, h)
		for i := 0; i < len(b); i++ {
			if d.Detect(b[:i], nil) == discovery.Yes {
				t.Fatalf("%s prefix %d detected", h, i)
			}
			_, _ = ParseCEMI(b[:i])
			_, _ = ParseDeviceInfo(b[:i])
			if hd, err := ParseHeader(b[:i]); err == nil {
				_ = d.Datagram(b[:i], &discovery.PacketInfo{}, func(discovery.Observation) {})
				_, _ = DeviceInfoOf(hd)
			}
		}
	}
}

// TestDemoCapture: facts expected from tshark's decode of the capture.
func TestDemoCapture(t *testing.T) {
	var got []string
	for _, o := range runCapture(t, testutil.Fixture("knxip", "demo_knxip.pcapng"), func() discovery.Dissector { return New() }) {
		if o.Protocol != "knxip" {
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
	want := []string{
		"attr 10.10.10.60 knxip.friendly_name=KNX IP Router Building A",
		"attr 10.10.10.60 knxip.individual_address=1.1.0",
		"attr 10.10.10.60 knxip.mac=00:24:6d:10:00:60",
		"attr 10.10.10.60 knxip.medium=tp1",
		"attr 10.10.10.60 knxip.multicast_address=224.0.23.12",
		"attr 10.10.10.60 knxip.serial_number=00c501020304",
		"op 3 10.10.20.22>10.10.10.60 description_request/discovery",
		"op 5 10.10.20.22>10.10.10.60 connect_request/other",
		"op 7 10.10.20.22>10.10.10.60 group_value_write/write",
		"op 9 10.10.20.22>10.10.10.60 restart/control",
		"service 10.10.10.60 publisher",
		"service 10.10.10.60 server",
		"service 10.10.20.22 client", // the multicast search flow
		"service 10.10.20.22 client", // the unicast flow with the router
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{searchResp, groupWrite, restart, routing} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := New()
		var flow discovery.Flow
		pkt := &discovery.PacketInfo{Flow: &flow}
		if d.Detect(b, pkt) == discovery.Yes {
			_ = d.Datagram(b, pkt, func(discovery.Observation) {})
		}
		_, _ = ParseCEMI(b)
	})
}

func BenchmarkDatagram(b *testing.B) {
	raw, _ := hex.DecodeString(groupWrite)
	d := New()
	var flow discovery.Flow
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
