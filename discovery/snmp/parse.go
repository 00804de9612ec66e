package snmp

import (
	"errors"
	"fmt"
	"strconv"
)

// Version is the msgVersion field.
type Version int

const (
	V1  Version = 0
	V2c Version = 1
	V3  Version = 3
)

func (v Version) String() string {
	switch v {
	case V1:
		return "v1"
	case V2c:
		return "v2c"
	case V3:
		return "v3"
	}
	return "version(" + strconv.Itoa(int(v)) + ")"
}

// PDUType is the context-specific PDU tag (RFC 3416 section 3, RFC 1157 4.1).
type PDUType uint8

const (
	GetRequest     PDUType = 0xa0
	GetNextRequest PDUType = 0xa1
	Response       PDUType = 0xa2
	SetRequest     PDUType = 0xa3
	TrapV1         PDUType = 0xa4
	GetBulkRequest PDUType = 0xa5
	InformRequest  PDUType = 0xa6
	TrapV2         PDUType = 0xa7
	Report         PDUType = 0xa8
	// Encrypted marks a v3 message whose scopedPDU is encrypted.
	Encrypted PDUType = 0
)

var pduNames = map[PDUType]string{GetRequest: "get_request", GetNextRequest: "get_next_request", Response: "response",
	SetRequest: "set_request", TrapV1: "trap", GetBulkRequest: "get_bulk_request", InformRequest: "inform_request",
	TrapV2: "trap_v2", Report: "report", Encrypted: "encrypted_pdu"}

func (p PDUType) String() string {
	if s, ok := pduNames[p]; ok {
		return s
	}
	return fmt.Sprintf("pdu(%#x)", uint8(p))
}

// IsRequest reports whether the PDU is sent by a manager expecting a response.
func (p PDUType) IsRequest() bool {
	return p == GetRequest || p == GetNextRequest || p == SetRequest || p == GetBulkRequest
}

// MaxVarBinds bounds the variable bindings kept per message.
const MaxVarBinds = 32

// VarBind is one name/value pair; both alias the message. Name is the BER
// content of the OID; ValueTag is the value's BER tag.
type VarBind struct {
	Name     []byte
	ValueTag byte
	Value    []byte
}

// Message is one parsed SNMP message. Byte slices alias the input.
type Message struct {
	Version   Version
	Community []byte // v1/v2c
	// v3 header fields (RFC 3412 section 6, RFC 3414 section 2.4).
	MsgFlags        byte
	SecModel        int
	EngineID        []byte
	UserNamePresent bool
	PDU             PDUType
	RequestID       int64
	ErrorStatus     int64
	VarBinds        [MaxVarBinds]VarBind
	NumVarBinds     int
}

// v3 msgFlags bits.
const (
	FlagAuth       = 0x01
	FlagPriv       = 0x02
	FlagReportable = 0x04
)

// SecurityLevel names a v3 message's msgFlags.
func (m *Message) SecurityLevel() string {
	switch {
	case m.MsgFlags&FlagPriv != 0:
		return "authPriv"
	case m.MsgFlags&FlagAuth != 0:
		return "authNoPriv"
	}
	return "noAuthNoPriv"
}

// Errors returned by Parse.
var (
	ErrBER     = errors.New("malformed BER")
	ErrVersion = errors.New("unsupported version")
)

// tlv reads one BER TLV with a single-byte tag and definite length.
func tlv(b []byte) (tag byte, val, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, ErrBER
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, ErrBER // multi-byte tags do not occur in SNMP
	}
	l, hdr := int(b[1]), 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 3 || len(b) < 2+n {
			return 0, nil, nil, ErrBER
		}
		l = 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		hdr += n
	}
	if len(b)-hdr < l {
		return 0, nil, nil, ErrBER
	}
	return tag, b[hdr : hdr+l], b[hdr+l:], nil
}

func expect(b []byte, want byte) (val, rest []byte, err error) {
	tag, val, rest, err := tlv(b)
	if err != nil {
		return nil, nil, err
	}
	if tag != want {
		return nil, nil, ErrBER
	}
	return val, rest, nil
}

func integer(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 8 {
		return 0, ErrBER
	}
	n := int64(int8(v[0]))
	for _, c := range v[1:] {
		n = n<<8 | int64(c)
	}
	return n, nil
}

func expectInt(b []byte) (int64, []byte, error) {
	v, rest, err := expect(b, 0x02)
	if err != nil {
		return 0, nil, err
	}
	n, err := integer(v)
	return n, rest, err
}

