package telnet

import (
	"bytes"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// Port is Telnet's port.
const Port = 23

const (
	maxText   = 512
	bannerMax = 256
)

func init() {
	discovery.Register("telnet", func() discovery.Dissector { return New() })
}

// Dissector reads Telnet sessions.
type Dissector struct{}

// New returns a Telnet dissector.
func New() *Dissector { return &Dissector{} }

func (d *Dissector) Name() string { return "telnet" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Detect accepts option negotiation or printable text.
func (d *Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	if len(data) == 0 {
		return discovery.NeedMore
	}
	if data[0] == IAC {
		if len(data) < 2 {
			return discovery.NeedMore
		}
		if data[1] >= SB && data[1] <= DONT {
			return discovery.Yes
		}
		return discovery.No
	}
	n := min(len(data), 16)
	for _, c := range data[:n] {
		if c >= 0x7f && c != IAC || c < 0x20 && c != '\r' && c != '\n' && c != '\t' && c != 0 && c != 7 {
			return discovery.No
		}
	}
	return discovery.Yes
}

type stream struct {
	strip                     [2]Stripper
	text                      []byte
	client, server, enc, cred bool
	bannerDone                bool
	prompt                    bool // the server asked for a login or password
	scratch                   [256]byte
}

// NewStream returns the per-flow parser.
func (d *Dissector) NewStream(*discovery.Flow) discovery.Stream { return &stream{} }

// PDULen hands over whatever has arrived: Telnet has no messages.
func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return len(data), nil }

var prompts = [][]byte{[]byte("login:"), []byte("username:"), []byte("user name:"), []byte("password:")}

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	client, server := pkt.Client(), pkt.Server()
	base := func(kind discovery.Kind, e discovery.Endpoint) discovery.Observation {
		o := pkt.Obs(kind, e)
		o.Protocol, o.Transport, o.Port = "telnet", "tcp", Port
		if pkt.Flow != nil {
			o.Port = pkt.Flow.ServerPort
		}
		return o
	}
	role := func(done *bool, e discovery.Endpoint, r string) {
		if !*done {
			*done = true
			o := base(discovery.KindService, e)
			o.Role = r
			emit(o)
		}
	}
	comm := func(done *bool, key, value string) {
		if !*done {
			*done = true
			o := base(discovery.KindCommAttribute, client)
			o.Peer, o.Key, o.Value = server, key, value
			emit(o)
		}
	}
	comm(&s.enc, "encrypted", "false")
	if pkt.Dir == discovery.ToServer {
		role(&s.client, client, "client")
		data := s.strip[0].Strip(pdu, s.scratch[:0], len(s.scratch))
		if s.prompt && len(bytes.TrimSpace(data)) > 0 {
			comm(&s.cred, "cleartext_credentials", "true")
		}
		return nil
	}
	role(&s.server, server, "server")
	if s.bannerDone && s.prompt {
		s.strip[1].Strip(pdu, nil, 0)
		return nil
	}
	if s.text == nil {
		s.text = make([]byte, 0, maxText)
	}
	if len(s.text) >= maxText-64 {
		// Keep looking for a prompt in bounded memory.
		s.text = append(s.text[:0], s.text[len(s.text)-16:]...)
	}
	start := len(s.text)
	s.text = s.strip[1].Strip(pdu, s.text, maxText)
	lowerText := bytes.ToLower(s.text[max(start-16, 0):])
	cut := -1
	for _, p := range prompts {
		if i := bytes.Index(lowerText, p); i >= 0 {
			s.prompt = true
			// Banner is the text before the prompt's line.
			j := max(start-16, 0) + i
			if k := bytes.LastIndexByte(s.text[:j], '\n'); k >= 0 {
				j = k
			} else {
				j = 0
			}
			if cut < 0 || j < cut {
				cut = j
			}
		}
	}
	if s.bannerDone {
		return nil
	}
	switch {
	case cut >= 0:
		s.banner(s.text[:cut], base, server, emit)
	case len(s.text) >= bannerMax:
		s.banner(s.text[:bannerMax], base, server, emit)
	}
	return nil
}

func (s *stream) banner(b []byte, base func(discovery.Kind, discovery.Endpoint) discovery.Observation, server discovery.Endpoint, emit discovery.Emit) {
	s.bannerDone = true
	var lines []byte
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if len(lines) > 0 {
			lines = append(lines, " / "...)
		}
		lines = append(lines, line...)
	}
	s.text = nil
	if v := wirestr.Clean(lines); v != "" {
		o := base(discovery.KindAttribute, server)
		o.Key, o.Value, o.Confidence = "telnet.banner", v, 0.8
		emit(o)
	}
}
