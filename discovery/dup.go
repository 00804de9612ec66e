package discovery

// SPAN duplicates. A mirror session whose sources are several ports or
// VLANs of one switch hands the capture the same IP packet twice: once as
// it entered the switch and once as it left (for a routed packet, once on
// each VLAN, the second copy with the router's MAC and a decremented TTL).
// profinet_io_cm_mixed_1.pcap is such a capture: every packet twice, 1 µs
// apart, the same IP identification. Counting both would double every
// flow's packets and every operation; dissecting both would see each PDU
// twice.
//
// The engine keys every unfragmented IP packet by what a forwarding hop
// does not change (version, length, identification, flags, protocol,
// addresses, IPv6 flow label and next header, and the first 24 octets of
// the transport header and payload: ports, sequence numbers, checksum),
// leaving out what it does (TTL/hop limit, header checksum, DSCP/ECN, the
// layer 2). A packet whose key was seen within dupWindow is a duplicate:
// its layer-2 facts (the MAC/IP binding and VLAN it was seen with, which
// is how a router shows) are still recorded, but it is not counted in its
// flow and not dissected again. A different packet with the same key
// would need a 64-bit hash collision within 20 ms; an application that
// sends the very same datagram twice within 20 ms (same IPv4
// identification, or IPv6) is counted once, which loses nothing an
// inventory keeps.

// The table is set-associative and its hash is fixed, not seeded: whether
// a duplicate is recognised must not depend on the run. (A randomly seeded
// direct-mapped table made it depend on which other packets of the 20 ms
// window happened to share a slot, so two ingests of the same merged
// capture could count a flow's packets differently.) Crafted traffic can
// at worst push a packet out of its set before its copy arrives, which
// counts that copy: no algorithmic cost, and the same on every run.

import "encoding/binary"

const (
	dupWays   = 4
	dupSets   = 2048 // a power of two; dupSets*dupWays entries
	dupWindow = 20e6 // ns
)

// duplicateIP's replacement picks among exactly four ways.
const _ = uint(dupWays-4) + uint(4-dupWays)

// Fixed odd multipliers for the duplicate hash (the first 64 bits of the
// fractional parts of sqrt(2), sqrt(3), sqrt(5)).
const (
	dupK0 = 0x6a09e667f3bcc909
	dupK1 = 0xbb67ae8584caa73b
	dupK2 = 0x3c6ef372fe94f82b
)

// A set's keys and times share one 64-byte line.
type dupTable [dupSets]struct {
	key  [dupWays]uint64
	when [dupWays]int64
}

// duplicateIP reports whether the IP packet ip (its header, hdr bytes long,
// then its payload, as captured) repeats one seen within dupWindow, and
// remembers it otherwise.
func (e *Engine) duplicateIP(ip []byte, hdr int, v6 bool) bool {
	if e.opt.KeepDuplicates {
		return false
	}
	var h uint64
	if v6 {
		// version and flow label, payload length and next header (not
		// traffic class or hop limit); then the addresses.
		w := binary.BigEndian.Uint64(ip) &^ 0x0ff00000000000ff
		h = mix(w^dupK0, binary.BigEndian.Uint64(ip[8:])^dupK1)
		h = mix(h^binary.BigEndian.Uint64(ip[16:]), binary.BigEndian.Uint64(ip[24:])^dupK2)
		h = mix(h^binary.BigEndian.Uint64(ip[32:]), dupK0)
	} else {
		// version/IHL, length, identification, flags/offset (not DSCP/ECN);
		// protocol (not TTL or checksum); addresses.
		w := binary.BigEndian.Uint64(ip) &^ 0x00ff000000000000
		h = mix(w^dupK0, uint64(ip[9])<<56^binary.BigEndian.Uint64(ip[12:])^dupK1)
	}
	t := ip[hdr:]
	if len(t) < 24 {
		var pad [24]byte // short: zero-padded, as a shorter packet would be
		copy(pad[:], t)
		t = pad[:]
	}
	h = mix(h^binary.LittleEndian.Uint64(t[0:]), binary.LittleEndian.Uint64(t[8:])^dupK2)
	h = mix(h^binary.LittleEndian.Uint64(t[16:]), dupK1)
	d := &e.dups[(h>>32)&(dupSets-1)]
	for w := range dupWays {
		if d.key[w] == h {
			if age := e.pktNS - d.when[w]; age >= 0 && age <= dupWindow {
				e.st.Duplicates++
				return true
			}
			d.when[w] = e.pktNS // the same packet again, too late: refresh it
			return false
		}
	}
	// Replace the oldest way (an empty one has time 0).
	v := 0
	if d.when[1] < d.when[v] {
		v = 1
	}
	if d.when[2] < d.when[v] {
		v = 2
	}
	if d.when[3] < d.when[v] {
		v = 3
	}
	d.key[v], d.when[v] = h, e.pktNS
	return false
}
