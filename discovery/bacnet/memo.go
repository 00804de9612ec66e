package bacnet

import (
	"bytes"
	"encoding/binary"

	"github.com/otzone/otzone/discovery"
)

// memoSize is the number of header shapes a flow remembers (a poller and
// its server use two or three: request, ack, error).
const memoSize = 4

// flowMemo is a BACnet/IP flow's memory of the headers of its last few
// distinct datagrams (both directions), kept in discovery.Flow.State:
// bounded per flow, never by packets.
type flowMemo struct {
	e    []memoEntry // up to memoSize
	next uint8
}

// memoEntry is one datagram's headers and what handling them gave that
// does not depend on the de-duplication state: the operations, and where
// the service data starts and what reads it.
type memoEntry struct {
	ok       bool // the headers were parsed to the end and nothing blocks replay
	gen      uint32
	pktSrc   discovery.Endpoint // the packet's addresses, as compared
	pktDst   discovery.Endpoint
	sport    uint16
	dport    uint16
	hdr      int // length of the headers (shape)
	invoke   int // offset of the invoke id (not compared), 0 = none
	shape    []byte
	action   uint8 // actNone, actIAm, actAck
	svc      uint8 // the ack's service
	nops     uint8
	ops      [2]memoOp
	src, dst discovery.Endpoint // the message's endpoints (msg.src, msg.dst)
	srcSub   uint32
	dstSub   uint32
	srcPort  uint16
	// dstUnicast as computed for the message
	dstUnicast bool
	// tail is the service data (I-Am, ack) last handled under this entry
	// and generation tailGen, when tailOK.
	tail    []byte
	tailGen uint32
	tailOK  bool
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

const (
	actNone = iota
	actIAm
	actAck
)

// memoOp is an operation the headers gave: between the message's
// endpoints, or (link) between the packet's sender and receiver.
type memoOp struct {
	link  bool
	code  int32
	name  string
	class discovery.OpClass
}

func (e *memoEntry) reset() {
	e.ok, e.hdr, e.invoke, e.action, e.svc, e.nops = false, 0, 0, actNone, 0, 0
}

// setMsg keeps what a replay needs of m.
func (e *memoEntry) setMsg(m *msg) {
	e.src, e.dst, e.srcSub, e.dstSub, e.srcPort, e.dstUnicast = m.src, m.dst, m.srcSub, m.dstSub, m.srcPort, m.dstUnicast
}

// addOp records an operation op emitted; one that a replay could not
// rebuild marks the entry unusable.
func (e *memoEntry) addOp(m *msg, client, server discovery.Endpoint, code int, name string, class discovery.OpClass) {
	var link bool
	switch {
	case m.transport != "udp" || m.dstPort != m.pkt.DstPort || int(e.nops) == len(e.ops) || int(int32(code)) != code:
		e.hdr = -1
		return
	case client == m.src && server == m.dst:
	case client == m.pkt.Src && server == receiver(m.pkt.Dst):
		link = true
	default:
		e.hdr = -1
		return
	}
	e.ops[e.nops] = memoOp{link: link, code: int32(code), name: name, class: class}
	e.nops++
}

// record notes the headers of an APDU the message carries.
func (d *Dissector) record(m *msg, n NPDU, a APDU) {
	e := d.rec
	if e.hdr < 0 {
		return
	}
	apdu := len(m.data) - len(n.APDU)
	switch a.Type {
	case PDUConfirmedRequest:
		e.invoke = apdu + 2
	case PDUUnconfirmedRequest:
	default:
		e.invoke = apdu + 1
	}
	if a.Data == nil {
		e.hdr = apdu + 3 // simple ack: type, invoke id, service
	} else {
		e.hdr = len(m.data) - len(a.Data)
	}
	switch {
	case a.Type == PDUUnconfirmedRequest && UnconfirmedService(a.Service) == SvcIAm:
		e.action = actIAm
	case a.Type == PDUComplexAck && (!a.Segmented || a.Sequence == 0):
		e.action, e.svc = actAck, a.Service
	}
	e.ok = true
	e.setMsg(m)
}

// find returns the entry whose headers data repeats, as sent in pkt under
// generation gen, or nil.
func (f *flowMemo) find(data []byte, pkt *discovery.PacketInfo, gen uint32) *memoEntry {
	if len(data) < 4 || binary.BigEndian.Uint16(data[2:4]) < 4 {
		return nil // ParseBVLC refuses these: no shape to match
	}
	for i := range f.e {
		e := &f.e[i]
		h := e.hdr
		if e.gen != gen || len(data) < h || e.sport != pkt.SrcPort || e.dport != pkt.DstPort ||
			data[0] != e.shape[0] || data[1] != e.shape[1] {
			continue
		}
		if k := e.invoke; k > 0 {
			if !bytes.Equal(e.shape[4:k], data[4:k]) || !bytes.Equal(e.shape[k+1:h], data[k+1:h]) {
				continue
			}
		} else if !bytes.Equal(e.shape[4:h], data[4:h]) {
			continue
		}
		if e.pktSrc != pkt.Src || e.pktDst != pkt.Dst {
			continue
		}
		return e
	}
	return nil
}

// store keeps a copy of the completed entry s for data as sent in pkt,
// replacing the oldest when the memo is full.
func (f *flowMemo) store(s *memoEntry, data []byte, pkt *discovery.PacketInfo, gen uint32) {
	if s.hdr < 4 || s.hdr > len(data) {
		return
	}
	var e *memoEntry
	if len(f.e) < memoSize {
		f.e = append(f.e, memoEntry{})
		e = &f.e[len(f.e)-1]
	} else {
		e = &f.e[f.next%memoSize]
		f.next++
	}
	shape, tail := e.shape, e.tail
	*e = *s
	e.shape = append(shape[:0], data[:s.hdr]...)
	e.gen, e.pktSrc, e.pktDst, e.sport, e.dport = gen, pkt.Src, pkt.Dst, pkt.SrcPort, pkt.DstPort
	e.tail = tail
	e.setTail(data[s.hdr:], gen, e.action != actNone)
}
