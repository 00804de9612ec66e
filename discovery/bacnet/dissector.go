package bacnet

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
	"math"
	"net/netip"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Port is BACnet/IP's registered UDP port (0xBAC0).
const Port = 47808

// DSAP is the LLC service access point of BACnet over ISO 8802-2 (clause 7).
const DSAP = 0x82

func init() {
	discovery.Register("bacnet", func() discovery.Dissector { return New() })
}

// maxSeen bounds the de-duplication memory of reported facts; when full it
// is cleared, which only costs repeated observations.
const maxSeen = 8192

// Dissector reads BACnet/IP datagrams and BACnet/Ethernet (LLC) frames.
//
// The steady state (the same peers repeating Who-Is, I-Am, ReadProperty
// and its acks) costs no allocation and no string-keyed lookup: a fact is
// first checked in hot, keyed by fixed-size values (endpoint with the
// sub-address as a small id, role/transport/attribute as indexes, the I-Am
// numbers, the raw bytes of a property value as a seeded maphash with its length);
// only a miss decodes strings and goes through seen, which decides on the
// decoded fact exactly as before. A hash collision in hot could only hide
// a new raw value of the same device and property whose 64-bit word
// (seeded maphash xor length) equals an earlier value's (odds ~2^-64 per
// pair). hot, seen and subs are each bounded by maxSeen entries.
type Dissector struct {
	seen map[seenKey]struct{}
	hot  map[packedKey]struct{}
	// recent holds hot keys found again lately (a zero key never occurs:
	// every key has what != 0).
	recent [4]packedKey
	next   uint8
	seed   maphash.Seed
	last   struct { // the last sub-address looked up
		k subKey
		e subEntry
	}
	subs map[subKey]subEntry
	// gen counts the clears of seen and hot: a flow memo entry (memo.go)
	// made under an earlier generation may hide facts that are new again.
	gen uint32
	// rec is the memo entry of the datagram being handled (scratch),
	// which npdu and op fill in; nil when not memoizing.
	rec      *memoEntry
	scratch  memoEntry
	limit    int // maxSeen (tests lower it)
	memoHits uint64
	ringHits uint64 // replays answered by a tailRing
}

// hotKey is the fixed-size key of a per-packet fact check.
type hotKey struct {
	what uint8 // hotService, hotAttr, hotIAm, hotProp
	ip   netip.Addr
	mac  discovery.MAC
	sub  uint32 // subEntry.id, 0 = no sub-address
	port uint16
	a    uint8  // role|transport<<4, or attribute index
	x, y uint32 // I-Am instance and vendor; property instance and id
	n    uint32 // raw value length
	h    uint64 // raw value hash (maphash)
}

// packedKey is a hotKey in plain words, so that the map hashes it as
// memory in one go (netip.Addr holds a pointer and would be hashed field
// by field).
type packedKey [6]uint64

func (k *hotKey) pack() packedKey {
	ip := k.ip.As16()
	var fam uint64
	switch {
	case k.ip.Is4():
		fam = 1
	case k.ip.IsValid():
		fam = 2
	}
	var mac uint64
	for _, c := range k.mac {
		mac = mac<<8 | uint64(c)
	}
	return packedKey{
		binary.BigEndian.Uint64(ip[:8]), binary.BigEndian.Uint64(ip[8:]),
		mac | uint64(k.what)<<48 | fam<<52 | uint64(k.a)<<56,
		uint64(k.sub)<<32 | uint64(k.port),
		uint64(k.x)<<32 | uint64(k.y),
		k.h ^ uint64(k.n)<<1, // the length folded into the hash word
	}
}

const (
	hotService = iota + 1
	hotAttr
	hotIAm
	hotProp
)

// subKey is a sub-address (SNET/SADR or DNET/DADR) of up to 16 bytes.
type subKey struct {
	net uint16
	n   uint8
	adr [16]byte
}

type subEntry struct {
	id  uint32
	str string
}

type seenKey struct {
	kind       discovery.Kind
	ep         discovery.Endpoint
	port       uint16
	role       string
	key, value string
	conf       float32 // a device's own word and a table lookup are separate facts
}

