package lldp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/otzone/otzone/discovery/internal/bitnames"
)

// TLVType is an LLDPDU TLV type (802.1AB table 8-1).
type TLVType uint8

const (
	TLVEnd               TLVType = 0
	TLVChassisID         TLVType = 1
	TLVPortID            TLVType = 2
	TLVTTL               TLVType = 3
	TLVPortDescription   TLVType = 4
	TLVSystemName        TLVType = 5
	TLVSystemDescription TLVType = 6
	TLVCapabilities      TLVType = 7
	TLVManagementAddress TLVType = 8
	TLVOrgSpecific       TLVType = 127
)

func (t TLVType) String() string {
	switch t {
	case TLVEnd:
		return "end"
	case TLVChassisID:
		return "chassis_id"
	case TLVPortID:
		return "port_id"
	case TLVTTL:
		return "ttl"
	case TLVPortDescription:
		return "port_description"
	case TLVSystemName:
		return "system_name"
	case TLVSystemDescription:
		return "system_description"
	case TLVCapabilities:
		return "system_capabilities"
	case TLVManagementAddress:
		return "management_address"
	case TLVOrgSpecific:
		return "organization_specific"
	}
	return fmt.Sprintf("tlv(%d)", uint8(t))
}

// ChassisIDSubtype says how to read a Chassis ID (802.1AB table 8-2).
type ChassisIDSubtype uint8

const (
	ChassisComponent      ChassisIDSubtype = 1
	ChassisInterfaceAlias ChassisIDSubtype = 2
	ChassisPortComponent  ChassisIDSubtype = 3
	ChassisMACAddress     ChassisIDSubtype = 4
	ChassisNetworkAddress ChassisIDSubtype = 5
	ChassisInterfaceName  ChassisIDSubtype = 6
	ChassisLocal          ChassisIDSubtype = 7
)

func (s ChassisIDSubtype) String() string {
	switch s {
	case ChassisComponent:
		return "chassis_component"
	case ChassisInterfaceAlias:
		return "interface_alias"
	case ChassisPortComponent:
		return "port_component"
	case ChassisMACAddress:
		return "mac_address"
	case ChassisNetworkAddress:
		return "network_address"
	case ChassisInterfaceName:
		return "interface_name"
	case ChassisLocal:
		return "locally_assigned"
	}
	return fmt.Sprintf("subtype(%d)", uint8(s))
}

// PortIDSubtype says how to read a Port ID (802.1AB table 8-3).
type PortIDSubtype uint8

const (
	PortInterfaceAlias PortIDSubtype = 1
	PortComponent      PortIDSubtype = 2
	PortMACAddress     PortIDSubtype = 3
	PortNetworkAddress PortIDSubtype = 4
	PortInterfaceName  PortIDSubtype = 5
	PortAgentCircuitID PortIDSubtype = 6
	PortLocal          PortIDSubtype = 7
)

func (s PortIDSubtype) String() string {
	switch s {
	case PortInterfaceAlias:
		return "interface_alias"
	case PortComponent:
		return "port_component"
	case PortMACAddress:
		return "mac_address"
	case PortNetworkAddress:
		return "network_address"
	case PortInterfaceName:
		return "interface_name"
	case PortAgentCircuitID:
		return "agent_circuit_id"
	case PortLocal:
		return "locally_assigned"
	}
	return fmt.Sprintf("subtype(%d)", uint8(s))
}

// Capabilities is the System Capabilities bit map (802.1AB table 8-4).
type Capabilities uint16

var capNames = [...]string{"other", "repeater", "bridge", "wlan_access_point", "router", "telephone",
	"docsis_cable_device", "station_only", "c_vlan", "s_vlan", "two_port_mac_relay"}

// String lists the set bits by name, comma-separated, in bit order.
func (c Capabilities) String() string { return bitnames.Join(uint64(c), 16, capNames[:]) }

// MaxMgmtAddrs bounds the management addresses kept from one LLDPDU.
const MaxMgmtAddrs = 4

