package dnp3

// A minimal engine for package tests, until discovery.NewEngine lands: it
// decodes frames with gopacket, tracks flows (SYN sender, else the side on a
// claimed port, is the client), reassembles TCP per direction in sequence
// order (retransmissions dropped, a gap resets the direction) and hands
// payloads to the dissectors under test.

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

type hFlowKey struct {
	a, b  netip.AddrPort
	proto uint8
}

type hDir struct {
	buf     []byte
	next    uint32
	started bool
	dead    bool
}

type hFlow struct {
	f      discovery.Flow
	dirs   [2]hDir
	stream discovery.Stream
	udp    discovery.DatagramDissector
	no     bool
}

// runCapture feeds every frame of path through ds and returns the observations.
func runCapture(t testing.TB, path string, ds ...discovery.Dissector) []discovery.Observation {
	t.Helper()
	var out []discovery.Observation
	emit := func(o discovery.Observation) { out = append(out, o) }
	flows := map[hFlowKey]*hFlow{}
	tcpPorts := map[uint16]discovery.StreamDissector{}
	udpPorts := map[uint16]discovery.DatagramDissector{}
	var frameDs []discovery.FrameDissector
	for _, d := range ds {
		for _, p := range d.Ports() {
			switch p.Transport {
			case discovery.TCP:
				tcpPorts[p.Number] = d.(discovery.StreamDissector)
			case discovery.UDP:
				udpPorts[p.Number] = d.(discovery.DatagramDissector)
			}
		}
		if fd, ok := d.(discovery.FrameDissector); ok {
			frameDs = append(frameDs, fd)
		}
	}
	errs := 0
	for _, fr := range testutil.ReadFrames(t, path) {
		var first gopacket.Decoder = fr.LinkType
		pk := gopacket.NewPacket(fr.Data, first, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		pkt := discovery.PacketInfo{Evidence: discovery.Evidence{Kind: "pcap", Name: "test", Frame: uint64(fr.Number)}, Time: fr.CI.Timestamp}
		if eth, ok := pk.Layer(layers.LayerTypeEthernet).(*layers.Ethernet); ok {
			pkt.Src.MAC = discovery.MACFromBytes(eth.SrcMAC)
			pkt.Dst.MAC = discovery.MACFromBytes(eth.DstMAC)
			if len(frameDs) > 0 {
				for _, fd := range frameDs {
					for _, m := range fd.Frames() {
						var payload []byte
						if m.EtherType != 0 && uint16(eth.EthernetType) == m.EtherType {
							payload = eth.Payload
						}
						if d1q, ok := pk.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok && m.EtherType != 0 && uint16(d1q.Type) == m.EtherType {
							payload = d1q.Payload
						}
						if m.DSAP != 0 {
							if llc, ok := pk.Layer(layers.LayerTypeLLC).(*layers.LLC); ok && llc.DSAP == m.DSAP {
								payload = llc.Payload
							}
						}
						if payload != nil {
							if err := fd.Frame(payload, &pkt, emit); err != nil {
								errs++
							}
						}
					}
				}
			}
		}
		var sip, dip netip.Addr
		if ip4, ok := pk.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			sip, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
			dip, _ = netip.AddrFromSlice(ip4.DstIP.To4())
		} else if ip6, ok := pk.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			sip, _ = netip.AddrFromSlice(ip6.SrcIP)
			dip, _ = netip.AddrFromSlice(ip6.DstIP)
		} else {
			continue
		}
		pkt.Src.IP, pkt.Dst.IP = sip, dip
		var sport, dport uint16
		var payload []byte
		var tcp *layers.TCP
		proto := uint8(0)
		if l, ok := pk.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
			tcp, sport, dport, payload, proto = l, uint16(l.SrcPort), uint16(l.DstPort), l.Payload, 6
		} else if l, ok := pk.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			sport, dport, payload, proto = uint16(l.SrcPort), uint16(l.DstPort), l.Payload, 17
		} else {
			continue
		}
		pkt.SrcPort, pkt.DstPort = sport, dport
		sa, da := netip.AddrPortFrom(sip, sport), netip.AddrPortFrom(dip, dport)
		k := hFlowKey{sa, da, proto}
		if da.Addr().Less(sa.Addr()) || (da.Addr() == sa.Addr() && dport < sport) {
			k = hFlowKey{da, sa, proto}
		}
		fl := flows[k]
		if fl == nil {
			fl = &hFlow{}
			toServer := true
			if proto == 6 {
				switch {
				case tcp.SYN && tcp.ACK:
					toServer = false
				case tcp.SYN:
				case tcpPorts[dport] != nil:
				case tcpPorts[sport] != nil:
					toServer = false
				}
			} else if udpPorts[dport] == nil && udpPorts[sport] != nil {
				toServer = false
			}
			if toServer {
				fl.f = discovery.Flow{Client: pkt.Src, Server: pkt.Dst, ClientPort: sport, ServerPort: dport}
			} else {
				fl.f = discovery.Flow{Client: pkt.Dst, Server: pkt.Src, ClientPort: dport, ServerPort: sport}
			}
			if proto == 6 {
				fl.f.Transport = discovery.TCP
				if sd := tcpPorts[fl.f.ServerPort]; sd != nil {
					fl.stream = sd.NewStream(&fl.f)
				} else {
					fl.no = true
				}
			} else {
				fl.f.Transport = discovery.UDP
				fl.udp = udpPorts[fl.f.ServerPort]
				if fl.udp == nil {
					fl.no = true
				}
			}
			flows[k] = fl
		}
		if fl.no {
			continue
		}
		pkt.Dir = discovery.ToClient
		if pkt.Src.IP == fl.f.Client.IP && sport == fl.f.ClientPort {
			pkt.Dir = discovery.ToServer
		}
		pkt.Flow = &fl.f
		if proto == 17 {
			if fl.udp.Detect(payload, &pkt) != discovery.Yes {
				continue
			}
			if err := fl.udp.Datagram(payload, &pkt, emit); err != nil {
				errs++
			}
			continue
		}
		d := &fl.dirs[pkt.Dir]
		seq := tcp.Seq
		if tcp.SYN {
			d.next, d.started = seq+1, true
			continue
		}
		if len(payload) == 0 || d.dead {
			continue
		}
		if d.started {
			diff := int32(seq - d.next)
			if diff < 0 {
				if int(-diff) >= len(payload) {
					continue
				}
				payload = payload[-diff:]
			} else if diff > 0 {
				d.buf = d.buf[:0]
			}
		}
		d.started, d.next = true, seq+uint32(len(tcp.Payload))
		d.buf = append(d.buf, payload...)
		for len(d.buf) > 0 {
			n, err := fl.stream.PDULen(d.buf, pkt.Dir)
			if err != nil {
				d.dead = true
				errs++
				break
			}
			if n == 0 || n > len(d.buf) {
				break
			}
			if err := fl.stream.Parse(d.buf[:n], &pkt, emit); err != nil {
				errs++
			}
			d.buf = append(d.buf[:0], d.buf[n:]...)
		}
	}
	if errs > 0 {
		t.Logf("%s: %d parse errors", path, errs)
	}
	return out
}

// prf computes recall and precision of got against want (sets of strings).
func prf(want, got map[string]bool) (recall, precision float64, missing, extra []string) {
	hit := 0
	for k := range want {
		if got[k] {
			hit++
		} else {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	recall, precision = 1, 1
	if len(want) > 0 {
		recall = float64(hit) / float64(len(want))
	}
	if len(got) > 0 {
		precision = float64(len(got)-len(extra)) / float64(len(got))
	}
	return
}