// New returns a BACnet dissector.
func New() *Dissector {
	return &Dissector{seen: map[seenKey]struct{}{}, hot: map[packedKey]struct{}{}, subs: map[subKey]subEntry{},
		seed: maphash.MakeSeed(), limit: maxSeen}
}

func (*Dissector) Name() string { return "bacnet" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: Port}}
}

// Frames claims LLC DSAP 0x82 (BACnet over Ethernet).
func (*Dissector) Frames() []discovery.FrameMatch { return []discovery.FrameMatch{{DSAP: DSAP}} }

// Heuristic: a BVLC header whose length equals the datagram (on port 47808
// it may differ, see BVLC.Mismatch) and an NPDU
// version 1 with its reserved bits clear is specific enough for any port
// (BACnet/IP often runs on 47809-47823).
func (*Dissector) Heuristic() bool { return true }

// Detect implements discovery.DatagramDissector.
func (*Dissector) Detect(data []byte, pkt *discovery.PacketInfo) discovery.Verdict {
	// what ParseBVLC refuses, refused without building its error (Detect
	// runs on every new flow of an unclaimed port)
	if !bvlcHeader(data) {
		return discovery.No
	}
	bv, err := ParseBVLC(data)
	if err != nil {
		return discovery.No
	}
	if bv.Mismatch && (pkt == nil || pkt.SrcPort != Port && pkt.DstPort != Port) {
		return discovery.No // on other ports the length must match exactly
	}
	switch {
	case bv.Function.HasNPDU():
		if len(bv.Payload) < 2 || bv.Payload[0] != 0x01 || bv.Payload[1]&0x50 != 0 {
			return discovery.No
		}
	case bv.Function == BVLCResult:
		if bv.Length != 6 {
			return discovery.No
		}
	case bv.Function == BVLCSecureBVLL:
		return discovery.No
	}
	return discovery.Yes
}

// msg carries what one NPDU's handling needs.
type msg struct {
	pkt              *discovery.PacketInfo
	emit             discovery.Emit
	src, dst         discovery.Endpoint
	srcSub, dstSub   uint32 // sub-address ids (see Dissector.sub); ^0 = not cached
	srcPort, dstPort uint16
	transport        string
	dstUnicast       bool
	data             []byte // the whole datagram (BACnet/IP)
}

// Datagram implements discovery.DatagramDissector.
//
// A datagram whose headers (BVLC, NPDU and APDU up to the service data;
// the BVLC length and the invoke id aside) equal those of one of the last
// few of its flow, between the same addresses and ports, is answered from
// the flow's memo (memo.go): the services, flags and operations those
// headers give were all reported the first time, and seen and hot would
// drop the services and flags again (unless cleared since: the generation
// check), so only the operations are emitted again, with this packet's
// time and evidence, and only the service data (an I-Am, an ack) is parsed.
func (d *Dissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	if pkt.Flow == nil || pkt.Src.Sub != "" || pkt.Dst.Sub != "" {
		return d.datagram(data, pkt, emit)
	}
	fm, _ := pkt.Flow.State.(*flowMemo)
	if fm == nil {
		fm = &flowMemo{}
		pkt.Flow.State = fm
	}
	if e := fm.find(data, pkt, d.gen); e != nil {
		d.memoHits++
		d.replay(fm, e, data, pkt, emit)
		return nil
	}
	e := &d.scratch
	e.reset()
	d.rec = e
	gen := d.gen
	err := d.datagram(data, pkt, emit)
	d.rec = nil
	if err == nil && e.ok && d.gen == gen {
		fm.store(e, data, pkt, gen)
	}
	return err
}