// LLDPDU is one parsed frame. Byte slices alias the input.
type LLDPDU struct {
	ChassisSubtype      ChassisIDSubtype
	ChassisID           []byte
	PortSubtype         PortIDSubtype
	PortID              []byte
	TTL                 uint16
	PortDescription     []byte
	SystemName          []byte
	SystemDescription   []byte
	HasCapabilities     bool
	Capabilities        Capabilities
	EnabledCapabilities Capabilities
	MgmtAddrs           [MaxMgmtAddrs]netip.Addr
	NumMgmtAddrs        int
	// ProfinetChassisMAC is the PNO "Chassis MAC" organisation TLV (zero when absent).
	ProfinetChassisMAC [6]byte
	HasProfinetChassis bool
	// MED holds the LLDP-MED organisation TLVs (ANSI/TIA-1057, OUI 00-12-bb).
	MED MED
}

// MED is what an LLDP-MED device says about itself (ANSI/TIA-1057 §10.2):
// its capabilities and device class (subtype 1) and the inventory TLVs
// (subtypes 5 to 11, each a string of up to 32 octets).
type MED struct {
	HasCapabilities bool
	Capabilities    uint16
	Class           MEDClass
	HardwareRev     []byte // subtype 5
	FirmwareRev     []byte // subtype 6
	SoftwareRev     []byte // subtype 7
	SerialNumber    []byte // subtype 8
	Manufacturer    []byte // subtype 9
	Model           []byte // subtype 10
	AssetID         []byte // subtype 11
}

// MEDClass is the LLDP-MED device type (TIA-1057 §10.2.2.2).
type MEDClass uint8

func (c MEDClass) String() string {
	switch c {
	case 1:
		return "Endpoint Class I"
	case 2:
		return "Endpoint Class II"
	case 3:
		return "Endpoint Class III"
	case 4:
		return "Network Connectivity"
	}
	return "class " + strconv.Itoa(int(c))
}

// medTLV reads one LLDP-MED TLV (v after the OUI: subtype, then value).
func (m *MED) medTLV(v []byte) {
	if len(v) < 1 {
		return
	}
	sub, val := v[0], v[1:]
	if len(val) > 32 && sub >= 5 {
		val = val[:32] // TIA-1057 allows 0..32 octets; keep no more
	}
	switch sub {
	case 1:
		if len(val) >= 3 {
			m.HasCapabilities = true
			m.Capabilities = binary.BigEndian.Uint16(val)
			m.Class = MEDClass(val[2])
		}
	case 5:
		m.HardwareRev = val
	case 6:
		m.FirmwareRev = val
	case 7:
		m.SoftwareRev = val
	case 8:
		m.SerialNumber = val
	case 9:
		m.Manufacturer = val
	case 10:
		m.Model = val
	case 11:
		m.AssetID = val
	}
}

// Errors returned by Parse.
var (
	ErrTruncated = errors.New("truncated TLV")
	ErrNoChassis = errors.New("no chassis id TLV")
	ErrBadTLV    = errors.New("malformed TLV")
)

