package discovery

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Transport is where a dissector listens.
type Transport uint8

const (
	TCP Transport = iota + 1
	UDP
	// Ether is layer 2: EtherTypes and LLC/SNAP frames.
	Ether
)

func (t Transport) String() string {
	switch t {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case Ether:
		return "eth"
	}
	return "unknown"
}

// Port is a transport port a dissector claims. Two dissectors claiming the
// same Port is a startup error (NewSet).
type Port struct {
	Transport Transport
	Number    uint16
}

func (p Port) String() string { return fmt.Sprintf("%s/%d", p.Transport, p.Number) }

// Direction is relative to the flow: ToServer is from the client (initiator).
type Direction uint8

const (
	ToServer Direction = iota
	ToClient
)

func (d Direction) String() string {
	if d == ToClient {
		return "to_client"
	}
	return "to_server"
}

// Flow is the engine's per-flow record that a dissector may annotate. The
// engine owns it; dissectors may set Protocol (e.g. the port-102 dissector
// says "s7comm_plus" once it has seen the payload) and keep per-flow state in
// State (bounded: never grow it with the packet count).
type Flow struct {
	Client, Server Endpoint
	ClientPort     uint16
	ServerPort     uint16
	Transport      Transport
	// Protocol is the CONTRACT.md protocol name used for this flow's
	// communication; the engine sets it to the dissector's Name() and a
	// dissector may refine it.
	Protocol string
	// ProtocolPending is set by a dissector that will still refine
	// Protocol (COTP on port 102 before its payload says S7comm,
	// S7comm-plus or MMS). The engine holds the flow's traffic deltas
	// until it is cleared or the flow ends, so that where a flush falls
	// does not split the traffic between two names.
	ProtocolPending bool
	// State is the dissector's per-flow state, created lazily by it.
	State any
}

// PacketInfo is what a dissector knows about the packet it is handed. It is
// reused by the engine: never keep a pointer to it past the call.
type PacketInfo struct {
	Evidence Evidence // with Frame set
	Time     time.Time
	Src, Dst Endpoint // MAC and IP as on the wire (inner headers after decapsulation)
	SrcPort  uint16
	DstPort  uint16
	VLAN     uint16 // innermost 802.1Q id, 0 when untagged
	Dir      Direction
	// Flow is nil for layer-2 frames.
	Flow *Flow
}

// Obs returns an observation pre-filled with the packet's time and evidence,
// about endpoint asset. Dissectors fill in the rest.
func (p *PacketInfo) Obs(kind Kind, asset Endpoint) Observation {
	return Observation{Kind: kind, Time: p.Time, Evidence: p.Evidence, Asset: asset}
}

// Client and Server return the flow's endpoints (Src/Dst when there is no flow).
func (p *PacketInfo) Client() Endpoint {
	if p.Flow != nil {
		return p.Flow.Client
	}
	return p.Src
}

func (p *PacketInfo) Server() Endpoint {
	if p.Flow != nil {
		return p.Flow.Server
	}
	return p.Dst
}

// Dissector is the base every protocol implements; abilities are the
// optional interfaces below, found by type assertion (as packetbeat's
// TCPPlugin/UDPPlugin).
type Dissector interface {
	// Name is the CONTRACT.md protocol name ("modbus").
	Name() string
	// Ports are the TCP/UDP ports this dissector claims as server ports.
	Ports() []Port
}

// Verdict is a dissector's answer to "is this payload my protocol?".
type Verdict uint8

const (
	No Verdict = iota
	// NeedMore: too few bytes to tell yet.
	NeedMore
	Yes
)

// StreamDissector reads TCP. The engine reassembles each direction in order
// and frames PDUs with PDULen, so Parse always sees one whole PDU.
type StreamDissector interface {
	Dissector
	// Detect looks at the first bytes of a direction of a flow on a claimed
	// port (or any port, for a Heuristic dissector) and confirms the protocol
	// by its payload, not by its port alone.
	Detect(data []byte, dir Direction) Verdict
	// NewStream returns the per-flow parser.
	NewStream(f *Flow) Stream
}

// Stream frames and parses one TCP flow's PDUs.
type Stream interface {
	// PDULen returns the length of the PDU at the start of data: n > 0 when
	// known (n may exceed len(data): the engine waits for more), 0 when more
	// bytes are needed to tell, or an error when data cannot be this protocol
	// (the engine counts it and stops dissecting the flow).
	PDULen(data []byte, dir Direction) (int, error)
	// Parse handles exactly one PDU. pdu is only valid during the call.
	Parse(pdu []byte, pkt *PacketInfo, emit Emit) error
}

