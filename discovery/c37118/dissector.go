package c37118

import (
	"encoding/binary"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Ports of IEEE C37.118 (IANA: 4712 TCP, 4713 UDP).
const (
	PortTCP = 4712
	PortUDP = 4713
)

func init() {
	discovery.Register("c37118", func() discovery.Dissector { return New() })
	discovery.Register("c37118_udp", func() discovery.Dissector { return NewUDP() })
}

// Dissector reads C37.118 over TCP. Go methods cannot be overloaded, so
// UDP is UDPDissector, registered as "c37118_udp" with the same Name.
type Dissector struct{}

// New returns the TCP dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "c37118" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: PortTCP}}
}

func detect(data []byte, whole bool) discovery.Verdict {
	n, err := FrameLen(data)
	switch {
	case err != nil:
		return discovery.No
	case n == 0 || n > len(data):
		if whole {
			return discovery.No
		}
		return discovery.NeedMore
	}
	if _, err := ParseFrame(data); err != nil {
		return discovery.No
	}
	return discovery.Yes
}

// Detect implements discovery.StreamDissector.
func (*Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	return detect(data, false)
}

// NewStream implements discovery.StreamDissector.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream { return &stream{st: state(f)} }

type stream struct{ st *flowState }

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return FrameLen(data) }

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	return s.st.frame(pdu, "tcp", pkt, emit)
}

// UDPDissector reads C37.118 over UDP.
type UDPDissector struct{}

// NewUDP returns the UDP dissector.
func NewUDP() *UDPDissector { return &UDPDissector{} }

func (*UDPDissector) Name() string { return "c37118" }

func (*UDPDissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: PortUDP}}
}

// Detect implements discovery.DatagramDissector.
func (*UDPDissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	return detect(data, true)
}

// Datagram implements discovery.DatagramDissector.
func (*UDPDissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	return state(pkt.Flow).frame(data, "udp", pkt, emit)
}

// flowState remembers what a flow reported; bounded.
type flowState struct {
	roles   uint8
	idcodes [4]uint16
	nid     int
	cfgSeen uint32 // fingerprint (body CRC, id code) of the last configuration reported
}

func state(f *discovery.Flow) *flowState {
	return discovery.StateOf[flowState](f, nil)
}

func (st *flowState) frame(b []byte, transport string, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	f, err := ParseFrame(b)
	if err != nil {
		return err
	}
	src, dst := pkt.Src, discovery.Receiver(pkt.Dst)
	port := pkt.DstPort
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	role := func(bit uint8, ep discovery.Endpoint, r string) {
		if st.roles&bit != 0 {
			return
		}
		st.roles |= bit
		o := pkt.Obs(discovery.KindService, ep)
		o.Protocol, o.Transport, o.Port, o.Role = "c37118", transport, port, r
		emit(o)
	}
	attr := func(ep discovery.Endpoint, key, value string) {
		o := pkt.Obs(discovery.KindAttribute, ep)
		o.Protocol, o.Key, o.Value, o.Confidence = "c37118", key, value, 0.9
		emit(o)
	}
	if f.Type == TypeCommand {
		role(1, src, "client")
		role(2, dst, "server")
		if len(f.Body) < 2 {
			return nil
		}
		c := Command(binary.BigEndian.Uint16(f.Body))
		o := pkt.Obs(discovery.KindOperation, src)
		o.Peer, o.Protocol, o.Transport, o.Port = dst, "c37118", transport, port
		o.Op = discovery.Operation{Code: int(c), Name: c.String(), Class: c.Class()}
		emit(o)
		return nil
	}
	role(2, src, "server")
	if st.newID(f.IDCode) {
		attr(src, "c37118.idcode", strconv.Itoa(int(f.IDCode)))
		switch f.Version {
		case 1:
			attr(src, "c37118.version", "2005")
		case 2:
			attr(src, "c37118.version", "2011")
		}
	}
	if f.Type != TypeConfig1 && f.Type != TypeConfig2 {
		return nil
	}
	// A configuration repeats unchanged; report it when it changes.
	fp := uint32(CRC(f.Body))<<16 | uint32(f.IDCode)
	if fp == st.cfgSeen {
		return nil
	}
	st.cfgSeen = fp
	c, err := ParseConfig(f.Body)
	if err != nil {
		return err
	}
	for _, u := range c.PMUs {
		if u.Station != "" {
			attr(src, "c37118.station_name", u.Station)
		}
		attr(src, "c37118.pmu_idcode", strconv.Itoa(int(u.IDCode)))
		attr(src, "c37118.nominal_frequency", strconv.Itoa(u.NominalHz))
	}
	rate := strconv.Itoa(int(c.DataRate))
	if c.DataRate < 0 {
		rate = "1/" + strconv.Itoa(-int(c.DataRate)) + " s"
	}
	attr(src, "c37118.data_rate", rate)
	return nil
}

func (st *flowState) newID(id uint16) bool {
	for _, v := range st.idcodes[:st.nid] {
		if v == id {
			return false
		}
	}
	if st.nid < len(st.idcodes) {
		st.idcodes[st.nid] = id
		st.nid++
		return true
	}
	return false
}
