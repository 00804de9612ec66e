package dnp3

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Port is the IANA port for DNP3 over TCP and UDP.
const Port = 20000

// maxFragment bounds a reassembled application fragment (the default
// maximum fragment size of IEEE 1815 is 2048 octets).
const maxFragment = 4096

func init() {
	discovery.Register("dnp3", func() discovery.Dissector { return New() })
	discovery.Register("dnp3_udp", func() discovery.Dissector { return NewUDP() })
}

// Dissector is the DNP3 over TCP stream dissector. Go methods cannot be
// overloaded, so the UDP side (whose Detect has another signature) is
// UDPDissector, registered as "dnp3_udp" with the same protocol Name.
type Dissector struct{}

// New returns the DNP3/TCP dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "dnp3" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// UDPDissector is DNP3 over UDP: each datagram carries whole link frames.
type UDPDissector struct{}

// NewUDP returns the DNP3/UDP dissector.
func NewUDP() *UDPDissector { return &UDPDissector{} }

func (*UDPDissector) Name() string { return "dnp3" }

func (*UDPDissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: Port}}
}

// Heuristic: see Dissector.Heuristic.
func (*UDPDissector) Heuristic() bool { return true }

// Detect implements discovery.DatagramDissector.
func (*UDPDissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	if v := detect(data); v == discovery.NeedMore {
		return discovery.No // a datagram is all there is
	} else {
		return v
	}
}

// Heuristic: the start bytes plus a 16-bit header CRC make false positives rare.
func (*Dissector) Heuristic() bool { return true }

// detect confirms a link header by its start bytes and header CRC.
func detect(b []byte) discovery.Verdict {
	if _, err := FrameLen(b); err != nil {
		return discovery.No
	}
	if len(b) < HeaderLen {
		return discovery.NeedMore
	}
	if CRC(b[:8]) != binary.LittleEndian.Uint16(b[8:10]) || b[2] < 5 {
		return discovery.No
	}
	return discovery.Yes
}

// Detect implements discovery.StreamDissector.
func (*Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict { return detect(data) }

// NewStream implements discovery.StreamDissector.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream {
	return &stream{st: state(f)}
}

type stream struct{ st *flowState }

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return FrameLen(data) }

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	return s.st.frame(pdu, pkt, "tcp", emit)
}

