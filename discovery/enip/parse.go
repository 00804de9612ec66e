package enip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// ErrShort means more bytes are needed.
var ErrShort = errors.New("enip: short data")

// HeaderLen is the size of the encapsulation header.
const HeaderLen = 24

// MaxLen bounds an encapsulation message (header + data). The length field
// is 16 bits; CIP explicit messages are far smaller in practice.
const MaxLen = HeaderLen + 65511

// Command is the encapsulation command (CIP Vol. 2, 2-3.2), little-endian on the wire.
type Command uint16

const (
	CmdNOP               Command = 0x0000
	CmdListServices      Command = 0x0004
	CmdListIdentity      Command = 0x0063
	CmdListInterfaces    Command = 0x0064
	CmdRegisterSession   Command = 0x0065
	CmdUnRegisterSession Command = 0x0066
	CmdSendRRData        Command = 0x006F
	CmdSendUnitData      Command = 0x0070
	CmdIndicateStatus    Command = 0x0072
	CmdCancel            Command = 0x0073
)

var commandNames = map[Command]string{
	CmdNOP: "nop", CmdListServices: "list_services", CmdListIdentity: "list_identity",
	CmdListInterfaces: "list_interfaces", CmdRegisterSession: "register_session",
	CmdUnRegisterSession: "unregister_session", CmdSendRRData: "send_rr_data",
	CmdSendUnitData: "send_unit_data", CmdIndicateStatus: "indicate_status", CmdCancel: "cancel",
}

// Known reports whether c is a defined encapsulation command.
func (c Command) Known() bool { _, ok := commandNames[c]; return ok }

func (c Command) String() string {
	if s, ok := commandNames[c]; ok {
		return s
	}
	return fmt.Sprintf("command_0x%04x", uint16(c))
}

// Header is the 24-byte encapsulation header.
type Header struct {
	Command Command
	Length  uint16 // bytes after the header
	Session uint32
	Status  uint32
	Context [8]byte
	Options uint32
}

// ParseHeader decodes the encapsulation header at the start of b.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderLen {
		return h, ErrShort
	}
	h.Command = Command(binary.LittleEndian.Uint16(b))
	h.Length = binary.LittleEndian.Uint16(b[2:])
	h.Session = binary.LittleEndian.Uint32(b[4:])
	h.Status = binary.LittleEndian.Uint32(b[8:])
	copy(h.Context[:], b[12:20])
	h.Options = binary.LittleEndian.Uint32(b[20:])
	return h, nil
}

// plausible checks the fields Detect relies on: a known command, options
// zero (Vol. 2 2-3.6: receivers discard packets with non-zero options), and
// a length a command of that kind can have.
func (h Header) plausible() bool {
	if !h.Command.Known() || h.Options != 0 {
		return false
	}
	switch h.Command {
	case CmdSendRRData, CmdSendUnitData:
		return h.Length >= 6 // interface handle + timeout (+ item count)
	case CmdRegisterSession:
		return h.Length == 4 || h.Length == 0
	case CmdListIdentity, CmdListServices, CmdListInterfaces:
		return true
	}
	return true
}

// Item is one Common Packet Format item.
type Item struct {
	Type uint16
	Data []byte
}

// CPF item type ids (Vol. 2, 2-6.3).
const (
	ItemNull            uint16 = 0x0000
	ItemListIdentity    uint16 = 0x000C
	ItemConnectedAddr   uint16 = 0x00A1
	ItemConnectedData   uint16 = 0x00B1
	ItemUnconnectedData uint16 = 0x00B2
	ItemListServices    uint16 = 0x0100
	ItemSockaddrOT      uint16 = 0x8000
	ItemSockaddrTO      uint16 = 0x8001
	ItemSequencedAddr   uint16 = 0x8002
)

// maxItems bounds the items read from one packet.
const maxItems = 16

