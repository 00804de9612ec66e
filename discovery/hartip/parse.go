package hartip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Errors returned by the parsers; callers use errors.Is.
var (
	ErrShort  = errors.New("hartip: short message")
	ErrHeader = errors.New("hartip: not a HART-IP header")
	ErrPDU    = errors.New("hartip: malformed HART PDU")
)

// HeaderLen is the HART-IP header length.
const HeaderLen = 8

// Header is the HART-IP header.
type Header struct {
	Version   uint8
	Type      uint8 // 0 request, 1 response, 2 publish, 3 error, 15 NAK
	ID        uint8 // 0 session initiate, 1 close, 2 keep alive, 3 pass-through, 4 direct PDU, 5 read audit log
	Status    uint8
	Sequence  uint16
	ByteCount uint16
	Body      []byte
}

// MessageLen returns the message length at the start of b: 0 when more
// bytes are needed, an error when b is not HART-IP.
func MessageLen(b []byte) (int, error) {
	if len(b) < HeaderLen {
		return 0, nil
	}
	if err := checkHeader(b); err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(b[6:8])), nil
}

func checkHeader(b []byte) error {
	v, t, id := b[0], b[1], b[2]
	n := binary.BigEndian.Uint16(b[6:8])
	if v < 1 || v > 2 || (t > 3 && t != 15) || id > 5 || n < HeaderLen {
		return fmt.Errorf("%w: version %d type %d id %d length %d", ErrHeader, v, t, id, n)
	}
	return nil
}

// ParseHeader decodes one whole HART-IP message.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	n, err := MessageLen(b)
	if err != nil {
		return h, err
	}
	if n == 0 || len(b) < n {
		return h, fmt.Errorf("hartip: %w", ErrShort)
	}
	h.Version, h.Type, h.ID, h.Status = b[0], b[1], b[2], b[3]
	h.Sequence = binary.BigEndian.Uint16(b[4:6])
	h.ByteCount = uint16(n)
	h.Body = b[HeaderLen:n]
	return h, nil
}

// PDU is a HART token-passing PDU.
type PDU struct {
	Delimiter uint8
	Long      bool
	// Address is the 1-byte polling address or the 5-byte unique address.
	Address  [5]byte
	Command  uint8
	Response bool // ACK frame (from the field device)
	// ResponseCode and DeviceStatus are set in responses.
	ResponseCode, DeviceStatus uint8
	Data                       []byte
}

// UniqueID returns the long address without the master and burst bits:
// 14-bit expanded device type and 24-bit device id, as 10 hex digits.
func (p PDU) UniqueID() string {
	a := p.Address
	a[0] &= 0x3f
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 10)
	for _, v := range a {
		out = append(out, hexd[v>>4], hexd[v&0xf])
	}
	return string(out)
}

// ParsePDU decodes a HART PDU (no preambles).
func ParsePDU(b []byte) (PDU, error) {
	var p PDU
	if len(b) < 1 {
		return p, fmt.Errorf("hartip: pdu: %w", ErrShort)
	}
	p.Delimiter = b[0]
	frame := p.Delimiter & 0x07
	if frame != 1 && frame != 2 && frame != 6 {
		return p, fmt.Errorf("%w: delimiter %#02x", ErrPDU, b[0])
	}
	p.Response = frame != 2
	p.Long = p.Delimiter&0x80 != 0
	q := b[1:]
	al := 1
	if p.Long {
		al = 5
	}
	exp := int(p.Delimiter>>5) & 0x03
	if len(q) < al+exp+2 {
		return p, fmt.Errorf("hartip: pdu address: %w", ErrShort)
	}
	copy(p.Address[:], q[:al])
	q = q[al+exp:]
	p.Command, q = q[0], q[1:]
	n := int(q[0])
	q = q[1:]
	if len(q) < n {
		return p, fmt.Errorf("hartip: pdu data: %w", ErrShort)
	}
	data := q[:n]
	if p.Response {
		if n < 2 {
			return p, fmt.Errorf("%w: response without status", ErrPDU)
		}
		p.ResponseCode, p.DeviceStatus, data = data[0], data[1], data[2:]
	}
	p.Data = data
	return p, nil
}

// Identity is a command 0 response.
type Identity struct {
	ExpandedDeviceType uint16
	UniversalRevision  uint8
	DeviceRevision     uint8
	SoftwareRevision   uint8
	HardwareRevision   uint8
	DeviceID           [3]byte
	// ManufacturerID is the 16-bit id of HART 7 (bytes 17-18); for older
	// revisions it is the high byte of the expanded device type.
	ManufacturerID uint16
}

// ParseIdentity decodes command 0 response data.
func ParseIdentity(b []byte) (Identity, error) {
	var id Identity
	if len(b) < 12 || b[0] != 254 {
		return id, fmt.Errorf("%w: command 0 response", ErrPDU)
	}
	id.ExpandedDeviceType = binary.BigEndian.Uint16(b[1:3])
	id.UniversalRevision, id.DeviceRevision, id.SoftwareRevision = b[4], b[5], b[6]
	id.HardwareRevision = b[7] >> 3
	copy(id.DeviceID[:], b[9:12])
	id.ManufacturerID = id.ExpandedDeviceType >> 8
	if id.UniversalRevision >= 7 && len(b) >= 19 {
		id.ManufacturerID = binary.BigEndian.Uint16(b[17:19])
	}
	return id, nil
}

