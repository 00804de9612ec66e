package filter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// Options tune Compile.
type Options struct {
	// SnapLen is what the program returns for an accepted frame (the kernel
	// truncates to it). Default 262144.
	SnapLen uint32
	// VLANOffload compiles for a Linux packet socket, where the kernel has
	// moved the outer VLAN tag out of the frame (see the package doc).
	VLANOffload bool
}

// DefaultSnapLen is the snap length when Options.SnapLen is 0.
const DefaultSnapLen = 262144

// Error is a syntax or unsupported-feature error at a column (1-based) of
// the expression.
type Error struct {
	Column int
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("filter: column %d: %s", e.Column, e.Msg)
}

// Compile turns expr into a classic BPF program. An empty (all blank)
// expression accepts every frame.
func Compile(expr string, opt Options) ([]bpf.Instruction, error) {
	if opt.SnapLen == 0 {
		opt.SnapLen = DefaultSnapLen
	}
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return []bpf.Instruction{bpf.RetConstant{Val: opt.SnapLen}}, nil
	}
	p := &parser{toks: toks, linkOff: 14, offload: opt.VLANOffload}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		return nil, &Error{t.col, fmt.Sprintf("unexpected %q", t.text)}
	}
	return generate(n, opt.SnapLen)
}

// Assemble compiles and assembles expr for SO_ATTACH_FILTER.
func Assemble(expr string, opt Options) ([]bpf.RawInstruction, error) {
	prog, err := Compile(expr, opt)
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("filter: assemble: %w", err)
	}
	return raw, nil
}

// ---- lexer ----

type token struct {
	text string
	col  int
}

func isWordByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte(".:/-_\\", c) >= 0
}

func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			out = append(out, token{s[i : i+1], i + 1})
			i++
		case c == '!':
			out = append(out, token{"not", i + 1})
			i++
		case c == '&' && i+1 < len(s) && s[i+1] == '&':
			out = append(out, token{"and", i + 1})
			i += 2
		case c == '|' && i+1 < len(s) && s[i+1] == '|':
			out = append(out, token{"or", i + 1})
			i += 2
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, token{s[i:j], i + 1})
			i = j
		default:
			return nil, &Error{i + 1, fmt.Sprintf("unexpected character %q (supported: host, net, port, portrange, src, dst, tcp, udp, sctp, icmp, icmp6, ip, ip6, arp, rarp, vlan, ether host/src/dst/proto, and, or, not, parentheses)", c)}
		}
	}
	return out, nil
}

// ---- AST ----

type node interface{}

type andNode struct{ a, b node }
type orNode struct{ a, b node }
type notNode struct{ a node }

// atom is one test: run load (which leaves the value in A) and compare.
type atom struct {
	load []bpf.Instruction
	cond bpf.JumpTest
	val  uint32
}

func and(ns ...node) node {
	var r node
	for _, n := range ns {
		if r == nil {
			r = n
		} else {
			r = andNode{r, n}
		}
	}
	return r
}

func or(ns ...node) node {
	var r node
	for _, n := range ns {
		if r == nil {
			r = n
		} else {
			r = orNode{r, n}
		}
	}
	return r
}

func ld(off uint32, size int) []bpf.Instruction {
	return []bpf.Instruction{bpf.LoadAbsolute{Off: off, Size: size}}
}

func eq(off uint32, size int, v uint32) node {
	return atom{load: ld(off, size), cond: bpf.JumpEqual, val: v}
}

func masked(off uint32, size int, mask, v uint32) node {
	if mask == 0xffffffff {
		return eq(off, size, v)
	}
	return atom{load: []bpf.Instruction{bpf.LoadAbsolute{Off: off, Size: size}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask}}, cond: bpf.JumpEqual, val: v & mask}
}

// ---- parser ----

type dir int

const (
	dirAny dir = iota // src or dst
	dirSrc
	dirDst
	dirBoth // src and dst
)

// quals are a primitive's qualifiers, kept for a following bare address.
type quals struct {
	proto string // "", ether, ip, ip6, arp, rarp, tcp, udp, sctp
	dir   dir
	typ   string // host, net, port, portrange
}

type parser struct {
	toks    []token
	pos     int
	linkOff uint32 // offset of the network layer (14, +4 per vlan)
	offload bool
	vlans   int
	last    *quals
}

func (p *parser) peek() (token, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return token{}, false
}

