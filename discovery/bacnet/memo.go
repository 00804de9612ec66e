package bacnet

import (
	"encoding/binary"
	"net/netip"

	"github.com/otzone/otzone/discovery"
)

// memoSize is the number of header shapes a flow remembers (a poller and
// its server use two or three: request, ack, error).
const memoSize = 4

// flowMemo is a BACnet/IP flow's memory of the headers of its last few
// distinct datagrams (both directions), kept in discovery.Flow.State:
// bounded per flow (784 bytes, and 256 more for the tail rings of a flow
// whose acks alternate), never by packets. The entries are inline so
// that a lookup follows one pointer from the flow.
type flowMemo struct {
	e    [memoSize]memoEntry // first: 192-byte entries on cache-line boundaries
	n    uint8               // entries in use
	next uint8               // the entry to replace next when full
	last uint8               // the entry found or stored last
	// per direction (discovery.Direction), the entry found or stored
	// last for a datagram sent that way: requests and replies alternate,
	// so a lookup tries the entry of the previous datagram sent the same
	// way first
	lastDir [2]uint8
	// rings, made when an entry's service data first alternates, hold
	// per entry the other service data handled under it (tailRing).
	rings *[memoSize]tailRing
}

// tailRing is the hashes (seeded maphash, the length folded in) of the
// last few distinct service data (I-Am, ack) handled under a memo entry,
// besides its tail, all under generation gen: a poller reading a
// device's properties in turn gets acks of one header shape whose values
// alternate, and handling one of them again under the same generation
// reports nothing, as with the tail. As with hot, a collision could only
// hide new service data whose 64-bit word equals one of the last seven
// of the same entry (odds ~2^-61 per datagram).
type tailRing struct {
	gen  uint32
	n    uint8 // hashes in use
	next uint8 // the hash to replace next when full
	h    [7]uint64
}

// has reports whether h was added under gen.
func (r *tailRing) has(gen uint32, h uint64) bool {
	if r.gen != gen {
		return false
	}
	for _, x := range r.h[:r.n] {
		if x == h {
			return true
		}
	}
	return false
}

// add adds h under gen, forgetting what was added under another
// generation, and the oldest hash when full.
func (r *tailRing) add(gen uint32, h uint64) {
	if r.gen != gen {
		r.gen, r.n, r.next = gen, 0, 0
	}
	if r.has(gen, h) {
		return
	}
	if int(r.n) < len(r.h) {
		r.h[r.n] = h
		r.n++
		return
	}
	r.h[r.next%uint8(len(r.h))] = h
	r.next++
}

// memoEntry is one datagram's headers and what handling them gave that
// does not depend on the de-duplication state: the operation, and where
// the service data starts and what reads it. It is kept small, the
// fields every lookup compares first and the headers inline, so that a
// lookup touches few cache lines.
type memoEntry struct {
	// first cache line: what every lookup compares first
	gen    uint32
	sport  uint16
	dport  uint16
	hdr    int8                 // length of the headers (shape), 0 = unused, -1 = cannot replay
	invoke uint8                // offset of the invoke id (not compared), 0 = none
	action uint8                // actNone, actIAm, actAck
	svc    uint8                // the ack's service
	nops   uint8                // 0 or 1 operation, opCode (name and class: opInfo)
	link   bool                 // the operation is between the packet's sender and receiver, not the message's
	msgOf  uint8                // the message's endpoints: msgPacket, msgSubs or msgEnds
	ok     bool                 // the headers were parsed to the end
	shape  [maxShape / 8]uint64 // the headers, little-endian words
	opCode int32
	srcSub uint32
	dstSub uint32
	// srcPort and dstUnicast as computed for the message
	srcPort    uint16
	dstUnicast bool
	tailOK     bool
	// second line: the packet's addresses (a packet with a Sub is never
	// memoized)
	srcIP, dstIP   netip.Addr
	srcMAC, dstMAC discovery.MAC
	// tail is the service data (I-Am, ack) last handled under this entry
	// and generation tailGen, when tailOK.
	tailGen uint32
	// third line: what a replay of an operation or service data reads
	subSrc string
	subDst string
	ends   *[2]discovery.Endpoint // the message's endpoints for msgEnds (Forwarded-NPDU)
	tail   []byte
}

// maxShape bounds the headers a memo entry keeps (BVLC 4-10, NPDU 2-25,
// APDU 2-6 octets; most are under 24); datagrams with longer ones are
// always parsed.
const maxShape = 32

const (
	actNone = iota
	actIAm
	actAck
)

// opInfo is the name and class op gives code (see op's code spaces),
// from a table made once: a replay names an operation per datagram.
func opInfo(code int) (string, discovery.OpClass) {
	if uint(code) < uint(len(opInfos)) {
		e := &opInfos[code]
		return e.name, e.class
	}
	return opInfoOf(code)
}