// ParseCPF reads a Common Packet Format item list (count, then items) into
// dst and returns it. Item data aliases b.
func ParseCPF(b []byte, dst []Item) ([]Item, error) {
	if len(b) < 2 {
		return dst, fmt.Errorf("enip: cpf: %w", ErrShort)
	}
	n := int(binary.LittleEndian.Uint16(b))
	if n > maxItems {
		return dst, fmt.Errorf("enip: cpf: %d items", n)
	}
	off := 2
	for i := 0; i < n; i++ {
		if len(b) < off+4 {
			return dst, fmt.Errorf("enip: cpf item %d: %w", i, ErrShort)
		}
		t := binary.LittleEndian.Uint16(b[off:])
		l := int(binary.LittleEndian.Uint16(b[off+2:]))
		off += 4
		if len(b) < off+l {
			return dst, fmt.Errorf("enip: cpf item %d (type 0x%04x, %d bytes): %w", i, t, l, ErrShort)
		}
		dst = append(dst, Item{Type: t, Data: b[off : off+l]})
		off += l
	}
	return dst, nil
}

// Identity is the CIP identity as carried by a ListIdentity reply item or the
// Identity object's (class 0x01) Get_Attributes_All reply.
type Identity struct {
	ProtocolVersion uint16
	Socket          netip.AddrPort // from the BIG-endian sockaddr_in; invalid when absent
	VendorID        uint16
	DeviceType      uint16
	ProductCode     uint16
	RevMajor        uint8
	RevMinor        uint8
	Status          uint16
	Serial          uint32
	ProductName     []byte // aliases the packet
	State           uint8
	HasState        bool
}

// Revision formats the revision as Rockwell and most vendors print it
// ("major.minor" with a three-digit minor: 4.003). Wireshark shows "4.03".
func (id *Identity) Revision() string {
	return strconv.Itoa(int(id.RevMajor)) + "." + fmt.Sprintf("%03d", id.RevMinor)
}

// SerialString formats the serial number in hex, as devices print it on
// their labels and web pages ("0x00524d8e").
func (id *Identity) SerialString() string { return fmt.Sprintf("0x%08x", id.Serial) }

// ParseListIdentityItem decodes the data of a CIP Identity item (type 0x0C).
// The encapsulation fields are little-endian except the embedded
// sockaddr_in, which is big-endian (network order) as in BSD sockets.
func ParseListIdentityItem(b []byte) (Identity, error) {
	var id Identity
	// version(2) sockaddr(16) vendor(2) type(2) product(2) rev(2) status(2) serial(4) namelen(1)
	if len(b) < 33 {
		return id, fmt.Errorf("enip: list identity item: %d bytes: %w", len(b), ErrShort)
	}
	id.ProtocolVersion = binary.LittleEndian.Uint16(b)
	family := binary.BigEndian.Uint16(b[2:])
	port := binary.BigEndian.Uint16(b[4:])
	if family == 2 {
		id.Socket = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[6:10])), port)
	}
	if err := parseIdentityBody(b[18:], &id); err != nil {
		return id, fmt.Errorf("enip: list identity item: %w", err)
	}
	return id, nil
}

// ParseIdentityAttributes decodes the Identity object's Get_Attributes_All
// reply data (attributes 1-7, then optionally state (8)).
func ParseIdentityAttributes(b []byte) (Identity, error) {
	var id Identity
	if err := parseIdentityBody(b, &id); err != nil {
		return id, fmt.Errorf("enip: identity object: %w", err)
	}
	return id, nil
}

func parseIdentityBody(b []byte, id *Identity) error {
	if len(b) < 15 {
		return ErrShort
	}
	id.VendorID = binary.LittleEndian.Uint16(b)
	id.DeviceType = binary.LittleEndian.Uint16(b[2:])
	id.ProductCode = binary.LittleEndian.Uint16(b[4:])
	id.RevMajor, id.RevMinor = b[6], b[7]
	id.Status = binary.LittleEndian.Uint16(b[8:])
	id.Serial = binary.LittleEndian.Uint32(b[10:])
	n := int(b[14])
	if len(b) < 15+n {
		return fmt.Errorf("product name of %d bytes: %w", n, ErrShort)
	}
	id.ProductName = b[15 : 15+n]
	if len(b) > 15+n {
		id.State, id.HasState = b[15+n], true
	}
	return nil
}