func (p *parser) peekIs(words ...string) bool {
	t, ok := p.peek()
	if !ok {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			return true
		}
	}
	return false
}

func (p *parser) endCol() int {
	if len(p.toks) == 0 {
		return 1
	}
	t := p.toks[len(p.toks)-1]
	return t.col + len(t.text)
}

func (p *parser) expr() (node, error) {
	n, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.peekIs("or") {
		p.pos++
		m, err := p.term()
		if err != nil {
			return nil, err
		}
		n = orNode{n, m}
	}
	return n, nil
}

func (p *parser) term() (node, error) {
	n, err := p.factor()
	if err != nil {
		return nil, err
	}
	for p.peekIs("and") {
		p.pos++
		m, err := p.factor()
		if err != nil {
			return nil, err
		}
		n = andNode{n, m}
	}
	return n, nil
}

func (p *parser) factor() (node, error) {
	t, ok := p.peek()
	if !ok {
		return nil, &Error{p.endCol(), "expression ends where a primitive was expected"}
	}
	switch strings.ToLower(t.text) {
	case "not":
		p.pos++
		n, err := p.factor()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case "(":
		p.pos++
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if !p.peekIs(")") {
			c := p.endCol()
			if t, ok := p.peek(); ok {
				c = t.col
			}
			return nil, &Error{c, fmt.Sprintf("missing ')' for the '(' at column %d", t.col)}
		}
		p.pos++
		return n, nil
	case ")":
		return nil, &Error{t.col, "unexpected ')'"}
	case "and", "or":
		return nil, &Error{t.col, fmt.Sprintf("%q where a primitive was expected", t.text)}
	}
	return p.primitive()
}

var unsupported = map[string]string{
	"greater": "packet length tests", "less": "packet length tests", "len": "packet length tests",
	"broadcast": "broadcast", "multicast": "multicast", "gateway": "gateway", "mpls": "MPLS",
	"pppoed": "PPPoE", "pppoes": "PPPoE", "geneve": "Geneve", "decnet": "DECnet", "atalk": "AppleTalk",
	"aarp": "AppleTalk", "iso": "ISO", "esis": "ISO", "isis": "ISO", "clnp": "ISO", "stp": "STP",
	"ipx": "IPX", "netbeui": "NetBEUI", "lat": "DEC", "mopdl": "DEC", "moprc": "DEC", "sca": "DEC",
	"wlan": "802.11", "type": "802.11", "subtype": "802.11", "fddi": "FDDI", "tr": "Token Ring",
	"ppp": "PPP", "slip": "SLIP", "link": "link-level byte offsets", "inbound": "direction", "outbound": "direction",
	"ifname": "pflog", "on": "pflog", "rnr": "pflog", "rulenum": "pflog", "reason": "pflog", "rset": "pflog",
	"ruleset": "pflog", "srnr": "pflog", "subrulenum": "pflog", "action": "pflog", "protochain": "protochain",
	"igmp": "IGMP", "igrp": "IGRP", "pim": "PIM", "vrrp": "VRRP", "carp": "CARP", "ah": "IPsec", "esp": "IPsec",
	"ra": "802.11", "ta": "802.11", "addr1": "802.11", "addr2": "802.11", "addr3": "802.11", "addr4": "802.11",
	"llc": "LLC", "ip6multicast": "multicast", "ipmulticast": "multicast",
}

func supportedList() string {
	return "supported: host, net, port, portrange, src, dst, tcp, udp, sctp, icmp, icmp6, ip, ip6, arp, rarp, vlan, ether host/src/dst/proto, and, or, not, parentheses"
}

