package http

import (
	"bytes"
	"fmt"
	"net/netip"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// Port is the HTTP port claimed; other ports are found by Detect (Heuristic).
const Port = 80

// maxTitleScan bounds the HTML body prefix kept per flow to find a <title>.
const maxTitleScan = 4096

func init() {
	discovery.Register("http", func() discovery.Dissector { return New() })
}

// Dissector reads HTTP/1.x.
type Dissector struct{}

// New returns an HTTP dissector.
func New() *Dissector { return &Dissector{} }

func (d *Dissector) Name() string { return "http" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Heuristic: an HTTP/1.x request or status line is distinctive enough to
// recognise HTTP on any port (8080, 8000, device web servers on odd ports).
func (d *Dissector) Heuristic() bool { return true }

// Detect confirms an HTTP/1.x start line.
func (d *Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	ok, more := StartLine(data)
	switch {
	case ok:
		return discovery.Yes
	case more:
		return discovery.NeedMore
	}
	return discovery.No
}

type state uint8

const (
	stHead state = iota
	stBody
	stChunkHeader
	stChunkData
	stTrailer
	stRest // to the end of the stream (response without length, tunnels, upgrades)
)

type direction struct {
	st        state
	remaining int64
	capture   bool
}

type stream struct {
	dirs                             [2]direction
	lastHead                         bool // the last request was HEAD
	client, server, comm, basic, aut bool
	srvHdr, ua, host, titleDone      bool
	body                             []byte
	hdr                              Header
}

// NewStream returns the per-flow parser.
func (d *Dissector) NewStream(*discovery.Flow) discovery.Stream { return &stream{} }

// PDULen frames heads, body pieces and chunk lines; bodies are handed over
// as they arrive so that a large download never waits in a buffer.
func (s *stream) PDULen(data []byte, dir discovery.Direction) (int, error) {
	if len(data) == 0 {
		return 0, nil
	}
	d := &s.dirs[dir]
	switch d.st {
	case stHead:
		if data[0] == '\r' || data[0] == '\n' {
			return 1, nil // stray line ends between messages
		}
		return HeadLen(data)
	case stBody, stChunkData:
		return int(min(d.remaining, int64(len(data)))), nil
	case stChunkHeader, stTrailer:
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(data) > 1024 {
				return 0, fmt.Errorf("http: chunk line of over 1024 bytes: %w", ErrLength)
			}
			return 0, nil
		}
		return i + 1, nil
	}
	return len(data), nil
}

// Parse handles one framed piece.
func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	d := &s.dirs[pkt.Dir]
	switch d.st {
	case stHead:
		if len(pdu) == 1 && (pdu[0] == '\r' || pdu[0] == '\n') {
			return nil
		}
		return s.head(pdu, pkt, emit)
	case stBody:
		s.scan(d, pdu, pkt, emit)
		d.remaining -= int64(len(pdu))
		if d.remaining <= 0 {
			d.st, d.capture = stHead, false
		}
	case stChunkHeader:
		n, err := ChunkSize(bytes.TrimRight(pdu, "\r\n"))
		if err != nil {
			d.st = stRest
			return err
		}
		if n == 0 {
			d.st = stTrailer
		} else {
			d.st, d.remaining = stChunkData, n+2
		}
	case stChunkData:
		// remaining counts the chunk's closing CRLF, which is not body.
		s.scan(d, pdu[:min(int64(len(pdu)), max(d.remaining-2, 0))], pkt, emit)
		d.remaining -= int64(len(pdu))
		if d.remaining <= 0 {
			d.st = stChunkHeader
		}
	case stTrailer:
		if len(bytes.TrimRight(pdu, "\r\n")) == 0 {
			d.st, d.capture = stHead, false
		}
	}
	return nil
}

