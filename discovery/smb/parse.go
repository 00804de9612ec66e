package smb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// NetBIOS session service packet types (RFC 1002 4.3.1).
const (
	SessionMessage    = 0x00
	SessionRequest    = 0x81
	PositiveResponse  = 0x82
	NegativeResponse  = 0x83
	RetargetResponse  = 0x84
	SessionKeepAlive  = 0x85
	sessionHeaderLen  = 4
	maxSessionMessage = 1 << 24
)

// Protocol signatures of the message inside a session message.
var (
	sigSMB1      = []byte{0xff, 'S', 'M', 'B'}
	sigSMB2      = []byte{0xfe, 'S', 'M', 'B'}
	sigTransform = []byte{0xfd, 'S', 'M', 'B'}
	sigCompress  = []byte{0xfc, 'S', 'M', 'B'}
	sigNTLMSSP   = []byte("NTLMSSP\x00")
)

// Errors returned by the parser.
var (
	ErrNotSMB = errors.New("not a NetBIOS session / SMB message")
	ErrShort  = errors.New("truncated message")
)

// MessageLen returns the length of the session packet at the start of b
// (header included), 0 when the header is incomplete.
func MessageLen(b []byte) (int, error) {
	if len(b) < sessionHeaderLen {
		return 0, nil
	}
	switch b[0] {
	case SessionMessage, SessionRequest, PositiveResponse, NegativeResponse, RetargetResponse, SessionKeepAlive:
	default:
		return 0, fmt.Errorf("smb: session packet type %#x: %w", b[0], ErrNotSMB)
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if b[0] != SessionMessage && n > 0x1ffff {
		return 0, fmt.Errorf("smb: session packet length %d: %w", n, ErrNotSMB)
	}
	return sessionHeaderLen + n, nil
}

// SMB2 commands ([MS-SMB2] 2.2.1).
type Command2 uint16

const (
	SMB2Negotiate    Command2 = 0x00
	SMB2SessionSetup Command2 = 0x01
	SMB2TreeConnect  Command2 = 0x03
	SMB2Create       Command2 = 0x05
	SMB2Read         Command2 = 0x08
	SMB2Write        Command2 = 0x09
	SMB2IOCTL        Command2 = 0x0b
	SMB2SetInfo      Command2 = 0x11
)

var cmd2Names = map[Command2]string{SMB2Negotiate: "negotiate", SMB2SessionSetup: "session_setup", 0x02: "logoff",
	SMB2TreeConnect: "tree_connect", 0x04: "tree_disconnect", SMB2Create: "create", 0x06: "close", 0x07: "flush",
	SMB2Read: "read", SMB2Write: "write", 0x0a: "lock", SMB2IOCTL: "ioctl", 0x0c: "cancel", 0x0d: "echo",
	0x0e: "query_directory", 0x0f: "change_notify", 0x10: "query_info", SMB2SetInfo: "set_info", 0x12: "oplock_break"}

func (c Command2) String() string {
	if s, ok := cmd2Names[c]; ok {
		return s
	}
	return fmt.Sprintf("command(%#x)", uint16(c))
}

// SMB1 commands used ([MS-CIFS] 2.2.2.1).
type Command1 uint8

const (
	SMB1Negotiate    Command1 = 0x72
	SMB1SessionSetup Command1 = 0x73
	SMB1ReadAndX     Command1 = 0x2e
	SMB1WriteAndX    Command1 = 0x2f
)

// Dialect is an SMB2 dialect revision.
type Dialect uint16

func (d Dialect) String() string {
	switch d {
	case 0x0202:
		return "SMB 2.0.2"
	case 0x0210:
		return "SMB 2.1"
	case 0x0300:
		return "SMB 3.0"
	case 0x0302:
		return "SMB 3.0.2"
	case 0x0311:
		return "SMB 3.1.1"
	case 0x02ff:
		return "SMB 2.???"
	}
	return fmt.Sprintf("0x%04x", uint16(d))
}

// SMB2Header is the part of the 64-byte SMB2 sync header the dissector uses.
type SMB2Header struct {
	Command  Command2
	Status   uint32
	Response bool
	Signed   bool
}

// ParseSMB2Header reads an SMB2 header at the start of m.
func ParseSMB2Header(m []byte) (SMB2Header, error) {
	if len(m) < 64 || !bytes.Equal(m[:4], sigSMB2) || binary.LittleEndian.Uint16(m[4:]) != 64 {
		return SMB2Header{}, fmt.Errorf("smb2: header: %w", ErrNotSMB)
	}
	flags := binary.LittleEndian.Uint32(m[16:])
	return SMB2Header{
		Command:  Command2(binary.LittleEndian.Uint16(m[12:])),
		Status:   binary.LittleEndian.Uint32(m[8:]),
		Response: flags&0x1 != 0,
		Signed:   flags&0x8 != 0,
	}, nil
}

// NegotiateResponse2 reads an SMB2 NEGOTIATE response body: security mode and dialect.
func NegotiateResponse2(m []byte) (securityMode uint16, dialect Dialect, err error) {
	if len(m) < 64+6 || binary.LittleEndian.Uint16(m[64:]) != 65 {
		return 0, 0, fmt.Errorf("smb2: negotiate response: %w", ErrShort)
	}
	return binary.LittleEndian.Uint16(m[66:]), Dialect(binary.LittleEndian.Uint16(m[68:])), nil
}

// SMB1Header is the part of the 32-byte SMB1 header the dissector uses.
type SMB1Header struct {
	Command Command1
	Reply   bool
}

// ParseSMB1Header reads an SMB1 header.
func ParseSMB1Header(m []byte) (SMB1Header, error) {
	if len(m) < 32 || !bytes.Equal(m[:4], sigSMB1) {
		return SMB1Header{}, fmt.Errorf("smb1: header: %w", ErrNotSMB)
	}
	return SMB1Header{Command: Command1(m[4]), Reply: m[9]&0x80 != 0}, nil
}

// SMB1Params returns the parameter words and data bytes after an SMB1 header.
func SMB1Params(m []byte) (words, data []byte, err error) {
	if len(m) < 33 {
		return nil, nil, ErrShort
	}
	wc := int(m[32])
	if len(m) < 33+2*wc+2 {
		return nil, nil, ErrShort
	}
	words = m[33 : 33+2*wc]
	bc := int(binary.LittleEndian.Uint16(m[33+2*wc:]))
	rest := m[33+2*wc+2:]
	if bc > len(rest) {
		bc = len(rest) // truncated (snap length): keep what is there
	}
	return words, rest[:bc], nil
}

// NTLM message types and flags ([MS-NLMP] 2.2).
const (
	NTLMNegotiate    = 1
	NTLMChallenge    = 2
	NTLMAuthenticate = 3

	flagUnicode = 0x00000001
	flagVersion = 0x02000000
)

// NTLM is what the dissector reads from an NTLMSSP message: names are raw
// (UTF-16LE when Unicode) and alias the message.
type NTLM struct {
	Type                   uint32
	Unicode                bool
	Domain, Workstation    []byte // NEGOTIATE / AUTHENTICATE
	UserPresent            bool   // AUTHENTICATE: a user name was sent (never kept)
	TargetName             []byte // CHALLENGE
	NbComputer, NbDomain   []byte // CHALLENGE AV pairs 1 and 2
	DNSComputer, DNSDomain []byte // CHALLENGE AV pairs 3 and 4
	HasVersion             bool
	Major, Minor           uint8
	Build                  uint16
}

// FindNTLMSSP locates an NTLMSSP message inside m (an SMB message whose
// security blob may be wrapped in SPNEGO) and returns it from its signature.
func FindNTLMSSP(m []byte) []byte {
	if i := bytes.Index(m, sigNTLMSSP); i >= 0 {
		return m[i:]
	}
	return nil
}

func field(msg []byte, at int) ([]byte, bool) {
	if len(msg) < at+8 {
		return nil, false
	}
	n := int(binary.LittleEndian.Uint16(msg[at:]))
	off := int(binary.LittleEndian.Uint32(msg[at+4:]))
	if n == 0 {
		return nil, true
	}
	if off < 0 || off > len(msg) || n > len(msg)-off {
		return nil, false
	}
	return msg[off : off+n], true
}

// ParseNTLM reads an NTLMSSP message (from its signature).
func ParseNTLM(msg []byte, n *NTLM) error {
	*n = NTLM{}
	if len(msg) < 12 || !bytes.Equal(msg[:8], sigNTLMSSP) {
		return fmt.Errorf("ntlmssp: %w", ErrShort)
	}
	n.Type = binary.LittleEndian.Uint32(msg[8:])
	var flags uint32
	var verAt int
	ok := true
	switch n.Type {
	case NTLMNegotiate:
		if len(msg) < 16 {
			return fmt.Errorf("ntlmssp negotiate: %w", ErrShort)
		}
		flags = binary.LittleEndian.Uint32(msg[12:])
		n.Domain, ok = field(msg, 16)
		if ok {
			n.Workstation, ok = field(msg, 24)
		}
		verAt = 32
		n.Unicode = false // negotiate names are OEM
	case NTLMChallenge:
		if len(msg) < 48 {
			return fmt.Errorf("ntlmssp challenge: %w", ErrShort)
		}
		flags = binary.LittleEndian.Uint32(msg[20:])
		n.TargetName, ok = field(msg, 12)
		var info []byte
		if ok {
			info, ok = field(msg, 40)
		}
		for len(info) >= 4 && ok {
			id, l := binary.LittleEndian.Uint16(info), int(binary.LittleEndian.Uint16(info[2:]))
			if id == 0 || 4+l > len(info) {
				break
			}
			v := info[4 : 4+l]
			switch id {
			case 1:
				n.NbComputer = v
			case 2:
				n.NbDomain = v
			case 3:
				n.DNSComputer = v
			case 4:
				n.DNSDomain = v
			}
			info = info[4+l:]
		}
		verAt = 48
		n.Unicode = flags&flagUnicode != 0
	case NTLMAuthenticate:
		if len(msg) < 64 {
			return fmt.Errorf("ntlmssp authenticate: %w", ErrShort)
		}
		flags = binary.LittleEndian.Uint32(msg[60:])
		var user []byte
		n.Domain, ok = field(msg, 28)
		if ok {
			user, ok = field(msg, 36)
		}
		if ok {
			n.Workstation, ok = field(msg, 44)
		}
		n.UserPresent = len(user) > 0
		verAt = 64
		n.Unicode = flags&flagUnicode != 0
	default:
		return fmt.Errorf("ntlmssp: message type %d: %w", n.Type, ErrNotSMB)
	}
	if !ok {
		return fmt.Errorf("ntlmssp type %d: field outside the message: %w", n.Type, ErrShort)
	}
	// Implementations that do not mean it fill the version with 0xff
	// (impacket: 255.255.65535); Windows and Samba send 5.x-10.x.
	if flags&flagVersion != 0 && len(msg) >= verAt+8 && msg[verAt] >= 1 && msg[verAt] <= 20 {
		n.HasVersion = true
		n.Major, n.Minor, n.Build = msg[verAt], msg[verAt+1], binary.LittleEndian.Uint16(msg[verAt+2:])
	}
	return nil
}

// Text decodes a name: UTF-16LE when unicode, else bytes as they are. It
// allocates; call it only to emit. AV pair values are always UTF-16LE.
func Text(b []byte, unicode bool) []byte {
	if !unicode || len(b)%2 != 0 {
		return b
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return []byte(string(utf16.Decode(u)))
}

// DecodeNetBIOSName undoes RFC 1001 first-level encoding of a session
// request name (length byte 32, 32 letters, scope, 0); ok is false otherwise.
func DecodeNetBIOSName(b []byte) (name []byte, suffix byte, rest []byte, ok bool) {
	if len(b) < 34 || b[0] != 32 {
		return nil, 0, nil, false
	}
	var out [16]byte
	for i := 0; i < 16; i++ {
		hi, lo := b[1+2*i]-'A', b[2+2*i]-'A'
		if hi > 15 || lo > 15 {
			return nil, 0, nil, false
		}
		out[i] = hi<<4 | lo
	}
	// skip scope labels up to the root
	j := 33
	for j < len(b) && b[j] != 0 {
		j += 1 + int(b[j])
	}
	if j >= len(b) {
		return nil, 0, nil, false
	}
	n := 15
	for n > 0 && (out[n-1] == ' ' || out[n-1] == 0) {
		n--
	}
	return append([]byte(nil), out[:n]...), out[15], b[j+1:], true
}
