package enip

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/otzone/otzone/discovery"
)

// encap and rr build SendRRData messages the way testdata/gen/enip.go does
// (tshark decodes those as "Identity - Get Attributes All" and
// "Connection Manager - Unconnected Send: 'Pump1_Setpoint' - Service (0x4d)").
func encap(cmd uint16, ctx string, data []byte) []byte {
	b := make([]byte, 24, 24+len(data))
	binary.LittleEndian.PutUint16(b, cmd)
	binary.LittleEndian.PutUint16(b[2:], uint16(len(data)))
	copy(b[12:20], ctx)
	return append(b, data...)
}

func rr(ctx string, cip []byte) []byte {
	d := []byte{0, 0, 0, 0, 0x0a, 0, 2, 0, 0, 0, 0, 0, 0xb2, 0, byte(len(cip)), byte(len(cip) >> 8)}
	return encap(0x6f, ctx, append(d, cip...))
}

var identityBody = []byte{0x01, 0x00, 0x0e, 0x00, 0x36, 0x00, 20, 11, 0x60, 0x30, 0xa2, 0x14, 0x60, 0x00,
	16, '1', '7', '5', '6', '-', 'L', '6', '1', '/', 'B', ' ', 'L', 'O', 'G', 'I', 'X'}

func TestIdentityObjectPairing(t *testing.T) {
	s := New().NewStream(nil)
	f := &discovery.Flow{ServerPort: 44818}
	plc := discovery.Endpoint{IP: netip.MustParseAddr("10.10.10.12")}
	attrs := map[string]string{}
	var ops []string
	emit := func(o discovery.Observation) {
		switch o.Kind {
		case discovery.KindAttribute:
			if o.Asset != plc {
				t.Errorf("attribute on %v", o.Asset)
			}
			attrs[o.Key] = o.Value
		case discovery.KindOperation:
			ops = append(ops, o.Op.Name)
		}
	}
	send := func(dir discovery.Direction, b []byte) {
		pkt := &discovery.PacketInfo{Flow: f, Dir: dir, Evidence: discovery.Evidence{Frame: 1}}
		if dir == discovery.ToClient {
			pkt.Src = plc
		}
		if err := s.Parse(b, pkt, emit); err != nil {
			t.Fatal(err)
		}
	}
	// A reply with no request is ignored.
	send(discovery.ToClient, rr("a", append([]byte{0x81, 0, 0, 0}, identityBody...)))
	if len(attrs) != 0 {
		t.Fatalf("unpaired reply gave %v", attrs)
	}
	// Get_Attributes_All to Identity instance 1, wrapped in Unconnected Send.
	inner := []byte{0x01, 0x02, 0x20, 0x01, 0x24, 0x01}
	ucs := append([]byte{0x52, 0x02, 0x20, 0x06, 0x24, 0x01, 0x0a, 0x0e, byte(len(inner)), 0}, inner...)
	ucs = append(ucs, 0x01, 0x00, 0x01, 0x00)
	send(discovery.ToServer, rr("b", ucs))
	send(discovery.ToClient, rr("b", append([]byte{0x81, 0, 0, 0}, identityBody...)))
	want := map[string]string{"enip.vendor_id": "1", "enip.device_type": "14", "enip.device_type_name": "Programmable Logic Controller",
		"enip.product_code": "54", "enip.revision": "20.011", "enip.serial_number": "0x006014a2", "enip.product_name": "1756-L61/B LOGIX"}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("%s = %q, want %q", k, attrs[k], v)
		}
	}
	// Get_Attribute_Single attribute 7 (product name) inside a Multiple Service Packet.
	clear(attrs)
	sub1 := []byte{0x0e, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07}
	sub2 := []byte{0x0e, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x01}
	msp := []byte{0x0a, 0x02, 0x20, 0x02, 0x24, 0x01, 2, 0, 6, 0, byte(6 + len(sub1)), 0}
	msp = append(append(msp, sub1...), sub2...)
	send(discovery.ToServer, rr("c", msp))
	r1 := append([]byte{0x8e, 0, 0, 0, 4}, "ABCD"...)
	r2 := []byte{0x8e, 0, 0, 0, 0x01, 0x00}
	rep := append([]byte{0x8a, 0, 0, 0, 2, 0, 6, 0, byte(6 + len(r1)), 0}, r1...)
	send(discovery.ToClient, rr("c", append(rep, r2...)))
	if attrs["enip.product_name"] != "ABCD" || attrs["enip.vendor_id"] != "1" {
		t.Errorf("single attributes: %v", attrs)
	}
	wantOps := []string{"get_attributes_all", "get_attribute_single", "get_attribute_single"}
	if len(ops) != len(wantOps) {
		t.Fatalf("ops %v", ops)
	}
	for i := range ops {
		if ops[i] != wantOps[i] {
			t.Errorf("ops %v, want %v", ops, wantOps)
		}
	}
}

