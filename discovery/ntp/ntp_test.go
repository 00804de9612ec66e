package ntp

import (
	"errors"
	"slices"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/ntp/ntp.pcap is written by testdata/fixtures/ntp/gen_fixture.py (scapy). tshark -V reads:
//
//	1 10.10.20.21 → 10.10.30.123 NTPv4 client, stratum 0
//	2 10.10.30.123 → 10.10.20.21 NTPv4 server, stratum 1 (primary reference), Reference ID "GPS"
//	3 10.10.30.123:123 → 192.168.1.10:123 client; 4 the reply: server, stratum 2, Reference ID 192.168.1.1
//	5 10.10.20.22 → 10.10.30.123 NTPv2 control, Request, Opcode read variables (2)
//	6 10.10.20.22 → 10.10.30.123 NTPv2 private, Request, MON_GETLIST_1 (42)
func payloads(t testing.TB) [][]byte {
	var out [][]byte
	for _, f := range testutil.ReadFrames(t, testutil.Fixture("ntp", "ntp.pcap")) {
		out = append(out, f.Data[14+20+8:])
	}
	return out
}

func TestParse(t *testing.T) {
	ps := payloads(t)
	want := []Packet{
		{Version: 4, Mode: ModeClient},
		{Version: 4, Mode: ModeServer, Stratum: 1, RefID: [4]byte{'G', 'P', 'S', 0}},
		{Version: 4, Mode: ModeClient, Stratum: 1, RefID: [4]byte{'G', 'P', 'S', 0}},
		{Version: 4, Mode: ModeServer, Stratum: 2, RefID: [4]byte{192, 168, 1, 1}},
		{Version: 2, Mode: ModeControl, ControlOp: 2},
		{Version: 2, Mode: ModePrivate, RequestCode: 42},
	}
	for i, b := range ps {
		var p Packet
		if err := Parse(b, &p); err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		if p != want[i] {
			t.Errorf("frame %d: %+v, want %+v", i+1, p, want[i])
		}
	}
}

func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("ntp", "ntp.pcap")), "ntp.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	checks := []struct {
		who, key string
		want     []string
	}{
		{"10.10.30.123", "ntp.stratum", []string{"1"}},
		{"10.10.30.123", "ntp.reference_id", []string{"GPS"}},
		{"192.168.1.10", "ntp.stratum", []string{"2"}},
		{"192.168.1.10", "ntp.reference_id", []string{"192.168.1.1"}},
		{"10.10.20.21", "ntp.stratum", nil},
	}
	for _, c := range checks {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	for who, want := range map[string][]string{
		"10.10.20.21":  {"ntp/udp/123/client"},
		"10.10.30.123": {"ntp/udp/123/server", "ntp/udp/123/client"},
		"192.168.1.10": {"ntp/udp/123/server"},
	} {
		if got := h.Services(who); !slices.Equal(got, want) {
			t.Errorf("%s services %q, want %q", who, got, want)
		}
	}
	if got := h.Ops("10.10.20.22"); !slices.Equal(got, []string{"read_variables/diagnostic", "monlist/diagnostic"}) {
		t.Errorf("ops %q", got)
	}
	if got := h.Ops("10.10.20.21"); got != nil {
		t.Errorf("plain time requests became operations: %q", got)
	}
}

func TestErrorsAndPrefixes(t *testing.T) {
	var p Packet
	for _, c := range []struct {
		b    []byte
		want error
	}{
		{nil, ErrShort},
		{[]byte{0x00}, ErrVersion},
		{[]byte{0x20}, ErrMode},
		{[]byte{0x23, 0, 0}, ErrShort},
		{[]byte{0x16, 2}, ErrShort},
	} {
		if err := Parse(c.b, &p); !errors.Is(err, c.want) {
			t.Errorf("% x: %v, want %v", c.b, err, c.want)
		}
	}
	for _, b := range payloads(t) {
		for i := range len(b) {
			_ = Parse(b[:i], &p)
			_ = New().Datagram(b[:i], &discovery.PacketInfo{}, func(discovery.Observation) {})
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, b := range payloads(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Packet
		_ = Parse(b, &p)
		_ = New().Datagram(b, &discovery.PacketInfo{}, func(discovery.Observation) {})
	})
}

func BenchmarkParse(b *testing.B) {
	data := payloads(b)[1]
	var p Packet
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(data, &p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRealChrony: testdata/fixtures/ntp/real_chrony.pcap (testdata/fixtures/ntp/gen_real.sh: chronyd 4.3
// in query-only mode asking a chronyd serving "local stratum 1" on loopback).
// tshark -V reads: frames 1, 3, 5 NTPv4 client, stratum 0; frames 2, 4, 6 NTPv4
// server, stratum 1 (primary reference), Reference ID "Unidentified reference
// source ”" (not printable: no reference_id is reported).
func TestRealChrony(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("ntp", "real_chrony.pcap")), "real_chrony.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	if got := h.Attr("127.0.0.2", "ntp.stratum"); !slices.Equal(got, []string{"1"}) {
		t.Errorf("stratum %q", got)
	}
	if got := h.Attr("127.0.0.2", "ntp.version"); !slices.Equal(got, []string{"4"}) {
		t.Errorf("version %q", got)
	}
	if got := h.Attr("127.0.0.2", "ntp.reference_id"); got != nil {
		t.Errorf("reference_id %q", got)
	}
	if got := h.Services("127.0.0.1"); !slices.Equal(got, []string{"ntp/udp/123/client"}) {
		t.Errorf("client services %q", got)
	}
	n := 0
	for _, o := range h.Obs {
		if o.Key == "ntp.stratum" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("stratum reported %d times for one unchanged server", n)
	}
}
