package bacnet

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// UDP payloads from the shared captures (tshark -e udp.payload).
const (
	// bacnet_services.pcap frame 287: Original-Broadcast-NPDU, NPDU control
	// 0x28 (DNET 65535, SNET 3, SADR 0x6c, hop 254), "Unconfirmed-REQ i-Am
	// device,108", max APDU 480, segmentation both (0), vendor 42.
	iAmRouted = "810b001c0128ffff000003016cfe1000c40200006c2201e09100212a"
	// bacnet_example.pcap frame 133: "Complex-ACK readProperty[1]
	// device,501 object-name" = "PLC_28" (UTF-8).
	rpObjectName = "810a001b010030010c0c020001f5194d3e750700504c435f32383f"
	// bacnet_services.pcap frame 632: "Complex-ACK readProperty[147]
	// device,29 vendor-name" = "Lithonia Lighting, Inc.".
	rpVendorName = "810a003001080003011d30930c0c0200001d19793e7518004c6974686f6e6961204c69676874696e672c20496e632e3f"
	// bacnet_example.pcap frame 572: "Confirmed-REQ reinitializeDevice[1]";
	// its BVLC length says 17 but the datagram has 25 bytes.
	reinit = "810a001101040005011409061d0b0044656c63617474793730"
	// bacnet_error_reject_abort.pcap frames 43-45: Error
	// reinitializeDevice[52], Reject unrecognized-service[58], Abort other[1].
	errorPDU  = "810a00120120000d013dff5034149105911a"
	rejectPDU = "810a000e0120000d013dff603a09"
	abortPDU  = "810b00090100710100"
)

