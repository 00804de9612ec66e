package rdp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// TPKT and X.224 constants.
const (
	TPKTVersion      = 3
	X224ConnRequest  = 0xE0
	X224ConnConfirm  = 0xD0
	NegRequest       = 0x01
	NegResponse      = 0x02
	NegFailure       = 0x03
	tpktHeaderLen    = 4
	x224FixedLen     = 7 // LI, code, dst-ref, src-ref, class
	negStructLen     = 8
	maxConnectionPDU = 1024
)

// Protocols is the requestedProtocols / selectedProtocol bit set.
type Protocols uint32

const (
	ProtocolRDP      Protocols = 0
	ProtocolSSL      Protocols = 0x01
	ProtocolHybrid   Protocols = 0x02
	ProtocolRDSTLS   Protocols = 0x04
	ProtocolHybridEx Protocols = 0x08
	ProtocolRDSAAD   Protocols = 0x10
)

var protoNames = []struct {
	bit  Protocols
	name string
}{{ProtocolSSL, "ssl"}, {ProtocolHybrid, "hybrid"}, {ProtocolRDSTLS, "rdstls"}, {ProtocolHybridEx, "hybrid_ex"}, {ProtocolRDSAAD, "rdsaad"}}

// String lists the protocols; 0 is "rdp" (standard RDP security).
func (p Protocols) String() string {
	if p == 0 {
		return "rdp"
	}
	s := ""
	for _, n := range protoNames {
		if p&n.bit != 0 {
			if s != "" {
				s += ","
			}
			s += n.name
		}
	}
	if rest := p &^ 0x1f; rest != 0 {
		if s != "" {
			s += ","
		}
		s += fmt.Sprintf("0x%x", uint32(rest))
	}
	return s
}

// FailureCode is an RDP_NEG_FAILURE code ([MS-RDPBCGR] 2.2.1.2.2).
type FailureCode uint32

var failureNames = map[FailureCode]string{1: "ssl_required_by_server", 2: "ssl_not_allowed_by_server", 3: "ssl_cert_not_on_server",
	4: "inconsistent_flags", 5: "hybrid_required_by_server", 6: "ssl_with_user_auth_required_by_server"}

func (f FailureCode) String() string {
	if s, ok := failureNames[f]; ok {
		return s
	}
	return fmt.Sprintf("failure(%d)", uint32(f))
}

// Connection is a parsed Connection Request or Confirm; Cookie aliases the PDU.
type Connection struct {
	Code     byte // X224ConnRequest or X224ConnConfirm
	Cookie   []byte
	NegType  byte // 0 when absent
	NegFlags byte
	Value    uint32 // requested/selected protocols or failure code
}

// Errors returned by the parser.
var (
	ErrNotTPKT = errors.New("not a TPKT packet")
	ErrX224    = errors.New("malformed X.224 connection PDU")
)

// PDULen returns the TPKT length at the start of b, 0 when incomplete.
func PDULen(b []byte) (int, error) {
	if len(b) < tpktHeaderLen {
		return 0, nil
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if b[0] != TPKTVersion || b[1] != 0 || n < tpktHeaderLen+x224FixedLen {
		return 0, fmt.Errorf("rdp: header % x: %w", b[:4], ErrNotTPKT)
	}
	return n, nil
}

// ParseConnection reads a TPKT packet holding an X.224 CR or CC.
func ParseConnection(b []byte, c *Connection) error {
	*c = Connection{}
	if len(b) < tpktHeaderLen+x224FixedLen {
		return fmt.Errorf("rdp: %d bytes: %w", len(b), ErrX224)
	}
	x := b[tpktHeaderLen:]
	li := int(x[0])
	if li+1 > len(x) || li < x224FixedLen-1 {
		return fmt.Errorf("rdp: length indicator %d for %d bytes: %w", li, len(x), ErrX224)
	}
	c.Code = x[1] & 0xF0
	if c.Code != X224ConnRequest && c.Code != X224ConnConfirm {
		return fmt.Errorf("rdp: X.224 code %#x: %w", x[1], ErrX224)
	}
	v := x[x224FixedLen : li+1]
	if c.Code == X224ConnRequest && len(v) > 0 && v[0] != NegRequest {
		// routingToken or cookie, terminated by CR LF
		i := bytes.Index(v, []byte("\r\n"))
		if i < 0 {
			return fmt.Errorf("rdp: cookie without CR LF: %w", ErrX224)
		}
		c.Cookie, v = v[:i], v[i+2:]
	}
	if len(v) >= negStructLen {
		if binary.LittleEndian.Uint16(v[2:]) != negStructLen {
			return fmt.Errorf("rdp: negotiation length %d: %w", binary.LittleEndian.Uint16(v[2:]), ErrX224)
		}
		c.NegType, c.NegFlags, c.Value = v[0], v[1], binary.LittleEndian.Uint32(v[4:])
	}
	return nil
}
