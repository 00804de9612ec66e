package discovery

// TCP reassembly and PDU framing. Each direction of a flow is delivered in
// sequence order: retransmitted bytes are dropped (partial overlaps
// trimmed), a few out-of-order segments are held (bounded count and bytes)
// until the hole fills, and a hole that persists is skipped: the partial
// PDU is dropped and framing resumes at the next held segment. PDUs are
// framed with Stream.PDULen; when nothing is buffered they are parsed
// straight from the packet (no copy).

const (
	maxOOOSegs     = 16   // out-of-order segments held per direction
	maxGapSegs     = 32   // segments seen while a hole stays open before it is skipped
	maxDetectBytes = 4096 // bytes a direction buffers while Detect says NeedMore
	maxTries       = 4    // mid-stream: detection/resync attempts per direction
	maxUDPTries    = 4    // datagrams Detect may reject before a UDP flow is given up
	maxAhead       = 1 << 30
)

// half is one direction of a TCP flow.
type half struct {
	next     uint32 // next expected sequence number
	seqKnown bool
	buf      []byte // stream bytes not yet consumed: a partial PDU, or bytes kept for Detect
	ooo      []oooSeg
	oooBytes int
	skip     int // bytes of an oversized PDU still to skip
	gapSegs  int
	tries    uint8
}

type oooSeg struct {
	seq  uint32
	data []byte
}

// segment handles the payload of a TCP segment of a dissected flow.
func (e *Engine) segment(f *flow, dir Direction, seq uint32, payload []byte) {
	h := &f.half[dir]
	if !h.seqKnown {
		h.next, h.seqKnown = seq, true
	}
	d := int64(int32(seq - h.next))
	switch {
	case d < 0:
		if -d >= int64(len(payload)) {
			return // retransmission
		}
		payload = payload[-d:]
	case d > 0:
		if d > maxAhead {
			// Not a hole: a different stream position altogether.
			e.resync(f, dir, seq)
			break
		}
		e.hold(f, dir, seq, payload)
		return
	}
	h.next += uint32(len(payload))
	e.deliver(f, dir, payload)
	if f.mode != modeNone && len(f.half[dir].ooo) > 0 {
		e.drainOOO(f, dir)
	}
}

// hold keeps an out-of-order segment. When the hole has stayed open for
// too many segments, or holding more would exceed the bounds, the hole is
// skipped: framing resumes at the earliest segment after it.
func (e *Engine) hold(f *flow, dir Direction, seq uint32, payload []byte) {
	h := &f.half[dir]
	h.gapSegs++
	held := false
	if len(h.ooo) < maxOOOSegs && h.oooBytes+len(payload) <= e.opt.MaxStreamBuffer {
		held = true
		// Insert sorted by distance from next; an identical start keeps the longer.
		d := seq - h.next
		i := 0
		for i < len(h.ooo) && h.ooo[i].seq-h.next < d {
			i++
		}
		if i < len(h.ooo) && h.ooo[i].seq == seq {
			if len(payload) > len(h.ooo[i].data) {
				h.oooBytes += len(payload) - len(h.ooo[i].data)
				h.ooo[i].data = append(h.ooo[i].data[:0], payload...)
			}
		} else {
			h.ooo = append(h.ooo, oooSeg{})
			copy(h.ooo[i+1:], h.ooo[i:])
			h.ooo[i] = oooSeg{seq: seq, data: append([]byte(nil), payload...)}
			h.oooBytes += len(payload)
		}
		if h.gapSegs <= maxGapSegs {
			return
		}
	}
	first := seq
	if len(h.ooo) > 0 && h.ooo[0].seq-h.next < seq-h.next {
		first = h.ooo[0].seq
	}
	e.resync(f, dir, first)
	if len(h.ooo) > 0 {
		e.drainOOO(f, dir)
	}
	if !held && f.mode != modeNone {
		e.segment(f, dir, seq, payload)
	}
}

