package dnp3

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Errors returned by the parsers; callers use errors.Is.
var (
	// ErrShort means more bytes are needed.
	ErrShort = errors.New("dnp3: short frame")
	// ErrNotDNP3 means the bytes do not start with the 0x05 0x64 start field.
	ErrNotDNP3 = errors.New("dnp3: no start bytes 0x05 0x64")
	// ErrLength means the link length field is below its minimum of 5.
	ErrLength = errors.New("dnp3: link length below 5")
	// ErrCRC means a header or block CRC does not match.
	ErrCRC = errors.New("dnp3: crc mismatch")
)

// HeaderLen is the link header with its CRC.
const HeaderLen = 10

// crcTable is CRC-16/DNP: polynomial 0x3D65 (reflected 0xA6BC), init 0,
// reflected in and out, result complemented, sent least significant byte first.
var crcTable = func() [256]uint16 {
	var t [256]uint16
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA6BC
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crcTables[k][i] is the register after byte i and k zero bytes
// (crcTables[0] is crcTable): a 16-bit reflected CRC is linear, so four
// bytes are folded in with four independent lookups (slicing-by-4).
var crcTables = func() [4][256]uint16 {
	var t [4][256]uint16
	t[0] = crcTable
	for k := 1; k < 4; k++ {
		for i := range 256 {
			c := t[k-1][i]
			t[k][i] = c>>8 ^ crcTable[byte(c)]
		}
	}
	return t
}()

// CRC computes the DNP3 CRC of b.
func CRC(b []byte) uint16 {
	var c uint16
	for len(b) >= 4 {
		x := c ^ uint16(b[0]) ^ uint16(b[1])<<8
		c = crcTables[3][byte(x)] ^ crcTables[2][x>>8] ^ crcTables[1][b[2]] ^ crcTables[0][b[3]]
		b = b[4:]
	}
	for _, v := range b {
		c = c>>8 ^ crcTable[byte(c)^v]
	}
	return ^c
}

// LinkControl is the link-layer control octet.
type LinkControl uint8

// FromMaster reports the DIR bit: set on every frame the master sends.
func (c LinkControl) FromMaster() bool { return c&0x80 != 0 }

// Primary reports the PRM bit: the frame starts a link transaction.
func (c LinkControl) Primary() bool { return c&0x40 != 0 }

// Function is the 4-bit link function code.
func (c LinkControl) Function() uint8 { return uint8(c) & 0x0f }

// HasUserData reports whether the link function carries transport data
// (primary confirmed or unconfirmed user data).
func (c LinkControl) HasUserData() bool {
	return c.Primary() && (c.Function() == 3 || c.Function() == 4)
}

// LinkFrame is one data link frame, with its user data CRCs stripped.
type LinkFrame struct {
	Length      uint8
	Control     LinkControl
	Destination uint16
	Source      uint16
	// UserData is the transport+application payload without CRCs. It
	// points into the buffer given to StripCRC (or the input when no block).
	UserData []byte
}

// FrameLen returns the on-wire length of the link frame at the start of b:
// 0 when fewer than 3 bytes are present, or an error when b is no DNP3 frame.
func FrameLen(b []byte) (int, error) {
	if len(b) < 3 {
		if len(b) >= 1 && b[0] != 0x05 || len(b) >= 2 && b[1] != 0x64 {
			return 0, ErrNotDNP3
		}
		return 0, nil
	}
	if b[0] != 0x05 || b[1] != 0x64 {
		return 0, ErrNotDNP3
	}
	l := int(b[2])
	if l < 5 {
		return 0, fmt.Errorf("%w: %d", ErrLength, l)
	}
	data := l - 5
	return HeaderLen + data + 2*((data+15)/16), nil
}

// ParseLink decodes one link frame from b (which must hold at least the
// whole frame) and verifies every CRC. The user data, without CRCs, is
// copied into scratch (which must have room for 250 bytes) and returned in
// the frame; n is the number of bytes of b the frame used.
func ParseLink(b []byte, scratch []byte) (f LinkFrame, n int, err error) {
	n, err = FrameLen(b)
	if err != nil {
		return f, 0, err
	}
	if n == 0 || len(b) < n {
		return f, 0, ErrShort
	}
	if got, want := CRC(b[:8]), binary.LittleEndian.Uint16(b[8:10]); got != want {
		return f, 0, fmt.Errorf("%w: header: computed %#04x, frame has %#04x", ErrCRC, got, want)
	}
	f.Length = b[2]
	f.Control = LinkControl(b[3])
	f.Destination = binary.LittleEndian.Uint16(b[4:6])
	f.Source = binary.LittleEndian.Uint16(b[6:8])
	out := scratch[:0]
	rest := b[HeaderLen:n]
	for blk := 0; len(rest) > 0; blk++ {
		k := min(16, len(rest)-2)
		if k <= 0 {
			return f, 0, fmt.Errorf("%w: block %d has no crc", ErrShort, blk)
		}
		if got, want := CRC(rest[:k]), binary.LittleEndian.Uint16(rest[k:k+2]); got != want {
			return f, 0, fmt.Errorf("%w: block %d: computed %#04x, frame has %#04x", ErrCRC, blk, got, want)
		}
		out = append(out, rest[:k]...)
		rest = rest[k+2:]
	}
	f.UserData = out
	return f, n, nil
}

// TransportHeader is the one-octet transport function header.
type TransportHeader uint8

func (t TransportHeader) FIN() bool       { return t&0x80 != 0 }
func (t TransportHeader) FIR() bool       { return t&0x40 != 0 }
func (t TransportHeader) Sequence() uint8 { return uint8(t) & 0x3f }

// AppControl is the application control octet.
type AppControl uint8

func (a AppControl) FIR() bool         { return a&0x80 != 0 }
func (a AppControl) FIN() bool         { return a&0x40 != 0 }
func (a AppControl) Confirm() bool     { return a&0x20 != 0 }
func (a AppControl) Unsolicited() bool { return a&0x10 != 0 }
func (a AppControl) Sequence() uint8   { return uint8(a) & 0x0f }

// FunctionCode is the application layer function code (IEEE 1815-2012 table 4-2).
type FunctionCode uint8

// Function codes named in the dissector's logic.
const (
	FuncConfirm          FunctionCode = 0
	FuncRead             FunctionCode = 1
	FuncWrite            FunctionCode = 2
	FuncAuthRequest      FunctionCode = 32
	FuncAuthRequestNoAck FunctionCode = 33
	FuncResponse         FunctionCode = 129
	FuncUnsolicited      FunctionCode = 130
	FuncAuthResponse     FunctionCode = 131
)

type funcInfo struct {
	name  string
	class discovery.OpClass
}

var funcs = map[FunctionCode]funcInfo{
	0:   {"confirm", discovery.OpOther},
	1:   {"read", discovery.OpRead},
	2:   {"write", discovery.OpWrite},
	3:   {"select", discovery.OpControl},
	4:   {"operate", discovery.OpControl},
	5:   {"direct_operate", discovery.OpControl},
	6:   {"direct_operate_no_ack", discovery.OpControl},
	7:   {"immediate_freeze", discovery.OpControl},
	8:   {"immediate_freeze_no_ack", discovery.OpControl},
	9:   {"freeze_clear", discovery.OpControl},
	10:  {"freeze_clear_no_ack", discovery.OpControl},
	11:  {"freeze_at_time", discovery.OpControl},
	12:  {"freeze_at_time_no_ack", discovery.OpControl},
	13:  {"cold_restart", discovery.OpControl},
	14:  {"warm_restart", discovery.OpControl},
	15:  {"initialize_data", discovery.OpControl},
	16:  {"initialize_application", discovery.OpControl},
	17:  {"start_application", discovery.OpControl},
	18:  {"stop_application", discovery.OpControl},
	19:  {"save_configuration", discovery.OpConfig},
	20:  {"enable_unsolicited", discovery.OpConfig},
	21:  {"disable_unsolicited", discovery.OpConfig},
	22:  {"assign_class", discovery.OpConfig},
	23:  {"delay_measure", discovery.OpDiagnostic},
	24:  {"record_current_time", discovery.OpDiagnostic},
	25:  {"open_file", discovery.OpProgram},
	26:  {"close_file", discovery.OpProgram},
	27:  {"delete_file", discovery.OpProgram},
	28:  {"get_file_info", discovery.OpProgram},
	29:  {"authenticate_file", discovery.OpProgram},
	30:  {"abort_file", discovery.OpProgram},
	31:  {"activate_config", discovery.OpConfig},
	32:  {"authenticate_request", discovery.OpOther},
	33:  {"authenticate_request_no_ack", discovery.OpOther},
	129: {"response", discovery.OpOther},
	130: {"unsolicited_response", discovery.OpOther},
	131: {"authenticate_response", discovery.OpOther},
}

// String is the snake_case name, or "function_N" for unassigned codes.
func (f FunctionCode) String() string {
	if i, ok := funcs[f]; ok {
		return i.name
	}
	return "function_" + strconv.Itoa(int(f))
}

// Class is what the function can do to the process.
func (f FunctionCode) Class() discovery.OpClass {
	if i, ok := funcs[f]; ok {
		return i.class
	}
	return discovery.OpOther
}

// IsResponse reports whether f is sent by an outstation.
func (f FunctionCode) IsResponse() bool { return f >= 129 }

// AppHeader is the application layer header and the first object header.
type AppHeader struct {
	Control  AppControl
	Function FunctionCode
	// IIN are the internal indications (responses only).
	IIN uint16
	// HasObject is set when an object header follows the application header.
	HasObject bool
	Group     uint8
	Variation uint8
	Qualifier uint8
}

// ParseApp decodes the application header at the start of an application
// fragment (or its first transport segment).
func ParseApp(b []byte) (AppHeader, error) {
	var h AppHeader
	if len(b) < 2 {
		return h, fmt.Errorf("dnp3: application header: %w", ErrShort)
	}
	h.Control = AppControl(b[0])
	h.Function = FunctionCode(b[1])
	rest := b[2:]
	if h.Function.IsResponse() {
		if len(rest) < 2 {
			return h, fmt.Errorf("dnp3: application header: internal indications: %w", ErrShort)
		}
		h.IIN = binary.BigEndian.Uint16(rest[:2])
		rest = rest[2:]
	}
	if len(rest) >= 3 {
		h.HasObject = true
		h.Group, h.Variation, h.Qualifier = rest[0], rest[1], rest[2]
	}
	return h, nil
}

// SecureAuthentication reports whether the header belongs to a DNP3 Secure
// Authentication exchange (functions 32, 33, 131 or an object of group 120).
func (h AppHeader) SecureAuthentication() bool {
	switch h.Function {
	case FuncAuthRequest, FuncAuthRequestNoAck, FuncAuthResponse:
		return true
	}
	return h.HasObject && h.Group == 120
}
