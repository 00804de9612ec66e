package ads

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
	ErrShort  = errors.New("ads: short frame")
	ErrHeader = errors.New("ads: not an AMS/TCP frame")
	ErrMagic  = errors.New("ads: no discovery magic")
)

// NetID is an AMS NetId.
type NetID [6]byte

func (n NetID) String() string {
	b := make([]byte, 0, 23)
	for i, v := range n {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return string(b)
}

// Command is an ADS command id.
type Command uint16

type cmdInfo struct {
	name  string
	class discovery.OpClass
}

var commands = [...]cmdInfo{
	0: {"invalid", discovery.OpOther},
	1: {"read_device_info", discovery.OpRead},
	2: {"read", discovery.OpRead},
	3: {"write", discovery.OpWrite},
	4: {"read_state", discovery.OpRead},
	5: {"write_control", discovery.OpControl},
	6: {"add_device_notification", discovery.OpRead},
	7: {"delete_device_notification", discovery.OpRead},
	8: {"device_notification", discovery.OpOther},
	9: {"read_write", discovery.OpWrite},
}

func (c Command) String() string {
	if int(c) < len(commands) {
		return commands[c].name
	}
	return "command_" + strconv.Itoa(int(c))
}

// Class is what the command can do; see also Request.Class.
func (c Command) Class() discovery.OpClass {
	if int(c) < len(commands) {
		return commands[c].class
	}
	return discovery.OpOther
}

// Header is the AMS header.
type Header struct {
	Target     NetID
	TargetPort uint16
	Source     NetID
	SourcePort uint16
	Command    Command
	StateFlags uint16
	DataLength uint32
	ErrorCode  uint32
	InvokeID   uint32
}

// Response reports the response bit of the state flags.
func (h Header) Response() bool { return h.StateFlags&0x0001 != 0 }

// Frame is one AMS/TCP frame.
type Frame struct {
	Header
	Data []byte
}

// TCPHeaderLen is the AMS/TCP header; AMSHeaderLen the AMS header.
const (
	TCPHeaderLen = 6
	AMSHeaderLen = 32
	maxFrame     = 1 << 22
)

// FrameLen returns the AMS/TCP frame length at the start of b: 0 when
// more bytes are needed, an error when b is not AMS/TCP.
func FrameLen(b []byte) (int, error) {
	if len(b) < TCPHeaderLen {
		return 0, nil
	}
	l := binary.LittleEndian.Uint32(b[2:6])
	if l > maxFrame {
		return 0, fmt.Errorf("%w: length %d", ErrHeader, l)
	}
	return TCPHeaderLen + int(l), nil
}

// ParseFrame decodes one whole AMS/TCP frame. Router frames (reserved
// word other than 0) give ErrHeader.
func ParseFrame(b []byte) (Frame, error) {
	var f Frame
	n, err := FrameLen(b)
	if err != nil {
		return f, err
	}
	if n == 0 || len(b) < n {
		return f, fmt.Errorf("ads: %w", ErrShort)
	}
	if b[0] != 0 || b[1] != 0 {
		return f, fmt.Errorf("%w: reserved %#04x (AMS router command)", ErrHeader, binary.LittleEndian.Uint16(b))
	}
	if n < TCPHeaderLen+AMSHeaderLen {
		return f, fmt.Errorf("ads: ams header: %w", ErrShort)
	}
	a := b[TCPHeaderLen:n]
	h := &f.Header
	copy(h.Target[:], a[0:6])
	h.TargetPort = binary.LittleEndian.Uint16(a[6:8])
	copy(h.Source[:], a[8:14])
	h.SourcePort = binary.LittleEndian.Uint16(a[14:16])
	h.Command = Command(binary.LittleEndian.Uint16(a[16:18]))
	h.StateFlags = binary.LittleEndian.Uint16(a[18:20])
	h.DataLength = binary.LittleEndian.Uint32(a[20:24])
	h.ErrorCode = binary.LittleEndian.Uint32(a[24:28])
	h.InvokeID = binary.LittleEndian.Uint32(a[28:32])
	f.Data = a[32:]
	if uint64(h.DataLength) > uint64(len(f.Data)) {
		return f, fmt.Errorf("ads: data length %d in %d bytes: %w", h.DataLength, len(f.Data), ErrShort)
	}
	f.Data = f.Data[:h.DataLength]
	return f, nil
}

// IndexGroup returns the index group of a Read, Write or ReadWrite request.
func (f Frame) IndexGroup() (uint32, bool) {
	switch f.Command {
	case 2, 3, 9:
		if !f.Response() && len(f.Data) >= 4 {
			return binary.LittleEndian.Uint32(f.Data), true
		}
	}
	return 0, false
}

// Operation names and classes a request, refining the command by its
// index group where that tells reads from writes.
func (f Frame) Operation() discovery.Operation {
	op := discovery.Operation{Code: int(f.Command), Name: f.Command.String(), Class: f.Command.Class()}
	ig, ok := f.IndexGroup()
	if !ok {
		return op
	}
	switch {
	case f.Command == 3 && ig == 0xf006:
		op.Name, op.Class = "release_handle", discovery.OpOther
	case f.Command == 9:
		switch ig {
		case 0xf003, 0xf009, 0xf00b, 0xf00c, 0xf080:
			op.Class = discovery.OpRead
		}
	}
	return op
}

// DeviceInfo is a ReadDeviceInfo response.
type DeviceInfo struct {
	Result       uint32
	Major, Minor uint8
	Build        uint16
	Name         string
}

// Version formats the version as TwinCAT does ("3.1.4024").
func (d DeviceInfo) Version() string {
	return strconv.Itoa(int(d.Major)) + "." + strconv.Itoa(int(d.Minor)) + "." + strconv.Itoa(int(d.Build))
}

// ParseDeviceInfo decodes ReadDeviceInfo response data.
func ParseDeviceInfo(b []byte) (DeviceInfo, error) {
	var d DeviceInfo
	if len(b) < 24 {
		return d, fmt.Errorf("ads: device info: %w", ErrShort)
	}
	d.Result = binary.LittleEndian.Uint32(b)
	d.Major, d.Minor = b[4], b[5]
	d.Build = binary.LittleEndian.Uint16(b[6:8])
	d.Name = cstring(b[8:24])
	return d, nil
}

// cstring copies a NUL-terminated wire string, dropping control characters.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	out := make([]byte, 0, min(len(b), 256))
	for _, c := range b {
		if c >= 0x20 && c != 0x7f && len(out) < 256 {
			out = append(out, c)
		}
	}
	return string(bytes.TrimSpace(out))
}

