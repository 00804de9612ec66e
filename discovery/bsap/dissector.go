package bsap

import "github.com/otzone/otzone/discovery"

// Ports of Open BSI's BSAP-IP driver.
const (
	Port1 = 1234
	Port2 = 1235
)

func init() {
	discovery.Register("bsap", func() discovery.Dissector { return New() })
}

// Dissector reads BSAP-IP datagrams.
type Dissector struct{}

// New returns a BSAP dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "bsap" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: Port1}, {Transport: discovery.UDP, Number: Port2}}
}

// Detect implements discovery.DatagramDissector (see the package
// documentation for how strict it is).
func (*Dissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	if _, err := Parse(data); err != nil {
		return discovery.No
	}
	return discovery.Yes
}

type flowState struct{ roles bool }

// Datagram implements discovery.DatagramDissector.
func (*Dissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	m, err := Parse(data)
	if err != nil {
		return err
	}
	st := &flowState{}
	if pkt.Flow != nil {
		if s, ok := pkt.Flow.State.(*flowState); ok {
			st = s
		} else {
			pkt.Flow.State = st
		}
	}
	if m.Serial {
		return nil // a tunnelled serial frame: the direction is not known
	}
	client, server, port := pkt.Src, discovery.Receiver(pkt.Dst), pkt.DstPort
	if !m.Request() {
		client, server, port = discovery.Receiver(pkt.Dst), pkt.Src, pkt.SrcPort
	}
	if !st.roles {
		st.roles = true
		discovery.EmitServiceRoles(emit, pkt, "bsap", "udp", port, server, client)
	}
	if op, ok := m.Operation(); ok {
		o := pkt.Obs(discovery.KindOperation, client)
		o.Peer, o.Protocol, o.Transport, o.Port, o.Op = server, "bsap", "udp", port, op
		emit(o)
	}
	return nil
}
