package ssh

import (
	"bytes"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// Port is SSH's port.
const Port = 22

// maxPreLines bounds the lines a server may send before its identification.
const maxPreLines = 16

func init() {
	discovery.Register("ssh", func() discovery.Dissector { return New() })
}

// Dissector reads SSH identification strings.
type Dissector struct{}

// New returns an SSH dissector.
func New() *Dissector { return &Dissector{} }

func (d *Dissector) Name() string { return "ssh" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Heuristic: "SSH-x.y-" opens every SSH connection.
func (d *Dissector) Heuristic() bool { return true }

// Detect confirms the identification string prefix.
func (d *Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	const p = "SSH-"
	n := min(len(data), len(p))
	if !bytes.Equal(data[:n], []byte(p)[:n]) {
		return discovery.No
	}
	if len(data) < len(p)+2 {
		return discovery.NeedMore
	}
	if c := data[4]; (c < '1' || c > '2') || data[5] != '.' {
		return discovery.No
	}
	return discovery.Yes
}

type dirState struct {
	done  bool // identification seen: the rest is binary
	lines int
}

type stream struct {
	dirs                [2]dirState
	client, server, com bool
	id                  Ident
}

// NewStream returns the per-flow parser.
func (d *Dissector) NewStream(*discovery.Flow) discovery.Stream { return &stream{} }

func (s *stream) PDULen(data []byte, dir discovery.Direction) (int, error) {
	if s.dirs[dir].done {
		return len(data), nil
	}
	return LineLen(data)
}

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	d := &s.dirs[pkt.Dir]
	if d.done {
		return nil
	}
	if !ParseIdent(pdu, &s.id) {
		d.lines++
		if d.lines > maxPreLines {
			d.done = true
		}
		return nil
	}
	d.done = true
	port := uint16(Port)
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	who, role := pkt.Client(), "client"
	if pkt.Dir == discovery.ToClient {
		who, role = pkt.Server(), "server"
	}
	base := func(kind discovery.Kind, e discovery.Endpoint) discovery.Observation {
		o := pkt.Obs(kind, e)
		o.Protocol, o.Transport, o.Port = "ssh", "tcp", port
		return o
	}
	done := &s.client
	if role == "server" {
		done = &s.server
	}
	if !*done {
		*done = true
		o := base(discovery.KindService, who)
		o.Role = role
		emit(o)
	}
	if v := wirestr.Clean(s.id.Text); v != "" {
		o := base(discovery.KindAttribute, who)
		o.Key, o.Value, o.Confidence = "ssh.banner", v, 0.9
		emit(o)
	}
	if role == "server" && !s.com {
		s.com = true
		for _, kv := range [][2]string{{"encrypted", "true"}, {"ssh.protocol_version", wirestr.Clean(s.id.ProtoVersion)}} {
			o := base(discovery.KindCommAttribute, pkt.Client())
			o.Peer, o.Key, o.Value = pkt.Server(), kv[0], kv[1]
			emit(o)
		}
	}
	return nil
}