// Service is a CIP service code (without the reply bit 0x80).
type Service uint8

// Path is the decoded logical part of a CIP EPATH.
type Path struct {
	Class, Instance, Attribute uint32
	HasClass, HasInstance      bool
	HasAttribute               bool
	Symbolic                   bool // an ANSI extended symbol segment (a Logix tag name)
}

// ParsePath decodes an EPATH of n bytes: logical class/instance/attribute/
// member segments (8/16/32-bit), ANSI extended symbols, port segments and
// electronic keys are understood; others end the walk without error.
func ParsePath(b []byte) (Path, error) {
	var p Path
	for i := 0; i < len(b); {
		seg := b[i]
		switch {
		case seg&0xE0 == 0x20: // logical segment
			typ := (seg >> 2) & 7
			format := seg & 3
			var v uint32
			switch format {
			case 0:
				if i+2 > len(b) {
					return p, ErrShort
				}
				v = uint32(b[i+1])
				i += 2
			case 1:
				if i+4 > len(b) {
					return p, ErrShort
				}
				v = uint32(binary.LittleEndian.Uint16(b[i+2:]))
				i += 4
			case 2:
				if i+6 > len(b) {
					return p, ErrShort
				}
				v = binary.LittleEndian.Uint32(b[i+2:])
				i += 6
			default:
				return p, fmt.Errorf("enip: path: reserved logical format 0x%02x", seg)
			}
			switch typ {
			case 0:
				p.Class, p.HasClass = v, true
			case 1:
				p.Instance, p.HasInstance = v, true
			case 4:
				p.Attribute, p.HasAttribute = v, true
			case 5: // special: electronic key (0x34) is 10 bytes, handled below
				if seg == 0x34 {
					i += 8 // key format(1) + 7 more bytes after the 2 consumed
				}
			}
		case seg == 0x91: // ANSI extended symbol
			if i+2 > len(b) {
				return p, ErrShort
			}
			n := int(b[i+1])
			p.Symbolic = true
			i += 2 + n + n&1
		case seg&0xE0 == 0x00: // port segment
			if seg&0x10 != 0 { // extended link address
				if i+2 > len(b) {
					return p, ErrShort
				}
				n := int(b[i+1])
				i += 2 + n + n&1
			} else {
				i += 2
			}
			if seg&0x0F == 0x0F {
				i += 2
			}
		default:
			return p, nil
		}
	}
	return p, nil
}

// Request is a CIP request (message router request format).
type Request struct {
	Service Service
	Path    Path
	PathRaw []byte
	Data    []byte
}

// Response is a CIP reply.
type Response struct {
	Service       Service // without 0x80
	GeneralStatus uint8
	Data          []byte
}

// ParseMessage decodes a CIP message; exactly one of req/resp is valid.
func ParseMessage(b []byte) (req Request, resp Response, isResp bool, err error) {
	if len(b) < 2 {
		return req, resp, false, fmt.Errorf("enip: cip: %w", ErrShort)
	}
	if b[0]&0x80 != 0 {
		if len(b) < 4 {
			return req, resp, true, fmt.Errorf("enip: cip reply: %w", ErrShort)
		}
		resp.Service = Service(b[0] & 0x7F)
		resp.GeneralStatus = b[2]
		off := 4 + 2*int(b[3])
		if off > len(b) {
			return req, resp, true, fmt.Errorf("enip: cip reply status: %w", ErrShort)
		}
		resp.Data = b[off:]
		return req, resp, true, nil
	}
	req.Service = Service(b[0])
	n := 2 * int(b[1])
	if 2+n > len(b) {
		return req, resp, false, fmt.Errorf("enip: cip request path of %d bytes: %w", n, ErrShort)
	}
	req.PathRaw = b[2 : 2+n]
	req.Path, err = ParsePath(req.PathRaw)
	if err != nil {
		return req, resp, false, fmt.Errorf("enip: cip request path: %w", err)
	}
	req.Data = b[2+n:]
	return req, resp, false, nil
}

