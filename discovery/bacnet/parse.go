package bacnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/otzone/otzone/discovery"
)

// Errors returned by the parsers; callers use errors.Is.
var (
	ErrShort   = errors.New("bacnet: short message")
	ErrBVLC    = errors.New("bacnet: not a BACnet/IP BVLC header")
	ErrVersion = errors.New("bacnet: NPDU version is not 1")
	ErrTag     = errors.New("bacnet: malformed tag")
)

// BVLCFunction is the BACnet Virtual Link Control function (ASHRAE 135 Annex J.2).
type BVLCFunction uint8

const (
	BVLCResult                BVLCFunction = 0x00
	BVLCWriteBDT              BVLCFunction = 0x01
	BVLCReadBDT               BVLCFunction = 0x02
	BVLCReadBDTAck            BVLCFunction = 0x03
	BVLCForwardedNPDU         BVLCFunction = 0x04
	BVLCRegisterForeignDevice BVLCFunction = 0x05
	BVLCReadFDT               BVLCFunction = 0x06
	BVLCReadFDTAck            BVLCFunction = 0x07
	BVLCDeleteFDTEntry        BVLCFunction = 0x08
	BVLCDistributeBroadcast   BVLCFunction = 0x09
	BVLCOriginalUnicastNPDU   BVLCFunction = 0x0a
	BVLCOriginalBroadcastNPDU BVLCFunction = 0x0b
	BVLCSecureBVLL            BVLCFunction = 0x0c
)

var bvlcNames = [...]string{"bvlc_result", "write_bdt", "read_bdt", "read_bdt_ack", "forwarded_npdu",
	"register_foreign_device", "read_fdt", "read_fdt_ack", "delete_fdt_entry",
	"distribute_broadcast_to_network", "original_unicast_npdu", "original_broadcast_npdu", "secure_bvll"}

func (f BVLCFunction) String() string {
	if int(f) < len(bvlcNames) {
		return bvlcNames[f]
	}
	return "bvlc_" + strconv.Itoa(int(f))
}

// HasNPDU reports whether the function carries an NPDU.
func (f BVLCFunction) HasNPDU() bool {
	switch f {
	case BVLCForwardedNPDU, BVLCDistributeBroadcast, BVLCOriginalUnicastNPDU, BVLCOriginalBroadcastNPDU:
		return true
	}
	return false
}

// BVLC is the BACnet/IP virtual link header.
type BVLC struct {
	Function BVLCFunction
	Length   uint16
	// Mismatch is set when Length differs from the datagram's length:
	// some senders get it wrong (bacnet_example.pcap frame 572 says 17 in a
	// 25-byte datagram whose APDU runs to the end, frame 573 says 17 in a
	// 13-byte one). Like Wireshark, the parsers then read the datagram as
	// it is.
	Mismatch bool
	// OriginalSource is the B/IP address (4-byte IPv4 + port) of the device
	// a BBMD forwarded the NPDU for (Forwarded-NPDU only).
	OriginalSource [6]byte
	// Payload is what follows the header: the NPDU for HasNPDU functions.
	Payload []byte
}

// bvlcHeader reports whether b starts with a BVLC header ParseBVLC
// accepts: type 0x81 (BACnet/IP), a known function, a length of at least
// the header's 4 octets.
func bvlcHeader(b []byte) bool {
	return len(b) >= 4 && b[0] == 0x81 && BVLCFunction(b[1]) <= BVLCSecureBVLL && binary.BigEndian.Uint16(b[2:4]) >= 4
}

// ParseBVLC decodes a BACnet/IP datagram's BVLL header. A length field
// that differs from the datagram's is flagged (BVLC.Mismatch), not refused.
func ParseBVLC(b []byte) (BVLC, error) {
	var v BVLC
	if !bvlcHeader(b) {
		switch {
		case len(b) < 4:
			return v, fmt.Errorf("bvlc: %w", ErrShort)
		case b[0] != 0x81:
			return v, fmt.Errorf("%w: type %#02x", ErrBVLC, b[0])
		}
		return v, fmt.Errorf("%w: function %#02x, length %d in a %d-byte datagram", ErrBVLC, b[1], binary.BigEndian.Uint16(b[2:4]), len(b))
	}
	v.Function = BVLCFunction(b[1])
	v.Length = binary.BigEndian.Uint16(b[2:4])
	v.Mismatch = int(v.Length) != len(b)
	v.Payload = b[4:]
	if v.Function == BVLCForwardedNPDU {
		if len(v.Payload) < 6 {
			return v, fmt.Errorf("bvlc: forwarded npdu: %w", ErrShort)
		}
		copy(v.OriginalSource[:], v.Payload[:6])
		v.Payload = v.Payload[6:]
	}
	return v, nil
}