func (p *parser) primitive() (node, error) {
	start := p.toks[p.pos]
	var q quals
	seen := false
	// protocol qualifier
	if p.peekIs("ether", "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp") {
		q.proto = strings.ToLower(p.toks[p.pos].text)
		p.pos++
		seen = true
	} else if p.peekIs("icmp", "icmp6") {
		t := p.toks[p.pos]
		p.pos++
		if p.peekIs("host", "net", "port", "portrange", "src", "dst", "proto") {
			return nil, &Error{p.toks[p.pos].col, fmt.Sprintf("%q cannot qualify %q", t.text, p.toks[p.pos].text)}
		}
		if strings.EqualFold(t.text, "icmp") {
			return p.ipProto(1, false), nil
		}
		return p.ipProto(58, true), nil
	} else if p.peekIs("vlan") {
		p.pos++
		return p.vlan()
	}
	// direction
	if p.peekIs("src", "dst") {
		t := p.toks[p.pos]
		p.pos++
		if strings.EqualFold(t.text, "src") {
			q.dir = dirSrc
		} else {
			q.dir = dirDst
		}
		// "src or dst" / "src and dst"
		if p.pos+1 < len(p.toks) && p.peekIs("or", "and") {
			next := p.toks[p.pos+1].text
			other := "dst"
			if q.dir == dirDst {
				other = "src"
			}
			if strings.EqualFold(next, other) {
				if p.peekIs("or") {
					q.dir = dirAny
				} else {
					q.dir = dirBoth
				}
				p.pos += 2
			}
		}
		seen = true
	}
	// type
	if p.peekIs("host", "net", "port", "portrange", "proto") {
		q.typ = strings.ToLower(p.toks[p.pos].text)
		p.pos++
		seen = true
	}
	if !seen {
		t := start
		lw := strings.ToLower(t.text)
		if what, ok := unsupported[lw]; ok {
			return nil, &Error{t.col, fmt.Sprintf("%q (%s) is not supported; %s", t.text, what, supportedList())}
		}
		if strings.ContainsAny(t.text, "[]") || lw == "tcpflags" {
			return nil, &Error{t.col, fmt.Sprintf("byte-offset expressions are not supported; %s", supportedList())}
		}
		if !looksLikeID(t.text) || (p.last == nil && !p.nextIsID()) {
			return nil, &Error{t.col, fmt.Sprintf("unknown keyword %q; %s", t.text, supportedList())}
		}
		// A bare id: the previous primitive's qualifiers (tcpdump), else host.
		if p.last != nil {
			q = *p.last
		} else {
			q.typ = "host"
		}
	}
	if q.typ == "proto" {
		if q.proto != "ether" {
			return nil, &Error{start.col, fmt.Sprintf("%q proto is not supported; only ether proto", q.proto)}
		}
		return p.etherProto()
	}
	// A protocol alone: tcp, udp, ip ...
	if q.typ == "" && q.dir == dirAny && !p.nextIsID() {
		switch q.proto {
		case "tcp":
			return p.ipProto(6, true), nil
		case "udp":
			return p.ipProto(17, true), nil
		case "sctp":
			return p.ipProto(132, true), nil
		case "ip":
			return p.ethertype(0x0800), nil
		case "ip6":
			return p.ethertype(0x86dd), nil
		case "arp":
			return p.ethertype(0x0806), nil
		case "rarp":
			return p.ethertype(0x8035), nil
		case "ether":
			return nil, &Error{start.col, `"ether" needs host, src, dst or proto`}
		}
	}
	if q.typ == "" {
		if q.proto == "tcp" || q.proto == "udp" || q.proto == "sctp" {
			t, _ := p.peek()
			return nil, &Error{t.col, fmt.Sprintf("%q must be followed by port or portrange before a value", q.proto)}
		}
		q.typ = "host"
	}
	t, ok := p.peek()
	if !ok {
		return nil, &Error{p.endCol(), fmt.Sprintf("%s needs a value", q.typ)}
	}
	if !looksLikeID(t.text) {
		return nil, &Error{t.col, fmt.Sprintf("%q is not a valid %s", t.text, q.typ)}
	}
	p.pos++
	qq := q
	p.last = &qq
	switch q.typ {
	case "host", "net":
		return p.hostNet(q, t)
	case "port", "portrange":
		return p.port(q, t)
	}
	return nil, &Error{t.col, "internal: unhandled qualifier"}
}

func looksLikeID(s string) bool {
	if s == "" {
		return false
	}
	switch strings.ToLower(s) {
	case "and", "or", "not", "(", ")":
		return false
	}
	return true
}

func (p *parser) nextIsID() bool {
	t, ok := p.peek()
	if !ok {
		return false
	}
	lw := strings.ToLower(t.text)
	if lw == "and" || lw == "or" || lw == "not" || lw == "(" || lw == ")" {
		return false
	}
	// A keyword starts a new (juxtaposed, i.e. invalid) primitive: let the
	// caller report it.
	c := t.text[0]
	return c >= '0' && c <= '9' || strings.Contains(t.text, ":") || strings.Contains(t.text, ".")
}

