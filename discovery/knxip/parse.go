package knxip

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Errors returned by the parsers; callers use errors.Is.
var (
	ErrShort  = errors.New("knxip: short frame")
	ErrHeader = errors.New("knxip: not a KNXnet/IP header")
)

// Service is a KNXnet/IP service type identifier.
type Service uint16

const (
	SearchRequest          Service = 0x0201
	SearchResponse         Service = 0x0202
	DescriptionRequest     Service = 0x0203
	DescriptionResponse    Service = 0x0204
	ConnectRequest         Service = 0x0205
	ConnectResponse        Service = 0x0206
	ConnectionStateRequest Service = 0x0207
	ConnectionStateResp    Service = 0x0208
	DisconnectRequest      Service = 0x0209
	DisconnectResponse     Service = 0x020a
	SearchRequestExt       Service = 0x020b
	SearchResponseExt      Service = 0x020c
	DeviceConfigRequest    Service = 0x0310
	DeviceConfigAck        Service = 0x0311
	TunnellingRequest      Service = 0x0420
	TunnellingAck          Service = 0x0421
	RoutingIndication      Service = 0x0530
	RoutingLostMessage     Service = 0x0531
	RoutingBusy            Service = 0x0532
)

var serviceNames = map[Service]string{
	SearchRequest: "search_request", SearchResponse: "search_response",
	DescriptionRequest: "description_request", DescriptionResponse: "description_response",
	ConnectRequest: "connect_request", ConnectResponse: "connect_response",
	ConnectionStateRequest: "connectionstate_request", ConnectionStateResp: "connectionstate_response",
	DisconnectRequest: "disconnect_request", DisconnectResponse: "disconnect_response",
	SearchRequestExt: "search_request_ext", SearchResponseExt: "search_response_ext",
	DeviceConfigRequest: "device_configuration_request", DeviceConfigAck: "device_configuration_ack",
	TunnellingRequest: "tunnelling_request", TunnellingAck: "tunnelling_ack",
	RoutingIndication: "routing_indication", RoutingLostMessage: "routing_lost_message", RoutingBusy: "routing_busy",
	0x0950: "secure_wrapper", 0x0951: "session_request", 0x0952: "session_response",
	0x0953: "session_authenticate", 0x0954: "session_status", 0x0955: "timer_notify",
}

func (s Service) String() string {
	if n, ok := serviceNames[s]; ok {
		return n
	}
	return "service_" + strconv.FormatUint(uint64(s), 16)
}

// Known reports whether s is a defined service.
func (s Service) Known() bool { _, ok := serviceNames[s]; return ok }

// Secure reports whether s belongs to KNX IP Secure.
func (s Service) Secure() bool { return s >= 0x0950 && s <= 0x0956 }

// Header is the KNXnet/IP header.
type Header struct {
	Service     Service
	TotalLength uint16
	Body        []byte
}

// ParseHeader decodes the header; the total length must not exceed b.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < 6 {
		return h, fmt.Errorf("knxip: %w", ErrShort)
	}
	if b[0] != 0x06 || b[1] != 0x10 {
		return h, fmt.Errorf("%w: header length %#02x version %#02x", ErrHeader, b[0], b[1])
	}
	h.Service = Service(binary.BigEndian.Uint16(b[2:4]))
	h.TotalLength = binary.BigEndian.Uint16(b[4:6])
	if h.TotalLength < 6 || int(h.TotalLength) > len(b) {
		return h, fmt.Errorf("%w: total length %d in %d bytes", ErrHeader, h.TotalLength, len(b))
	}
	h.Body = b[6:h.TotalLength]
	return h, nil
}

// DeviceInfo is a device information DIB.
type DeviceInfo struct {
	Medium            uint8
	Status            uint8
	IndividualAddress uint16
	ProjectID         uint16
	Serial            [6]byte
	Multicast         [4]byte
	MAC               [6]byte
	FriendlyName      string
}

// MediumName names the KNX medium code.
func (d DeviceInfo) MediumName() string {
	switch d.Medium {
	case 0x02:
		return "tp1"
	case 0x04:
		return "pl110"
	case 0x10:
		return "rf"
	case 0x20:
		return "ip"
	}
	return "0x" + strconv.FormatUint(uint64(d.Medium), 16)
}

// FormatIndividual formats a KNX individual address area.line.device.
func FormatIndividual(a uint16) string {
	return strconv.Itoa(int(a>>12)) + "." + strconv.Itoa(int(a>>8&0x0f)) + "." + strconv.Itoa(int(a&0xff))
}

