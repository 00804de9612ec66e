package dnp3

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bytes from dnp3/dnp3_example.pcap (TCP payloads, tshark -e tcp.payload).
const (
	// frame 1: 10.10.20.5 -> 10.10.20.8, Wireshark "Read": len 11, ctl 0xc4
	// (DIR, PRM, unconfirmed user data), dst 5, src 100, transport FIN FIR
	// seq 16, app control 0xc3, function 1, object g60v1 qualifier 0x06.
	frame1 = "05640bc405006400 6f36 d0c3013c0106 344d"
	// frame 292: "Select", 0x18 long, from master.
	frame292 = "056418c405006400fedd ccc7030c011701084201f40100000000d2fd 000000ffff"
	// frame 422: "Unsolicited Response" from the outstation (5 -> 100).
	frame422 = "0564ae44640005006e7bf8f3820000020217140481ab0fbcc470b59b010581ad0fbcc4700106810a10bcc470d915010181f010bcc4700103815411bcc47089440102815611bcc4700104010917bcc47092300106010b17bcc4700105013a18bcc470e3120100011e19bcc470010101e819bcc470f7e4010201ae1abcc4700103010e1bbcc4703762010681e21ebcc470010481e61ebcc470b124010581e81ebcc4700100812a20bcc47016b60101813020bcc4700102813120bcc470e8ce0103818b20bcc47001e337"
	// frame 2: first transport segment (FIR, seq 53) of a response, 255 long;
	// frame 3 carries its FIN segment (seq 54).
	frame2 = "0564ff4464000500351875c38100000102000077810101010101f77601010101010101010101010101010101bbc301010101010101010101010101010101bbc3010101010101010101010000000000001a1300000000000000000000000000000000ffff00000000000000000000000000000000ffff00000000000000000000000000000000ffff00000000000000000000000000000000ffff00000a02000021000000000000000000857700000000000000000000000000000000ffff0000000000000000001e0200001300c088fc0300df0400d30400e704007003004605720e00660300000000000000000000000000a49d00000000000000000000000000000000ffff000000000000000000002802000013002ebd00000000000000000000ffff"
)

func TestCRC(t *testing.T) {
	// Header CRC of frame 1 as on the wire: 6f 36 (little endian 0x366f).
	b := unhex(t, frame1)
	if got := CRC(b[:8]); got != 0x366f {
		t.Fatalf("CRC = %#04x, want 0x366f", got)
	}
}

func TestParseLink(t *testing.T) {
	var scratch [250]byte
	tests := []struct {
		name      string
		hex       string
		want      LinkFrame
		app       AppHeader
		transport TransportHeader
	}{
		{"frame 1 read class 0", frame1,
			LinkFrame{Length: 11, Control: 0xc4, Destination: 5, Source: 100},
			AppHeader{Control: 0xc3, Function: FuncRead, HasObject: true, Group: 60, Variation: 1, Qualifier: 6}, 0xd0},
		{"frame 292 select", frame292,
			LinkFrame{Length: 0x18, Control: 0xc4, Destination: 5, Source: 100},
			AppHeader{Control: 0xc7, Function: 3, HasObject: true, Group: 12, Variation: 1, Qualifier: 0x17}, 0xcc},
		{"frame 422 unsolicited", frame422,
			LinkFrame{Length: 0xae, Control: 0x44, Destination: 100, Source: 5},
			AppHeader{Control: 0xf3, Function: FuncUnsolicited, IIN: 0x0000, HasObject: true, Group: 2, Variation: 2, Qualifier: 0x17}, 0xf8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := unhex(t, tc.hex)
			f, n, err := ParseLink(b, scratch[:])
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) {
				t.Errorf("n = %d, want %d", n, len(b))
			}
			if f.Length != tc.want.Length || f.Control != tc.want.Control || f.Destination != tc.want.Destination || f.Source != tc.want.Source {
				t.Errorf("frame = %+v, want %+v", f, tc.want)
			}
			if int(f.Length)-5 != len(f.UserData) {
				t.Errorf("user data %d bytes, want %d", len(f.UserData), f.Length-5)
			}
			if th := TransportHeader(f.UserData[0]); th != tc.transport {
				t.Errorf("transport = %#x, want %#x", th, tc.transport)
			}
			h, err := ParseApp(f.UserData[1:])
			if err != nil {
				t.Fatal(err)
			}
			if h != tc.app {
				t.Errorf("app = %+v, want %+v", h, tc.app)
			}
		})
	}
}

