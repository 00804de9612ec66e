package ittest_test

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/dns"
	"github.com/otzone/otzone/discovery/ftp"
	"github.com/otzone/otzone/discovery/http"
	"github.com/otzone/otzone/discovery/rdp"
	"github.com/otzone/otzone/discovery/smb"
	"github.com/otzone/otzone/discovery/ssh"
	"github.com/otzone/otzone/discovery/telnet"
	"github.com/otzone/otzone/discovery/tls"
	"github.com/otzone/otzone/internal/testutil"
)

type segment struct {
	dir  discovery.Direction
	data []byte
}

type tcpFlow struct {
	client, server netip.AddrPort
	segs           []segment
}

// tcpFlows splits a clean capture (handshakes present, no loss) into TCP
// flows with their payload segments in capture order.
func tcpFlows(t *testing.T, path string) []*tcpFlow {
	var flows []*tcpFlow
	byKey := map[[2]netip.AddrPort]*tcpFlow{}
	for _, fr := range testutil.ReadFrames(t, path) {
		p := gopacket.NewPacket(fr.Data, fr.LinkType, gopacket.Default)
		tc, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			continue
		}
		var src, dst netip.Addr
		if ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
		}
		a, b := netip.AddrPortFrom(src, uint16(tc.SrcPort)), netip.AddrPortFrom(dst, uint16(tc.DstPort))
		f := byKey[[2]netip.AddrPort{a, b}]
		if f == nil {
			f = byKey[[2]netip.AddrPort{b, a}]
		}
		if f == nil {
			if !tc.SYN || tc.ACK {
				continue
			}
			f = &tcpFlow{client: a, server: b}
			byKey[[2]netip.AddrPort{a, b}] = f
			flows = append(flows, f)
		}
		if len(tc.Payload) == 0 {
			continue
		}
		dir := discovery.ToServer
		if a != f.client {
			dir = discovery.ToClient
		}
		f.segs = append(f.segs, segment{dir, append([]byte(nil), tc.Payload...)})
	}
	return flows
}

// feed runs one flow's segments through a fresh stream, each segment cut into
// pieces of at most chunk bytes (0: whole), and returns what was emitted.
func feed(t *testing.T, newD func() discovery.StreamDissector, fl *tcpFlow, chunk int) []string {
	d := newD() // fresh: some dissectors deduplicate across flows
	f := &discovery.Flow{Client: discovery.Endpoint{IP: fl.client.Addr()}, Server: discovery.Endpoint{IP: fl.server.Addr()},
		ClientPort: fl.client.Port(), ServerPort: fl.server.Port(), Transport: discovery.TCP}
	s := d.NewStream(f)
	var out []string
	emit := func(o discovery.Observation) {
		out = append(out, fmt.Sprintf("%s %s %s=%s %s %s", o.Kind, o.Asset, o.Key, o.Value, o.Role, o.Op.Name))
	}
	var bufs [2][]byte
	for _, sg := range fl.segs {
		pieces := [][]byte{sg.data}
		if chunk > 0 {
			pieces = nil
			for i := 0; i < len(sg.data); i += chunk {
				pieces = append(pieces, sg.data[i:min(i+chunk, len(sg.data))])
			}
		}
		for _, pc := range pieces {
			pkt := &discovery.PacketInfo{Flow: f, Dir: sg.dir}
			pkt.Evidence.Frame = 1
			if sg.dir == discovery.ToServer {
				pkt.Src, pkt.Dst = f.Client, f.Server
			} else {
				pkt.Src, pkt.Dst = f.Server, f.Client
			}
			b := append(bufs[sg.dir], pc...)
			for len(b) > 0 {
				n, err := s.PDULen(b, sg.dir)
				if err != nil {
					t.Fatalf("chunk %d: PDULen: %v", chunk, err)
				}
				if n == 0 || n > len(b) {
					break
				}
				if err := s.Parse(b[:n], pkt, emit); err != nil {
					t.Fatalf("chunk %d: Parse: %v", chunk, err)
				}
				b = b[n:]
			}
			bufs[sg.dir] = b
		}
	}
	return out
}

// TestByteWise feeds every TCP fixture's streams whole, in 7-byte pieces and
// one byte at a time: framing must never depend on segmentation, so every
// prefix of every PDU is "need more", never a wrong PDU or an error. (SMB's
// and HTTP's large-body skipping are included: their PDULen hands over
// whatever part of a body has arrived.)
func TestByteWise(t *testing.T) {
	cases := []struct {
		d     func() discovery.StreamDissector
		files []string
	}{
		{func() discovery.StreamDissector { return http.New() }, []string{"http/http.pcap", "http/real_curl.pcap"}},
		{func() discovery.StreamDissector { return tls.New() }, []string{"tls/tls.pcap"}},
		{func() discovery.StreamDissector { return ssh.New() }, []string{"ssh/ssh.pcap", "ssh/real_openssh.pcap"}},
		{func() discovery.StreamDissector { return telnet.New() }, []string{"telnet/telnet.pcap"}},
		{func() discovery.StreamDissector { return ftp.New() }, []string{"ftp/ftp.pcap", "ftp/real_pyftpdlib.pcap"}},
		{func() discovery.StreamDissector { return rdp.New() }, []string{"rdp/rdp.pcap"}},
		{func() discovery.StreamDissector { return smb.New() }, []string{"smb/smb.pcap", "smb/real_impacket.pcap"}},
		{func() discovery.StreamDissector { return dns.NewTCP() }, []string{"dns/names.pcap", "dns/real_dnsmasq.pcap"}},
	}
	for _, c := range cases {
		for _, file := range c.files {
			t.Run(filepath.Base(file), func(t *testing.T) {
				flows := tcpFlows(t, filepath.Join(testutil.RepoRoot(), "testdata", "fixtures", file))
				n := 0
				for _, fl := range flows {
					whole := feed(t, c.d, fl, 0)
					n += len(whole)
					for _, chunk := range []int{7, 1} {
						if got := feed(t, c.d, fl, chunk); !slices.Equal(got, whole) {
							if c.d().Name() == "telnet" && chunk > 0 {
								// Telnet has no PDUs: facts depend only on the bytes, so the
								// emitted set must still match.
								slices.Sort(got)
								w := slices.Clone(whole)
								slices.Sort(w)
								if slices.Equal(got, w) {
									continue
								}
							}
							t.Errorf("%s %v: %d-byte pieces give\n%q\nwhole segments give\n%q", file, fl.server, chunk, got, whole)
						}
					}
				}
				if n == 0 {
					t.Fatal("nothing emitted")
				}
			})
		}
	}
}