// UnpackASCII decodes HART packed ASCII (6 bits per character).
func UnpackASCII(b []byte) string {
	out := make([]byte, 0, len(b)*4/3)
	for i := 0; i+2 < len(b); i += 3 {
		v := uint32(b[i])<<16 | uint32(b[i+1])<<8 | uint32(b[i+2])
		for s := 18; s >= 0; s -= 6 {
			c := byte(v>>uint(s)) & 0x3f
			if c < 0x20 {
				c += 0x40
			}
			out = append(out, c)
		}
	}
	return trim(out)
}

// Latin1 decodes an ISO 8859-1 field (long tag), dropping NULs and
// control characters.
func Latin1(b []byte) string {
	r := make([]rune, 0, len(b))
	for _, c := range b {
		if c >= 0x20 && c != 0x7f && (c < 0x80 || c >= 0xa0) {
			r = append(r, rune(c))
		}
	}
	return trim([]byte(string(r)))
}

func trim(b []byte) string {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	if len(b) > 256 {
		b = b[:256]
	}
	return string(b)
}

type cmdInfo struct {
	name  string
	class discovery.OpClass
}

var commands = map[uint8]cmdInfo{
	0: {"read_unique_identifier", discovery.OpRead}, 1: {"read_primary_variable", discovery.OpRead},
	2: {"read_loop_current_percent", discovery.OpRead}, 3: {"read_dynamic_variables", discovery.OpRead},
	6: {"write_polling_address", discovery.OpConfig}, 7: {"read_loop_configuration", discovery.OpRead},
	8: {"read_dynamic_variable_classifications", discovery.OpRead}, 9: {"read_device_variables_with_status", discovery.OpRead},
	11: {"read_unique_identifier_by_tag", discovery.OpRead}, 12: {"read_message", discovery.OpRead},
	13: {"read_tag_descriptor_date", discovery.OpRead}, 14: {"read_pv_transducer_info", discovery.OpRead},
	15: {"read_device_info", discovery.OpRead}, 16: {"read_final_assembly_number", discovery.OpRead},
	17: {"write_message", discovery.OpConfig}, 18: {"write_tag_descriptor_date", discovery.OpConfig},
	19: {"write_final_assembly_number", discovery.OpConfig}, 20: {"read_long_tag", discovery.OpRead},
	21: {"read_unique_identifier_by_long_tag", discovery.OpRead}, 22: {"write_long_tag", discovery.OpConfig},
	33: {"read_device_variables", discovery.OpRead}, 34: {"write_pv_damping", discovery.OpConfig},
	35: {"write_pv_range_values", discovery.OpConfig}, 36: {"set_pv_upper_range", discovery.OpConfig},
	37: {"set_pv_lower_range", discovery.OpConfig}, 38: {"reset_configuration_changed_flag", discovery.OpConfig},
	40: {"enter_exit_fixed_current_mode", discovery.OpControl}, 41: {"perform_self_test", discovery.OpDiagnostic},
	42: {"perform_device_reset", discovery.OpControl}, 43: {"set_pv_zero", discovery.OpConfig},
	44: {"write_pv_units", discovery.OpConfig}, 45: {"trim_loop_current_zero", discovery.OpConfig},
	46: {"trim_loop_current_gain", discovery.OpConfig}, 47: {"write_pv_transfer_function", discovery.OpConfig},
	48: {"read_additional_device_status", discovery.OpRead}, 49: {"write_pv_transducer_serial", discovery.OpConfig},
	50: {"read_dynamic_variable_assignments", discovery.OpRead}, 51: {"write_dynamic_variable_assignments", discovery.OpConfig},
	52: {"set_device_variable_zero", discovery.OpConfig}, 53: {"write_device_variable_units", discovery.OpConfig},
	54: {"read_device_variable_info", discovery.OpRead}, 55: {"write_device_variable_damping", discovery.OpConfig},
	57: {"read_unit_tag_descriptor_date", discovery.OpRead}, 58: {"write_unit_tag_descriptor_date", discovery.OpConfig},
	59: {"write_number_of_response_preambles", discovery.OpConfig}, 71: {"lock_device", discovery.OpControl},
	74: {"read_io_system_capabilities", discovery.OpRead}, 75: {"poll_sub_device", discovery.OpDiscovery},
	76: {"read_lock_device_state", discovery.OpRead}, 77: {"send_command_to_sub_device", discovery.OpOther},
	78: {"read_aggregated_commands", discovery.OpRead}, 79: {"write_device_variable", discovery.OpControl},
	84: {"read_sub_device_identity_summary", discovery.OpRead}, 103: {"write_burst_period", discovery.OpConfig},
	104: {"write_burst_trigger", discovery.OpConfig}, 105: {"read_burst_mode_configuration", discovery.OpRead},
	107: {"write_burst_device_variables", discovery.OpConfig}, 108: {"write_burst_mode_command_number", discovery.OpConfig},
	109: {"burst_mode_control", discovery.OpConfig},
}

// CommandName names and classes a HART command.
func CommandName(c uint8) (string, discovery.OpClass) {
	if i, ok := commands[c]; ok {
		return i.name, i.class
	}
	return "command_" + strconv.Itoa(int(c)), discovery.OpOther
}
