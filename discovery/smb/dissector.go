package smb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// Ports: direct-hosted SMB and SMB over NetBIOS session service.
const (
	Port        = 445
	NetBIOSPort = 139
)

// headLimit bounds how much of a session message is handed to Parse at once:
// larger messages (file data) are passed as their first headLimit bytes
// followed by skipped pieces, so that no read or write is ever buffered whole.
const headLimit = 64 << 10

// maxCompound bounds the commands read from one compound SMB2 message.
const maxCompound = 16

func init() {
	discovery.Register("smb", func() discovery.Dissector { return New() })
}

// Dissector reads SMB1/SMB2/SMB3 over NetBIOS session framing.
type Dissector struct{}

// New returns an SMB dissector.
func New() *Dissector { return &Dissector{} }

func (d *Dissector) Name() string { return "smb" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}, {Transport: discovery.TCP, Number: NetBIOSPort}}
}

// Heuristic: a session message holding an SMB1/SMB2 header is distinctive.
func (d *Dissector) Heuristic() bool { return true }

// Detect confirms a NetBIOS session packet carrying an SMB signature (or a
// session request on 139).
func (d *Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	if len(data) < 8 {
		if len(data) > 0 && data[0] != SessionMessage && data[0] != SessionRequest && data[0] != PositiveResponse {
			return discovery.No
		}
		return discovery.NeedMore
	}
	if _, err := MessageLen(data); err != nil {
		return discovery.No
	}
	switch data[0] {
	case SessionMessage:
		sig := data[4:8]
		if bytes.Equal(sig, sigSMB1) || bytes.Equal(sig, sigSMB2) || bytes.Equal(sig, sigTransform) || bytes.Equal(sig, sigCompress) {
			return discovery.Yes
		}
	case SessionRequest:
		if data[4] == 32 {
			return discovery.Yes
		}
	case PositiveResponse:
		if data[1] == 0 && data[2] == 0 && data[3] == 0 {
			return discovery.Yes
		}
	}
	return discovery.No
}

type dirState struct {
	skip int // bytes of the current message still to pass over
}

type stream struct {
	dirs [2]dirState
	once map[string]bool // (key) facts already said on this flow; bounded by the key set
	// dialects offered in an SMB1 negotiate request, to name the index the server picks
	dialects [][]byte
	authed   bool // a session setup completed: later clear READ/WRITE means no encryption
	// hot-path facts said once, kept out of the map to avoid building keys per message
	v1Said, v2Said, clearSaid bool
	ntlm                      NTLM
}

// NewStream returns the per-flow parser.
func (d *Dissector) NewStream(*discovery.Flow) discovery.Stream {
	return &stream{once: map[string]bool{}}
}

func (s *stream) PDULen(data []byte, dir discovery.Direction) (int, error) {
	if sk := s.dirs[dir].skip; sk > 0 {
		return min(sk, len(data)), nil
	}
	n, err := MessageLen(data)
	if err != nil || n == 0 {
		return 0, err
	}
	if n > headLimit {
		return headLimit, nil
	}
	return n, nil
}

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	d := &s.dirs[pkt.Dir]
	if d.skip > 0 {
		d.skip -= len(pdu)
		return nil
	}
	n, err := MessageLen(pdu)
	if err != nil {
		return err
	}
	if n > len(pdu) {
		d.skip = n - len(pdu)
	}
	e := emitter{s: s, pkt: pkt, emit: emit}
	switch pdu[0] {
	case SessionRequest:
		e.role()
		called, _, rest, ok := DecodeNetBIOSName(pdu[4:])
		if !ok {
			return nil
		}
		calling, _, _, ok2 := DecodeNetBIOSName(rest)
		if len(called) > 0 && called[0] != '*' {
			e.attr(pkt.Server(), "smb.hostname", wirestr.Clean(called), 0.7)
		}
		if ok2 && len(calling) > 0 && calling[0] != '*' {
			e.attr(pkt.Client(), "smb.hostname", wirestr.Clean(calling), 0.7)
		}
		return nil
	case SessionMessage:
	default:
		e.role()
		return nil
	}
	m := pdu[4:]
	if len(m) < 4 {
		return nil
	}
	e.role()
	switch {
	case bytes.Equal(m[:4], sigSMB2):
		// A compound message chains commands through NextCommand ([MS-SMB2] 3.2.4.1.4).
		for i := 0; i < maxCompound; i++ {
			if err := s.smb2(m, &e); err != nil {
				return err
			}
			if len(m) < 24 {
				return nil
			}
			next := int(binary.LittleEndian.Uint32(m[20:]))
			if next < 64 || next >= len(m) || next%8 != 0 {
				return nil
			}
			m = m[next:]
		}
		return nil
	case bytes.Equal(m[:4], sigSMB1):
		return s.smb1(m, &e)
	case bytes.Equal(m[:4], sigTransform):
		e.commOnce("encrypted", "true")
	}
	return nil
}

