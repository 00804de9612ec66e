package profinet

import (
	"encoding/hex"
	"errors"
	"maps"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	// profinet_io_cm_mixed_1.pcap frame 466 (after the EtherType): "Ident Ok,
	// Xid:0x1, NameOfStation:"versamax-pns11", DeviceVendorValue IC200PNS001,
	// VendorID 0x015a, DeviceID 0x0003, Dev-Role IO-Device, IP 192.168.1.2
	// mask 255.255.255.0 gateway 192.168.1.2".
	identOK466 = "feff0501000000010000006402020010000076657273616d61782d706e7331310205000e00000102020102020203020406010201000d00004943323030504e5330303100020300060000015a000302040004000001000102000e0001c0a80102ffffff00c0a801020601000400000001"
	// profinet_io_cm_mixed_1.pcap frame 464: "Ident Req, Xid:0x1, NameOfStation:"versamax-pns11"".
	identReq464 = "fefe050000000001000100120202000e76657273616d61782d706e7331310000000000000000000000000000000000"
)

func TestParseDCPIdentifyResponse(t *testing.T) {
	b := unhex(t, identOK466)
	d, err := ParseDCP(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.FrameID != FrameDCPIdentifyResponse || d.Service != DCPIdentify || d.ServiceType != DCPResponseSuccess || d.Xid != 1 {
		t.Fatalf("header %+v", d)
	}
	got := d.Identity()
	want := Identity{StationName: "versamax-pns11", TypeOfStation: "IC200PNS001", VendorID: 346, DeviceID: 3, HasDeviceID: true,
		Role: 1, HasRole: true, IP: netip.MustParseAddr("192.168.1.2"), Mask: netip.MustParseAddr("255.255.255.0"), GW: netip.MustParseAddr("192.168.1.2")}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Error(d)
	}
	if got.Role.String() != "io-device" {
		t.Errorf("role %q", got.Role)
	}
}

func TestParseDCPIdentifyRequest(t *testing.T) {
	d, err := ParseDCP(unhex(t, identReq464))
	if err != nil {
		t.Fatal(err)
	}
	if d.Response() || d.Service != DCPIdentify || len(d.Blocks) != 1 || d.Blocks[0].HasInfo || string(d.Blocks[0].Data) != "versamax-pns11" {
		t.Errorf("got %+v", d)
	}
}

func TestFrameClass(t *testing.T) {
	for _, tt := range []struct {
		id   FrameID
		want FrameClass
	}{{0xC002, ClassCyclic}, {0x8000, ClassCyclic}, {0x0100, ClassCyclic}, {0xFE01, ClassAlarm}, {0xFC01, ClassAlarm},
		{0xFEFE, ClassDCP}, {0xFF40, ClassPTCP}, {0x0020, ClassPTCP}, {0xF800, ClassAcyclic}, {0xFF80, ClassFragment}} {
		if got := tt.id.Class(); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.id, got, tt.want)
		}
	}
}

func rpcFrame(t testing.TB, file string, n int) []byte {
	frames := testutil.ReadFrames(t, testutil.SharedPcap(t, "profinet/"+file))
	p := gopacket.NewPacket(frames[n-1].Data, frames[n-1].LinkType, gopacket.Default)
	return p.TransportLayer().(*layers.UDP).Payload
}

