package opcua

import (
	"crypto/x509"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/otzone/otzone/discovery"
)

func init() {
	discovery.Register("opcua", func() discovery.Dissector { return New() })
}

// Port is the IANA port of opc.tcp.
const Port = 4840

// Dissector reads OPC UA binary (UA TCP + UA Secure Conversation) streams.
type Dissector struct{}

// New returns the OPC UA dissector.
func New() *Dissector { return &Dissector{} }

// Name is the CONTRACT.md protocol name.
func (*Dissector) Name() string { return "opcua" }

// Ports claims opc.tcp's registered port; other ports are found by the Hello.
func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Heuristic: a Hello carrying an "opc.tcp://" URL with a size that matches
// its own length is specific enough to claim any port.
func (*Dissector) Heuristic() bool { return true }

const policyPrefix = "http://opcfoundation.org/UA/SecurityPolicy#"

// Detect confirms OPC UA by the first message of a direction. HEL, ACK,
// ERR, RHE and OPN are checked field by field (sizes that match, an
// "opc.tcp://" URL, a SecurityPolicy URI); a stream that starts in the
// middle of a session (MSG/CLO first) is accepted on its header alone (type,
// chunk type, size, non-zero secure channel id), because its body may be
// encrypted: see doc.go.
func (*Dissector) Detect(data []byte, dir discovery.Direction) discovery.Verdict {
	h, err := ParseHeader(data)
	if errors.Is(err, ErrShort) {
		return discovery.NeedMore
	}
	if err != nil {
		return discovery.No
	}
	u32 := func(off int) uint32 {
		return uint32(data[off]) | uint32(data[off+1])<<8 | uint32(data[off+2])<<16 | uint32(data[off+3])<<24
	}
	switch h.Type {
	case MsgHello:
		if len(data) < 32 {
			return discovery.NeedMore
		}
		n := int32(u32(28))
		if u32(12) < 1024 || u32(16) < 1024 || n < 10 || n > 4096 || h.Size != 32+uint32(n) {
			return discovery.No
		}
		if len(data) < 42 {
			return discovery.NeedMore
		}
		if !strings.EqualFold(string(data[32:42]), "opc.tcp://") {
			return discovery.No
		}
		return discovery.Yes
	case MsgAcknowledge:
		if len(data) < 28 {
			return discovery.NeedMore
		}
		if h.Size != 28 || u32(12) < 1024 || u32(16) < 1024 {
			return discovery.No
		}
		return discovery.Yes
	case MsgError:
		if len(data) < 12 {
			return discovery.NeedMore
		}
		if u32(8)&0x80000000 == 0 {
			return discovery.No
		}
		return discovery.Yes
	case MsgReverseHello:
		if len(data) < int(h.Size) {
			return discovery.NeedMore
		}
		r, err := ParseReverseHello(data[:h.Size])
		if err != nil || !strings.HasPrefix(strings.ToLower(r.EndpointURL), "opc.tcp://") {
			return discovery.No
		}
		return discovery.Yes
	case MsgOpen:
		if len(data) < 16 {
			return discovery.NeedMore
		}
		n := int32(u32(12))
		if n < int32(len(policyPrefix)) || n > 256 {
			return discovery.No
		}
		if len(data) < 16+len(policyPrefix) {
			return discovery.NeedMore
		}
		if string(data[16:16+len(policyPrefix)]) != policyPrefix {
			return discovery.No
		}
		return discovery.Yes
	default: // MSG, CLO
		if len(data) < 12 {
			return discovery.NeedMore
		}
		if u32(8) == 0 {
			return discovery.No
		}
		return discovery.Yes
	}
}

// NewStream returns the per-flow parser.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream { return &stream{flow: f} }

// maxReassembly bounds one direction's multi-chunk message; longer
// messages are dropped (their chunks are still counted as traffic).
const maxReassembly = 256 << 10

// undecodableLimit is how many final chunks that do not decode must pass,
// with none that does, before a channel of unknown policy is taken to be
// encrypted.
const undecodableLimit = 3

type partial struct {
	buf     []byte
	active  bool
	dropped bool
}

type stream struct {
	flow *discovery.Flow

	policy     string       // channel's SecurityPolicyUri ("" until an OPN is seen)
	mode       SecurityMode // 0 until known or inferred
	clearSeen  bool         // some MSG body decoded in clear
	undecoded  int          // final MSG chunks that did not decode
	servicesOK bool

	seen  map[uint64]struct{}
	reasm [2]partial
}

