// Package ittest feeds capture frames to dissectors in tests, standing in for
// the engine: gopacket decodes Ethernet/802.1Q/LLC/SNAP/IPv4/IPv6/UDP/TCP,
// flows get a client (SYN sender, else the side not on a claimed port), TCP
// directions are concatenated in sequence order (retransmissions dropped)
// and framed with PDULen. It is deliberately simple: test captures are
// clean and in order.
package ittest

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

type flowKey struct {
	a, b  netip.AddrPort
	proto layers.IPProtocol
}

type dirState struct {
	buf     []byte
	nextSeq uint32
	seqSet  bool
	bad     bool
}

type flow struct {
	f        discovery.Flow
	stream   discovery.Stream
	sd       discovery.StreamDissector
	dd       discovery.DatagramDissector
	clientAP netip.AddrPort
	dirs     [2]dirState
	detected bool
	dead     bool
}

// Harness runs a dissector set over frames.
type Harness struct {
	T     testing.TB
	Set   *discovery.Set
	Name  string // evidence name
	Obs   []discovery.Observation
	Errs  []error
	flows map[flowKey]*flow
}

// New builds a harness over the given dissectors.
func New(t testing.TB, name string, ds ...discovery.Dissector) *Harness {
	t.Helper()
	fs := make([]discovery.Factory, len(ds))
	for i, d := range ds {
		d := d
		fs[i] = func() discovery.Dissector { return d }
	}
	set, err := discovery.NewSetOf(fs...)
	if err != nil {
		t.Fatal(err)
	}
	return &Harness{T: t, Set: set, Name: name, flows: map[flowKey]*flow{}}
}

func (h *Harness) emit(o discovery.Observation) { h.Obs = append(h.Obs, o) }

// Run feeds every frame and returns all observations.
func Run(t testing.TB, frames []testutil.Frame, name string, ds ...discovery.Dissector) *Harness {
	h := New(t, name, ds...)
	for _, fr := range frames {
		h.Feed(fr)
	}
	return h
}

func mac(b []byte) discovery.MAC { return discovery.MACFromBytes(b) }

// Feed handles one frame.
func (h *Harness) Feed(fr testutil.Frame) {
	pkt := gopacket.NewPacket(fr.Data, fr.LinkType, gopacket.DecodeOptions{Lazy: false, NoCopy: true})
	info := &discovery.PacketInfo{
		Evidence: discovery.Evidence{Kind: "pcap", Name: h.Name, Frame: uint64(fr.Number)},
		Time:     fr.CI.Timestamp,
	}
	if e, ok := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet); ok {
		info.Src.MAC, info.Dst.MAC = mac(e.SrcMAC), mac(e.DstMAC)
	}
	if q, ok := pkt.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok {
		info.VLAN = q.VLANIdentifier
	}
	// Layer 2 dissectors.
	for _, fd := range h.Set.Frames {
		for _, m := range fd.Frames() {
			var payload []byte
			switch {
			case m.EtherType != 0:
				if e, ok := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet); ok {
					et := e.EthernetType
					pl := e.Payload
					if q, ok := pkt.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok {
						et, pl = q.Type, q.Payload
					}
					if uint16(et) == m.EtherType {
						payload = pl
					}
				}
			case m.SNAPOUI != 0 || m.SNAPPID != 0:
				if s, ok := pkt.Layer(layers.LayerTypeSNAP).(*layers.SNAP); ok {
					oui := uint32(s.OrganizationalCode[0])<<16 | uint32(s.OrganizationalCode[1])<<8 | uint32(s.OrganizationalCode[2])
					if oui == m.SNAPOUI && uint16(s.Type) == m.SNAPPID {
						payload = s.Payload
					}
				}
			default:
				if l, ok := pkt.Layer(layers.LayerTypeLLC).(*layers.LLC); ok && l.DSAP == m.DSAP {
					payload = l.Payload
				}
			}
			if payload != nil {
				if err := fd.Frame(payload, info, h.emit); err != nil {
					h.Errs = append(h.Errs, fmt.Errorf("frame %d: %s: %w", fr.Number, fd.Name(), err))
				}
			}
		}
	}
	var src, dst netip.Addr
	if ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
	} else if ip, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
	} else {
		return
	}
	info.Src.IP, info.Dst.IP = src, dst
	if u, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
		info.SrcPort, info.DstPort = uint16(u.SrcPort), uint16(u.DstPort)
		h.udp(u.Payload, info)
		return
	}
	if tc, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
		info.SrcPort, info.DstPort = uint16(tc.SrcPort), uint16(tc.DstPort)
		h.tcp(tc, info)
	}
}

