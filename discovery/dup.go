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

import "encoding/binary"

const (
	dupSlots  = 4096 // direct-mapped, a power of two
	dupWindow = 20e6 // ns
)

type dupTable struct {
	key  [dupSlots]uint64
	when [dupSlots]int64
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
		h = mix(w^e.seed[0], binary.BigEndian.Uint64(ip[8:])^e.seed[1])
		h = mix(h^binary.BigEndian.Uint64(ip[16:]), binary.BigEndian.Uint64(ip[24:])^e.seed[2])
		h = mix(h^binary.BigEndian.Uint64(ip[32:]), e.seed[0])
	} else {
		// version/IHL, length, identification, flags/offset (not DSCP/ECN);
		// protocol (not TTL or checksum); addresses.
		w := binary.BigEndian.Uint64(ip) &^ 0x00ff000000000000
		h = mix(w^e.seed[0], uint64(ip[9])<<56^binary.BigEndian.Uint64(ip[12:])^e.seed[1])
	}
	var t [24]byte
	copy(t[:], ip[hdr:])
	h = mix(h^binary.LittleEndian.Uint64(t[0:]), binary.LittleEndian.Uint64(t[8:])^e.seed[2])
	h = mix(h^binary.LittleEndian.Uint64(t[16:]), e.seed[1])
	i := h & (dupSlots - 1)
	d := &e.dups
	if d.key[i] == h {
		if age := e.pktNS - d.when[i]; age >= 0 && age <= dupWindow {
			e.st.Duplicates++
			return true
		}
	}
	d.key[i], d.when[i] = h, e.pktNS
	return false
}
