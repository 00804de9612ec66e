package cdp

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/cdp/cdp.pcap is written by testdata/fixtures/cdp/gen_fixture.py (scapy.contrib.cdp).
// The expected values are tshark 4.0's decode (tshark -r testdata/fixtures/cdp/cdp.pcap -V):
//
//	frame 1 from 00:1b:54:10:00:02: Device ID "ie4000-cell1.plant.local", Software version first line
//	  "Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)",
//	  Platform "cisco IE-4000-8GT4G4E", Addresses 10.10.10.2, Port ID "GigabitEthernet1/5",
//	  Capabilities 0x00000028 (Switch, IGMP capable), VTP Management Domain "PLANT", Native VLAN 10,
//	  Management Addresses 10.10.10.2
//	frame 2 from 00:1b:54:10:00:03: "core-router", "cisco ISR4331/K9", Addresses 10.10.10.1 and
//	  fd00:10:10::1, Port ID "GigabitEthernet0/0/1.10", Capabilities 0x00000029 (Router, Switch, IGMP)
func payloads(t testing.TB) [][]byte {
	var out [][]byte
	for _, f := range testutil.ReadFrames(t, testutil.Fixture("cdp", "cdp.pcap")) {
		out = append(out, f.Data[14+8:]) // 802.3 header, LLC/SNAP
	}
	return out
}

func TestParse(t *testing.T) {
	ps := payloads(t)
	var p Packet
	if err := Parse(ps[1], &p); err != nil {
		t.Fatal(err)
	}
	got := []string{string(p.DeviceID), string(p.Platform), string(p.PortID), p.Capabilities.String()}
	want := []string{"core-router", "cisco ISR4331/K9", "GigabitEthernet0/0/1.10", "router,switch,igmp"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	if !slices.Equal(p.Addresses.Slice(), []netip.Addr{netip.MustParseAddr("10.10.10.1"), netip.MustParseAddr("fd00:10:10::1")}) {
		t.Errorf("addresses %v", p.Addresses.Slice())
	}
	if p.Version != 2 || p.TTL != 180 {
		t.Errorf("version %d ttl %d", p.Version, p.TTL)
	}
}

func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("cdp", "cdp.pcap")), "cdp.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const sw = "00:1b:54:10:00:02"
	checks := []struct {
		who, key string
		want     []string
	}{
		{sw, "cdp.device_id", []string{"ie4000-cell1.plant.local"}},
		{sw, "cdp.software_version", []string{"Cisco IOS Software, IE4000 Software (IE4000-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)"}},
		{sw, "cdp.platform", []string{"cisco IE-4000-8GT4G4E"}},
		{sw, "cdp.addresses", []string{"10.10.10.2"}},
		{sw, "cdp.management_ip", []string{"10.10.10.2"}},
		{sw, "cdp.port_id", []string{"GigabitEthernet1/5"}},
		{sw, "cdp.capabilities", []string{"switch,igmp"}},
		{sw, "cdp.native_vlan", []string{"10"}},
		{sw, "cdp.vtp_domain", []string{"PLANT"}},
		{"00:1b:54:10:00:03", "cdp.addresses", []string{"10.10.10.1", "fd00:10:10::1"}},
	}
	for _, c := range checks {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	if got := h.Services(sw); !slices.Equal(got, []string{"cdp/eth/0/publisher"}) {
		t.Errorf("services %q", got)
	}
}

func TestErrorsAndPrefixes(t *testing.T) {
	var p Packet
	for _, c := range []struct {
		b    []byte
		want error
	}{
		{[]byte{2, 180}, ErrShort},
		{[]byte{9, 180, 0, 0}, ErrVersion},
		{[]byte{2, 180, 0, 0, 0, 1, 0, 40, 'a'}, ErrTLV},
		{[]byte{2, 180, 0, 0, 0, 1, 0, 2}, ErrTLV},
		{[]byte{2, 180, 0, 0, 0, 2, 0, 12, 0, 0, 0, 5, 1, 1}, ErrTLV},
	} {
		if err := Parse(c.b, &p); !errors.Is(err, c.want) {
			t.Errorf("% x: %v, want %v", c.b, err, c.want)
		}
	}
	for _, b := range payloads(t) {
		for i := range len(b) {
			_ = Parse(b[:i], &p)
			_ = New().Frame(b[:i], &discovery.PacketInfo{Src: discovery.Endpoint{MAC: discovery.MAC{2}}}, func(discovery.Observation) {})
		}
	}
}

func TestRepeatSuppressed(t *testing.T) {
	d := New()
	b := payloads(t)[0]
	n := 0
	pkt := &discovery.PacketInfo{Src: discovery.Endpoint{MAC: discovery.MAC{0, 0x1b, 0x54, 0x10, 0, 2}}}
	for range 3 {
		if err := d.Frame(b, pkt, func(discovery.Observation) { n++ }); err != nil {
			t.Fatal(err)
		}
	}
	if n != 10 { // 1 service + 9 attributes, once
		t.Errorf("%d observations for three identical frames, want 10", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, b := range payloads(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Packet
		_ = Parse(b, &p)
		_ = New().Frame(b, &discovery.PacketInfo{Src: discovery.Endpoint{MAC: discovery.MAC{2}}}, func(discovery.Observation) {})
	})
}

func BenchmarkParse(b *testing.B) {
	data := payloads(b)[0]
	var p Packet
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(data, &p); err != nil {
			b.Fatal(err)
		}
	}
}
