package slmp

import (
	"strconv"

	"github.com/otzone/otzone/discovery"
)

func init() {
	discovery.Register("slmp", func() discovery.Dissector { return New() })
	discovery.Register("slmp_udp", func() discovery.Dissector { return NewUDP() })
}

// Dissector is SLMP over TCP, offered on any port (Heuristic). Go methods
// cannot be overloaded, so UDP is UDPDissector, registered as "slmp_udp".
type Dissector struct{}

// New returns the TCP dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "slmp" }

// Ports is empty: MELSEC modules have no fixed port.
func (*Dissector) Ports() []discovery.Port { return nil }

// Heuristic: see the package documentation for the checks.
func (*Dissector) Heuristic() bool { return true }

func detect(data []byte, whole bool) discovery.Verdict {
	if len(data) >= 2 && subheaderLen(data[0], data[1]) == 0 {
		return discovery.No // what FrameLen refuses, without building its error
	}
	n, err := FrameLen(data)
	switch {
	case err != nil:
		return discovery.No
	case n == 0 || n > len(data):
		if whole {
			return discovery.No
		}
		return discovery.NeedMore
	case whole && n != len(data):
		return discovery.No
	}
	f, err := Parse(data[:n])
	if err != nil || (!f.Response && !f.Command.Known()) {
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

// UDPDissector is SLMP over UDP, offered on any port.
type UDPDissector struct{}

// NewUDP returns the UDP dissector.
func NewUDP() *UDPDissector { return &UDPDissector{} }

func (*UDPDissector) Name() string { return "slmp" }

// Ports is empty: MELSEC modules have no fixed port.
func (*UDPDissector) Ports() []discovery.Port { return nil }

// Heuristic: see the package documentation for the checks.
func (*UDPDissector) Heuristic() bool { return true }

// Detect implements discovery.DatagramDissector.
func (*UDPDissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	return detect(data, true)
}

// Datagram implements discovery.DatagramDissector.
func (*UDPDissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	return state(pkt.Flow).frame(data, "udp", pkt, emit)
}

type flowState struct {
	roles    uint8
	lastCmd  Command // the last request, to read its response
	reported bool
}

func state(f *discovery.Flow) *flowState {
	return discovery.StateOf[flowState](f, nil)
}

func (st *flowState) frame(b []byte, transport string, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	f, err := Parse(b)
	if err != nil {
		return err
	}
	client, server := pkt.Src, discovery.Receiver(pkt.Dst)
	if f.Response {
		client, server = discovery.Receiver(pkt.Dst), pkt.Src
	}
	port := pkt.DstPort
	if f.Response {
		port = pkt.SrcPort
	}
	if st.roles == 0 {
		st.roles = 1
		discovery.EmitServiceRoles(emit, pkt, "slmp", transport, port, server, client)
	}
	if !f.Response {
		st.lastCmd = f.Command
		o := pkt.Obs(discovery.KindOperation, client)
		o.Peer, o.Protocol, o.Transport, o.Port = server, "slmp", transport, port
		o.Op = discovery.Operation{Code: int(f.Command), Name: f.Command.String(), Class: f.Command.Class()}
		emit(o)
		return nil
	}
	if st.lastCmd == 0x0101 && f.EndCode == 0 && !st.reported {
		if m, err := ParseCPUModel(f.Data); err == nil && m.Name != "" {
			st.reported = true
			for _, kv := range [][2]string{{"slmp.cpu_model", m.Name}, {"slmp.model_code", "0x" + strconv.FormatUint(uint64(m.Code), 16)}} {
				o := pkt.Obs(discovery.KindAttribute, server)
				o.Protocol, o.Key, o.Value, o.Confidence = "slmp", kv[0], kv[1], 0.95
				emit(o)
			}
		}
	}
	return nil
}
