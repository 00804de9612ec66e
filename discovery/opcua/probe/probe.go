package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gopcua/opcua/id"
	"github.com/gopcua/opcua/ua"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/opcua"
	"github.com/otzone/otzone/discovery/probe"
)

// DefaultTimeout bounds the connect and each request.
const DefaultTimeout = 5 * time.Second

// Options control a probe run.
type Options struct {
	Rate        float64 // requests/s overall (probe.DefaultRate)
	PerHostRate float64 // requests/s to one host (probe.DefaultPerHostRate)
	Timeout     time.Duration
	Parallel    int // hosts at once
	// NoSession skips the anonymous session even where the server offers
	// one on a SecurityPolicy#None endpoint.
	NoSession bool
	// Dial replaces net.Dialer (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (o *Options) defaults() {
	if o.Rate == 0 {
		o.Rate = probe.DefaultRate
	}
	if o.PerHostRate == 0 {
		o.PerHostRate = probe.DefaultPerHostRate
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Dial == nil {
		o.Dial = (&net.Dialer{}).DialContext
	}
}

// Target is one endpoint URL to probe.
type Target struct {
	URL  string // as given, normalised: opc.tcp://host:port/path
	Host string
	Port uint16
}

// Addr is host:port for dialing.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(int(t.Port))) }

// ParseTargets reads opc.tcp URLs (a bare host[:port] is taken as
// opc.tcp://host:port). Host rules are discovery/probe's: unicast
// addresses or host names, no ranges.
func ParseTargets(args []string) ([]Target, error) {
	var out []Target
	seen := map[string]bool{}
	for _, a := range args {
		raw := strings.TrimSpace(a)
		if !strings.Contains(raw, "://") {
			raw = "opc.tcp://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("target %q: %v", a, err)
		}
		if !strings.EqualFold(u.Scheme, "opc.tcp") {
			return nil, fmt.Errorf("target %q: scheme %q: want opc.tcp", a, u.Scheme)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("target %q: user info, query or fragment not allowed", a)
		}
		if p := strings.TrimPrefix(u.Path, "/"); p != "" && strings.Trim(p, "0123456789") == "" {
			return nil, fmt.Errorf("target %q: looks like a range; the OPC UA probe takes explicit endpoints only", a)
		}
		hostport := u.Host
		if hostport == "" {
			return nil, fmt.Errorf("target %q: no host", a)
		}
		ts, err := probe.ParseTargets([]string{hostport}, opcua.Port, false)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", a, err)
		}
		t := Target{Host: ts[0].Host, Port: ts[0].Port}
		t.URL = "opc.tcp://" + t.Addr() + u.EscapedPath()
		if !seen[t.URL] {
			seen[t.URL] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// Endpoint is one GetEndpoints entry, as reported.
type Endpoint struct {
	URL, Policy, Mode, Transport string
	Tokens                       []string
	SecurityLevel                uint8
	Certificate                  *CertInfo
}

// CertInfo summarises a server certificate.
type CertInfo struct {
	Subject, Issuer, SignatureAlgorithm, KeyAlgorithm string
	KeyBits                                           int
	NotBefore, NotAfter                               time.Time
	SelfSigned                                        bool
	URIs                                              []string
}

// Result is what one target answered.
type Result struct {
	Target      Target
	Servers     []opcua.ApplicationDescription // FindServers
	Application opcua.ApplicationDescription   // from the endpoints
	Endpoints   []Endpoint
	Session     bool   // an anonymous session was opened
	SessionNote string // why not, when not
	Build       map[string]string
	State       string
	Requests    int
	Sent        []opcua.ServiceID // every service put on the wire, in order
	Err         error
}

// Run probes each target and emits observations. Targets are probed
// Parallel at a time; the pacer spaces every chunk the probe sends.
func Run(ctx context.Context, targets []Target, opts Options, emit discovery.Emit) ([]Result, error) {
	opts.defaults()
	pacer, err := probe.NewPacer(opts.Rate, opts.PerHostRate)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(targets))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	var emu sync.Mutex
	safeEmit := func(o discovery.Observation) {
		emu.Lock()
		defer emu.Unlock()
		emit(o)
	}
	for i, t := range targets {
		wg.Add(1)
		go func(i int, t Target) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = Result{Target: t, Err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			results[i] = probeOne(ctx, t, opts, pacer, safeEmit)
		}(i, t)
	}
	wg.Wait()
	return results, ctx.Err()
}

func probeOne(ctx context.Context, t Target, opts Options, pacer *probe.Pacer, emit discovery.Emit) (res Result) {
	res.Target = t
	defer func() {
		if r := recover(); r != nil {
			res.Err = fmt.Errorf("opcua probe: internal error: %v", r)
		}
	}()
	c, err := dialClient(ctx, opts.Dial, t.Addr(), t.URL, t.Host, pacer, opts.Timeout)
	if err != nil {
		res.Err = err
		return
	}
	defer func() {
		res.Requests = c.requests
		res.Sent = append([]opcua.ServiceID(nil), c.g.sent...)
		c.Close()
	}()
	ob := newObserver(t, c.g.Conn.RemoteAddr(), emit)
	if err := c.hello(ctx); err != nil {
		res.Err = err
		return
	}
	ob.service()
	if err := c.open(ctx); err != nil {
		res.Err = err
		return
	}
	var fs ua.FindServersResponse
	if err := c.call(ctx, 422, 425, &ua.FindServersRequest{RequestHeader: c.header(), EndpointURL: t.URL}, &fs); err != nil {
		var sf *ServiceFaultError
		if !errors.As(err, &sf) {
			res.Err = err
			return
		}
	}
	for _, a := range fs.Servers {
		if a != nil {
			res.Servers = append(res.Servers, appDesc(a))
		}
	}
	var ge ua.GetEndpointsResponse
	if err := c.call(ctx, 428, 431, &ua.GetEndpointsRequest{RequestHeader: c.header(), EndpointURL: t.URL}, &ge); err != nil {
		res.Err = err
		return
	}
	var sessionEP *ua.EndpointDescription
	var anonPolicy string
	for _, e := range ge.Endpoints {
		if e == nil {
			continue
		}
		ep := Endpoint{URL: opcua.Sanitize(e.EndpointURL), Policy: opcua.Sanitize(e.SecurityPolicyURI), Mode: opcua.SecurityMode(e.SecurityMode).String(),
			Transport: opcua.Sanitize(e.TransportProfileURI), SecurityLevel: e.SecurityLevel}
		for _, tk := range e.UserIdentityTokens {
			if tk != nil {
				ep.Tokens = append(ep.Tokens, opcua.UserTokenType(tk.TokenType).String())
				if sessionEP == nil && tk.TokenType == ua.UserTokenTypeAnonymous && usable(e, t) {
					sessionEP, anonPolicy = e, tk.PolicyID
				}
			}
		}
		if len(e.ServerCertificate) > 0 {
			ep.Certificate = certInfo(e.ServerCertificate)
		}
		if e.Server != nil && res.Application.ApplicationURI == "" {
			res.Application = appDesc(e.Server)
		}
		res.Endpoints = append(res.Endpoints, ep)
	}
	ob.endpoints(res.Endpoints, res.Application)
	ob.servers(res.Servers, res.Application)
	switch {
	case opts.NoSession:
		res.SessionNote = "session disabled (--no-session)"
	case sessionEP == nil:
		res.SessionNote = "no anonymous SecurityPolicy#None endpoint on this port"
	default:
		if err := session(ctx, c, t, sessionEP, anonPolicy, &res); err != nil {
			res.SessionNote = "session failed: " + opcua.Sanitize(err.Error())
			if c.g.refused != nil {
				res.Err = err
				return
			}
		} else {
			ob.build(res.Build, res.State)
		}
	}
	if err := c.closeChannel(ctx); err != nil && res.Err == nil && c.g.refused != nil {
		res.Err = err
	}
	return res
}

// usable: an anonymous session is opened only on an endpoint with
// SecurityPolicy#None, mode None, the binary transport, on the port the
// user named (the probe never dials anything else; it reuses its channel).
func usable(e *ua.EndpointDescription, t Target) bool {
	if e.SecurityPolicyURI != policyNone || e.SecurityMode != ua.MessageSecurityModeNone {
		return false
	}
	if e.TransportProfileURI != "" && !strings.HasSuffix(e.TransportProfileURI, "uatcp-uasc-uabinary") {
		return false
	}
	u, err := url.Parse(e.EndpointURL)
	if err != nil {
		return false
	}
	p := u.Port()
	if p == "" {
		p = strconv.Itoa(opcua.Port)
	}
	return p == strconv.Itoa(int(t.Port))
}

// BuildInfo and ServerStatus variables (ns 0).
var buildNodes = []struct {
	key string
	id  uint32
}{
	{"product_name", id.Server_ServerStatus_BuildInfo_ProductName},
	{"product_uri", id.Server_ServerStatus_BuildInfo_ProductURI},
	{"manufacturer_name", id.Server_ServerStatus_BuildInfo_ManufacturerName},
	{"software_version", id.Server_ServerStatus_BuildInfo_SoftwareVersion},
	{"build_number", id.Server_ServerStatus_BuildInfo_BuildNumber},
	{"build_date", id.Server_ServerStatus_BuildInfo_BuildDate},
	{"start_time", id.Server_ServerStatus_StartTime},
	{"server_state", id.Server_ServerStatus_State},
}

func session(ctx context.Context, c *client, t Target, ep *ua.EndpointDescription, anonPolicy string, res *Result) error {
	var cs ua.CreateSessionResponse
	err := c.call(ctx, 461, 464, createSessionRequest(c, t), &cs)
	if err != nil {
		return err
	}
	c.authToken = cs.AuthenticationToken
	var as ua.ActivateSessionResponse
	err = c.call(ctx, 467, 470, activateSessionRequest(c, anonPolicy), &as)
	if err != nil {
		return err
	}
	res.Session = true
	var rr ua.ReadResponse
	rerr := c.call(ctx, 631, 634, readRequest(c), &rr)
	if rerr == nil {
		res.Build = map[string]string{}
		for i, dv := range rr.Results {
			if i >= len(buildNodes) || dv == nil || dv.Value == nil || dv.Status != ua.StatusOK {
				continue
			}
			v := ""
			switch x := dv.Value.Value().(type) {
			case string:
				v = x
			case time.Time:
				if !x.IsZero() {
					v = x.UTC().Format(time.RFC3339)
				}
			case int32:
				v = serverState(x)
			default:
				v = fmt.Sprint(x)
			}
			if v = opcua.Sanitize(v); v != "" {
				if buildNodes[i].key == "server_state" {
					res.State = v
				} else {
					res.Build[buildNodes[i].key] = v
				}
			}
		}
	}
	var cl ua.CloseSessionResponse
	if err := c.call(ctx, 473, 476, closeSessionRequest(c), &cl); err != nil && rerr == nil {
		rerr = err
	}
	c.authToken = nil
	return rerr
}

// The session's requests, shared by the run and the dry-run plan.

func createSessionRequest(c *client, t Target) *ua.CreateSessionRequest {
	return &ua.CreateSessionRequest{
		RequestHeader: c.header(),
		ClientDescription: &ua.ApplicationDescription{ApplicationURI: "urn:otzone:probe", ProductURI: "https://github.com/otzone/otzone",
			ApplicationName: &ua.LocalizedText{EncodingMask: ua.LocalizedTextText, Text: "otzone probe"}, ApplicationType: ua.ApplicationTypeClient},
		EndpointURL: t.URL, SessionName: "otzone probe", ClientNonce: make([]byte, 32),
		RequestedSessionTimeout: 60000, MaxResponseMessageSize: maxMessage,
	}
}

func activateSessionRequest(c *client, anonPolicy string) *ua.ActivateSessionRequest {
	return &ua.ActivateSessionRequest{
		RequestHeader:      c.header(),
		ClientSignature:    &ua.SignatureData{},
		LocaleIDs:          []string{"en"},
		UserIdentityToken:  ua.NewExtensionObject(&ua.AnonymousIdentityToken{PolicyID: anonPolicy}),
		UserTokenSignature: &ua.SignatureData{},
	}
}

func readRequest(c *client) *ua.ReadRequest {
	req := &ua.ReadRequest{RequestHeader: c.header(), TimestampsToReturn: ua.TimestampsToReturnNeither}
	for _, n := range buildNodes {
		req.NodesToRead = append(req.NodesToRead, &ua.ReadValueID{NodeID: ua.NewNumericNodeID(0, n.id), AttributeID: ua.AttributeIDValue,
			DataEncoding: &ua.QualifiedName{}})
	}
	return req
}

func closeSessionRequest(c *client) *ua.CloseSessionRequest {
	return &ua.CloseSessionRequest{RequestHeader: c.header(), DeleteSubscriptions: true}
}

func serverState(s int32) string {
	names := []string{"running", "failed", "no_configuration", "suspended", "shutdown", "test", "communication_fault", "unknown"}
	if s >= 0 && int(s) < len(names) {
		return names[s]
	}
	return strconv.Itoa(int(s))
}

func appDesc(a *ua.ApplicationDescription) opcua.ApplicationDescription {
	d := opcua.ApplicationDescription{ApplicationURI: opcua.Sanitize(a.ApplicationURI), ProductURI: opcua.Sanitize(a.ProductURI),
		ApplicationType: opcua.ApplicationType(a.ApplicationType)}
	if a.ApplicationName != nil {
		d.ApplicationName = opcua.Sanitize(a.ApplicationName.Text)
	}
	for i, u := range a.DiscoveryURLs {
		if i == 16 {
			break
		}
		d.DiscoveryURLs = append(d.DiscoveryURLs, opcua.Sanitize(u))
	}
	return d
}

func certInfo(der []byte) *CertInfo {
	certs, err := x509.ParseCertificates(der)
	if err != nil || len(certs) == 0 {
		return nil
	}
	c := certs[0]
	ci := &CertInfo{Subject: opcua.Sanitize(c.Subject.String()), Issuer: opcua.Sanitize(c.Issuer.String()),
		SignatureAlgorithm: c.SignatureAlgorithm.String(), KeyAlgorithm: c.PublicKeyAlgorithm.String(),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC()}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		ci.KeyBits = k.N.BitLen()
	case *ecdsa.PublicKey:
		ci.KeyBits = k.Curve.Params().BitSize
	case ed25519.PublicKey:
		ci.KeyBits = 256
	}
	// Self-signed: issuer = subject and the certificate's own key verifies
	// its signature (OPC UA application certificates are usually not CAs,
	// so CheckSignatureFrom's CA constraint does not apply).
	ci.SelfSigned = string(c.RawIssuer) == string(c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
	for _, u := range c.URIs {
		ci.URIs = append(ci.URIs, opcua.Sanitize(u.String()))
	}
	return ci
}

// observer turns answers into observations about the probed server.
type observer struct {
	emit discovery.Emit
	ep   discovery.Endpoint
	port uint16
	ev   discovery.Evidence
	seen map[string]bool
}

func newObserver(t Target, remote net.Addr, emit discovery.Emit) *observer {
	o := &observer{emit: emit, port: t.Port, ev: discovery.Evidence{Kind: "probe", Name: "opcua@" + t.Addr()}, seen: map[string]bool{}}
	if ta, ok := remote.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			o.ep.IP = ip.Unmap()
		}
	}
	return o
}

