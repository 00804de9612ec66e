package discovery

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// The decoder walks a frame's headers by hand, with a length check before
// every slice: Ethernet II and 802.3/LLC/SNAP, any number of 802.1Q/802.1ad
// tags (bounded), Linux cooked v1/v2, BSD loopback, raw IP, IPv4, IPv6 with
// extension headers, TCP, UDP, ARP, and the SPAN tunnels GRE (transparent
// Ethernet bridging, IP), ERSPAN I/II/III and VXLAN, whose inner frame is
// decoded again so that a remote SPAN yields the inner hosts. Nothing here
// allocates.
//
// gopacket's DecodingLayerParser was the first choice. The hand walk was
// kept because it lets the engine stop early (non-first fragments, frames
// nobody dissects), recurse into tunnels with the tunnel's own rules
// (ERSPAN type by GRE sequence bit, ERSPAN III subheaders), keep what a
// snap length cut off instead of failing the layer, and it is cheap:
// BenchmarkDecode (engine_bench_test.go) measures the engine's whole
// per-packet path, decode plus host and flow tables, at about the cost of
// DecodingLayerParser's decoding alone for the same Ethernet/IPv4/TCP frame.

const (
	maxVLANTags  = 8 // QinQ stacks deeper than this are treated as malformed
	maxEncapsDep = 4 // tunnels inside tunnels
	maxIPv6Ext   = 8 // extension headers followed before giving up
)

// EtherTypes the decoder handles itself.
const (
	etherIPv4   = 0x0800
	etherARP    = 0x0806
	etherIPv6   = 0x86dd
	etherVLAN   = 0x8100
	etherQinQ   = 0x88a8
	etherQinQ2  = 0x9100
	etherTEB    = 0x6558 // transparent Ethernet bridging (GRE)
	etherERSPAN = 0x88be // ERSPAN type I (no sequence number) and II
	etherERSPN3 = 0x22eb // ERSPAN type III
)

const vxlanPort = 4789

// decodeLink is the entry point: it dispatches on the capture's link type.
func (e *Engine) decodeLink(data []byte, lt layers.LinkType) {
	switch lt {
	case layers.LinkTypeEthernet:
		e.ether(data, 0)
	case layers.LinkTypeRaw, 12, 14:
		e.rawIP(data, 0)
	case layers.LinkTypeIPv4:
		e.ipv4(data, 0)
	case layers.LinkTypeIPv6:
		e.ipv6(data, 0)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		e.loopback(data)
	case layers.LinkTypeLinuxSLL:
		e.sll(data)
	case layers.LinkTypeLinuxSLL2:
		e.sll2(data)
	default:
		e.st.UnsupportedLinkType++
	}
}

func (e *Engine) malformed() { e.st.Malformed++ }

// ether decodes an Ethernet II or 802.3 frame.
func (e *Engine) ether(b []byte, depth int) {
	if len(b) < 14 {
		e.malformed()
		return
	}
	p := &e.pkt
	copy(p.Dst.MAC[:], b[0:6])
	copy(p.Src.MAC[:], b[6:12])
	p.VLAN = 0
	et := binary.BigEndian.Uint16(b[12:])
	b = b[14:]
	for tags := 0; et == etherVLAN || et == etherQinQ || et == etherQinQ2; tags++ {
		if tags == maxVLANTags || len(b) < 4 {
			e.malformed()
			return
		}
		p.VLAN = binary.BigEndian.Uint16(b) & 0x0fff
		et = binary.BigEndian.Uint16(b[2:])
		b = b[4:]
	}
	if et <= 1500 {
		// 802.3 length field: the payload is an LLC PDU; anything after
		// the length is padding.
		if int(et) < len(b) {
			b = b[:et]
		}
		e.llc(b, depth)
		return
	}
	e.etherType(et, b, depth)
}

