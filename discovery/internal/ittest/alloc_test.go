package ittest_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/dns"
	"github.com/otzone/otzone/discovery/ftp"
	"github.com/otzone/otzone/discovery/http"
	"github.com/otzone/otzone/discovery/ntp"
	"github.com/otzone/otzone/discovery/smb"
	"github.com/otzone/otzone/discovery/snmp"
	"github.com/otzone/otzone/discovery/tls"
	"github.com/otzone/otzone/internal/testutil"
)

type streamCase struct {
	name      string
	d         discovery.StreamDissector
	req, resp []byte
}

func streamCases(t testing.TB) []streamCase {
	smbRead := testutil.ReadFrames(t, testutil.Fixture("smb", "smb.pcap"))[148].Data[54:] // frame 149: SMB2 Read Request
	return []streamCase{
		{"http", http.New(), []byte("GET /api/v1/status HTTP/1.1\r\nHost: gw:8080\r\nUser-Agent: x\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhello")},
		{"ftp", ftp.New(), []byte("RETR a.csv\r\n"), []byte("226 Transfer complete\r\n")},
		{"tls", tls.New(), []byte{23, 3, 3, 0, 4, 1, 2, 3, 4}, []byte{23, 3, 3, 0, 4, 1, 2, 3, 4}},
		{"smb", smb.New(), smbRead, nil},
	}
}

type datagramCase struct {
	name string
	d    discovery.DatagramDissector
	data []byte
}

func datagramCases(t testing.TB) []datagramCase {
	udp := func(file string, idx int) []byte { return testutil.ReadFrames(t, file)[idx].Data[42:] }
	return []datagramCase{
		{"dns", dns.New(), udp(testutil.Fixture("dns", "names.pcap"), 1)},       // frame 2: A answer
		{"nbns", dns.NewNBNS(), udp(testutil.Fixture("dns", "names.pcap"), 19)}, // frame 20: registration
		{"ntp", ntp.New(), udp(testutil.Fixture("ntp", "ntp.pcap"), 1)},         // frame 2: server reply
		{"snmp", snmp.New(), udp(testutil.Fixture("snmp", "snmp.pcap"), 1)},     // frame 2: GetResponse
	}
}

func runStream(t testing.TB, s discovery.Stream, pkt *discovery.PacketInfo, dir discovery.Direction, data []byte) {
	pkt.Dir = dir
	for len(data) > 0 {
		n, err := s.PDULen(data, dir)
		if err != nil || n == 0 || n > len(data) {
			t.Fatalf("PDULen %d %v", n, err)
		}
		if err := s.Parse(data[:n], pkt, func(discovery.Observation) {}); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
}

func flowPkt(port uint16) *discovery.PacketInfo {
	f := &discovery.Flow{ServerPort: port, Client: discovery.Endpoint{IP: netip.MustParseAddr("10.0.0.1")}, Server: discovery.Endpoint{IP: netip.MustParseAddr("10.0.0.2")}}
	return &discovery.PacketInfo{Flow: f, Src: f.Server, Dst: f.Client, Time: time.Unix(1768464000, 0)}
}

// TestSteadyStateAllocs: once a flow has said what it knows, further PDUs of
// the same kind are dissected without allocating.
func TestSteadyStateAllocs(t *testing.T) {
	for _, c := range streamCases(t) {
		pkt := flowPkt(80)
		s := c.d.NewStream(pkt.Flow)
		round := func() {
			runStream(t, s, pkt, discovery.ToServer, c.req)
			if c.resp != nil {
				runStream(t, s, pkt, discovery.ToClient, c.resp)
			}
		}
		round()
		if n := testing.AllocsPerRun(100, round); n != 0 {
			t.Errorf("%s: %.1f allocations per request/response", c.name, n)
		}
	}
	for _, c := range datagramCases(t) {
		pkt := flowPkt(53)
		pkt.Dir = discovery.ToClient
		one := func() {
			if err := c.d.Datagram(c.data, pkt, func(discovery.Observation) {}); err != nil {
				t.Fatal(err)
			}
		}
		one()
		if n := testing.AllocsPerRun(100, one); n != 0 {
			t.Errorf("%s: %.1f allocations per datagram", c.name, n)
		}
	}
}

func BenchmarkStreams(b *testing.B) {
	for _, c := range streamCases(b) {
		b.Run(c.name, func(b *testing.B) {
			pkt := flowPkt(80)
			s := c.d.NewStream(pkt.Flow)
			b.SetBytes(int64(len(c.req) + len(c.resp)))
			b.ReportAllocs()
			for b.Loop() {
				runStream(b, s, pkt, discovery.ToServer, c.req)
				if c.resp != nil {
					runStream(b, s, pkt, discovery.ToClient, c.resp)
				}
			}
		})
	}
}

func BenchmarkDatagrams(b *testing.B) {
	for _, c := range datagramCases(b) {
		b.Run(c.name, func(b *testing.B) {
			pkt := flowPkt(53)
			pkt.Dir = discovery.ToClient
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				_ = c.d.Datagram(c.data, pkt, func(discovery.Observation) {})
			}
		})
	}
}