func (s *stream) head(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	h := &s.hdr
	if err := ParseHeader(pdu, h); err != nil {
		s.dirs[pkt.Dir].st = stRest
		return err
	}
	client, server := pkt.Client(), pkt.Server()
	port := pkt.DstPort
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	base := func(kind discovery.Kind, e discovery.Endpoint) discovery.Observation {
		o := pkt.Obs(kind, e)
		o.Protocol, o.Transport, o.Port = "http", "tcp", port
		return o
	}
	attr := func(e discovery.Endpoint, done *bool, key string, v []byte, conf float32) {
		if *done || len(v) == 0 {
			return
		}
		*done = true
		o := base(discovery.KindAttribute, e)
		o.Key, o.Value, o.Confidence = key, wirestr.Clean(v), conf
		emit(o)
	}
	comm := func(done *bool, key, value string) {
		if *done {
			return
		}
		*done = true
		o := base(discovery.KindCommAttribute, client)
		o.Peer, o.Key, o.Value = server, key, value
		emit(o)
	}
	d := &s.dirs[pkt.Dir]
	if h.Request {
		if pkt.Dir != discovery.ToServer {
			d.st = stRest
			return fmt.Errorf("http: request from the server side: %w", ErrNotHTTP)
		}
		if !s.client {
			s.client = true
			o := base(discovery.KindService, client)
			o.Role = "client"
			emit(o)
		}
		comm(&s.comm, "encrypted", "false")
		if len(h.Authorization) > 0 {
			comm(&s.aut, "authenticated", "true")
			if bytes.EqualFold(h.AuthScheme(), []byte("basic")) {
				comm(&s.basic, "cleartext_credentials", "true")
			}
		}
		attr(client, &s.ua, "http.user_agent", h.UserAgent, 0.7)
		if !s.host && len(h.Host) > 0 {
			if ipLiteral(h.Host) {
				s.host = true
			} else {
				attr(server, &s.host, "http.host", h.Host, 0.6)
			}
		}
		o := base(discovery.KindOperation, client)
		o.Peer = server
		o.Op = discovery.Operation{Code: int(h.Method), Name: h.Method.String(), Class: discovery.OpOther}
		switch h.Method {
		case MethodGET, MethodHEAD, MethodOPTIONS:
			o.Op.Class = discovery.OpRead
		case MethodPOST, MethodPUT, MethodPATCH, MethodDELETE:
			o.Op.Class = discovery.OpWrite
		}
		emit(o)
		s.lastHead = h.Method == MethodHEAD
		switch {
		case h.Method == MethodCONNECT:
			s.dirs[0].st, s.dirs[1].st = stRest, stRest
		case h.Chunked:
			d.st = stChunkHeader
		case h.ContentLength > 0:
			d.st, d.remaining = stBody, h.ContentLength
		}
		return nil
	}
	if !s.server {
		s.server = true
		o := base(discovery.KindService, server)
		o.Role = "server"
		emit(o)
	}
	attr(server, &s.srvHdr, "http.server", h.Server, 0.8)
	switch {
	case h.Status == 101:
		s.dirs[0].st, s.dirs[1].st = stRest, stRest // protocol switch (WebSocket, h2c)
		return nil
	case h.Status < 200 || h.Status == 204 || h.Status == 304 || s.lastHead:
		return nil
	}
	d.capture = !s.titleDone && h.Status == 200 && bytes.Contains(bytes.ToLower(h.ContentType), []byte("html")) && len(h.ContentEncoding) == 0
	s.body = s.body[:0]
	switch {
	case h.Chunked:
		d.st = stChunkHeader
	case h.ContentLength > 0:
		d.st, d.remaining = stBody, h.ContentLength
	case h.ContentLength < 0:
		d.st = stRest
	}
	return nil
}

// scan keeps a bounded prefix of an HTML body and emits its title once.
func (s *stream) scan(d *direction, b []byte, pkt *discovery.PacketInfo, emit discovery.Emit) {
	if !d.capture || s.titleDone {
		return
	}
	if s.body == nil {
		s.body = make([]byte, 0, maxTitleScan)
	}
	n := min(len(b), maxTitleScan-len(s.body))
	s.body = append(s.body, b[:n]...)
	if t, ok := Title(s.body); ok {
		s.titleDone, d.capture = true, false
		if v := wirestr.Clean(t); v != "" {
			o := pkt.Obs(discovery.KindAttribute, pkt.Server())
			o.Protocol, o.Transport = "http", "tcp"
			if pkt.Flow != nil {
				o.Port = pkt.Flow.ServerPort
			}
			o.Key, o.Value, o.Confidence = "http.title", v, 0.7
			emit(o)
		}
		s.body = nil
		return
	}
	if len(s.body) >= maxTitleScan {
		d.capture, s.body = false, nil
	}
}

// ipLiteral reports whether a Host header is an address ("10.0.0.5",
// "10.0.0.5:8080", "[fd00::1]:80"): it names nothing the inventory lacks.
func ipLiteral(host []byte) bool {
	h := string(host)
	if ap, err := netip.ParseAddrPort(h); err == nil && ap.Addr().IsValid() {
		return true
	}
	_, err := netip.ParseAddr(h)
	return err == nil
}
