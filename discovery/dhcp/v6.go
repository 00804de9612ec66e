package dhcp

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/recent"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// DHCPv6 (RFC 8415) on UDP 547 (servers and relays) / 546 (clients).
// Windows hosts send SOLICITs with their FQDN and the "MSFT 5.0" vendor
// class even on IPv4-only plant networks, so DHCPv6 names engineering
// workstations and HMIs that DHCPv4 may not (their addresses are static).

const (
	ServerPortV6 = 547
	ClientPortV6 = 546
)

// Errors returned by ParseV6.
var (
	ErrTruncatedV6 = errors.New("truncated DHCPv6 message")
	ErrTypeV6      = errors.New("not a DHCPv6 client/server message type")
)

// MessageTypeV6 is a DHCPv6 msg-type (RFC 8415 §7.3).
type MessageTypeV6 uint8

const (
	Solicit6     MessageTypeV6 = 1
	Advertise6   MessageTypeV6 = 2
	Request6     MessageTypeV6 = 3
	Confirm6     MessageTypeV6 = 4
	Renew6       MessageTypeV6 = 5
	Rebind6      MessageTypeV6 = 6
	Reply6       MessageTypeV6 = 7
	Release6     MessageTypeV6 = 8
	Decline6     MessageTypeV6 = 9
	Reconfigure6 MessageTypeV6 = 10
	InfoRequest6 MessageTypeV6 = 11
	RelayForw6   MessageTypeV6 = 12
	RelayRepl6   MessageTypeV6 = 13
)

// MessageV6 is one parsed client/server DHCPv6 message. Byte slices alias the input.
type MessageV6 struct {
	Type          MessageTypeV6
	XID           uint32
	ClientDUID    []byte
	ServerDUID    []byte
	FQDN          []byte // option 39 domain name, DNS wire format
	VendorEnt     uint32 // option 16 enterprise number
	VendorClass   []byte // option 16, the first vendor-class-data item
	HasVendor     bool
	Addresses     []netip.Addr // IA_NA / IA_TA IAADDR options
	addrs         [4]netip.Addr
	HasStatusFail bool // a top-level Status Code other than Success
}

// ParseV6 reads a client/server message (not a relay message).
func ParseV6(b []byte, m *MessageV6) error {
	*m = MessageV6{}
	if len(b) < 4 {
		return fmt.Errorf("dhcpv6: %d bytes: %w", len(b), ErrTruncatedV6)
	}
	m.Type = MessageTypeV6(b[0])
	if m.Type == 0 || m.Type >= RelayForw6 {
		return fmt.Errorf("dhcpv6: message type %d: %w", b[0], ErrTypeV6)
	}
	m.XID = uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	m.Addresses = m.addrs[:0]
	return m.options(b[4:], 0)
}

func (m *MessageV6) options(b []byte, depth int) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return fmt.Errorf("dhcpv6: option header: %w", ErrTruncatedV6)
		}
		code, n := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
		if 4+n > len(b) {
			return fmt.Errorf("dhcpv6: option %d length %d, %d left: %w", code, n, len(b)-4, ErrTruncatedV6)
		}
		v := b[4 : 4+n]
		b = b[4+n:]
		switch code {
		case 1:
			m.ClientDUID = v
		case 2:
			m.ServerDUID = v
		case 3, 4: // IA_NA (IAID, T1, T2), IA_TA (IAID): their own options follow
			skip := 12
			if code == 4 {
				skip = 4
			}
			if len(v) >= skip && depth == 0 {
				if err := m.options(v[skip:], depth+1); err != nil {
					return err
				}
			}
		case 5: // IAADDR: address, preferred and valid lifetimes, options
			if len(v) >= 24 && depth == 1 && len(m.Addresses) < cap(m.addrs) {
				m.Addresses = append(m.Addresses, netip.AddrFrom16([16]byte(v[:16])))
			}
		case 13: // Status Code
			if len(v) >= 2 && depth == 0 && binary.BigEndian.Uint16(v) != 0 {
				m.HasStatusFail = true
			}
		case 16: // Vendor Class: enterprise number, then length-prefixed items
			if len(v) >= 6 && !m.HasVendor {
				m.HasVendor = true
				m.VendorEnt = binary.BigEndian.Uint32(v)
				if l := int(binary.BigEndian.Uint16(v[4:])); 6+l <= len(v) {
					m.VendorClass = v[6 : 6+l]
				}
			}
		case 39: // Client FQDN (RFC 4704): flags, then the name in DNS wire format
			if len(v) >= 1 {
				m.FQDN = v[1:]
			}
		}
	}
	return nil
}

// FQDNName renders option 39's domain name ("ews-1.plant.local"; a partial
// name has no trailing label).
func (m *MessageV6) FQDNName() []byte { return wireName(m.FQDN) }