// profinet_io_cm_device.pcapng frame 1: "Connect request, ARBlockReq ...",
// Object UUID dea00000-6c97-11d1-8271-00010003015a, interface PNIO Device,
// big-endian drep; ARBlockReq: IO Controller AR, MAC 00:a0:45:6d:d3:43,
// CMInitiatorObjectUUID dea00000-6c97-11d1-8271-0001003c00b0, station
// "pc-worx-rt-basic-6d-d3-43".
func TestParseConnectRequest(t *testing.T) {
	b := rpcFrame(t, "profinet_io_cm_device.pcapng", 1)
	h, body, err := ParseRPC(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.PacketType != RPCRequest || h.Opnum != 0 || h.LittleEndian || h.Interface.PNIOInterface() != IfaceDevice {
		t.Fatalf("header %+v", h)
	}
	if h.Object.String() != "dea00000-6c97-11d1-8271-00010003015a" {
		t.Errorf("object %s", h.Object)
	}
	v, d, i, ok := h.Object.PNIOObject()
	if !ok || v != 0x015a || d != 3 || i != 1 {
		t.Errorf("object ids %d %d %d %v", v, d, i, ok)
	}
	ar, err := ParseConnectRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if ar.StationName != "pc-worx-rt-basic-6d-d3-43" || ar.ARType != 1 || hex.EncodeToString(ar.InitiatorMAC[:]) != "00a0456dd343" ||
		ar.InitiatorObject.String() != "dea00000-6c97-11d1-8271-0001003c00b0" {
		t.Errorf("ARBlockReq %+v", ar)
	}
}

// TestDCPSetOperation: a Set NameOfStation request (built as IEC 61158-6-10
// lays it out: option 2/2 with a BlockQualifier) is a config operation
// from the setter to the target.
func TestDCPSetOperation(t *testing.T) {
	set := unhex(t, "fefd0400000000070000000c020200070001706c632d3100")
	var obs []discovery.Observation
	pkt := &discovery.PacketInfo{Src: discovery.Endpoint{MAC: discovery.MAC{0, 0x1b, 0x1b, 1, 2, 3}}, Dst: discovery.Endpoint{MAC: discovery.MAC{0, 0x0e, 0x8c, 4, 5, 6}}}
	if err := NewFrames().Frame(set, pkt, func(o discovery.Observation) { obs = append(obs, o) }); err != nil {
		t.Fatal(err)
	}
	var op *discovery.Observation
	for i := range obs {
		if obs[i].Kind == discovery.KindOperation {
			op = &obs[i]
		}
	}
	if op == nil || op.Op.Name != "set_name_of_station" || op.Op.Class != discovery.OpConfig || op.Asset.MAC != pkt.Src.MAC || op.Peer.MAC != pkt.Dst.MAC {
		t.Fatalf("operation %+v", op)
	}
	found := false
	for _, o := range obs {
		if o.Key == "profinet.station_name" && o.Value == "plc-1" && o.Asset.MAC == pkt.Dst.MAC && o.Confidence < 0.9 {
			found = true
		}
	}
	if !found {
		t.Errorf("requested name not attributed to the target: %+v", obs)
	}
}

// TestRTAggregation: cyclic frames give one publisher/subscriber pair per
// (source, destination), not one per frame.
func TestRTAggregation(t *testing.T) {
	fd := NewFrames()
	n := 0
	pkt := &discovery.PacketInfo{Src: discovery.Endpoint{MAC: discovery.MAC{0, 9, 0x91, 1, 2, 3}}, Dst: discovery.Endpoint{MAC: discovery.MAC{0, 0xa0, 0x45, 4, 5, 6}}}
	frame := unhex(t, "c002000000000000000000000000000000000000000000000000000000000000000000000000800035")
	for i := 0; i < 1000; i++ {
		_ = fd.Frame(frame, pkt, func(discovery.Observation) { n++ })
	}
	if n != 2 {
		t.Errorf("%d observations for 1000 cyclic frames, want 2", n)
	}
}

func TestPrefixes(t *testing.T) {
	for _, h := range []string{identOK466, identReq464} {
		full := unhex(t, h)
		for i := 0; i < len(full); i++ {
			_, _ = ParseDCP(full[:i])
			_ = NewFrames().Frame(full[:i], &discovery.PacketInfo{}, func(discovery.Observation) {})
		}
	}
	b := rpcFrame(t, "profinet_io_cm_device.pcapng", 1)
	for i := 0; i < len(b); i++ {
		p := append([]byte(nil), b[:i]...)
		if _, _, err := ParseRPC(p); i < RPCHeaderLen && !errors.Is(err, ErrShort) {
			t.Fatalf("prefix %d: %v", i, err)
		}
		_ = NewRPC().Datagram(p, &discovery.PacketInfo{}, func(discovery.Observation) {})
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{identOK466, identReq464} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = NewFrames().Frame(b, &discovery.PacketInfo{}, func(discovery.Observation) {})
		_ = NewRPC().Datagram(b, &discovery.PacketInfo{}, func(discovery.Observation) {})
		if len(b) > 20 {
			ParseConnectRequest(b)
			ParseReadResponse(b, false)
			ParseControlRequest(b)
		}
		ParsePDRealData(b)
	})
}

func BenchmarkCyclicFrame(b *testing.B) {
	fd := NewFrames()
	pkt := &discovery.PacketInfo{Src: discovery.Endpoint{MAC: discovery.MAC{0, 9, 0x91, 1, 2, 3}}, Dst: discovery.Endpoint{MAC: discovery.MAC{0, 0xa0, 0x45, 4, 5, 6}}}
	frame := make([]byte, 46)
	frame[0], frame[1] = 0xc0, 0x02
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = fd.Frame(frame, pkt, emit)
	}
}

func BenchmarkDCPIdentify(b *testing.B) {
	frame, _ := hex.DecodeString(identOK466)
	fd := NewFrames()
	pkt := &discovery.PacketInfo{Src: discovery.Endpoint{MAC: discovery.MAC{0, 9, 0x91, 1, 2, 3}}}
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(frame)))
	for i := 0; i < b.N; i++ {
		_ = fd.Frame(frame, pkt, emit)
	}
}

