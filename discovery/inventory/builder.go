package inventory

import (
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/otzone/otzone/discovery"
)

// MaxValueLen caps a stored attribute value (bytes): wire strings are
// hostile and a fact longer than this is not a name a person reads.
const MaxValueLen = 256

// DefaultConfidence is used for an observation with Confidence 0.
const DefaultConfidence = 0.8

// Builder aggregates observations in memory, keyed by endpoints and
// communications (never by packet), until Drain hands the delta to the
// store. It is not safe for concurrent use: the engine calls Emit from one
// goroutine.
type Builder struct {
	// Site tags every row (ingest --site).
	Site string

	// Rows live in slices (Drain hands them over without copying); the
	// maps give each key its row's index.
	hosts    map[hostKey]int32
	attrs    map[attrKey]int32
	services map[svcKey]int32
	comms    map[CommKey]int32
	ops      map[opKey]int32
	cattrs   map[cattrKey]int32
	rows     Rows
	spare    *Rows // drained rows given back by Recycle, for the next delta

	// Small direct-mapped caches of recent operation and attribute
	// observations, keyed by their raw (uncleaned) fields: dissectors emit
	// an operation per PDU and repeat attributes, so most observations
	// name a row seen a moment ago and need neither cleaning nor hashing
	// the long map keys. Entries hold row indexes; reset clears them.
	opCache   [cacheSize]opEntry
	attrCache [cacheSize]attrEntry
	noCache   bool // tests: the reference path
	noDefer   bool // an observation without evidence was seen: no write-back

	// ev is the evidence of the observation being added, its string made
	// once for every row that observation or the next ones of the same
	// frame see first.
	ev evidence

	observations uint64
	dropped      uint64
}

const cacheSize = 256 // power of two

type opEntry struct {
	asset, peer         discovery.Endpoint
	protocol, transport string
	port                uint16
	code                int
	name                string
	class               discovery.OpClass
	c, r                int32 // indexes in rows.Communications and rows.Operations
	ok                  bool
	// A hit whose time is not before first (the later of the two rows'
	// first_seen when the entry was filled; they only move earlier) and
	// whose rows both had a source then changes only the operation's
	// count and both rows' last_seen: those are summed here (write-back)
	// and applied by flush, sparing two cold rows per hit. canDefer is
	// false when the rows did not qualify.
	canDefer bool
	first    time.Time
	pend     uint64    // hits not yet added to the operation row's count
	last     time.Time // latest time among them
}

// flush applies an entry's deferred hits to its rows.
func (b *Builder) flush(e *opEntry) {
	if e.pend == 0 {
		return
	}
	op, c := &b.rows.Operations[e.r], &b.rows.Communications[e.c]
	op.Count += e.pend
	if e.last.After(op.LastSeen) {
		op.LastSeen = e.last
	}
	if e.last.After(c.LastSeen) {
		c.LastSeen = e.last
	}
	e.pend, e.last = 0, time.Time{}
}

// flushAll applies every entry's deferred hits.
func (b *Builder) flushAll() {
	for i := range b.opCache {
		b.flush(&b.opCache[i])
	}
}

type attrEntry struct {
	asset      discovery.Endpoint
	key, value string
	r          int32 // index in rows.Attributes
	ok         bool
}

// slot spreads an endpoint pair over the caches: the low bytes of the
// addresses vary most between hosts.
func slot(a, p discovery.Endpoint, n uint) uint {
	h := n
	if a.IP.IsValid() {
		b := a.IP.As16()
		h = h*31 + uint(b[15]) + uint(b[14])<<8
	}
	if p.IP.IsValid() {
		b := p.IP.As16()
		h = h*31 + uint(b[15]) + uint(b[14])<<8
	}
	h = h*31 + uint(a.MAC[5]) + uint(p.MAC[5])<<3 + uint(len(a.Sub)+len(p.Sub))
	h ^= h >> 7
	return h & (cacheSize - 1)
}

type hostKey struct {
	mac   discovery.MAC
	ip    netip.Addr
	proto string
}

type attrKey struct {
	ep         discovery.Endpoint
	key, value string
}

type svcKey struct {
	ep                        discovery.Endpoint
	protocol, transport, role string
	port                      uint16
}