func TestParseLinkCRCError(t *testing.T) {
	var scratch [250]byte
	b := unhex(t, frame292)
	b[12] ^= 0x01 // inside the first data block
	if _, _, err := ParseLink(b, scratch[:]); !errors.Is(err, ErrCRC) {
		t.Fatalf("err = %v, want ErrCRC", err)
	}
	b = unhex(t, frame292)
	b[5] ^= 0x01 // destination address: header CRC
	if _, _, err := ParseLink(b, scratch[:]); !errors.Is(err, ErrCRC) {
		t.Fatalf("err = %v, want ErrCRC", err)
	}
}

// Every prefix of a valid frame is "need more" (FrameLen 0 or > len) or a
// short error, never a panic.
func TestPrefixes(t *testing.T) {
	var scratch [250]byte
	for _, h := range []string{frame1, frame292, frame422, frame2} {
		b := unhex(t, h)
		for i := 0; i < len(b); i++ {
			n, err := FrameLen(b[:i])
			if err != nil {
				t.Fatalf("prefix %d: FrameLen error %v", i, err)
			}
			if n != 0 && n <= i {
				t.Fatalf("prefix %d: FrameLen %d claims a whole frame", i, n)
			}
			if _, _, err := ParseLink(b[:i], scratch[:]); !errors.Is(err, ErrShort) {
				t.Fatalf("prefix %d: ParseLink err %v, want ErrShort", i, err)
			}
			_, _ = ParseApp(b[:i])
			_, _ = ParseDeviceAttributes(b[:i])
		}
	}
}

func TestDetect(t *testing.T) {
	d := New()
	if v := d.Detect(unhex(t, frame1), discovery.ToServer); v != discovery.Yes {
		t.Errorf("frame 1: %v", v)
	}
	if v := d.Detect(unhex(t, frame1)[:5], discovery.ToServer); v != discovery.NeedMore {
		t.Errorf("5 bytes: %v", v)
	}
	bad := unhex(t, frame1)
	bad[4]++
	if v := d.Detect(bad, discovery.ToServer); v != discovery.No {
		t.Errorf("bad header CRC: %v", v)
	}
	if v := d.Detect([]byte("GET / HTTP/1.1\r\n"), discovery.ToServer); v != discovery.No {
		t.Errorf("http: %v", v)
	}
}

// Frames 2 and 3 of dnp3_example.pcap are one response in two transport
// segments (FIR seq 53, FIN seq 54); the stream keeps no state between
// unrelated flows and reports the outstation once.
func TestStreamReassembly(t *testing.T) {
	raw := []string{frame1, frame2, "0564374464000500173db60000000000000000000000000000003c8500000000000000000000000000000000ffff00000000000000000000000000000000ffff0000ffff"}
	var flow discovery.Flow
	s := New().NewStream(&flow)
	var obs []discovery.Observation
	for i, h := range raw {
		pkt := &discovery.PacketInfo{Flow: &flow, Evidence: discovery.Evidence{Kind: "pcap", Name: "dnp3_example.pcap", Frame: uint64(i + 1)}}
		if i > 0 {
			pkt.Dir = discovery.ToClient
		}
		if err := s.Parse(unhex(t, h), pkt, func(o discovery.Observation) { obs = append(obs, o) }); err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
	}
	st := flow.State.(*flowState)
	if r := st.reasm[1]; r.active || len(r.buf) != 249+(0x37-5-1) {
		t.Errorf("reassembled %d bytes (active %v), want %d", len(r.buf), r.active, 249+0x37-5-1)
	}
	var kinds []string
	for _, o := range obs {
		kinds = append(kinds, fmt.Sprintf("%s %s%s%s", o.Kind, o.Role, o.Key, o.Op.Name))
	}
	want := "service master,service outstation,attribute dnp3.address,operation read,attribute dnp3.address"
	if got := strings.Join(kinds, ","); got != want {
		t.Errorf("observations\n got %s\nwant %s", got, want)
	}
}

