package srtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Errors returned by the parsers; callers use errors.Is.
var (
	ErrShort  = errors.New("srtp: short message")
	ErrHeader = errors.New("srtp: not an SRTP header")
)

// HeaderLen is the fixed SRTP header.
const HeaderLen = 56

// maxText bounds the text after a header.
const maxText = 1 << 16

// Message types (header byte 31).
const (
	MsgRequest     = 0xc0
	MsgAck         = 0xd4
	MsgAckWithData = 0x94
	MsgError       = 0xd1
)

// Header is the part of the 56-byte header the dissector uses.
type Header struct {
	Type        uint8 // 0x00 init, 0x01 init response, 0x02 request, 0x03 response
	Sequence    uint8
	TextLength  uint16
	MessageType uint8
	Service     Service
	Segment     uint8
	Text        []byte
}

// Init reports the all-zero initialisation message.
func (h Header) Init() bool { return h.Type == 0 }

func check(b []byte) error {
	switch b[0] {
	case 0x00, 0x01:
	case 0x02, 0x03:
		switch b[31] {
		case MsgRequest, MsgAck, MsgAckWithData, MsgError, 0x80:
		default:
			return fmt.Errorf("%w: message type %#02x", ErrHeader, b[31])
		}
	default:
		return fmt.Errorf("%w: type %#02x", ErrHeader, b[0])
	}
	if b[1] != 0 {
		return fmt.Errorf("%w: reserved byte 1 %#02x", ErrHeader, b[1])
	}
	return nil
}

// MessageLen returns the length of the message at the start of b: 0 when
// more bytes are needed, an error when b is not SRTP.
func MessageLen(b []byte) (int, error) {
	if len(b) < 1 {
		return 0, nil
	}
	if b[0] > 0x03 {
		return 0, fmt.Errorf("%w: type %#02x", ErrHeader, b[0])
	}
	if len(b) < HeaderLen {
		return 0, nil
	}
	if err := check(b); err != nil {
		return 0, err
	}
	return HeaderLen + int(binary.LittleEndian.Uint16(b[4:6])), nil
}

// Parse decodes one whole message.
func Parse(b []byte) (Header, error) {
	var h Header
	n, err := MessageLen(b)
	if err != nil {
		return h, err
	}
	if n == 0 || len(b) < n {
		return h, fmt.Errorf("srtp: %w", ErrShort)
	}
	h.Type, h.Sequence = b[0], b[2]
	h.TextLength = binary.LittleEndian.Uint16(b[4:6])
	h.MessageType = b[31]
	h.Service, h.Segment = Service(b[42]), b[43]
	h.Text = b[HeaderLen:n]
	if h.Type == 0 {
		for _, c := range b[:HeaderLen] {
			if c != 0 {
				return h, fmt.Errorf("%w: initialisation is not all zero", ErrHeader)
			}
		}
	}
	return h, nil
}

// Service is a service request code (header byte 42).
type Service uint8

type svcInfo struct {
	name  string
	class discovery.OpClass
}

var services = map[Service]svcInfo{
	0x00: {"plc_short_status", discovery.OpRead},
	0x03: {"return_control_program_names", discovery.OpRead},
	0x04: {"read_system_memory", discovery.OpRead},
	0x05: {"read_task_memory", discovery.OpRead},
	0x06: {"read_program_block_memory", discovery.OpRead},
	0x07: {"write_system_memory", discovery.OpWrite},
	0x08: {"write_task_memory", discovery.OpWrite},
	0x09: {"write_program_block_memory", discovery.OpProgram},
	0x20: {"programmer_logon", discovery.OpOther},
	0x21: {"change_privilege_level", discovery.OpConfig},
	0x22: {"set_control_id", discovery.OpConfig},
	0x23: {"set_plc_state", discovery.OpControl},
	0x24: {"set_plc_datetime", discovery.OpConfig},
	0x25: {"return_plc_datetime", discovery.OpRead},
	0x38: {"return_fault_table", discovery.OpRead},
	0x39: {"clear_fault_table", discovery.OpControl},
	0x3f: {"program_store", discovery.OpProgram},
	0x40: {"program_load", discovery.OpProgram},
	0x43: {"return_controller_type_and_id", discovery.OpDiscovery},
	0x44: {"toggle_force_system_memory", discovery.OpWrite},
}

func (s Service) String() string {
	if i, ok := services[s]; ok {
		return i.name
	}
	return "service_" + strconv.FormatUint(uint64(s), 16)
}

// Class is what the service can do to the controller.
func (s Service) Class() discovery.OpClass {
	if i, ok := services[s]; ok {
		return i.class
	}
	return discovery.OpOther
}
