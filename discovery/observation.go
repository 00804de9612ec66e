package discovery

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"time"
)

// MAC is an Ethernet address held by value so that observations never
// allocate for it. The zero value means "no MAC known" (raw IP and loopback
// captures, facts learnt behind a router).
type MAC [6]byte

// IsZero reports whether no MAC is known.
func (m MAC) IsZero() bool { return m == MAC{} }

// IsUnicast reports whether m is a usable individual address (not zero, not
// multicast or broadcast).
func (m MAC) IsUnicast() bool { return !m.IsZero() && m[0]&1 == 0 }

// String formats m lower-case with colons, as CONTRACT.md requires.
func (m MAC) String() string {
	if m.IsZero() {
		return ""
	}
	var b [17]byte
	const hexd = "0123456789abcdef"
	for i, v := range m {
		if i > 0 {
			b[i*3-1] = ':'
		}
		b[i*3] = hexd[v>>4]
		b[i*3+1] = hexd[v&0xf]
	}
	return string(b[:])
}

// ParseMAC reads "00:0c:29:aa:bb:cc", "00-0c-29-aa-bb-cc" or "000c29aabbcc".
func ParseMAC(s string) (MAC, error) {
	var m MAC
	clean := make([]byte, 0, 12)
	for i := 0; i < len(s); i++ {
		if s[i] == ':' || s[i] == '-' || s[i] == '.' {
			continue
		}
		clean = append(clean, s[i])
	}
	if len(clean) != 12 {
		return m, fmt.Errorf("mac %q: want 6 bytes", s)
	}
	if _, err := hex.Decode(m[:], clean); err != nil {
		return m, fmt.Errorf("mac %q: %w", s, err)
	}
	return m, nil
}

// MACFromBytes copies a 6-byte slice into a MAC; other lengths give the zero MAC.
func MACFromBytes(b []byte) MAC {
	var m MAC
	if len(b) == 6 {
		copy(m[:], b)
	}
	return m
}

// Endpoint names the thing an observation is about. MAC and IP are as seen on
// the wire. Sub is a sub-address for a device that is reachable only through
// the endpoint (a BACnet device behind a router: "bacnet:net=5,adr=0a"; a
// Modbus unit behind a gateway: "modbus:unit=3"); the inventory makes such a
// device its own asset with `via` pointing at the gateway.
type Endpoint struct {
	MAC MAC
	IP  netip.Addr
	Sub string
}

// IsZero reports whether the endpoint names nothing.
func (e Endpoint) IsZero() bool { return e.MAC.IsZero() && !e.IP.IsValid() && e.Sub == "" }

func (e Endpoint) String() string {
	s := ""
	if e.IP.IsValid() {
		s = e.IP.String()
	}
	if !e.MAC.IsZero() {
		if s != "" {
			s += "/"
		}
		s += e.MAC.String()
	}
	if e.Sub != "" {
		s += "[" + e.Sub + "]"
	}
	return s
}

// Kind says what an observation states.
type Kind uint8

const (
	// KindHost: Asset exists (a MAC/IP binding seen as a source, an ARP sender).
	KindHost Kind = iota + 1
	// KindAttribute: Asset has Key=Value (an identity fact: vendor, firmware, station name).
	KindAttribute
	// KindService: Asset offers or uses Protocol over Transport/Port in Role.
	KindService
	// KindOperation: Asset (the client) issued Op to Peer (the server) over Protocol.
	KindOperation
	// KindFlow: traffic between Asset (client) and Peer (server): Packets and
	// Bytes are deltas since the last KindFlow for the same flow.
	KindFlow
	// KindCommAttribute: a fact about the communication between Asset (client)
	// and Peer (server) over Protocol/Port, e.g. "opcua.security_mode"="SignAndEncrypt"
	// or "encrypted"="true". Used by zones/ to say whether a conduit is protected.
	KindCommAttribute
)

var kindNames = [...]string{"", "host", "attribute", "service", "operation", "flow", "comm_attribute"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// OpClass groups operations by what they can do to a process; the rules and
// the assessment reason over classes, not protocol-specific codes.
type OpClass string

const (
	OpRead       OpClass = "read"
	OpWrite      OpClass = "write"
	OpProgram    OpClass = "program"
	OpControl    OpClass = "control"
	OpConfig     OpClass = "config"
	OpDiagnostic OpClass = "diagnostic"
	OpDiscovery  OpClass = "discovery"
	OpOther      OpClass = "other"
)

// Operation is one protocol operation (a function code, a service) with its class.
type Operation struct {
	Code  int
	Name  string
	Class OpClass
}

// Evidence says where an observation came from: "pcap:plant.pcapng#frame=1234",
// "live:eth1#frame=99", "probe:modbus@10.0.0.5:502".
type Evidence struct {
	Kind  string // pcap, live, probe
	Name  string // file base name, interface, or probe target
	Frame uint64 // 1-based frame number within Name; 0 when not a frame
}

func (e Evidence) String() string {
	if e.Kind == "" {
		return ""
	}
	if e.Kind == "probe" {
		return "probe:" + e.Name
	}
	if e.Frame == 0 {
		return e.Kind + ":" + e.Name
	}
	return e.Kind + ":" + e.Name + "#frame=" + strconv.FormatUint(e.Frame, 10)
}

// Observation is one fact with its evidence. Dissectors and probes only emit
// observations; the inventory merges them into assets and communications.
// It is passed by value so that emitting one does not allocate.
type Observation struct {
	Kind     Kind
	Time     time.Time
	Evidence Evidence

	// Asset is the endpoint the fact is about; for operations, flows and
	// communication attributes it is the client (the initiator).
	Asset Endpoint
	// Peer is the server side of an operation, flow or communication attribute.
	Peer Endpoint

	Protocol  string // CONTRACT.md protocol name: "modbus", "enip", ...
	Transport string // "tcp", "udp", "eth"
	Port      uint16 // server port (0 for layer 2)
	Role      string // services: server|client|master|outstation|publisher|subscriber

	Key   string // attributes: dotted key, protocol first ("modbus.vendor_name")
	Value string // attributes: the value as a person reads it

	// Confidence in [0,1]; 0 means "the default for this kind of fact".
	Confidence float32

	Op Operation // operations

	Packets uint64 // flows: packets in this delta; hosts: frames seen with the binding since its last observation
	Bytes   uint64 // flows: bytes on the wire in this delta

	// Since is, for a flow delta, the earliest packet time in the delta
	// (Time is the latest, Evidence names the earliest packet). A flow's
	// first_seen is then the same however its traffic was cut into deltas
	// by flushes. Zero means Time.
	Since time.Time
}

// Emit receives observations. Implementations must copy what they keep:
// the Observation itself is a value, and its strings are owned by the caller
// only until Emit returns if they alias packet data (dissectors copy wire
// strings before emitting, so in practice strings are safe to keep).
type Emit func(Observation)