// NPDU is the network layer header (ASHRAE 135 clause 6.2).
type NPDU struct {
	Control uint8
	DNET    uint16
	DADR    []byte
	SNET    uint16
	SADR    []byte
	HasDest bool
	HasSrc  bool
	// NetworkMessage is set for network layer messages; MessageType is then valid.
	NetworkMessage bool
	MessageType    uint8
	// APDU (or the network message's data).
	APDU []byte
}

// ParseNPDU decodes the network layer header.
func ParseNPDU(b []byte) (NPDU, error) {
	var n NPDU
	if len(b) < 2 {
		return n, fmt.Errorf("npdu: %w", ErrShort)
	}
	if b[0] != 0x01 {
		return n, fmt.Errorf("npdu: %w: %d", ErrVersion, b[0])
	}
	n.Control = b[1]
	p := b[2:]
	if n.Control&0x20 != 0 {
		if len(p) < 3 {
			return n, fmt.Errorf("npdu: dnet: %w", ErrShort)
		}
		n.HasDest, n.DNET = true, binary.BigEndian.Uint16(p)
		l := int(p[2])
		if len(p) < 3+l {
			return n, fmt.Errorf("npdu: dadr: %w", ErrShort)
		}
		n.DADR, p = p[3:3+l], p[3+l:]
	}
	if n.Control&0x08 != 0 {
		if len(p) < 3 {
			return n, fmt.Errorf("npdu: snet: %w", ErrShort)
		}
		n.HasSrc, n.SNET = true, binary.BigEndian.Uint16(p)
		l := int(p[2])
		if len(p) < 3+l {
			return n, fmt.Errorf("npdu: sadr: %w", ErrShort)
		}
		n.SADR, p = p[3:3+l], p[3+l:]
	}
	if n.HasDest {
		if len(p) < 1 {
			return n, fmt.Errorf("npdu: hop count: %w", ErrShort)
		}
		p = p[1:]
	}
	if n.Control&0x80 != 0 {
		if len(p) < 1 {
			return n, fmt.Errorf("npdu: message type: %w", ErrShort)
		}
		n.NetworkMessage, n.MessageType, p = true, p[0], p[1:]
		if n.MessageType >= 0x80 {
			if len(p) < 2 {
				return n, fmt.Errorf("npdu: vendor id: %w", ErrShort)
			}
			p = p[2:]
		}
	}
	n.APDU = p
	return n, nil
}

// PDUType is the APDU type (high nibble of the first octet).
type PDUType uint8

const (
	PDUConfirmedRequest   PDUType = 0
	PDUUnconfirmedRequest PDUType = 1
	PDUSimpleAck          PDUType = 2
	PDUComplexAck         PDUType = 3
	PDUSegmentAck         PDUType = 4
	PDUError              PDUType = 5
	PDUReject             PDUType = 6
	PDUAbort              PDUType = 7
)

var pduNames = [...]string{"confirmed_request", "unconfirmed_request", "simple_ack", "complex_ack",
	"segment_ack", "error", "reject", "abort"}

func (t PDUType) String() string {
	if int(t) < len(pduNames) {
		return pduNames[t]
	}
	return "pdu_type_" + strconv.Itoa(int(t))
}

// ConfirmedService is a confirmed service choice (ASHRAE 135 clause 21).
type ConfirmedService uint8

// Confirmed services named in the dissector's logic.
const (
	SvcReadProperty         ConfirmedService = 12
	SvcReadPropertyMultiple ConfirmedService = 14
)

type svcInfo struct {
	name  string
	class discovery.OpClass
}

