package ftp

import (
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// Port is the FTP control port.
const Port = 21

func init() {
	discovery.Register("ftp", func() discovery.Dissector { return New() })
}

// Dissector reads FTP control connections.
type Dissector struct{}

// New returns an FTP dissector.
func New() *Dissector { return &Dissector{} }

func (d *Dissector) Name() string { return "ftp" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Detect accepts a 220 greeting from the server or a known verb from the client.
func (d *Dissector) Detect(data []byte, dir discovery.Direction) discovery.Verdict {
	if dir == discovery.ToClient {
		if len(data) < 4 {
			if len(data) == 0 || string(data) == "220"[:len(data)] {
				return discovery.NeedMore
			}
			return discovery.No
		}
		if string(data[:3]) == "220" && (data[3] == ' ' || data[3] == '-') {
			return discovery.Yes
		}
		return discovery.No
	}
	n, err := LineLen(data)
	if err != nil {
		return discovery.No
	}
	if n == 0 {
		if len(data) < 5 {
			return discovery.NeedMore
		}
		n = len(data)
	}
	if c, ok := ParseCommand(data[:n]); ok && c != CmdOther {
		return discovery.Yes
	}
	return discovery.No
}

type stream struct {
	client, server, enc, cred, banner, syst bool
	tls                                     bool // AUTH TLS accepted: the rest is opaque
	authPending                             bool
	lastCmd                                 Command
	reply                                   Reply
}

// NewStream returns the per-flow parser.
func (d *Dissector) NewStream(*discovery.Flow) discovery.Stream { return &stream{} }

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) {
	if s.tls {
		return len(data), nil
	}
	return LineLen(data)
}

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	if s.tls {
		return nil
	}
	client, server := pkt.Client(), pkt.Server()
	base := func(kind discovery.Kind, e discovery.Endpoint) discovery.Observation {
		o := pkt.Obs(kind, e)
		o.Protocol, o.Transport, o.Port = "ftp", "tcp", Port
		if pkt.Flow != nil {
			o.Port = pkt.Flow.ServerPort
		}
		return o
	}
	once := func(done *bool, kind discovery.Kind, e discovery.Endpoint, f func(*discovery.Observation)) {
		if *done {
			return
		}
		*done = true
		o := base(kind, e)
		f(&o)
		emit(o)
	}
	comm := func(done *bool, key, value string) {
		once(done, discovery.KindCommAttribute, client, func(o *discovery.Observation) { o.Peer, o.Key, o.Value = server, key, value })
	}
	if pkt.Dir == discovery.ToServer {
		once(&s.client, discovery.KindService, client, func(o *discovery.Observation) { o.Role = "client" })
		cmd, ok := ParseCommand(pdu)
		if !ok {
			return nil // a stray line (pipelined data, garbage): not a command
		}
		if cmd != CmdAUTH {
			comm(&s.enc, "encrypted", "false")
		}
		s.lastCmd = cmd
		switch cmd {
		case CmdUSER, CmdPASS:
			comm(&s.cred, "cleartext_credentials", "true")
		case CmdAUTH:
			s.authPending = true
		}
		op := discovery.Operation{Code: int(cmd), Name: cmd.String(), Class: discovery.OpOther}
		switch cmd {
		case CmdRETR, CmdLIST, CmdNLST, CmdMLSD, CmdMLST, CmdSIZE, CmdMDTM, CmdCWD, CmdPWD:
			op.Class = discovery.OpRead
		case CmdSTOR, CmdSTOU, CmdAPPE, CmdDELE, CmdRMD, CmdMKD, CmdRNFR, CmdRNTO:
			op.Class = discovery.OpWrite
		case CmdSITE:
			op.Class = discovery.OpConfig
		}
		o := base(discovery.KindOperation, client)
		o.Peer, o.Op = server, op
		emit(o)
		return nil
	}
	once(&s.server, discovery.KindService, server, func(o *discovery.Observation) { o.Role = "server" })
	r := &s.reply
	ParseReply(pdu, r)
	attr := func(done *bool, key string, text []byte) {
		v := wirestr.Clean(text)
		if v == "" {
			return
		}
		once(done, discovery.KindAttribute, server, func(o *discovery.Observation) { o.Key, o.Value, o.Confidence = key, v, 0.9 })
	}
	switch {
	case r.Code == 220:
		attr(&s.banner, "ftp.banner", r.Text)
	case r.Code == 215 && s.lastCmd == CmdSYST:
		attr(&s.syst, "ftp.system", r.Text)
	case r.Code == 234 && s.authPending:
		// TLS from here on (tls stops all further parsing, so this is said once).
		s.tls, s.enc = true, true
		o := base(discovery.KindCommAttribute, client)
		o.Peer, o.Key, o.Value = server, "encrypted", "true"
		emit(o)
	case r.Code >= 400 && s.authPending:
		s.authPending = false
	}
	return nil
}