// DNP3 device attributes (IEEE 1815-2012 11.9, group 0): each object is
// group 0, variation, qualifier 0x00, start and stop index, data type
// (1 = VSTR), length, value. These bytes are built from that layout.
func TestParseDeviceAttributes(t *testing.T) {
	b := []byte{0, 252, 0x00, 0, 0, 1, 4, 'A', 'C', 'M', 'E', 0, 242, 0x00, 0, 0, 1, 3, '1', '.', '2', 1, 2, 0x00}
	got, err := ParseDeviceAttributes(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Value != "ACME" || got[0].Variation != 252 || got[1].Value != "1.2" {
		t.Fatalf("got %+v", got)
	}
}

type oracleFile struct {
	Protocols struct {
		DNP3 struct {
			Outstations []struct {
				IP                  string   `json:"ip"`
				Port                int      `json:"port"`
				Transport           string   `json:"transport"`
				Clients             []string `json:"clients"`
				OutstationAddresses []int    `json:"outstation_addresses"`
				MasterAddresses     []int    `json:"master_addresses"`
			} `json:"outstations"`
			Masters []struct {
				IP        string `json:"ip"`
				Addresses []int  `json:"addresses"`
			} `json:"masters"`
		} `json:"dnp3"`
	} `json:"protocols"`
	Writes []struct {
		Protocol   string `json:"protocol"`
		Operation  string `json:"operation"`
		Code       int    `json:"code"`
		Client     string `json:"client"`
		Server     string `json:"server"`
		ServerPort int    `json:"server_port"`
		Count      int    `json:"count"`
	} `json:"write_operations"`
}

// oracleWrites are the DNP3 functions ORACLE.md lists as write operations.
var oracleWrites = map[int]bool{2: true, 3: true, 4: true, 5: true, 6: true, 13: true, 14: true, 16: true, 17: true, 18: true}

// TestConformance compares what the dissector reports on every shared DNP3
// capture with Wireshark's decode (the oracle).
func TestConformance(t *testing.T) {
	dir := testutil.SharedDir(t) + "/pcaps/dnp3"
	if d := os.Getenv("OTZONE_ORACLE_DIR"); d != "" {
		dir = d // captures with oracle.py output beside them, e.g. the demo plant
	}
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".oracle.json") || !strings.Contains(e.Name(), "dnp") {
			continue
		}
		n++
		capture := strings.TrimSuffix(e.Name(), ".oracle.json")
		t.Run(capture, func(t *testing.T) {
			raw, err := os.ReadFile(dir + "/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			var or oracleFile
			if err := json.Unmarshal(raw, &or); err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, o := range or.Protocols.DNP3.Outstations {
				want[fmt.Sprintf("outstation %s %s/%d", o.IP, o.Transport, o.Port)] = true
				for _, c := range o.Clients {
					want["master "+c] = true
				}
				for _, a := range o.OutstationAddresses {
					want[fmt.Sprintf("address %s %d", o.IP, a)] = true
				}
			}
			for _, m := range or.Protocols.DNP3.Masters {
				for _, a := range m.Addresses {
					want[fmt.Sprintf("address %s %d", m.IP, a)] = true
				}
			}
			for _, w := range or.Writes {
				if w.Protocol == "dnp3" {
					want[fmt.Sprintf("op %s>%s:%d %s %d x%d", w.Client, w.Server, w.ServerPort, w.Operation, w.Code, w.Count)] = true
				}
			}
			obs := runCapture(t, dir+"/"+capture, func() discovery.Dissector { return New() }, func() discovery.Dissector { return NewUDP() })
			got := map[string]bool{}
			counts := map[string]int{}
			for _, o := range obs {
				switch o.Kind {
				case discovery.KindService:
					if o.Role == "outstation" {
						got[fmt.Sprintf("outstation %s %s/%d", o.Asset.IP, o.Transport, o.Port)] = true
					} else {
						got["master "+o.Asset.IP.String()] = true
					}
				case discovery.KindAttribute:
					if o.Key == "dnp3.address" {
						got[fmt.Sprintf("address %s %s", o.Asset.IP, o.Value)] = true
					}
				case discovery.KindOperation:
					if oracleWrites[o.Op.Code] {
						counts[fmt.Sprintf("op %s>%s:%d %s %d", o.Asset.IP, o.Peer.IP, o.Port, o.Op.Name, o.Op.Code)]++
					}
				}
			}
			for k, c := range counts {
				got[fmt.Sprintf("%s x%d", k, c)] = true
			}
			r, p, miss, extra := prf(want, got)
			sort.Strings(miss)
			sort.Strings(extra)
			t.Logf("%s: recall %.3f precision %.3f (%d facts)", capture, r, p, len(want))
			if r < 0.95 || p < 0.95 {
				t.Errorf("below 0.95: missing %v extra %v", miss, extra)
			}
		})
	}
	if n == 0 {
		t.Fatal("no dnp3 oracle files")
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{frame1, frame292, frame422, frame2} {
		b, _ := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var flow discovery.Flow
		s := New().NewStream(&flow)
		pkt := &discovery.PacketInfo{Flow: &flow}
		emit := func(discovery.Observation) {}
		for len(b) > 0 {
			n, err := s.PDULen(b, discovery.ToServer)
			if err != nil || n == 0 || n > len(b) {
				break
			}
			_ = s.Parse(b[:n], pkt, emit)
			pkt.Dir ^= 1
			b = b[n:]
		}
		_ = NewUDP().Datagram(b, pkt, emit)
	})
}

