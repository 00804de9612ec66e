package enip

// A minimal stand-in for the engine (discovery.NewEngine is not committed
// yet): it decodes Ethernet/SLL/VLAN/IPv4/IPv6/TCP/UDP with gopacket, keeps
// one flow per 5-tuple, orders each TCP direction by sequence number
// (dropping retransmitted bytes), frames PDUs with PDULen and hands them to
// Parse; UDP datagrams go to Detect+Datagram.

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

type flowKey struct {
	a, b  netip.AddrPort
	proto uint8
}

type dirState struct {
	buf      []byte
	nextSeq  uint32
	seqKnown bool
	verdict  discovery.Verdict
	dead     bool
}

type hFlow struct {
	flow   discovery.Flow
	stream discovery.Stream
	sd     discovery.StreamDissector
	dd     discovery.DatagramDissector
	dirs   [2]dirState
	ok     bool
}

type harness struct {
	set   *discovery.Set
	flows map[flowKey]*hFlow
	obs   []discovery.Observation
	errs  int
}

func newHarness(t testing.TB, fs ...discovery.Factory) *harness {
	set, err := discovery.NewSetOf(fs...)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{set: set, flows: map[flowKey]*hFlow{}}
}

func (h *harness) emit(o discovery.Observation) { h.obs = append(h.obs, o) }

func canon(a, b netip.AddrPort, p uint8) flowKey {
	if a.Addr().Less(b.Addr()) || a.Addr() == b.Addr() && a.Port() < b.Port() {
		return flowKey{a, b, p}
	}
	return flowKey{b, a, p}
}

func (h *harness) runFile(t testing.TB, path string) {
	for _, f := range testutil.ReadFrames(t, path) {
		h.frame(filepath.Base(path), f)
	}
}

func (h *harness) frame(name string, f testutil.Frame) {
	pk := gopacket.NewPacket(f.Data, f.LinkType, gopacket.NoCopy)
	pi := &discovery.PacketInfo{Evidence: discovery.Evidence{Kind: "pcap", Name: name, Frame: uint64(f.Number)}, Time: f.CI.Timestamp}
	if e, ok := pk.Layer(layers.LayerTypeEthernet).(*layers.Ethernet); ok {
		pi.Src.MAC = discovery.MACFromBytes(e.SrcMAC)
		pi.Dst.MAC = discovery.MACFromBytes(e.DstMAC)
		et := e.EthernetType
		payload := e.Payload
		if d, ok := pk.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok {
			et, payload, pi.VLAN = d.Type, d.Payload, d.VLANIdentifier
		}
		for _, fd := range h.set.Frames {
			for _, m := range fd.Frames() {
				if m.EtherType != 0 && m.EtherType == uint16(et) {
					if err := fd.Frame(payload, pi, h.emit); err != nil {
						h.errs++
					}
				}
			}
		}
	}
	var src, dst netip.Addr
	switch ip := pk.NetworkLayer().(type) {
	case *layers.IPv4:
		src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
	case *layers.IPv6:
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
	default:
		return
	}
	pi.Src.IP, pi.Dst.IP = src, dst
	switch l4 := pk.TransportLayer().(type) {
	case *layers.TCP:
		h.tcp(pi, l4)
	case *layers.UDP:
		h.udp(pi, l4)
	}
}

