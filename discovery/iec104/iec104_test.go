package iec104

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
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

// APDUs of testdata/fixtures/iec104/demo_iec104.pcapng (written by `go run ./testdata/gen
// -only 42-iec104`), with tshark 4.0.17's summary of each frame.
const (
	startAct = "680407000000" // frame 4: "<- U (STARTDT act)"
	startCon = "68040b000000" // frame 5: "-> U (STARTDT con)"
	// frame 6: "<- I (0,0) ASDU=7 C_IC_NA_1 Act IOA=0"
	giAct = "680e00000000640106000700000000 14"
	// frame 8: "-> I (1,1) ASDU=7 M_SP_NA_1 Inrogen IOA[2]=1001-1002"
	spInro = "680f0200020001821400070 0e90300 01 00"
	// frame 11: "<- S (4)"
	sFrame = "680401000800"
	// frame 16: "<- I (2,6) ASDU=7 C_SC_NA_1 Act IOA=5001"
	scAct = "680e04000c002d0106000700891300 81"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hex    string
		apci   APCI
		asdu   *ASDU
		opName string
	}{
		{"startdt act", startAct, APCI{Length: 4, Format: FormatU, U: StartDTAct}, nil, ""},
		{"startdt con", startCon, APCI{Length: 4, Format: FormatU, U: StartDTCon}, nil, ""},
		{"s frame", sFrame, APCI{Length: 4, Format: FormatS, RecvSeq: 4}, nil, ""},
		{"interrogation", giAct, APCI{Length: 14, Format: FormatI}, &ASDU{Type: 100, Count: 1, Cause: 6, CommonAddress: 7}, "interrogation"},
		{"single points", spInro, APCI{Length: 15, Format: FormatI, SendSeq: 1, RecvSeq: 1}, &ASDU{Type: 1, Sequence: true, Count: 2, Cause: 20, CommonAddress: 7, FirstIOA: 1001}, "single_point"},
		{"single command", scAct, APCI{Length: 14, Format: FormatI, SendSeq: 2, RecvSeq: 6}, &ASDU{Type: 45, Count: 1, Cause: 6, CommonAddress: 7, FirstIOA: 5001}, "single_command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := unhex(t, tc.hex)
			if n, err := PDULen(b); err != nil || n != len(b) {
				t.Fatalf("PDULen %d %v, want %d", n, err, len(b))
			}
			a, err := ParseAPCI(b)
			if err != nil {
				t.Fatal(err)
			}
			asdu := a.ASDU
			a.ASDU = nil
			if a.Length != tc.apci.Length || a.Format != tc.apci.Format || a.SendSeq != tc.apci.SendSeq || a.RecvSeq != tc.apci.RecvSeq || a.U != tc.apci.U {
				t.Errorf("apci %+v, want %+v", a, tc.apci)
			}
			if tc.asdu == nil {
				return
			}
			h, err := ParseASDU(asdu)
			if err != nil {
				t.Fatal(err)
			}
			if h != *tc.asdu {
				t.Errorf("asdu %+v, want %+v", h, *tc.asdu)
			}
			if h.Type.String() != tc.opName {
				t.Errorf("name %q, want %q", h.Type, tc.opName)
			}
		})
	}
	if TypeID(45).Mnemonic() != "C_SC_NA_1" || TypeID(45).Class() != discovery.OpControl || TypeID(1).Class() != "" {
		t.Error("type table")
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		want error
	}{
		{"not 0x68", "670400000000", ErrStart},
		{"length 3", "680307000000", ErrAPCI},
		{"u with payload", "68050700000000", ErrAPCI},
		{"unknown u", "680433000000", ErrAPCI},
		{"i without asdu", "680400000000", ErrAPCI},
	} {
		if _, err := ParseAPCI(unhex(t, tc.hex)); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDetect(t *testing.T) {
	d := New()
	for _, tc := range []struct {
		name string
		b    []byte
		want discovery.Verdict
	}{
		{"startdt", unhex(t, startAct), discovery.Yes},
		{"interrogation", unhex(t, giAct), discovery.Yes},
		{"half an I frame", unhex(t, giAct)[:8], discovery.NeedMore},
		{"one byte", []byte{0x68}, discovery.NeedMore},
		{"http", []byte("GET / HTTP/1.1\r\n"), discovery.No},
		{"lower-case text", append([]byte{'h', 30}, "ello world, this is some text."...), discovery.No},
		{"unknown type id", unhex(t, "680e00000000ff0106000700000000 14"), discovery.No},
	} {
		if v := d.Detect(tc.b, discovery.ToServer); v != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, v, tc.want)
		}
	}
}

