package enip

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/otzone/otzone/discovery"
)

// UDPDissector reads EtherNet/IP over UDP: encapsulation on 44818
// (ListIdentity, often broadcast) and implicit I/O on 2222.
type UDPDissector struct{}

// NewUDP returns the UDP dissector.
func NewUDP() *UDPDissector { return &UDPDissector{} }

func (*UDPDissector) Name() string { return ProtoENIP }

func (*UDPDissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: PortExplicit}, {Transport: discovery.UDP, Number: PortIO}}
}

// Detect: on 2222 an I/O packet (CPF with a sequenced address item then a
// connected data item); otherwise an encapsulation header whose length
// matches the datagram exactly. A DNS reply from ephemeral port 44818
// fails both.
func (*UDPDissector) Detect(data []byte, pkt *discovery.PacketInfo) discovery.Verdict {
	if pkt.SrcPort == PortIO || pkt.DstPort == PortIO {
		if _, ok := parseIO(data); ok {
			return discovery.Yes
		}
	}
	if v := detectEncap(data, true); v == discovery.Yes {
		return v
	}
	return discovery.No
}

// IO is one implicit (class 0/1) I/O datagram.
type IO struct {
	ConnID   uint32
	Sequence uint32
	Data     []byte
}

func parseIO(b []byte) (IO, bool) {
	var io IO
	// count(2)=2, type 0x8002 len 8, connid, seq, type 0x00b1 len n, data
	if len(b) < 2+4+8+4 {
		return io, false
	}
	if binary.LittleEndian.Uint16(b) != 2 || binary.LittleEndian.Uint16(b[2:]) != ItemSequencedAddr || binary.LittleEndian.Uint16(b[4:]) != 8 {
		return io, false
	}
	io.ConnID = binary.LittleEndian.Uint32(b[6:])
	io.Sequence = binary.LittleEndian.Uint32(b[10:])
	if binary.LittleEndian.Uint16(b[14:]) != ItemConnectedData {
		return io, false
	}
	n := int(binary.LittleEndian.Uint16(b[16:]))
	if 18+n != len(b) {
		return io, false
	}
	io.Data = b[18:]
	return io, true
}

type udpState struct {
	flowState
	sent  [2]bool // publisher services per direction (I/O) / client+server (encap)
	items []Item
	io    [2]ioCount // implicit I/O per direction (0 client->server)
	roles bool       // cip.io_role emitted for this flow
}

// ioCount counts one direction's class 0/1 datagrams by the size of their
// connected data item (saturating).
type ioCount struct {
	heartbeats uint32 // at most 2 bytes: the CIP sequence count alone
	data       uint32 // more: process data (perhaps behind a run/idle header)
}

// HeartbeatMax is the largest connected data item read as a heartbeat: a
// class 1 packet that carries only its 16-bit CIP sequence count (class 0:
// nothing). Input-only and listen-only connections send such heartbeats
// from originator to target, the target producing the data.
const HeartbeatMax = 2

// ioRoleMin is how many datagrams each direction needs before the roles
// are decided.
const ioRoleMin = 2

// ioRoles decides who opened the implicit connections of a unicast flow
// from what each direction carried: when one direction has sent only
// heartbeats (at least ioRoleMin, never data) and the other only data (at
// least ioRoleMin, never a heartbeat), the heartbeat sender is the
// originator (scanner) consuming input-only / listen-only connections of
// the data sender, the target (adapter, or a controller producing tags).
// It returns the index of the originator's direction, or -1 when the
// traffic does not say (both carry data, or too few datagrams). An
// output-only connection has the opposite shape (the originator sends
// data, the target heartbeats); it is rare, which is why the attribute
// carries confidence 0.6.
func ioRoles(c [2]ioCount) int {
	for i := range 2 {
		o, t := c[i], c[1-i]
		if o.heartbeats >= ioRoleMin && o.data == 0 && t.data >= ioRoleMin && t.heartbeats == 0 {
			return i
		}
	}
	return -1
}

