package s7comm

import (
	"encoding/hex"
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

// TCP payloads from the shared captures (tshark -T fields -e tcp.payload).
const (
	// s7ident.pcap frame 4: "CR TPDU src-ref: 0x0001 dst-ref: 0x0000", src-tsap 0100, dst-tsap 0101, tpdu-size 1024
	frameCR = "0300001611e00000000100c0010ac1020100c2020101"
	// s7ident.pcap frame 11: "Read SZL ID=0x0011 Index=0x0000" response
	frameSZL11 = "0300009902f080320700000100000c007c000112081284010000000000ff09007800110000001c0004000136455337203331352d32454831342d304142302000c000040001000636455337203331352d32454831342d304142302000c0000400010007202020202020202020202020202020202020202000c0560302060081426f6f74204c6f61646572202020202020202020000041200909"
	// s7ident.pcap frame 13: "Read SZL ID=0x001c Index=0x0000" response
	frameSZL1C = "0300017d02f080320700000200000c0160000112081284010000000000ff09015c001c00000022000a0001534e4150372d53455256455200000000000000000000000000000000000000000002435055203331352d3220504e2f445000000000000000000000000000000000000003000000000000000000000000000000000000000000000000000000000000000000044f726967696e616c205369656d656e732045717569706d656e7400000000000000055320432d433255523238393232303132000000000000000000000000000000000007435055203331352d3220504e2f4450000000000000000000000000000000000000084d4d4320323637464631314600000000000000000000000000000000000000000009002af60000010000000000000000000000000000000000000000000000000000000a0000000000000000000000000000000000000000000000000000000000000000000b0000000000000000000000000000000000000000000000000000000000000000"
	// snap7.pcap frames 6 and 8: SZL 0x001c response in two fragments (Wireshark: "S7COMM fragment id=213", "reassembled id=213")
	frameFrag1 = "030000f702f080320700000200000c00da0001120812840102d5010000ff0900d6001c00000022000a000153373330302f45543230304d2073746174696f6e5f31000000000000000000000002504c435f310000000000000000000000000000000000000000000000000000000003000000000000000000000000000000000000000000000000000000000000000000044f726967696e616c205369656d656e732045717569706d656e7400000000000000055320432d423155333933313432303131000000000000000000000000000000000007435055203331352d3220504e2f445000000000000000000000000000000000000008"
	frameFrag2 = "030000a702f080320700000300000c008a0001120812840102d5000000ff0900864d4d4320344131414330313900000000000000000000000000000000000000000009002af60000010000000000000000000000000000000000000000000000000000000a0000000000000000000000000000000000000000000000000000000000000000000b0000000000000000000000000000000000000000000000000000000000000000"
	// snap7.pcap frame 57: "PLC Stop"; 59: "PI-Service _MODU("EP")"; 61: "_GARB()"; 63: "P_PROGRAM("C ")"; 49: "Write Var"
	framePLCStop = "0300002102f080320100001c000010000029000000000009505f50524f4752414d"
	frameModu    = "0300002302f080320100001d000012000028000000000000fd00024550055f4d4f4455"
	frameGarb    = "0300002102f080320100001e000010000028000000000000fd0000055f47415242"
	frameProgram = "0300002702f080320100001f000016000028000000000000fd0002432009505f50524f4752414d"
	frameWrite   = "0300002702f080320100001800000e00080501120a100800010000830000800007000479e9f642"
	// s7comm_plus.pcap frame 7: S7comm-plus V3 request SetVariable (0x04f2); frame 30: GetMultiVariables (0x054c)
	framePlusSet = "0300006802f0807203005920e969a95a852ab0e288480ccecb618e48779f4b68a1ce9a9c42cd6aa53680068331000004f20000831a70000e4d7470000e5101881d000700ce000004e88969001200000000896a001300896b000400000084eb270000000072030000"
	framePlusGet = "0300007902f0807203006a20eeed63815b2cdcb7e899d568a24eb02b45ed2246a88700849f03a872687a7c09310000054c0000831d70000e4d3400000000030e008780809c4d018e320081490288390000814902883901000004e88969001200000000896a001300896b00040000819a730000000072030000"
)

func TestCOTPConnectionRequest(t *testing.T) {
	c, err := ParseCOTP(unhex(t, frameCR))
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != TPDUConnReq || hex.EncodeToString(c.CallingTSAP) != "0100" || hex.EncodeToString(c.CalledTSAP) != "0101" || c.TPDUSize != 1024 {
		t.Errorf("got %+v", c)
	}
}

func TestSZLModuleIdentification(t *testing.T) {
	c, err := ParseCOTP(unhex(t, frameSZL11))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseS7(c.Payload)
	if err != nil {
		t.Fatal(err)
	}
	payload, rc, err := UserdataPayload(s.Data)
	if err != nil || rc != 0xff {
		t.Fatal(rc, err)
	}
	z, err := ParseSZL(payload, nil)
	if err != nil || z.ID != 0x0011 || len(z.Items) != 4 {
		t.Fatalf("%+v %v", z, err)
	}
	// Wireshark/oracle: index 0x0001 "6ES7 315-2EH14-0AB0", index 0x0007
	// Ausbg 0x5603 Ausbe 0x0206 (V3.2.6), index 0x0081 "Boot Loader" 0x4120/0x0909.
	m7, _ := ParseModuleIdent(z.Items[2])
	if m7.Index != 7 || m7.Firmware() != "V3.2.6" {
		t.Errorf("index 7: %+v %s", m7, m7.Firmware())
	}
	m1, _ := ParseModuleIdent(z.Items[0])
	if m1.Index != 1 || strings.TrimSpace(string(m1.OrderNumber)) != "6ES7 315-2EH14-0AB0" {
		t.Errorf("index 1: %+v", m1)
	}
	boot, _ := ParseModuleIdent(z.Items[3])
	if boot.Index != 0x81 || boot.Firmware() == "V3.2.6" {
		t.Errorf("boot loader %+v", boot)
	}
}

// run feeds TPKTs through one stream and returns attributes and operations.
func run(t *testing.T, frames ...struct {
	hex string
	dir discovery.Direction
}) (map[string]string, []string) {
	t.Helper()
	s := New().NewStream(nil)
	f := &discovery.Flow{ServerPort: 102}
	attrs := map[string]string{}
	var ops []string
	emit := func(o discovery.Observation) {
		switch o.Kind {
		case discovery.KindAttribute, discovery.KindCommAttribute:
			attrs[o.Key] = o.Value
		case discovery.KindOperation:
			ops = append(ops, o.Protocol+":"+o.Op.Name+"/"+string(o.Op.Class))
		}
	}
	for i, fr := range frames {
		b := unhex(t, fr.hex)
		n, err := s.PDULen(b, fr.dir)
		if err != nil || n != len(b) {
			t.Fatalf("frame %d: PDULen %d of %d: %v", i, n, len(b), err)
		}
		pkt := &discovery.PacketInfo{Flow: f, Dir: fr.dir, Evidence: discovery.Evidence{Frame: uint64(i + 1)}}
		if err := s.Parse(b, pkt, emit); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	return attrs, ops
}

type fr = struct {
	hex string
	dir discovery.Direction
}

func TestIdentityFacts(t *testing.T) {
	attrs, _ := run(t, fr{frameCR, discovery.ToServer}, fr{frameSZL11, discovery.ToClient}, fr{frameSZL1C, discovery.ToClient})
	// Oracle s7ident.pcap: order_number, firmware V3.2.6, plc_name SNAP7-SERVER,
	// module_name/module_type CPU 315-2 PN/DP, serial S C-C2UR28922012.
	for k, v := range map[string]string{
		"s7.order_number": "6ES7 315-2EH14-0AB0", "s7.firmware": "V3.2.6", "s7.plc_name": "SNAP7-SERVER",
		"s7.module_name": "CPU 315-2 PN/DP", "s7.module_type": "CPU 315-2 PN/DP", "s7.serial_number": "S C-C2UR28922012",
		"s7.rack": "0", "s7.slot": "1", "s7.connection_type": "pg", "cotp.called_tsap": "0x0101",
	} {
		if attrs[k] != v {
			t.Errorf("%s = %q, want %q", k, attrs[k], v)
		}
	}
	if _, ok := attrs["s7.plant_tag"]; ok {
		t.Error("empty plant tag reported")
	}
}

// snap7.pcap frames 6+8: the component identification arrives in two
// userdata fragments; facts from both halves are found.
func TestFragmentedSZL(t *testing.T) {
	attrs, _ := run(t, fr{frameFrag1, discovery.ToClient}, fr{frameFrag2, discovery.ToClient})
	for k, v := range map[string]string{
		"s7.plc_name": "S7300/ET200M station_1", "s7.module_name": "PLC_1", "s7.serial_number": "S C-B1U393142011",
		"s7.module_type": "CPU 315-2 PN/DP", "s7.memory_card_serial": "MMC 4A1AC019",
	} {
		if attrs[k] != v {
			t.Errorf("%s = %q, want %q", k, attrs[k], v)
		}
	}
}

func TestJobOperations(t *testing.T) {
	_, ops := run(t, fr{frameWrite, discovery.ToServer}, fr{framePLCStop, discovery.ToServer}, fr{frameModu, discovery.ToServer},
		fr{frameGarb, discovery.ToServer}, fr{frameProgram, discovery.ToServer})
	want := []string{"s7comm:write_var/write", "s7comm:plc_stop/control", "s7comm:plc_control/program",
		"s7comm:plc_control/control", "s7comm:plc_control/control"}
	if strings.Join(ops, ",") != strings.Join(want, ",") {
		t.Errorf("got %v\nwant %v", ops, want)
	}
	for _, c := range []struct{ hex, name string }{{framePLCStop, "P_PROGRAM"}, {frameModu, "_MODU"}, {frameGarb, "_GARB"}, {frameProgram, "P_PROGRAM"}} {
		cp, _ := ParseCOTP(unhex(t, c.hex))
		s, _ := ParseS7(cp.Payload)
		if pi, err := PIService(s.Param); err != nil || pi != c.name {
			t.Errorf("PI %q, %v; want %s", pi, err, c.name)
		}
	}
}

func TestS7commPlus(t *testing.T) {
	attrs, ops := run(t, fr{framePlusSet, discovery.ToServer}, fr{framePlusGet, discovery.ToServer})
	if strings.Join(ops, ",") != "s7comm_plus:set_variable/write,s7comm_plus:get_multi_variables/read" {
		t.Errorf("ops %v", ops)
	}
	if attrs["s7plus.version"] != "3" {
		t.Errorf("version %q", attrs["s7plus.version"])
	}
}

func TestDetect(t *testing.T) {
	d := New()
	for _, c := range []struct {
		name, hex string
		want      discovery.Verdict
	}{
		{"cotp cr", frameCR, discovery.Yes},
		{"s7 userdata", frameSZL11, discovery.Yes},
		{"s7comm-plus", framePlusSet, discovery.Yes},
		{"tpkt header only", "03000016", discovery.NeedMore},
		// RDP X.224 connection request with an RDP negotiation request: no TSAPs.
		{"rdp negreq", "030000130ee000000000000100080003000000", discovery.No},
		// RDP with a cookie "Cookie: mstshash=a".
		{"rdp cookie", "0300001f1ae00000000000436f6f6b69653a206d737473686173683d610d0a", discovery.No},
		{"http", "474554202f20485454502f312e310d0a", discovery.No},
	} {
		if v := d.Detect(unhex(t, c.hex), discovery.ToServer); v != c.want {
			t.Errorf("%s: %v, want %v", c.name, v, c.want)
		}
	}
}

var allFrames = []string{frameCR, frameSZL11, frameSZL1C, frameFrag1, frameFrag2, framePLCStop, frameModu, frameGarb, frameProgram, frameWrite, framePlusSet, framePlusGet}

func TestPrefixes(t *testing.T) {
	for _, h := range allFrames {
		b := unhex(t, h)
		for i := 0; i < len(b); i++ {
			s := New().NewStream(nil)
			n, err := s.PDULen(b[:i], discovery.ToServer)
			if err != nil || (n != 0 && n <= i) {
				t.Errorf("prefix %d of %d: PDULen %d, %v", i, len(b), n, err)
			}
			_ = New().Detect(b[:i], discovery.ToServer)
			for _, dir := range []discovery.Direction{discovery.ToServer, discovery.ToClient} {
				pkt := &discovery.PacketInfo{Flow: &discovery.Flow{}, Dir: dir}
				_ = s.Parse(b[:i], pkt, func(discovery.Observation) {})
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range allFrames {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = New().Detect(b, discovery.ToServer)
		s := New().NewStream(nil)
		n, err := s.PDULen(b, discovery.ToServer)
		if err != nil || n == 0 || n > len(b) {
			return
		}
		for _, dir := range []discovery.Direction{discovery.ToServer, discovery.ToClient} {
			pkt := &discovery.PacketInfo{Flow: &discovery.Flow{}, Dir: dir}
			_ = s.Parse(b[:n], pkt, func(discovery.Observation) {})
		}
	})
}

func BenchmarkParseSZL(b *testing.B) {
	pdu, _ := hex.DecodeString(frameSZL1C)
	s := New().NewStream(nil)
	pkt := &discovery.PacketInfo{Flow: &discovery.Flow{ServerPort: 102}, Dir: discovery.ToClient}
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(pdu)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Parse(pdu, pkt, emit); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSessionVersion(t *testing.T) {
	// The ServerSessionVersion value as S7-1500 replies carry it (format
	// from the s7comm_plus Wireshark plugin's documentation); no shared
	// capture contains a session set-up.
	b := append([]byte{0x72, 0x01, 0x00, 0x40, 0x32, 0, 0, 0x04, 0xca, 0, 0, 0, 1, 0xa3, 0x82, 0x21, 0x00, 0x15, 0x1b}, "1;6ES7 511-1AK00-0AB0 ;V2.1"...)
	order, fw := sessionVersion(b)
	if order != "6ES7 511-1AK00-0AB0" || fw != "V2.1" {
		t.Errorf("got %q %q", order, fw)
	}
	if o, _ := sessionVersion([]byte("no version here")); o != "" {
		t.Errorf("false positive %q", o)
	}
}