// Parse reads an LLDPDU (the bytes after the EtherType) into d, which is
// reset first. Frame padding after the End TLV is ignored; a frame without
// an End TLV is accepted if its TLVs end exactly at the data's end.
func Parse(b []byte, d *LLDPDU) error {
	*d = LLDPDU{}
	seenChassis := false
	for off := 0; ; {
		if off == len(b) {
			break
		}
		if len(b)-off < 2 {
			return fmt.Errorf("lldp: offset %d: %w", off, ErrTruncated)
		}
		hdr := binary.BigEndian.Uint16(b[off:])
		typ, n := TLVType(hdr>>9), int(hdr&0x1ff)
		off += 2
		if len(b)-off < n {
			return fmt.Errorf("lldp: %s TLV at offset %d: length %d, %d bytes left: %w", typ, off-2, n, len(b)-off, ErrTruncated)
		}
		v := b[off : off+n]
		off += n
		switch typ {
		case TLVEnd:
			if !seenChassis {
				return fmt.Errorf("lldp: %w", ErrNoChassis)
			}
			return nil
		case TLVChassisID:
			if n < 2 {
				return fmt.Errorf("lldp: chassis id TLV length %d: %w", n, ErrBadTLV)
			}
			d.ChassisSubtype, d.ChassisID = ChassisIDSubtype(v[0]), v[1:]
			seenChassis = true
		case TLVPortID:
			if n < 2 {
				return fmt.Errorf("lldp: port id TLV length %d: %w", n, ErrBadTLV)
			}
			d.PortSubtype, d.PortID = PortIDSubtype(v[0]), v[1:]
		case TLVTTL:
			if n >= 2 {
				d.TTL = binary.BigEndian.Uint16(v)
			}
		case TLVPortDescription:
			d.PortDescription = v
		case TLVSystemName:
			d.SystemName = v
		case TLVSystemDescription:
			d.SystemDescription = v
		case TLVCapabilities:
			if n >= 4 {
				d.HasCapabilities = true
				d.Capabilities = Capabilities(binary.BigEndian.Uint16(v))
				d.EnabledCapabilities = Capabilities(binary.BigEndian.Uint16(v[2:]))
			}
		case TLVManagementAddress:
			// address string length (subtype + address), subtype, address, ...
			if n < 2 {
				return fmt.Errorf("lldp: management address TLV length %d: %w", n, ErrBadTLV)
			}
			alen := int(v[0])
			if alen < 1 || 1+alen > n {
				return fmt.Errorf("lldp: management address length %d in TLV of %d: %w", alen, n, ErrBadTLV)
			}
			if a, ok := ianaAddr(v[1], v[2:1+alen]); ok && d.NumMgmtAddrs < MaxMgmtAddrs {
				d.MgmtAddrs[d.NumMgmtAddrs] = a
				d.NumMgmtAddrs++
			}
		case TLVOrgSpecific:
			// PNO (PROFIBUS Nutzerorganisation) OUI 00-0e-cf, subtype 5 = Chassis MAC.
			if n >= 10 && v[0] == 0x00 && v[1] == 0x0e && v[2] == 0xcf && v[3] == 5 {
				copy(d.ProfinetChassisMAC[:], v[4:10])
				d.HasProfinetChassis = true
			}
			// TIA TR-41 OUI 00-12-bb: LLDP-MED.
			if n >= 4 && v[0] == 0x00 && v[1] == 0x12 && v[2] == 0xbb {
				d.MED.medTLV(v[3:])
			}
		}
	}
	if !seenChassis {
		return fmt.Errorf("lldp: %w", ErrNoChassis)
	}
	return nil
}

// ianaAddr reads an IANA address family number and address (RFC 3232
// "Address Family Numbers": 1 IPv4, 2 IPv6).
func ianaAddr(family byte, a []byte) (netip.Addr, bool) {
	switch {
	case family == 1 && len(a) == 4:
		return netip.AddrFrom4([4]byte(a)), true
	case family == 2 && len(a) == 16:
		return netip.AddrFrom16([16]byte(a)), true
	}
	return netip.Addr{}, false
}

// FormatChassisID renders a chassis id as a person reads it.
func FormatChassisID(sub ChassisIDSubtype, id []byte) (string, bool) {
	switch sub {
	case ChassisMACAddress:
		if len(id) == 6 {
			return macString(id), true
		}
	case ChassisNetworkAddress:
		if len(id) > 1 {
			if a, ok := ianaAddr(id[0], id[1:]); ok {
				return a.String(), true
			}
		}
	}
	return "", false
}

// FormatPortID renders a port id as a person reads it.
func FormatPortID(sub PortIDSubtype, id []byte) (string, bool) {
	switch sub {
	case PortMACAddress:
		if len(id) == 6 {
			return macString(id), true
		}
	case PortNetworkAddress:
		if len(id) > 1 {
			if a, ok := ianaAddr(id[0], id[1:]); ok {
				return a.String(), true
			}
		}
	}
	return "", false
}

func macString(b []byte) string {
	var m [6]byte
	copy(m[:], b)
	const hexd = "0123456789abcdef"
	var s [17]byte
	for i, v := range m {
		if i > 0 {
			s[i*3-1] = ':'
		}
		s[i*3] = hexd[v>>4]
		s[i*3+1] = hexd[v&0xf]
	}
	return string(s[:])
}