func key(info *discovery.PacketInfo, proto layers.IPProtocol) flowKey {
	a := netip.AddrPortFrom(info.Src.IP, info.SrcPort)
	b := netip.AddrPortFrom(info.Dst.IP, info.DstPort)
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	return flowKey{a, b, proto}
}

func (h *Harness) udp(payload []byte, info *discovery.PacketInfo) {
	k := key(info, layers.IPProtocolUDP)
	fl := h.flows[k]
	if fl == nil {
		var d discovery.DatagramDissector
		var toServer bool
		if dd, ok := h.Set.UDP[info.DstPort]; ok {
			d, toServer = dd, true
		} else if dd, ok := h.Set.UDP[info.SrcPort]; ok {
			d = dd
		} else {
			for _, hd := range h.Set.Heuristic {
				if dd, ok := hd.(discovery.DatagramDissector); ok && dd.Detect(payload, info) == discovery.Yes {
					d, toServer = dd, true
					break
				}
			}
		}
		if d == nil {
			return
		}
		fl = &flow{dd: d}
		if toServer {
			fl.f = discovery.Flow{Client: info.Src, Server: info.Dst, ClientPort: info.SrcPort, ServerPort: info.DstPort}
		} else {
			fl.f = discovery.Flow{Client: info.Dst, Server: info.Src, ClientPort: info.DstPort, ServerPort: info.SrcPort}
		}
		fl.clientAP = netip.AddrPortFrom(fl.f.Client.IP, fl.f.ClientPort)
		fl.f.Transport = discovery.UDP
		fl.f.Protocol = d.Name()
		h.flows[k] = fl
	}
	info.Flow = &fl.f
	info.Dir = discovery.ToServer
	if netip.AddrPortFrom(info.Src.IP, info.SrcPort) != fl.clientAP {
		info.Dir = discovery.ToClient
	}
	if err := fl.dd.Datagram(payload, info, h.emit); err != nil {
		h.Errs = append(h.Errs, fmt.Errorf("frame %d: %s: %w", info.Evidence.Frame, fl.dd.Name(), err))
	}
}

func (h *Harness) tcp(tc *layers.TCP, info *discovery.PacketInfo) {
	k := key(info, layers.IPProtocolTCP)
	fl := h.flows[k]
	if fl == nil {
		toServer := true
		switch {
		case tc.SYN && tc.ACK:
			toServer = false
		case tc.SYN:
		default:
			_, dstClaimed := h.Set.TCP[info.DstPort]
			_, srcClaimed := h.Set.TCP[info.SrcPort]
			toServer = dstClaimed || !srcClaimed && info.DstPort < info.SrcPort
		}
		fl = &flow{}
		if toServer {
			fl.f = discovery.Flow{Client: info.Src, Server: info.Dst, ClientPort: info.SrcPort, ServerPort: info.DstPort}
		} else {
			fl.f = discovery.Flow{Client: info.Dst, Server: info.Src, ClientPort: info.DstPort, ServerPort: info.SrcPort}
		}
		fl.clientAP = netip.AddrPortFrom(fl.f.Client.IP, fl.f.ClientPort)
		fl.f.Transport = discovery.TCP
		fl.sd = h.Set.TCP[fl.f.ServerPort]
		h.flows[k] = fl
	}
	info.Flow = &fl.f
	dir := discovery.ToServer
	if netip.AddrPortFrom(info.Src.IP, info.SrcPort) != fl.clientAP {
		dir = discovery.ToClient
	}
	info.Dir = dir
	ds := &fl.dirs[dir]
	if tc.SYN {
		ds.nextSeq, ds.seqSet = tc.Seq+1, true
		return
	}
	if fl.dead || len(tc.Payload) == 0 {
		return
	}
	data := tc.Payload
	if ds.seqSet {
		if tc.Seq != ds.nextSeq {
			if int32(tc.Seq-ds.nextSeq) < 0 {
				return // retransmission
			}
			// gap: give up on this flow
			fl.dead = true
			return
		}
	}
	ds.nextSeq, ds.seqSet = tc.Seq+uint32(len(data)), true
	ds.buf = append(ds.buf, data...)
	if !fl.detected {
		cands := []discovery.StreamDissector{}
		if fl.sd != nil {
			cands = append(cands, fl.sd)
		}
		for _, hd := range h.Set.Heuristic {
			if sd, ok := hd.(discovery.StreamDissector); ok && sd != fl.sd {
				cands = append(cands, sd)
			}
		}
		var pending bool
		var chosen discovery.StreamDissector
		for _, sd := range cands {
			switch sd.Detect(ds.buf, dir) {
			case discovery.Yes:
				chosen = sd
			case discovery.NeedMore:
				pending = true
			}
			if chosen != nil {
				break
			}
		}
		if chosen == nil {
			if !pending || len(ds.buf) > 4096 {
				fl.dead = true
			}
			return
		}
		fl.sd, fl.detected = chosen, true
		fl.f.Protocol = chosen.Name()
		fl.stream = chosen.NewStream(&fl.f)
		// the other direction may already hold bytes
	}
	for d := discovery.ToServer; d <= discovery.ToClient; d++ {
		h.drain(fl, d, info)
	}
}

