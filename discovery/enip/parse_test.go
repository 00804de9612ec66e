package enip

import (
	"encoding/hex"
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

// Payloads extracted with: tshark -r F -T fields -e frame.number -e tcp.payload
const (
	// enip_cip_example.pcap frame 371: "List Identity (Req)"
	frameLIReq = "63000000000000000000000000000000c1debed100000000"
	// enip_cip_example.pcap frame 372: "List Identity (Rsp), 1756-ENBT/A"
	frameLIRsp = "63003300000000000000000000000000c1debed10000000001000c002d0001000002af120a0101a4000000000000000001000c003a00040330008e4d52000b313735362d454e42542f4103"
	// enip_cip_example.pcap frame 138: "Class (0x8b) - Set Attribute List" (connected, Send Unit Data)
	frameSetAttrList = "7000280000010211000000000000000000000000000000000000000001000200a1000400010b7c00b1001400ba070402208b240101000600c0587222085a0400"
	// set_attribute_single_service_cip.pcapng frame 1: "Set Attribute Single" to Identity instance 0
	frameSetAttrSingle = "70001c00f4ffcab4000000005f7079636f6d6d5f00000000000000000a000200a1000400ba629adab10008000d00100220012400"
	// multiple_service_packet_cip.pcapng frame 1: "Multiple Service Packet: Get Attribute List" x 11
	frameMSP = "7000ba0000010211000000000000000000000000000000000000000001000200a1000400010b7c00b100a60089070a02200224010b00180022002c0036004c005800640072007c008a0094000302200124010100050003022069240001000b0003022073240101000200030220ac240107000100020003000500070009000a000303206825002024010013000302207024010200120013000302208e240103000300080010000302206924000100090003022068240003000f0018001900030220772401010002000302208b240101000600"
)

func TestListIdentityReply(t *testing.T) {
	b := unhex(t, frameLIRsp)
	h, err := ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.Command != CmdListIdentity || int(h.Length) != len(b)-HeaderLen {
		t.Fatalf("header %+v", h)
	}
	items, err := ParseCPF(b[HeaderLen:], nil)
	if err != nil || len(items) != 1 || items[0].Type != ItemListIdentity {
		t.Fatalf("items %+v, %v", items, err)
	}
	id, err := ParseListIdentityItem(items[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	// Wireshark: Vendor ID Rockwell Automation/Allen-Bradley (0x0001), Device
	// Type Communications Adapter (12), Product Code 58, Revision 4.03,
	// Serial Number 0x00524d8e, Product Name 1756-ENBT/A, State 0x03,
	// Socket Address sin_port 44818, sin_addr 10.1.1.164.
	if id.VendorID != 1 || id.DeviceType != 12 || id.ProductCode != 58 || id.RevMajor != 4 || id.RevMinor != 3 ||
		id.Serial != 0x00524d8e || string(id.ProductName) != "1756-ENBT/A" || !id.HasState || id.State != 3 {
		t.Errorf("identity %+v", id)
	}
	// The sockaddr is big-endian: af12 is 44818 (little-endian would be 4783).
	if id.Socket != netip.MustParseAddrPort("10.1.1.164:44818") {
		t.Errorf("socket %v", id.Socket)
	}
	if id.Revision() != "4.003" || id.SerialString() != "0x00524d8e" {
		t.Errorf("formatted %s %s", id.Revision(), id.SerialString())
	}
}

// parseOps runs the stream parser over one client→server PDU and returns
// the operation names with classes.
func parseOps(t *testing.T, pdu []byte) []string {
	t.Helper()
	s := New().NewStream(nil)
	f := &discovery.Flow{ServerPort: 44818}
	pkt := &discovery.PacketInfo{Flow: f, Dir: discovery.ToServer, Evidence: discovery.Evidence{Frame: 1}}
	var ops []string
	if err := s.Parse(pdu, pkt, func(o discovery.Observation) {
		if o.Kind == discovery.KindOperation {
			ops = append(ops, o.Protocol+":"+o.Op.Name+"/"+string(o.Op.Class))
		}
	}); err != nil {
		t.Fatal(err)
	}
	return ops
}

func TestCIPRequests(t *testing.T) {
	cases := []struct {
		name, hex string
		want      []string
	}{
		{"set_attribute_list connected", frameSetAttrList, []string{"cip:set_attribute_list/write"}},
		{"set_attribute_single identity", frameSetAttrSingle, []string{"cip:set_attribute_single/write"}},
		{"list_identity", frameLIReq, []string{"enip:list_identity/discovery"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parseOps(t, unhex(t, c.hex))
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// The Multiple Service Packet is unpacked: 11 Get Attribute List requests
// (Wireshark: "Multiple Service Packet: Get Attribute List" x 11).
func TestMultipleServicePacket(t *testing.T) {
	got := parseOps(t, unhex(t, frameMSP))
	if len(got) != 11 {
		t.Fatalf("got %d ops: %v", len(got), got)
	}
	for _, g := range got {
		if g != "cip:get_attribute_list/read" {
			t.Errorf("op %s", g)
		}
	}
}

func TestClassify(t *testing.T) {
	sym := Path{Symbolic: true}
	cm := Path{Class: ClassConnectionManager, HasClass: true}
	file := Path{Class: ClassFile, HasClass: true}
	for _, c := range []struct {
		s    Service
		p    Path
		name string
		cl   discovery.OpClass
	}{
		{0x4D, sym, "write_tag", discovery.OpWrite},
		{0x4E, sym, "read_modify_write_tag", discovery.OpWrite},
		{0x4E, cm, "forward_close", discovery.OpOther},
		{0x52, cm, "unconnected_send", discovery.OpOther},
		{0x52, sym, "read_tag_fragmented", discovery.OpRead},
		{0x54, cm, "forward_open", discovery.OpOther},
		{0x05, cm, "reset", discovery.OpControl},
		{0x07, cm, "stop", discovery.OpControl},
		{0x4C, file, "initiate_download", discovery.OpProgram},
		{0x50, file, "download_transfer", discovery.OpProgram},
		{0x4B, file, "initiate_upload", discovery.OpRead},
	} {
		op := Classify(c.s, c.p)
		if op.Name != c.name || op.Class != c.cl {
			t.Errorf("0x%02x %+v: got %s/%s, want %s/%s", uint8(c.s), c.p, op.Name, op.Class, c.name, c.cl)
		}
	}
}

// A DNS reply from ephemeral port 44818 must not be ENIP: even an id that
// reads as a known command (0x0063 little-endian) fails the length check.
func TestDetectRejectsDNS(t *testing.T) {
	dns := unhex(t, "6300818000010001000000000377777706676f6f676c6503636f6d0000010001c00c000100010000012c00048efa4a24")
	d := NewUDP()
	pkt := &discovery.PacketInfo{SrcPort: 53, DstPort: 44818}
	if v := d.Detect(dns, pkt); v != discovery.No {
		t.Errorf("DNS detected as %v", v)
	}
	dns[0] = 0x12
	if v := New().Detect(dns, discovery.ToServer); v != discovery.No {
		t.Errorf("DNS (TCP) detected as %v", v)
	}
	if v := d.Detect(unhex(t, frameLIRsp), &discovery.PacketInfo{SrcPort: 44818, DstPort: 5263}); v != discovery.Yes {
		t.Errorf("ListIdentity reply: %v", v)
	}
}

func TestUDPListIdentityBroadcast(t *testing.T) {
	d := NewUDP()
	client := discovery.Endpoint{IP: netip.MustParseAddr("10.1.1.167"), MAC: discovery.MAC{0x3c, 0xa9, 0xf4, 0x21, 0x22, 0xf8}}
	dev := discovery.Endpoint{IP: netip.MustParseAddr("10.1.1.164"), MAC: discovery.MAC{0x00, 0x19, 0x07, 0x24, 0x3c, 0xca}}
	bcast := discovery.Endpoint{IP: netip.MustParseAddr("255.255.255.255"), MAC: discovery.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	var got []discovery.Observation
	emit := func(o discovery.Observation) { got = append(got, o) }
	req := &discovery.PacketInfo{Src: client, Dst: bcast, SrcPort: 5263, DstPort: 44818, Flow: &discovery.Flow{}, Evidence: discovery.Evidence{Frame: 1}}
	if err := d.Datagram(unhex(t, frameLIReq), req, emit); err != nil {
		t.Fatal(err)
	}
	for _, o := range got {
		if o.Asset == bcast || o.Peer == bcast {
			t.Errorf("broadcast address became an endpoint: %+v", o)
		}
	}
	rsp := &discovery.PacketInfo{Src: dev, Dst: client, SrcPort: 44818, DstPort: 5263, Dir: discovery.ToClient, Flow: &discovery.Flow{}, Evidence: discovery.Evidence{Frame: 2}}
	if err := d.Datagram(unhex(t, frameLIRsp), rsp, emit); err != nil {
		t.Fatal(err)
	}
	var server, op bool
	attrs := map[string]string{}
	for _, o := range got {
		switch o.Kind {
		case discovery.KindService:
			server = server || o.Role == "server" && o.Asset == dev && o.Transport == "udp"
		case discovery.KindOperation:
			op = op || o.Asset == client && o.Peer == dev && o.Op.Name == "list_identity"
		case discovery.KindAttribute:
			if o.Asset != dev {
				t.Errorf("attribute about %v", o.Asset)
			}
			attrs[o.Key] = o.Value
		}
	}
	if !server || !op {
		t.Errorf("server %v op %v: %+v", server, op, got)
	}
	want := map[string]string{"enip.vendor_id": "1", "enip.vendor_name": "Rockwell Automation/Allen-Bradley",
		"enip.device_type": "12", "enip.device_type_name": "Communications Adapter", "enip.product_code": "58",
		"enip.revision": "4.003", "enip.serial_number": "0x00524d8e", "enip.product_name": "1756-ENBT/A",
		"enip.socket_address": "10.1.1.164:44818"}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("%s = %q, want %q", k, attrs[k], v)
		}
	}
}

// Every prefix of a real frame is "need more" for the framer and never
// panics the parsers.
func TestPrefixes(t *testing.T) {
	for _, h := range []string{frameLIReq, frameLIRsp, frameSetAttrList, frameSetAttrSingle, frameMSP, frameIOData, frameIOHeartbeat} {
		b := unhex(t, h)
		for i := 0; i < len(b); i++ {
			s := New().NewStream(nil)
			n, err := s.PDULen(b[:i], discovery.ToServer)
			if err != nil || (n != 0 && n <= i) {
				t.Errorf("prefix %d of %d: PDULen %d, %v", i, len(b), n, err)
			}
			pkt := &discovery.PacketInfo{Flow: &discovery.Flow{}, Evidence: discovery.Evidence{Frame: 1}}
			_ = s.Parse(b[:i], pkt, func(discovery.Observation) {})
			pkt.Dir = discovery.ToClient
			_ = s.Parse(b[:i], pkt, func(discovery.Observation) {})
			_ = NewUDP().Datagram(b[:i], pkt, func(discovery.Observation) {})
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{frameLIReq, frameLIRsp, frameSetAttrList, frameSetAttrSingle, frameMSP} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New().NewStream(nil)
		if _, err := s.PDULen(b, discovery.ToServer); err != nil {
			return
		}
		for _, dir := range []discovery.Direction{discovery.ToServer, discovery.ToClient} {
			pkt := &discovery.PacketInfo{Flow: &discovery.Flow{}, Dir: dir}
			_ = s.Parse(b, pkt, func(discovery.Observation) {})
		}
		_ = NewUDP().Datagram(b, &discovery.PacketInfo{Flow: &discovery.Flow{}, SrcPort: 44818}, func(discovery.Observation) {})
		io := &discovery.PacketInfo{Flow: &discovery.Flow{}, SrcPort: PortIO, DstPort: PortIO}
		_ = NewUDP().Datagram(b, io, func(discovery.Observation) {})
	})
}

func BenchmarkParseMSP(b *testing.B) {
	pdu, _ := hex.DecodeString(frameMSP)
	s := New().NewStream(nil)
	pkt := &discovery.PacketInfo{Flow: &discovery.Flow{ServerPort: 44818}}
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(pdu)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Parse(pdu, pkt, emit); err != nil {
			b.Fatal(err)
		}
	}
}
