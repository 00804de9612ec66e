package tls

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// Port is the TLS port claimed; TLS elsewhere is found by Detect (Heuristic).
const Port = 443

// maxHandshake bounds the handshake bytes buffered per direction while a
// message (typically a certificate chain) spans records.
const maxHandshake = 64 << 10

// maxSANs bounds the certificate DNS names reported.
const maxSANs = 4

func init() {
	discovery.Register("tls", func() discovery.Dissector { return New() })
}

// Dissector reads the clear part of TLS handshakes.
type Dissector struct{}

// New returns a TLS dissector.
func New() *Dissector { return &Dissector{} }

func (d *Dissector) Name() string { return "tls" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Heuristic: a handshake record carrying a ClientHello (or ServerHello) is
// recognisable on any port: HTTPS on 8443, OPC UA HTTPS, MQTT/TLS 8883, ...
func (d *Dissector) Heuristic() bool { return true }

// Detect confirms a handshake record opening with a Client/ServerHello.
func (d *Dissector) Detect(data []byte, dir discovery.Direction) discovery.Verdict {
	if len(data) == 0 {
		return discovery.NeedMore
	}
	if data[0] != byte(Handshake) {
		return discovery.No
	}
	if len(data) < 6 {
		if len(data) >= 2 && data[1] != 3 || len(data) >= 3 && data[2] > 4 {
			return discovery.No
		}
		return discovery.NeedMore
	}
	if _, err := RecordLen(data); err != nil {
		return discovery.No
	}
	want := ClientHello
	if dir == discovery.ToClient {
		want = ServerHello
	}
	if HandshakeType(data[5]) != want {
		return discovery.No
	}
	return discovery.Yes
}

type dirState struct {
	hs        []byte
	encrypted bool
	dead      bool
}

type stream struct {
	dirs                                   [2]dirState
	client, server, sni, comm, cert, ccert bool
	tls13, ja3, ja3s                       bool
	hello                                  Hello
}

// NewStream returns the per-flow parser.
func (d *Dissector) NewStream(*discovery.Flow) discovery.Stream { return &stream{} }

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return RecordLen(data) }

// Parse handles one record.
func (s *stream) Parse(rec []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	if len(rec) < RecordHeaderLen {
		return fmt.Errorf("tls: record of %d bytes: %w", len(rec), ErrNotTLS)
	}
	d := &s.dirs[pkt.Dir]
	switch ContentType(rec[0]) {
	case ChangeCipherSpec, ApplicationData:
		d.encrypted, d.hs = true, nil
		return nil
	case Handshake:
	default:
		return nil
	}
	if d.encrypted || d.dead {
		return nil
	}
	frag := rec[RecordHeaderLen:]
	var buf []byte
	if len(d.hs) == 0 {
		buf = frag
	} else {
		if len(d.hs)+len(frag) > maxHandshake {
			d.dead, d.hs = true, nil
			return nil
		}
		d.hs = append(d.hs, frag...)
		buf = d.hs
	}
	for len(buf) >= 4 && !d.encrypted {
		n := int(buf[1])<<16 | int(buf[2])<<8 | int(buf[3])
		if n > maxHandshake {
			d.dead, d.hs = true, nil
			return nil
		}
		if len(buf) < 4+n {
			break
		}
		if err := s.message(HandshakeType(buf[0]), buf[4:4+n], pkt, emit); err != nil {
			d.dead, d.hs = true, nil
			return err
		}
		buf = buf[4+n:]
	}
	if d.encrypted || len(buf) == 0 {
		d.hs = d.hs[:0]
		return nil
	}
	// Keep the partial message for the next record.
	if len(d.hs) == 0 {
		d.hs = append(make([]byte, 0, min(4+len(buf)*2, maxHandshake)), buf...)
	} else {
		d.hs = append(d.hs[:0], buf...)
	}
	return nil
}