// Parse reads an SNMP message into m (reset first).
func Parse(b []byte, m *Message) (err error) {
	*m = Message{}
	defer func() {
		if err != nil {
			err = fmt.Errorf("snmp: %w", err)
		}
	}()
	msg, _, err := expect(b, 0x30)
	if err != nil {
		return err
	}
	v, msg, err := expectInt(msg)
	if err != nil {
		return err
	}
	m.Version = Version(v)
	switch m.Version {
	case V1, V2c:
		if m.Community, msg, err = expect(msg, 0x04); err != nil {
			return err
		}
		return parsePDU(msg, m)
	case V3:
		return parseV3(msg, m)
	}
	return fmt.Errorf("version %d: %w", v, ErrVersion)
}

func parseV3(msg []byte, m *Message) error {
	global, msg, err := expect(msg, 0x30)
	if err != nil {
		return err
	}
	if _, global, err = expectInt(global); err != nil { // msgID
		return err
	}
	if _, global, err = expectInt(global); err != nil { // msgMaxSize
		return err
	}
	flags, global, err := expect(global, 0x04)
	if err != nil || len(flags) != 1 {
		return ErrBER
	}
	m.MsgFlags = flags[0]
	sec, _, err := expectInt(global)
	if err != nil {
		return err
	}
	m.SecModel = int(sec)
	secParams, msg, err := expect(msg, 0x04)
	if err != nil {
		return err
	}
	if m.SecModel == 3 { // USM
		if usm, _, err := expect(secParams, 0x30); err == nil {
			if id, rest, err := expect(usm, 0x04); err == nil {
				m.EngineID = id
				// boots, time, then userName
				if _, rest, err = expectInt(rest); err == nil {
					if _, rest, err = expectInt(rest); err == nil {
						if u, _, err := expect(rest, 0x04); err == nil {
							m.UserNamePresent = len(u) > 0
						}
					}
				}
			}
		}
	}
	tag, data, _, err := tlv(msg)
	if err != nil {
		return err
	}
	switch tag {
	case 0x04:
		m.PDU = Encrypted
		return nil
	case 0x30: // scopedPDU: contextEngineID, contextName, PDU
		_, data, err = expect(data, 0x04)
		if err != nil {
			return err
		}
		if _, data, err = expect(data, 0x04); err != nil {
			return err
		}
		return parsePDU(data, m)
	}
	return ErrBER
}

func parsePDU(b []byte, m *Message) error {
	tag, pdu, _, err := tlv(b)
	if err != nil {
		return err
	}
	if tag < 0xa0 || tag > 0xa8 {
		return ErrBER
	}
	m.PDU = PDUType(tag)
	if m.PDU == TrapV1 {
		// enterprise OID, agent-addr, generic-trap, specific-trap, time-stamp, varbinds
		if _, pdu, err = expect(pdu, 0x06); err != nil {
			return err
		}
		if _, pdu, err = expect(pdu, 0x40); err != nil {
			return err
		}
		for range 2 {
			if _, pdu, err = expectInt(pdu); err != nil {
				return err
			}
		}
		if _, pdu, err = expect(pdu, 0x43); err != nil {
			return err
		}
	} else {
		if m.RequestID, pdu, err = expectInt(pdu); err != nil {
			return err
		}
		if m.ErrorStatus, pdu, err = expectInt(pdu); err != nil {
			return err
		}
		if _, pdu, err = expectInt(pdu); err != nil {
			return err
		}
	}
	list, _, err := expect(pdu, 0x30)
	if err != nil {
		return err
	}
	for len(list) > 0 {
		vb, rest, err := expect(list, 0x30)
		if err != nil {
			return err
		}
		list = rest
		name, vb, err := expect(vb, 0x06)
		if err != nil {
			return err
		}
		vtag, val, _, err := tlv(vb)
		if err != nil {
			return err
		}
		if m.NumVarBinds < MaxVarBinds {
			m.VarBinds[m.NumVarBinds] = VarBind{Name: name, ValueTag: vtag, Value: val}
			m.NumVarBinds++
		}
	}
	return nil
}

// OIDString renders BER OID content as dotted decimal; ok is false when malformed.
func OIDString(b []byte) (string, bool) {
	if len(b) == 0 {
		return "", false
	}
	var s []byte
	var v uint64
	first := true
	for i, c := range b {
		if v > 1<<56 {
			return "", false
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			if i == len(b)-1 {
				return "", false
			}
			continue
		}
		if first {
			x := min(v/40, 2)
			s = strconv.AppendUint(s, x, 10)
			s = append(s, '.')
			s = strconv.AppendUint(s, v-x*40, 10)
			first = false
		} else {
			s = append(s, '.')
			s = strconv.AppendUint(s, v, 10)
		}
		v = 0
	}
	return string(s), true
}