func (s *stream) smb2(m []byte, e *emitter) error {
	h, err := ParseSMB2Header(m)
	if err != nil {
		return err
	}
	if !s.v2Said {
		s.v2Said = true
		e.commOnce("smb.version", "2")
	}
	switch h.Command {
	case SMB2Negotiate:
		if h.Response {
			mode, dialect, err := NegotiateResponse2(m)
			if err != nil {
				return err
			}
			if dialect != 0x02ff {
				e.attrOnce(e.pkt.Server(), "smb.dialect", dialect.String(), 0.95)
				e.commOnce("smb.dialect", dialect.String())
				e.commOnce("smb.signing_required", strconv.FormatBool(mode&0x2 != 0))
			}
		}
	case SMB2SessionSetup:
		s.ntlmssp(m, e)
		if h.Response && h.Status == 0 {
			s.authed = true
		}
	case SMB2Read, SMB2Write, SMB2SetInfo:
		if h.Response {
			return nil
		}
		if s.authed && !s.clearSaid {
			s.clearSaid = true
			e.commOnce("encrypted", "false")
		}
		op := discovery.Operation{Code: int(h.Command), Name: h.Command.String(), Class: discovery.OpRead}
		if h.Command != SMB2Read {
			op.Class = discovery.OpWrite
		}
		e.op(op)
	}
	return nil
}

func (s *stream) smb1(m []byte, e *emitter) error {
	h, err := ParseSMB1Header(m)
	if err != nil {
		return err
	}
	switch h.Command {
	case SMB1Negotiate:
		words, data, err := SMB1Params(m)
		if err != nil {
			return err
		}
		if !h.Reply {
			// Dialect strings: 0x02 "name" NUL ...
			s.dialects = s.dialects[:0]
			for len(data) > 1 && data[0] == 0x02 && len(s.dialects) < 16 {
				end := bytes.IndexByte(data[1:], 0)
				if end < 0 {
					break
				}
				s.dialects = append(s.dialects, append([]byte(nil), data[1:1+end]...))
				data = data[2+end:]
			}
			return nil
		}
		if len(words) >= 2 {
			idx := int(words[0]) | int(words[1])<<8
			if idx < len(s.dialects) {
				name := wirestr.Clean(s.dialects[idx])
				e.commOnce("smb.version", "1")
				e.attrOnce(e.pkt.Server(), "smb.dialect", "SMB1 "+name, 0.95)
				e.commOnce("smb.dialect", "SMB1 "+name)
			}
		}
	case SMB1SessionSetup:
		e.commOnce("smb.version", "1")
		s.ntlmssp(m, e)
		if h.Reply {
			s.authed = true
		}
	case SMB1ReadAndX, SMB1WriteAndX:
		if !s.v1Said {
			s.v1Said = true
			e.commOnce("smb.version", "1")
		}
		if h.Reply {
			return nil
		}
		op := discovery.Operation{Code: int(h.Command), Name: "read_andx", Class: discovery.OpRead}
		if h.Command == SMB1WriteAndX {
			op = discovery.Operation{Code: int(h.Command), Name: "write_andx", Class: discovery.OpWrite}
		}
		e.op(op)
	}
	return nil
}