// Datagram implements discovery.DatagramDissector.
func (*UDPDissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	st := state(pkt.Flow)
	for len(data) > 0 {
		n, err := FrameLen(data)
		if err != nil {
			return fmt.Errorf("dnp3: udp: %w", err)
		}
		if n == 0 || n > len(data) {
			return fmt.Errorf("dnp3: udp: datagram ends inside a link frame: %w", ErrShort)
		}
		if err := st.frame(data[:n], pkt, "udp", emit); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// flowState is one flow's memory: what was already reported and the
// transport reassembly of each direction. Its size is fixed.
type flowState struct {
	reported  uint8
	addrs     [4]addrSeen
	naddrs    int
	reasm     [2]reassembly // 0: from master, 1: from outstation
	scratch   [250]byte
	malformed int
}

type addrSeen struct {
	master bool
	addr   uint16
}

type reassembly struct {
	buf    []byte
	next   uint8
	active bool
}

const (
	repMaster uint8 = 1 << iota
	repOutstation
	repSA
	repUnsol
)

// state returns the flow's state, creating it on first use. A nil flow (a
// caller without flow tracking) gets a fresh state each time.
func state(f *discovery.Flow) *flowState {
	return discovery.StateOf[flowState](f, nil)
}

func (st *flowState) frame(b []byte, pkt *discovery.PacketInfo, transport string, emit discovery.Emit) error {
	lf, _, err := ParseLink(b, st.scratch[:])
	if err != nil {
		st.malformed++
		return fmt.Errorf("dnp3: link frame: %w", err)
	}
	fromMaster := lf.Control.FromMaster()
	master, outstation := discovery.Receiver(pkt.Dst), pkt.Src
	masterAddr, outAddr := lf.Destination, lf.Source
	if fromMaster {
		master, outstation = pkt.Src, discovery.Receiver(pkt.Dst)
		masterAddr, outAddr = lf.Source, lf.Destination
	}
	var port uint16 = Port
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	service := func(bit uint8, ep discovery.Endpoint, role string) {
		if st.reported&bit != 0 {
			return
		}
		st.reported |= bit
		o := pkt.Obs(discovery.KindService, ep)
		o.Protocol, o.Transport, o.Port, o.Role = "dnp3", transport, port, role
		emit(o)
	}
	service(repMaster, master, "master")
	service(repOutstation, outstation, "outstation")
	// The sender's address is what it calls itself; the destination may be
	// a broadcast. Addresses 0xFFF0-0xFFFF are reserved/broadcast.
	if fromMaster {
		st.address(true, masterAddr, master, pkt, emit)
	} else {
		st.address(false, outAddr, outstation, pkt, emit)
	}

	if !lf.Control.HasUserData() || len(lf.UserData) < 1 {
		return nil
	}
	th := TransportHeader(lf.UserData[0])
	seg := lf.UserData[1:]
	dir := 1
	if fromMaster {
		dir = 0
	}
	r := &st.reasm[dir]
	if th.FIR() {
		r.buf = append(r.buf[:0], seg...)
		r.active = true
		if h, err := ParseApp(seg); err == nil {
			st.app(h, fromMaster, master, outstation, port, transport, pkt, emit)
		}
	} else if r.active && th.Sequence() == r.next && len(r.buf)+len(seg) <= maxFragment {
		r.buf = append(r.buf, seg...)
	} else {
		r.active = false
	}
	r.next = (th.Sequence() + 1) & 0x3f
	if th.FIN() && r.active {
		r.active = false
		if !fromMaster {
			st.attributes(r.buf, outstation, pkt, emit)
		}
	}
	if cap(r.buf) > maxFragment { // never keep a large buffer around
		r.buf = nil
	}
	return nil
}

func (st *flowState) address(isMaster bool, addr uint16, ep discovery.Endpoint, pkt *discovery.PacketInfo, emit discovery.Emit) {
	if addr >= 0xFFF0 {
		return
	}
	for _, a := range st.addrs[:st.naddrs] {
		if a.master == isMaster && a.addr == addr {
			return
		}
	}
	if st.naddrs < len(st.addrs) {
		st.addrs[st.naddrs] = addrSeen{isMaster, addr}
		st.naddrs++
	}
	o := pkt.Obs(discovery.KindAttribute, ep)
	o.Protocol, o.Key, o.Value, o.Confidence = "dnp3", "dnp3.address", strconv.Itoa(int(addr)), 0.9
	emit(o)
}

func (st *flowState) app(h AppHeader, fromMaster bool, master, outstation discovery.Endpoint, port uint16, transport string, pkt *discovery.PacketInfo, emit discovery.Emit) {
	comm := func(bit uint8, key string) {
		if st.reported&bit != 0 {
			return
		}
		st.reported |= bit
		o := pkt.Obs(discovery.KindCommAttribute, master)
		o.Peer, o.Protocol, o.Transport, o.Port = outstation, "dnp3", transport, port
		o.Key, o.Value, o.Confidence = key, "true", 0.9
		emit(o)
	}
	if h.SecureAuthentication() {
		comm(repSA, "dnp3.secure_authentication")
	}
	if !fromMaster && h.Function == FuncUnsolicited {
		comm(repUnsol, "dnp3.unsolicited")
	}
	if !fromMaster || h.Function.IsResponse() || h.Function == FuncConfirm {
		return
	}
	o := pkt.Obs(discovery.KindOperation, master)
	o.Peer, o.Protocol, o.Transport, o.Port = outstation, "dnp3", transport, port
	o.Op = discovery.Operation{Code: int(h.Function), Name: h.Function.String(), Class: h.Function.Class()}
	emit(o)
}

// attributes reports device attributes (group 0) found at the start of a
// response fragment.
func (st *flowState) attributes(frag []byte, outstation discovery.Endpoint, pkt *discovery.PacketInfo, emit discovery.Emit) {
	h, err := ParseApp(frag)
	if err != nil || h.Function != FuncResponse || !h.HasObject || h.Group != 0 {
		return
	}
	attrs, _ := ParseDeviceAttributes(frag[4:])
	for _, a := range attrs {
		key, ok := attributeKeys[a.Variation]
		if !ok || a.Value == "" {
			continue
		}
		o := pkt.Obs(discovery.KindAttribute, outstation)
		o.Protocol, o.Key, o.Value, o.Confidence = "dnp3", key, a.Value, 0.9
		emit(o)
	}
}

// attributeKeys maps group 0 variations (IEEE 1815-2012 table 11-xx,
// "device attributes") to attribute keys.
var attributeKeys = map[uint8]string{
	242: "dnp3.software_version",
	243: "dnp3.hardware_version",
	245: "dnp3.location",
	246: "dnp3.device_id",
	247: "dnp3.device_name",
	248: "dnp3.serial_number",
	250: "dnp3.product_name",
	252: "dnp3.manufacturer",
}

// DeviceAttribute is one group 0 object of a response.
type DeviceAttribute struct {
	Variation uint8
	DataType  uint8
	// Value is the string value (data type 1, VSTR), sanitized; empty for others.
	Value string
}

// errStop ends the walk of group 0 objects at the first thing not understood.
var errStop = errors.New("dnp3: device attributes: unsupported object")

// ParseDeviceAttributes walks consecutive group 0 objects (qualifier 0x00,
// one index) and returns them; it stops at the first other object.
func ParseDeviceAttributes(b []byte) ([]DeviceAttribute, error) {
	var out []DeviceAttribute
	for len(b) >= 3 && len(out) < 32 {
		group, variation, qual := b[0], b[1], b[2]
		if group != 0 {
			return out, nil
		}
		var idx int
		switch qual {
		case 0x00:
			idx = 2
		case 0x01:
			idx = 4
		default:
			return out, errStop
		}
		if len(b) < 3+idx+2 {
			return out, ErrShort
		}
		p := b[3+idx:]
		typ, n := p[0], int(p[1])
		if len(p) < 2+n {
			return out, ErrShort
		}
		a := DeviceAttribute{Variation: variation, DataType: typ}
		if typ == 1 {
			a.Value = sanitize(p[2 : 2+n])
		}
		out = append(out, a)
		b = p[2+n:]
	}
	return out, nil
}

// sanitize copies a wire string, dropping NULs and control characters and
// capping its length.
func sanitize(b []byte) string {
	const max = 256
	out := make([]byte, 0, min(len(b), max))
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			continue
		}
		out = append(out, c)
		if len(out) == max {
			break
		}
	}
	return string(out)
}