func (o *observer) obs(kind discovery.Kind) discovery.Observation {
	return discovery.Observation{Kind: kind, Time: time.Now(), Evidence: o.ev, Asset: o.ep, Protocol: "opcua", Transport: "tcp", Port: o.port}
}

func (o *observer) service() {
	if !o.ep.IP.IsValid() {
		return
	}
	s := o.obs(discovery.KindService)
	s.Role = "server"
	o.emit(s)
}

func (o *observer) attr(key, value string) {
	if value == "" || !o.ep.IP.IsValid() || o.seen[key+"\x00"+value] {
		return
	}
	o.seen[key+"\x00"+value] = true
	a := o.obs(discovery.KindAttribute)
	a.Key, a.Value, a.Confidence = key, value, 0.95
	a.Port, a.Transport = 0, ""
	o.emit(a)
}

func (o *observer) app(a opcua.ApplicationDescription) {
	o.attr("opcua.application_uri", a.ApplicationURI)
	o.attr("opcua.application_name", a.ApplicationName)
	o.attr("opcua.product_uri", a.ProductURI)
	if a.ApplicationType <= 3 && a.ApplicationURI != "" {
		o.attr("opcua.application_type", a.ApplicationType.String())
	}
}

func (o *observer) endpoints(eps []Endpoint, app opcua.ApplicationDescription) {
	o.app(app)
	for _, e := range eps {
		o.attr("opcua.endpoint_url", e.URL)
		o.attr("opcua.security_policy_uri", e.Policy)
		o.attr("opcua.security_policy", opcua.PolicyName(e.Policy))
		o.attr("opcua.security_mode", e.Mode)
		o.attr("opcua.transport_profile_uri", e.Transport)
		for _, t := range e.Tokens {
			o.attr("opcua.user_token_type", t)
		}
		o.attr("opcua.endpoint", fmt.Sprintf("%s %s %s tokens=%s level=%d", e.URL, opcua.PolicyName(e.Policy), e.Mode, strings.Join(e.Tokens, ","), e.SecurityLevel))
		if c := e.Certificate; c != nil {
			o.attr("opcua.certificate_subject", c.Subject)
			o.attr("opcua.certificate_issuer", c.Issuer)
			o.attr("opcua.certificate_not_before", c.NotBefore.Format(time.RFC3339))
			o.attr("opcua.certificate_not_after", c.NotAfter.Format(time.RFC3339))
			o.attr("opcua.certificate_signature_algorithm", c.SignatureAlgorithm)
			if c.KeyBits > 0 {
				o.attr("opcua.certificate_key_bits", strconv.Itoa(c.KeyBits))
			}
			o.attr("opcua.certificate_self_signed", strconv.FormatBool(c.SelfSigned))
			for _, u := range c.URIs {
				o.attr("opcua.certificate_uri", u)
			}
		}
	}
}

// servers reports FindServers entries that describe the probed server
// itself; other servers a discovery server lists are not attributed.
func (o *observer) servers(apps []opcua.ApplicationDescription, self opcua.ApplicationDescription) {
	for _, a := range apps {
		if len(apps) == 1 || (self.ApplicationURI != "" && a.ApplicationURI == self.ApplicationURI) {
			o.app(a)
		}
	}
}

func (o *observer) build(b map[string]string, state string) {
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o.attr("opcua."+k, b[k])
	}
	o.attr("opcua.server_state", state)
}