// replay handles a datagram whose headers match e, the entry of fm that
// find returned.
func (d *Dissector) replay(fm *flowMemo, e *memoEntry, data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) {
	if e.nops != 0 {
		var client, server discovery.Endpoint
		if e.link {
			client, server = pkt.Src, receiver(pkt.Dst)
		} else {
			client, server = e.msgEnds(pkt)
		}
		name, class := opInfo(int(e.opCode))
		o := pkt.Obs(discovery.KindOperation, client)
		o.Peer, o.Protocol, o.Transport, o.Port = server, "bacnet", "udp", pkt.DstPort
		o.Op = discovery.Operation{Code: int(e.opCode), Name: name, Class: class}
		emit(o)
	}
	if e.action == actNone {
		return
	}
	tail := data[int(e.hdr):]
	if e.action == actAck && ConfirmedService(e.svc) == SvcReadProperty && otherObject(tail) {
		return // as ack would, before building the message
	}
	prev := e.tailGen == d.gen && e.tailOK // e.tail was handled under this generation
	if prev && bytes.Equal(e.tail, tail) {
		return // the same I-Am or ack again: nothing it says is new
	}
	// Another one handled lately under this entry and generation (values
	// read in turn) says nothing new either.
	var h uint64
	if len(tail) <= maxTail && fm.rings != nil {
		h = d.tailHash(tail)
		if fm.rings[fm.last].has(d.gen, h) {
			d.ringHits++
			e.setTail(tail, d.gen, true)
			return
		}
	}
	src, dst := e.msgEnds(pkt)
	m := msg{pkt: pkt, emit: emit, src: src, dst: dst, srcSub: e.srcSub, dstSub: e.dstSub,
		srcPort: e.srcPort, dstPort: pkt.DstPort, transport: "udp", dstUnicast: e.dstUnicast, data: data}
	gen := d.gen
	if e.action == actIAm {
		d.iam(&m, tail)
	} else {
		d.ack(&m, ConfirmedService(e.svc), tail)
	}
	if d.gen == gen && len(tail) <= maxTail && (prev || fm.rings != nil) {
		if fm.rings == nil {
			fm.rings = new([memoSize]tailRing)
		}
		r := &fm.rings[fm.last]
		if prev {
			r.add(gen, d.tailHash(e.tail))
		}
		if h == 0 {
			h = d.tailHash(tail)
		}
		r.add(gen, h)
	}
	e.setTail(tail, gen, d.gen == gen)
}

// tailHash is the word tailRing keeps for service data b.
func (d *Dissector) tailHash(b []byte) uint64 {
	return maphash.Bytes(d.seed, b) ^ uint64(len(b))<<1
}

func (d *Dissector) datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	bv, err := ParseBVLC(data)
	if err != nil {
		return err
	}
	m := msg{pkt: pkt, emit: emit, src: pkt.Src, dst: receiver(pkt.Dst), srcPort: pkt.SrcPort, dstPort: pkt.DstPort,
		transport: "udp", dstUnicast: unicast(pkt.Dst), data: data}
	switch bv.Function {
	case BVLCForwardedNPDU:
		// Only a BBMD forwards; the NPDU's originator is the B/IP address
		// in the header (its MAC is not on this wire).
		d.attr(&m, pkt.Src, "bacnet.bbmd", "true", 0.9)
		ip := netip.AddrFrom4([4]byte(bv.OriginalSource[:4]))
		m.src = discovery.Endpoint{IP: ip}
		m.srcPort = uint16(bv.OriginalSource[4])<<8 | uint16(bv.OriginalSource[5])
		if ip == pkt.Src.IP {
			m.src = pkt.Src
		}
	case BVLCReadBDTAck, BVLCReadFDTAck:
		d.attr(&m, pkt.Src, "bacnet.bbmd", "true", 0.9)
	case BVLCRegisterForeignDevice, BVLCReadBDT, BVLCReadFDT, BVLCWriteBDT, BVLCDeleteFDTEntry, BVLCDistributeBroadcast:
		if m.dstUnicast {
			d.attr(&m, receiver(pkt.Dst), "bacnet.bbmd", "true", 0.7) // addressed as one; confirmed by its ack
			if bv.Function == BVLCRegisterForeignDevice {
				d.attr(&m, pkt.Src, "bacnet.foreign_device", "true", 0.9)
			}
			if bv.Function != BVLCDistributeBroadcast {
				d.op(&m, pkt.Src, receiver(pkt.Dst), int(bv.Function)|0x100, bv.Function.String(), bvlcClass(bv.Function))
			}
		}
	}
	if !bv.Function.HasNPDU() {
		if e := d.rec; e != nil {
			e.setHeader(&m, 4)
		}
		return nil
	}
	return d.npdu(&m, bv.Payload)
}

func bvlcClass(f BVLCFunction) discovery.OpClass {
	switch f {
	case BVLCReadBDT, BVLCReadFDT:
		return discovery.OpRead
	}
	return discovery.OpConfig
}

