package fins

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
	ErrShort  = errors.New("fins: short frame")
	ErrHeader = errors.New("fins: not a FINS header")
)

// HeaderLen is the FINS header length (ICF to SID).
const HeaderLen = 10

// Command is a FINS command code: MRC<<8 | SRC.
type Command uint16

type cmdInfo struct {
	name  string
	class discovery.OpClass
}

var commands = map[Command]cmdInfo{
	0x0101: {"memory_area_read", discovery.OpRead},
	0x0102: {"memory_area_write", discovery.OpWrite},
	0x0103: {"memory_area_fill", discovery.OpWrite},
	0x0104: {"multiple_memory_area_read", discovery.OpRead},
	0x0105: {"memory_area_transfer", discovery.OpWrite},
	0x0201: {"parameter_area_read", discovery.OpRead},
	0x0202: {"parameter_area_write", discovery.OpConfig},
	0x0203: {"parameter_area_clear", discovery.OpConfig},
	0x0304: {"program_area_protect", discovery.OpConfig},
	0x0305: {"program_area_protect_clear", discovery.OpConfig},
	0x0306: {"program_area_read", discovery.OpProgram},
	0x0307: {"program_area_write", discovery.OpProgram},
	0x0308: {"program_area_clear", discovery.OpProgram},
	0x0401: {"run", discovery.OpControl},
	0x0402: {"stop", discovery.OpControl},
	0x0501: {"controller_data_read", discovery.OpRead},
	0x0502: {"connection_data_read", discovery.OpRead},
	0x0601: {"controller_status_read", discovery.OpRead},
	0x0620: {"cycle_time_read", discovery.OpRead},
	0x0701: {"clock_read", discovery.OpRead},
	0x0702: {"clock_write", discovery.OpConfig},
	0x0920: {"message_read", discovery.OpRead},
	0x0c01: {"access_right_acquire", discovery.OpControl},
	0x0c02: {"access_right_forced_acquire", discovery.OpControl},
	0x0c03: {"access_right_release", discovery.OpControl},
	0x2101: {"error_clear", discovery.OpControl},
	0x2102: {"error_log_read", discovery.OpRead},
	0x2103: {"error_log_clear", discovery.OpConfig},
	0x2140: {"fal_fals_read", discovery.OpRead},
	0x2141: {"access_log_read", discovery.OpRead},
	0x2142: {"access_log_clear", discovery.OpConfig},
	0x2201: {"file_name_read", discovery.OpRead},
	0x2202: {"single_file_read", discovery.OpRead},
	0x2203: {"single_file_write", discovery.OpProgram},
	0x2204: {"file_memory_format", discovery.OpProgram},
	0x2205: {"file_delete", discovery.OpProgram},
	0x2206: {"volume_label_create_delete", discovery.OpProgram},
	0x2207: {"file_copy", discovery.OpProgram},
	0x2208: {"file_name_change", discovery.OpProgram},
	0x2209: {"file_data_check", discovery.OpRead},
	0x220a: {"memory_area_file_transfer", discovery.OpProgram},
	0x220b: {"parameter_area_file_transfer", discovery.OpProgram},
	0x220c: {"program_area_file_transfer", discovery.OpProgram},
	0x2215: {"directory_create_delete", discovery.OpProgram},
	0x2301: {"forced_set_reset", discovery.OpWrite},
	0x2302: {"forced_set_reset_cancel", discovery.OpWrite},
	0x2601: {"name_set", discovery.OpConfig},
	0x2602: {"name_delete", discovery.OpConfig},
	0x2603: {"name_read", discovery.OpRead},
}

func (c Command) String() string {
	if i, ok := commands[c]; ok {
		return i.name
	}
	return "command_" + strconv.FormatUint(uint64(c), 16)
}

// Class is what the command can do to the controller.
func (c Command) Class() discovery.OpClass {
	if i, ok := commands[c]; ok {
		return i.class
	}
	return discovery.OpOther
}

// Known reports whether c is a defined command.
func (c Command) Known() bool { _, ok := commands[c]; return ok }

