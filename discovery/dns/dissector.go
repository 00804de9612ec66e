package dns

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// Ports.
const (
	Port     = 53
	MDNSPort = 5353
	NBNSPort = 137
)

const (
	reemit   = 10 * time.Minute
	maxFacts = 8192
)

func init() {
	discovery.Register("dns", func() discovery.Dissector { return New() })
	discovery.Register("dns_tcp", func() discovery.Dissector { return NewTCP() })
	discovery.Register("mdns", func() discovery.Dissector { return NewMDNS() })
	discovery.Register("nbns", func() discovery.Dissector { return NewNBNS() })
}

// facts deduplicates (endpoint, key, value) emissions in a bounded table: a
// busy resolver answers the same names all day.
type facts struct {
	m map[uint64]time.Time
}

func (f *facts) fresh(t time.Time, e discovery.Endpoint, key, value string) bool {
	return f.freshBytes(t, e, key, []byte(value), false)
}

// freshBytes is fresh on a raw value (ASCII case folded when fold is set),
// so that a repeated fact is dropped before anything is allocated for it.
func (f *facts) freshBytes(t time.Time, e discovery.Endpoint, key string, value []byte, fold bool) bool {
	if f.m == nil {
		f.m = map[uint64]time.Time{}
	}
	h := uint64(14695981039346656037)
	add := func(c byte) {
		h ^= uint64(c)
		h *= 1099511628211
	}
	ip := e.IP.As16()
	for _, c := range ip {
		add(c)
	}
	for _, c := range e.MAC {
		add(c)
	}
	add(0xff)
	for i := 0; i < len(key); i++ {
		add(key[i])
	}
	add(0xff)
	for _, c := range value {
		if fold && c >= 'A' && c <= 'Z' {
			c += 32
		}
		add(c)
	}
	if at, ok := f.m[h]; ok && t.Sub(at) < reemit && !t.Before(at) {
		return false
	}
	if len(f.m) >= maxFacts {
		clear(f.m)
	}
	f.m[h] = t
	return true
}

// flowState remembers which service roles a flow has announced.
type flowState struct{ client, server bool }

// service emits a role once per flow and, across flows (each query from a
// new source port is a new flow), at most every ten minutes per endpoint.
func service(pkt *discovery.PacketInfo, emit discovery.Emit, f *facts, proto, transport string, port uint16, e discovery.Endpoint, role string) {
	if !e.IP.IsValid() || !e.IP.IsGlobalUnicast() && !e.IP.IsLinkLocalUnicast() && !e.IP.IsLoopback() {
		return // broadcast/multicast/unspecified: no asset
	}
	if pkt.Flow != nil {
		st, _ := pkt.Flow.State.(*flowState)
		if st == nil {
			st = &flowState{}
			pkt.Flow.State = st
		}
		if role == "server" {
			if st.server {
				return
			}
			st.server = true
		} else {
			if st.client {
				return
			}
			st.client = true
		}
	}
	var key [24]byte
	k := append(append(append(append(key[:0], proto...), '/'), transport...), role...)
	if !f.freshBytes(pkt.Time, e, "service", k, false) {
		return
	}
	o := pkt.Obs(discovery.KindService, e)
	o.Protocol, o.Transport, o.Port, o.Role = proto, transport, port, role
	emit(o)
}

// localAddr reports whether a resolved address is worth an attribute: names
// are kept for private, link-local, CGNAT and loopback addresses only, so
// that resolving internet names does not invent assets for CDN addresses.
func localAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLoopback() {
		return true
	}
	if a.Is4() {
		b := a.As4()
		return b[0] == 100 && b[1]&0xc0 == 64 // 100.64.0.0/10
	}
	return false
}

func rdataAddr(rr *RR) (netip.Addr, bool) {
	switch {
	case rr.Type == TypeA && len(rr.RData) == 4:
		return netip.AddrFrom4([4]byte(rr.RData)), true
	case rr.Type == TypeAAAA && len(rr.RData) == 16:
		return netip.AddrFrom16([16]byte(rr.RData)), true
	}
	return netip.Addr{}, false
}