func (h *harness) tcp(pi *discovery.PacketInfo, t *layers.TCP) {
	sp, dp := uint16(t.SrcPort), uint16(t.DstPort)
	pi.SrcPort, pi.DstPort = sp, dp
	a, b := netip.AddrPortFrom(pi.Src.IP, sp), netip.AddrPortFrom(pi.Dst.IP, dp)
	k := canon(a, b, 6)
	fl := h.flows[k]
	if fl == nil {
		srcIsClient := true
		switch {
		case t.SYN && !t.ACK:
		case t.SYN && t.ACK:
			srcIsClient = false
		case h.set.TCP[dp] != nil:
		case h.set.TCP[sp] != nil:
			srcIsClient = false
		case sp < dp:
			srcIsClient = false
		}
		fl = &hFlow{}
		fl.flow.Transport = discovery.TCP
		if srcIsClient {
			fl.flow.Client, fl.flow.Server, fl.flow.ClientPort, fl.flow.ServerPort = pi.Src, pi.Dst, sp, dp
		} else {
			fl.flow.Client, fl.flow.Server, fl.flow.ClientPort, fl.flow.ServerPort = pi.Dst, pi.Src, dp, sp
		}
		fl.sd = h.set.TCP[fl.flow.ServerPort]
		if fl.sd == nil {
			for _, d := range h.set.Heuristic {
				if sd, ok := d.(discovery.StreamDissector); ok {
					fl.sd = sd
				}
			}
		}
		if fl.sd != nil {
			fl.flow.Protocol = fl.sd.Name()
			fl.stream = fl.sd.NewStream(&fl.flow)
		}
		h.flows[k] = fl
	}
	if fl.sd == nil {
		return
	}
	pi.Dir = discovery.ToServer
	if pi.Src.IP == fl.flow.Server.IP && sp == fl.flow.ServerPort {
		pi.Dir = discovery.ToClient
	}
	pi.Flow = &fl.flow
	d := &fl.dirs[pi.Dir]
	data := t.Payload
	seq := t.Seq
	if t.SYN {
		seq++
	}
	if !d.seqKnown {
		d.seqKnown, d.nextSeq = true, seq
	}
	if diff := int32(seq - d.nextSeq); diff < 0 {
		if int(-diff) >= len(data) {
			return
		}
		data = data[-diff:]
	} else if diff > 0 {
		// a gap: drop what we had, resynchronise
		d.buf = d.buf[:0]
	}
	d.nextSeq = seq + uint32(len(data))
	if len(data) == 0 || d.dead {
		return
	}
	d.buf = append(d.buf, data...)
	if !fl.ok {
		switch fl.sd.Detect(d.buf, pi.Dir) {
		case discovery.No:
			d.dead = true
			d.buf = nil
			return
		case discovery.NeedMore:
			return
		}
		fl.ok = true
	}
	for len(d.buf) > 0 {
		n, err := fl.stream.PDULen(d.buf, pi.Dir)
		if err != nil {
			h.errs++
			d.dead = true
			return
		}
		if n == 0 || n > len(d.buf) {
			return
		}
		if err := fl.stream.Parse(d.buf[:n], pi, h.emit); err != nil {
			h.errs++
		}
		d.buf = d.buf[n:]
	}
}

func (h *harness) udp(pi *discovery.PacketInfo, u *layers.UDP) {
	sp, dp := uint16(u.SrcPort), uint16(u.DstPort)
	pi.SrcPort, pi.DstPort = sp, dp
	a, b := netip.AddrPortFrom(pi.Src.IP, sp), netip.AddrPortFrom(pi.Dst.IP, dp)
	k := canon(a, b, 17)
	fl := h.flows[k]
	if fl == nil {
		fl = &hFlow{}
		fl.flow.Transport = discovery.UDP
		srcIsClient := h.set.UDP[dp] != nil || h.set.UDP[sp] == nil
		if srcIsClient {
			fl.flow.Client, fl.flow.Server, fl.flow.ClientPort, fl.flow.ServerPort = pi.Src, pi.Dst, sp, dp
		} else {
			fl.flow.Client, fl.flow.Server, fl.flow.ClientPort, fl.flow.ServerPort = pi.Dst, pi.Src, dp, sp
		}
		fl.dd = h.set.UDP[fl.flow.ServerPort]
		if fl.dd != nil {
			fl.flow.Protocol = fl.dd.Name()
		}
		h.flows[k] = fl
	}
	if fl.dd == nil {
		return
	}
	pi.Dir = discovery.ToServer
	if pi.Src.IP == fl.flow.Server.IP && sp == fl.flow.ServerPort && !(sp == dp && pi.Src.IP == fl.flow.Client.IP) {
		pi.Dir = discovery.ToClient
	}
	pi.Flow = &fl.flow
	if fl.dd.Detect(u.Payload, pi) != discovery.Yes {
		return
	}
	if err := fl.dd.Datagram(u.Payload, pi, h.emit); err != nil {
		h.errs++
	}
}