// Frame implements discovery.FrameDissector for BACnet over LLC: data is the NPDU.
func (d *Dissector) Frame(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	m := msg{pkt: pkt, emit: emit, src: discovery.Endpoint{MAC: pkt.Src.MAC}, dst: discovery.Endpoint{MAC: pkt.Dst.MAC},
		transport: "eth", dstUnicast: pkt.Dst.MAC.IsUnicast()}
	return d.npdu(&m, data)
}

func unicast(e discovery.Endpoint) bool {
	if !e.MAC.IsZero() && !e.MAC.IsUnicast() {
		return false
	}
	ip := e.IP
	if !ip.IsValid() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	return !(ip.Is4() && ip.As4() == [4]byte{255, 255, 255, 255})
}

// Sub returns the sub-address of a device behind a BACnet router.
func Sub(net uint16, adr []byte) string {
	return "bacnet:net=" + strconv.Itoa(int(net)) + ",adr=" + hex.EncodeToString(adr)
}

// sub returns Sub(net, adr) and its id for hot keys, from a cache bounded
// like seen; an address longer than 16 bytes is not cached (id ^0).
func (d *Dissector) sub(net uint16, adr []byte) (string, uint32) {
	if len(adr) > 16 {
		return Sub(net, adr), ^uint32(0)
	}
	k := subKey{net: net, n: uint8(len(adr))}
	copy(k.adr[:], adr)
	if d.last.e.id != 0 && d.last.k == k {
		return d.last.e.str, d.last.e.id
	}
	if e, ok := d.subs[k]; ok {
		d.last.k, d.last.e = k, e
		return e.str, e.id
	}
	if len(d.subs) >= d.limit {
		clear(d.subs)
		d.clearHot() // ids are reused
		d.last.e = subEntry{}
	}
	e := subEntry{id: uint32(len(d.subs)) + 1, str: Sub(net, adr)}
	d.subs[k] = e
	return e.str, e.id
}

// clearHot empties hot and the recent ring with it (the ring only ever
// holds keys that are in hot), and invalidates the flows' memos.
func (d *Dissector) clearHot() {
	clear(d.hot)
	d.recent = [len(d.recent)]packedKey{}
	d.gen++
}

// hotOnce reports whether k is new, recording it; keys of an endpoint
// whose sub-address is not cached are always new.
func (d *Dissector) hotOnce(k hotKey) bool {
	if k.sub == ^uint32(0) || k.ip.Zone() != "" {
		return true
	}
	if k.ip.IsValid() {
		k.mac = discovery.MAC{} // as receiver() in once
	}
	pk := k.pack()
	for i := range d.recent { // the facts of the last few packets, without hashing
		if r := &d.recent[i]; r[0] == pk[0] && r[1] == pk[1] && r[2] == pk[2] && r[3] == pk[3] && r[4] == pk[4] && r[5] == pk[5] {
			return false // (word by word: == on the arrays calls memequal)
		}
	}
	if _, ok := d.hot[pk]; !ok {
		if len(d.hot) >= d.limit {
			d.clearHot()
		}
		d.hot[pk] = struct{}{}
		return true
	}
	d.recent[d.next%uint8(len(d.recent))] = pk
	d.next++
	return false
}

// subOf returns the sub-address id of ep in m (ep is m.src or m.dst or a
// plain address).
func (m *msg) subOf(ep discovery.Endpoint) uint32 {
	switch {
	case ep.Sub == "":
		return 0
	case ep.Sub == m.src.Sub:
		return m.srcSub
	case ep.Sub == m.dst.Sub:
		return m.dstSub
	}
	return ^uint32(0)
}

