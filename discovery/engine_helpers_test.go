package discovery_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/otzone/otzone/discovery"
)

// ---- fake dissectors ----

// fakeStream frames "length-prefixed" PDUs: 2 bytes big-endian total length
// (header included), then the body. A body "PANIC" panics in Parse, a first
// byte 0xff makes Detect say No, fewer than 2 bytes is NeedMore.
type fakeStream struct {
	name string
	port uint16
	log  *pduLog
}

type pduRec struct {
	Dir   discovery.Direction
	Body  string
	Frame uint64
}

type pduLog struct {
	mu   sync.Mutex
	pdus []pduRec
}

func (l *pduLog) add(r pduRec) { l.mu.Lock(); l.pdus = append(l.pdus, r); l.mu.Unlock() }

func (d *fakeStream) Name() string { return d.name }
func (d *fakeStream) Ports() []discovery.Port {
	if d.port == 0 {
		return nil
	}
	return []discovery.Port{{Transport: discovery.TCP, Number: d.port}}
}
func (d *fakeStream) Detect(data []byte, dir discovery.Direction) discovery.Verdict {
	if len(data) < 2 {
		return discovery.NeedMore
	}
	if data[0] == 0xff {
		return discovery.No
	}
	return discovery.Yes
}
func (d *fakeStream) NewStream(f *discovery.Flow) discovery.Stream { return &fakeFramer{d: d} }

type fakeFramer struct{ d *fakeStream }

var errFakeLen = errors.New("fake: bad length")

func (s *fakeFramer) PDULen(data []byte, dir discovery.Direction) (int, error) {
	if len(data) < 2 {
		return 0, nil
	}
	n := int(binary.BigEndian.Uint16(data))
	if n < 2 || n == 0xffff {
		return 0, errFakeLen
	}
	if n == 0xfffe { // "huge": longer than any buffer in the tests
		return 1 << 30, nil
	}
	return n, nil
}

func (s *fakeFramer) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	body := string(pdu[2:])
	if body == "PANIC" {
		panic("fake dissector panic")
	}
	if body == "ERR" {
		return errors.New("fake: parse error")
	}
	s.d.log.add(pduRec{Dir: pkt.Dir, Body: body, Frame: pkt.Evidence.Frame})
	o := pkt.Obs(discovery.KindAttribute, pkt.Server())
	o.Key, o.Value = s.d.name+".pdu", body
	emit(o)
	return nil
}

// heurStream is a heuristic stream dissector recognising "HELF" at the start.
type heurStream struct{ fakeStream }

func (d *heurStream) Heuristic() bool { return true }
func (d *heurStream) Detect(data []byte, dir discovery.Direction) discovery.Verdict {
	if len(data) < 4 {
		return discovery.NeedMore
	}
	if string(data[2:4]) == "HE" {
		return discovery.Yes
	}
	return discovery.No
}
func (d *heurStream) NewStream(f *discovery.Flow) discovery.Stream {
	return &fakeFramer{d: &d.fakeStream}
}

// fakeDatagram accepts datagrams starting with 0x81 (like BACnet/IP's BVLC).
type fakeDatagram struct {
	port uint16
	log  *pduLog
}

func (d *fakeDatagram) Name() string { return "fakeudp" }
func (d *fakeDatagram) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: d.port}}
}
func (d *fakeDatagram) Detect(data []byte, pkt *discovery.PacketInfo) discovery.Verdict {
	if len(data) > 0 && data[0] == 0x81 {
		return discovery.Yes
	}
	return discovery.No
}
func (d *fakeDatagram) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	d.log.add(pduRec{Dir: pkt.Dir, Body: string(data), Frame: pkt.Evidence.Frame})
	return nil
}

// fakeFrames takes an EtherType, an LLC DSAP and a SNAP OUI/PID.
type fakeFrames struct{ log *pduLog }

func (d *fakeFrames) Name() string            { return "fakel2" }
func (d *fakeFrames) Ports() []discovery.Port { return nil }
func (d *fakeFrames) Frames() []discovery.FrameMatch {
	return []discovery.FrameMatch{{EtherType: 0x8892}, {DSAP: 0x42}, {SNAPOUI: 0x00000c, SNAPPID: 0x2000}}
}
func (d *fakeFrames) Frame(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	d.log.add(pduRec{Body: fmt.Sprintf("vlan=%d %s", pkt.VLAN, data), Frame: pkt.Evidence.Frame})
	return nil
}

// testSet builds a private dissector set: "fake" on TCP 5020, "heur" as a
// heuristic, "fakeudp" on UDP 47808 and "fakel2" for frames.
func testSet(t testing.TB) (*discovery.Set, *pduLog) {
	t.Helper()
	log := &pduLog{}
	set, err := discovery.NewSetOf(
		func() discovery.Dissector { return &fakeStream{name: "fake", port: 5020, log: log} },
		func() discovery.Dissector { return &heurStream{fakeStream{name: "heur", log: log}} },
		func() discovery.Dissector { return &fakeDatagram{port: 47808, log: log} },
		func() discovery.Dissector { return &fakeFrames{log: log} },
	)
	if err != nil {
		t.Fatal(err)
	}
	return set, log
}