func TestParseIAm(t *testing.T) {
	bv, err := ParseBVLC(unhex(t, iAmRouted))
	if err != nil || bv.Function != BVLCOriginalBroadcastNPDU || bv.Mismatch {
		t.Fatalf("bvlc %+v %v", bv, err)
	}
	n, err := ParseNPDU(bv.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if !n.HasDest || n.DNET != 0xffff || len(n.DADR) != 0 || !n.HasSrc || n.SNET != 3 || hex.EncodeToString(n.SADR) != "6c" {
		t.Fatalf("npdu %+v", n)
	}
	a, err := ParseAPDU(n.APDU)
	if err != nil || a.Type != PDUUnconfirmedRequest || UnconfirmedService(a.Service) != SvcIAm {
		t.Fatalf("apdu %+v %v", a, err)
	}
	r, err := ParseIAm(a.Data)
	if err != nil {
		t.Fatal(err)
	}
	want := IAm{Device: 8<<22 | 108, MaxAPDU: 480, Segmentation: 0, VendorID: 42}
	if r != want {
		t.Fatalf("i-am %+v, want %+v", r, want)
	}
}

func TestParseReadPropertyAck(t *testing.T) {
	for _, tc := range []struct {
		name, hex string
		want      Property
	}{
		{"object-name", rpObjectName, Property{Object: 8<<22 | 501, ID: 77, Value: "PLC_28", Text: true}},
		{"vendor-name", rpVendorName, Property{Object: 8<<22 | 29, ID: 121, Value: "Lithonia Lighting, Inc.", Text: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bv, _ := ParseBVLC(unhex(t, tc.hex))
			n, _ := ParseNPDU(bv.Payload)
			a, err := ParseAPDU(n.APDU)
			if err != nil || a.Type != PDUComplexAck || ConfirmedService(a.Service) != SvcReadProperty {
				t.Fatalf("apdu %+v %v", a, err)
			}
			p, err := ParseReadPropertyAck(a.Data)
			if err != nil {
				t.Fatal(err)
			}
			if p != tc.want {
				t.Fatalf("got %+v, want %+v", p, tc.want)
			}
		})
	}
}

// bacnet_services.pcap frame 279 is segment 0 of a segmented
// ReadPropertyMultiple-ACK (SEG and MOR set, invoke 136); Wireshark's
// reassembly at frame 281 shows 32 object results, the last of which
// (object 0x854) is in frame 281: segment 0 holds 31, each asking for
// present-value (85), some answered with a real, some with an error.
func TestParseReadPropertyMultipleAckSegment(t *testing.T) {
	const frame279 = "810a01ea01080003016c3c8800100e0c000008351e29554e44425c00004f1f0c000008361e29554e44425c00004f1f0c000008371e29554e44425c00004f1f0c000008381e29555e9101911f5f1f0c000008391e29555e9101911f5f1f0c0000083a1e29555e9101911f5f1f0c0000083b1e29555e9101911f5f1f0c0000083c1e29555e9101911f5f1f0c0000083d1e29555e9101911f5f1f0c0000083e1e29554e44000000004f1f0c0000083f1e29554e4442c800004f1f0c000008401e29554e44426800004f1f0c000008411e29554e44425c00004f1f0c000008421e29554e44000000004f1f0c000008431e29554e44422400004f1f0c000008441e29554e44000000004f1f0c000008451e29555e9101911f5f1f0c000008461e29555e9101911f5f1f0c000008471e29555e9101911f5f1f0c000008481e29555e9101911f5f1f0c000008491e29555e9101911f5f1f0c0000084a1e29555e9101911f5f1f0c0000084b1e29555e9101911f5f1f0c0000084c1e29555e9101911f5f1f0c0000084d1e29555e9101911f5f1f0c0000084e1e29555e9101911f5f1f0c0000084f1e29555e9101911f5f1f0c000008501e29555e9101911f5f1f0c000008511e29555e9101911f5f1f0c000008521e29555e9101911f5f1f0c000008531e29555e9101911f5f1f"
	bv, _ := ParseBVLC(unhex(t, frame279))
	n, _ := ParseNPDU(bv.Payload)
	a, err := ParseAPDU(n.APDU)
	if err != nil || !a.Segmented || a.Sequence != 0 || a.InvokeID != 136 || ConfirmedService(a.Service) != SvcReadPropertyMultiple {
		t.Fatalf("apdu %+v %v", a, err)
	}
	var got []Property
	if err := ParseReadPropertyMultipleAck(a.Data, func(p Property) { got = append(got, p) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 31 || got[0].Object.Instance() != 0x835 || got[30].Object.Instance() != 0x853 {
		t.Fatalf("%d results (first %+v)", len(got), got[0])
	}
	for _, p := range got {
		if p.ID != 85 || p.Text {
			t.Fatalf("result %+v", p)
		}
	}
}

func TestParseBVLCMismatch(t *testing.T) {
	bv, err := ParseBVLC(unhex(t, reinit))
	if err != nil || !bv.Mismatch {
		t.Fatalf("bvlc %+v %v", bv, err)
	}
	d := New()
	if v := d.Detect(unhex(t, reinit), &discovery.PacketInfo{SrcPort: Port, DstPort: Port}); v != discovery.Yes {
		t.Errorf("on 47808: %v", v)
	}
	if v := d.Detect(unhex(t, reinit), &discovery.PacketInfo{SrcPort: 5000, DstPort: 5001}); v != discovery.No {
		t.Errorf("on another port a short BVLC length must be refused: %v", v)
	}
	b := unhex(t, reinit)
	b[3] = 3 // below the header's own size
	if _, err := ParseBVLC(b); !errors.Is(err, ErrBVLC) {
		t.Errorf("err %v", err)
	}
}

func TestServerSide(t *testing.T) {
	for _, tc := range []struct {
		name, hex string
		typ       PDUType
		server    bool
	}{
		{"error frame 43", errorPDU, PDUError, true},
		{"reject frame 44", rejectPDU, PDUReject, true},
		// Abort 0x71: SRV bit set: sent by the server.
		{"abort frame 45", abortPDU, PDUAbort, true},
		{"confirmed request frame 572", reinit, PDUConfirmedRequest, false},
	} {
		bv, _ := ParseBVLC(unhex(t, tc.hex))
		n, err := ParseNPDU(bv.Payload)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		a, err := ParseAPDU(n.APDU)
		if err != nil || a.Type != tc.typ || a.FromServer() != tc.server {
			t.Errorf("%s: %+v %v", tc.name, a, err)
		}
	}
}

// A routed I-Am makes an asset behind the router: IP and MAC of the router,
// Sub naming the remote network and address.
func TestRoutedDevice(t *testing.T) {
	d := New()
	mac, _ := discovery.ParseMAC("00:e0:c9:00:10:a5")
	pkt := &discovery.PacketInfo{
		Src: discovery.Endpoint{MAC: mac, IP: netip.MustParseAddr("192.168.0.24")}, SrcPort: Port,
		Dst: discovery.Endpoint{MAC: discovery.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, IP: netip.MustParseAddr("192.168.0.255")}, DstPort: Port,
	}
	var obs []discovery.Observation
	if err := d.Datagram(unhex(t, iAmRouted), pkt, func(o discovery.Observation) { obs = append(obs, o) }); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range obs {
		if o.Asset.Sub != "bacnet:net=3,adr=6c" || o.Asset.IP != pkt.Src.IP || o.Asset.MAC != mac {
			t.Errorf("observation about %v", o.Asset)
		}
		got[o.Kind.String()+" "+o.Key+o.Role] = o.Value
	}
	want := map[string]string{
		"service server": "", "attribute bacnet.device_instance": "108", "attribute bacnet.vendor_id": "42",
		"attribute bacnet.vendor_name": "Acuity Brands Lighting, Inc.",
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %q, want %q", k, g, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
}

func TestPrefixes(t *testing.T) {
	d := New()
	for _, h := range []string{iAmRouted, rpObjectName, rpVendorName, reinit, errorPDU, rejectPDU, abortPDU} {
		b := unhex(t, h)
		for i := 0; i <= len(b); i++ {
			p := b[:i]
			_, _ = ParseBVLC(p)
			if len(p) > 4 {
				_, _ = ParseNPDU(p[4:])
				if n, err := ParseNPDU(p[4:]); err == nil {
					if a, err := ParseAPDU(n.APDU); err == nil {
						_, _ = ParseIAm(a.Data)
						_, _ = ParseReadPropertyAck(a.Data)
						_ = ParseReadPropertyMultipleAck(a.Data, func(Property) {})
					}
				}
			}
			pkt := &discovery.PacketInfo{SrcPort: Port, DstPort: Port}
			if d.Detect(p, pkt) == discovery.Yes {
				_ = d.Datagram(p, pkt, func(discovery.Observation) {})
			}
			_ = d.Frame(p, pkt, func(discovery.Observation) {})
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{iAmRouted, rpObjectName, rpVendorName, reinit, errorPDU, rejectPDU, abortPDU} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := New()
		pkt := &discovery.PacketInfo{SrcPort: Port, DstPort: Port}
		emit := func(o discovery.Observation) {
			if len(o.Value) > 256 {
				t.Fatalf("value of %d bytes", len(o.Value))
			}
		}
		if d.Detect(b, pkt) == discovery.Yes {
			_ = d.Datagram(b, pkt, emit)
		}
		_ = d.Frame(b, pkt, emit)
	})
}

func BenchmarkDatagram(b *testing.B) {
	raw, _ := hex.DecodeString(rpVendorName)
	d := New()
	pkt := &discovery.PacketInfo{SrcPort: Port, DstPort: Port}
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Datagram(raw, pkt, emit); err != nil {
			b.Fatal(err)
		}
	}
}