// llc decodes an IEEE 802.2 LLC header and, for DSAP=SSAP=0xAA, SNAP.
func (e *Engine) llc(b []byte, depth int) {
	if len(b) < 3 {
		e.malformed()
		return
	}
	dsap, ssap, ctrl := b[0], b[1], b[2]
	n := 3
	if ctrl&3 != 3 { // I and S frames have a 2-byte control field
		n = 4
	}
	if len(b) < n {
		e.malformed()
		return
	}
	if dsap == 0xaa && ssap == 0xaa && n == 3 {
		if len(b) < 8 {
			e.malformed()
			return
		}
		oui := uint32(b[3])<<16 | uint32(b[4])<<8 | uint32(b[5])
		pid := binary.BigEndian.Uint16(b[6:])
		payload := b[8:]
		if oui == 0 {
			// RFC 1042: the PID is an EtherType.
			e.etherType(pid, payload, depth)
			return
		}
		e.l2Host()
		if fe, ok := e.frameSNAP[snapKey(oui, pid)]; ok {
			e.frame(fe, payload)
		}
		return
	}
	e.l2Host()
	if fe, ok := e.frameDSAP[dsap]; ok {
		e.frame(fe, b[n:])
	}
}

func (e *Engine) frameByType(et uint16, b []byte) {
	if fe, ok := e.frameType[et]; ok {
		e.frame(fe, b)
	}
}

func snapKey(oui uint32, pid uint16) uint64 { return uint64(oui)<<16 | uint64(pid) }

// etherType dispatches the payload of an Ethernet II frame (or SNAP with a
// zero OUI, or a cooked capture's protocol field).
func (e *Engine) etherType(et uint16, b []byte, depth int) {
	switch et {
	case etherIPv4:
		if e.frameIP {
			e.frameByType(et, b)
		}
		e.ipv4(b, depth)
	case etherIPv6:
		if e.frameIP {
			e.frameByType(et, b)
		}
		e.ipv6(b, depth)
	case etherARP:
		if e.frameIP {
			e.frameByType(et, b)
		}
		e.arp(b)
	default:
		e.l2Host()
		e.frameByType(et, b)
	}
}

// l2Host records the frame's source MAC for a frame without an IP layer.
// Layer-2 cyclic traffic (PROFINET RT, GOOSE) comes from few senders, so
// the last one is remembered to skip the host map.
func (e *Engine) l2Host() {
	mac := e.pkt.Src.MAC
	if e.lastL2Idx >= 0 && e.lastL2Gen == e.hostGen && e.lastL2MAC == mac {
		e.seen(e.lastL2Idx)
		return
	}
	i := e.host(mac, netip.Addr{})
	e.lastL2MAC, e.lastL2Idx, e.lastL2Gen = mac, i, e.hostGen
}

// arp records the sender's MAC/IP binding of requests and replies
// (RFC 826), ignoring probes from 0.0.0.0 (RFC 5227).
func (e *Engine) arp(b []byte) {
	if len(b) < 28 {
		e.malformed()
		return
	}
	htype := binary.BigEndian.Uint16(b)
	ptype := binary.BigEndian.Uint16(b[2:])
	if htype != 1 || ptype != etherIPv4 || b[4] != 6 || b[5] != 4 {
		e.l2Host()
		return
	}
	var sha MAC
	copy(sha[:], b[8:14])
	spa := netip.AddrFrom4([4]byte(b[14:18]))
	if sha != e.pkt.Src.MAC {
		e.l2Host()
	}
	if spa.IsUnspecified() {
		if sha == e.pkt.Src.MAC {
			e.l2Host()
		}
		return
	}
	e.host(sha, spa)
}

// loopback decodes BSD DLT_NULL/DLT_LOOP: a 4-byte address family in the
// capturing host's byte order (NULL) or network order (LOOP).
func (e *Engine) loopback(b []byte) {
	if len(b) < 4 {
		e.malformed()
		return
	}
	fam := binary.LittleEndian.Uint32(b)
	if fam > 0xffff {
		fam = binary.BigEndian.Uint32(b)
	}
	p := &e.pkt
	p.Src.MAC, p.Dst.MAC, p.VLAN = MAC{}, MAC{}, 0
	switch fam {
	case 2: // AF_INET everywhere
		e.ipv4(b[4:], 0)
	case 10, 24, 28, 30: // AF_INET6: Linux, NetBSD/OpenBSD, FreeBSD, Darwin
		e.ipv6(b[4:], 0)
	default:
		e.malformed()
	}
}