// maxMultiple bounds the services read from one Multiple Service Packet.
const maxMultiple = 64

// SplitMultiple returns the embedded messages of a Multiple Service Packet
// (request or reply data: count, offsets relative to the count, messages).
func SplitMultiple(b []byte, dst [][]byte) ([][]byte, error) {
	if len(b) < 2 {
		return dst, fmt.Errorf("enip: multiple service packet: %w", ErrShort)
	}
	n := int(binary.LittleEndian.Uint16(b))
	if n > maxMultiple {
		return dst, fmt.Errorf("enip: multiple service packet: %d services", n)
	}
	if len(b) < 2+2*n {
		return dst, fmt.Errorf("enip: multiple service packet offsets: %w", ErrShort)
	}
	for i := 0; i < n; i++ {
		start := int(binary.LittleEndian.Uint16(b[2+2*i:]))
		end := len(b)
		if i+1 < n {
			end = int(binary.LittleEndian.Uint16(b[4+2*i:]))
		}
		if start < 2+2*n || start > end || end > len(b) {
			return dst, fmt.Errorf("enip: multiple service packet: service %d at %d..%d of %d", i, start, end, len(b))
		}
		dst = append(dst, b[start:end])
	}
	return dst, nil
}

// UnconnectedSend returns the embedded message of an Unconnected Send
// (service 0x52 to the Connection Manager) request.
func UnconnectedSend(data []byte) ([]byte, error) {
	if len(data) < 4 {
		return nil, fmt.Errorf("enip: unconnected send: %w", ErrShort)
	}
	n := int(binary.LittleEndian.Uint16(data[2:]))
	if 4+n > len(data) {
		return nil, fmt.Errorf("enip: unconnected send of %d bytes: %w", n, ErrShort)
	}
	return data[4 : 4+n], nil
}

// ForwardOpen is the part of a Forward Open request that matters here.
type ForwardOpen struct {
	OTConnID, TOConnID uint32
	TransportClass     uint8 // 0..3: 0/1 implicit I/O, 3 explicit
	Path               Path
}

// ParseForwardOpen decodes a Forward Open (0x54) or Large Forward Open
// (0x5B) request's data.
func ParseForwardOpen(data []byte, large bool) (ForwardOpen, error) {
	var fo ForwardOpen
	paramLen := 2
	if large {
		paramLen = 4
	}
	// tick(1) timeout(1) ot(4) to(4) serial(2) vendor(2) origserial(4) mult(1) res(3)
	// otRPI(4) otParams(p) toRPI(4) toParams(p) trigger(1) pathsize(1)
	fixed := 22 + 4 + paramLen + 4 + paramLen + 2
	if len(data) < fixed {
		return fo, fmt.Errorf("enip: forward open: %w", ErrShort)
	}
	fo.OTConnID = binary.LittleEndian.Uint32(data[2:])
	fo.TOConnID = binary.LittleEndian.Uint32(data[6:])
	trig := data[fixed-2]
	fo.TransportClass = trig & 0x0F
	n := 2 * int(data[fixed-1])
	if fixed+n > len(data) {
		return fo, fmt.Errorf("enip: forward open path: %w", ErrShort)
	}
	p, err := ParsePath(data[fixed : fixed+n])
	if err != nil {
		return fo, fmt.Errorf("enip: forward open path: %w", err)
	}
	fo.Path = p
	return fo, nil
}