// ntlmssp reports the names an NTLMSSP message carries: the server's own
// (CHALLENGE target info) and the client's workstation and domain
// (AUTHENTICATE). User names are never kept.
func (s *stream) ntlmssp(m []byte, e *emitter) {
	raw := FindNTLMSSP(m)
	if raw == nil {
		return
	}
	n := &s.ntlm
	if ParseNTLM(raw, n) != nil {
		return
	}
	ver := func(who discovery.Endpoint) {
		if n.HasVersion {
			e.attrOnce(who, "smb.os_version", fmt.Sprintf("%d.%d.%d", n.Major, n.Minor, n.Build), 0.9)
		}
	}
	switch n.Type {
	case NTLMChallenge:
		srv := e.pkt.Server()
		e.attrOnce(srv, "smb.hostname", wirestr.Clean(Text(n.NbComputer, true)), 0.9)
		e.attrOnce(srv, "smb.domain", wirestr.Clean(Text(n.NbDomain, true)), 0.9)
		e.attrOnce(srv, "smb.dns_hostname", lower(wirestr.Clean(Text(n.DNSComputer, true))), 0.9)
		e.attrOnce(srv, "smb.dns_domain", lower(wirestr.Clean(Text(n.DNSDomain, true))), 0.9)
		ver(srv)
	case NTLMAuthenticate:
		cli := e.pkt.Client()
		e.attrOnce(cli, "smb.hostname", wirestr.Clean(Text(n.Workstation, n.Unicode)), 0.8)
		e.attrOnce(cli, "smb.domain", wirestr.Clean(Text(n.Domain, n.Unicode)), 0.8)
		ver(cli)
		if n.UserPresent {
			e.commOnce("authenticated", "true")
		}
	case NTLMNegotiate:
		ver(e.pkt.Client())
	}
}

type emitter struct {
	s    *stream
	pkt  *discovery.PacketInfo
	emit discovery.Emit
}

func (e *emitter) base(kind discovery.Kind, who discovery.Endpoint) discovery.Observation {
	o := e.pkt.Obs(kind, who)
	o.Protocol, o.Transport, o.Port = "smb", "tcp", Port
	if e.pkt.Flow != nil {
		o.Port = e.pkt.Flow.ServerPort
	}
	return o
}

func (e *emitter) role() {
	key, who, role := "svc:client", e.pkt.Client(), "client"
	if e.pkt.Dir == discovery.ToClient {
		key, who, role = "svc:server", e.pkt.Server(), "server"
	}
	if e.s.once[key] {
		return
	}
	e.s.once[key] = true
	o := e.base(discovery.KindService, who)
	o.Role = role
	e.emit(o)
}

func (e *emitter) attr(who discovery.Endpoint, key, value string, conf float32) {
	if value == "" {
		return
	}
	o := e.base(discovery.KindAttribute, who)
	o.Key, o.Value, o.Confidence = key, value, conf
	e.emit(o)
}

func (e *emitter) attrOnce(who discovery.Endpoint, key, value string, conf float32) {
	k := "attr:" + who.String() + ":" + key
	if value == "" || e.s.once[k] {
		return
	}
	e.s.once[k] = true
	e.attr(who, key, value, conf)
}

func (e *emitter) commOnce(key, value string) {
	k := "comm:" + key + "=" + value
	if e.s.once[k] {
		return
	}
	e.s.once[k] = true
	o := e.base(discovery.KindCommAttribute, e.pkt.Client())
	o.Peer, o.Key, o.Value = e.pkt.Server(), key, value
	e.emit(o)
}

func (e *emitter) op(op discovery.Operation) {
	o := e.base(discovery.KindOperation, e.pkt.Client())
	o.Peer, o.Op = e.pkt.Server(), op
	e.emit(o)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