// pdu builds one fake PDU.
func pdu(body string) []byte {
	b := make([]byte, 2+len(body))
	binary.BigEndian.PutUint16(b, uint16(len(b)))
	copy(b[2:], body)
	return b
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// ---- packet builders ----

type ep struct {
	mac  string
	ip   string
	port uint16
}

var (
	cli  = ep{"00:1d:9c:00:00:01", "10.0.0.10", 40000}
	srv  = ep{"00:0e:8c:00:00:02", "10.0.0.20", 5020}
	cli6 = ep{"00:1d:9c:00:00:01", "fd00::10", 40000}
	srv6 = ep{"00:0e:8c:00:00:02", "fd00::20", 5020}
)

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

const (
	fSYN = 1 << iota
	fACK
	fFIN
	fRST
	fPSH
)

// ipTCP builds an IP (v4 or v6 by address) + TCP packet, without link layer.
func ipTCP(s, d ep, seq, ack uint32, flags int, payload []byte) []gopacket.SerializableLayer {
	tcp := &layers.TCP{SrcPort: layers.TCPPort(s.port), DstPort: layers.TCPPort(d.port), Seq: seq, Ack: ack,
		SYN: flags&fSYN != 0, ACK: flags&fACK != 0, FIN: flags&fFIN != 0, RST: flags&fRST != 0, PSH: flags&fPSH != 0, Window: 8192}
	ipl := ipLayer(s, d, layers.IPProtocolTCP)
	tcp.SetNetworkLayerForChecksum(ipl.(gopacket.NetworkLayer))
	return []gopacket.SerializableLayer{ipl, tcp, gopacket.Payload(payload)}
}

func ipUDP(s, d ep, payload []byte) []gopacket.SerializableLayer {
	udp := &layers.UDP{SrcPort: layers.UDPPort(s.port), DstPort: layers.UDPPort(d.port)}
	ipl := ipLayer(s, d, layers.IPProtocolUDP)
	udp.SetNetworkLayerForChecksum(ipl.(gopacket.NetworkLayer))
	return []gopacket.SerializableLayer{ipl, udp, gopacket.Payload(payload)}
}

func ipLayer(s, d ep, proto layers.IPProtocol) gopacket.SerializableLayer {
	sa, da := netip.MustParseAddr(s.ip), netip.MustParseAddr(d.ip)
	if sa.Is4() {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: sa.AsSlice(), DstIP: da.AsSlice()}
	}
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: sa.AsSlice(), DstIP: da.AsSlice()}
}

func etherType(s, d ep) layers.EthernetType {
	if netip.MustParseAddr(s.ip).Is4() {
		return layers.EthernetTypeIPv4
	}
	return layers.EthernetTypeIPv6
}

// ether wraps IP layers in Ethernet, with 802.1Q tags (outermost first).
func ether(s, d ep, ip []gopacket.SerializableLayer, vlans ...uint16) []byte {
	et := etherType(s, d)
	eth := &layers.Ethernet{SrcMAC: mustMAC(s.mac), DstMAC: mustMAC(d.mac), EthernetType: et}
	ls := []gopacket.SerializableLayer{eth}
	for i, v := range vlans {
		next := et
		if i < len(vlans)-1 {
			next = layers.EthernetTypeDot1Q
		}
		if i == 0 {
			eth.EthernetType = layers.EthernetTypeQinQ
			if len(vlans) == 1 {
				eth.EthernetType = layers.EthernetTypeDot1Q
			}
		}
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: v, Type: next})
	}
	return serialize(append(ls, ip...)...)
}

func tcpEth(s, d ep, seq, ack uint32, flags int, payload []byte, vlans ...uint16) []byte {
	return ether(s, d, ipTCP(s, d, seq, ack, flags, payload), vlans...)
}

// run feeds frames (all of one link type) to an engine, numbering them from
// 1 and spacing them 1 ms apart, then closes it.
type runner struct {
	t    testing.TB
	e    *discovery.Engine
	obs  []discovery.Observation
	n    uint64
	ts   time.Time
	step time.Duration
}

func newRunner(t testing.TB, set *discovery.Set, opt discovery.EngineOptions) *runner {
	r := &runner{t: t, ts: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), step: time.Millisecond}
	r.e = discovery.NewEngine(set, func(o discovery.Observation) { r.obs = append(r.obs, o) }, opt)
	return r
}

func (r *runner) feed(lt layers.LinkType, frames ...[]byte) {
	for _, f := range frames {
		r.n++
		r.ts = r.ts.Add(r.step)
		ci := gopacket.CaptureInfo{Timestamp: r.ts, CaptureLength: len(f), Length: len(f)}
		r.e.Packet(f, ci, lt, discovery.Evidence{Kind: "pcap", Name: "test.pcap", Frame: r.n})
	}
}

func (r *runner) eth(frames ...[]byte) { r.feed(layers.LinkTypeEthernet, frames...) }

func (r *runner) kind(k discovery.Kind) []discovery.Observation {
	var out []discovery.Observation
	for _, o := range r.obs {
		if o.Kind == k {
			out = append(out, o)
		}
	}
	return out
}

func bodies(l *pduLog) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []string{}
	for _, p := range l.pdus {
		out = append(out, p.Dir.String()+":"+p.Body)
	}
	return out
}