// Discovery magic, little endian 0x71146603.
var discoveryMagic = []byte{0x03, 0x66, 0x14, 0x71}

// Discovery operations.
const (
	OpGetNetID  = 0x00000000
	OpDiscovery = 0x00000001
	OpAddRoute  = 0x00000006
	OpDelRoute  = 0x00000007
	opResponse  = 0x80000000
)

// DiscoveryMessage is a TwinCAT UDP discovery or route message.
type DiscoveryMessage struct {
	RequestID uint32
	Operation uint32
	NetID     NetID
	Port      uint16
	Hostname  string
	// Version is the TwinCAT version block ("3.1.4024"), when present.
	Version     string
	HasPassword bool
}

// Response reports the response bit of the operation.
func (m DiscoveryMessage) Response() bool { return m.Operation&opResponse != 0 }

// ParseDiscovery decodes a discovery datagram and its blocks.
func ParseDiscovery(b []byte) (DiscoveryMessage, error) {
	var m DiscoveryMessage
	if len(b) < 24 {
		return m, fmt.Errorf("ads: discovery: %w", ErrShort)
	}
	if !bytes.Equal(b[:4], discoveryMagic) {
		return m, ErrMagic
	}
	m.RequestID = binary.LittleEndian.Uint32(b[4:8])
	m.Operation = binary.LittleEndian.Uint32(b[8:12])
	copy(m.NetID[:], b[12:18])
	m.Port = binary.LittleEndian.Uint16(b[18:20])
	n := binary.LittleEndian.Uint32(b[20:24])
	p := b[24:]
	for i := uint32(0); i < n && i < 64; i++ {
		if len(p) < 4 {
			return m, fmt.Errorf("ads: discovery block %d: %w", i, ErrShort)
		}
		typ, l := binary.LittleEndian.Uint16(p), int(binary.LittleEndian.Uint16(p[2:]))
		if len(p) < 4+l {
			return m, fmt.Errorf("ads: discovery block %d: %w", i, ErrShort)
		}
		data := p[4 : 4+l]
		switch typ {
		case 0x0002:
			m.HasPassword = true
		case 0x0003:
			if len(data) >= 4 {
				m.Version = strconv.Itoa(int(data[0])) + "." + strconv.Itoa(int(data[1])) + "." + strconv.Itoa(int(binary.LittleEndian.Uint16(data[2:4])))
			}
		case 0x0005:
			m.Hostname = cstring(data)
		}
		p = p[4+l:]
	}
	return m, nil
}