// Datagram handles one UDP datagram.
func (d *UDPDissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("enip: frame %d: panic: %v", pkt.Evidence.Frame, r)
		}
	}()
	st, _ := pkt.Flow.State.(*udpState)
	if st == nil {
		st = &udpState{}
		pkt.Flow.State = st
	}
	if pkt.SrcPort == PortIO || pkt.DstPort == PortIO {
		if io, ok := parseIO(data); ok {
			// Implicit I/O: the sender produces data; without the Forward
			// Open we cannot tell originator from target, so each sender is
			// a "publisher" and a unicast receiver a "subscriber". What the
			// two directions carry may tell them apart (ioRoles).
			i := 0
			if pkt.Dir == discovery.ToClient {
				i = 1
			}
			if c := &st.io[i]; len(io.Data) <= HeartbeatMax {
				c.heartbeats = satInc(c.heartbeats)
			} else {
				c.data = satInc(c.data)
			}
			if !st.roles && isUnicast(pkt) {
				if o := ioRoles(st.io); o >= 0 {
					st.roles = true
					orig, target := pkt.Src, pkt.Dst
					if o != i {
						orig, target = target, orig
					}
					for _, x := range [...]struct {
						ep   discovery.Endpoint
						role string
					}{{orig, "originator"}, {target, "target"}} {
						a := pkt.Obs(discovery.KindAttribute, x.ep)
						a.Protocol, a.Key, a.Value, a.Confidence = ProtoCIP, "cip.io_role", x.role, 0.6
						emit(a)
					}
				}
			}
			if !st.sent[i] {
				st.sent[i] = true
				o := pkt.Obs(discovery.KindService, pkt.Src)
				o.Protocol, o.Transport, o.Port, o.Role = ProtoENIP, "udp", PortIO, "publisher"
				emit(o)
				if isUnicast(pkt) {
					o.Asset, o.Role = pkt.Dst, "subscriber"
					emit(o)
				}
			}
			return nil
		}
	}
	h, err := ParseHeader(data)
	if err != nil {
		return err
	}
	body := data[HeaderLen:]
	if len(body) > int(h.Length) {
		body = body[:h.Length]
	}
	// Server is whichever side uses 44818; a request to a broadcast address
	// names no server, so only the client is reported until a device replies.
	fromServer := pkt.SrcPort == PortExplicit && pkt.DstPort != PortExplicit
	if pkt.SrcPort == pkt.DstPort {
		fromServer = h.Command == CmdListIdentity && h.Length > 0
	}
	if fromServer {
		if !st.sent[1] {
			st.sent[1] = true
			o := pkt.Obs(discovery.KindService, pkt.Src)
			o.Protocol, o.Transport, o.Port, o.Role = ProtoENIP, "udp", PortExplicit, "server"
			emit(o)
			o.Asset, o.Role = pkt.Dst, "client"
			emit(o)
		}
		if h.Command == CmdListIdentity {
			// the request may have gone to a broadcast address: the reply
			// pairs the client with the device.
			emitEncapOp(h.Command, pkt.Dst, pkt.Src, pkt, discovery.UDP, emit)
			return listIdentityReply(body, pkt, &st.flowState, discovery.UDP, &st.items, emit)
		}
		return nil
	}
	if !st.sent[0] {
		st.sent[0] = true
		o := pkt.Obs(discovery.KindService, pkt.Src)
		o.Protocol, o.Transport, o.Port, o.Role = ProtoENIP, "udp", PortExplicit, "client"
		emit(o)
	}
	if h.Command != CmdListIdentity && isUnicast(pkt) {
		emitEncapOp(h.Command, pkt.Src, pkt.Dst, pkt, discovery.UDP, emit)
	}
	return nil
}

func satInc(n uint32) uint32 {
	if n == ^uint32(0) {
		return n
	}
	return n + 1
}

func isUnicast(pkt *discovery.PacketInfo) bool {
	ip := pkt.Dst.IP
	if !ip.IsValid() || ip.IsMulticast() || ip.IsUnspecified() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	if !pkt.Dst.MAC.IsZero() {
		return pkt.Dst.MAC.IsUnicast()
	}
	// no MAC (raw IP capture): a .255 host part is most likely a broadcast
	return !(ip.Is4() && ip.As4()[3] == 255)
}