// Forward Open (CIP Vol. 1 3-5.5.2) for a class 1 I/O connection to
// assembly instances 0x64/0x65; the transport class is reported.
func TestForwardOpen(t *testing.T) {
	fo := []byte{0x54, 0x02, 0x20, 0x06, 0x24, 0x01,
		0x0a, 0x0e, // tick, timeout
		0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, // O->T, T->O ids
		0x10, 0x00, 0x01, 0x00, 0x78, 0x56, 0x34, 0x12, // serial, vendor, originator serial
		0x01, 0x00, 0x00, 0x00, // multiplier + reserved
		0x40, 0x9c, 0x00, 0x00, 0x08, 0x48, // O->T RPI 40 ms, params
		0x40, 0x9c, 0x00, 0x00, 0x08, 0x48, // T->O
		0x01,                                                 // trigger: cyclic, class 1
		0x04, 0x20, 0x04, 0x24, 0x01, 0x2c, 0x64, 0x2c, 0x65, // path: assembly, instance 1, points 0x64 0x65
	}
	s := New().NewStream(nil)
	pkt := &discovery.PacketInfo{Flow: &discovery.Flow{ServerPort: 44818}, Dir: discovery.ToServer, Evidence: discovery.Evidence{Frame: 1}}
	var got []string
	if err := s.Parse(rr("f", fo), pkt, func(o discovery.Observation) {
		got = append(got, o.Kind.String()+" "+o.Key+"="+o.Value+" "+o.Op.Name)
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"service = ", "service = ", "comm_attribute cip.transport_class=1 ", "operation = forward_open"}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// Execute PCCC (0x4B to class 0x67) carrying a MicroLogix "protected typed
// logical write with three address fields" (CMD 0x0F, FNC 0xAA) to N7:0,
// as pycomm's SLC driver sends it: requestor id length 7, vendor 0x1234,
// serial 0x01020304.
func TestPCCC(t *testing.T) {
	cip := []byte{0x4b, 0x02, 0x20, 0x67, 0x24, 0x01,
		0x07, 0x34, 0x12, 0x04, 0x03, 0x02, 0x01, // requestor id
		0x0f, 0x00, 0x2a, 0x00, 0xaa, // CMD STS TNS FNC
		0x02, 0x07, 0x89, 0x00, 0x00, 0x2c, 0x01} // size, file 7, type N, element 0, sub 0, value 300
	s := New().NewStream(nil)
	pkt := &discovery.PacketInfo{Flow: &discovery.Flow{ServerPort: 44818}, Dir: discovery.ToServer, Evidence: discovery.Evidence{Frame: 1}}
	var op discovery.Operation
	if err := s.Parse(rr("p", cip), pkt, func(o discovery.Observation) {
		if o.Kind == discovery.KindOperation {
			op = o.Op
		}
	}); err != nil {
		t.Fatal(err)
	}
	if op.Name != "pccc_protected_typed_logical_write_3" || op.Class != discovery.OpWrite || op.Code != 0x0faa {
		t.Errorf("got %+v", op)
	}
	for i := 0; i < len(cip); i++ {
		_, _ = PCCCOperation(cip[6:][:max(0, min(i, len(cip)-6))])
	}
}