// opInfos holds opInfoOf of every code op makes (three spaces of 256).
var opInfos = func() (t [0x300]struct {
	name  string
	class discovery.OpClass
}) {
	for c := range t {
		t[c].name, t[c].class = opInfoOf(c)
	}
	return t
}()

func opInfoOf(code int) (string, discovery.OpClass) {
	switch code >> 8 {
	case 0:
		s := ConfirmedService(code)
		return s.String(), s.Class()
	case 1:
		f := BVLCFunction(code & 0xff)
		return f.String(), bvlcClass(f)
	}
	s := UnconfirmedService(code & 0xff)
	return s.String(), s.Class()
}

// Where a replay finds the message's endpoints (msg.src, msg.dst).
const (
	msgPacket = iota // the packet's sender and receiver (most)
	msgSubs          // the same with the sub-addresses subSrc, subDst
	msgEnds          // ends (a Forwarded-NPDU's originator)
)

// msgEnds returns the message's endpoints for a packet matching e; the
// common case reads nothing past the entry's first cache line.
func (e *memoEntry) msgEnds(pkt *discovery.PacketInfo) (src, dst discovery.Endpoint) {
	switch e.msgOf {
	case msgPacket:
		return pkt.Src, receiver(pkt.Dst)
	case msgSubs:
		src, dst = pkt.Src, receiver(pkt.Dst)
		src.Sub, dst.Sub = e.subSrc, e.subDst
		return src, dst
	}
	return e.ends[0], e.ends[1]
}

func (e *memoEntry) reset() {
	e.ok, e.hdr, e.invoke, e.action, e.svc, e.nops, e.link = false, 0, 0, actNone, 0, 0, false
}

// setMsg keeps what a replay needs of m.
func (e *memoEntry) setMsg(m *msg) {
	e.srcSub, e.dstSub, e.srcPort, e.dstUnicast = m.srcSub, m.dstSub, m.srcPort, m.dstUnicast
	src, dst := m.pkt.Src, receiver(m.pkt.Dst)
	src.Sub, dst.Sub = m.src.Sub, m.dst.Sub
	switch {
	case src != m.src || dst != m.dst:
		e.msgOf, e.subSrc, e.subDst, e.ends = msgEnds, "", "", &[2]discovery.Endpoint{m.src, m.dst}
	case m.src.Sub == "" && m.dst.Sub == "":
		e.msgOf, e.subSrc, e.subDst, e.ends = msgPacket, "", "", nil
	default:
		e.msgOf, e.subSrc, e.subDst, e.ends = msgSubs, m.src.Sub, m.dst.Sub, nil
	}
}

// addOp records an operation op emitted; one that a replay could not
// rebuild marks the entry unusable.
func (e *memoEntry) addOp(m *msg, client, server discovery.Endpoint, code int, name string, class discovery.OpClass) {
	var link bool
	switch {
	case m.transport != "udp" || m.dstPort != m.pkt.DstPort || e.nops != 0 || int(int32(code)) != code:
		e.hdr = -1
		return
	case client == m.src && server == m.dst:
	case client == m.pkt.Src && server == receiver(m.pkt.Dst):
		link = true
	default:
		e.hdr = -1
		return
	}
	if n, c := opInfo(code); n != name || c != class {
		e.hdr = -1
		return
	}
	e.opCode, e.link, e.nops = int32(code), link, 1
}

// record notes the headers of an APDU the message carries.
func (d *Dissector) record(m *msg, n NPDU, a APDU) {
	e := d.rec
	if e.hdr < 0 {
		return
	}
	apdu := len(m.data) - len(n.APDU)
	hdr := 0
	if a.Data == nil {
		hdr = apdu + 3 // simple ack: type, invoke id, service
	} else {
		hdr = len(m.data) - len(a.Data)
	}
	if hdr > maxShape {
		e.hdr = -1
		return
	}
	e.hdr = int8(hdr)
	switch a.Type {
	case PDUConfirmedRequest:
		e.invoke = uint8(apdu + 2)
	case PDUUnconfirmedRequest:
	default:
		e.invoke = uint8(apdu + 1)
	}
	switch {
	case a.Type == PDUUnconfirmedRequest && UnconfirmedService(a.Service) == SvcIAm:
		e.action = actIAm
	case a.Type == PDUComplexAck && (!a.Segmented || a.Sequence == 0) &&
		(ConfirmedService(a.Service) == SvcReadProperty || ConfirmedService(a.Service) == SvcReadPropertyMultiple):
		// the acks that ack reads (an AtomicReadFile-ACK's file data is
		// nothing it reports)
		e.action, e.svc = actAck, a.Service
	}
	e.ok = true
	e.setMsg(m)
}

// setHeader notes headers of hdr octets with nothing after them that
// a replay reads (BVLC functions without NPDU, network messages).
func (e *memoEntry) setHeader(m *msg, hdr int) {
	if e.hdr != 0 {
		return
	}
	if hdr > maxShape {
		e.hdr = -1
		return
	}
	e.hdr, e.ok = int8(hdr), true
	e.setMsg(m)
}