// ethertype tests the frame's ethertype at the current link offset.
func (p *parser) ethertype(v uint32) node {
	return eq(p.linkOff-2, 2, v)
}

// ipProto is "ip proto v or ip6 proto v" (withV6), IPv6 also when the
// protocol follows a fragment header, as libpcap does.
func (p *parser) ipProto(v uint32, withV6 bool) node {
	l := p.linkOff
	v4 := and(p.ethertype(0x0800), eq(l+9, 1, v))
	if !withV6 {
		return v4
	}
	v6 := and(p.ethertype(0x86dd), or(eq(l+6, 1, v), and(eq(l+6, 1, 44), eq(l+40, 1, v))))
	return or(v4, v6)
}

func (p *parser) vlan() (node, error) {
	var id int = -1
	if t, ok := p.peek(); ok && t.text != "" && t.text[0] >= '0' && t.text[0] <= '9' {
		n, err := strconv.ParseUint(t.text, 0, 32)
		if err != nil || n > 4095 {
			return nil, &Error{t.col, fmt.Sprintf("vlan id %q: want 0 to 4095", t.text)}
		}
		id = int(n)
		p.pos++
	}
	p.last = nil
	p.vlans++
	if p.offload && p.vlans == 1 {
		n := atom{load: []bpf.Instruction{bpf.LoadExtension{Num: bpf.ExtVLANTagPresent}}, cond: bpf.JumpEqual, val: 1}
		if id < 0 {
			return n, nil
		}
		return and(n, atom{load: []bpf.Instruction{bpf.LoadExtension{Num: bpf.ExtVLANTag}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xfff}},
			cond: bpf.JumpEqual, val: uint32(id)}), nil
	}
	l := p.linkOff
	n := or(p.ethertype(0x8100), p.ethertype(0x88a8), p.ethertype(0x9100))
	if id >= 0 {
		n = and(n, masked(l, 2, 0xfff, uint32(id)))
	}
	p.linkOff += 4
	return n, nil
}

func (p *parser) etherProto() (node, error) {
	t, ok := p.peek()
	if !ok {
		return nil, &Error{p.endCol(), "ether proto needs a value"}
	}
	p.pos++
	p.last = nil
	name := strings.TrimPrefix(strings.ToLower(t.text), "\\")
	var v uint64
	switch name {
	case "ip":
		v = 0x0800
	case "ip6":
		v = 0x86dd
	case "arp":
		v = 0x0806
	case "rarp":
		v = 0x8035
	default:
		n, err := strconv.ParseUint(name, 0, 16)
		if err != nil {
			return nil, &Error{t.col, fmt.Sprintf("ether proto %q: want a number (0x88cc) or ip, ip6, arp, rarp", t.text)}
		}
		if n <= 1500 {
			return nil, &Error{t.col, fmt.Sprintf("ether proto %s: values up to 1500 are 802.3 lengths (LLC frames), not supported", t.text)}
		}
		v = n
	}
	return p.ethertype(uint32(v)), nil
}