// PDULen frames one chunk by its header.
func (s *stream) PDULen(data []byte, dir discovery.Direction) (int, error) {
	h, err := ParseHeader(data)
	if errors.Is(err, ErrShort) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return int(h.Size), nil
}

// Parse handles one whole chunk.
func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("opcua: internal error while parsing (recovered)")
		}
	}()
	h, err := ParseHeader(pdu)
	if err != nil {
		return err
	}
	if int(h.Size) != len(pdu) {
		return ErrTruncated
	}
	if s.flow != nil {
		s.flow.Protocol = "opcua"
	}
	s.emitServices(pkt, emit)
	switch h.Type {
	case MsgHello:
		hel, err := ParseHello(pdu)
		if err != nil {
			return err
		}
		s.serverAttr(pkt, emit, "opcua.endpoint_url", hel.EndpointURL, 0.9)
	case MsgReverseHello:
		// A server that dials out sends RHE: it is the OPC UA server
		// although it opened the TCP connection.
		r, err := ParseReverseHello(pdu)
		if err != nil {
			return err
		}
		ep, role := sender(pkt)
		s.attr(pkt, emit, ep, role, "opcua.endpoint_url", r.EndpointURL, 0.9)
		s.attr(pkt, emit, ep, role, "opcua.application_uri", r.ServerURI, 0.9)
	case MsgAcknowledge, MsgError:
		// ERR carries a status and reason for a refused connection; the
		// inventory has no place for it yet (see doc.go).
	case MsgOpen:
		return s.open(h, pdu, pkt, emit)
	case MsgClose, MsgMessage:
		return s.message(h, pdu, pkt, emit)
	}
	return nil
}

func (s *stream) emitServices(pkt *discovery.PacketInfo, emit discovery.Emit) {
	if s.servicesOK {
		return
	}
	s.servicesOK = true
	port := pkt.DstPort
	if s.flow != nil {
		port = s.flow.ServerPort
	} else if pkt.Dir == discovery.ToClient {
		port = pkt.SrcPort
	}
	for _, r := range [...]struct {
		ep   discovery.Endpoint
		role string
	}{{pkt.Server(), "server"}, {pkt.Client(), "client"}} {
		o := pkt.Obs(discovery.KindService, r.ep)
		o.Protocol, o.Transport, o.Port, o.Role = "opcua", "tcp", port, r.role
		emit(o)
	}
}

func (s *stream) open(h Header, pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	a, rest, err := ParseOpen(pdu)
	if err != nil {
		return err
	}
	s.policy = sanitize(a.SecurityPolicyURI)
	s.comm(pkt, emit, "opcua.security_policy_uri", s.policy, 0.95)
	s.serverAttr(pkt, emit, "opcua.security_policy_uri", s.policy, 0.9)
	s.serverAttr(pkt, emit, "opcua.security_policy", PolicyName(s.policy), 0.9)
	if len(a.SenderCertificate) > 0 {
		ep, _ := sender(pkt)
		s.certificate(pkt, emit, ep, a.SenderCertificate)
	}
	if s.policy != policyPrefix+"None" {
		// The OPN body is asymmetrically encrypted; the mode shows in the
		// first MSG (clear body: Sign; otherwise SignAndEncrypt).
		if pkt.Dir == discovery.ToServer {
			s.operation(pkt, emit, SvcOpenSecureChannelRequest)
		}
		return nil
	}
	if h.Chunk != ChunkFinal {
		return nil
	}
	_, body, err := ParseSequence(rest)
	if err != nil {
		return err
	}
	svc, body, err := ServiceOf(body)
	if err != nil {
		return err
	}
	if info, _ := svc.Info(); info.Request {
		s.operation(pkt, emit, svc)
	}
	if svc != SvcOpenSecureChannelRequest {
		return nil
	}
	req, err := ParseOpenSecureChannelRequest(body)
	if err != nil {
		return err
	}
	s.setMode(pkt, emit, req.SecurityMode, 0.95)
	return nil
}