// find returns the entry whose headers data repeats, as sent in pkt under
// generation gen, or nil; the entry found last for the packet's direction
// is tried first. The addresses are compared before the headers: both
// directions of a flow often use the same ports, and a routed flow seen
// on both sides of its router has two pairs of MACs.
func (f *flowMemo) find(data []byte, pkt *discovery.PacketInfo, gen uint32) *memoEntry {
	if len(data) < 4 || binary.BigEndian.Uint16(data[2:4]) < 4 {
		return nil // ParseBVLC refuses these: no shape to match
	}
	n := int(f.n)
	dir := pkt.Dir & 1
	i := int(f.lastDir[dir])
	for range n {
		if i >= n {
			i = 0
		}
		e := &f.e[i]
		i++
		h := int(e.hdr)
		if e.gen != gen || len(data) < h || e.sport != pkt.SrcPort || e.dport != pkt.DstPort ||
			e.srcIP != pkt.Src.IP || e.dstIP != pkt.Dst.IP || e.srcMAC != pkt.Src.MAC || e.dstMAC != pkt.Dst.MAC || !e.sameShape(data) {
			continue
		}
		f.last = uint8(i - 1)
		f.lastDir[dir] = f.last
		return e
	}
	return nil
}

// store keeps a copy of the completed entry s for data as sent in pkt,
// replacing the oldest when the memo is full.
func (f *flowMemo) store(s *memoEntry, data []byte, pkt *discovery.PacketInfo, gen uint32) {
	h := int(s.hdr)
	if h < 4 || h > len(data) {
		return
	}
	var e *memoEntry
	if f.n < memoSize {
		f.last = f.n
		e = &f.e[f.n]
		f.n++
	} else {
		f.last = f.next % memoSize
		e = &f.e[f.last]
		f.next++
	}
	f.lastDir[pkt.Dir&1] = f.last
	if f.rings != nil {
		f.rings[f.last] = tailRing{} // its hashes were another entry's
	}
	tail := e.tail
	*e = *s
	for w := range e.shape {
		e.shape[w] = 0
		if 8*w < h {
			e.shape[w] = word(data[:h], 8*w)
		}
	}
	e.gen, e.sport, e.dport = gen, pkt.SrcPort, pkt.DstPort
	e.srcIP, e.dstIP, e.srcMAC, e.dstMAC = pkt.Src.IP, pkt.Dst.IP, pkt.Src.MAC, pkt.Dst.MAC
	e.tail = tail
	e.setTail(data[h:], gen, e.action != actNone)
}

// maxTail bounds the service data a memo entry keeps.
const maxTail = 64

// setTail remembers the service data just handled; ok is false when the
// de-duplication state was cleared meanwhile.
func (e *memoEntry) setTail(tail []byte, gen uint32, ok bool) {
	e.tailOK = ok && len(tail) <= maxTail
	if e.tailOK {
		e.tail, e.tailGen = append(e.tail[:0], tail...), gen
	}
}

// word returns the 8 octets of b at off as a little-endian word, zeros
// past the end of b.
func word(b []byte, off int) uint64 {
	if off+8 <= len(b) {
		return binary.LittleEndian.Uint64(b[off:])
	}
	var v uint64
	for i := len(b) - 1; i >= off; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// shapeMasks[h] selects the octets of h-octet headers that sameShape
// compares, in little-endian words: all but the BVLC length (octets 2-3).
var shapeMasks = func() (t [maxShape + 1][maxShape / 8]uint64) {
	for h := 1; h <= maxShape; h++ {
		for i := 0; i < h; i++ {
			if i != 2 && i != 3 {
				t[h][i>>3] |= 0xff << (8 * (i & 7))
			}
		}
	}
	return t
}()

// sameShape reports whether data (at least hdr octets) starts with e's
// headers, the BVLC length (octets 2-3) and the invoke id aside: word by
// word under a mask, without a call per compared run.
func (e *memoEntry) sameShape(data []byte) bool {
	h := int(e.hdr)
	if h <= 0 {
		return true
	}
	if h > maxShape {
		return false // store never keeps such headers
	}
	m := shapeMasks[h]
	if inv := uint(e.invoke); inv > 0 && inv < uint(h) {
		m[inv>>3&3] &^= 0xff << (8 * (inv & 7))
	}
	nw := (h + 7) >> 3
	if len(data) >= 8*nw {
		var x uint64
		for w := range nw {
			x |= (binary.LittleEndian.Uint64(data[8*w:]) ^ e.shape[w]) & m[w]
		}
		return x == 0
	}
	for w := range nw {
		if (word(data, 8*w)^e.shape[w])&m[w] != 0 {
			return false
		}
	}
	return true
}