// sll decodes a Linux cooked (v1) header: only the sender's address is known.
func (e *Engine) sll(b []byte) {
	if len(b) < 16 {
		e.malformed()
		return
	}
	p := &e.pkt
	p.Src.MAC, p.Dst.MAC, p.VLAN = MAC{}, MAC{}, 0
	if binary.BigEndian.Uint16(b[2:]) == 1 && binary.BigEndian.Uint16(b[4:]) == 6 {
		copy(p.Src.MAC[:], b[6:12])
	}
	e.cooked(binary.BigEndian.Uint16(b[14:]), b[16:])
}

// sll2 decodes a Linux cooked v2 header.
func (e *Engine) sll2(b []byte) {
	if len(b) < 20 {
		e.malformed()
		return
	}
	p := &e.pkt
	p.Src.MAC, p.Dst.MAC, p.VLAN = MAC{}, MAC{}, 0
	if binary.BigEndian.Uint16(b[8:]) == 1 && b[11] == 6 {
		copy(p.Src.MAC[:], b[12:18])
	}
	e.cooked(binary.BigEndian.Uint16(b[0:]), b[20:])
}

func (e *Engine) cooked(proto uint16, b []byte) {
	switch proto {
	case 0x0004: // 802.2 LLC frame
		e.llc(b, 0)
		return
	case 0x0001, 0x0003: // Novell 802.3, ETH_P_ALL
		e.l2Host()
		return
	}
	for tags := 0; proto == etherVLAN || proto == etherQinQ || proto == etherQinQ2; tags++ {
		if tags == maxVLANTags || len(b) < 4 {
			e.malformed()
			return
		}
		e.pkt.VLAN = binary.BigEndian.Uint16(b) & 0x0fff
		proto = binary.BigEndian.Uint16(b[2:])
		b = b[4:]
	}
	e.etherType(proto, b, 0)
}

// rawIP decodes a frame that starts with an IP header of either version.
func (e *Engine) rawIP(b []byte, depth int) {
	if len(b) < 1 {
		e.malformed()
		return
	}
	switch b[0] >> 4 {
	case 4:
		e.ipv4(b, depth)
	case 6:
		e.ipv6(b, depth)
	default:
		e.malformed()
	}
}