// reverseAddr reads "4.3.2.1.in-addr.arpa" or a nibble ip6.arpa name.
func reverseAddr(name []byte) (netip.Addr, bool) {
	lower := bytes.ToLower(name)
	if p, ok := bytes.CutSuffix(lower, []byte(".in-addr.arpa")); ok {
		var a [4]byte
		i := 3
		for part := range bytes.SplitSeq(p, []byte(".")) {
			if i < 0 || len(part) == 0 || len(part) > 3 {
				return netip.Addr{}, false
			}
			v := 0
			for _, c := range part {
				if c < '0' || c > '9' {
					return netip.Addr{}, false
				}
				v = v*10 + int(c-'0')
			}
			if v > 255 {
				return netip.Addr{}, false
			}
			a[i] = byte(v)
			i--
		}
		if i != -1 {
			return netip.Addr{}, false
		}
		return netip.AddrFrom4(a), true
	}
	if p, ok := bytes.CutSuffix(lower, []byte(".ip6.arpa")); ok {
		if len(p) != 63 {
			return netip.Addr{}, false
		}
		var a [16]byte
		for i := 0; i < 32; i++ {
			c := p[2*i]
			if i < 31 && p[2*i+1] != '.' {
				return netip.Addr{}, false
			}
			var v byte
			switch {
			case c >= '0' && c <= '9':
				v = c - '0'
			case c >= 'a' && c <= 'f':
				v = c - 'a' + 10
			default:
				return netip.Addr{}, false
			}
			// nibble i counts from the least significant end.
			idx := 15 - i/2
			if i%2 == 0 {
				a[idx] |= v
			} else {
				a[idx] |= v << 4
			}
		}
		return netip.AddrFrom16(a), true
	}
	return netip.Addr{}, false
}

func lowerName(b []byte) string {
	s := wirestr.Clean(b)
	// ASCII lower-casing only: DNS compares names case-insensitively in ASCII.
	bs := []byte(s)
	for i, c := range bs {
		if c >= 'A' && c <= 'Z' {
			bs[i] = c + 32
		}
	}
	return string(bs)
}

// --- unicast DNS ---------------------------------------------------------

// Dissector reads DNS over UDP 53.
type Dissector struct {
	rr, rr2 RR
	facts   facts
}

// New returns the UDP DNS dissector.
func New() *Dissector { return &Dissector{} }

func (d *Dissector) Name() string { return "dns" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: Port}}
}

// Detect checks the header: sane counts, a question in queries, opcode 0-6.
func (d *Dissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	return detect(data)
}

func detect(data []byte) discovery.Verdict {
	h, err := ParseHeader(data)
	if err != nil {
		return discovery.No
	}
	if h.Opcode > 6 || h.Opcode == 3 || (!h.Response && h.QDCount == 0 && h.Opcode == OpcodeQuery) || h.QDCount > 16 {
		return discovery.No
	}
	return discovery.Yes
}

// Datagram handles one UDP DNS message.
func (d *Dissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	return d.message(data, pkt, emit, "udp")
}

func (d *Dissector) message(msg []byte, pkt *discovery.PacketInfo, emit discovery.Emit, transport string) error {
	h, err := ParseHeader(msg)
	if err != nil {
		return err
	}
	if !h.Response {
		service(pkt, emit, &d.facts, "dns", transport, Port, pkt.Src, "client")
		op := discovery.Operation{Code: int(h.Opcode), Name: h.Opcode.String(), Class: discovery.OpDiscovery}
		switch h.Opcode {
		case OpcodeUpdate:
			op.Class = discovery.OpConfig
		case OpcodeNotify:
			op.Class = discovery.OpOther
		}
		if h.Opcode == OpcodeQuery && h.QDCount > 0 {
			r := NewReader(msg, h)
			if r.Next(&d.rr) && (d.rr.Type == TypeAXFR || d.rr.Type == TypeIXFR) {
				op = discovery.Operation{Code: int(d.rr.Type), Name: "zone_transfer", Class: discovery.OpRead}
			}
		}
		o := pkt.Obs(discovery.KindOperation, pkt.Src)
		o.Peer, o.Protocol, o.Transport, o.Port, o.Op = pkt.Dst, "dns", transport, Port, op
		emit(o)
		return nil
	}
	service(pkt, emit, &d.facts, "dns", transport, Port, pkt.Src, "server")
	if h.RCode != 0 {
		return nil
	}
	r := NewReader(msg, h)
	for r.Next(&d.rr) {
		rr := &d.rr
		if rr.Section != 1 {
			continue
		}
		var ip netip.Addr
		var name []byte
		switch rr.Type {
		case TypeA, TypeAAAA:
			a, ok := rdataAddr(rr)
			if !ok {
				continue
			}
			ip, name = a, rr.Name.Bytes()
		case TypePTR:
			a, ok := reverseAddr(rr.Name.Bytes())
			if !ok {
				continue
			}
			if _, err := ReadName(msg, rr.RDataOff, &d.rr2.Name); err != nil {
				continue
			}
			ip, name = a, d.rr2.Name.Bytes()
		default:
			continue
		}
		if !localAddr(ip) || len(name) == 0 {
			continue
		}
		e := discovery.Endpoint{IP: ip}
		if !d.facts.freshBytes(pkt.Time, e, "dns.name", name, true) {
			continue
		}
		v := lowerName(name)
		a := pkt.Obs(discovery.KindAttribute, e)
		a.Protocol, a.Transport, a.Port = "dns", transport, Port
		a.Key, a.Value, a.Confidence = "dns.name", v, 0.6
		emit(a)
	}
	return r.Err()
}