func (p *parser) hostNet(q quals, t token) (node, error) {
	if q.proto == "ether" {
		if q.typ != "host" {
			return nil, &Error{t.col, "ether net is not supported"}
		}
		mac, err := net.ParseMAC(t.text)
		if err != nil || len(mac) != 6 {
			return nil, &Error{t.col, fmt.Sprintf("%q is not a MAC address", t.text)}
		}
		src := and(eq(8, 4, binary.BigEndian.Uint32(mac[2:])), eq(6, 2, uint32(binary.BigEndian.Uint16(mac))))
		dst := and(eq(2, 4, binary.BigEndian.Uint32(mac[2:])), eq(0, 2, uint32(binary.BigEndian.Uint16(mac))))
		return combineDir(q.dir, src, dst), nil
	}
	switch q.proto {
	case "", "ip", "ip6", "arp", "rarp":
	default:
		return nil, &Error{t.col, fmt.Sprintf("%q cannot qualify %s", q.proto, q.typ)}
	}
	prefix, err := parseNet(q.typ, t.text)
	if err != nil {
		return nil, &Error{t.col, err.Error()}
	}
	l := p.linkOff
	addr := prefix.Addr()
	if addr.Is4() {
		if q.proto == "ip6" {
			return nil, &Error{t.col, fmt.Sprintf("ip6 %s with an IPv4 address", q.typ)}
		}
		a := binary.BigEndian.Uint32(addr.AsSlice())
		mask := uint32(0)
		if prefix.Bits() > 0 {
			mask = ^uint32(0) << (32 - prefix.Bits())
		}
		gen := func(et uint32, srcOff, dstOff uint32) node {
			return and(p.ethertype(et), combineDir(q.dir, masked(l+srcOff, 4, mask, a), masked(l+dstOff, 4, mask, a)))
		}
		var parts []node
		if q.proto == "" || q.proto == "ip" {
			parts = append(parts, gen(0x0800, 12, 16))
		}
		if q.proto == "" || q.proto == "arp" {
			parts = append(parts, gen(0x0806, 14, 24))
		}
		if q.proto == "" || q.proto == "rarp" {
			parts = append(parts, gen(0x8035, 14, 24))
		}
		return or(parts...), nil
	}
	if q.proto != "" && q.proto != "ip6" {
		return nil, &Error{t.col, fmt.Sprintf("%s %s with an IPv6 address", q.proto, q.typ)}
	}
	b := addr.As16()
	bits := prefix.Bits()
	words := func(off uint32) node {
		var ns []node
		for i := 0; i < 4; i++ {
			wbits := bits - 32*i
			if wbits <= 0 {
				break
			}
			m := ^uint32(0)
			if wbits < 32 {
				m = ^uint32(0) << (32 - wbits)
			}
			ns = append(ns, masked(off+uint32(4*i), 4, m, binary.BigEndian.Uint32(b[4*i:])))
		}
		if len(ns) == 0 { // ::/0
			return eq(p.linkOff-2, 2, 0x86dd)
		}
		return and(ns...)
	}
	return and(p.ethertype(0x86dd), combineDir(q.dir, words(l+8), words(l+24))), nil
}

func combineDir(d dir, src, dst node) node {
	switch d {
	case dirSrc:
		return src
	case dirDst:
		return dst
	case dirBoth:
		return and(src, dst)
	}
	return or(src, dst)
}

// parseNet reads a host address or a network: CIDR, or 1 to 3 dotted
// octets (tcpdump's "net 10.1" = 10.1.0.0/16).
func parseNet(typ, s string) (netip.Prefix, error) {
	if typ == "host" {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			if strings.ContainsAny(s, "/") {
				return netip.Prefix{}, fmt.Errorf("%q: host takes an address; use net for a network", s)
			}
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address (host names are not resolved)", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	if strings.Contains(s, "/") {
		pf, err := netip.ParsePrefix(s)
		if err != nil {
			// tcpdump accepts "10.1/16" too.
			i := strings.IndexByte(s, '/')
			if a, ok := partialV4(s[:i]); ok {
				bits, err2 := strconv.Atoi(s[i+1:])
				if err2 == nil && bits >= 0 && bits <= 32 {
					pf = netip.PrefixFrom(a, bits)
					err = nil
				}
			}
			if err != nil {
				return netip.Prefix{}, fmt.Errorf("%q is not a network (want CIDR like 10.0.0.0/8)", s)
			}
		}
		if pf.Masked() != pf {
			return netip.Prefix{}, fmt.Errorf("%q: non-network bits set (did you mean %s?)", s, pf.Masked())
		}
		return pf, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Is4() {
			return netip.PrefixFrom(a, 32), nil
		}
		return netip.PrefixFrom(a, 128), nil
	}
	if a, ok := partialV4(s); ok {
		n := strings.Count(s, ".") + 1
		return netip.PrefixFrom(a, 8*n), nil
	}
	return netip.Prefix{}, fmt.Errorf("%q is not a network (want CIDR like 10.0.0.0/8)", s)
}

func partialV4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) < 1 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	var b [4]byte
	for i, x := range parts {
		n, err := strconv.ParseUint(x, 10, 8)
		if err != nil {
			return netip.Addr{}, false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), true
}