func (s *stream) setMode(pkt *discovery.PacketInfo, emit discovery.Emit, m SecurityMode, conf float32) {
	if m < ModeNone || m > ModeSignAndEncrypt {
		return
	}
	s.mode = m
	s.comm(pkt, emit, "opcua.security_mode", m.String(), conf)
	s.comm(pkt, emit, "encrypted", boolString(m == ModeSignAndEncrypt), conf)
	s.comm(pkt, emit, "authenticated", boolString(m != ModeNone), conf)
	s.serverAttr(pkt, emit, "opcua.security_mode", m.String(), conf)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (s *stream) message(h Header, pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	_, rest, err := ParseSymmetric(pdu)
	if err != nil {
		return err
	}
	p := &s.reasm[pkt.Dir&1]
	if h.Chunk == ChunkAbort {
		p.reset()
		return nil
	}
	if s.mode == ModeSignAndEncrypt {
		return nil
	}
	_, body, err := ParseSequence(rest)
	if err != nil {
		return err
	}
	if s.mode == ModeSign {
		if n := signatureLen(s.policy); n > 0 && len(body) >= n {
			body = body[:len(body)-n]
		}
	}
	if h.Chunk == ChunkIntermediate {
		if !p.active {
			if _, _, err := ServiceOf(body); err != nil {
				return nil // a continuation seen mid-stream, or encrypted
			}
			p.active = true
		}
		p.add(body)
		return nil
	}
	if p.active {
		p.add(body)
		full, ok := p.buf, !p.dropped
		p.reset()
		if !ok {
			return nil
		}
		body = full
	}
	svc, svcBody, err := ServiceOf(body)
	if err != nil {
		s.noteUndecodable(pkt, emit)
		return nil
	}
	s.noteClear(pkt, emit)
	info, _ := svc.Info()
	if info.Request {
		s.operation(pkt, emit, svc)
	}
	return s.service(svc, svcBody, pkt, emit)
}

func (p *partial) add(b []byte) {
	if p.dropped {
		return
	}
	if len(p.buf)+len(b) > maxReassembly {
		p.dropped = true
		p.buf = p.buf[:0]
		return
	}
	p.buf = append(p.buf, b...)
}

func (p *partial) reset() {
	p.buf = p.buf[:0]
	if cap(p.buf) > 64<<10 {
		p.buf = nil
	}
	p.active, p.dropped = false, false
}

// noteClear records that this channel's bodies are readable: with a
// non-None policy that is Sign mode; without a seen OPN only "not
// encrypted" is certain.
func (s *stream) noteClear(pkt *discovery.PacketInfo, emit discovery.Emit) {
	if s.clearSeen {
		return
	}
	s.clearSeen = true
	switch {
	case s.mode != 0:
	case s.policy != "" && s.policy != policyPrefix+"None":
		s.setMode(pkt, emit, ModeSign, 0.8)
	case s.policy == "":
		s.comm(pkt, emit, "encrypted", "false", 0.7)
	}
}

func (s *stream) noteUndecodable(pkt *discovery.PacketInfo, emit discovery.Emit) {
	if s.clearSeen || s.mode != 0 {
		return
	}
	s.undecoded++
	if s.undecoded < undecodableLimit {
		return
	}
	conf := float32(0.6)
	if s.policy != "" && s.policy != policyPrefix+"None" {
		conf = 0.8
	}
	s.setMode(pkt, emit, ModeSignAndEncrypt, conf)
}

func (s *stream) operation(pkt *discovery.PacketInfo, emit discovery.Emit, svc ServiceID) {
	info, _ := svc.Info()
	o := pkt.Obs(discovery.KindOperation, pkt.Client())
	o.Peer = pkt.Server()
	o.Protocol, o.Transport, o.Port = "opcua", "tcp", s.serverPort(pkt)
	o.Op = discovery.Operation{Code: int(svc), Name: info.Name, Class: info.Class}
	emit(o)
}

func (s *stream) serverPort(pkt *discovery.PacketInfo) uint16 {
	if s.flow != nil {
		return s.flow.ServerPort
	}
	if pkt.Dir == discovery.ToClient {
		return pkt.SrcPort
	}
	return pkt.DstPort
}

func (s *stream) service(svc ServiceID, body []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	switch svc {
	case SvcGetEndpointsResponse:
		eps, _, err := ParseGetEndpointsResponse(body)
		s.endpoints(pkt, emit, eps)
		return err
	case SvcFindServersResponse:
		apps, _, err := ParseFindServersResponse(body)
		s.servers(pkt, emit, apps)
		return err
	case SvcCreateSessionRequest:
		r, err := ParseCreateSessionRequest(body)
		if err != nil {
			return err
		}
		s.application(pkt, emit, pkt.Client(), 1, r.Client, 0.9)
		s.serverAttr(pkt, emit, "opcua.endpoint_url", r.EndpointURL, 0.85)
		if len(r.ClientCertificate) > 0 {
			s.certificate(pkt, emit, pkt.Client(), r.ClientCertificate)
		}
	case SvcCreateSessionResponse:
		r, err := ParseCreateSessionResponse(body)
		if len(r.ServerCertificate) > 0 {
			ep, _ := sender(pkt)
			s.certificate(pkt, emit, ep, r.ServerCertificate)
		}
		s.endpoints(pkt, emit, r.Endpoints)
		return err
	case SvcActivateSessionRequest:
		t, err := ParseActivateSessionRequest(body)
		if err != nil {
			return err
		}
		s.comm(pkt, emit, "opcua.user_token", t.String(), 0.95)
	}
	return nil
}

// endpoints attaches a GetEndpoints / CreateSession endpoint list to the
// application that sent it (the server, in any sane capture).
func (s *stream) endpoints(pkt *discovery.PacketInfo, emit discovery.Emit, eps []EndpointDescription) {
	srv, role := sender(pkt)
	var lastCert []byte
	for i := range eps {
		e := &eps[i]
		s.attr(pkt, emit, srv, role, "opcua.endpoint_url", e.EndpointURL, 0.9)
		s.attr(pkt, emit, srv, role, "opcua.security_policy_uri", e.SecurityPolicyURI, 0.9)
		s.attr(pkt, emit, srv, role, "opcua.security_policy", PolicyName(e.SecurityPolicyURI), 0.9)
		if e.SecurityMode >= ModeNone && e.SecurityMode <= ModeSignAndEncrypt {
			s.attr(pkt, emit, srv, role, "opcua.security_mode", e.SecurityMode.String(), 0.9)
		}
		for _, t := range e.UserIdentityTokens {
			s.attr(pkt, emit, srv, role, "opcua.user_token_type", t.TokenType.String(), 0.9)
		}
		s.application(pkt, emit, srv, role, e.Server, 0.9)
		if len(e.ServerCertificate) > 0 && string(e.ServerCertificate) != string(lastCert) {
			lastCert = e.ServerCertificate
			s.certificate(pkt, emit, srv, e.ServerCertificate)
		}
	}
}

// servers attaches FindServers results. A discovery server lists other
// servers too: an entry goes to the responder when it is the only one or
// when one of its discovery URLs names the responder's address; otherwise to
// the IP literal in its discovery URL; otherwise it is dropped (a host name
// cannot be tied to an asset here).
func (s *stream) servers(pkt *discovery.PacketInfo, emit discovery.Emit, apps []ApplicationDescription) {
	srv, srvRole := sender(pkt)
	for _, a := range apps {
		var target discovery.Endpoint
		conf := float32(0.9)
		if len(apps) == 1 {
			target = srv
		} else {
			for _, u := range a.DiscoveryURLs {
				ip, ok := urlIP(u)
				if !ok {
					continue
				}
				if ip == srv.IP {
					target = srv
					break
				}
				if !target.IP.IsValid() {
					target, conf = discovery.Endpoint{IP: ip}, 0.7
				}
			}
		}
		if target.IsZero() {
			continue
		}
		role := uint8(3)
		if target == srv {
			role = srvRole
		}
		s.application(pkt, emit, target, role, a, conf)
		for _, u := range a.DiscoveryURLs {
			s.attr(pkt, emit, target, role, "opcua.endpoint_url", u, conf)
		}
	}
}

// sender is the flow endpoint that sent the packet (the flow's record, so
// that a routed peer keeps the MAC the flow has for it) and its dedup role.
func sender(pkt *discovery.PacketInfo) (discovery.Endpoint, uint8) {
	if pkt.Dir == discovery.ToClient {
		return pkt.Server(), 2
	}
	return pkt.Client(), 1
}

func urlIP(raw string) (netip.Addr, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

func (s *stream) application(pkt *discovery.PacketInfo, emit discovery.Emit, ep discovery.Endpoint, role uint8, a ApplicationDescription, conf float32) {
	s.attr(pkt, emit, ep, role, "opcua.application_uri", a.ApplicationURI, conf)
	s.attr(pkt, emit, ep, role, "opcua.application_name", a.ApplicationName, conf)
	s.attr(pkt, emit, ep, role, "opcua.product_uri", a.ProductURI, conf)
	if a.ApplicationType <= 3 {
		s.attr(pkt, emit, ep, role, "opcua.application_type", a.ApplicationType.String(), conf)
	}
}

// certificate records the subject of an application instance certificate
// (the first of a chain). Unparseable DER is ignored.
func (s *stream) certificate(pkt *discovery.PacketInfo, emit discovery.Emit, ep discovery.Endpoint, der []byte) {
	role := uint8(1)
	if ep == pkt.Server() {
		role = 2
	}
	if s.dedup(role, "opcua.certificate#", string(der)) {
		return
	}
	certs, err := x509.ParseCertificates(der)
	if err != nil || len(certs) == 0 {
		c, err2 := x509.ParseCertificate(der)
		if err2 != nil {
			return
		}
		certs = append(certs[:0], c)
	}
	c := certs[0]
	s.attr(pkt, emit, ep, role, "opcua.certificate_subject", c.Subject.String(), 0.95)
	s.attr(pkt, emit, ep, role, "opcua.certificate_not_after", c.NotAfter.UTC().Format("2006-01-02T15:04:05Z"), 0.95)
	for _, u := range c.URIs {
		s.attr(pkt, emit, ep, role, "opcua.certificate_uri", u.String(), 0.95)
	}
}

func (s *stream) serverAttr(pkt *discovery.PacketInfo, emit discovery.Emit, key, value string, conf float32) {
	s.attr(pkt, emit, pkt.Server(), 2, key, value, conf)
}

// attr emits a KindAttribute once per flow per (asset, key, value). role
// only separates the dedup space: 1 client, 2 server, 3 another host.
func (s *stream) attr(pkt *discovery.PacketInfo, emit discovery.Emit, ep discovery.Endpoint, role uint8, key, value string, conf float32) {
	value = sanitize(value)
	if value == "" || ep.IsZero() {
		return
	}
	if role == 3 {
		key2 := key + "@" + ep.String()
		if s.dedup(role, key2, value) {
			return
		}
	} else if s.dedup(role, key, value) {
		return
	}
	o := pkt.Obs(discovery.KindAttribute, ep)
	o.Protocol, o.Key, o.Value, o.Confidence = "opcua", key, value, conf
	emit(o)
}

func (s *stream) comm(pkt *discovery.PacketInfo, emit discovery.Emit, key, value string, conf float32) {
	value = sanitize(value)
	if value == "" || s.dedup(4, key, value) {
		return
	}
	o := pkt.Obs(discovery.KindCommAttribute, pkt.Client())
	o.Peer = pkt.Server()
	o.Protocol, o.Transport, o.Port = "opcua", "tcp", s.serverPort(pkt)
	o.Key, o.Value, o.Confidence = key, value, conf
	emit(o)
}

// maxSeen bounds the per-flow dedup set; when full it is cleared, which
// only costs repeated observations.
const maxSeen = 512

func (s *stream) dedup(role uint8, key, value string) bool {
	h := uint64(14695981039346656037)
	mix := func(b byte) { h ^= uint64(b); h *= 1099511628211 }
	mix(role)
	for i := 0; i < len(key); i++ {
		mix(key[i])
	}
	mix(0)
	for i := 0; i < len(value); i++ {
		mix(value[i])
	}
	if s.seen == nil {
		s.seen = make(map[uint64]struct{}, 16)
	}
	if _, ok := s.seen[h]; ok {
		return true
	}
	if len(s.seen) >= maxSeen {
		clear(s.seen)
	}
	s.seen[h] = struct{}{}
	return false
}

// PolicyName is the short name of a SecurityPolicy URI ("Basic256Sha256"),
// or the URI itself when it is not an OPC Foundation policy.
func PolicyName(uri string) string {
	if strings.HasPrefix(uri, policyPrefix) {
		return uri[len(policyPrefix):]
	}
	return uri
}

// signatureLen is the symmetric signature length a policy appends to each
// chunk (Part 7 security policy profiles): HMAC-SHA1 20, HMAC-SHA256 32.
func signatureLen(policy string) int {
	switch PolicyName(policy) {
	case "Basic128Rsa15", "Basic256":
		return 20
	case "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss":
		return 32
	}
	return 0
}

// maxValue caps stored wire strings.
const maxValue = 256

// sanitize makes a wire string safe to store: invalid UTF-8 and control
// characters become spaces, NULs and surrounding space are trimmed, and the
// length is capped at maxValue bytes on a rune boundary.
func sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean && len(s) <= maxValue {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			r = ' '
		}
		if b.Len()+utf8.RuneLen(r) > maxValue {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(strings.Trim(b.String(), " "))
}

// Sanitize is the cleaning applied to every wire string this package
// stores (control characters to spaces, trimmed, capped at 256 bytes); the
// active probe uses it too.
func Sanitize(s string) string { return sanitize(s) }