type opKey struct {
	c           CommKey
	code        int
	name, class string
}

type cattrKey struct {
	c          CommKey
	key, value string
}

// NewBuilder returns an empty Builder.
func NewBuilder(site string) *Builder {
	b := &Builder{Site: site}
	b.reset()
	return b
}

func (b *Builder) reset() {
	clear(b.opCache[:])
	clear(b.attrCache[:])
	if b.hosts != nil {
		// The maps are the Builder's alone: emptied, they keep their
		// tables (sized by the largest delta so far) for the next delta.
		clear(b.hosts)
		clear(b.attrs)
		clear(b.services)
		clear(b.comms)
		clear(b.ops)
		clear(b.cattrs)
	} else {
		b.hosts = map[hostKey]int32{}
		b.attrs = map[attrKey]int32{}
		b.services = map[svcKey]int32{}
		b.comms = map[CommKey]int32{}
		b.ops = map[opKey]int32{}
		b.cattrs = map[cattrKey]int32{}
	}
	if s := b.spare; s != nil {
		// The slices of a delta whose consumer is done (Recycle), emptied.
		b.spare = nil
		b.rows = Rows{
			Hosts:          reuse(s.Hosts),
			Attributes:     reuse(s.Attributes),
			Services:       reuse(s.Services),
			Communications: reuse(s.Communications),
			Operations:     reuse(s.Operations),
			CommAttributes: reuse(s.CommAttributes),
		}
		return
	}
	// Sized like the delta just drained: the next one is usually alike,
	// and growing slices from empty costs copying and garbage.
	r := &b.rows
	b.rows = Rows{
		Hosts:          make([]HostRow, 0, len(r.Hosts)),
		Attributes:     make([]AttributeRow, 0, len(r.Attributes)),
		Services:       make([]ServiceRow, 0, len(r.Services)),
		Communications: make([]CommRow, 0, len(r.Communications)),
		Operations:     make([]OperationRow, 0, len(r.Operations)),
		CommAttributes: make([]CommAttributeRow, 0, len(r.CommAttributes)),
	}
}

// reuse empties a recycled slice, zeroing its rows so that the strings
// they name are not kept alive.
func reuse[T any](s []T) []T {
	clear(s)
	return s[:0]
}

// Recycle hands back rows returned by Drain once their consumer is done
// with them (the store has committed them): the next delta is built in
// their slices instead of new ones, so a long ingest stops allocating a
// batch's worth of rows per batch. r must not be used after the call.
func (b *Builder) Recycle(r *Rows) {
	if r != nil {
		b.spare = r
	}
}

// Pending is the number of rows waiting for Drain: the memory the Builder
// holds, and what the ingest uses to decide when to commit.
func (b *Builder) Pending() int {
	return b.rows.Len()
}

// Observations is the number of observations added so far; Dropped those
// ignored because they named nothing or had an unknown kind.
func (b *Builder) Observations() uint64 { return b.observations }

// Dropped is the number of observations ignored as unusable.
func (b *Builder) Dropped() uint64 { return b.dropped }

