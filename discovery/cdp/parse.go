package cdp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/otzone/otzone/discovery/internal/bitnames"
)

// TLVType is a CDP TLV type.
type TLVType uint16

const (
	TLVDeviceID        TLVType = 0x0001
	TLVAddresses       TLVType = 0x0002
	TLVPortID          TLVType = 0x0003
	TLVCapabilities    TLVType = 0x0004
	TLVSoftwareVersion TLVType = 0x0005
	TLVPlatform        TLVType = 0x0006
	TLVVTPDomain       TLVType = 0x0009
	TLVNativeVLAN      TLVType = 0x000a
	TLVMgmtAddresses   TLVType = 0x0016
)

func (t TLVType) String() string {
	switch t {
	case TLVDeviceID:
		return "device_id"
	case TLVAddresses:
		return "addresses"
	case TLVPortID:
		return "port_id"
	case TLVCapabilities:
		return "capabilities"
	case TLVSoftwareVersion:
		return "software_version"
	case TLVPlatform:
		return "platform"
	case TLVVTPDomain:
		return "vtp_domain"
	case TLVNativeVLAN:
		return "native_vlan"
	case TLVMgmtAddresses:
		return "management_addresses"
	}
	return fmt.Sprintf("tlv(%#04x)", uint16(t))
}

// Capabilities is the TLV 0x04 bit map.
type Capabilities uint32

var capNames = [...]string{"router", "transparent_bridge", "source_route_bridge", "switch", "host", "igmp",
	"repeater", "voip_phone", "remotely_managed", "cvta", "two_port_mac_relay"}

// String lists set bits by name in bit order.
func (c Capabilities) String() string { return bitnames.Join(uint64(c), 32, capNames[:]) }

// MaxAddrs bounds the addresses kept per address TLV.
const MaxAddrs = 8

// Addrs is a bounded list of addresses.
type Addrs struct {
	A [MaxAddrs]netip.Addr
	N int
}

// Slice returns the addresses.
func (a *Addrs) Slice() []netip.Addr { return a.A[:a.N] }

// Packet is one CDP announcement; byte slices alias the input.
type Packet struct {
	Version         uint8
	TTL             uint8
	DeviceID        []byte
	PortID          []byte
	Platform        []byte
	SoftwareVersion []byte
	VTPDomain       []byte
	HasCapabilities bool
	Capabilities    Capabilities
	HasNativeVLAN   bool
	NativeVLAN      uint16
	Addresses       Addrs
	MgmtAddresses   Addrs
}

// Errors returned by Parse.
var (
	ErrShort   = errors.New("shorter than the 4-byte header")
	ErrVersion = errors.New("unknown version")
	ErrTLV     = errors.New("malformed TLV")
)

// Parse reads a CDP packet (the bytes after the SNAP header) into p (reset first).
func Parse(b []byte, p *Packet) error {
	*p = Packet{}
	if len(b) < 4 {
		return fmt.Errorf("cdp: %d bytes: %w", len(b), ErrShort)
	}
	p.Version, p.TTL = b[0], b[1]
	if p.Version != 1 && p.Version != 2 {
		return fmt.Errorf("cdp: version %d: %w", p.Version, ErrVersion)
	}
	for off := 4; off < len(b); {
		if len(b)-off < 4 {
			// Trailing bytes shorter than a TLV header: Ethernet padding.
			break
		}
		typ := TLVType(binary.BigEndian.Uint16(b[off:]))
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		if n < 4 || off+n > len(b) {
			return fmt.Errorf("cdp: %s TLV at offset %d: length %d, %d bytes left: %w", typ, off, n, len(b)-off, ErrTLV)
		}
		v := b[off+4 : off+n]
		off += n
		switch typ {
		case TLVDeviceID:
			p.DeviceID = v
		case TLVPortID:
			p.PortID = v
		case TLVPlatform:
			p.Platform = v
		case TLVSoftwareVersion:
			p.SoftwareVersion = v
		case TLVVTPDomain:
			p.VTPDomain = v
		case TLVCapabilities:
			if len(v) >= 4 {
				p.HasCapabilities, p.Capabilities = true, Capabilities(binary.BigEndian.Uint32(v))
			}
		case TLVNativeVLAN:
			if len(v) >= 2 {
				p.HasNativeVLAN, p.NativeVLAN = true, binary.BigEndian.Uint16(v)
			}
		case TLVAddresses:
			if err := parseAddrs(v, &p.Addresses); err != nil {
				return err
			}
		case TLVMgmtAddresses:
			if err := parseAddrs(v, &p.MgmtAddresses); err != nil {
				return err
			}
		}
	}
	return nil
}

// ipv6SNAP is the 802.2 protocol field CDP uses for IPv6 addresses.
var ipv6SNAP = [8]byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x86, 0xdd}

// parseAddrs reads count(4) then records of proto type(1), proto len(1),
// proto, addr len(2), addr.
func parseAddrs(v []byte, out *Addrs) error {
	if len(v) < 4 {
		return fmt.Errorf("cdp: address TLV of %d bytes: %w", len(v), ErrTLV)
	}
	count := binary.BigEndian.Uint32(v)
	v = v[4:]
	for i := uint32(0); i < count; i++ {
		if len(v) < 2 {
			return fmt.Errorf("cdp: address %d: %w", i, ErrTLV)
		}
		ptype, plen := v[0], int(v[1])
		if len(v) < 2+plen+2 {
			return fmt.Errorf("cdp: address %d: %w", i, ErrTLV)
		}
		proto := v[2 : 2+plen]
		alen := int(binary.BigEndian.Uint16(v[2+plen:]))
		if len(v) < 4+plen+alen {
			return fmt.Errorf("cdp: address %d length %d: %w", i, alen, ErrTLV)
		}
		addr := v[4+plen : 4+plen+alen]
		v = v[4+plen+alen:]
		var a netip.Addr
		switch {
		case ptype == 1 && plen == 1 && proto[0] == 0xcc && alen == 4:
			a = netip.AddrFrom4([4]byte(addr))
		case ptype == 2 && plen == 8 && [8]byte(proto) == ipv6SNAP && alen == 16:
			a = netip.AddrFrom16([16]byte(addr))
		default:
			continue
		}
		if out.N < MaxAddrs {
			out.A[out.N] = a
			out.N++
		}
	}
	return nil
}