// skipHole gives up on the hole before direction dir's first held segment
// and delivers what follows it. PDUs parsed meanwhile are presented with
// dir's addresses, not the current packet's.
func (e *Engine) skipHole(f *flow, dir Direction) {
	h := &f.half[dir]
	if len(h.ooo) == 0 || f.mode == modeNone {
		return
	}
	p := &e.pkt
	saved := *p
	e.pktFor(f, dir)
	e.resync(f, dir, h.ooo[0].seq)
	e.drainOOO(f, dir)
	*p = saved
}

// finish delivers what a flow still holds out of order before it is
// closed or evicted.
func (e *Engine) finish(f *flow) {
	for d := ToServer; d <= ToClient; d++ {
		e.skipHole(f, d)
	}
}

// pktFor sets the packet's addresses and direction to those of flow
// direction dir.
func (e *Engine) pktFor(f *flow, dir Direction) {
	p := &e.pkt
	p.Dir, p.Flow = dir, &f.F
	if dir == ToServer {
		p.Src, p.Dst, p.SrcPort, p.DstPort = f.F.Client, f.F.Server, f.F.ClientPort, f.F.ServerPort
	} else {
		p.Src, p.Dst, p.SrcPort, p.DstPort = f.F.Server, f.F.Client, f.F.ServerPort, f.F.ClientPort
	}
}

// drainOOO delivers held segments that have become contiguous.
func (e *Engine) drainOOO(f *flow, dir Direction) {
	h := &f.half[dir]
	i := 0
	for ; i < len(h.ooo) && f.mode != modeNone; i++ {
		s := h.ooo[i]
		d := int64(int32(s.seq - h.next))
		if d > 0 {
			break
		}
		h.oooBytes -= len(s.data)
		if -d >= int64(len(s.data)) {
			continue
		}
		data := s.data[-d:]
		h.next += uint32(len(data))
		e.deliver(f, dir, data)
	}
	if f.mode == modeNone {
		return
	}
	n := copy(h.ooo, h.ooo[i:])
	clear(h.ooo[n:])
	h.ooo = h.ooo[:n]
	if n == 0 {
		h.gapSegs = 0
		h.oooBytes = 0
	}
}

// resync moves a direction to seq after bytes were lost: the partial PDU is
// dropped and framing resumes at the next segment.
func (e *Engine) resync(f *flow, dir Direction, seq uint32) {
	e.st.TCPGaps++
	h := &f.half[dir]
	h.next = seq
	h.buf = h.buf[:0]
	h.skip = 0
	h.gapSegs = 0
}

// deliver hands in-order stream bytes to detection or framing.
func (e *Engine) deliver(f *flow, dir Direction, data []byte) {
	if len(data) == 0 {
		return
	}
	switch f.mode {
	case modeDetect:
		e.detect(f, dir, data)
	case modeDissect:
		e.frameStream(f, dir, data)
	}
}

// detect confirms a dissector from the first bytes of a direction.
func (e *Engine) detect(f *flow, dir Direction, data []byte) {
	h := &f.half[dir]
	view := data
	var rest []byte // bytes past maxDetectBytes, framed if Detect says Yes
	buffered := len(h.buf) > 0
	if buffered {
		room := max(0, min(maxDetectBytes-len(h.buf), len(data)))
		h.buf = append(h.buf, data[:room]...)
		rest = data[room:]
		view = h.buf
	}
	var verdict Verdict
	var found StreamDissector
	if f.sd != nil {
		verdict = e.callDetect(f, f.sd, view, dir)
		found = f.sd
	} else {
		for _, sd := range e.heurTCP {
			v := e.callDetectHeuristic(f, sd, view, dir)
			if v == Yes {
				verdict, found = Yes, sd
				break
			}
			if v == NeedMore {
				verdict = NeedMore
			}
		}
	}
	if f.mode != modeDetect {
		return // a Detect panicked
	}
	switch verdict {
	case Yes:
		f.sd = found
		f.did = e.index[found.Name()]
		f.F.Protocol = found.Name()
		stream, ok := e.callNewStream(f, found)
		if !ok {
			return
		}
		f.stream = stream
		f.mode = modeDissect
		if buffered {
			h.buf = append(h.buf, rest...)
			e.drainBuf(f, dir)
		} else {
			e.frameStream(f, dir, data)
		}
		if o := &f.half[1-dir]; f.mode == modeDissect && len(o.buf) > 0 {
			e.drainBuf(f, 1-dir)
		}
	case NeedMore:
		if len(view) >= maxDetectBytes {
			e.detectFailed(f, dir)
			return
		}
		if !buffered {
			h.buf = append(h.buf[:0], data...)
		}
	default:
		e.detectFailed(f, dir)
	}
}

