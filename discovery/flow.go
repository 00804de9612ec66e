package discovery

import (
	"encoding/binary"
	"math/bits"
	"time"
)

// hostRef caches a flow endpoint's host entry (valid while gen matches).
type hostRef struct {
	idx int32
	gen uint32
}

// flowKey is a normalised 5-tuple: side a is the lesser (address, port).
type flowKey struct {
	a, b   [16]byte
	pa, pb uint16
	proto  uint8
}

// eq is k == o word by word: == on flowKey (37 octets and padding)
// compiles to a call of a generated field-by-field comparison.
func (k *flowKey) eq(o *flowKey) bool {
	return binary.LittleEndian.Uint64(k.a[:8]) == binary.LittleEndian.Uint64(o.a[:8]) &&
		binary.LittleEndian.Uint64(k.a[8:]) == binary.LittleEndian.Uint64(o.a[8:]) &&
		binary.LittleEndian.Uint64(k.b[:8]) == binary.LittleEndian.Uint64(o.b[:8]) &&
		binary.LittleEndian.Uint64(k.b[8:]) == binary.LittleEndian.Uint64(o.b[8:]) &&
		k.pa == o.pa && k.pb == o.pb && k.proto == o.proto
}

// Flow dissection modes.
const (
	modeNone    uint8 = iota // not dissected (unidentified, closed, disabled)
	modeDetect               // waiting for Detect to confirm a dissector
	modeDissect              // a stream or datagram dissector is attached
)

// flow is the engine's per-flow record.
type flow struct {
	F           Flow
	key         flowKey
	hash        uint64
	hnext       *flow // hash chain
	hostCache   [2]hostRef
	clientIsA   bool
	serverGroup bool // the server address was reached through a group MAC
	prev, next  *flow
	dirty       bool      // has a KindFlow delta to emit
	inDirty     bool      // is in Engine.dirty (kept across reuse of the struct)
	bufAcct     int       // bytes of buffers counted in Engine.buffered
	last        int64     // Unix ns of the latest packet
	firstTime   time.Time // earliest packet time of the current delta
	lastTime    time.Time // latest packet time of the current delta
	firstNS     int64     // firstTime and lastTime as Unix ns, compared per packet
	lastNS      int64
	pkts        uint64 // since the last KindFlow
	bytes       uint64
	ev          Evidence // the packet of firstTime

	handshake bool // a SYN or SYN-ACK was seen: stream starts are aligned
	closed    bool // both FINs or a RST
	fin       [2]bool
	payload   bool // some payload was seen (a later SYN starts a new connection)

	mode   uint8
	sd     StreamDissector
	stream Stream
	dd     DatagramDissector
	did    int   // index of the attached dissector in Engine.pdus
	tries  uint8 // UDP detection attempts
	half   [2]half
}

// tcp handles a TCP segment.
func (e *Engine) tcp(seq, ack uint32, flags uint8, payload []byte, fragment bool) {
	const (
		fin  = 0x01
		syn  = 0x02
		rst  = 0x04
		ackF = 0x10
	)
	f, dir := e.lookup(6, flags&(syn|ackF))
	if f == nil {
		return
	}
	if e.reasm {
		// A reassembled segment: the first fragment did the rest (flags);
		// only its payload and the other fragments' counts are new.
		e.account(f)
		if flags&syn != 0 {
			seq++
		}
		e.pkt.Dir, e.pkt.Flow = dir, &f.F
		if len(payload) > 0 && f.mode != modeNone {
			f.payload = true
			e.segment(f, dir, seq, payload)
		}
		if f.bufAcct != 0 || len(f.half[0].buf)|len(f.half[1].buf)|f.half[0].oooBytes|f.half[1].oooBytes != 0 {
			e.accountBuffers(f)
		}
		return
	}
	if flags&syn != 0 {
		if flags&ackF == 0 && (f.closed || f.payload || dir != ToServer) {
			// A new connection on a known 5-tuple.
			e.restart(f, ToServer)
			dir = ToServer
		}
		f.handshake = true
		h := &f.half[dir]
		h.next, h.seqKnown = seq+1, true
		seq++
	}
	e.account(f)
	p := &e.pkt
	p.Dir = dir
	p.Flow = &f.F
	if flags&ackF != 0 && f.mode != modeNone {
		// The peer acknowledges bytes past a hole in the other direction:
		// it received them, the capture missed them, they will not come.
		if oh := &f.half[1-dir]; len(oh.ooo) > 0 && int32(ack-oh.ooo[0].seq) > 0 {
			e.skipHole(f, 1-dir)
			p.Dir, p.Flow = dir, &f.F
		}
	}
	if e.ipMissing > 0 {
		// Cut by the snap length: the segment's end is not in the capture.
		// Dissecting it would misframe the stream; treat it as lost.
		e.st.Truncated++
		f.payload = true
		if h := &f.half[dir]; f.mode != modeNone && h.seqKnown && seq == h.next {
			e.resync(f, dir, seq+uint32(len(payload)+e.ipMissing))
		}
	} else if len(payload) > 0 && !fragment {
		f.payload = true
		if f.mode != modeNone {
			e.segment(f, dir, seq, payload)
		}
	}
	if flags&rst != 0 {
		e.closeFlow(f)
	} else if flags&fin != 0 {
		f.fin[dir] = true
		if f.fin[0] && f.fin[1] {
			e.closeFlow(f)
		}
	}
	if f.bufAcct != 0 || len(f.half[0].buf)|len(f.half[1].buf)|f.half[0].oooBytes|f.half[1].oooBytes != 0 {
		e.accountBuffers(f)
	}
}

