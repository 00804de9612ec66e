package dns

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
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

// Real messages (UDP payloads) from the shared captures.
const (
	// opcua/open62541_client-server_mainloop.pcap frame 4, Wireshark: "Standard query response 0xd66a
	// A gateway.docker.internal A 192.168.65.1" (loopback capture).
	dockerAnswer = "d66a81800001000100000000076761746577617906646f636b657208696e7465726e616c0000010001c00c00010001000000000004c0a84101"
	// profinet/profinet_io_cm_mixed_1.pcap frame 120, Wireshark: "Registration NB KW-VLIPC<00>",
	// NB flags unique, address 192.168.1.1.
	nbnsRegister = "92f92910000100000000000120454c4648434e4647454d454a46414544434143414341434143414341434141410000200001c00c00200001000493e000066000c0a80101"
	// same capture frame 122: "Registration NB WORKGROUP<00>", group name, 192.168.1.1.
	nbnsGroup = "92fa2910000100000000000120464845504643454c4548464345504646464143414341434143414341434141410000200001c00c00200001000493e00006e000c0a80101"
)

func TestParseReal(t *testing.T) {
	b := unhex(t, dockerAnswer)
	h, err := ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Response || h.ID != 0xd66a || h.QDCount != 1 || h.ANCount != 1 || h.RCode != 0 {
		t.Fatalf("header %+v", h)
	}
	r := NewReader(b, h)
	var rr RR
	var got []string
	for r.Next(&rr) {
		s := rr.Name.String() + " " + rr.Type.String()
		if a, ok := rdataAddr(&rr); ok {
			s += " " + a.String()
		}
		got = append(got, s)
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	want := []string{"gateway.docker.internal A", "gateway.docker.internal A 192.168.65.1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q want %q", got, want)
	}

	// NetBIOS first-level encoding: "ELFHCNFGEMEJFAEDCACACACACACACAAA" = "KW-VLIPC" + spaces, suffix 0x00.
	b = unhex(t, nbnsRegister)
	h, _ = ParseHeader(b)
	r = NewReader(b, h)
	var nb [16]byte
	var names []string
	for r.Next(&rr) {
		n, suffix, ok := DecodeNetBIOSName(rr.Name.Bytes(), &nb)
		if !ok || suffix != 0 {
			t.Fatalf("decode %q: %v %#x", rr.Name.String(), ok, suffix)
		}
		names = append(names, string(nb[:n]))
	}
	if !slices.Equal(names, []string{"KW-VLIPC", "KW-VLIPC"}) || r.Err() != nil {
		t.Errorf("names %q err %v", names, r.Err())
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		hex  string
		want error
	}{
		{"short header", "d66a8180", ErrShort},
		{"label overrun", "000001000001000000000000" + "0761", ErrRecord},
		{"pointer loop", "000001000001000000000000" + "c00c" + "00010001", ErrName},
		{"bad label type", "000001000001000000000000" + "40", ErrName},
		{"rdata overrun", "000081800000000100000000" + "00" + "0001000100000000" + "00ff", ErrRecord},
		{"counts", "00000100ffffffff00000000", ErrCounts},
	}
	for _, c := range cases {
		b := unhex(t, c.hex)
		h, err := ParseHeader(b)
		if err == nil {
			r := NewReader(b, h)
			var rr RR
			for r.Next(&rr) {
			}
			err = r.Err()
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestPrefixes(t *testing.T) {
	for _, s := range []string{dockerAnswer, nbnsRegister, nbnsGroup} {
		b := unhex(t, s)
		for i := range len(b) {
			for _, d := range []interface {
				Datagram([]byte, *discovery.PacketInfo, discovery.Emit) error
			}{New(), NewMDNS(), NewNBNS()} {
				_ = d.Datagram(b[:i], &discovery.PacketInfo{}, func(discovery.Observation) {})
			}
		}
	}
}

func TestReverseAddr(t *testing.T) {
	cases := map[string]string{
		"11.10.10.10.in-addr.arpa": "10.10.10.11",
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa": "2001:db8::1",
		"10.10.10.in-addr.arpa":  "",
		"300.1.1.1.in-addr.arpa": "",
		"x.1.1.1.in-addr.arpa":   "",
		"example.com":            "",
	}
	for in, want := range cases {
		a, ok := reverseAddr([]byte(in))
		got := ""
		if ok {
			got = a.String()
		}
		if got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

// TestFixture runs testdata/fixtures/dns/names.pcap (testdata/fixtures/dns/gen_fixture.py, scapy). Expected values are those
// tshark -V prints for it: frame 2 "hist01.plant.local A 10.10.30.31", frame 4 "Hist01.Plant.Local
// AAAA fd00:10:30::31", frame 6 PTR 11.10.10.10.in-addr.arpa → plc-modbus.plant.local, frame 8
// update.example.com A 203.0.113.80 (public), frame 10 No such name, frames 14-16 AXFR plant.local
// over TCP (answer split in two segments) with A 10.10.10.13 plc-s7 and 10.10.20.22 ews-1, frame 18
// mDNS from 10.10.20.50: PTR _ipp._tcp.local, instance "Line 3 Printer", A prn-line3.local
// 10.10.20.50; frame 20 NBNS Registration EWS-1<20> from 10.10.20.22, frame 21 PLANT<00> group,
// frame 23 NBSTAT response: EWS-1<00> unique, PLANT<00> group, EWS-1<20> unique.
func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("dns", "names.pcap")), "names.pcap", New(), NewTCP(), NewMDNS(), NewNBNS())
	h.NoErrors()
	h.CheckObservations()
	checks := []struct {
		who, key string
		want     []string
	}{
		{"10.10.30.31", "dns.name", []string{"hist01.plant.local"}},
		{"fd00:10:30::31", "dns.name", []string{"hist01.plant.local"}},
		{"10.10.10.11", "dns.name", []string{"plc-modbus.plant.local"}},
		{"203.0.113.80", "dns.name", nil},
		{"10.10.10.13", "dns.name", []string{"plc-s7.plant.local"}},
		{"10.10.20.22", "dns.name", []string{"ews-1.plant.local"}},
		{"10.10.20.50", "mdns.name", []string{"prn-line3.local"}},
		{"10.10.20.50", "mdns.service", []string{"_ipp._tcp"}},
		{"10.10.20.50", "mdns.instance", []string{"Line 3 Printer"}},
		{"10.10.20.22", "nbns.name", []string{"EWS-1"}},
		{"10.10.20.22", "nbns.workgroup", []string{"PLANT"}},
	}
	for _, c := range checks {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	svc := []struct {
		who  string
		want []string
	}{
		{"10.10.30.53", []string{"dns/udp/53/server", "dns/tcp/53/server"}},
		{"10.10.20.21", []string{"dns/udp/53/client", "dns/tcp/53/client", "mdns/udp/5353/client", "nbns/udp/137/client"}},
		{"10.10.20.50", []string{"mdns/udp/5353/server"}},
		{"10.10.20.22", []string{"nbns/udp/137/client", "nbns/udp/137/server"}},
	}
	for _, c := range svc {
		if got := h.Services(c.who); !slices.Equal(got, c.want) {
			t.Errorf("%s services %q, want %q", c.who, got, c.want)
		}
	}
	if got := h.Ops("10.10.20.21"); !slices.Equal(got, []string{"query/discovery", "zone_transfer/read"}) {
		t.Errorf("ops %q", got)
	}
	// The NBSTAT name facts come from the host itself with its MAC.
	for _, o := range h.Obs {
		if o.Key == "nbns.name" && o.Evidence.Frame == 23 && o.Asset.MAC.String() != "00:0c:29:20:00:22" {
			t.Errorf("NBSTAT name without the responder's MAC: %+v", o.Asset)
		}
	}
}

// TestReal runs the shared captures that carry DNS and NBNS.
func TestReal(t *testing.T) {
	// The open62541 capture's DNS runs between two ephemeral ports (Docker's embedded resolver;
	// Wireshark finds it heuristically), which no port claim reaches: feed frame 4 directly.
	var obs []discovery.Observation
	pkt := &discovery.PacketInfo{Src: discovery.Endpoint{IP: netip.MustParseAddr("127.0.0.1")}}
	pkt.Evidence.Frame = 4
	if err := New().Datagram(unhex(t, dockerAnswer), pkt, func(o discovery.Observation) { obs = append(obs, o) }); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range obs {
		if o.Key == "dns.name" {
			got = append(got, o.Asset.IP.String()+" "+o.Value)
		}
	}
	if !slices.Equal(got, []string{"192.168.65.1 gateway.docker.internal"}) {
		t.Errorf("dns.name %q", got)
	}
	path := testutil.SharedPcap(t, "profinet/profinet_io_cm_mixed_1.pcap")
	h := ittest.Run(t, testutil.ReadFrames(t, path), "mixed_1", NewNBNS())
	h.NoErrors()
	h.CheckObservations()
	// tshark: frames 120-127 register KW-VLIPC<00>, KW-VLIPC<20>, WORKGROUP<00> (group) for 192.168.1.1;
	// the 797 name queries (ARMMF.ADOBE.COM, WPAD, ISATAP, NTS-AM-MIPS01, AMERICAS<1c>) name nobody.
	if got := h.Attr("192.168.1.1", "nbns.name"); !slices.Equal(got, []string{"KW-VLIPC"}) {
		t.Errorf("nbns.name %q", got)
	}
	if got := h.Attr("192.168.1.1", "nbns.workgroup"); !slices.Equal(got, []string{"WORKGROUP"}) {
		t.Errorf("nbns.workgroup %q", got)
	}
	n := 0
	for _, o := range h.Obs {
		if o.Kind == discovery.KindAttribute {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d attributes, want 2 (deduplicated)", n)
	}
}

func TestLocalAddr(t *testing.T) {
	for s, want := range map[string]bool{"10.1.2.3": true, "192.168.65.1": true, "100.64.1.1": true, "fd00::1": true,
		"fe80::1": true, "8.8.8.8": false, "2001:db8::1": false, "100.128.0.1": false} {
		if got := localAddr(netip.MustParseAddr(s)); got != want {
			t.Errorf("%s: %v", s, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{dockerAnswer, nbnsRegister, nbnsGroup} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	for _, fr := range testutil.ReadFrames(f, testutil.Fixture("dns", "names.pcap")) {
		if len(fr.Data) > 42 {
			f.Add(fr.Data[42:])
		}
	}
	d, m, n := New(), NewMDNS(), NewNBNS()
	f.Fuzz(func(t *testing.T, b []byte) {
		pkt := &discovery.PacketInfo{Src: discovery.Endpoint{IP: netip.MustParseAddr("10.0.0.1")}}
		nop := func(discovery.Observation) {}
		_ = d.Datagram(b, pkt, nop)
		_ = m.Datagram(b, pkt, nop)
		_ = n.Datagram(b, pkt, nop)
		s := tcpStream{NewTCP()}
		if l, err := s.PDULen(b, discovery.ToClient); err == nil && l > 0 && l <= len(b) {
			_ = s.Parse(b[:l], pkt, nop)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := unhex(b, dockerAnswer)
	var rr RR
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		h, err := ParseHeader(data)
		if err != nil {
			b.Fatal(err)
		}
		r := NewReader(data, h)
		for r.Next(&rr) {
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
}

// TestRealDnsmasq: testdata/fixtures/dns/real_dnsmasq.pcap (testdata/fixtures/dns/gen_real.sh: dig
// against dnsmasq on loopback, EDNS OPT records included). tshark -Y dns reads:
// frame 2 A historian.plant.local 10.10.30.31, frame 4 AAAA fd00:10:30::31,
// frame 6 PTR 11.10.10.10.in-addr.arpa → plc-modbus.plant.local, frame 12 (TCP)
// A plc-s7.plant.local 10.10.10.13, frame 18 No such name wpad.plant.local.
func TestRealDnsmasq(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("dns", "real_dnsmasq.pcap")), "real_dnsmasq.pcap", New(), NewTCP())
	h.NoErrors()
	h.CheckObservations()
	for who, want := range map[string]string{"10.10.30.31": "historian.plant.local", "fd00:10:30::31": "historian.plant.local",
		"10.10.10.11": "plc-modbus.plant.local", "10.10.10.13": "plc-s7.plant.local"} {
		if got := h.Attr(who, "dns.name"); !slices.Equal(got, []string{want}) {
			t.Errorf("%s dns.name %q, want %q", who, got, want)
		}
	}
	if got := h.Services("127.0.0.2"); !slices.Equal(got, []string{"dns/udp/53/server", "dns/tcp/53/server"}) {
		t.Errorf("services %q", got)
	}
}
