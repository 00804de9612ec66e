package rdp

import (
	"bytes"

	"github.com/otzone/otzone/discovery"
)

// Port is RDP's port.
const Port = 3389

func init() {
	discovery.Register("rdp", func() discovery.Dissector { return New() })
}

// Dissector reads the RDP connection negotiation.
type Dissector struct{}

// New returns an RDP dissector.
func New() *Dissector { return &Dissector{} }

func (d *Dissector) Name() string { return "rdp" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Detect accepts TPKT + X.224 CR (to the server) or CC (to the client).
func (d *Dissector) Detect(data []byte, dir discovery.Direction) discovery.Verdict {
	if len(data) < tpktHeaderLen+2 {
		if len(data) > 0 && data[0] != TPKTVersion || len(data) > 1 && data[1] != 0 {
			return discovery.No
		}
		return discovery.NeedMore
	}
	if _, err := PDULen(data); err != nil {
		return discovery.No
	}
	want := byte(X224ConnRequest)
	if dir == discovery.ToClient {
		want = X224ConnConfirm
	}
	if data[5]&0xF0 != want {
		return discovery.No
	}
	return discovery.Yes
}

type stream struct {
	opaque                 bool
	client, server, cookie bool
	requested              bool
	conn                   Connection
}

// NewStream returns the per-flow parser.
func (d *Dissector) NewStream(*discovery.Flow) discovery.Stream { return &stream{} }

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) {
	if s.opaque {
		return len(data), nil
	}
	n, err := PDULen(data)
	if n > maxConnectionPDU {
		// Connection PDUs are small; a large one means we are past negotiation.
		s.opaque = true
		return len(data), nil
	}
	return n, err
}

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	if s.opaque {
		return nil
	}
	c := &s.conn
	if err := ParseConnection(pdu, c); err != nil {
		s.opaque = true // data PDUs of standard RDP security, or a capture started mid-session
		return nil
	}
	client, server := pkt.Client(), pkt.Server()
	base := func(kind discovery.Kind, e discovery.Endpoint) discovery.Observation {
		o := pkt.Obs(kind, e)
		o.Protocol, o.Transport, o.Port = "rdp", "tcp", Port
		if pkt.Flow != nil {
			o.Port = pkt.Flow.ServerPort
		}
		return o
	}
	comm := func(key, value string) {
		o := base(discovery.KindCommAttribute, client)
		o.Peer, o.Key, o.Value = server, key, value
		emit(o)
	}
	role := func(done *bool, e discovery.Endpoint, r string) {
		if !*done {
			*done = true
			o := base(discovery.KindService, e)
			o.Role = r
			emit(o)
		}
	}
	if c.Code == X224ConnRequest && pkt.Dir == discovery.ToServer {
		role(&s.client, client, "client")
		if bytes.HasPrefix(c.Cookie, []byte("Cookie: mstshash=")) && !s.cookie {
			s.cookie = true
			comm("rdp.cookie_present", "true")
		}
		if c.NegType == NegRequest && !s.requested {
			s.requested = true
			comm("rdp.requested_protocols", Protocols(c.Value).String())
		}
		return nil
	}
	if c.Code != X224ConnConfirm || pkt.Dir != discovery.ToClient {
		return nil
	}
	role(&s.server, server, "server")
	s.opaque = true // TLS, CredSSP or RDP-encrypted MCS follows
	nla := func(v string) {
		o := base(discovery.KindAttribute, server)
		o.Key, o.Value, o.Confidence = "rdp.nla_required", v, 0.9
		emit(o)
	}
	switch c.NegType {
	case NegResponse:
		p := Protocols(c.Value)
		comm("rdp.selected_protocol", p.String())
		comm("encrypted", "true")
		auth := p&(ProtocolHybrid|ProtocolHybridEx|ProtocolRDSTLS|ProtocolRDSAAD) != 0
		if auth {
			comm("authenticated", "true")
		} else {
			comm("authenticated", "false")
		}
		if p&(ProtocolHybrid|ProtocolHybridEx) != 0 {
			nla("true")
		} else if p == ProtocolRDP || p == ProtocolSSL {
			nla("false")
		}
	case NegFailure:
		f := FailureCode(c.Value)
		comm("rdp.negotiation_failure", f.String())
		if f == 5 {
			nla("true")
		}
	case 0:
		// Legacy server (no negotiation): standard RDP security.
		comm("rdp.selected_protocol", ProtocolRDP.String())
		comm("encrypted", "true")
		comm("authenticated", "false")
		nla("false")
	}
	return nil
}
