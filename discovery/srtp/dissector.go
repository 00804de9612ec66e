package srtp

import "github.com/otzone/otzone/discovery"

// Port is GE-SRTP's TCP port.
const Port = 18245

func init() {
	discovery.Register("srtp", func() discovery.Dissector { return New() })
}

// Dissector reads GE-SRTP streams.
type Dissector struct{}

// New returns an SRTP dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "srtp" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Detect implements discovery.StreamDissector.
func (*Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	n, err := MessageLen(data)
	switch {
	case err != nil:
		return discovery.No
	case n == 0:
		return discovery.NeedMore
	}
	if data[0] == 0 {
		for _, c := range data[:HeaderLen] {
			if c != 0 {
				return discovery.No
			}
		}
	}
	return discovery.Yes
}

// NewStream implements discovery.StreamDissector.
func (*Dissector) NewStream(*discovery.Flow) discovery.Stream { return &stream{} }

type stream struct{ roles bool }

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return MessageLen(data) }

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	h, err := Parse(pdu)
	if err != nil {
		return err
	}
	client, server := pkt.Src, discovery.Receiver(pkt.Dst)
	if pkt.Dir == discovery.ToClient {
		client, server = discovery.Receiver(pkt.Dst), pkt.Src
	}
	port := uint16(Port)
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	if !s.roles {
		s.roles = true
		discovery.EmitServiceRoles(emit, pkt, "srtp", "tcp", port, server, client)
	}
	if h.Type == 0x02 && h.MessageType == MsgRequest && pkt.Dir == discovery.ToServer {
		o := pkt.Obs(discovery.KindOperation, client)
		o.Peer, o.Protocol, o.Transport, o.Port = server, "srtp", "tcp", port
		o.Op = discovery.Operation{Code: int(h.Service), Name: h.Service.String(), Class: h.Service.Class()}
		emit(o)
	}
	return nil
}