func (h *Harness) drain(fl *flow, dir discovery.Direction, info *discovery.PacketInfo) {
	ds := &fl.dirs[dir]
	for len(ds.buf) > 0 && !fl.dead {
		n, err := fl.stream.PDULen(ds.buf, dir)
		if err != nil {
			h.Errs = append(h.Errs, fmt.Errorf("frame %d: %s: pdulen: %w", info.Evidence.Frame, fl.sd.Name(), err))
			fl.dead = true
			return
		}
		if n == 0 || n > len(ds.buf) {
			return
		}
		save := info.Dir
		info.Dir = dir
		if err := fl.stream.Parse(ds.buf[:n], info, h.emit); err != nil {
			h.Errs = append(h.Errs, fmt.Errorf("frame %d: %s: %w", info.Evidence.Frame, fl.sd.Name(), err))
		}
		info.Dir = save
		ds.buf = ds.buf[n:]
	}
}

// Attr returns the values of attribute key emitted about endpoints with the
// given IP (or MAC string, when ip is not an IP), in emission order, deduplicated.
func (h *Harness) Attr(who, key string) []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range h.Obs {
		if o.Kind != discovery.KindAttribute || o.Key != key || !matches(o.Asset, who) {
			continue
		}
		if !seen[o.Value] {
			seen[o.Value] = true
			out = append(out, o.Value)
		}
	}
	return out
}

// Services returns "protocol/transport/port/role" for endpoint who.
func (h *Harness) Services(who string) []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range h.Obs {
		if o.Kind != discovery.KindService || !matches(o.Asset, who) {
			continue
		}
		s := fmt.Sprintf("%s/%s/%d/%s", o.Protocol, o.Transport, o.Port, o.Role)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Ops returns "name/class" of operations issued by client who.
func (h *Harness) Ops(who string) []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range h.Obs {
		if o.Kind != discovery.KindOperation || !matches(o.Asset, who) {
			continue
		}
		s := o.Op.Name + "/" + string(o.Op.Class)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Comm returns the values of communication attribute key for client who.
func (h *Harness) Comm(who, key string) []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range h.Obs {
		if o.Kind != discovery.KindCommAttribute || o.Key != key || !matches(o.Asset, who) {
			continue
		}
		if !seen[o.Value] {
			seen[o.Value] = true
			out = append(out, o.Value)
		}
	}
	return out
}

func matches(e discovery.Endpoint, who string) bool {
	if who == "*" {
		return true
	}
	if e.IP.IsValid() && e.IP.String() == who {
		return true
	}
	return !e.MAC.IsZero() && e.MAC.String() == who
}

// NoErrors fails the test when any dissector returned an error.
func (h *Harness) NoErrors() {
	h.T.Helper()
	for _, err := range h.Errs {
		h.T.Error(err)
	}
}

// CheckObservations verifies invariants every observation must hold: a
// known kind, a protocol, an evidence frame, and no control characters in
// stored strings.
func (h *Harness) CheckObservations() {
	h.T.Helper()
	for _, o := range h.Obs {
		if o.Protocol == "" && o.Kind != discovery.KindAttribute && o.Kind != discovery.KindHost {
			h.T.Errorf("observation without protocol: %+v", o)
		}
		if o.Evidence.Frame == 0 {
			h.T.Errorf("observation without frame evidence: %+v", o)
		}
		if o.Asset.IsZero() {
			h.T.Errorf("observation about nothing: %+v", o)
		}
		for _, s := range []string{o.Key, o.Value, o.Role, o.Protocol, o.Op.Name} {
			for _, c := range s {
				if c < 0x20 || c == 0x7f {
					h.T.Errorf("control character in %q (%+v)", s, o)
				}
			}
		}
	}
}