// --- DNS over TCP ----------------------------------------------------------

// TCPDissector reads DNS over TCP 53 (RFC 1035 4.2.2: two-byte length prefix).
// It is registered as "dns_tcp" and names its flows "dns".
type TCPDissector struct{ Dissector }

// NewTCP returns the TCP DNS dissector.
func NewTCP() *TCPDissector { return &TCPDissector{} }

func (d *TCPDissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Detect checks the length prefix and the header behind it.
func (d *TCPDissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	if len(data) < 2+HeaderLen {
		return discovery.NeedMore
	}
	if int(binary.BigEndian.Uint16(data)) < HeaderLen {
		return discovery.No
	}
	return detect(data[2:])
}

// NewStream returns the per-flow framer; DNS needs no per-flow parser state.
func (d *TCPDissector) NewStream(*discovery.Flow) discovery.Stream { return tcpStream{d} }

type tcpStream struct{ d *TCPDissector }

func (s tcpStream) PDULen(data []byte, _ discovery.Direction) (int, error) {
	if len(data) < 2 {
		return 0, nil
	}
	return 2 + int(binary.BigEndian.Uint16(data)), nil
}

func (s tcpStream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	return s.d.message(pdu[2:], pkt, emit, "tcp")
}

// --- mDNS -------------------------------------------------------------------

// MDNSDissector reads multicast DNS (RFC 6762) and DNS-SD (RFC 6763) on UDP 5353.
type MDNSDissector struct {
	rr, rr2 RR
	facts   facts
}

// NewMDNS returns the mDNS dissector.
func NewMDNS() *MDNSDissector { return &MDNSDissector{} }

func (d *MDNSDissector) Name() string { return "mdns" }
func (d *MDNSDissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: MDNSPort}}
}
func (d *MDNSDissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	return detect(data)
}

var servicesName = []byte("_services._dns-sd._udp.local")

// Datagram handles one mDNS message: responders' own names, the service
// types and instances they announce.
func (d *MDNSDissector) Datagram(msg []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	h, err := ParseHeader(msg)
	if err != nil {
		return err
	}
	if !h.Response {
		service(pkt, emit, &d.facts, "mdns", "udp", MDNSPort, pkt.Src, "client")
		return nil
	}
	service(pkt, emit, &d.facts, "mdns", "udp", MDNSPort, pkt.Src, "server")
	attr := func(e discovery.Endpoint, key, value string, conf float32) {
		if value == "" || !d.facts.fresh(pkt.Time, e, key, value) {
			return
		}
		a := pkt.Obs(discovery.KindAttribute, e)
		a.Protocol, a.Transport, a.Port = "mdns", "udp", MDNSPort
		a.Key, a.Value, a.Confidence = key, value, conf
		emit(a)
	}
	nameAt := func(e discovery.Endpoint, ip netip.Addr, name []byte) {
		name = bytes.TrimSuffix(name, []byte("."))
		if ip == pkt.Src.IP {
			attr(pkt.Src, "mdns.name", wirestr.Clean(name), 0.9)
		} else if localAddr(ip) {
			attr(discovery.Endpoint{IP: ip}, "mdns.name", wirestr.Clean(name), 0.6)
		}
	}
	r := NewReader(msg, h)
	for r.Next(&d.rr) {
		rr := &d.rr
		if rr.Question {
			continue
		}
		switch rr.Type {
		case TypeA, TypeAAAA:
			if a, ok := rdataAddr(rr); ok {
				nameAt(pkt.Src, a, rr.Name.Bytes())
			}
		case TypePTR:
			if _, err := ReadName(msg, rr.RDataOff, &d.rr2.Name); err != nil {
				continue
			}
			owner, target := rr.Name.Bytes(), d.rr2.Name.Bytes()
			if a, ok := reverseAddr(owner); ok {
				nameAt(pkt.Src, a, target)
				continue
			}
			if bytes.EqualFold(owner, servicesName) {
				attr(pkt.Src, "mdns.service", wirestr.Clean(bytes.TrimSuffix(target, []byte(".local"))), 0.9)
				continue
			}
			if len(owner) > 0 && owner[0] == '_' {
				svc := bytes.TrimSuffix(owner, []byte(".local"))
				// Sub-type browsing names ("_printer._sub._http._tcp") keep the service part.
				if i := bytes.Index(svc, []byte("._sub.")); i >= 0 {
					svc = svc[i+len("._sub."):]
				}
				attr(pkt.Src, "mdns.service", wirestr.Clean(svc), 0.9)
				if inst, ok := bytes.CutSuffix(target, append([]byte{'.'}, owner...)); ok && len(inst) > 0 {
					attr(pkt.Src, "mdns.instance", wirestr.Clean(inst), 0.9)
				}
			}
		}
	}
	return r.Err()
}