func (d *Dissector) npdu(m *msg, b []byte) error {
	n, err := ParseNPDU(b)
	if err != nil {
		return err
	}
	if n.HasSrc && len(n.SADR) > 0 {
		m.src.Sub, m.srcSub = d.sub(n.SNET, n.SADR)
	}
	if n.HasDest {
		if n.DNET == 0xffff || len(n.DADR) == 0 {
			m.dstUnicast = false
		} else {
			m.dst.Sub, m.dstSub = d.sub(n.DNET, n.DADR)
		}
	}
	if n.NetworkMessage {
		if n.MessageType == 0x01 { // I-Am-Router-To-Network
			d.attr(m, m.src, "bacnet.router", "true", 0.9)
		}
		if e := d.rec; e != nil {
			e.setHeader(m, len(m.data)-len(n.APDU))
		}
		return nil
	}
	a, err := ParseAPDU(n.APDU)
	if err != nil {
		return err
	}
	if d.rec != nil {
		d.record(m, n, a)
	}
	switch a.Type {
	case PDUConfirmedRequest:
		d.service(m, m.src, m.dstPort, "client")
		if m.dstUnicast {
			d.service(m, m.dst, m.dstPort, "server")
			if !a.Segmented || a.Sequence == 0 {
				s := ConfirmedService(a.Service)
				d.op(m, m.src, m.dst, int(s), s.String(), s.Class())
			}
		}
	case PDUUnconfirmedRequest:
		s := UnconfirmedService(a.Service)
		switch {
		case s.FromDevice():
			d.service(m, m.src, m.srcPort, "server")
			if s == SvcIAm {
				d.iam(m, a.Data)
			}
		case s == SvcWhoIs || s == SvcWhoHas:
			d.service(m, m.src, m.dstPort, "client")
			// Who-Is/Who-Has to x.x.x.255 is a directed broadcast sent
			// through a router (bacnet_example.pcap frame 1243: unicast MAC,
			// IP 172.20.32.255): no peer.
			if m.dstUnicast && !(m.dst.IP.Is4() && m.dst.IP.As4()[3] == 255) {
				d.op(m, m.src, m.dst, int(s)|0x200, s.String(), s.Class())
			}
		default:
			if m.dstUnicast {
				d.op(m, m.src, m.dst, int(s)|0x200, s.String(), s.Class())
			}
		}
	default:
		if a.FromServer() {
			d.service(m, m.src, m.srcPort, "server")
		}
		if a.Type == PDUComplexAck && (!a.Segmented || a.Sequence == 0) {
			d.ack(m, ConfirmedService(a.Service), a.Data)
		}
	}
	return nil
}

func (d *Dissector) iam(m *msg, data []byte) {
	r, err := ParseIAm(data)
	if err != nil {
		return
	}
	if !d.hotOnce(hotKey{what: hotIAm, ip: m.src.IP, mac: m.src.MAC, sub: m.subOf(m.src), x: uint32(r.Device), y: r.VendorID}) {
		return
	}
	d.attr(m, m.src, "bacnet.device_instance", strconv.FormatUint(uint64(r.Device.Instance()), 10), 0.95)
	d.attr(m, m.src, "bacnet.vendor_id", strconv.FormatUint(uint64(r.VendorID), 10), 0.95)
	if name, ok := vendorNames[r.VendorID]; ok {
		d.attr(m, m.src, "bacnet.vendor_name", name, 0.8)
	}
}

// deviceKey returns the attribute key of a reported device object
// property, or "".
func deviceKey(id uint32) string {
	switch id {
	case 77:
		return "bacnet.object_name"
	case 70:
		return "bacnet.model_name"
	case 44:
		return "bacnet.firmware_revision"
	case 121:
		return "bacnet.vendor_name"
	case 12:
		return "bacnet.application_software_version"
	case 28:
		return "bacnet.description"
	case 58:
		return "bacnet.location"
	}
	return ""
}

func (d *Dissector) ack(m *msg, s ConfirmedService, data []byte) {
	report := func(p Property, raw []byte) {
		if p.Object.Type() != ObjectTypeDevice || raw == nil || p.HasIndex {
			return
		}
		key := deviceKey(p.ID)
		if key == "" {
			return
		}
		if !d.hotOnce(hotKey{what: hotProp, ip: m.src.IP, mac: m.src.MAC, sub: m.subOf(m.src),
			x: uint32(p.Object), y: p.ID, n: uint32(len(raw)), h: maphash.Bytes(d.seed, raw)}) {
			return
		}
		p.decodeRaw(raw)
		if !p.Text || p.Value == "" {
			return
		}
		d.attr(m, m.src, "bacnet.device_instance", strconv.FormatUint(uint64(p.Object.Instance()), 10), 0.9)
		d.attr(m, m.src, key, p.Value, 0.95)
	}
	switch s {
	case SvcReadProperty:
		if otherObject(data) {
			return
		}
		if p, raw, err := parseReadPropertyAck(data, false); err == nil {
			report(p, raw)
		}
	case SvcReadPropertyMultiple:
		_ = parseReadPropertyMultipleAck(data, false, report) // results before an error are kept
	}
}

