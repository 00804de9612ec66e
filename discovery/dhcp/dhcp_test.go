package dhcp

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// profinet/profinet_io_cm_mixed_1.pcap frame 1237 (UDP payload), Wireshark: "DHCP Discover -
// Transaction ID 0x12c1249f", Client MAC e4:11:5b:5a:d9:73, Host Name "LT-US-DSWANSON",
// Vendor class identifier "MSFT 5.0".
var discoverHex = "0101060012c1249f0000800000000000000000000000000000000000e4115b5ad973" +
	"00000000000000000000" + zeros192 +
	"638253633501013d0701e4115b5ad9730c0e4c542d55532d445357414e534f4e3c084d53465420352e30370c010f03062c2e2f1f2179f92bff00000000000000"

// sname (64) + file (128) = 192 zero bytes.
var zeros192 = hex.EncodeToString(make([]byte, 192))

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReal(t *testing.T) {
	var m Message
	if err := Parse(unhex(t, discoverHex), &m); err != nil {
		t.Fatal(err)
	}
	mac, ok := m.MAC()
	if !ok || discovery.MAC(mac).String() != "e4:11:5b:5a:d9:73" {
		t.Errorf("chaddr %x %v", mac, ok)
	}
	got := []string{m.Op.String(), m.Type.String(), string(m.HostName), string(m.VendorClass)}
	want := []string{"request", "discover", "LT-US-DSWANSON", "MSFT 5.0"}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
	if m.XID != 0x12c1249f || m.RequestedIP.IsValid() {
		t.Errorf("xid %#x requested %v", m.XID, m.RequestedIP)
	}
}

func TestParseErrors(t *testing.T) {
	b := unhex(t, discoverHex)
	var m Message
	if err := Parse(b[:100], &m); !errors.Is(err, ErrShort) {
		t.Errorf("short: %v", err)
	}
	bad := slices.Clone(b)
	bad[236] = 0
	if err := Parse(bad, &m); !errors.Is(err, ErrNoCookie) {
		t.Errorf("cookie: %v", err)
	}
	// Host Name option claiming 200 bytes.
	// Options at 240: 53 (3 bytes), 61 (9 bytes), then a Host Name claiming 200 bytes.
	over := append(slices.Clone(b[:240+12]), 12, 200, 'a')
	if err := Parse(over, &m); !errors.Is(err, ErrOption) {
		t.Errorf("overrun: %v", err)
	}
	for i := range len(b) {
		_ = Parse(b[:i], &m)
	}
}

// TestFixture: testdata/fixtures/dhcp/dora.pcap (testdata/fixtures/dhcp/gen_fixture.py, scapy). tshark -V of it reads:
// frame 1 Discover chaddr 00:0c:29:20:00:21 Host Name "HMI-1", Vendor class "MSFT 5.0",
// Requested IP 10.10.20.21; frame 2 Offer from 10.10.20.1; frame 4 ACK yiaddr 10.10.20.21,
// DHCP Server Identifier 10.10.20.1.
func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("dhcp", "dora.pcap")), "dora.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const c = "00:0c:29:20:00:21"
	checks := []struct{ who, key, want string }{
		{c, "dhcp.hostname", "HMI-1"},
		{c, "dhcp.vendor_class", "MSFT 5.0"},
		{c, "dhcp.requested_ip", "10.10.20.21"},
		{c, "dhcp.assigned_ip", "10.10.20.21"},
		{"10.10.20.1", "dhcp.server_id", "10.10.20.1"},
	}
	for _, k := range checks {
		if got := h.Attr(k.who, k.key); !slices.Equal(got, []string{k.want}) {
			t.Errorf("%s %s = %q, want %q", k.who, k.key, got, k.want)
		}
	}
	if got := h.Services("10.10.20.1"); !slices.Equal(got, []string{"dhcp/udp/67/server"}) {
		t.Errorf("server services %q", got)
	}
	if got := h.Services(c); !slices.Contains(got, "dhcp/udp/67/client") {
		t.Errorf("client services %q", got)
	}
	var host bool
	for _, o := range h.Obs {
		if o.Kind == discovery.KindHost && o.Asset.MAC.String() == c && o.Asset.IP == netip.MustParseAddr("10.10.20.21") {
			host = true
		}
	}
	if !host {
		t.Error("no MAC/IP host binding from the ACK")
	}
	// The REQUEST repeats the DISCOVER's facts with different content (server id),
	// the ACK is a reply: nothing is emitted about the broadcast addresses.
	for _, o := range h.Obs {
		if o.Asset.IP.IsValid() && (o.Asset.IP.IsUnspecified() || o.Asset.IP == netip.MustParseAddr("255.255.255.255")) {
			t.Errorf("observation about %v", o.Asset)
		}
	}
}