// DatagramDissector reads UDP datagrams. Per-flow state, if any, goes in
// pkt.Flow.State.
type DatagramDissector interface {
	Dissector
	Detect(data []byte, pkt *PacketInfo) Verdict
	Datagram(data []byte, pkt *PacketInfo, emit Emit) error
}

// FrameMatch selects layer-2 frames: an EtherType (Ethernet II), an LLC DSAP,
// or a SNAP OUI/PID. Set exactly one kind.
type FrameMatch struct {
	EtherType uint16
	DSAP      uint8
	SNAPOUI   uint32
	SNAPPID   uint16
}

// FrameDissector reads layer-2 payloads (PROFINET DCP/RT, LLDP, CDP, GOOSE,
// BACnet/Ethernet). data is the payload after the EtherType or LLC/SNAP header.
type FrameDissector interface {
	Dissector
	Frames() []FrameMatch
	Frame(data []byte, pkt *PacketInfo, emit Emit) error
}

// Heuristic marks a stream or datagram dissector whose Detect is reliable
// enough to run on flows whose server port nobody claims (OPC UA's Hello,
// a TPKT/COTP connection request).
type Heuristic interface {
	Heuristic() bool
}

// HeuristicDetector is a Heuristic stream dissector whose test on a port
// nobody claims is stricter than Detect on its own port (Modbus/TCP: on
// port 502 any sane MBAP header will do; elsewhere a whole request whose
// length fits its function code). The engine calls DetectHeuristic
// instead of Detect on unclaimed ports.
type HeuristicDetector interface {
	DetectHeuristic(data []byte, dir Direction) Verdict
}

// Factory makes a dissector; each engine makes its own instances, so a
// dissector may keep state without locks.
type Factory func() Dissector

var (
	regMu     sync.Mutex
	factories = map[string]Factory{}
)

// Register adds a dissector factory under name. It is called from init();
// a duplicate name panics.
func Register(name string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := factories[name]; dup {
		panic("discovery: dissector registered twice: " + name)
	}
	factories[name] = f
}

// Registered returns the registered dissector names, sorted.
func Registered() []string {
	regMu.Lock()
	defer regMu.Unlock()
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ErrPortConflict is returned by NewSet when two dissectors claim one port.
var ErrPortConflict = errors.New("port claimed by two dissectors")

// Set is one engine's instantiated dissectors with their port and frame maps.
type Set struct {
	All       []Dissector
	TCP       map[uint16]StreamDissector
	UDP       map[uint16]DatagramDissector
	Frames    []FrameDissector
	Heuristic []Dissector // stream or datagram dissectors usable on any port
}

// NewSet instantiates the named dissectors (all registered when names is
// empty) and builds the port maps.
func NewSet(names ...string) (*Set, error) {
	if len(names) == 0 {
		names = Registered()
	}
	regMu.Lock()
	fs := make([]Factory, 0, len(names))
	for _, n := range names {
		f, ok := factories[n]
		if !ok {
			regMu.Unlock()
			return nil, fmt.Errorf("discovery: unknown dissector %q", n)
		}
		fs = append(fs, f)
	}
	regMu.Unlock()
	return NewSetOf(fs...)
}

// NewSetOf builds a Set from factories directly (tests use it to build a
// private registry).
func NewSetOf(fs ...Factory) (*Set, error) {
	s := &Set{TCP: map[uint16]StreamDissector{}, UDP: map[uint16]DatagramDissector{}}
	owner := map[Port]string{}
	for _, f := range fs {
		d := f()
		s.All = append(s.All, d)
		for _, p := range d.Ports() {
			if prev, dup := owner[p]; dup {
				return nil, fmt.Errorf("discovery: %s: %s and %s: %w", p, prev, d.Name(), ErrPortConflict)
			}
			owner[p] = d.Name()
			switch p.Transport {
			case TCP:
				sd, ok := d.(StreamDissector)
				if !ok {
					return nil, fmt.Errorf("discovery: %s claims %s but is not a StreamDissector", d.Name(), p)
				}
				s.TCP[p.Number] = sd
			case UDP:
				dd, ok := d.(DatagramDissector)
				if !ok {
					return nil, fmt.Errorf("discovery: %s claims %s but is not a DatagramDissector", d.Name(), p)
				}
				s.UDP[p.Number] = dd
			}
		}
		if fd, ok := d.(FrameDissector); ok {
			s.Frames = append(s.Frames, fd)
		}
		if h, ok := d.(Heuristic); ok && h.Heuristic() {
			s.Heuristic = append(s.Heuristic, d)
		}
	}
	return s, nil
}