var confirmed = [...]svcInfo{
	0:  {"acknowledge_alarm", discovery.OpOther},
	1:  {"confirmed_cov_notification", discovery.OpOther},
	2:  {"confirmed_event_notification", discovery.OpOther},
	3:  {"get_alarm_summary", discovery.OpRead},
	4:  {"get_enrollment_summary", discovery.OpRead},
	5:  {"subscribe_cov", discovery.OpRead},
	6:  {"atomic_read_file", discovery.OpRead},
	7:  {"atomic_write_file", discovery.OpProgram},
	8:  {"add_list_element", discovery.OpWrite},
	9:  {"remove_list_element", discovery.OpWrite},
	10: {"create_object", discovery.OpConfig},
	11: {"delete_object", discovery.OpConfig},
	12: {"read_property", discovery.OpRead},
	13: {"read_property_conditional", discovery.OpRead},
	14: {"read_property_multiple", discovery.OpRead},
	15: {"write_property", discovery.OpWrite},
	16: {"write_property_multiple", discovery.OpWrite},
	17: {"device_communication_control", discovery.OpControl},
	18: {"confirmed_private_transfer", discovery.OpOther},
	19: {"confirmed_text_message", discovery.OpOther},
	20: {"reinitialize_device", discovery.OpControl},
	21: {"vt_open", discovery.OpOther},
	22: {"vt_close", discovery.OpOther},
	23: {"vt_data", discovery.OpOther},
	24: {"authenticate", discovery.OpOther},
	25: {"request_key", discovery.OpOther},
	26: {"read_range", discovery.OpRead},
	27: {"life_safety_operation", discovery.OpControl},
	28: {"subscribe_cov_property", discovery.OpRead},
	29: {"get_event_information", discovery.OpRead},
	30: {"subscribe_cov_property_multiple", discovery.OpRead},
	31: {"confirmed_cov_notification_multiple", discovery.OpOther},
	32: {"confirmed_audit_notification", discovery.OpOther},
	33: {"audit_log_query", discovery.OpRead},
}

func (s ConfirmedService) String() string {
	if int(s) < len(confirmed) {
		return confirmed[s].name
	}
	return "confirmed_service_" + strconv.Itoa(int(s))
}

// Class is what the service can do to the device.
func (s ConfirmedService) Class() discovery.OpClass {
	if int(s) < len(confirmed) {
		return confirmed[s].class
	}
	return discovery.OpOther
}

// UnconfirmedService is an unconfirmed service choice.
type UnconfirmedService uint8

// Unconfirmed services named in the dissector's logic.
const (
	SvcIAm    UnconfirmedService = 0
	SvcIHave  UnconfirmedService = 1
	SvcWhoHas UnconfirmedService = 7
	SvcWhoIs  UnconfirmedService = 8
)

var unconfirmed = [...]svcInfo{
	0:  {"i_am", discovery.OpDiscovery},
	1:  {"i_have", discovery.OpDiscovery},
	2:  {"unconfirmed_cov_notification", discovery.OpOther},
	3:  {"unconfirmed_event_notification", discovery.OpOther},
	4:  {"unconfirmed_private_transfer", discovery.OpOther},
	5:  {"unconfirmed_text_message", discovery.OpOther},
	6:  {"time_synchronization", discovery.OpDiagnostic},
	7:  {"who_has", discovery.OpDiscovery},
	8:  {"who_is", discovery.OpDiscovery},
	9:  {"utc_time_synchronization", discovery.OpDiagnostic},
	10: {"write_group", discovery.OpWrite},
	11: {"unconfirmed_cov_notification_multiple", discovery.OpOther},
	12: {"unconfirmed_audit_notification", discovery.OpOther},
	13: {"who_am_i", discovery.OpDiscovery},
	14: {"you_are", discovery.OpConfig},
}

func (s UnconfirmedService) String() string {
	if int(s) < len(unconfirmed) {
		return unconfirmed[s].name
	}
	return "unconfirmed_service_" + strconv.Itoa(int(s))
}

// Class is what the service can do.
func (s UnconfirmedService) Class() discovery.OpClass {
	if int(s) < len(unconfirmed) {
		return unconfirmed[s].class
	}
	return discovery.OpOther
}

// FromDevice reports whether the service is announced by a device (server
// side): I-Am, I-Have and the notifications.
func (s UnconfirmedService) FromDevice() bool {
	switch s {
	case 0, 1, 2, 3, 11, 12:
		return true
	}
	return false
}

// APDU is the application layer header.
type APDU struct {
	Type PDUType
	// Flags is the low nibble of the first octet (SEG, MOR, SA/NAK, SRV).
	Flags     uint8
	InvokeID  uint8
	Segmented bool
	Sequence  uint8
	// Service is the service choice (confirmed or unconfirmed by Type);
	// not set for segment-ack, reject and abort.
	Service uint8
	// Data is the service data after the header.
	Data []byte
}