func (s *stream) message(typ HandshakeType, body []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	client, server := pkt.Client(), pkt.Server()
	port := uint16(Port)
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	base := func(kind discovery.Kind, e discovery.Endpoint) discovery.Observation {
		o := pkt.Obs(kind, e)
		o.Protocol, o.Transport, o.Port = "tls", "tcp", port
		return o
	}
	attr := func(e discovery.Endpoint, key, value string, conf float32) {
		if value == "" {
			return
		}
		o := base(discovery.KindAttribute, e)
		o.Key, o.Value, o.Confidence = key, value, conf
		emit(o)
	}
	role := func(done *bool, e discovery.Endpoint, r string) {
		if *done {
			return
		}
		*done = true
		o := base(discovery.KindService, e)
		o.Role = r
		emit(o)
	}
	h := &s.hello
	switch {
	case typ == ClientHello && pkt.Dir == discovery.ToServer:
		if err := ParseHello(typ, body, h); err != nil {
			return err
		}
		role(&s.client, client, "client")
		if len(h.SNI) > 0 && !s.sni {
			s.sni = true
			attr(server, "tls.sni", lower(wirestr.Clean(h.SNI)), 0.7)
		}
		if h.JA3Hash != "" && !s.ja3 {
			s.ja3 = true
			// The client software's fingerprint (JA3), on the client.
			attr(client, "tls.ja3", h.JA3Hash, 0.9)
			if len(h.ALPN) > 0 {
				alpn := make([]byte, 0, 32)
				for i, p := range h.ALPN {
					if i > 0 {
						alpn = append(alpn, ',')
					}
					alpn = append(alpn, p...)
				}
				o := base(discovery.KindCommAttribute, client)
				o.Peer, o.Key, o.Value = server, "tls.alpn", wirestr.Clean(alpn)
				emit(o)
			}
		}
	case typ == ServerHello && pkt.Dir == discovery.ToClient:
		if err := ParseHello(typ, body, h); err != nil {
			return err
		}
		role(&s.server, server, "server")
		if h.JA3SHash != "" && !s.ja3s {
			s.ja3s = true
			// The server software's answer to this client (JA3S), on the server.
			attr(server, "tls.ja3s", h.JA3SHash, 0.9)
		}
		v := h.Negotiated()
		if !s.comm {
			s.comm = true
			attr(server, "tls.version", v.String(), 0.9)
			for _, kv := range [][2]string{{"encrypted", "true"}, {"tls.version", v.String()},
				{"tls.cipher_suite", fmt.Sprintf("0x%04x", h.CipherSuite)}} {
				o := base(discovery.KindCommAttribute, client)
				o.Peer, o.Key, o.Value = server, kv[0], kv[1]
				emit(o)
			}
		}
		if v == TLS13 {
			// Everything after the ServerHello is encrypted in TLS 1.3.
			s.tls13 = true
			s.dirs[discovery.ToClient].encrypted = true
		}
	case typ == Certificate && !s.tls13:
		done, who := &s.cert, server
		if pkt.Dir == discovery.ToServer {
			done, who = &s.ccert, client
		}
		if *done {
			return nil
		}
		*done = true
		der, err := FirstCertificate(body)
		if err != nil {
			return err
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil // unparseable certificates are left alone, not a stream error
		}
		if pkt.Dir == discovery.ToServer {
			attr(who, "tls.client_cert_subject", wirestr.Clean([]byte(cert.Subject.String())), 0.9)
			return nil
		}
		attr(who, "tls.cert_subject", wirestr.Clean([]byte(cert.Subject.String())), 0.9)
		attr(who, "tls.cert_issuer", wirestr.Clean([]byte(cert.Issuer.String())), 0.9)
		attr(who, "tls.cert_not_after", cert.NotAfter.UTC().Format(time.RFC3339), 0.9)
		attr(who, "tls.cert_self_signed", boolString(bytes.Equal(cert.RawSubject, cert.RawIssuer)), 0.9)
		for i, n := range cert.DNSNames {
			if i == maxSANs {
				break
			}
			attr(who, "tls.cert_dns_name", lower(wirestr.Clean([]byte(n))), 0.8)
		}
	}
	return nil
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

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