// ParseDeviceInfo decodes a device information DIB (54 octets).
func ParseDeviceInfo(b []byte) (DeviceInfo, error) {
	var d DeviceInfo
	if len(b) < 54 {
		return d, fmt.Errorf("knxip: device dib: %w", ErrShort)
	}
	if b[0] != 54 || b[1] != 0x01 {
		return d, fmt.Errorf("%w: device dib length %d type %d", ErrHeader, b[0], b[1])
	}
	d.Medium, d.Status = b[2], b[3]
	d.IndividualAddress = binary.BigEndian.Uint16(b[4:6])
	d.ProjectID = binary.BigEndian.Uint16(b[6:8])
	copy(d.Serial[:], b[8:14])
	copy(d.Multicast[:], b[14:18])
	copy(d.MAC[:], b[18:24])
	name := b[24:54]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	out := make([]byte, 0, len(name))
	for _, c := range name {
		if c >= 0x20 && c != 0x7f {
			out = append(out, c) // ISO 8859-1 bytes >= 0xa0 are kept as they are
		}
	}
	d.FriendlyName = string(bytes.TrimSpace(out))
	return d, nil
}

// DeviceInfoOf returns the device DIB of a search or description response.
func DeviceInfoOf(h Header) (DeviceInfo, error) {
	b := h.Body
	switch h.Service {
	case SearchResponse, SearchResponseExt:
		if len(b) < 8 || b[0] != 8 {
			return DeviceInfo{}, fmt.Errorf("knxip: hpai: %w", ErrShort)
		}
		b = b[8:]
	case DescriptionResponse:
	default:
		return DeviceInfo{}, fmt.Errorf("%w: %s has no device dib", ErrHeader, h.Service)
	}
	return ParseDeviceInfo(b)
}

// CEMI is the part of a cEMI message the dissector uses.
type CEMI struct {
	MessageCode uint8
	Source      uint16
	Destination uint16
	Group       bool
	// APCI is the 10-bit application layer service (0 when absent).
	APCI    uint16
	HasAPCI bool
}

// ParseCEMI decodes an L_Data cEMI frame (or just the message code of a
// management message).
func ParseCEMI(b []byte) (CEMI, error) {
	var c CEMI
	if len(b) < 1 {
		return c, fmt.Errorf("knxip: cemi: %w", ErrShort)
	}
	c.MessageCode = b[0]
	switch c.MessageCode {
	case 0x11, 0x29, 0x2e: // L_Data.req, .ind, .con
	default:
		return c, nil
	}
	if len(b) < 2 {
		return c, fmt.Errorf("knxip: cemi: %w", ErrShort)
	}
	if len(b) < 2+int(b[1])+7 {
		return c, fmt.Errorf("knxip: cemi l_data: %w", ErrShort)
	}
	p := b[2+int(b[1]):]
	c.Group = p[1]&0x80 != 0
	c.Source = binary.BigEndian.Uint16(p[2:4])
	c.Destination = binary.BigEndian.Uint16(p[4:6])
	n := int(p[6])
	if n >= 1 && len(p) >= 9 {
		apci := uint16(p[7]&0x03)<<8 | uint16(p[8])
		if apci&0x3c0 != 0x3c0 {
			apci &= 0x3c0
		}
		if p[7]&0x80 == 0 { // data packet (not a transport control PDU)
			c.APCI, c.HasAPCI = apci, true
		}
	}
	return c, nil
}

type apciInfo struct {
	name  string
	class discovery.OpClass
}

var apcis = map[uint16]apciInfo{
	0x000: {"group_value_read", discovery.OpRead},
	0x040: {"group_value_response", discovery.OpOther},
	0x080: {"group_value_write", discovery.OpWrite},
	0x0c0: {"individual_address_write", discovery.OpConfig},
	0x100: {"individual_address_read", discovery.OpDiscovery},
	0x140: {"individual_address_response", discovery.OpOther},
	0x180: {"adc_read", discovery.OpRead},
	0x200: {"memory_read", discovery.OpRead},
	0x240: {"memory_response", discovery.OpOther},
	0x280: {"memory_write", discovery.OpProgram},
	0x300: {"device_descriptor_read", discovery.OpRead},
	0x340: {"device_descriptor_response", discovery.OpOther},
	0x380: {"restart", discovery.OpControl},
	0x3d1: {"authorize_request", discovery.OpOther},
	0x3d3: {"key_write", discovery.OpConfig},
	0x3d5: {"property_value_read", discovery.OpRead},
	0x3d6: {"property_value_response", discovery.OpOther},
	0x3d7: {"property_value_write", discovery.OpConfig},
}

// APCIName names an application layer service.
func APCIName(a uint16) (string, discovery.OpClass) {
	if i, ok := apcis[a]; ok {
		return i.name, i.class
	}
	return "apci_" + strconv.FormatUint(uint64(a), 16), discovery.OpOther
}