// Add folds one observation in. It has the discovery.Emit signature.
func (b *Builder) Add(o discovery.Observation) {
	b.observations++
	ev := &b.ev
	ev.set(&o.Evidence)
	if o.Evidence.Kind == "" && !b.noDefer {
		// An empty evidence string can blank a row's source, which a
		// later hit would fill: deferring hits would skip that.
		b.flushAll()
		b.noDefer = true
	}
	conf := float64(o.Confidence)
	if conf <= 0 || conf > 1 {
		conf = DefaultConfidence
	}
	switch o.Kind {
	case discovery.KindHost:
		if o.Asset.MAC.IsZero() && !o.Asset.IP.IsValid() {
			b.dropped++
			return
		}
		k := hostKey{o.Asset.MAC, o.Asset.IP.Unmap(), cleanKey(o.Protocol)}
		i, ok := b.hosts[k]
		if !ok {
			i = int32(len(b.rows.Hosts))
			b.rows.Hosts = append(b.rows.Hosts, HostRow{MAC: k.mac, IP: k.ip, Protocol: k.proto, Site: b.Site})
			b.hosts[k] = i
		}
		r := &b.rows.Hosts[i]
		n := o.Packets
		if n == 0 {
			n = 1
		}
		r.add(o.Time, ev, n)
	case discovery.KindAttribute:
		if o.Asset.IsZero() || o.Key == "" {
			b.dropped++
			return
		}
		i := slot(o.Asset, discovery.Endpoint{}, uint(len(o.Key))*7+uint(len(o.Value)))
		if e := &b.attrCache[i]; !b.noCache && e.ok && e.asset == o.Asset && e.key == o.Key && e.value == o.Value {
			r := &b.rows.Attributes[e.r]
			if conf > r.Confidence {
				r.Confidence = conf
			}
			r.add(o.Time, ev, 1)
			return
		}
		k := attrKey{normEndpoint(o.Asset), cleanKey(o.Key), CleanValue(o.Value)}
		if k.value == "" {
			b.dropped++
			return
		}
		ri, ok := b.attrs[k]
		if !ok {
			ri = int32(len(b.rows.Attributes))
			b.rows.Attributes = append(b.rows.Attributes, AttributeRow{Endpoint: k.ep, Key: k.key, Value: k.value, Site: b.Site})
			b.attrs[k] = ri
		}
		r := &b.rows.Attributes[ri]
		if conf > r.Confidence {
			r.Confidence = conf
		}
		r.add(o.Time, ev, 1)
		b.attrCache[i] = attrEntry{asset: o.Asset, key: o.Key, value: o.Value, r: ri, ok: true}
	case discovery.KindService:
		if o.Asset.IsZero() || o.Protocol == "" {
			b.dropped++
			return
		}
		k := svcKey{normEndpoint(o.Asset), cleanKey(o.Protocol), cleanKey(o.Transport), cleanKey(o.Role), o.Port}
		i, ok := b.services[k]
		if !ok {
			i = int32(len(b.rows.Services))
			b.rows.Services = append(b.rows.Services, ServiceRow{Endpoint: k.ep, Protocol: k.protocol, Transport: k.transport, Port: k.port, Role: k.role, Site: b.Site})
			b.services[k] = i
		}
		b.rows.Services[i].add(o.Time, ev, 1)
	case discovery.KindFlow, discovery.KindOperation, discovery.KindCommAttribute:
		if o.Asset.IsZero() || o.Peer.IsZero() {
			b.dropped++
			return
		}
		var i uint
		if o.Kind == discovery.KindOperation {
			i = slot(o.Asset, o.Peer, uint(o.Port)*17+uint(o.Op.Code))
			if e := &b.opCache[i]; !b.noCache && e.ok && e.asset == o.Asset && e.peer == o.Peer && e.port == o.Port &&
				e.code == o.Op.Code && e.protocol == o.Protocol && e.transport == o.Transport &&
				e.name == o.Op.Name && e.class == o.Op.Class {
				if e.canDefer && !b.noDefer && !o.Time.Before(e.first) {
					e.pend++
					if o.Time.After(e.last) {
						e.last = o.Time
					}
					return
				}
				b.rows.Communications[e.c].add(o.Time, ev, 0)
				b.rows.Operations[e.r].add(o.Time, ev, 1)
				return
			}
		}
		ck := CommKey{Client: normEndpoint(o.Asset), Server: normEndpoint(o.Peer), Protocol: cleanKey(o.Protocol),
			Transport: cleanKey(o.Transport), Port: o.Port, Site: b.Site}
		if ck.Protocol == "" {
			ck.Protocol = "unknown"
		}
		ci, ok := b.comms[ck]
		if !ok {
			ci = int32(len(b.rows.Communications))
			b.rows.Communications = append(b.rows.Communications, CommRow{CommKey: ck})
			b.comms[ck] = ci
		}
		c := &b.rows.Communications[ci]
		switch o.Kind {
		case discovery.KindFlow:
			c.Packets += o.Packets
			c.Bytes += o.Bytes
			if !o.Since.IsZero() && o.Since.Before(o.Time) {
				c.add(o.Since, ev, 1) // the delta's earliest packet, whose evidence ev is
				c.add(o.Time, ev, 0)
			} else {
				c.add(o.Time, ev, 1)
			}
		case discovery.KindOperation:
			c.add(o.Time, ev, 0)
			k := opKey{ck, o.Op.Code, CleanValue(o.Op.Name), cleanKey(string(o.Op.Class))}
			if k.class == "" {
				k.class = string(discovery.OpOther)
			}
			ri, ok := b.ops[k]
			if !ok {
				ri = int32(len(b.rows.Operations))
				b.rows.Operations = append(b.rows.Operations, OperationRow{CommKey: ck, Code: k.code, Name: k.name, Class: k.class})
				b.ops[k] = ri
			}
			orow := &b.rows.Operations[ri]
			orow.add(o.Time, ev, 1)
			b.flush(&b.opCache[i])
			first := orow.FirstSeen
			if c.FirstSeen.After(first) {
				first = c.FirstSeen
			}
			b.opCache[i] = opEntry{asset: o.Asset, peer: o.Peer, protocol: o.Protocol, transport: o.Transport,
				port: o.Port, code: o.Op.Code, name: o.Op.Name, class: o.Op.Class, c: ci, r: ri, ok: true,
				canDefer: !orow.FirstSeen.IsZero() && !c.FirstSeen.IsZero() && orow.Source != "" && c.Source != "",
				first:    first}
		case discovery.KindCommAttribute:
			c.add(o.Time, ev, 0)
			k := cattrKey{ck, cleanKey(o.Key), CleanValue(o.Value)}
			if k.key == "" {
				b.dropped++
				return
			}
			ri, ok := b.cattrs[k]
			if !ok {
				ri = int32(len(b.rows.CommAttributes))
				b.rows.CommAttributes = append(b.rows.CommAttributes, CommAttributeRow{CommKey: ck, Key: k.key, Value: k.value})
				b.cattrs[k] = ri
			}
			r := &b.rows.CommAttributes[ri]
			if conf > r.Confidence {
				r.Confidence = conf
			}
			r.add(o.Time, ev, 1)
		}
	default:
		b.dropped++
	}
}