func (p *parser) port(q quals, t token) (node, error) {
	var lo, hi uint64
	var err error
	if q.typ == "portrange" {
		a, b, ok := strings.Cut(t.text, "-")
		if !ok {
			return nil, &Error{t.col, fmt.Sprintf("portrange %q: want N-M", t.text)}
		}
		lo, err = strconv.ParseUint(a, 10, 16)
		if err == nil {
			hi, err = strconv.ParseUint(b, 10, 16)
		}
		if lo > hi {
			lo, hi = hi, lo
		}
	} else {
		lo, err = strconv.ParseUint(t.text, 10, 16)
		hi = lo
	}
	if err != nil {
		return nil, &Error{t.col, fmt.Sprintf("%s %q: want a number 0 to 65535 (port names are not resolved)", q.typ, t.text)}
	}
	var protos []uint32
	switch q.proto {
	case "":
		protos = []uint32{6, 17, 132}
	case "tcp":
		protos = []uint32{6}
	case "udp":
		protos = []uint32{17}
	case "sctp":
		protos = []uint32{132}
	default:
		return nil, &Error{t.col, fmt.Sprintf("%q cannot qualify %s", q.proto, q.typ)}
	}
	l := p.linkOff
	test := func(load []bpf.Instruction) node {
		if lo == hi {
			return atom{load: load, cond: bpf.JumpEqual, val: uint32(lo)}
		}
		return and(atom{load: load, cond: bpf.JumpGreaterOrEqual, val: uint32(lo)},
			atom{load: load, cond: bpf.JumpLessOrEqual, val: uint32(hi)})
	}
	protoIs := func(off uint32) node {
		var ns []node
		for _, pr := range protos {
			ns = append(ns, eq(off, 1, pr))
		}
		return or(ns...)
	}
	v4port := func(at uint32) node {
		return test([]bpf.Instruction{bpf.LoadMemShift{Off: l}, bpf.LoadIndirect{Off: l + at, Size: 2}})
	}
	v4 := and(p.ethertype(0x0800), protoIs(l+9),
		atom{load: ld(l+6, 2), cond: bpf.JumpBitsNotSet, val: 0x1fff},
		combineDir(q.dir, v4port(0), v4port(2)))
	v6port := func(at uint32) node { return test(ld(l+40+at, 2)) }
	v6 := and(p.ethertype(0x86dd), protoIs(l+6), combineDir(q.dir, v6port(0), v6port(2)))
	return or(v6, v4), nil
}

// ---- code generation ----

type label int

const (
	labelAccept label = -1
	labelReject label = -2
)

type pending struct {
	ins    bpf.Instruction
	jump   bool
	jt, jf label
}

type gen struct {
	out    []pending
	labels []int // label -> instruction index
}

func (g *gen) newLabel() label {
	g.labels = append(g.labels, -1)
	return label(len(g.labels) - 1)
}

func (g *gen) place(l label) { g.labels[l] = len(g.out) }

func (g *gen) emit(n node, t, f label) {
	switch n := n.(type) {
	case andNode:
		m := g.newLabel()
		g.emit(n.a, m, f)
		g.place(m)
		g.emit(n.b, t, f)
	case orNode:
		m := g.newLabel()
		g.emit(n.a, t, m)
		g.place(m)
		g.emit(n.b, t, f)
	case notNode:
		g.emit(n.a, f, t)
	case atom:
		for _, in := range n.load {
			g.out = append(g.out, pending{ins: in})
		}
		g.out = append(g.out, pending{ins: bpf.JumpIf{Cond: n.cond, Val: n.val}, jump: true, jt: t, jf: f})
	default:
		panic(fmt.Sprintf("filter: unknown node %T", n))
	}
}

var errTooLarge = errors.New("filter: expression too large for classic BPF (a jump exceeds 255 instructions); simplify it")

func generate(n node, snap uint32) ([]bpf.Instruction, error) {
	g := &gen{}
	g.emit(n, labelAccept, labelReject)
	accept, reject := len(g.out), len(g.out)+1
	pos := func(l label) int {
		switch l {
		case labelAccept:
			return accept
		case labelReject:
			return reject
		}
		return g.labels[l]
	}
	prog := make([]bpf.Instruction, 0, len(g.out)+2)
	for i, pi := range g.out {
		if !pi.jump {
			prog = append(prog, pi.ins)
			continue
		}
		j := pi.ins.(bpf.JumpIf)
		st, sf := pos(pi.jt)-(i+1), pos(pi.jf)-(i+1)
		if st < 0 || sf < 0 || st > 255 || sf > 255 {
			return nil, errTooLarge
		}
		j.SkipTrue, j.SkipFalse = uint8(st), uint8(sf)
		prog = append(prog, j)
	}
	prog = append(prog, bpf.RetConstant{Val: snap}, bpf.RetConstant{Val: 0})
	if len(prog) > 4096 {
		return nil, errTooLarge
	}
	return prog, nil
}
