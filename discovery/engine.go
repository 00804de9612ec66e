package discovery

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// EngineOptions bound the engine's memory and say how long flows live.
type EngineOptions struct {
	// FlowIdle evicts a flow not seen for this long (packet time). Default 5m.
	FlowIdle time.Duration
	// MaxFlows bounds the flow table; when full the least recently seen
	// flow is evicted. Default 1<<20.
	MaxFlows int
	// MaxStreamBuffer bounds the bytes buffered per TCP direction (a partial
	// PDU, out-of-order segments); a PDU longer than this is skipped.
	// Default 256 KiB.
	MaxStreamBuffer int
	// MaxBuffered bounds the bytes held in TCP reassembly buffers across
	// all flows; a flow whose buffering would exceed it stops being
	// dissected. Default 256 MiB.
	MaxBuffered int
	// MaxHosts bounds the host de-duplication table (MAC/IP pairs and their
	// VLANs); when full it is flushed and started afresh, which only costs
	// repeated observations. Default 1<<20.
	MaxHosts int
	// KeepDuplicates turns SPAN duplicate suppression off (dup.go): every
	// copy of a packet is counted and dissected.
	KeepDuplicates bool
	// Logger receives dissector panics and similar rare events. Default: discard.
	Logger *slog.Logger
}

// EngineStats are the engine's counters since NewEngine.
type EngineStats struct {
	Packets uint64
	Bytes   uint64 // on the wire (original length)
	// Malformed frames: a header too short or inconsistent to decode.
	Malformed           uint64
	UnsupportedLinkType uint64
	// Fragments: IP fragments seen. The first fragment is counted in its
	// flow; the datagram is dissected once reassembled (see Fragment).
	Fragments uint64
	Fragment  FragmentStats
	// DissectorErrors: Parse/Datagram/Frame errors and PDULen framing errors.
	DissectorErrors uint64
	// DissectorPanics: panics recovered at the dissector boundary (the
	// dissector is then disabled for that flow).
	DissectorPanics uint64
	// FlowsEvicted: flows dropped for idleness or because the table was full
	// (FlowsEvictedFull counts the latter alone).
	FlowsEvicted     uint64
	FlowsEvictedFull uint64
	ActiveFlows      int
	Hosts            int
	// Duplicates: IP packets seen a second time within 20 ms (a SPAN
	// session mirroring a packet where it enters and where it leaves the
	// switch): their layer-2 facts are recorded, but they are neither
	// counted in their flow nor dissected again (dup.go).
	Duplicates uint64
	// Truncated: TCP/UDP packets cut by the capture's snap length; they are
	// counted in their flow but not dissected.
	Truncated uint64
	// TCPGaps: times a direction skipped over missing bytes.
	TCPGaps uint64
	// OversizePDUs: PDUs longer than MaxStreamBuffer, skipped.
	OversizePDUs uint64
	// BufferOverflows: flows whose dissection stopped because all flows'
	// reassembly buffers together reached MaxBuffered.
	BufferOverflows uint64
	// BufferedBytes: bytes held in reassembly buffers now.
	BufferedBytes int
	// PDUs per dissector name: stream PDUs parsed, datagrams and frames handed over.
	PDUs map[string]uint64
}

