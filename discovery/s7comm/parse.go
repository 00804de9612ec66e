package s7comm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrShort means more bytes are needed.
var ErrShort = errors.New("s7comm: short data")

// TPKT (RFC 1006): version 3, reserved, 16-bit big-endian length including
// the 4-byte header.
const tpktHeaderLen = 4

// TPKTLen returns the length of the TPKT at the start of b, 0 if fewer than
// 4 bytes are present, or an error if b does not start with a TPKT header.
func TPKTLen(b []byte) (int, error) {
	if len(b) < tpktHeaderLen {
		return 0, nil
	}
	if b[0] != 3 || b[1] != 0 {
		return 0, fmt.Errorf("s7comm: tpkt: version %d reserved %d", b[0], b[1])
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if n < tpktHeaderLen+2 {
		return 0, fmt.Errorf("s7comm: tpkt: length %d", n)
	}
	return n, nil
}

// TPDUType is the COTP (ISO 8073 / X.224) TPDU code, the high nibble of
// the second header byte.
type TPDUType uint8

const (
	TPDUConnReq  TPDUType = 0xE0
	TPDUConnConf TPDUType = 0xD0
	TPDUDiscReq  TPDUType = 0x80
	TPDUDiscConf TPDUType = 0xC0
	TPDUData     TPDUType = 0xF0
	TPDUExpData  TPDUType = 0x10
	TPDUAck      TPDUType = 0x60
	TPDUExpAck   TPDUType = 0x20
	TPDUReject   TPDUType = 0x50
	TPDUError    TPDUType = 0x70
)

func (t TPDUType) String() string {
	switch t {
	case TPDUConnReq:
		return "CR"
	case TPDUConnConf:
		return "CC"
	case TPDUDiscReq:
		return "DR"
	case TPDUDiscConf:
		return "DC"
	case TPDUData:
		return "DT"
	case TPDUExpData:
		return "ED"
	case TPDUAck:
		return "AK"
	case TPDUExpAck:
		return "EA"
	case TPDUReject:
		return "RJ"
	case TPDUError:
		return "ER"
	}
	return fmt.Sprintf("tpdu_0x%02x", uint8(t))
}

func (t TPDUType) known() bool { return t.String()[0] != 't' }

// COTP is one transport PDU.
type COTP struct {
	Type TPDUType
	EOT  bool // DT: last TPDU of a TSDU
	// CR/CC parameters.
	CallingTSAP, CalledTSAP []byte
	TPDUSize                int
	Payload                 []byte // user data after the header (DT, and CR/CC user data)
}

// ParseCOTP decodes the COTP TPDU inside a whole TPKT.
func ParseCOTP(tpkt []byte) (COTP, error) {
	var c COTP
	if len(tpkt) < tpktHeaderLen+2 {
		return c, ErrShort
	}
	b := tpkt[tpktHeaderLen:]
	li := int(b[0])
	if li < 1 || li+1 > len(b) {
		return c, fmt.Errorf("s7comm: cotp: length indicator %d of %d bytes", li, len(b))
	}
	c.Type = TPDUType(b[1] & 0xF0)
	hdr := b[1 : li+1]
	c.Payload = b[li+1:]
	switch c.Type {
	case TPDUData:
		if len(hdr) < 2 {
			return c, fmt.Errorf("s7comm: cotp DT: header of %d bytes", len(hdr))
		}
		c.EOT = hdr[1]&0x80 != 0
	case TPDUConnReq, TPDUConnConf:
		// code(1) dst-ref(2) src-ref(2) class(1) then parameters
		if len(hdr) < 6 {
			return c, fmt.Errorf("s7comm: cotp %s: header of %d bytes", c.Type, len(hdr))
		}
		if err := c.params(hdr[6:]); err != nil {
			return c, err
		}
	default:
		if !c.Type.known() {
			return c, fmt.Errorf("s7comm: cotp: unknown TPDU 0x%02x", b[1])
		}
	}
	return c, nil
}

// params reads CR/CC variable-part parameters (ISO 8073 13.3.4).
func (c *COTP) params(p []byte) error {
	for len(p) > 0 {
		if len(p) < 2 || 2+int(p[1]) > len(p) {
			return fmt.Errorf("s7comm: cotp parameter 0x%02x: %w", p[0], ErrShort)
		}
		code, v := p[0], p[2:2+int(p[1])]
		switch code {
		case 0xC1:
			c.CallingTSAP = v
		case 0xC2:
			c.CalledTSAP = v
		case 0xC0:
			if len(v) == 1 && v[0] >= 7 && v[0] <= 13 {
				c.TPDUSize = 1 << v[0]
			}
		case 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0xE0, 0xF0:
		default:
			return fmt.Errorf("s7comm: cotp: unknown parameter 0x%02x", code)
		}
		p = p[2+int(p[1]):]
	}
	return nil
}

// S7comm (protocol id 0x32) header: ROSCTR values.
type ROSCTR uint8

const (
	RosctrJob      ROSCTR = 1
	RosctrAck      ROSCTR = 2
	RosctrAckData  ROSCTR = 3
	RosctrUserdata ROSCTR = 7
)

// S7 is one S7comm PDU.
type S7 struct {
	ROSCTR   ROSCTR
	PDURef   uint16
	ErrClass uint8
	ErrCode  uint8
	Param    []byte
	Data     []byte
}

// ParseS7 decodes an S7comm PDU (starting with 0x32).
func ParseS7(b []byte) (S7, error) {
	var s S7
	if len(b) < 10 {
		return s, fmt.Errorf("s7comm: header: %w", ErrShort)
	}
	if b[0] != 0x32 {
		return s, fmt.Errorf("s7comm: protocol id 0x%02x", b[0])
	}
	s.ROSCTR = ROSCTR(b[1])
	s.PDURef = binary.BigEndian.Uint16(b[4:])
	pl := int(binary.BigEndian.Uint16(b[6:]))
	dl := int(binary.BigEndian.Uint16(b[8:]))
	off := 10
	switch s.ROSCTR {
	case RosctrAck, RosctrAckData:
		if len(b) < 12 {
			return s, fmt.Errorf("s7comm: ack header: %w", ErrShort)
		}
		s.ErrClass, s.ErrCode = b[10], b[11]
		off = 12
	case RosctrJob, RosctrUserdata:
	default:
		return s, fmt.Errorf("s7comm: ROSCTR %d", b[1])
	}
	if off+pl+dl > len(b) {
		return s, fmt.Errorf("s7comm: parameter %d + data %d bytes: %w", pl, dl, ErrShort)
	}
	s.Param = b[off : off+pl]
	s.Data = b[off+pl : off+pl+dl]
	return s, nil
}

// Userdata is the parameter header of a userdata PDU.
type Userdata struct {
	Method   uint8 // 0x11 request, 0x12 response
	Type     uint8 // 4 request, 8 response, 0 push
	Group    uint8 // function group
	SubFunc  uint8
	Seq      uint8
	DataRef  uint8 // data unit reference (long header only)
	LastUnit bool  // no more fragments follow
	ErrCode  uint16
}

// ParseUserdata decodes a userdata parameter block.
func ParseUserdata(p []byte) (Userdata, error) {
	var u Userdata
	if len(p) < 8 {
		return u, fmt.Errorf("s7comm: userdata parameter: %w", ErrShort)
	}
	u.Method = p[4]
	u.Type, u.Group = p[5]>>4, p[5]&0x0F
	u.SubFunc, u.Seq = p[6], p[7]
	u.LastUnit = true
	if p[3] >= 8 && len(p) >= 12 {
		u.DataRef = p[8]
		u.LastUnit = p[9] == 0
		u.ErrCode = binary.BigEndian.Uint16(p[10:])
	}
	return u, nil
}

// UserdataPayload strips the 4-byte data header (return code, transport
// size, length) and returns the payload and the return code.
func UserdataPayload(d []byte) ([]byte, uint8, error) {
	if len(d) < 4 {
		return nil, 0, fmt.Errorf("s7comm: userdata data: %w", ErrShort)
	}
	n := int(binary.BigEndian.Uint16(d[2:]))
	if 4+n > len(d) {
		n = len(d) - 4
	}
	return d[4 : 4+n], d[0], nil
}

// SZL is a System Status List (SSL) reply.
type SZL struct {
	ID, Index uint16
	ItemLen   int
	Items     [][]byte
}

const maxSZLItems = 256

// ParseSZL decodes the payload of a Read SZL response (after the userdata
// data header): id, index, item length, item count, items.
func ParseSZL(b []byte, items [][]byte) (SZL, error) {
	var s SZL
	if len(b) < 8 {
		return s, fmt.Errorf("s7comm: szl: %w", ErrShort)
	}
	s.ID = binary.BigEndian.Uint16(b)
	s.Index = binary.BigEndian.Uint16(b[2:])
	s.ItemLen = int(binary.BigEndian.Uint16(b[4:]))
	n := int(binary.BigEndian.Uint16(b[6:]))
	if s.ItemLen == 0 || n > maxSZLItems {
		return s, fmt.Errorf("s7comm: szl 0x%04x: %d items of %d bytes", s.ID, n, s.ItemLen)
	}
	b = b[8:]
	for i := 0; i < n && len(b) >= s.ItemLen; i++ {
		items = append(items, b[:s.ItemLen])
		b = b[s.ItemLen:]
	}
	s.Items = items
	return s, nil
}

// ModuleIdent is one SZL 0x0011 (module identification) record.
type ModuleIdent struct {
	Index       uint16
	OrderNumber []byte
	BGType      uint16
	Ausbg       uint16
	Ausbe       uint16
}

// ParseModuleIdent decodes a 28-byte SZL 0x0011 record.
func ParseModuleIdent(it []byte) (ModuleIdent, bool) {
	if len(it) < 28 {
		return ModuleIdent{}, false
	}
	return ModuleIdent{
		Index:       binary.BigEndian.Uint16(it),
		OrderNumber: it[2:22],
		BGType:      binary.BigEndian.Uint16(it[22:]),
		Ausbg:       binary.BigEndian.Uint16(it[24:]),
		Ausbe:       binary.BigEndian.Uint16(it[26:]),
	}, true
}

// Firmware formats a record's version: Ausbg's high byte is a letter
// ('V'), its low byte the major version; Ausbe holds minor and patch
// ("V3.2.6"). It returns "" when there is no letter. Only index 0x0007
// (basic firmware) is the CPU firmware: index 0x0081 is the boot loader
// ("A32.9.9"-like values), which a scanner once reported as firmware.
func (m ModuleIdent) Firmware() string {
	letter := byte(m.Ausbg >> 8)
	if letter < 'A' || letter > 'Z' {
		return ""
	}
	return fmt.Sprintf("%c%d.%d.%d", letter, m.Ausbg&0xFF, m.Ausbe>>8, m.Ausbe&0xFF)
}

// ComponentIdent is one SZL 0x001C (component identification) record:
// an index and up to 32 bytes of text.
type ComponentIdent struct {
	Index uint16
	Text  []byte
}

// ParseComponentIdent decodes a 34-byte SZL 0x001C record; the text is cut
// at its first NUL.
func ParseComponentIdent(it []byte) (ComponentIdent, bool) {
	if len(it) < 4 {
		return ComponentIdent{}, false
	}
	c := ComponentIdent{Index: binary.BigEndian.Uint16(it), Text: it[2:]}
	if len(c.Text) > 32 {
		c.Text = c.Text[:32]
	}
	for i, ch := range c.Text {
		if ch == 0 {
			c.Text = c.Text[:i]
			break
		}
	}
	return c, true
}

// PIService returns the PI service name of a PLC control (0x28) or PLC
// stop (0x29) job parameter block.
func PIService(param []byte) (string, error) {
	if len(param) < 1 {
		return "", ErrShort
	}
	switch param[0] {
	case 0x28:
		// func(1) unknown(7) param-block-len(2) param-block string-len(1) name
		if len(param) < 10 {
			return "", fmt.Errorf("s7comm: pi service: %w", ErrShort)
		}
		n := int(binary.BigEndian.Uint16(param[8:]))
		off := 10 + n
		if off >= len(param) {
			return "", fmt.Errorf("s7comm: pi service block of %d bytes: %w", n, ErrShort)
		}
		l := int(param[off])
		if off+1+l > len(param) {
			return "", fmt.Errorf("s7comm: pi service name: %w", ErrShort)
		}
		return string(param[off+1 : off+1+l]), nil
	case 0x29:
		// func(1) unknown(5) string-len(1) name
		if len(param) < 7 {
			return "", fmt.Errorf("s7comm: plc stop: %w", ErrShort)
		}
		l := int(param[6])
		if 7+l > len(param) {
			return "", fmt.Errorf("s7comm: plc stop name: %w", ErrShort)
		}
		return string(param[7 : 7+l]), nil
	}
	return "", fmt.Errorf("s7comm: function 0x%02x has no PI service", param[0])
}

// SetupCommunication returns the negotiated PDU length (function 0xF0).
func SetupCommunication(param []byte) (maxAmqCalling, maxAmqCalled, pduLen uint16, err error) {
	if len(param) < 8 || param[0] != 0xF0 {
		return 0, 0, 0, fmt.Errorf("s7comm: setup communication: %w", ErrShort)
	}
	return binary.BigEndian.Uint16(param[2:]), binary.BigEndian.Uint16(param[4:]), binary.BigEndian.Uint16(param[6:]), nil
}

// Plus is an S7comm-plus (protocol id 0x72) PDU's leading fields.
type Plus struct {
	Version  uint8 // 1 connect, 2 data, 3 data (firmware >= 1.5, with integrity), 0xFE/0xFF keep-alive
	Length   uint16
	Opcode   uint8  // 0x31 request, 0x32 response, 0x33 notification, 0x02 response2; 0 when unknown
	Function uint16 // request/response function code
	Seq      uint16
}

// ParsePlus decodes an S7comm-plus frame's header and, when present, the
// opcode and function code (skipping a V3 integrity part: digest length
// 0x20 + 32-byte digest).
func ParsePlus(b []byte) (Plus, error) {
	var p Plus
	if len(b) < 4 || b[0] != 0x72 {
		return p, fmt.Errorf("s7comm_plus: header: %w", ErrShort)
	}
	p.Version = b[1]
	p.Length = binary.BigEndian.Uint16(b[2:])
	d := b[4:]
	if p.Version == 3 && len(d) >= 33 && d[0] == 0x20 {
		d = d[33:]
	}
	if len(d) < 1 {
		return p, nil
	}
	switch d[0] {
	case 0x31, 0x32, 0x02:
		if len(d) >= 9 {
			p.Opcode = d[0]
			p.Function = binary.BigEndian.Uint16(d[3:])
			p.Seq = binary.BigEndian.Uint16(d[7:])
		}
	case 0x33:
		p.Opcode = d[0]
	}
	return p, nil
}

func (r ROSCTR) String() string {
	switch r {
	case RosctrJob:
		return "job"
	case RosctrAck:
		return "ack"
	case RosctrAckData:
		return "ack_data"
	case RosctrUserdata:
		return "userdata"
	}
	return fmt.Sprintf("rosctr_%d", uint8(r))
}