func TestPrefixes(t *testing.T) {
	for _, h := range []string{startAct, giAct, spInro, sFrame, scAct} {
		b := unhex(t, h)
		for i := 0; i < len(b); i++ {
			n, err := PDULen(b[:i])
			if err != nil || (n != 0 && n <= i) {
				t.Fatalf("%s prefix %d: %d %v", h, i, n, err)
			}
			if _, err := ParseAPCI(b[:i]); err == nil {
				t.Fatalf("%s prefix %d parsed", h, i)
			}
			_, _ = ParseASDU(b[:i])
			_ = New().Detect(b[:i], discovery.ToServer)
		}
	}
}

// The STARTDT act comes from the TCP server: it is the controlling station
// (an RTU that dials out and then gets controlled is rare, but a reversed
// capture start is not). Roles follow STARTDT, not the handshake.
func TestReversedRoles(t *testing.T) {
	var flow discovery.Flow
	s := New().NewStream(&flow)
	var roles []string
	emit := func(o discovery.Observation) {
		if o.Kind == discovery.KindService {
			roles = append(roles, fmt.Sprintf("%s=%v", o.Role, o.Asset.IP))
		}
	}
	pkt := &discovery.PacketInfo{Flow: &flow, Dir: discovery.ToClient}
	pkt.Src.IP, pkt.Dst.IP = mustAddr("10.0.0.1"), mustAddr("10.0.0.2")
	if err := s.Parse(unhex(t, startAct), pkt, emit); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(roles, " "); got != "server=10.0.0.2 client=10.0.0.1" {
		t.Errorf("roles %s", got)
	}
}

type oracleFile struct {
	Protocols struct {
		IEC104 struct {
			Servers []struct {
				IP              string   `json:"ip"`
				Port            int      `json:"port"`
				Clients         []string `json:"clients"`
				CommonAddresses []int    `json:"common_addresses"`
			} `json:"servers"`
		} `json:"iec104"`
	} `json:"protocols"`
	Writes []struct {
		Protocol   string `json:"protocol"`
		Code       int    `json:"code"`
		Client     string `json:"client"`
		Server     string `json:"server"`
		ServerPort int    `json:"server_port"`
		Count      int    `json:"count"`
	} `json:"write_operations"`
}

// oracleCommands are the type ids ORACLE.md lists as iec104 write operations.
func oracleCommand(t int) bool { return t >= 45 && t <= 51 || t >= 58 && t <= 64 || t == 105 }