// Engine turns frames into observations: it decodes headers, records hosts,
// keeps the flow table, reassembles TCP and hands PDUs, datagrams and
// layer-2 frames to the dissectors of its Set. One Engine is used by one
// goroutine; Packet does not allocate on the steady-state path.
//
// What it emits itself:
//
//   - KindHost for the source of every frame: (MAC, IP) for IP frames, MAC
//     only for layer-2 frames, IP only where there is no usable MAC (raw IP,
//     loopback, zero or group MACs); ARP senders' MAC/IP bindings (not
//     0.0.0.0 probes). Unusable halves (group MACs; unspecified, multicast
//     and broadcast IPs) are dropped from the pair. The first sighting is
//     emitted at once (Packets 1); Flush emits a refresh for hosts seen again
//     (last seen, Packets = frames since the previous emission).
//   - KindAttribute "net.vlan" = "<id>" once per host and innermost 802.1Q id.
//   - KindFlow deltas (Packets, Bytes on the wire) per TCP/UDP flow on Flush,
//     eviction and Close, with Asset = client, Peer = server, Port = server
//     port, Protocol = the confirmed dissector's Name() (or what it set
//     Flow.Protocol to), else "unknown". Flows whose server is a broadcast or
//     multicast address are dissected but not emitted.
//
// Roles: the TCP handshake decides (SYN sender is the client, SYN-ACK
// sender the server); without one, a port claimed in the Set is the server
// side, else the lower port; with equal ports the first sender is the
// client, and a group destination is never the client.
//
// Dissection: a TCP flow whose server port is claimed is confirmed with the
// claimant's Detect on the first payload bytes of either direction, other
// TCP flows are offered to the Heuristic stream dissectors; UDP likewise
// with the claimant of either port. Detect saying No ends dissection of the
// flow, except for flows picked up mid-stream (no handshake seen), which
// get a few more segments to find a PDU boundary. Each direction is
// reassembled in order (see stream.go), framed with PDULen and parsed PDU by
// PDU. Layer-2 frames go to the FrameDissectors by EtherType (also inside
// 802.1Q), LLC DSAP or SNAP OUI/PID. A dissector that panics is detached
// from that flow; the engine carries on.
//
// Memory is bounded by hosts (MaxHosts) and flows (MaxFlows, each with at
// most MaxStreamBuffer buffered per direction, MaxBuffered in all), never
// by packets.
type Engine struct {
	set  *Set
	emit Emit
	opt  EngineOptions
	log  *slog.Logger

	frameIP   bool // a frame dissector takes IPv4, IPv6 or ARP frames too
	frameType map[uint16]frameEntry
	frameDSAP map[uint8]frameEntry
	frameSNAP map[uint64]frameEntry
	lastL2MAC MAC
	lastL2Idx int32
	lastL2Gen uint32
	heurTCP   []StreamDissector
	heurUDP   []DatagramDissector
	index     map[string]int // dissector name -> pdus index
	names     []string
	pdus      []uint64

	flows      []*flow // buckets by hash&flowMask, chained through flow.hnext; grown to keep one flow per bucket
	flowMask   uint64
	nflows     int
	buffered   int   // bytes in reassembly buffers (see accountBuffers)
	head, tail *flow // LRU: head is the most recently seen
	free       []*flow
	dirty      []*flow

	hosts     map[hostKey]int32
	hostEnt   []hostEntry
	hostDirty []int32
	vlans     map[vlanKey]struct{}

	pkt         PacketInfo
	pktNS       int64 // current packet time, Unix ns
	hostPending bool  // the current IP packet's source host is not recorded yet
	ipMissing   int   // bytes of the current IP datagram beyond the captured data
	frag        reassembler
	dups        dupTable
	reasm       bool // dissecting a reassembled datagram: its first fragment is counted already
	reasmPkts   uint64
	reasmBytes  uint64 // the datagram's other fragments, for its flow
	hostGen     uint32
	seed        [3]uint64 // flow hash seeds
	now         int64     // latest packet time seen, Unix ns
	wire        uint64
	sinceCheck  int
	st          EngineStats
	panics      map[string]int // per dissector, for logPanic
}

type frameEntry struct {
	fd  FrameDissector
	idx int // in Engine.pdus
}

type hostKey struct {
	mac MAC
	ip  netip.Addr
}

type vlanKey struct {
	h    hostKey
	vlan uint16
}

type hostEntry struct {
	key      hostKey
	last     time.Time
	lastNS   int64  // last as Unix ns: compared per packet, cheaper than time.Time
	pkts     uint64 // frames seen with this binding since the last emission
	ev       Evidence
	lastVLAN uint16
	dirty    bool
}

