package c37118

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
	ErrShort  = errors.New("c37118: short frame")
	ErrHeader = errors.New("c37118: not a C37.118 frame")
	ErrCRC    = errors.New("c37118: crc mismatch")
)

// HeaderLen is the common header; a frame is at least that plus the CRC.
const HeaderLen = 14

// FrameType is bits 6-4 of the second SYNC octet.
type FrameType uint8

const (
	TypeData    FrameType = 0
	TypeHeader  FrameType = 1
	TypeConfig1 FrameType = 2
	TypeConfig2 FrameType = 3
	TypeCommand FrameType = 4
	TypeConfig3 FrameType = 5
)

var typeNames = [...]string{"data", "header", "cfg1", "cfg2", "command", "cfg3"}

func (t FrameType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type_" + strconv.Itoa(int(t))
}

// CRC computes CRC-CCITT (polynomial 0x1021, initial 0xFFFF, no
// reflection), the C37.118.2 check word.
func CRC(b []byte) uint16 {
	crc := uint16(0xffff)
	for _, v := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^v]
	}
	return crc
}

var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// Frame is one C37.118 frame.
type Frame struct {
	Type    FrameType
	Version uint8
	Size    uint16
	IDCode  uint16
	SOC     uint32
	FracSec uint32
	// Body is what follows the common header, without the CRC.
	Body []byte
}

// FrameLen returns the length of the frame at the start of b: 0 when more
// bytes are needed, an error when b is not C37.118.
func FrameLen(b []byte) (int, error) {
	if len(b) < 1 {
		return 0, nil
	}
	if b[0] != 0xaa {
		return 0, fmt.Errorf("%w: sync %#02x", ErrHeader, b[0])
	}
	if len(b) < 4 {
		return 0, nil
	}
	t, v := (b[1]>>4)&0x07, b[1]&0x0f
	size := binary.BigEndian.Uint16(b[2:4])
	if b[1]&0x80 != 0 || t > 5 || v < 1 || v > 3 || size < HeaderLen+2 {
		return 0, fmt.Errorf("%w: type %d version %d size %d", ErrHeader, t, v, size)
	}
	return int(size), nil
}

// ParseFrame decodes one whole frame and checks its CRC.
func ParseFrame(b []byte) (Frame, error) {
	var f Frame
	n, err := FrameLen(b)
	if err != nil {
		return f, err
	}
	if n == 0 || len(b) < n {
		return f, fmt.Errorf("c37118: %w", ErrShort)
	}
	b = b[:n]
	if got, want := CRC(b[:n-2]), binary.BigEndian.Uint16(b[n-2:]); got != want {
		return f, fmt.Errorf("%w: computed %#04x, frame has %#04x", ErrCRC, got, want)
	}
	f.Type, f.Version = FrameType((b[1]>>4)&0x07), b[1]&0x0f
	f.Size = uint16(n)
	f.IDCode = binary.BigEndian.Uint16(b[4:6])
	f.SOC = binary.BigEndian.Uint32(b[6:10])
	f.FracSec = binary.BigEndian.Uint32(b[10:14])
	f.Body = b[HeaderLen : n-2]
	return f, nil
}

// Command is a command frame's CMD word.
type Command uint16

var commandNames = map[Command]struct {
	name  string
	class discovery.OpClass
}{
	1: {"turn_off_data", discovery.OpControl},
	2: {"turn_on_data", discovery.OpControl},
	3: {"send_header", discovery.OpRead},
	4: {"send_cfg1", discovery.OpRead},
	5: {"send_cfg2", discovery.OpRead},
	6: {"send_cfg3", discovery.OpRead},
	8: {"extended", discovery.OpOther},
}

func (c Command) String() string {
	if i, ok := commandNames[c]; ok {
		return i.name
	}
	return "command_" + strconv.Itoa(int(c))
}

// Class is what the command does to the stream.
func (c Command) Class() discovery.OpClass {
	if i, ok := commandNames[c]; ok {
		return i.class
	}
	return discovery.OpOther
}

// PMU is one PMU block of a CFG-1/CFG-2 frame.
type PMU struct {
	Station                    string
	IDCode                     uint16
	Format                     uint16
	Phasors, Analogs, Digitals uint16
	// NominalHz is 50 or 60.
	NominalHz   int
	ConfigCount uint16
}

// Config is a CFG-1/CFG-2 frame body.
type Config struct {
	TimeBase uint32
	PMUs     []PMU
	DataRate int16
}

// ParseConfig decodes a CFG-1 or CFG-2 body (at most 64 PMUs kept).
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if len(b) < 6 {
		return c, fmt.Errorf("c37118: config: %w", ErrShort)
	}
	c.TimeBase = binary.BigEndian.Uint32(b)
	n := int(binary.BigEndian.Uint16(b[4:6]))
	p := b[6:]
	for i := 0; i < n; i++ {
		if len(p) < 26 {
			return c, fmt.Errorf("c37118: config pmu %d: %w", i, ErrShort)
		}
		u := PMU{Station: text(p[:16]), IDCode: binary.BigEndian.Uint16(p[16:18]), Format: binary.BigEndian.Uint16(p[18:20]),
			Phasors: binary.BigEndian.Uint16(p[20:22]), Analogs: binary.BigEndian.Uint16(p[22:24]), Digitals: binary.BigEndian.Uint16(p[24:26])}
		names := 16 * (int(u.Phasors) + int(u.Analogs) + 16*int(u.Digitals))
		units := 4 * (int(u.Phasors) + int(u.Analogs) + int(u.Digitals))
		rest := 26 + names + units
		if len(p) < rest+4 {
			return c, fmt.Errorf("c37118: config pmu %d channels: %w", i, ErrShort)
		}
		fnom := binary.BigEndian.Uint16(p[rest:])
		u.NominalHz = 60
		if fnom&1 != 0 {
			u.NominalHz = 50
		}
		u.ConfigCount = binary.BigEndian.Uint16(p[rest+2:])
		if len(c.PMUs) < 64 {
			c.PMUs = append(c.PMUs, u)
		}
		p = p[rest+4:]
	}
	if len(p) < 2 {
		return c, fmt.Errorf("c37118: config data rate: %w", ErrShort)
	}
	c.DataRate = int16(binary.BigEndian.Uint16(p))
	return c, nil
}

// text copies a fixed-size wire string, dropping NULs and control
// characters and trimming spaces.
func text(b []byte) string {
	out := make([]byte, 0, min(len(b), 256))
	for _, c := range b {
		if c >= 0x20 && c != 0x7f && len(out) < 256 {
			out = append(out, c)
		}
	}
	return string(bytes.TrimSpace(out))
}
