package slmp

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
	ErrShort  = errors.New("slmp: short frame")
	ErrHeader = errors.New("slmp: not an SLMP 3E/4E binary frame")
)

// Frame is one 3E or 4E binary frame.
type Frame struct {
	Response bool
	FourE    bool
	Serial   uint16 // 4E only
	Network  uint8
	Station  uint8 // PC number
	ModuleIO uint16
	// DataLength counts the bytes after the length field.
	DataLength uint16
	Timer      uint16 // requests
	Command    Command
	Subcommand uint16
	EndCode    uint16 // responses
	Data       []byte
}

// subheaderLen is the header length a frame's 2-octet subheader announces:
// 9 for a 3E frame (0x5000 request, 0xd000 response), 13 for 4E (0x5400,
// 0xd400), 0 for anything else.
func subheaderLen(b0, b1 byte) int {
	switch {
	case b1 != 0x00:
		return 0
	case b0 == 0x50, b0 == 0xd0:
		return 9
	case b0 == 0x54, b0 == 0xd4:
		return 13
	}
	return 0
}

// FrameLen returns the frame length at the start of b: 0 when more bytes
// are needed, an error when b is not an SLMP binary frame.
func FrameLen(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, nil
	}
	hdr := subheaderLen(b[0], b[1])
	if hdr == 0 {
		return 0, fmt.Errorf("%w: subheader %#02x%02x", ErrHeader, b[0], b[1])
	}
	if len(b) < hdr {
		return 0, nil
	}
	io := binary.LittleEndian.Uint16(b[hdr-5 : hdr-3])
	if io != 0x03ff && (io < 0x03e0 || io > 0x03e3) {
		return 0, fmt.Errorf("%w: module I/O %#04x", ErrHeader, io)
	}
	l := int(binary.LittleEndian.Uint16(b[hdr-2 : hdr]))
	if l < 2 {
		return 0, fmt.Errorf("%w: data length %d", ErrHeader, l)
	}
	return hdr + l, nil
}

// Parse decodes one whole frame.
func Parse(b []byte) (Frame, error) {
	var f Frame
	n, err := FrameLen(b)
	if err != nil {
		return f, err
	}
	if n == 0 || len(b) < n {
		return f, fmt.Errorf("slmp: %w", ErrShort)
	}
	b = b[:n]
	f.Response = b[0]&0x80 != 0
	p := b[2:]
	if b[0]&0x0f == 0x04 {
		f.FourE = true
		f.Serial = binary.LittleEndian.Uint16(p)
		p = p[4:]
	}
	f.Network, f.Station = p[0], p[1]
	f.ModuleIO = binary.LittleEndian.Uint16(p[2:4])
	f.DataLength = binary.LittleEndian.Uint16(p[5:7])
	p = p[7:]
	if f.Response {
		f.EndCode = binary.LittleEndian.Uint16(p)
		f.Data = p[2:]
		return f, nil
	}
	if len(p) < 6 {
		return f, fmt.Errorf("slmp: request header: %w", ErrShort)
	}
	f.Timer = binary.LittleEndian.Uint16(p)
	f.Command = Command(binary.LittleEndian.Uint16(p[2:4]))
	f.Subcommand = binary.LittleEndian.Uint16(p[4:6])
	f.Data = p[6:]
	return f, nil
}

// Command is an SLMP command code.
type Command uint16

type cmdInfo struct {
	name  string
	class discovery.OpClass
}

var commands = map[Command]cmdInfo{
	0x0401: {"device_read", discovery.OpRead},
	0x1401: {"device_write", discovery.OpWrite},
	0x0403: {"device_read_random", discovery.OpRead},
	0x1402: {"device_write_random", discovery.OpWrite},
	0x0801: {"monitor_register", discovery.OpRead},
	0x0802: {"monitor", discovery.OpRead},
	0x0406: {"device_read_block", discovery.OpRead},
	0x1406: {"device_write_block", discovery.OpWrite},
	0x0601: {"memory_read", discovery.OpRead},
	0x1601: {"memory_write", discovery.OpWrite},
	0x0613: {"extend_unit_read", discovery.OpRead},
	0x1613: {"extend_unit_write", discovery.OpWrite},
	0x1001: {"remote_run", discovery.OpControl},
	0x1002: {"remote_stop", discovery.OpControl},
	0x1003: {"remote_pause", discovery.OpControl},
	0x1005: {"remote_latch_clear", discovery.OpControl},
	0x1006: {"remote_reset", discovery.OpControl},
	0x0101: {"read_cpu_model", discovery.OpDiscovery},
	0x1630: {"remote_unlock", discovery.OpConfig},
	0x1631: {"remote_lock", discovery.OpConfig},
	0x0619: {"loopback_test", discovery.OpDiagnostic},
	0x1617: {"clear_error", discovery.OpControl},
	0x1810: {"file_read_directory", discovery.OpRead},
	0x1811: {"file_search_directory", discovery.OpRead},
	0x1820: {"file_new", discovery.OpProgram},
	0x1822: {"file_delete", discovery.OpProgram},
	0x1824: {"file_copy", discovery.OpProgram},
	0x1825: {"file_change_attributes", discovery.OpProgram},
	0x1826: {"file_change_date", discovery.OpProgram},
	0x1827: {"file_open", discovery.OpRead},
	0x1828: {"file_read", discovery.OpRead},
	0x1829: {"file_write", discovery.OpProgram},
	0x182a: {"file_close", discovery.OpRead},
}

func (c Command) String() string {
	if i, ok := commands[c]; ok {
		return i.name
	}
	return "command_" + strconv.FormatUint(uint64(c), 16)
}

// Class is what the command can do.
func (c Command) Class() discovery.OpClass {
	if i, ok := commands[c]; ok {
		return i.class
	}
	return discovery.OpOther
}

// Known reports whether c is a defined command.
func (c Command) Known() bool { _, ok := commands[c]; return ok }

// CPUModel is a Read CPU Model Name response.
type CPUModel struct {
	Name string
	Code uint16
}

// ParseCPUModel decodes the response data of command 0101.
func ParseCPUModel(b []byte) (CPUModel, error) {
	var m CPUModel
	if len(b) < 18 {
		return m, fmt.Errorf("slmp: cpu model: %w", ErrShort)
	}
	name := b[:16]
	out := make([]byte, 0, 16)
	for _, c := range name {
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		}
	}
	m.Name = string(bytes.TrimSpace(out))
	m.Code = binary.LittleEndian.Uint16(b[16:18])
	return m, nil
}