// otherObject reports whether a ReadProperty-ACK is one that ack ignores
// whatever follows, known from its first octets without parsing: an
// object other than a device (most are), named by a plain 4-octet context
// tag 0 (0x0c), or a device property without an attribute key, named by a
// 1-octet context tag 1 (0x19).
func otherObject(data []byte) bool {
	if len(data) < 5 || data[0] != 0x0c {
		return false
	}
	if ObjectID(binary.BigEndian.Uint32(data[1:5])).Type() != ObjectTypeDevice {
		return true
	}
	return len(data) >= 7 && data[5] == 0x19 && deviceKey(uint32(data[6])) == ""
}

func (d *Dissector) once(k seenKey) bool {
	k.ep = receiver(k.ep) // the same host whether seen as sender or receiver
	if _, ok := d.seen[k]; ok {
		return false
	}
	if len(d.seen) >= d.limit {
		clear(d.seen)
		d.gen++
	}
	d.seen[k] = struct{}{}
	return true
}

func (d *Dissector) service(m *msg, ep discovery.Endpoint, port uint16, role string) {
	var a uint8 = 1
	if role == "server" {
		a = 2
	}
	if m.transport == "eth" {
		a |= 1 << 4
	}
	if !d.hotOnce(hotKey{what: hotService, ip: ep.IP, mac: ep.MAC, sub: m.subOf(ep), port: port, a: a}) {
		return
	}
	if !d.once(seenKey{kind: discovery.KindService, ep: ep, port: port, role: role, key: m.transport}) {
		return
	}
	o := m.pkt.Obs(discovery.KindService, ep)
	o.Protocol, o.Transport, o.Port, o.Role = "bacnet", m.transport, port, role
	m.emit(o)
}

func (d *Dissector) attr(m *msg, ep discovery.Endpoint, key, value string, conf float32) {
	if i := flagIndex(key); i != 0 && value == "true" && // per-packet flags (every Forwarded-NPDU)
		!d.hotOnce(hotKey{what: hotAttr, ip: ep.IP, mac: ep.MAC, sub: m.subOf(ep), a: i, y: math.Float32bits(conf)}) {
		return
	}
	if !d.once(seenKey{kind: discovery.KindAttribute, ep: ep, key: key, value: value, conf: conf}) {
		return
	}
	o := m.pkt.Obs(discovery.KindAttribute, ep)
	o.Protocol, o.Key, o.Value, o.Confidence = "bacnet", key, value, conf
	m.emit(o)
}

// flagIndex numbers the "true"-valued attributes, 0 for others.
func flagIndex(key string) uint8 {
	switch key {
	case "bacnet.bbmd":
		return 1
	case "bacnet.foreign_device":
		return 2
	case "bacnet.router":
		return 3
	}
	return 0
}

// op reports a request. Codes: confirmed services as is; unconfirmed
// services 0x200|choice; BVLC functions 0x100|function (so that the three
// number spaces do not collide in one communication's operation list).
func (d *Dissector) op(m *msg, client, server discovery.Endpoint, code int, name string, class discovery.OpClass) {
	o := m.pkt.Obs(discovery.KindOperation, client)
	o.Peer, o.Protocol, o.Transport, o.Port = server, "bacnet", m.transport, m.dstPort
	o.Op = discovery.Operation{Code: code, Name: name, Class: class}
	if e := d.rec; e != nil {
		e.addOp(m, client, server, code, name, class)
	}
	m.emit(o)
}

// receiver returns the destination endpoint as facts may name it: a
// frame's destination MAC is the next hop's (a router's, when routed), so
// an IP endpoint keeps only its IP.
func receiver(e discovery.Endpoint) discovery.Endpoint {
	if e.IP.IsValid() {
		e.MAC = discovery.MAC{}
	}
	return e
}