func BenchmarkParse(b *testing.B) {
	raw, _ := hex.DecodeString(frame422)
	var flow discovery.Flow
	s := New().NewStream(&flow)
	pkt := &discovery.PacketInfo{Flow: &flow, Dir: discovery.ToClient}
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Parse(raw, pkt, emit); err != nil {
			b.Fatal(err)
		}
	}
}

// A device attribute response from the demo plant generator
// (testdata/gen/dnp3.go, frame 7 of `go run ./testdata/gen -only 40-dnp3`),
// decoded by tshark 4.0.17 as: Response, g0v252 "Schweitzer Engineering
// Laboratories, Inc.", g0v250 "SEL-3505 RTAC", g0v242 "R148-V2", g0v248
// "1193620145", g0v247 "RTU-SUB4" (each VSTR).
const genAttrs = "05647c4401000a008969c4c281000000fc000000012953636877e09a6569747a657220456e67696e6565726995be6e67204c61626f7261746f726965732c709a20496e632e00fa000000010d53454c2d307533353035205254414300f20000000107be9d523134382d563200f8000000010a3131bd1a393336323031343500f7000000010852e72054552d53554234da64"

func TestDeviceAttributesObserved(t *testing.T) {
	var flow discovery.Flow
	s := New().NewStream(&flow)
	pkt := &discovery.PacketInfo{Flow: &flow, Dir: discovery.ToClient}
	got := map[string]string{}
	err := s.Parse(unhex(t, genAttrs), pkt, func(o discovery.Observation) {
		if o.Kind == discovery.KindAttribute {
			got[o.Key] = o.Value
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"dnp3.address":          "10",
		"dnp3.manufacturer":     "Schweitzer Engineering Laboratories, Inc.",
		"dnp3.product_name":     "SEL-3505 RTAC",
		"dnp3.software_version": "R148-V2",
		"dnp3.serial_number":    "1193620145",
		"dnp3.device_name":      "RTU-SUB4",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// dnp3_example.pcap has unsolicited responses (function 130) in four of its
// eleven TCP connections: their first transport segments are frames 422,
// 541, 665 and 808. Wireshark 4.0 reports only three (422, 542, 667): the
// response starting at frame 808 (transport 0x7e: FIR, seq 62; application
// 0xf7 0x82) continues in 809 (seq 63) and 810 (0x80: FIN, seq 0), and
// Wireshark does not reassemble across the 63 -> 0 sequence wrap ("Application
// Layer Unreassembled fragment"). The transport sequence is 6 bits (IEEE
// 1815-2012 8.2.1.3), so the wrap is legal. The capture has no Secure
// Authentication (no function 32/33/131, no g120).
func TestCommAttributes(t *testing.T) {
	obs := runCapture(t, testutil.SharedPcap(t, "dnp3/dnp3_example.pcap"), func() discovery.Dissector { return New() })
	var frames []uint64
	for _, o := range obs {
		if o.Kind == discovery.KindCommAttribute {
			if o.Key != "dnp3.unsolicited" || o.Value != "true" {
				t.Errorf("unexpected comm attribute %s=%s", o.Key, o.Value)
			}
			if o.Asset.IP.String() != "10.10.20.5" || o.Peer.IP.String() != "10.10.20.8" {
				t.Errorf("comm attribute between %v and %v", o.Asset, o.Peer)
			}
			frames = append(frames, o.Evidence.Frame)
		}
	}
	if fmt.Sprint(frames) != "[422 541 665 808]" {
		t.Errorf("unsolicited reported at frames %v, want [422 541 665 808]", frames)
	}
}

// The wrap at frames 808-810 reassembles into one fragment: two full
// segments (length 0xff: 250 user bytes less the transport header) and the
// FIN segment of frame 810 (length 0xec).
func TestReassemblyWrap(t *testing.T) {
	all := testutil.ReadFrames(t, testutil.SharedPcap(t, "dnp3/dnp3_example.pcap"))
	var flow discovery.Flow
	s := New().NewStream(&flow)
	for _, n := range []int{808, 809, 810} {
		b := all[n-1].Data[54:] // Ethernet 14 + IPv4 20 + TCP 20 (no options)
		if err := s.Parse(b, &discovery.PacketInfo{Flow: &flow, Dir: discovery.ToClient}, func(discovery.Observation) {}); err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		st := flow.State.(*flowState)
		if n < 810 && !st.reasm[1].active {
			t.Fatalf("frame %d: reassembly dropped", n)
		}
		if n == 810 && (st.reasm[1].active || len(st.reasm[1].buf) != 249+249+(0xec-6)) {
			t.Fatalf("frame 810: active %v, %d bytes", st.reasm[1].active, len(st.reasm[1].buf))
		}
	}
}

// DNP3 over UDP carries whole link frames, several per datagram allowed
// (IEEE 1815-2012 Annex G); frames 1 and 292 of dnp3_example.pcap put in
// one datagram give two requests, read and select.
func TestDatagram(t *testing.T) {
	d := NewUDP()
	b := append(unhex(t, frame1), unhex(t, frame292)...)
	if v := d.Detect(b, nil); v != discovery.Yes {
		t.Fatalf("detect %v", v)
	}
	var flow discovery.Flow
	var ops []string
	err := d.Datagram(b, &discovery.PacketInfo{Flow: &flow}, func(o discovery.Observation) {
		if o.Kind == discovery.KindOperation {
			ops = append(ops, o.Op.Name+"/"+string(o.Op.Class))
		}
	})
	if err != nil || strings.Join(ops, ",") != "read/read,select/control" {
		t.Errorf("ops %v err %v", ops, err)
	}
	if err := d.Datagram(b[:len(b)-3], &discovery.PacketInfo{Flow: &flow}, func(discovery.Observation) {}); !errors.Is(err, ErrShort) {
		t.Errorf("truncated datagram: %v", err)
	}
	if v := d.Detect(unhex(t, frame1)[:6], nil); v != discovery.No {
		t.Errorf("6-byte datagram: %v", v)
	}
}