// detectFailed: on a stream seen from its start the flow is not this
// protocol; mid-stream the bytes may be the middle of a PDU, so a few later
// segments get another try.
func (e *Engine) detectFailed(f *flow, dir Direction) {
	h := &f.half[dir]
	if !f.handshake && h.tries < maxTries {
		h.tries++
		h.buf = h.buf[:0]
		return
	}
	e.stopDissect(f)
}

// frameStream frames and parses PDUs from in-order bytes that do not alias
// the direction's buffer.
func (e *Engine) frameStream(f *flow, dir Direction, data []byte) {
	h := &f.half[dir]
	if h.skip > 0 {
		n := min(h.skip, len(data))
		h.skip -= n
		data = data[n:]
	}
	if len(h.buf) > 0 {
		h.buf = append(h.buf, data...)
		e.drainBuf(f, dir)
		return
	}
	for len(data) > 0 {
		n, ok := e.pduLen(f, dir, data)
		if !ok {
			return
		}
		if n == 0 {
			break
		}
		if n > len(data) {
			if n > e.opt.MaxStreamBuffer {
				e.st.OversizePDUs++
				h.skip = n - len(data)
				return
			}
			break
		}
		e.parse(f, dir, data[:n])
		if f.mode != modeDissect {
			return
		}
		data = data[n:]
	}
	if len(data) > 0 {
		if len(data) > e.opt.MaxStreamBuffer {
			e.st.OversizePDUs++
			return
		}
		h.buf = append(h.buf[:0], data...)
	}
}

// drainBuf frames and parses PDUs from the direction's buffer.
func (e *Engine) drainBuf(f *flow, dir Direction) {
	h := &f.half[dir]
	b := h.buf
	off := 0
	for off < len(b) {
		n, ok := e.pduLen(f, dir, b[off:])
		if !ok {
			return
		}
		if n == 0 {
			break
		}
		if n > len(b)-off {
			if n > e.opt.MaxStreamBuffer {
				e.st.OversizePDUs++
				h.skip = n - (len(b) - off)
				off = len(b)
			}
			break
		}
		e.parse(f, dir, b[off:off+n])
		if f.mode != modeDissect {
			return
		}
		off += n
	}
	rest := copy(b, b[off:])
	h.buf = b[:rest]
	if rest > e.opt.MaxStreamBuffer {
		// PDULen keeps asking for more without naming a length.
		e.st.OversizePDUs++
		h.buf = h.buf[:0]
	}
	if cap(h.buf) > 2048 && len(h.buf) == 0 {
		h.buf = nil // let a large PDU's buffer go
	}
}

// pduLen asks the stream for the length of the PDU at the start of data.
// ok is false when framing failed; the flow has then been resynchronised
// or stopped, and the caller must return.
func (e *Engine) pduLen(f *flow, dir Direction, data []byte) (n int, ok bool) {
	n, err, panicked := e.callPDULen(f, data, dir)
	if panicked {
		return 0, false
	}
	if err == nil && n >= 0 {
		return n, true
	}
	e.st.DissectorErrors++
	h := &f.half[dir]
	if !f.handshake && h.tries < maxTries {
		// Mid-stream start: perhaps not on a PDU boundary yet. Drop what
		// is buffered and try again at the next segment.
		h.tries++
		h.buf = h.buf[:0]
		h.skip = 0
		return 0, false
	}
	e.stopDissect(f)
	return 0, false
}

func (e *Engine) parse(f *flow, dir Direction, pdu []byte) {
	e.pdus[f.did]++
	p := &e.pkt
	p.Dir = dir
	p.Flow = &f.F
	if err, panicked := e.callParse(f, pdu); !panicked && err != nil {
		e.st.DissectorErrors++
	}
}