// FromServer reports which side sent the APDU: acks, errors and I-Am from
// the server; abort and segment-ack carry an SRV bit.
func (a APDU) FromServer() bool {
	switch a.Type {
	case PDUSimpleAck, PDUComplexAck, PDUError, PDUReject:
		return true
	case PDUSegmentAck, PDUAbort:
		return a.Flags&0x01 != 0
	case PDUUnconfirmedRequest:
		return UnconfirmedService(a.Service).FromDevice()
	}
	return false
}

// ParseAPDU decodes the APDU header.
func ParseAPDU(b []byte) (APDU, error) {
	var a APDU
	if len(b) < 2 {
		return a, fmt.Errorf("apdu: %w", ErrShort)
	}
	a.Type, a.Flags = PDUType(b[0]>>4), b[0]&0x0f
	switch a.Type {
	case PDUConfirmedRequest:
		if len(b) < 4 {
			return a, fmt.Errorf("apdu: confirmed request: %w", ErrShort)
		}
		a.InvokeID = b[2]
		p := b[3:]
		if a.Flags&0x08 != 0 {
			if len(p) < 3 {
				return a, fmt.Errorf("apdu: confirmed request segment: %w", ErrShort)
			}
			a.Segmented, a.Sequence, p = true, p[0], p[2:]
		}
		a.Service, a.Data = p[0], p[1:]
	case PDUUnconfirmedRequest:
		a.Service, a.Data = b[1], b[2:]
	case PDUSimpleAck:
		if len(b) < 3 {
			return a, fmt.Errorf("apdu: simple ack: %w", ErrShort)
		}
		a.InvokeID, a.Service = b[1], b[2]
	case PDUComplexAck:
		if len(b) < 3 {
			return a, fmt.Errorf("apdu: complex ack: %w", ErrShort)
		}
		a.InvokeID = b[1]
		p := b[2:]
		if a.Flags&0x08 != 0 {
			if len(p) < 3 {
				return a, fmt.Errorf("apdu: complex ack segment: %w", ErrShort)
			}
			a.Segmented, a.Sequence, p = true, p[0], p[2:]
		}
		a.Service, a.Data = p[0], p[1:]
	case PDUError:
		if len(b) < 3 {
			return a, fmt.Errorf("apdu: error: %w", ErrShort)
		}
		a.InvokeID, a.Service, a.Data = b[1], b[2], b[3:]
	case PDUSegmentAck, PDUReject, PDUAbort:
		if len(b) < 3 {
			return a, fmt.Errorf("apdu: %s: %w", a.Type, ErrShort)
		}
		a.InvokeID, a.Data = b[1], b[2:]
	default:
		return a, fmt.Errorf("apdu: reserved type %d", a.Type)
	}
	return a, nil
}

// Tag is one BACnet encoded tag (ASHRAE 135 clause 20.2.1).
type Tag struct {
	Number  uint8
	Context bool
	Opening bool
	Closing bool
	// Data is the tag's content (empty for opening/closing tags and for
	// application booleans, whose value is in Length).
	Data   []byte
	Length uint32
}

// readTag reads the tag at the start of b and returns it with the rest.
func readTag(b []byte) (Tag, []byte, error) {
	var t Tag
	if len(b) < 1 {
		return t, nil, ErrShort
	}
	h := b[0]
	t.Number, t.Context = h>>4, h&0x08 != 0
	p := b[1:]
	if t.Number == 0x0f {
		if len(p) < 1 {
			return t, nil, ErrShort
		}
		t.Number, p = p[0], p[1:]
	}
	lvt := uint32(h & 0x07)
	if t.Context && lvt == 6 {
		t.Opening = true
		return t, p, nil
	}
	if t.Context && lvt == 7 {
		t.Closing = true
		return t, p, nil
	}
	if lvt == 5 {
		if len(p) < 1 {
			return t, nil, ErrShort
		}
		lvt, p = uint32(p[0]), p[1:]
		switch lvt {
		case 254:
			if len(p) < 2 {
				return t, nil, ErrShort
			}
			lvt, p = uint32(binary.BigEndian.Uint16(p)), p[2:]
		case 255:
			if len(p) < 4 {
				return t, nil, ErrShort
			}
			lvt, p = binary.BigEndian.Uint32(p), p[4:]
		}
	}
	t.Length = lvt
	if !t.Context && t.Number == 1 { // application boolean: value in L/V/T
		return t, p, nil
	}
	if uint64(len(p)) < uint64(lvt) {
		return t, nil, ErrShort
	}
	t.Data = p[:lvt]
	return t, p[lvt:], nil
}

