package dhcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Op is the BOOTP op field.
type Op uint8

const (
	BootRequest Op = 1
	BootReply   Op = 2
)

func (o Op) String() string {
	switch o {
	case BootRequest:
		return "request"
	case BootReply:
		return "reply"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// MessageType is option 53 (RFC 2132 section 9.6).
type MessageType uint8

const (
	Discover MessageType = 1
	Offer    MessageType = 2
	Request  MessageType = 3
	Decline  MessageType = 4
	Ack      MessageType = 5
	Nak      MessageType = 6
	Release  MessageType = 7
	Inform   MessageType = 8
)

var msgNames = [...]string{"", "discover", "offer", "request", "decline", "ack", "nak", "release", "inform"}

func (m MessageType) String() string {
	if int(m) < len(msgNames) && m != 0 {
		return msgNames[m]
	}
	return fmt.Sprintf("type(%d)", uint8(m))
}

// Message is one parsed DHCP message. Byte slices alias the input.
type Message struct {
	Op          Op
	HType, HLen uint8
	XID         uint32
	CIAddr      netip.Addr
	YIAddr      netip.Addr
	SIAddr      netip.Addr
	GIAddr      netip.Addr
	CHAddr      [16]byte
	// Options present in the message.
	Type        MessageType // 0 when absent (plain BOOTP)
	HostName    []byte      // option 12
	VendorClass []byte      // option 60
	FQDN        []byte      // option 81 domain name (wire or ASCII form, see FQDNName)
	FQDNWire    bool        // option 81 E flag: name in DNS wire format
	RequestedIP netip.Addr  // option 50
	ServerID    netip.Addr  // option 54
}

// MAC returns chaddr when it is an Ethernet address.
func (m *Message) MAC() ([6]byte, bool) {
	if m.HType != 1 || m.HLen != 6 {
		return [6]byte{}, false
	}
	return [6]byte(m.CHAddr[:6]), true
}

// Errors returned by Parse.
var (
	ErrShort    = errors.New("shorter than the 240-byte BOOTP header and magic cookie")
	ErrNoCookie = errors.New("no DHCP magic cookie")
	ErrOption   = errors.New("option overruns message")
)

const hdrLen = 236

// Parse reads a DHCP message into m (reset first).
func Parse(b []byte, m *Message) error {
	*m = Message{}
	if len(b) < hdrLen+4 {
		return fmt.Errorf("dhcp: %d bytes: %w", len(b), ErrShort)
	}
	m.Op, m.HType, m.HLen = Op(b[0]), b[1], b[2]
	m.XID = binary.BigEndian.Uint32(b[4:])
	m.CIAddr = netip.AddrFrom4([4]byte(b[12:16]))
	m.YIAddr = netip.AddrFrom4([4]byte(b[16:20]))
	m.SIAddr = netip.AddrFrom4([4]byte(b[20:24]))
	m.GIAddr = netip.AddrFrom4([4]byte(b[24:28]))
	copy(m.CHAddr[:], b[28:44])
	if binary.BigEndian.Uint32(b[hdrLen:]) != 0x63825363 {
		return fmt.Errorf("dhcp: %w", ErrNoCookie)
	}
	opts := b[hdrLen+4:]
	for i := 0; i < len(opts); {
		code := opts[i]
		if code == 0 { // pad
			i++
			continue
		}
		if code == 255 { // end
			break
		}
		if i+1 >= len(opts) {
			return fmt.Errorf("dhcp: option %d at offset %d: %w", code, hdrLen+4+i, ErrOption)
		}
		n := int(opts[i+1])
		if i+2+n > len(opts) {
			return fmt.Errorf("dhcp: option %d length %d at offset %d: %w", code, n, hdrLen+4+i, ErrOption)
		}
		v := opts[i+2 : i+2+n]
		i += 2 + n
		switch code {
		case 53:
			if n >= 1 {
				m.Type = MessageType(v[0])
			}
		case 12:
			m.HostName = v
		case 60:
			m.VendorClass = v
		case 50:
			if n == 4 {
				m.RequestedIP = netip.AddrFrom4([4]byte(v))
			}
		case 54:
			if n == 4 {
				m.ServerID = netip.AddrFrom4([4]byte(v))
			}
		case 81:
			// flags, rcode1, rcode2, domain name (RFC 4702 section 2)
			if n > 3 {
				m.FQDN, m.FQDNWire = v[3:], v[0]&0x04 != 0
			}
		}
	}
	return nil
}

// FQDNName renders option 81's name: ASCII as is, DNS wire format
// (length-prefixed labels) as dotted text. It allocates; call it only to emit.
func (m *Message) FQDNName() []byte {
	if !m.FQDNWire {
		return m.FQDN
	}
	return wireName(m.FQDN)
}

// wireName renders a domain name in DNS wire format (length-prefixed
// labels, RFC 1035 §3.1; no compression in DHCP) as dotted text, stopping
// at the root label or anything malformed.
func wireName(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		n := int(b[0])
		if n == 0 || n > 63 || 1+n > len(b) {
			break
		}
		if len(out) > 0 {
			out = append(out, '.')
		}
		out = append(out, b[1:1+n]...)
		b = b[1+n:]
	}
	return out
}