// udp handles a UDP datagram.
func (e *Engine) udp(payload []byte, fragment bool) {
	f, dir := e.lookup(17, 0)
	if f == nil {
		return
	}
	e.account(f)
	p := &e.pkt
	p.Dir = dir
	p.Flow = &f.F
	if e.ipMissing > 0 {
		e.st.Truncated++
		return
	}
	if fragment || f.mode == modeNone {
		return
	}
	e.datagram(f, payload)
}

func (e *Engine) account(f *flow) {
	n, b := uint64(1), e.wire
	if e.reasm {
		// A reassembled datagram: the first fragment was counted on
		// arrival, the others are counted now.
		if n, b = e.reasmPkts, e.reasmBytes; n == 0 {
			return
		}
		e.reasmPkts, e.reasmBytes = 0, 0
	}
	// Times as captured need not grow (merged captures, clock steps):
	// the delta keeps its earliest and latest, not its first and last.
	if ns := e.pktNS; f.pkts == 0 {
		f.ev, f.firstTime, f.lastTime, f.firstNS, f.lastNS = e.pkt.Evidence, e.pkt.Time, e.pkt.Time, ns, ns
	} else if ns < f.firstNS {
		f.ev, f.firstTime, f.firstNS = e.pkt.Evidence, e.pkt.Time, ns
	} else if ns > f.lastNS {
		f.lastTime, f.lastNS = e.pkt.Time, ns
	}
	f.pkts += n
	f.bytes += b
	if !f.dirty {
		f.dirty = true
		if !f.inDirty {
			f.inDirty = true
			e.dirty = append(e.dirty, f)
		}
	}
}

// lookup finds or creates the flow of the current packet and says which
// way the packet goes. tcpFlags is SYN|ACK of a TCP segment (0 for UDP).
func (e *Engine) lookup(proto uint8, tcpFlags uint8) (*flow, Direction) {
	p := &e.pkt
	src, dst := p.Src.IP.As16(), p.Dst.IP.As16()
	k := flowKey{proto: proto}
	srcIsA := less(src, p.SrcPort, dst, p.DstPort)
	if srcIsA {
		k.a, k.pa, k.b, k.pb = src, p.SrcPort, dst, p.DstPort
	} else {
		k.a, k.pa, k.b, k.pb = dst, p.DstPort, src, p.SrcPort
	}
	hash := e.hashKey(&k)
	f := e.flows[hash&e.flowMask]
	for f != nil && (f.hash != hash || !f.key.eq(&k)) {
		f = f.hnext
	}
	if f == nil {
		f = e.newFlow(k, hash)
		clientIsSrc := e.clientIsSrc(proto, tcpFlags)
		f.clientIsA = clientIsSrc == srcIsA
		e.setEndpoints(f, clientIsSrc)
		e.attach(f)
	} else {
		e.touch(f)
	}
	if e.pktNS > f.last {
		f.last = e.pktNS
	}
	dir := ToClient
	if srcIsA == f.clientIsA {
		dir = ToServer
	}
	e.flowHost(f, dir)
	return f, dir
}

