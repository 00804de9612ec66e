package dns

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Type is a resource record type (RFC 1035 3.2.2, RFC 3596, RFC 2782; NetBIOS RFC 1002 4.2.1.3).
type Type uint16

const (
	TypeA     Type = 1
	TypeNS    Type = 2
	TypeCNAME Type = 5
	TypePTR   Type = 12
	TypeTXT   Type = 16
	TypeAAAA  Type = 28
	TypeSRV   Type = 33
	// TypeNB and TypeNBSTAT are NetBIOS name service types (RFC 1002);
	// NBSTAT shares its number with SRV and String names it SRV.
	TypeNB     Type = 0x20
	TypeNBSTAT Type = 0x21
	TypeIXFR   Type = 251
	TypeAXFR   Type = 252
	TypeANY    Type = 255
)

func (t Type) String() string {
	switch t {
	case TypeA:
		return "A"
	case TypeNS:
		return "NS"
	case TypeCNAME:
		return "CNAME"
	case TypePTR:
		return "PTR"
	case TypeTXT:
		return "TXT"
	case TypeAAAA:
		return "AAAA"
	case TypeSRV:
		return "SRV"
	case TypeNB:
		return "NB"
	case TypeIXFR:
		return "IXFR"
	case TypeAXFR:
		return "AXFR"
	case TypeANY:
		return "ANY"
	}
	return fmt.Sprintf("TYPE%d", uint16(t))
}

// Opcode is the header opcode (RFC 1035 4.1.1, RFC 2136; NetBIOS RFC 1002 4.2.1.1).
type Opcode uint8

const (
	OpcodeQuery        Opcode = 0
	OpcodeNotify       Opcode = 4
	OpcodeUpdate       Opcode = 5 // DNS dynamic update; NetBIOS name registration
	OpcodeNBRelease    Opcode = 6
	OpcodeNBWACK       Opcode = 7
	OpcodeNBRefresh    Opcode = 8
	OpcodeNBRefreshAlt Opcode = 9
	OpcodeNBMultihomed Opcode = 15
)

func (o Opcode) String() string {
	switch o {
	case OpcodeQuery:
		return "query"
	case OpcodeNotify:
		return "notify"
	case OpcodeUpdate:
		return "update"
	}
	return fmt.Sprintf("opcode(%d)", uint8(o))
}

// Header is the 12-byte message header.
type Header struct {
	ID                                 uint16
	Response                           bool
	Opcode                             Opcode
	Authoritative                      bool
	Truncated                          bool
	RCode                              uint8
	QDCount, ANCount, NSCount, ARCount uint16
}

// HeaderLen is the size of the fixed header.
const HeaderLen = 12

// Errors returned by the parser.
var (
	ErrShort   = errors.New("message shorter than its header")
	ErrName    = errors.New("bad domain name")
	ErrRecord  = errors.New("record overruns message")
	ErrCounts  = errors.New("implausible section counts")
	maxRecords = 512
)

// ParseHeader reads the header.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("dns: %d bytes: %w", len(b), ErrShort)
	}
	f := binary.BigEndian.Uint16(b[2:])
	h := Header{
		ID:            binary.BigEndian.Uint16(b),
		Response:      f&0x8000 != 0,
		Opcode:        Opcode(f >> 11 & 0xf),
		Authoritative: f&0x0400 != 0,
		Truncated:     f&0x0200 != 0,
		RCode:         uint8(f & 0xf),
		QDCount:       binary.BigEndian.Uint16(b[4:]),
		ANCount:       binary.BigEndian.Uint16(b[6:]),
		NSCount:       binary.BigEndian.Uint16(b[8:]),
		ARCount:       binary.BigEndian.Uint16(b[10:]),
	}
	if int(h.QDCount)+int(h.ANCount)+int(h.NSCount)+int(h.ARCount) > maxRecords {
		return h, fmt.Errorf("dns: %d+%d+%d+%d records: %w", h.QDCount, h.ANCount, h.NSCount, h.ARCount, ErrCounts)
	}
	return h, nil
}

// MaxName is the longest presentation-form name kept (RFC 1035: 255 octets on the wire).
const MaxName = 255

// Name is a decoded domain name in presentation form (dot-separated, no
// trailing dot) held in a fixed buffer so that decoding does not allocate.
type Name struct {
	buf [MaxName + 1]byte
	n   int
}

// Bytes is the name; it aliases the Name.
func (n *Name) Bytes() []byte { return n.buf[:n.n] }

func (n *Name) String() string { return string(n.buf[:n.n]) }