// profinet_io_cm_device.pcapng frame 8: "Read response, OK, IODReadResHeader,
// Index:PDRealData, 224 bytes, ... PDInterfaceDataReal (OwnChassisID
// versamax-pns11, MAC 00:09:91:43:e0:67, IP 192.168.1.2/255.255.255.0 gw
// 192.168.1.2), PDPortDataReal OwnPortID port-001, neighbour
// siemens-x208-switch port-004 00:0e:8c:ef:75:c5; port-002 no peers".
func TestParsePDRealData(t *testing.T) {
	b := rpcFrame(t, "profinet_io_cm_device.pcapng", 8)
	h, body, err := ParseRPC(b)
	if err != nil || h.PacketType != RPCResponse || h.Opnum != 2 {
		t.Fatalf("%+v %v", h, err)
	}
	idx, rec, err := ParseReadResponse(body, h.LittleEndian)
	if err != nil || idx != IndexPDRealData || len(rec) != 224 {
		t.Fatalf("index 0x%04x, %d bytes, %v", idx, len(rec), err)
	}
	pd, err := ParsePDRealData(rec)
	if err != nil {
		t.Fatal(err)
	}
	if pd.Interface == nil || pd.Interface.ChassisID != "versamax-pns11" || pd.Interface.IP.String() != "192.168.1.2" ||
		pd.Interface.Mask.String() != "255.255.255.0" || hex.EncodeToString(pd.Interface.MAC[:]) != "00099143e067" {
		t.Errorf("interface %+v", pd.Interface)
	}
	if len(pd.Ports) != 2 || pd.Ports[0].PortID != "port-001" || pd.Ports[0].Subslot != 0x8001 || len(pd.Ports[0].Peers) != 1 ||
		pd.Ports[0].Peers[0].ChassisID != "siemens-x208-switch" || pd.Ports[0].Peers[0].PortID != "port-004" ||
		hex.EncodeToString(pd.Ports[0].Peers[0].MAC[:]) != "000e8cef75c5" || pd.Ports[1].PortID != "port-002" {
		t.Errorf("ports %+v", pd.Ports)
	}
	for i := 0; i < len(rec); i++ {
		ParsePDRealData(rec[:i]) // never panics
	}
	for i := 0; i < len(body); i++ {
		ParseReadResponse(body[:i], false)
	}
}

// profinet_io_cm_control.pcapng, tshark -V: frame 1 "Control request,
// IODControlReq Prm End.req, Command: ParameterEnd" from 192.168.1.3 to the
// device interface DEA00001; frame 3 "IOXBlockReq Application Ready.req,
// Command: ApplicationReady" from the device 192.168.1.2 to the controller
// interface DEA00002 (little-endian drep).
func TestParseControlRequest(t *testing.T) {
	for _, tt := range []struct {
		frame int
		iface int
		block uint16
		cmd   ControlCommand
		name  string
	}{
		{1, IfaceDevice, 0x0110, CtrlPrmEnd, "prm_end"},
		{3, IfaceController, 0x0112, CtrlApplicationReady, "application_ready"},
	} {
		b := rpcFrame(t, "profinet_io_cm_control.pcapng", tt.frame)
		h, body, err := ParseRPC(b)
		if err != nil {
			t.Fatal(err)
		}
		if h.PacketType != RPCRequest || Opnum(h.Opnum) != OpControl || h.Interface.PNIOInterface() != tt.iface {
			t.Fatalf("frame %d: header %+v", tt.frame, h)
		}
		c, err := ParseControlRequest(body)
		if err != nil {
			t.Fatalf("frame %d: %v", tt.frame, err)
		}
		if c.BlockType != tt.block || c.Command != tt.cmd || c.Command.String() != tt.name {
			t.Errorf("frame %d: %+v (%s), want block 0x%04x command %s", tt.frame, c, c.Command, tt.block, tt.name)
		}
		if got := controlName(tt.iface, body); got != tt.name {
			t.Errorf("frame %d: controlName %q, want %q", tt.frame, got, tt.name)
		}
		// the same block sent to the other interface is not trusted
		if got := controlName(3-tt.iface, body); got != "control" {
			t.Errorf("frame %d: controlName on the wrong interface %q, want control", tt.frame, got)
		}
		for n := 0; n < len(body); n++ {
			if _, err := ParseControlRequest(body[:n]); err == nil && n < 20+6+24 {
				t.Errorf("frame %d: prefix %d parsed", tt.frame, n)
			}
		}
	}
}

// TestControlOperationNames: every Control request in
// profinet_io_cm_control.pcapng is named by its command. tshark
// (-Y 'dcerpc.pkt_type==0' -e dcerpc.dg_if_id -e pn_io.block_type -e
// pn_io.control_command.prmend -e ...applready): 75 PrmEnd requests (block
// 0x0110) to DEA00001 and 70 ApplicationReady requests (block 0x0112) to
// DEA00002, no other command.
func TestControlOperationNames(t *testing.T) {
	got := map[string]int{}
	for _, o := range runCapture(t, testutil.SharedPcap(t, "profinet/profinet_io_cm_control.pcapng")) {
		if o.Kind == discovery.KindOperation && o.Protocol == "profinet_io" {
			got[o.Op.Name+"/"+string(o.Op.Class)]++
		}
	}
	want := map[string]int{"prm_end/control": 75, "application_ready/control": 70}
	if !maps.Equal(got, want) {
		t.Errorf("operations %v, want %v", got, want)
	}
}