// hashKey mixes a flow key with the engine's random seeds (so crafted
// traffic cannot aim at one hash chain).
func (e *Engine) hashKey(k *flowKey) uint64 {
	a0, a1 := binary.LittleEndian.Uint64(k.a[:8]), binary.LittleEndian.Uint64(k.a[8:])
	b0, b1 := binary.LittleEndian.Uint64(k.b[:8]), binary.LittleEndian.Uint64(k.b[8:])
	ports := uint64(k.pa)<<24 | uint64(k.pb)<<8 | uint64(k.proto)
	h := mix(a0^e.seed[0], a1^e.seed[1])
	h = mix(h^b0, b1^e.seed[2])
	return mix(h^ports, e.seed[0])
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func less(a [16]byte, pa uint16, b [16]byte, pb uint16) bool {
	a0, b0 := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	if a0 != b0 {
		return a0 < b0
	}
	a1, b1 := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	if a1 != b1 {
		return a1 < b1
	}
	return pa <= pb
}

// clientIsSrc decides the roles of a new flow from its first packet: the
// TCP handshake (SYN sender is the client, SYN-ACK sender the server), else
// the port a dissector claims, else the lower port is the server; with
// equal ports the first sender is the client.
func (e *Engine) clientIsSrc(proto uint8, tcpFlags uint8) bool {
	const syn, ack = 0x02, 0x10
	p := &e.pkt
	if proto == 6 && tcpFlags&syn != 0 {
		return tcpFlags&ack == 0
	}
	if !isUnicastIP(p.Dst.IP) {
		return true // a broadcast/multicast destination is never the client
	}
	var dstClaimed, srcClaimed bool
	if proto == 6 {
		_, dstClaimed = e.set.TCP[p.DstPort]
		_, srcClaimed = e.set.TCP[p.SrcPort]
	} else {
		_, dstClaimed = e.set.UDP[p.DstPort]
		_, srcClaimed = e.set.UDP[p.SrcPort]
	}
	if dstClaimed != srcClaimed {
		return dstClaimed
	}
	if p.SrcPort == p.DstPort {
		return true
	}
	return p.DstPort < p.SrcPort
}

func (e *Engine) setEndpoints(f *flow, clientIsSrc bool) {
	p := &e.pkt
	src, dst := p.Src, p.Dst
	// An IPv4 server reached through a broadcast or multicast MAC from a
	// real host is a subnet-directed broadcast address (10.0.0.255), not a
	// host. (Synthetic captures with fake MACs are left alone.)
	f.serverGroup = clientIsSrc && dst.IP.Is4() && src.MAC.IsUnicast() && !dst.MAC.IsZero() && !dst.MAC.IsUnicast()
	if !src.MAC.IsUnicast() {
		src.MAC = MAC{}
	}
	if !dst.MAC.IsUnicast() {
		dst.MAC = MAC{}
	}
	f.F.Transport = TCP
	if f.key.proto == 17 {
		f.F.Transport = UDP
	}
	if clientIsSrc {
		f.F.Client, f.F.Server = src, dst
		f.F.ClientPort, f.F.ServerPort = p.SrcPort, p.DstPort
	} else {
		f.F.Client, f.F.Server = dst, src
		f.F.ClientPort, f.F.ServerPort = p.DstPort, p.SrcPort
	}
}

// attach picks the dissector candidates of a new flow.
func (e *Engine) attach(f *flow) {
	f.mode = modeNone
	if f.F.Transport == TCP {
		if sd := e.set.TCP[f.F.ServerPort]; sd != nil {
			f.sd, f.mode = sd, modeDetect
		} else if len(e.heurTCP) > 0 {
			f.mode = modeDetect
		}
		return
	}
	dd := e.set.UDP[f.F.ServerPort]
	if dd == nil {
		dd = e.set.UDP[f.F.ClientPort]
	}
	if dd != nil {
		f.dd, f.mode = dd, modeDetect
	} else if len(e.heurUDP) > 0 {
		f.mode = modeDetect
	}
}

// restart turns f into a new connection whose client is the sender of the
// current packet (a SYN on a known 5-tuple).
func (e *Engine) restart(f *flow, _ Direction) {
	if f.pkts > 0 {
		e.emitFlow(f, true) // the old connection ends here
	}
	k, hash, hnext := f.key, f.hash, f.hnext
	prev, next := f.prev, f.next
	e.stopDissect(f)
	e.resetFlow(f)
	f.key, f.hash, f.hnext, f.prev, f.next = k, hash, hnext, prev, next
	f.hostCache = [2]hostRef{{-1, 0}, {-1, 0}}
	p := &e.pkt
	f.clientIsA = less(p.Src.IP.As16(), p.SrcPort, p.Dst.IP.As16(), p.DstPort)
	e.setEndpoints(f, true)
	e.attach(f)
	f.last = e.pktNS
}

func (e *Engine) newFlow(k flowKey, hash uint64) *flow {
	if e.nflows >= e.opt.MaxFlows && e.tail != nil {
		e.st.FlowsEvictedFull++
		e.evict(e.tail)
	}
	var f *flow
	if n := len(e.free); n > 0 {
		f = e.free[n-1]
		e.free = e.free[:n-1]
	} else {
		f = &flow{}
	}
	f.key, f.hash = k, hash
	if e.nflows >= len(e.flows) {
		e.growFlows()
	}
	b := &e.flows[hash&e.flowMask]
	f.hnext = *b
	*b = f
	e.nflows++
	f.hostCache = [2]hostRef{{-1, 0}, {-1, 0}}
	// push front
	f.prev, f.next = nil, e.head
	if e.head != nil {
		e.head.prev = f
	}
	e.head = f
	if e.tail == nil {
		e.tail = f
	}
	return f
}

// minFlowBuckets is the flow table's initial size (a power of two).
const minFlowBuckets = 1024

// growFlows doubles the bucket array and rechains every flow (all of them
// are on the LRU list).
func (e *Engine) growFlows() {
	n := 2 * len(e.flows)
	e.flows = make([]*flow, n)
	e.flowMask = uint64(n - 1)
	for f := e.head; f != nil; f = f.next {
		b := &e.flows[f.hash&e.flowMask]
		f.hnext = *b
		*b = f
	}
}

// touch moves f to the front of the LRU list.
func (e *Engine) touch(f *flow) {
	if e.head == f {
		return
	}
	// unlink
	f.prev.next = f.next
	if f.next != nil {
		f.next.prev = f.prev
	} else {
		e.tail = f.prev
	}
	f.prev, f.next = nil, e.head
	e.head.prev = f
	e.head = f
}

// evictIdle drops flows idle longer than FlowIdle (packet time).
func (e *Engine) evictIdle() {
	cutoff := e.now - int64(e.opt.FlowIdle)
	for e.tail != nil && e.tail.last < cutoff {
		e.evict(e.tail)
	}
}

// evict emits f's pending delta and removes it from the table.
func (e *Engine) evict(f *flow) {
	e.st.FlowsEvicted++
	e.finish(f)
	if f.pkts > 0 {
		e.emitFlow(f, true)
	}
	if f.prev != nil {
		f.prev.next = f.next
	} else {
		e.head = f.next
	}
	if f.next != nil {
		f.next.prev = f.prev
	} else {
		e.tail = f.prev
	}
	// unlink from the hash chain
	if b := &e.flows[f.hash&e.flowMask]; *b == f {
		*b = f.hnext
	} else {
		head := *b
		for q := head; q != nil; q = q.hnext {
			if q.hnext == f {
				q.hnext = f.hnext
				break
			}
		}
	}
	e.nflows--
	e.release(f)
	e.free = append(e.free, f)
}

// release drops f's dissection state and large buffers, keeping the struct
// for reuse.
func (e *Engine) release(f *flow) {
	e.resetFlow(f)
}

func (e *Engine) resetFlow(f *flow) {
	e.buffered -= f.bufAcct
	inDirty := f.inDirty
	*f = flow{inDirty: inDirty}
}

// accountBuffers updates the engine-wide count of bytes held in f's
// reassembly buffers and, when the total exceeds MaxBuffered, drops f's
// buffers and stops dissecting it: a capture with very many flows each
// holding a partial PDU must not exhaust memory.
func (e *Engine) accountBuffers(f *flow) {
	n := cap(f.half[0].buf) + cap(f.half[1].buf) + f.half[0].oooBytes + f.half[1].oooBytes
	if n == f.bufAcct {
		return
	}
	e.buffered += n - f.bufAcct
	f.bufAcct = n
	if n > 0 && e.buffered > e.opt.MaxBuffered {
		e.st.BufferOverflows++
		e.stopDissect(f)
		n = cap(f.half[0].buf) + cap(f.half[1].buf)
		e.buffered += n - f.bufAcct
		f.bufAcct = n
	}
}

// closeFlow ends dissection after a RST or both FINs. The flow stays in the
// table (trailing ACKs keep counting to it) until idle or a new SYN.
func (e *Engine) closeFlow(f *flow) {
	f.closed = true
	e.finish(f)
	e.stopDissect(f)
}

// emitFlow emits f's delta. Until its protocol is known (a TCP handshake
// before the first payload, a datagram flow still being tried, a dissector
// still refining it: Flow.ProtocolPending) the delta waits unless final: flushed as it stood, its packets would be filed under
// an "unknown" communication of their own, and where a flush falls (every
// batch, every few seconds of wall time) would decide how many.
func (e *Engine) emitFlow(f *flow, final bool) {
	f.dirty = false
	if f.pkts == 0 {
		return
	}
	if !final && (f.mode == modeDetect && f.F.Protocol == "" || f.F.ProtocolPending) {
		return // kept: the next packet makes it dirty again; evict and Close emit it
	}
	pk, by := f.pkts, f.bytes
	f.pkts, f.bytes = 0, 0
	if f.serverGroup || !isUnicastIP(f.F.Server.IP) {
		// Broadcast and multicast are not servers: the datagrams are
		// dissected, but there is no communication to record.
		return
	}
	proto := f.F.Protocol
	if proto == "" {
		proto = "unknown"
	}
	e.emit(Observation{
		Kind: KindFlow, Time: f.lastTime, Since: f.firstTime, Evidence: f.ev,
		Asset: f.F.Client, Peer: f.F.Server,
		Protocol: proto, Transport: f.F.Transport.String(), Port: f.F.ServerPort,
		Packets: pk, Bytes: by,
	})
}