type oracle struct {
	Protocols struct {
		DHCP struct {
			Clients []struct {
				MAC           string   `json:"mac"`
				Hostnames     []string `json:"hostnames"`
				VendorClasses []string `json:"vendor_classes"`
				RequestedIPs  []string `json:"requested_ips"`
				AssignedIPs   []string `json:"assigned_ips"`
			} `json:"clients"`
		} `json:"dhcp"`
	} `json:"protocols"`
}

func TestOracle(t *testing.T) {
	for _, rel := range []string{"profinet/profinet_io_cm_mixed_1.pcap", "profinet/profinet_io_cm_mixed_2.pcapng"} {
		t.Run(rel, func(t *testing.T) {
			path := testutil.SharedPcap(t, rel)
			raw, err := os.ReadFile(path + ".oracle.json")
			if err != nil {
				t.Fatal(err)
			}
			var o oracle
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			h := ittest.Run(t, testutil.ReadFrames(t, path), rel, New())
			h.NoErrors()
			h.CheckObservations()
			want, hit := 0, 0
			macs := map[string]bool{}
			for _, c := range o.Protocols.DHCP.Clients {
				macs[c.MAC] = true
				for key, vs := range map[string][]string{"dhcp.hostname": c.Hostnames, "dhcp.vendor_class": c.VendorClasses,
					"dhcp.requested_ip": c.RequestedIPs, "dhcp.assigned_ip": c.AssignedIPs} {
					for _, v := range vs {
						want++
						if slices.Contains(h.Attr(c.MAC, key), v) {
							hit++
						} else {
							t.Errorf("%s %s: want %q, got %q", c.MAC, key, v, h.Attr(c.MAC, key))
						}
					}
				}
			}
			ours, good := 0, 0
			for _, ob := range h.Obs {
				if ob.Kind == discovery.KindService && ob.Role == "client" {
					ours++
					if macs[ob.Asset.MAC.String()] {
						good++
					}
				}
			}
			recall, precision := float64(hit)/float64(max(want, 1)), float64(good)/float64(max(ours, 1))
			t.Logf("%s: client facts recall %.3f (%d/%d), client precision %.3f (%d/%d)", rel, recall, hit, want, precision, good, ours)
			if recall < 0.95 || precision < 0.95 || want == 0 {
				t.Error("below 0.95")
			}
		})
	}
}

func TestHostileHostname(t *testing.T) {
	b := unhex(t, discoverHex)
	// Replace "LT-US-DSWANSON" with an escape sequence and NULs.
	i := 240 + 3 + 9
	copy(b[i+2:], "\x1b[2J\x00evil\r\nX\x00\x00")
	var got []string
	d := New()
	pkt := &discovery.PacketInfo{Src: discovery.Endpoint{IP: netip.MustParseAddr("0.0.0.0")}}
	pkt.Evidence.Frame = 1
	if err := d.Datagram(b, pkt, func(o discovery.Observation) {
		if o.Key == "dhcp.hostname" {
			got = append(got, o.Value)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"[2Jevil  X"}) {
		t.Errorf("got %q", got)
	}
}

func FuzzParse(f *testing.F) {
	b, _ := hex.DecodeString(discoverHex)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		_ = Parse(b, &m)
		_ = New().Datagram(b, &discovery.PacketInfo{}, func(discovery.Observation) {})
	})
}

func BenchmarkParse(b *testing.B) {
	data := unhex(b, discoverHex)
	var m Message
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRealUDHCP: testdata/fixtures/dhcp/real_udhcp.pcap (testdata/fixtures/dhcp/gen_real.sh: busybox 1.35
// udhcpc and udhcpd over a veth pair). tshark reads: frame 1 Discover, chaddr
// 00:14:22:20:00:60, Host Name MAINT-LT07, Vendor class "udhcp 1.35.0",
// Requested IP 10.99.0.60; frame 2 Offer 10.99.0.60 from 10.99.0.1; frame 3
// Request; frame 4 ACK yiaddr 10.99.0.60, server identifier 10.99.0.1.
func TestRealUDHCP(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("dhcp", "real_udhcp.pcap")), "real_udhcp.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const c = "00:14:22:20:00:60"
	for key, want := range map[string]string{"dhcp.hostname": "MAINT-LT07", "dhcp.vendor_class": "udhcp 1.35.0",
		"dhcp.requested_ip": "10.99.0.60", "dhcp.assigned_ip": "10.99.0.60"} {
		if got := h.Attr(c, key); !slices.Equal(got, []string{want}) {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if got := h.Services("10.99.0.1"); !slices.Equal(got, []string{"dhcp/udp/67/server"}) {
		t.Errorf("server %q", got)
	}
}