// ReadName decodes the name at off in msg, following compression pointers
// (RFC 1035 4.1.4), into dst (when not nil). It returns the offset after the
// name as it appears at off.
func ReadName(msg []byte, off int, dst *Name) (int, error) {
	if dst != nil {
		dst.n = 0
	}
	end := -1
	for hops := 0; ; {
		if off >= len(msg) {
			return 0, fmt.Errorf("dns: name at offset %d: %w", off, ErrRecord)
		}
		l := int(msg[off])
		switch l & 0xc0 {
		case 0x00:
			if l == 0 {
				if end < 0 {
					end = off + 1
				}
				return end, nil
			}
			if off+1+l > len(msg) {
				return 0, fmt.Errorf("dns: label at offset %d: %w", off, ErrRecord)
			}
			if dst != nil {
				if dst.n > 0 && dst.n < MaxName {
					dst.buf[dst.n] = '.'
					dst.n++
				}
				dst.n += copy(dst.buf[dst.n:MaxName], msg[off+1:off+1+l])
			}
			off += 1 + l
		case 0xc0:
			if off+2 > len(msg) {
				return 0, fmt.Errorf("dns: pointer at offset %d: %w", off, ErrRecord)
			}
			if end < 0 {
				end = off + 2
			}
			hops++
			if hops > 32 {
				return 0, fmt.Errorf("dns: compression loop at offset %d: %w", off, ErrName)
			}
			off = int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
		default:
			return 0, fmt.Errorf("dns: label type %#x at offset %d: %w", l&0xc0, off, ErrName)
		}
	}
}

// RR is one resource record or question. RData aliases the message; RDataOff
// is its offset in the message (names inside rdata may be compressed).
type RR struct {
	Name     Name
	Type     Type
	Class    uint16
	TTL      uint32
	RData    []byte
	RDataOff int
	Question bool
	Section  int // 0 question, 1 answer, 2 authority, 3 additional
}

// Reader walks a message's sections in order.
type Reader struct {
	msg    []byte
	off    int
	counts [4]int
	sec    int
	err    error
}

// NewReader starts reading msg after its header.
func NewReader(msg []byte, h Header) Reader {
	return Reader{msg: msg, off: HeaderLen, counts: [4]int{int(h.QDCount), int(h.ANCount), int(h.NSCount), int(h.ARCount)}}
}

// Next reads the next question or record into rr; false at the end or on error (see Err).
func (r *Reader) Next(rr *RR) bool {
	for r.sec < 4 && r.counts[r.sec] == 0 {
		r.sec++
	}
	if r.sec >= 4 || r.err != nil {
		return false
	}
	r.counts[r.sec]--
	off, err := ReadName(r.msg, r.off, &rr.Name)
	if err != nil {
		r.err = err
		return false
	}
	rr.Section, rr.Question = r.sec, r.sec == 0
	if rr.Question {
		if off+4 > len(r.msg) {
			r.err = fmt.Errorf("dns: question at offset %d: %w", r.off, ErrRecord)
			return false
		}
		rr.Type = Type(binary.BigEndian.Uint16(r.msg[off:]))
		rr.Class = binary.BigEndian.Uint16(r.msg[off+2:])
		rr.TTL, rr.RData, rr.RDataOff = 0, nil, 0
		r.off = off + 4
		return true
	}
	if off+10 > len(r.msg) {
		r.err = fmt.Errorf("dns: record at offset %d: %w", r.off, ErrRecord)
		return false
	}
	rr.Type = Type(binary.BigEndian.Uint16(r.msg[off:]))
	rr.Class = binary.BigEndian.Uint16(r.msg[off+2:])
	rr.TTL = binary.BigEndian.Uint32(r.msg[off+4:])
	n := int(binary.BigEndian.Uint16(r.msg[off+8:]))
	if off+10+n > len(r.msg) {
		r.err = fmt.Errorf("dns: %s rdata of %d at offset %d: %w", rr.Type, n, off+10, ErrRecord)
		return false
	}
	rr.RDataOff = off + 10
	rr.RData = r.msg[off+10 : off+10+n]
	r.off = off + 10 + n
	return true
}

// Err is the error that stopped Next, if any.
func (r *Reader) Err() error { return r.err }

// DecodeNetBIOSName undoes RFC 1001 14.1 first-level encoding of a name's
// first label (32 letters 'A'..'P') into dst: 15 name bytes and the suffix
// (service type) byte. n is the name length with trailing space padding
// trimmed; ok is false when the label is not a valid encoding.
func DecodeNetBIOSName(label []byte, dst *[16]byte) (n int, suffix byte, ok bool) {
	if len(label) < 32 || (len(label) > 32 && label[32] != '.') {
		return 0, 0, false
	}
	for i := 0; i < 16; i++ {
		hi, lo := label[2*i]-'A', label[2*i+1]-'A'
		if hi > 15 || lo > 15 {
			return 0, 0, false
		}
		dst[i] = hi<<4 | lo
	}
	n = 15
	for n > 0 && (dst[n-1] == ' ' || dst[n-1] == 0) {
		n--
	}
	return n, dst[15], true
}