// DUIDString renders a DUID as its type and hex ("LLT 00:0c:29:...", or hex).
func DUIDString(d []byte) string {
	if len(d) < 2 {
		return ""
	}
	switch binary.BigEndian.Uint16(d) {
	case 1: // DUID-LLT: hardware type, time, link-layer address
		if len(d) == 14 && binary.BigEndian.Uint16(d[2:]) == 1 {
			return "llt " + discovery.MACFromBytes(d[8:14]).String()
		}
	case 3: // DUID-LL: hardware type, link-layer address
		if len(d) == 10 && binary.BigEndian.Uint16(d[2:]) == 1 {
			return "ll " + discovery.MACFromBytes(d[4:10]).String()
		}
	}
	if len(d) > 64 {
		d = d[:64]
	}
	return hex.EncodeToString(d)
}

// V6Dissector is the DHCPv6 datagram dissector.
type V6Dissector struct {
	msg     MessageV6
	clients *recent.Table[discovery.MAC]
}

func init() {
	discovery.Register("dhcpv6", func() discovery.Dissector { return NewV6() })
}

// NewV6 returns a DHCPv6 dissector.
func NewV6() *V6Dissector {
	return &V6Dissector{clients: recent.New[discovery.MAC](maxClients, reemit)}
}

func (d *V6Dissector) Name() string { return "dhcpv6" }
func (d *V6Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: ServerPortV6}}
}

// Detect confirms DHCPv6 by a client/server message type between the
// well-known ports and options that parse to the end.
func (d *V6Dissector) Detect(data []byte, pkt *discovery.PacketInfo) discovery.Verdict {
	ports := (pkt.SrcPort == ClientPortV6 && pkt.DstPort == ServerPortV6) || (pkt.SrcPort == ServerPortV6 && pkt.DstPort == ClientPortV6) ||
		(pkt.SrcPort == ServerPortV6 && pkt.DstPort == ServerPortV6)
	if !ports || len(data) < 4 {
		return discovery.No
	}
	var m MessageV6
	if data[0] >= byte(RelayForw6) && data[0] <= byte(RelayRepl6) {
		return discovery.Yes // relay traffic between agents and servers
	}
	if ParseV6(data, &m) != nil {
		return discovery.No
	}
	return discovery.Yes
}

// Datagram emits the client's names and the server's lease.
func (d *V6Dissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	if len(data) > 0 && data[0] >= byte(RelayForw6) && data[0] <= byte(RelayRepl6) {
		return nil // relayed messages: not read (doc.go)
	}
	m := &d.msg
	if err := ParseV6(data, m); err != nil {
		return err
	}
	base := func(kind discovery.Kind, e discovery.Endpoint) discovery.Observation {
		o := pkt.Obs(kind, e)
		o.Protocol, o.Transport, o.Port = "dhcpv6", "udp", ServerPortV6
		return o
	}
	attr := func(e discovery.Endpoint, key, value string, conf float32) {
		if value == "" {
			return
		}
		a := base(discovery.KindAttribute, e)
		a.Key, a.Value, a.Confidence = key, value, conf
		emit(a)
	}
	src := pkt.Src
	switch m.Type {
	case Advertise6, Reply6, Reconfigure6:
		// From a server (or a relay: then the frame's source is the relay).
		if src.IP.IsValid() {
			o := base(discovery.KindService, src)
			o.Role = "server"
			emit(o)
			attr(src, "dhcpv6.server_duid", DUIDString(m.ServerDUID), 0.9)
		}
		// A Reply assigning addresses binds them to the client, which is
		// the frame's destination on the client's own link.
		if m.Type == Reply6 && !m.HasStatusFail && pkt.Dst.MAC.IsUnicast() {
			for _, a := range m.Addresses {
				if a.IsValid() && !a.IsUnspecified() {
					bound := discovery.Endpoint{MAC: pkt.Dst.MAC, IP: a}
					emit(pkt.Obs(discovery.KindHost, bound))
					attr(bound, "dhcpv6.assigned_ip", a.String(), 0.95)
				}
			}
		}
		return nil
	}
	// Client messages.
	if !src.MAC.IsUnicast() {
		return nil
	}
	sum := fnv64(uint64(m.Type), m.FQDN, m.VendorClass, m.ClientDUID)
	if !d.clients.Fresh(src.MAC, sum, pkt.Time) {
		return nil
	}
	o := base(discovery.KindService, src)
	o.Role = "client"
	emit(o)
	attr(src, "dhcpv6.hostname", wirestr.Clean(m.FQDNName()), 0.9)
	if m.HasVendor {
		v := wirestr.Clean(m.VendorClass)
		if v == "" {
			v = "enterprise " + strconv.FormatUint(uint64(m.VendorEnt), 10)
		}
		attr(src, "dhcpv6.vendor_class", v, 0.9)
	}
	attr(src, "dhcpv6.client_duid", DUIDString(m.ClientDUID), 0.9)
	return nil
}