func compare(t *testing.T, capture string, or oracleFile) {
	want := map[string]bool{}
	for _, s := range or.Protocols.IEC104.Servers {
		want[fmt.Sprintf("server %s:%d", s.IP, s.Port)] = true
		for _, c := range s.Clients {
			want["client "+c] = true
		}
		for _, ca := range s.CommonAddresses {
			want[fmt.Sprintf("ca %s %d", s.IP, ca)] = true
		}
	}
	for _, w := range or.Writes {
		if w.Protocol == "iec104" {
			want[fmt.Sprintf("op %s>%s:%d %d x%d", w.Client, w.Server, w.ServerPort, w.Code, w.Count)] = true
		}
	}
	got := map[string]bool{}
	counts := map[string]int{}
	for _, o := range runCapture(t, capture, func() discovery.Dissector { return New() }) {
		switch o.Kind {
		case discovery.KindService:
			if o.Role == "server" {
				got[fmt.Sprintf("server %s:%d", o.Asset.IP, o.Port)] = true
			} else {
				got["client "+o.Asset.IP.String()] = true
			}
		case discovery.KindAttribute:
			if o.Protocol != "iec104" {
				continue // the engine's own facts (VLANs)
			}
			got[fmt.Sprintf("ca %s %s", o.Asset.IP, o.Value)] = true
		case discovery.KindOperation:
			if oracleCommand(o.Op.Code) {
				counts[fmt.Sprintf("op %s>%s:%d %d", o.Asset.IP, o.Peer.IP, o.Port, o.Op.Code)]++
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
}

// TestDemoCapture checks the demo capture against Wireshark's decode of it
// (tshark 4.0.17, summarised in the oracle format): server 10.10.10.17:2404,
// client 10.10.20.23, common address 7, and two C_SC_NA_1 activations from
// the client (frames 16 and 18; the select and the execute).
func TestDemoCapture(t *testing.T) {
	var or oracleFile
	or.Protocols.IEC104.Servers = append(or.Protocols.IEC104.Servers, struct {
		IP              string   `json:"ip"`
		Port            int      `json:"port"`
		Clients         []string `json:"clients"`
		CommonAddresses []int    `json:"common_addresses"`
	}{"10.10.10.17", 2404, []string{"10.10.20.23"}, []int{7}})
	or.Writes = append(or.Writes, struct {
		Protocol   string `json:"protocol"`
		Code       int    `json:"code"`
		Client     string `json:"client"`
		Server     string `json:"server"`
		ServerPort int    `json:"server_port"`
		Count      int    `json:"count"`
	}{"iec104", 45, "10.10.20.23", "10.10.10.17", 2404, 2})
	compare(t, testutil.Fixture("iec104", "demo_iec104.pcapng"), or)

	// Every control-direction ASDU is an operation, classed.
	var ops []string
	for _, o := range runCapture(t, testutil.Fixture("iec104", "demo_iec104.pcapng"), func() discovery.Dissector { return New() }) {
		if o.Kind == discovery.KindOperation {
			ops = append(ops, fmt.Sprintf("%d:%s/%s", o.Evidence.Frame, o.Op.Name, o.Op.Class))
		}
	}
	want := "6:interrogation/read 12:clock_synchronization/diagnostic 16:single_command/control 18:single_command/control"
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("operations\n got %s\nwant %s", got, want)
	}
}

// TestConformance runs every shared IEC 104 capture with an oracle (none in
// the shared set yet; OTZONE_ORACLE_DIR points at others).
func TestConformance(t *testing.T) {
	dir := os.Getenv("OTZONE_ORACLE_DIR")
	if dir == "" {
		dir = testutil.SharedDir(t) + "/pcaps/iec104"
	}
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".oracle.json") || !strings.Contains(e.Name(), "104") {
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
			compare(t, dir+"/"+capture, or)
		})
	}
	if n == 0 {
		t.Skipf("no IEC 104 captures with an oracle in %s", dir)
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{startAct, giAct, spInro, sFrame, scAct} {
		b, _ := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var flow discovery.Flow
		s := New().NewStream(&flow)
		pkt := &discovery.PacketInfo{Flow: &flow}
		_ = New().Detect(b, discovery.ToServer)
		for len(b) > 0 {
			n, err := s.PDULen(b, pkt.Dir)
			if err != nil || n == 0 || n > len(b) {
				return
			}
			_ = s.Parse(b[:n], pkt, func(discovery.Observation) {})
			pkt.Dir ^= 1
			b = b[n:]
		}
	})
}

func BenchmarkParse(b *testing.B) {
	raw, _ := hex.DecodeString(strings.ReplaceAll(spInro, " ", ""))
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

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
