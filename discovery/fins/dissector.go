package fins

import (
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Port is FINS's UDP and TCP port.
const Port = 9600

func init() {
	discovery.Register("fins", func() discovery.Dissector { return New() })
	discovery.Register("fins_udp", func() discovery.Dissector { return NewUDP() })
}

// Dissector is FINS/TCP. Go methods cannot be overloaded, so FINS/UDP
// (whose Detect has another signature) is UDPDissector, registered as
// "fins_udp" with the same protocol Name.
type Dissector struct{}

// New returns the FINS/TCP dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "fins" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Detect implements discovery.StreamDissector.
func (*Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	n, err := TCPLen(data)
	switch {
	case err != nil:
		return discovery.No
	case n == 0 || len(data) < TCPHeaderLen:
		return discovery.NeedMore
	}
	if c := data[11]; data[8] != 0 || data[9] != 0 || data[10] != 0 || c > 6 {
		return discovery.No
	}
	return discovery.Yes
}

// NewStream implements discovery.StreamDissector.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream { return &stream{st: state(f)} }

type stream struct{ st *flowState }

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return TCPLen(data) }

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	f, err := ParseTCP(pdu)
	if err != nil {
		return err
	}
	client, server := pkt.Src, discovery.Receiver(pkt.Dst)
	if pkt.Dir == discovery.ToClient {
		client, server = discovery.Receiver(pkt.Dst), pkt.Src
	}
	s.st.roles(client, server, "tcp", pkt, emit)
	switch f.Command {
	case 1: // server to client: client node, server node
		if len(f.Data) >= 8 {
			s.st.node(client, int(f.Data[3]), pkt, emit)
			s.st.node(server, int(f.Data[7]), pkt, emit)
		}
	case 2:
		fr, err := ParseFrame(f.Data)
		if err != nil {
			return err
		}
		s.st.frame(fr, client, server, pkt.Dir == discovery.ToServer, "tcp", pkt, emit)
	}
	return nil
}

// UDPDissector is FINS/UDP.
type UDPDissector struct{}

// NewUDP returns the FINS/UDP dissector.
func NewUDP() *UDPDissector { return &UDPDissector{} }

func (*UDPDissector) Name() string { return "fins" }

func (*UDPDissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: Port}}
}

// Detect implements discovery.DatagramDissector.
func (*UDPDissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	f, err := ParseFrame(data)
	if err != nil || !f.Command.Known() {
		return discovery.No
	}
	return discovery.Yes
}

// Datagram implements discovery.DatagramDissector. Both ends usually use
// port 9600, so roles come from the ICF: the sender of a response is the
// server.
func (*UDPDissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	f, err := ParseFrame(data)
	if err != nil {
		return err
	}
	client, server := pkt.Src, discovery.Receiver(pkt.Dst)
	if f.Response() {
		client, server = discovery.Receiver(pkt.Dst), pkt.Src
	}
	st := state(pkt.Flow)
	st.roles(client, server, "udp", pkt, emit)
	st.frame(f, client, server, !f.Response(), "udp", pkt, emit)
	return nil
}

// flowState remembers what a flow already reported; fixed size.
type flowState struct {
	reported bool
	nodes    [4]discovery.Endpoint
	nodeIDs  [4]int
	nnodes   int
}

func state(f *discovery.Flow) *flowState {
	return discovery.StateOf[flowState](f, nil)
}

func (st *flowState) roles(client, server discovery.Endpoint, transport string, pkt *discovery.PacketInfo, emit discovery.Emit) {
	if st.reported {
		return
	}
	st.reported = true
	port := uint16(Port)
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	discovery.EmitServiceRoles(emit, pkt, "fins", transport, port, server, client)
}

func (st *flowState) node(ep discovery.Endpoint, id int, pkt *discovery.PacketInfo, emit discovery.Emit) {
	if id == 0 || id == 0xff { // 0: local node, 255: broadcast
		return
	}
	for i := range st.nnodes {
		if discovery.Receiver(st.nodes[i]) == discovery.Receiver(ep) && st.nodeIDs[i] == id {
			return
		}
	}
	if st.nnodes < len(st.nodes) {
		st.nodes[st.nnodes], st.nodeIDs[st.nnodes] = ep, id
		st.nnodes++
	}
	o := pkt.Obs(discovery.KindAttribute, ep)
	o.Protocol, o.Key, o.Value, o.Confidence = "fins", "fins.node", strconv.Itoa(id), 0.9
	emit(o)
}

func (st *flowState) frame(f Frame, client, server discovery.Endpoint, command bool, transport string, pkt *discovery.PacketInfo, emit discovery.Emit) {
	port := uint16(Port)
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	if command {
		st.node(server, int(f.DA1), pkt, emit)
		st.node(client, int(f.SA1), pkt, emit)
		o := pkt.Obs(discovery.KindOperation, client)
		o.Peer, o.Protocol, o.Transport, o.Port = server, "fins", transport, port
		o.Op = discovery.Operation{Code: int(f.Command), Name: f.Command.String(), Class: f.Command.Class()}
		emit(o)
		return
	}
	// End code: main and sub code zero is normal completion; bit 15 (relay
	// error) and bits 6-7 (CPU error flags) may be set alongside.
	if f.Command == 0x0501 && f.EndCode&0x7f3f == 0 {
		if cd, err := ParseControllerData(f.Data); err == nil {
			for _, kv := range [][2]string{{"fins.model", cd.Model}, {"fins.version", cd.Version}} {
				if kv[1] == "" {
					continue
				}
				o := pkt.Obs(discovery.KindAttribute, server)
				o.Protocol, o.Key, o.Value, o.Confidence = "fins", kv[0], kv[1], 0.95
				emit(o)
			}
		}
	}
}
