package discovery

// IP fragment reassembly (RFC 791 §3.2 for IPv4, RFC 8200 §4.5 for IPv6).
//
// Fragmented datagrams are rare on a plant network but not absent: large
// BACnet and PROFINET RPC datagrams, DNS and SNMP answers, and above all a
// remote SPAN (ERSPAN/GRE, VXLAN) whose mirrored full-size frames no longer
// fit the tunnel's MTU. Without reassembly the dissectors would never see
// those datagrams, and a remote SPAN would lose its inner hosts.
//
// The reassembler is bounded: at most maxFragDatagrams datagrams in
// progress and maxFragBytes buffered in all, each datagram at most the
// 65 535 bytes an IP length can say; a datagram incomplete after its
// timeout (capture time) is dropped. Fragments that overlap with different
// bytes abandon their datagram (RFC 5722 requires it for IPv6; for IPv4 it
// removes the ambiguity that overlapping-fragment evasion relies on, where
// hosts disagree about which copy wins); an exact duplicate (a SPAN that
// mirrors both directions of a router, a retransmission) is accepted. A
// fragment cut by the capture's snap length cannot complete its datagram.
//
// The first fragment is counted in its flow when it arrives, as a packet;
// the other fragments, which carry no ports, join the flow's packet and
// byte counts when the datagram completes (not when it is dropped). The
// reassembled datagram is dissected with, as evidence, the frame that
// completed it (as Wireshark's "reassembled in" frame).

import (
	"bytes"
	"slices"
)

const (
	maxFragDatagrams = 256
	maxFragBytes     = 4 << 20
	maxIPPayload     = 65535
	fragTimeout4     = 30e9 // ns; Linux's ipfrag_time
	fragTimeout6     = 60e9 // ns; RFC 8200 §4.5
)

type fragKey struct {
	src, dst [16]byte
	id       uint32
	proto    uint8 // IPv4 protocol; for IPv6 the fragment header's next header
	v6       bool
}

type fragSpan struct{ start, end int }

type fragDatagram struct {
	key      fragKey
	deadline int64 // capture time, ns
	data     []byte
	have     []fragSpan // sorted, disjoint, merged
	total    int        // payload length once the last fragment is seen, else -1
	// Fragments past the first (they reach no flow on arrival), counted in
	// the flow when the datagram completes.
	pkts, bytes uint64
}

type reassembler struct {
	m     map[fragKey]*fragDatagram
	bytes int // len(data) over every datagram in progress
	free  [][]byte
}

// FragmentStats are the reassembler's counters.
type FragmentStats struct {
	// Reassembled: datagrams completed and dissected.
	Reassembled uint64
	// Dropped: datagrams abandoned: overlapping fragments with different
	// bytes, a fragment past 65 535 bytes or cut by the snap length,
	// conflicting ends, the timeout, or the reassembler's bounds.
	Dropped uint64
}

// fragment adds one fragment's payload (b, at byte offset off; more is the
// more-fragments flag). It returns the datagram when this fragment
// completes it (its payload is data[:total]); the caller hands the data to
// releaseFragment when done with it.
func (e *Engine) fragment(k fragKey, off int, more bool, b []byte) *fragDatagram {
	r := &e.frag
	if r.m == nil {
		r.m = make(map[fragKey]*fragDatagram)
	}
	d := r.m[k]
	if d != nil && e.pktNS > d.deadline {
		r.drop(e, d) // timed out: this fragment starts a new datagram
		d = nil
	}
	if d == nil {
		r.expire(e, e.pktNS)
		if len(r.m) >= maxFragDatagrams {
			r.dropOldest(e)
		}
		timeout := int64(fragTimeout4)
		if k.v6 {
			timeout = fragTimeout6
		}
		d = &fragDatagram{key: k, deadline: e.pktNS + timeout, total: -1}
		if n := len(r.free); n > 0 {
			d.data, r.free = r.free[n-1][:0], r.free[:n-1]
		}
		r.m[k] = d
	}
	end := off + len(b)
	switch {
	case e.ipMissing > 0, end > maxIPPayload, !more && d.total >= 0 && end != d.total,
		d.total >= 0 && end > d.total, !more && end < d.maxEnd(),
		more && len(b)%8 != 0: // every fragment but the last carries a multiple of 8 bytes
		r.drop(e, d)
		return nil
	}
	if !more {
		d.total = end
	}
	if end > len(d.data) {
		grow := end - len(d.data)
		if r.bytes+grow > maxFragBytes {
			r.drop(e, d)
			return nil
		}
		r.bytes += grow
		d.data = append(d.data, make([]byte, grow)...)
	}
	// Overlaps must repeat the same bytes.
	for _, s := range d.have {
		lo, hi := max(s.start, off), min(s.end, end)
		if lo < hi && !bytes.Equal(d.data[lo:hi], b[lo-off:hi-off]) {
			r.drop(e, d)
			return nil
		}
	}
	copy(d.data[off:end], b)
	d.add(fragSpan{off, end})
	if off != 0 {
		d.pkts++
		d.bytes += e.wire
	}
	if d.total < 0 || len(d.have) != 1 || d.have[0].start != 0 || d.have[0].end != d.total {
		return nil
	}
	delete(r.m, k)
	r.bytes -= len(d.data)
	e.st.Fragment.Reassembled++
	return d
}

// release returns a reassembled payload's buffer for reuse.
func (e *Engine) releaseFragment(b []byte) {
	if r := &e.frag; len(r.free) < 8 && cap(b) <= maxIPPayload {
		r.free = append(r.free, b[:0])
	}
}

func (d *fragDatagram) maxEnd() int {
	if len(d.have) == 0 {
		return 0
	}
	return d.have[len(d.have)-1].end
}

// add inserts a span, merging it with the spans it touches.
func (d *fragDatagram) add(s fragSpan) {
	i, _ := slices.BinarySearchFunc(d.have, s.start, func(x fragSpan, start int) int { return x.start - start })
	d.have = slices.Insert(d.have, i, s)
	out := d.have[:1]
	for _, x := range d.have[1:] {
		last := &out[len(out)-1]
		if x.start <= last.end {
			last.end = max(last.end, x.end)
			continue
		}
		out = append(out, x)
	}
	d.have = out
}

func (r *reassembler) drop(e *Engine, d *fragDatagram) {
	delete(r.m, d.key)
	r.bytes -= len(d.data)
	e.st.Fragment.Dropped++
	if len(r.free) < 8 && cap(d.data) <= maxIPPayload {
		r.free = append(r.free, d.data[:0])
	}
}

// expire drops the datagrams whose timeout passed by capture time now.
func (r *reassembler) expire(e *Engine, now int64) {
	for _, d := range r.m {
		if now > d.deadline {
			r.drop(e, d)
		}
	}
}

func (r *reassembler) dropOldest(e *Engine) {
	var old *fragDatagram
	for _, d := range r.m {
		if old == nil || d.deadline < old.deadline {
			old = d
		}
	}
	if old != nil {
		r.drop(e, old)
	}
}

// reassembled dissects a complete datagram's payload. Its flow counted the
// first fragment on arrival and now counts the others; tunnels inside it
// are decoded as usual, their inner packets counted as theirs.
func (e *Engine) reassembled(d *fragDatagram, depth int) {
	k, b := d.key, d.data[:d.total]
	e.ipMissing = 0
	e.reasm = true
	e.reasmPkts, e.reasmBytes = d.pkts, d.bytes
	if k.v6 {
		e.ipv6Next(k.proto, b, depth, true)
	} else {
		e.transport(k.proto, b, false, depth)
	}
	e.reasm = false
}
