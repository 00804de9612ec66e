package inventory

import (
	"net/netip"
	"time"

	"github.com/otzone/otzone/discovery"
)

// Rows are the aggregated facts the store keeps: what a Builder drains as a
// delta and what the store loads back for Build. Every row is a sum over
// observations (counts add, first_seen is the minimum and Source its
// evidence, last_seen the maximum), so deltas from several ingests merge by
// addition.
type Rows struct {
	Sources        []Source
	Hosts          []HostRow
	Attributes     []AttributeRow
	Services       []ServiceRow
	Communications []CommRow
	Operations     []OperationRow
	CommAttributes []CommAttributeRow
}

// Len is the number of fact rows (sources excluded).
func (r *Rows) Len() int {
	return len(r.Hosts) + len(r.Attributes) + len(r.Services) + len(r.Communications) +
		len(r.Operations) + len(r.CommAttributes)
}

// Seen is the common bookkeeping of a row.
type Seen struct {
	Count     uint64
	FirstSeen time.Time
	LastSeen  time.Time
	// Source is the evidence of the first sighting ("pcap:f.pcapng#frame=7").
	Source string
}

// evidence is an observation's Evidence whose string is made at most once
// and kept while the following observations name the same frame (a packet's
// facts are emitted together): a row seen first needs it, and formatting it
// for every new row was an eighth of Builder.Add.
type evidence struct {
	ev discovery.Evidence
	s  string
	ok bool // s is ev.String()
}

func (e *evidence) set(ev *discovery.Evidence) {
	if *ev != e.ev {
		e.ev, e.ok = *ev, false
	}
}

func (e *evidence) String() string {
	if !e.ok {
		e.s, e.ok = e.ev.String(), true
	}
	return e.s
}

func (s *Seen) add(t time.Time, ev *evidence, n uint64) {
	s.Count += n
	if s.FirstSeen.IsZero() || (!t.IsZero() && t.Before(s.FirstSeen)) {
		s.FirstSeen = t
		s.Source = ev.String()
	} else if s.Source == "" {
		s.Source = ev.String()
	}
	if t.After(s.LastSeen) {
		s.LastSeen = t
	}
}

// Merge folds o into s (the same rule the store's upserts apply).
func (s *Seen) Merge(o Seen) {
	s.Count += o.Count
	if s.FirstSeen.IsZero() || (!o.FirstSeen.IsZero() && o.FirstSeen.Before(s.FirstSeen)) {
		s.FirstSeen = o.FirstSeen
		s.Source = o.Source
	}
	if o.LastSeen.After(s.LastSeen) {
		s.LastSeen = o.LastSeen
	}
}

// HostRow is a MAC/IP binding seen as a source (Count is packets).
type HostRow struct {
	MAC      discovery.MAC
	IP       netip.Addr
	Protocol string // what showed the binding ("arp", "ip", ...), as the engine says
	Site     string
	Seen
}

// AttributeRow is Key=Value about an endpoint.
type AttributeRow struct {
	Endpoint   discovery.Endpoint
	Key, Value string
	Site       string
	Confidence float64
	Seen
}

// ServiceRow is a protocol an endpoint offers or uses.
type ServiceRow struct {
	Endpoint  discovery.Endpoint
	Protocol  string
	Transport string
	Port      uint16
	Role      string
	Site      string
	Seen
}

// CommKey names one communication between endpoints.
type CommKey struct {
	Client, Server discovery.Endpoint
	Protocol       string
	Transport      string
	Port           uint16
	Site           string
}

// CommRow is traffic between two endpoints (Count is unused; Packets and
// Bytes are the sums).
type CommRow struct {
	CommKey
	Packets, Bytes uint64
	Seen
}

// OperationRow counts an operation on a communication.
type OperationRow struct {
	CommKey
	Code  int
	Name  string
	Class string
	Seen
}

// CommAttributeRow is a fact about a communication.
type CommAttributeRow struct {
	CommKey
	Key, Value string
	Confidence float64
	Seen
}