// --- NetBIOS name service ---------------------------------------------------

// NBNSDissector reads the NetBIOS name service (RFC 1001/1002) on UDP 137.
type NBNSDissector struct {
	rr    RR
	facts facts
	nb    [16]byte
}

// NewNBNS returns the NBNS dissector.
func NewNBNS() *NBNSDissector { return &NBNSDissector{} }

func (d *NBNSDissector) Name() string { return "nbns" }
func (d *NBNSDissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: NBNSPort}}
}

// Detect checks the header and that the first name is a 32-letter encoded NetBIOS name.
func (d *NBNSDissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	h, err := ParseHeader(data)
	if err != nil || h.QDCount+h.ANCount == 0 || len(data) < HeaderLen+34 || data[HeaderLen] != 32 {
		return discovery.No
	}
	return discovery.Yes
}

// NetBIOS name flags (RFC 1002 4.2.1.3 NB_FLAGS, 4.2.18 NAME_FLAGS).
const nbGroup = 0x8000

// Datagram handles one NBNS message.
func (d *NBNSDissector) Datagram(msg []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	h, err := ParseHeader(msg)
	if err != nil {
		return err
	}
	role := "client"
	if h.Response {
		role = "server"
	}
	service(pkt, emit, &d.facts, "nbns", "udp", NBNSPort, pkt.Src, role)
	if h.RCode != 0 {
		return nil
	}
	registering := !h.Response && (h.Opcode == OpcodeUpdate || h.Opcode == OpcodeNBRefresh || h.Opcode == OpcodeNBRefreshAlt || h.Opcode == OpcodeNBMultihomed)
	if !h.Response && !registering {
		return nil // queries and releases say nothing about the sender's names
	}
	r := NewReader(msg, h)
	for r.Next(&d.rr) {
		rr := &d.rr
		if rr.Question {
			continue
		}
		switch rr.Type {
		case TypeNB:
			n, suffix, ok := DecodeNetBIOSName(rr.Name.Bytes(), &d.nb)
			if !ok {
				continue
			}
			name := d.nb[:n]
			for p := rr.RData; len(p) >= 6; p = p[6:] {
				flags := binary.BigEndian.Uint16(p)
				ip := netip.AddrFrom4([4]byte(p[2:6]))
				e, conf := discovery.Endpoint{IP: ip}, float32(0.7)
				if ip == pkt.Src.IP {
					e, conf = pkt.Src, 0.9
				} else if !ip.IsGlobalUnicast() && !ip.IsLinkLocalUnicast() {
					continue
				}
				d.name(pkt, emit, e, name, suffix, flags&nbGroup != 0, conf)
			}
		case TypeNBSTAT:
			// NODE_STATUS_RESPONSE: count, then 18-byte entries (15 name, suffix, flags).
			p := rr.RData
			if len(p) < 1 {
				continue
			}
			count := int(p[0])
			p = p[1:]
			for i := 0; i < count && len(p) >= 18; i++ {
				ent := p[:18]
				p = p[18:]
				n := 15
				for n > 0 && (ent[n-1] == ' ' || ent[n-1] == 0) {
					n--
				}
				flags := binary.BigEndian.Uint16(ent[16:])
				d.name(pkt, emit, pkt.Src, ent[:n], ent[15], flags&nbGroup != 0, 0.95)
			}
		}
	}
	return r.Err()
}

// name emits the attribute a NetBIOS name stands for:
// unique <00>/<20> the host's name, group <00> its workgroup or domain,
// group <1C> the domain it is a domain controller of.
func (d *NBNSDissector) name(pkt *discovery.PacketInfo, emit discovery.Emit, e discovery.Endpoint, name []byte, suffix byte, group bool, conf float32) {
	var key string
	switch {
	case !group && (suffix == 0x00 || suffix == 0x20):
		key = "nbns.name"
	case group && suffix == 0x00:
		key = "nbns.workgroup"
	case group && suffix == 0x1c:
		key = "nbns.domain_controller"
	default:
		return
	}
	if len(name) == 0 || !d.facts.freshBytes(pkt.Time, e, key, name, false) {
		return
	}
	v := wirestr.Clean(name)
	if v == "" {
		return
	}
	a := pkt.Obs(discovery.KindAttribute, e)
	a.Protocol, a.Transport, a.Port = "nbns", "udp", NBNSPort
	a.Key, a.Value, a.Confidence = key, v, conf
	emit(a)
}