// ipv4 decodes an IPv4 header (RFC 791). A capture cut by its snap length
// keeps what it has; Ethernet padding after the datagram is dropped.
func (e *Engine) ipv4(b []byte, depth int) {
	if len(b) < 20 || b[0]>>4 != 4 {
		e.malformed()
		return
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total == 0 { // TCP segmentation offload: length left to the NIC
		total = len(b)
	}
	if ihl < 20 || ihl > len(b) || total < ihl {
		e.malformed()
		return
	}
	e.ipMissing = 0
	if total < len(b) {
		b = b[:total]
	} else {
		e.ipMissing = total - len(b) // cut by the capture's snap length
	}
	p := &e.pkt
	p.Src.IP = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst.IP = netip.AddrFrom4([4]byte(b[16:20]))
	frag := binary.BigEndian.Uint16(b[6:])
	if frag&0x3fff != 0 { // more-fragments flag or an offset
		e.st.Fragments++
		off := int(frag&0x1fff) * 8
		if off != 0 {
			e.host(p.Src.MAC, p.Src.IP) // no transport header in this fragment
		} else {
			// The first fragment counts in its flow now; the datagram is
			// dissected when complete.
			e.hostPending = true
			e.transport(b[9], b[ihl:], true, depth)
			e.ipHost()
		}
		k := fragKey{src: p.Src.IP.As16(), dst: p.Dst.IP.As16(), id: uint32(binary.BigEndian.Uint16(b[4:])), proto: b[9]}
		e.addFragment(k, off, frag&0x2000 != 0, b[ihl:], depth)
		return
	}
	if e.duplicateIP(b, ihl, false) {
		e.host(p.Src.MAC, p.Src.IP) // a router shows in its copy's layer 2
		return
	}
	// The source host is recorded by the flow lookup (cached per flow) or,
	// for other packets, by ipHost.
	e.hostPending = true
	e.transport(b[9], b[ihl:], false, depth)
	e.ipHost()
}

// ipHost records the IP packet's source host unless the flow lookup did.
func (e *Engine) ipHost() {
	if e.hostPending {
		e.hostPending = false
		e.host(e.pkt.Src.MAC, e.pkt.Src.IP)
	}
}

// ipv6 decodes an IPv6 header (RFC 8200) and its extension headers.
func (e *Engine) ipv6(b []byte, depth int) {
	if len(b) < 40 || b[0]>>4 != 6 {
		e.malformed()
		return
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	e.ipMissing = 0
	if plen != 0 && 40+plen < len(b) {
		b = b[:40+plen]
	} else if plen != 0 {
		e.ipMissing = 40 + plen - len(b)
	}
	p := &e.pkt
	p.Src.IP = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst.IP = netip.AddrFrom16([16]byte(b[24:40]))
	e.hostPending = true
	defer e.ipHost()
	if b[6] != 44 && e.duplicateIP(b, 40, true) {
		return // a router shows in its copy's layer 2: ipHost records it
	}
	e.ipv6Next(b[6], b[40:], depth, false)
}

// ipv6Next walks IPv6 extension headers from next over b and hands the
// transport payload on. reasm: b is a reassembled fragmentable part (a
// second fragment header in it is malformed).
func (e *Engine) ipv6Next(next uint8, b []byte, depth int, reasm bool) {
	first := false
	var (
		fk   fragKey
		foff int
		more bool
		fpay []byte
	)
	for i := 0; ; i++ {
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(b) < 8 || i == maxIPv6Ext {
				e.malformed()
				return
			}
			n := (int(b[1]) + 1) * 8
			if n > len(b) {
				e.malformed()
				return
			}
			next, b = b[0], b[n:]
			continue
		case 51: // authentication header
			if len(b) < 8 || i == maxIPv6Ext {
				e.malformed()
				return
			}
			n := (int(b[1]) + 2) * 4
			if n > len(b) {
				e.malformed()
				return
			}
			next, b = b[0], b[n:]
			continue
		case 44: // fragment
			if len(b) < 8 || i == maxIPv6Ext || reasm || first {
				e.malformed()
				return
			}
			e.st.Fragments++
			p := &e.pkt
			fk = fragKey{src: p.Src.IP.As16(), dst: p.Dst.IP.As16(), id: binary.BigEndian.Uint32(b[4:]), proto: b[0], v6: true}
			foff, more, fpay = int(binary.BigEndian.Uint16(b[2:])&0xfff8), b[3]&1 != 0, b[8:]
			if foff != 0 {
				e.addFragment(fk, foff, more, fpay, depth)
				return
			}
			// The first fragment counts in its flow now (the loop goes on
			// to its transport header); the datagram is dissected when
			// complete.
			first = true
			next, b = b[0], b[8:]
			continue
		}
		break
	}
	e.transport(next, b, first, depth)
	if first {
		e.addFragment(fk, foff, more, fpay, depth)
	}
}

// addFragment feeds a fragment to the reassembler and dissects the datagram
// it completes.
func (e *Engine) addFragment(k fragKey, off int, more bool, b []byte, depth int) {
	if d := e.fragment(k, off, more, b); d != nil {
		e.reassembled(d, depth)
		e.releaseFragment(d.data)
	}
}

// transport handles the IP payload. fragment is true for the first fragment
// of a fragmented datagram: its flow is counted but not dissected.
func (e *Engine) transport(proto uint8, b []byte, fragment bool, depth int) {
	p := &e.pkt
	switch proto {
	case 6:
		if len(b) < 20 {
			e.malformed()
			return
		}
		off := int(b[12]>>4) * 4
		if off < 20 || off > len(b) {
			e.malformed()
			return
		}
		p.SrcPort = binary.BigEndian.Uint16(b)
		p.DstPort = binary.BigEndian.Uint16(b[2:])
		seq := binary.BigEndian.Uint32(b[4:])
		ack := binary.BigEndian.Uint32(b[8:])
		e.tcp(seq, ack, b[13], b[off:], fragment)
	case 17:
		if len(b) < 8 {
			e.malformed()
			return
		}
		p.SrcPort = binary.BigEndian.Uint16(b)
		p.DstPort = binary.BigEndian.Uint16(b[2:])
		if n := int(binary.BigEndian.Uint16(b[4:])); n >= 8 && n < len(b) {
			b = b[:n]
		}
		b = b[8:]
		if p.DstPort == vxlanPort && depth < maxEncapsDep && !fragment {
			// VXLAN (RFC 7348): flags with the I bit, 24-bit VNI, then an
			// Ethernet frame. The tunnel itself is not a plant flow.
			if len(b) >= 8 && b[0]&0x08 != 0 {
				e.ipHost()
				e.reasm = false // the inner packets are counted as theirs
				e.ether(b[8:], depth+1)
				return
			}
		}
		e.udp(b, fragment)
	case 47:
		if depth < maxEncapsDep && !fragment {
			e.ipHost()
			e.reasm = false // the inner packets are counted as theirs
			e.gre(b, depth)
		}
	}
}

// gre decodes GRE (RFC 2784/2890) carrying Ethernet, IP or ERSPAN.
func (e *Engine) gre(b []byte, depth int) {
	if len(b) < 4 {
		e.malformed()
		return
	}
	flags := binary.BigEndian.Uint16(b)
	proto := binary.BigEndian.Uint16(b[2:])
	if flags&7 != 0 || flags&0x4000 != 0 {
		return // enhanced GRE (PPTP) or source routing: not a SPAN tunnel
	}
	n := 4
	if flags&0x8000 != 0 {
		n += 4
	}
	if flags&0x2000 != 0 {
		n += 4
	}
	seq := flags&0x1000 != 0
	if seq {
		n += 4
	}
	if n > len(b) {
		e.malformed()
		return
	}
	b = b[n:]
	d := depth + 1
	p := &e.pkt
	switch proto {
	case etherTEB:
		e.ether(b, d)
	case etherIPv4, etherIPv6:
		p.Src.MAC, p.Dst.MAC, p.VLAN = MAC{}, MAC{}, 0
		e.rawIP(b, d)
	case etherERSPAN:
		if !seq { // type I: the mirrored frame follows directly
			e.ether(b, d)
			return
		}
		// Type II: 8-byte header, version 1.
		if len(b) < 8 {
			e.malformed()
			return
		}
		e.ether(b[8:], d)
	case etherERSPN3:
		// Type III: 12-byte header, an optional 8-byte platform subheader
		// (O bit), frame type 0 = Ethernet, 2 = IP.
		if len(b) < 12 {
			e.malformed()
			return
		}
		ft := b[10] >> 2 & 0x1f
		h := 12
		if b[11]&1 != 0 {
			h += 8
		}
		if h > len(b) {
			e.malformed()
			return
		}
		switch ft {
		case 0:
			e.ether(b[h:], d)
		case 2:
			p.Src.MAC, p.Dst.MAC, p.VLAN = MAC{}, MAC{}, 0
			e.rawIP(b[h:], d)
		}
	}
}

// isUnicastIP reports whether ip can be a host's own address.
func isUnicastIP(ip netip.Addr) bool {
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() {
		return false
	}
	if ip.Is4() && ip.As4() == [4]byte{255, 255, 255, 255} {
		return false
	}
	return true
}
