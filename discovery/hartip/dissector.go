package hartip

import (
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Port is HART-IP's UDP and TCP port.
const Port = 5094

func init() {
	discovery.Register("hart_ip", func() discovery.Dissector { return New() })
	discovery.Register("hart_ip_udp", func() discovery.Dissector { return NewUDP() })
}

// Dissector is HART-IP over TCP. Go methods cannot be overloaded, so UDP
// is UDPDissector, registered as "hart_ip_udp" with the same Name.
type Dissector struct{}

// New returns the TCP dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "hart_ip" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Detect implements discovery.StreamDissector.
func (*Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	if len(data) < HeaderLen {
		return discovery.NeedMore
	}
	if checkHeader(data) != nil {
		return discovery.No
	}
	return discovery.Yes
}

// NewStream implements discovery.StreamDissector.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream { return &stream{st: state(f)} }

type stream struct{ st *flowState }

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return MessageLen(data) }

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	return s.st.message(pdu, "tcp", pkt, emit)
}

// UDPDissector is HART-IP over UDP.
type UDPDissector struct{}

// NewUDP returns the UDP dissector.
func NewUDP() *UDPDissector { return &UDPDissector{} }

func (*UDPDissector) Name() string { return "hart_ip" }

func (*UDPDissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: Port}}
}

// Detect implements discovery.DatagramDissector.
func (*UDPDissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	n, err := MessageLen(data)
	if err != nil || n != len(data) {
		return discovery.No
	}
	return discovery.Yes
}

// Datagram implements discovery.DatagramDissector.
func (*UDPDissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	return state(pkt.Flow).message(data, "udp", pkt, emit)
}

// flowState remembers what a flow reported (bounded).
type flowState struct {
	roles uint8
	seen  map[[3]string]struct{}
}

func state(f *discovery.Flow) *flowState {
	return discovery.StateOf(f, func() *flowState { return &flowState{seen: map[[3]string]struct{}{}} })
}

func (st *flowState) message(b []byte, transport string, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	h, err := ParseHeader(b)
	if err != nil {
		return err
	}
	src, dst := pkt.Src, discovery.Receiver(pkt.Dst)
	client, server := src, dst
	if h.Type != 0 {
		client, server = dst, src
	}
	role := func(bit uint8, ep discovery.Endpoint, r string) {
		if st.roles&bit != 0 {
			return
		}
		st.roles |= bit
		o := pkt.Obs(discovery.KindService, ep)
		o.Protocol, o.Transport, o.Port, o.Role = "hart_ip", transport, Port, r
		emit(o)
	}
	if h.Type == 2 { // publish: no client involved
		role(2, server, "server")
	} else {
		role(1, client, "client")
		role(2, server, "server")
	}
	if h.ID != 3 {
		return nil
	}
	body := h.Body
	for len(body) > 0 && body[0] == 0xff { // preambles, when a sender includes them
		body = body[1:]
	}
	p, err := ParsePDU(body)
	if err != nil {
		return err
	}
	if h.Type == 0 && !p.Response {
		name, class := CommandName(p.Command)
		o := pkt.Obs(discovery.KindOperation, client)
		o.Peer, o.Protocol, o.Transport, o.Port = server, "hart_ip", transport, Port
		o.Op = discovery.Operation{Code: int(p.Command), Name: name, Class: class}
		emit(o)
		return nil
	}
	if !p.Response || p.ResponseCode != 0 && p.ResponseCode < 8 { // 1-7 are errors; 8+ are warnings
		return nil
	}
	dev := server
	if p.Long {
		dev.MAC = [6]byte{}
		dev.Sub = "hart:uid=" + p.UniqueID()
	}
	attr := func(k, v string) {
		if v == "" {
			return
		}
		key := [3]string{dev.Sub + dev.IP.String(), k, v}
		if _, ok := st.seen[key]; ok {
			return
		}
		if len(st.seen) >= 64 {
			clear(st.seen)
		}
		st.seen[key] = struct{}{}
		o := pkt.Obs(discovery.KindAttribute, dev)
		o.Protocol, o.Key, o.Value, o.Confidence = "hart_ip", k, v, 0.9
		emit(o)
	}
	switch p.Command {
	case 0:
		id, err := ParseIdentity(p.Data)
		if err != nil {
			return nil
		}
		attr("hart.manufacturer_id", strconv.Itoa(int(id.ManufacturerID)))
		attr("hart.expanded_device_type", strconv.Itoa(int(id.ExpandedDeviceType)))
		attr("hart.device_id", hex6(id.DeviceID))
		attr("hart.universal_revision", strconv.Itoa(int(id.UniversalRevision)))
		attr("hart.device_revision", strconv.Itoa(int(id.DeviceRevision)))
		attr("hart.software_revision", strconv.Itoa(int(id.SoftwareRevision)))
		attr("hart.hardware_revision", strconv.Itoa(int(id.HardwareRevision)))
	case 12:
		if len(p.Data) >= 24 {
			attr("hart.message", UnpackASCII(p.Data[:24]))
		}
	case 13:
		if len(p.Data) >= 18 {
			attr("hart.tag", UnpackASCII(p.Data[:6]))
			attr("hart.descriptor", UnpackASCII(p.Data[6:18]))
		}
	case 20:
		if len(p.Data) >= 32 {
			attr("hart.long_tag", Latin1(p.Data[:32]))
		}
	}
	return nil
}

func hex6(b [3]byte) string {
	const hexd = "0123456789abcdef"
	return string([]byte{hexd[b[0]>>4], hexd[b[0]&0xf], hexd[b[1]>>4], hexd[b[1]&0xf], hexd[b[2]>>4], hexd[b[2]&0xf]})
}