func (t Tag) uint() (uint32, bool) {
	if len(t.Data) == 0 || len(t.Data) > 4 {
		return 0, false
	}
	var v uint32
	for _, c := range t.Data {
		v = v<<8 | uint32(c)
	}
	return v, true
}

// ObjectID is a BACnet object identifier: 10-bit type, 22-bit instance.
type ObjectID uint32

func (o ObjectID) Type() uint16     { return uint16(o >> 22) }
func (o ObjectID) Instance() uint32 { return uint32(o) & 0x3fffff }

// ObjectTypeDevice is the device object type.
const ObjectTypeDevice = 8

func (t Tag) objectID() (ObjectID, bool) {
	if len(t.Data) != 4 {
		return 0, false
	}
	return ObjectID(binary.BigEndian.Uint32(t.Data)), true
}

// IAm is the content of an I-Am request.
type IAm struct {
	Device       ObjectID
	MaxAPDU      uint32
	Segmentation uint32
	VendorID     uint32
}

// ParseIAm decodes I-Am service data (four application tags).
func ParseIAm(b []byte) (IAm, error) {
	var r IAm
	var tags [4]Tag
	for i := range tags {
		t, rest, err := readTag(b)
		if err != nil {
			return r, fmt.Errorf("i-am: %w", err)
		}
		if t.Context || t.Opening || t.Closing {
			return r, fmt.Errorf("i-am: %w: want application tags", ErrTag)
		}
		tags[i], b = t, rest
	}
	id, ok := tags[0].objectID()
	if !ok || tags[0].Number != 12 || id.Type() != ObjectTypeDevice {
		return r, fmt.Errorf("i-am: %w: no device object identifier", ErrTag)
	}
	r.Device = id
	r.MaxAPDU, _ = tags[1].uint()
	r.Segmentation, _ = tags[2].uint()
	v, ok := tags[3].uint()
	if !ok || tags[3].Number != 2 {
		return r, fmt.Errorf("i-am: %w: vendor id", ErrTag)
	}
	r.VendorID = v
	return r, nil
}

// Property is a property value read from an object.
type Property struct {
	Object   ObjectID
	ID       uint32
	HasIndex bool
	// Value is the first character string of the value, decoded; Text is
	// false when the value is something else.
	Value string
	Text  bool
}

// ParseReadPropertyAck decodes a ReadProperty-ACK.
func ParseReadPropertyAck(b []byte) (Property, error) {
	p, _, err := parseReadPropertyAck(b, true)
	return p, err
}

// setValue records a value tag and returns its raw character string (the
// tag's content, character set byte first, aliasing the input; nil when
// the value is no application character string); it fills Value/Text only
// when decode is set (the dissector decodes only values it has not seen,
// see decodeRaw).
func (p *Property) setValue(t Tag, err error, decode bool) []byte {
	if decode {
		p.Value, p.Text = stringValue(t, err)
	}
	if err == nil && !t.Context && t.Number == 7 && len(t.Data) >= 1 {
		return t.Data
	}
	return nil
}

// decodeRaw fills Value and Text from a raw character string (setValue).
func (p *Property) decodeRaw(raw []byte) {
	p.Value, p.Text = stringValue(Tag{Number: 7, Data: raw, Length: uint32(len(raw))}, nil)
}

func parseReadPropertyAck(b []byte, decode bool) (Property, []byte, error) {
	var p Property
	t, b, err := readTag(b)
	if err != nil || !t.Context || t.Number != 0 {
		return p, nil, fmt.Errorf("readproperty-ack: object identifier: %w", errOr(err))
	}
	id, ok := t.objectID()
	if !ok {
		return p, nil, fmt.Errorf("readproperty-ack: object identifier: %w", ErrTag)
	}
	p.Object = id
	t, b, err = readTag(b)
	if err != nil || !t.Context || t.Number != 1 {
		return p, nil, fmt.Errorf("readproperty-ack: property identifier: %w", errOr(err))
	}
	p.ID, _ = t.uint()
	t, b, err = readTag(b)
	if err != nil {
		return p, nil, fmt.Errorf("readproperty-ack: %w", err)
	}
	if t.Context && t.Number == 2 && !t.Opening {
		p.HasIndex = true
		if t, b, err = readTag(b); err != nil {
			return p, nil, fmt.Errorf("readproperty-ack: %w", err)
		}
	}
	if !t.Opening || t.Number != 3 {
		return p, nil, fmt.Errorf("readproperty-ack: value: %w", ErrTag)
	}
	v, err := readTagValue(b)
	raw := p.setValue(v, err, decode)
	return p, raw, nil
}