// Frame is one FINS command or response.
type Frame struct {
	ICF           uint8
	GatewayCount  uint8
	DNA, DA1, DA2 uint8
	SNA, SA1, SA2 uint8
	SID           uint8
	Command       Command
	EndCode       uint16 // responses
	Data          []byte // after the command code (and end code)
}

// Response reports the ICF data type bit.
func (f Frame) Response() bool { return f.ICF&0x40 != 0 }

// ParseFrame decodes a FINS frame (the UDP payload, or the payload of a
// FINS/TCP "frame send").
func ParseFrame(b []byte) (Frame, error) {
	var f Frame
	if len(b) < HeaderLen+2 {
		return f, fmt.Errorf("fins: %w", ErrShort)
	}
	f.ICF = b[0]
	if f.ICF&0x3e != 0 || b[1] != 0 || b[2] > 7 {
		return f, fmt.Errorf("%w: icf %#02x rsv %#02x gct %d", ErrHeader, b[0], b[1], b[2])
	}
	f.GatewayCount = b[2]
	f.DNA, f.DA1, f.DA2 = b[3], b[4], b[5]
	f.SNA, f.SA1, f.SA2 = b[6], b[7], b[8]
	f.SID = b[9]
	f.Command = Command(binary.BigEndian.Uint16(b[10:12]))
	f.Data = b[12:]
	if f.Response() {
		if len(f.Data) < 2 {
			return f, fmt.Errorf("fins: response end code: %w", ErrShort)
		}
		f.EndCode = binary.BigEndian.Uint16(f.Data[:2])
		f.Data = f.Data[2:]
	}
	return f, nil
}

// ControllerData is the start of a Controller Data Read (0501) response.
type ControllerData struct {
	Model, Version string
}

// ParseControllerData decodes the model and version fields (20 ASCII
// bytes each, space or NUL padded).
func ParseControllerData(b []byte) (ControllerData, error) {
	var c ControllerData
	if len(b) < 40 {
		return c, fmt.Errorf("fins: controller data: %w", ErrShort)
	}
	c.Model, c.Version = ascii(b[:20]), ascii(b[20:40])
	return c, nil
}

// ascii copies a wire string, stopping at NUL, dropping control
// characters and trimming spaces.
func ascii(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		}
	}
	return string(bytes.TrimSpace(out))
}

// TCPHeaderLen is the FINS/TCP header: "FINS", length, command, error code.
const TCPHeaderLen = 16

// TCPFrame is one FINS/TCP frame.
type TCPFrame struct {
	Length    uint32 // bytes after the length field
	Command   uint32 // 0 client node address, 1 server response, 2 FINS frame send, 3 error, 6 confirmation
	ErrorCode uint32
	Data      []byte
}

// TCPLen returns the FINS/TCP frame length at the start of b: 0 when more
// bytes are needed to tell, an error when b is not FINS/TCP.
func TCPLen(b []byte) (int, error) {
	m := min(len(b), 4)
	if !bytes.Equal(b[:m], []byte("FINS")[:m]) {
		return 0, fmt.Errorf("%w: no FINS magic", ErrHeader)
	}
	if len(b) < 8 {
		return 0, nil
	}
	l := binary.BigEndian.Uint32(b[4:8])
	if l < 8 || l > 1<<16 {
		return 0, fmt.Errorf("%w: length %d", ErrHeader, l)
	}
	return 8 + int(l), nil
}

// ParseTCP decodes one whole FINS/TCP frame.
func ParseTCP(b []byte) (TCPFrame, error) {
	var f TCPFrame
	n, err := TCPLen(b)
	if err != nil {
		return f, err
	}
	if n == 0 || len(b) < n {
		return f, fmt.Errorf("fins/tcp: %w", ErrShort)
	}
	f.Length = binary.BigEndian.Uint32(b[4:8])
	f.Command = binary.BigEndian.Uint32(b[8:12])
	f.ErrorCode = binary.BigEndian.Uint32(b[12:16])
	f.Data = b[16:n]
	return f, nil
}