const (
	defaultFlowIdle    = 5 * time.Minute
	defaultMaxFlows    = 1 << 20
	defaultMaxBuffer   = 256 << 10
	defaultMaxHosts    = 1 << 20
	defaultMaxBuffered = 256 << 20
	evictEvery         = 4096 // packets between idle checks
)

// NewEngine makes an engine over a dissector set; emit receives every
// observation, synchronously.
func NewEngine(set *Set, emit Emit, opt EngineOptions) *Engine {
	if opt.FlowIdle <= 0 {
		opt.FlowIdle = defaultFlowIdle
	}
	if opt.MaxFlows <= 0 {
		opt.MaxFlows = defaultMaxFlows
	}
	if opt.MaxStreamBuffer <= 0 {
		opt.MaxStreamBuffer = defaultMaxBuffer
	}
	if opt.MaxBuffered <= 0 {
		opt.MaxBuffered = defaultMaxBuffered
	}
	if opt.MaxHosts <= 0 {
		opt.MaxHosts = defaultMaxHosts
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if set == nil {
		set = &Set{TCP: map[uint16]StreamDissector{}, UDP: map[uint16]DatagramDissector{}}
	}
	if emit == nil {
		emit = func(Observation) {}
	}
	e := &Engine{
		set: set, emit: emit, opt: opt, log: opt.Logger,
		frameType: map[uint16]frameEntry{},
		frameDSAP: map[uint8]frameEntry{},
		frameSNAP: map[uint64]frameEntry{},
		lastL2Idx: -1,
		index:     map[string]int{},
		flows:     make([]*flow, minFlowBuckets),
		flowMask:  minFlowBuckets - 1,
		hosts:     map[hostKey]int32{},
		vlans:     map[vlanKey]struct{}{},
	}
	for _, d := range set.All {
		if _, ok := e.index[d.Name()]; !ok {
			e.index[d.Name()] = len(e.names)
			e.names = append(e.names, d.Name())
		}
	}
	e.pdus = make([]uint64, len(e.names))
	var sb [24]byte
	if _, err := rand.Read(sb[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range e.seed {
		e.seed[i] = binary.LittleEndian.Uint64(sb[i*8:]) | 1
	}
	for _, fd := range set.Frames {
		fe := frameEntry{fd, e.index[fd.Name()]}
		for _, m := range fd.Frames() {
			switch {
			case m.EtherType != 0:
				e.frameType[m.EtherType] = fe
				if m.EtherType == etherIPv4 || m.EtherType == etherIPv6 || m.EtherType == etherARP {
					e.frameIP = true
				}
			case m.SNAPOUI != 0 || m.SNAPPID != 0:
				e.frameSNAP[snapKey(m.SNAPOUI, m.SNAPPID)] = fe
			default:
				e.frameDSAP[m.DSAP] = fe
			}
		}
	}
	for _, d := range set.Heuristic {
		if sd, ok := d.(StreamDissector); ok {
			e.heurTCP = append(e.heurTCP, sd)
		}
		if dd, ok := d.(DatagramDissector); ok {
			e.heurUDP = append(e.heurUDP, dd)
		}
	}
	return e
}

// Packet processes one frame. data is only read during the call. ev names
// the frame (ev.Frame set by the caller).
func (e *Engine) Packet(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, ev Evidence) {
	e.st.Packets++
	wire := ci.Length
	if wire < len(data) {
		wire = len(data)
	}
	e.wire = uint64(wire)
	e.st.Bytes += e.wire
	p := &e.pkt
	*p = PacketInfo{Evidence: ev, Time: ci.Timestamp}
	e.pktNS = ci.Timestamp.UnixNano()
	if e.pktNS > e.now {
		e.now = e.pktNS
	}
	e.hostPending = false
	e.ipMissing = 0
	e.decodeLink(data, lt)
	e.pkt.Flow = nil
	if e.sinceCheck++; e.sinceCheck >= evictEvery {
		e.sinceCheck = 0
		e.evictIdle()
	}
}

// host records a source MAC/IP pair. An unusable MAC (zero, group) or IP
// (unspecified, multicast, broadcast) is dropped from the pair; nothing is
// recorded when both are. The first sighting is emitted at once; later
// sightings refresh last-seen, emitted by Flush.
func (e *Engine) host(mac MAC, ip netip.Addr) int32 {
	if !mac.IsUnicast() {
		mac = MAC{}
	}
	if !isUnicastIP(ip) {
		ip = netip.Addr{}
	}
	if mac.IsZero() && !ip.IsValid() {
		return -1
	}
	k := hostKey{mac, ip}
	p := &e.pkt
	i, ok := e.hosts[k]
	if !ok {
		if len(e.hostEnt) >= e.opt.MaxHosts {
			e.resetHosts()
		}
		i = int32(len(e.hostEnt))
		e.hosts[k] = i
		e.hostEnt = append(e.hostEnt, hostEntry{key: k, last: p.Time, lastNS: e.pktNS, ev: p.Evidence})
		e.emit(Observation{Kind: KindHost, Time: p.Time, Evidence: p.Evidence, Asset: Endpoint{MAC: mac, IP: ip}, Packets: 1})
		if p.VLAN != 0 {
			e.hostVLAN(i)
		}
		return i
	}
	e.seen(i)
	return i
}

// seen refreshes host entry i for the current packet.
func (e *Engine) seen(i int32) {
	p := &e.pkt
	h := &e.hostEnt[i]
	h.pkts++
	if !h.dirty {
		h.dirty = true
		e.hostDirty = append(e.hostDirty, i)
	}
	if e.pktNS > h.lastNS {
		h.last, h.lastNS = p.Time, e.pktNS
		h.ev = p.Evidence
	}
	if p.VLAN != 0 && h.lastVLAN != p.VLAN {
		e.hostVLAN(i)
	}
}

// hostVLAN emits net.vlan once per host and VLAN.
func (e *Engine) hostVLAN(i int32) {
	p := &e.pkt
	h := &e.hostEnt[i]
	h.lastVLAN = p.VLAN
	vk := vlanKey{h.key, p.VLAN}
	if _, seen := e.vlans[vk]; !seen {
		if len(e.vlans) >= e.opt.MaxHosts {
			// Bounded like the hosts: forget (and later repeat) pairs.
			clear(e.vlans)
		}
		e.vlans[vk] = struct{}{}
		e.emit(Observation{Kind: KindAttribute, Time: p.Time, Evidence: p.Evidence,
			Asset: Endpoint{MAC: h.key.mac, IP: h.key.ip}, Key: "net.vlan", Value: strconv.Itoa(int(p.VLAN))})
	}
}

// flowHost records the current packet's source host through the flow's
// cache of its two endpoints' host entries, saving the host map lookup.
func (e *Engine) flowHost(f *flow, dir Direction) {
	e.hostPending = false
	p := &e.pkt
	c := &f.hostCache[dir]
	if c.gen == e.hostGen && c.idx >= 0 {
		if k := &e.hostEnt[c.idx].key; k.mac == p.Src.MAC && k.ip == p.Src.IP {
			e.seen(c.idx)
			return
		}
	}
	c.idx = e.host(p.Src.MAC, p.Src.IP)
	c.gen = e.hostGen
}

func (e *Engine) resetHosts() {
	e.flushHosts()
	clear(e.hosts)
	clear(e.vlans)
	e.hostEnt = e.hostEnt[:0]
	e.hostGen++
}

func (e *Engine) flushHosts() {
	for _, i := range e.hostDirty {
		h := &e.hostEnt[i]
		if !h.dirty {
			continue
		}
		h.dirty = false
		// Packets, not the number of flushes, so the row does not depend
		// on where the ingest flushed.
		n := h.pkts
		h.pkts = 0
		e.emit(Observation{Kind: KindHost, Time: h.last, Evidence: h.ev, Asset: Endpoint{MAC: h.key.mac, IP: h.key.ip}, Packets: n})
	}
	e.hostDirty = e.hostDirty[:0]
}

// Flush emits the KindFlow deltas of every flow that saw traffic since the
// last flush and the last-seen refresh of every host seen again. Callers
// flush before committing a batch.
func (e *Engine) Flush() { e.flush(false) }

// FlushAll is Flush that also emits the deltas held back while a flow's
// protocol is undecided (filed as "unknown" or under the name so far): for
// a caller that must have every packet accounted for now, as ingest does
// before an interrupted run's last commit and when it drops what the
// frames before a resume point produced.
func (e *Engine) FlushAll() {
	for f := e.head; f != nil; f = f.next {
		if f.pkts > 0 && !f.dirty {
			f.dirty = true
			if !f.inDirty {
				f.inDirty = true
				e.dirty = append(e.dirty, f)
			}
		}
	}
	e.flush(true)
}

// flush emits the deltas of the dirty flows; final (Close) also those of
// flows whose protocol is still undecided.
func (e *Engine) flush(final bool) {
	for _, f := range e.dirty {
		f.inDirty = false
		if f.dirty {
			e.emitFlow(f, final)
		}
	}
	clear(e.dirty)
	e.dirty = e.dirty[:0]
	e.flushHosts()
}

// Close ends a capture source: it flushes and drops all flow and host
// state, so the next source starts afresh (and hosts get first-sighting
// evidence in it too). Counters are kept.
func (e *Engine) Close() {
	for f := e.head; f != nil; f = f.next {
		e.finish(f)
	}
	e.FlushAll()
	for f := e.head; f != nil; {
		next := f.next
		e.release(f)
		f = next
	}
	e.head, e.tail = nil, nil
	clear(e.flows)
	e.nflows = 0
	e.free = e.free[:0]
	e.resetHosts()
	for _, d := range e.frag.m {
		e.frag.drop(e, d) // incomplete when the source ended
	}
	e.dups = dupTable{} // duplicates are looked for within one source
	e.now = 0
}

// Stats returns the counters.
func (e *Engine) Stats() EngineStats {
	s := e.st
	s.ActiveFlows = e.nflows
	s.BufferedBytes = e.buffered
	s.Hosts = len(e.hosts)
	s.PDUs = make(map[string]uint64, len(e.names))
	for i, n := range e.names {
		if e.pdus[i] > 0 {
			s.PDUs[n] = e.pdus[i]
		}
	}
	return s
}

// frame hands a layer-2 payload to a frame dissector.
func (e *Engine) frame(fe frameEntry, data []byte) {
	e.pkt.Flow = nil
	e.pkt.SrcPort, e.pkt.DstPort = 0, 0
	e.pdus[fe.idx]++
	if err, panicked := e.callFrame(fe.fd, data); panicked {
		e.st.DissectorPanics++
	} else if err != nil {
		e.st.DissectorErrors++
	}
}

func (e *Engine) callFrame(fd FrameDissector, data []byte) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			panicked = true
			e.logPanic(fd.Name(), r)
		}
	}()
	return fd.Frame(data, &e.pkt, e.emit), false
}

// logPanic logs a recovered dissector panic: the first ten per dissector,
// then every power of two, so a dissector that panics on every flow of a
// large capture does not flood the log.
func (e *Engine) logPanic(name string, r any) {
	if e.panics == nil {
		e.panics = map[string]int{}
	}
	e.panics[name]++
	n := e.panics[name]
	if n > 10 && n&(n-1) != 0 {
		return
	}
	e.log.Error("dissector panic", "dissector", name, "evidence", e.pkt.Evidence.String(),
		"src", e.pkt.Src.String(), "dst", e.pkt.Dst.String(), "panic", fmt.Sprint(r), "count", n)
}