func readTagValue(b []byte) (Tag, error) { t, _, err := readTag(b); return t, err }

// ParseReadPropertyMultipleAck decodes a ReadPropertyMultiple-ACK, calling
// fn for every property result (errors included, with Text false). It
// returns the first decoding error; results before it were delivered.
func ParseReadPropertyMultipleAck(b []byte, fn func(Property)) error {
	return parseReadPropertyMultipleAck(b, true, func(p Property, _ []byte) { fn(p) })
}

func parseReadPropertyMultipleAck(b []byte, decode bool, fn func(Property, []byte)) error {
	for len(b) > 0 {
		t, rest, err := readTag(b)
		if err != nil || !t.Context || t.Number != 0 {
			return fmt.Errorf("rpm-ack: object identifier: %w", errOr(err))
		}
		id, ok := t.objectID()
		if !ok {
			return fmt.Errorf("rpm-ack: object identifier: %w", ErrTag)
		}
		b = rest
		if t, b, err = readTag(b); err != nil || !t.Opening || t.Number != 1 {
			return fmt.Errorf("rpm-ack: list of results: %w", errOr(err))
		}
		for {
			if t, b, err = readTag(b); err != nil {
				return fmt.Errorf("rpm-ack: %w", err)
			}
			if t.Closing && t.Number == 1 {
				break
			}
			if !t.Context || t.Number != 2 || t.Opening || t.Closing {
				return fmt.Errorf("rpm-ack: property identifier: %w", ErrTag)
			}
			p := Property{Object: id}
			p.ID, _ = t.uint()
			if t, b, err = readTag(b); err != nil {
				return fmt.Errorf("rpm-ack: %w", err)
			}
			if t.Context && t.Number == 3 && !t.Opening && !t.Closing {
				p.HasIndex = true
				if t, b, err = readTag(b); err != nil {
					return fmt.Errorf("rpm-ack: %w", err)
				}
			}
			if !t.Opening || (t.Number != 4 && t.Number != 5) {
				return fmt.Errorf("rpm-ack: value: %w", ErrTag)
			}
			end := t.Number
			var raw []byte
			if end == 4 {
				v, err := readTagValue(b)
				raw = p.setValue(v, err, decode)
			}
			if b, err = skipTo(b, end); err != nil {
				return fmt.Errorf("rpm-ack: %w", err)
			}
			fn(p, raw)
		}
	}
	return nil
}

// skipTo skips tags up to and including the closing tag number n at depth 0.
func skipTo(b []byte, n uint8) ([]byte, error) {
	depth := 0
	for {
		t, rest, err := readTag(b)
		if err != nil {
			return nil, err
		}
		b = rest
		switch {
		case t.Opening:
			depth++
		case t.Closing && depth == 0:
			if t.Number != n {
				return nil, ErrTag
			}
			return b, nil
		case t.Closing:
			depth--
		}
	}
}

func errOr(err error) error {
	if err != nil {
		return err
	}
	return ErrTag
}

// stringValue decodes an application character string tag (number 7).
// Character sets: 0 UTF-8 (ANSI X3.4 in old editions), 4 UCS-2 (big endian),
// 5 ISO 8859-1; others are not decoded.
func stringValue(t Tag, err error) (string, bool) {
	if err != nil || t.Context || t.Number != 7 || len(t.Data) < 1 {
		return "", false
	}
	s := t.Data[1:]
	switch t.Data[0] {
	case 0:
		return clean(string(s)), true
	case 4:
		u := make([]uint16, 0, len(s)/2)
		for i := 0; i+1 < len(s); i += 2 {
			u = append(u, binary.BigEndian.Uint16(s[i:]))
		}
		return clean(string(utf16.Decode(u))), true
	case 5:
		r := make([]rune, len(s))
		for i, c := range s {
			r[i] = rune(c)
		}
		return clean(string(r)), true
	}
	return "", false
}

// clean drops control characters and invalid UTF-8, trims spaces and caps
// the length at 256 bytes.
func clean(s string) string {
	const max = 256
	out := make([]byte, 0, min(len(s), max))
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || (r >= 0x80 && r < 0xa0) {
			continue
		}
		if len(out)+utf8.RuneLen(r) > max {
			break
		}
		out = utf8.AppendRune(out, r)
	}
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	for len(out) > 0 && out[0] == ' ' {
		out = out[1:]
	}
	return string(out)
}