// datagram handles a UDP payload of a flow being detected or dissected.
func (e *Engine) datagram(f *flow, data []byte) {
	p := &e.pkt
	if f.mode == modeDetect {
		verdict := No
		var found DatagramDissector
		if f.dd != nil {
			verdict, found = e.callDetectDatagram(f, f.dd, data), f.dd
		} else {
			for _, dd := range e.heurUDP {
				v := e.callDetectDatagram(f, dd, data)
				if v == Yes {
					verdict, found = Yes, dd
					break
				}
				if v == NeedMore {
					verdict = NeedMore
				}
			}
		}
		if f.mode != modeDetect {
			return
		}
		if verdict != Yes {
			f.tries++
			if f.tries >= maxUDPTries {
				e.stopDissect(f)
			}
			return
		}
		f.dd = found
		f.did = e.index[found.Name()]
		f.F.Protocol = found.Name()
		f.mode = modeDissect
	}
	e.pdus[f.did]++
	p.Flow = &f.F
	if err, panicked := e.callDatagram(f, data); !panicked && err != nil {
		e.st.DissectorErrors++
	}
}

// stopDissect detaches the dissector from f and frees its buffers. The flow
// keeps being counted.
func (e *Engine) stopDissect(f *flow) {
	f.mode = modeNone
	f.F.ProtocolPending = false // nobody is left to refine it
	f.stream = nil
	for i := range f.half {
		h := &f.half[i]
		h.buf = nil
		h.ooo = nil
		h.oooBytes = 0
		h.skip = 0
	}
}

// The call* helpers are the dissector boundary: a panic is recovered,
// counted and logged, and the dissector is detached from the flow.

func (e *Engine) recovered(f *flow, name string, r any) {
	e.st.DissectorPanics++
	e.logPanic(name, r)
	e.stopDissect(f)
}

func (e *Engine) callDetect(f *flow, sd StreamDissector, data []byte, dir Direction) (v Verdict) {
	defer func() {
		if r := recover(); r != nil {
			e.recovered(f, sd.Name(), r)
			v = No
		}
	}()
	return sd.Detect(data, dir)
}

// callDetectHeuristic is callDetect on a flow whose port no dissector
// claims: a dissector with a stricter test for that case uses it.
func (e *Engine) callDetectHeuristic(f *flow, sd StreamDissector, data []byte, dir Direction) (v Verdict) {
	hd, ok := sd.(HeuristicDetector)
	if !ok {
		return e.callDetect(f, sd, data, dir)
	}
	defer func() {
		if r := recover(); r != nil {
			e.recovered(f, sd.Name(), r)
			v = No
		}
	}()
	return hd.DetectHeuristic(data, dir)
}

func (e *Engine) callNewStream(f *flow, sd StreamDissector) (s Stream, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			e.recovered(f, sd.Name(), r)
			ok = false
		}
	}()
	s = sd.NewStream(&f.F)
	if s == nil {
		e.stopDissect(f)
		return nil, false
	}
	return s, true
}

func (e *Engine) callPDULen(f *flow, data []byte, dir Direction) (n int, err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			e.recovered(f, f.sd.Name(), r)
			panicked = true
		}
	}()
	n, err = f.stream.PDULen(data, dir)
	return n, err, false
}

func (e *Engine) callParse(f *flow, pdu []byte) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			e.recovered(f, f.sd.Name(), r)
			panicked = true
		}
	}()
	return f.stream.Parse(pdu, &e.pkt, e.emit), false
}

func (e *Engine) callDetectDatagram(f *flow, dd DatagramDissector, data []byte) (v Verdict) {
	defer func() {
		if r := recover(); r != nil {
			e.recovered(f, dd.Name(), r)
			v = No
		}
	}()
	return dd.Detect(data, &e.pkt)
}

func (e *Engine) callDatagram(f *flow, data []byte) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			e.recovered(f, f.dd.Name(), r)
			panicked = true
		}
	}()
	return f.dd.Datagram(data, &e.pkt, e.emit), false
}