// Drain returns every row aggregated since the previous Drain and starts a
// new delta. Rows come out in the order they were first seen.
func (b *Builder) Drain() *Rows {
	b.flushAll()
	r := b.rows
	b.reset()
	return &r
}

func normEndpoint(e discovery.Endpoint) discovery.Endpoint {
	e.IP = e.IP.Unmap()
	e.Sub = cleanKey(e.Sub)
	return e
}

// cleanKey bounds identifiers (keys, protocol names, sub-addresses) that
// come from code but may embed wire bytes.
func cleanKey(s string) string {
	if len(s) > 128 {
		s = s[:128]
	}
	return CleanValue(s)
}

// CleanValue makes a wire string fit to store: valid UTF-8, no control
// characters (replaced by a space, runs collapsed), trimmed, at most
// MaxValueLen bytes cut on a rune boundary. Output formats still escape
// what they print; this only bounds what is kept.
func CleanValue(s string) string {
	if len(s) <= MaxValueLen {
		// Printable ASCII, what nearly every key and value is: only the
		// trimming applies.
		i := 0
		for i < len(s) && s[i]-0x20 < 0x5f {
			i++
		}
		if i == len(s) {
			return strings.TrimSpace(s)
		}
	}
	return cleanValueSlow(s)
}

// cleanValueSlow is CleanValue for anything but short printable ASCII.
func cleanValueSlow(s string) string {
	ok := len(s) <= MaxValueLen && utf8.ValidString(s)
	if ok {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == 0x7f || (c == 0xc2 && i+1 < len(s) && s[i+1] < 0xa0) ||
				c == 0xe2 || c == 0xef || c == 0xd8 || c == 0xdb || c == 0xe1 || c == 0xf3 {
				// C0, DEL, C1 (C2 80..9F), or a lead byte of the blocks that
				// hold format characters (bidi overrides and isolates,
				// zero-width, line/paragraph separators, BOM, tags): let the
				// slow path look at the runes.
				ok = false
				break
			}
		}
	}
	if ok {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.Is(unicode.Cf, r) {
			continue // bidi overrides, zero-width characters, BOM: invisible, can reorder text
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		if b.Len()+utf8.RuneLen(r) > MaxValueLen {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
