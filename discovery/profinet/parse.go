package profinet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Errors returned by the parsers.
var (
	ErrShort     = errors.New("profinet: frame too short")
	ErrMalformed = errors.New("profinet: malformed")
	ErrNotPNIO   = errors.New("profinet: not a PROFINET IO RPC")
)

// EtherType is PROFINET's (real-time frames: RT, DCP, PTCP, alarms).
const EtherType = 0x8892

// FrameID selects what a PROFINET real-time frame carries (IEC 61158-6-10,
// table "FrameID"). It is the first two bytes after the EtherType.
type FrameID uint16

// DCP frame ids.
const (
	FrameDCPHello            FrameID = 0xFEFC
	FrameDCPGetSet           FrameID = 0xFEFD
	FrameDCPIdentifyRequest  FrameID = 0xFEFE
	FrameDCPIdentifyResponse FrameID = 0xFEFF
)

// FrameClass groups frame ids.
type FrameClass uint8

const (
	ClassUnknown  FrameClass = iota
	ClassPTCP                // 0x0000-0x00FF and 0xFF00-0xFF7F: time sync, delay
	ClassCyclic              // 0x0100-0xF7FF: RT_CLASS_3/2/1 cyclic IO data
	ClassAcyclic             // 0xF800-0xFBFF: RT_CLASS_UDP / acyclic
	ClassAlarm               // 0xFC01 high, 0xFE01 low priority alarms
	ClassDCP                 // 0xFEFC-0xFEFF
	ClassFragment            // 0xFF80-0xFF8F: fragmentation
)

var classNames = [...]string{"unknown", "ptcp", "cyclic", "acyclic", "alarm", "dcp", "fragment"}

func (c FrameClass) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Class says what kind of frame id f is.
func (f FrameID) Class() FrameClass {
	switch {
	case f <= 0x00FF:
		return ClassPTCP
	case f <= 0xF7FF:
		return ClassCyclic
	case f <= 0xFBFF:
		return ClassAcyclic
	case f == 0xFC01 || f == 0xFE01:
		return ClassAlarm
	case f >= 0xFEFC && f <= 0xFEFF:
		return ClassDCP
	case f >= 0xFF00 && f <= 0xFF7F:
		return ClassPTCP
	case f >= 0xFF80 && f <= 0xFF8F:
		return ClassFragment
	}
	return ClassUnknown
}

func (f FrameID) String() string { return fmt.Sprintf("0x%04X", uint16(f)) }

// DCPService is the DCP ServiceID.
type DCPService uint8

const (
	DCPGet      DCPService = 3
	DCPSet      DCPService = 4
	DCPIdentify DCPService = 5
	DCPHello    DCPService = 6
)

func (s DCPService) String() string {
	switch s {
	case DCPGet:
		return "get"
	case DCPSet:
		return "set"
	case DCPIdentify:
		return "identify"
	case DCPHello:
		return "hello"
	}
	return "service(" + strconv.Itoa(int(s)) + ")"
}

// DCP service types.
const (
	DCPRequest         = 0
	DCPResponseSuccess = 1
)

// DCP options and suboptions used here.
const (
	OptIP             = 1
	SubIPMAC          = 1
	SubIPParameter    = 2
	SubIPFullSuite    = 3
	OptDevice         = 2
	SubTypeOfStation  = 1 // "Manufacturer specific": DeviceVendorValue
	SubNameOfStation  = 2
	SubDeviceID       = 3
	SubDeviceRole     = 4
	SubDeviceOptions  = 5
	SubAliasName      = 6
	SubDeviceInstance = 7
	OptDHCP           = 3
	OptControl        = 5
	SubControlStart   = 1
	SubControlStop    = 2
	SubControlSignal  = 3
	SubControlResp    = 4
	SubFactoryReset   = 5
	SubResetToFactory = 6
	OptInitiative     = 6
	OptAll            = 0xFF
)

// DCPBlock is one option block. Info is the BlockInfo (responses, Hello)
// or BlockQualifier (Set requests), present only when HasInfo.
type DCPBlock struct {
	Option, Suboption uint8
	HasInfo           bool
	Info              uint16
	Data              []byte // aliases the frame
}

// DCP is one DCP PDU.
type DCP struct {
	FrameID       FrameID
	Service       DCPService
	ServiceType   uint8
	Xid           uint32
	ResponseDelay uint16
	Blocks        []DCPBlock
}

// Response reports a response PDU (ServiceType bit 0).
func (d *DCP) Response() bool { return d.ServiceType&1 == 1 }

// ParseDCP decodes a DCP PDU; b starts with the FrameID.
func ParseDCP(b []byte) (DCP, error) {
	var d DCP
	if len(b) < 12 {
		return d, fmt.Errorf("profinet: dcp header: %w", ErrShort)
	}
	d.FrameID = FrameID(binary.BigEndian.Uint16(b))
	if d.FrameID.Class() != ClassDCP {
		return d, fmt.Errorf("profinet: frame id %s is not DCP: %w", d.FrameID, ErrMalformed)
	}
	d.Service, d.ServiceType = DCPService(b[2]), b[3]
	d.Xid = binary.BigEndian.Uint32(b[4:])
	d.ResponseDelay = binary.BigEndian.Uint16(b[8:])
	n := int(binary.BigEndian.Uint16(b[10:]))
	data := b[12:]
	if n > len(data) {
		return d, fmt.Errorf("profinet: dcp data length %d, %d bytes left: %w", n, len(data), ErrShort)
	}
	data = data[:n]
	if d.Service == DCPGet && !d.Response() {
		// A Get request lists option/suboption pairs.
		for i := 0; i+1 < len(data); i += 2 {
			d.Blocks = append(d.Blocks, DCPBlock{Option: data[i], Suboption: data[i+1]})
		}
		return d, nil
	}
	// Blocks carry BlockInfo in responses and Hello, BlockQualifier in Set
	// requests; Identify request filters and Set responses have neither.
	withInfo := d.Response() || d.Service == DCPHello || d.Service == DCPSet
	for len(data) > 0 {
		if len(data) < 4 {
			return d, fmt.Errorf("profinet: dcp block header: %w", ErrMalformed)
		}
		blk := DCPBlock{Option: data[0], Suboption: data[1]}
		l := int(binary.BigEndian.Uint16(data[2:]))
		if 4+l > len(data) {
			return d, fmt.Errorf("profinet: dcp block %d/%d length %d: %w", blk.Option, blk.Suboption, l, ErrMalformed)
		}
		body := data[4 : 4+l]
		info := withInfo && !(d.Service == DCPSet && d.Response()) && !(blk.Option == OptControl && blk.Suboption == SubControlResp)
		if info && len(body) >= 2 {
			blk.HasInfo, blk.Info, body = true, binary.BigEndian.Uint16(body), body[2:]
		}
		blk.Data = body
		d.Blocks = append(d.Blocks, blk)
		next := 4 + l
		if next%2 == 1 && next < len(data) {
			next++ // blocks are padded to even length
		}
		data = data[next:]
	}
	return d, nil
}

// DeviceRole is the DCP DeviceRoleDetails bitmask.
type DeviceRole uint8

func (r DeviceRole) String() string {
	var parts []string
	for _, x := range []struct {
		bit  DeviceRole
		name string
	}{{1, "io-device"}, {2, "io-controller"}, {4, "io-multidevice"}, {8, "io-supervisor"}} {
		if r&x.bit != 0 {
			parts = append(parts, x.name)
		}
	}
	if rest := r &^ 0x0f; rest != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return strings.Join(parts, ",")
}

// Identity is what a DCP PDU says about a station.
type Identity struct {
	StationName   string
	TypeOfStation string
	AliasName     string
	VendorID      uint16
	DeviceID      uint16
	HasDeviceID   bool
	Role          DeviceRole
	HasRole       bool
	IP, Mask, GW  netip.Addr
	HasInstance   bool
	Instance      uint16
}

// Identity collects the station facts of the PDU's blocks.
func (d *DCP) Identity() Identity {
	var id Identity
	for _, b := range d.Blocks {
		switch {
		case b.Option == OptDevice && b.Suboption == SubNameOfStation:
			id.StationName = string(b.Data)
		case b.Option == OptDevice && b.Suboption == SubTypeOfStation:
			id.TypeOfStation = string(b.Data)
		case b.Option == OptDevice && b.Suboption == SubAliasName:
			id.AliasName = string(b.Data)
		case b.Option == OptDevice && b.Suboption == SubDeviceID && len(b.Data) >= 4:
			id.VendorID, id.DeviceID, id.HasDeviceID = binary.BigEndian.Uint16(b.Data), binary.BigEndian.Uint16(b.Data[2:]), true
		case b.Option == OptDevice && b.Suboption == SubDeviceRole && len(b.Data) >= 1:
			id.Role, id.HasRole = DeviceRole(b.Data[0]), true
		case b.Option == OptDevice && b.Suboption == SubDeviceInstance && len(b.Data) >= 2:
			id.Instance, id.HasInstance = binary.BigEndian.Uint16(b.Data), true
		case b.Option == OptIP && (b.Suboption == SubIPParameter || b.Suboption == SubIPFullSuite) && len(b.Data) >= 12:
			id.IP = netip.AddrFrom4([4]byte(b.Data[0:4]))
			id.Mask = netip.AddrFrom4([4]byte(b.Data[4:8]))
			id.GW = netip.AddrFrom4([4]byte(b.Data[8:12]))
		}
	}
	return id
}

// UUID is a DCE UUID in its canonical (big-endian) byte order.
type UUID [16]byte

func (u UUID) String() string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// PNIO RPC interfaces: DEA0000x-6C97-11D1-8271-00A02442DF7D.
const (
	IfaceDevice     = 1
	IfaceController = 2
	IfaceSupervisor = 3
	IfaceParameter  = 4
)

var pnioSuffix = [12]byte{0x6c, 0x97, 0x11, 0xd1, 0x82, 0x71, 0x00, 0xa0, 0x24, 0x42, 0xdf, 0x7d}

// PNIOInterface returns 1..4 when u is a PNIO RPC interface UUID, else 0.
func (u UUID) PNIOInterface() int {
	if u[0] != 0xde || u[1] != 0xa0 || u[2] != 0x00 || u[3] < 1 || u[3] > 4 || [12]byte(u[4:]) != pnioSuffix {
		return 0
	}
	return int(u[3])
}

// PNIOObject decodes a PNIO object UUID DEA00000-6C97-11D1-8271-IIIIDDDDVVVV
// (instance, device id, vendor id).
func (u UUID) PNIOObject() (vendor, device, instance uint16, ok bool) {
	if u[0] != 0xde || u[1] != 0xa0 || u[2] != 0 || u[3] != 0 || [6]byte(u[4:10]) != [6]byte(pnioSuffix[:6]) {
		return 0, 0, 0, false
	}
	return binary.BigEndian.Uint16(u[14:]), binary.BigEndian.Uint16(u[12:]), binary.BigEndian.Uint16(u[10:]), true
}

// RPC packet types (DCE/RPC connectionless).
const (
	RPCRequest  = 0
	RPCPing     = 1
	RPCResponse = 2
	RPCFault    = 3
	RPCWorking  = 4
	RPCNoCall   = 5
	RPCReject   = 6
	RPCAck      = 7
)

// RPCHeader is the 80-byte DCE/RPC connectionless header (C706 12.5.2).
type RPCHeader struct {
	PacketType   uint8
	Flags1       uint8
	LittleEndian bool
	Object       UUID
	Interface    UUID
	Activity     UUID
	SeqNum       uint32
	Opnum        uint16
	BodyLen      uint16
	FragNum      uint16
}

// RPCHeaderLen is the connectionless header size.
const RPCHeaderLen = 80

// ParseRPC decodes a connectionless DCE/RPC header and returns the body.
func ParseRPC(b []byte) (RPCHeader, []byte, error) {
	var h RPCHeader
	if len(b) < RPCHeaderLen {
		return h, nil, fmt.Errorf("profinet: rpc header: %w", ErrShort)
	}
	if b[0] != 4 || b[1] > 10 {
		return h, nil, fmt.Errorf("profinet: rpc version %d type %d: %w", b[0], b[1], ErrNotPNIO)
	}
	h.PacketType, h.Flags1 = b[1], b[2]
	h.LittleEndian = b[4]&0x10 != 0
	le := h.LittleEndian
	h.Object, h.Interface, h.Activity = rpcUUID(b[8:24], le), rpcUUID(b[24:40], le), rpcUUID(b[40:56], le)
	if le {
		h.SeqNum = binary.LittleEndian.Uint32(b[64:])
		h.Opnum = binary.LittleEndian.Uint16(b[68:])
		h.BodyLen = binary.LittleEndian.Uint16(b[74:])
		h.FragNum = binary.LittleEndian.Uint16(b[76:])
	} else {
		h.SeqNum = binary.BigEndian.Uint32(b[64:])
		h.Opnum = binary.BigEndian.Uint16(b[68:])
		h.BodyLen = binary.BigEndian.Uint16(b[74:])
		h.FragNum = binary.BigEndian.Uint16(b[76:])
	}
	body := b[RPCHeaderLen:]
	if int(h.BodyLen) < len(body) {
		body = body[:h.BodyLen]
	}
	return h, body, nil
}

// rpcUUID reads a UUID as the header's byte order encodes it (the first
// three fields swapped when little-endian) into its canonical big-endian form.
func rpcUUID(p []byte, le bool) UUID {
	var u UUID
	copy(u[:], p[:16])
	if le {
		u[0], u[1], u[2], u[3] = p[3], p[2], p[1], p[0]
		u[4], u[5] = p[5], p[4]
		u[6], u[7] = p[7], p[6]
	}
	return u
}

// Opnum is a PNIO RPC operation.
type Opnum uint16

const (
	OpConnect      Opnum = 0
	OpRelease      Opnum = 1
	OpRead         Opnum = 2
	OpWrite        Opnum = 3
	OpControl      Opnum = 4
	OpReadImplicit Opnum = 5
)

func (o Opnum) String() string {
	switch o {
	case OpConnect:
		return "connect"
	case OpRelease:
		return "release"
	case OpRead:
		return "read"
	case OpWrite:
		return "write"
	case OpControl:
		return "control"
	case OpReadImplicit:
		return "read_implicit"
	}
	return "opnum_" + strconv.Itoa(int(o))
}

// ARBlockReq is the part of a Connect request's ARBlockReq (block type
// 0x0101) that identifies the initiator (IO controller or supervisor).
type ARBlockReq struct {
	ARType          uint16
	InitiatorMAC    [6]byte
	InitiatorObject UUID
	StationName     string
}

// ParseConnectRequest finds the ARBlockReq in a Connect request body (NDR
// array header of 20 bytes, then big-endian PNIO blocks).
func ParseConnectRequest(body []byte) (ARBlockReq, error) {
	ar, name, err := parseConnectRequest(body)
	if err == nil {
		ar.StationName = string(name)
	}
	return ar, err
}

// parseConnectRequest is ParseConnectRequest with the station name left
// in body (StationName unset), for the dissector to copy only when new.
func parseConnectRequest(body []byte) (ARBlockReq, []byte, error) {
	var ar ARBlockReq
	if len(body) < 20 {
		return ar, nil, fmt.Errorf("profinet: connect request: %w", ErrShort)
	}
	p := body[20:]
	for len(p) >= 6 {
		typ := binary.BigEndian.Uint16(p)
		l := int(binary.BigEndian.Uint16(p[2:])) // counts from the version bytes
		if l < 2 || 4+l > len(p) {
			return ar, nil, fmt.Errorf("profinet: connect request block 0x%04x length %d: %w", typ, l, ErrMalformed)
		}
		blk := p[6 : 4+l]
		if typ == 0x0101 {
			if len(blk) < 52 {
				return ar, nil, fmt.Errorf("profinet: ARBlockReq: %w", ErrMalformed)
			}
			ar.ARType = binary.BigEndian.Uint16(blk)
			copy(ar.InitiatorMAC[:], blk[20:26])
			copy(ar.InitiatorObject[:], blk[26:42])
			n := int(binary.BigEndian.Uint16(blk[50:]))
			if 52+n > len(blk) {
				return ar, nil, fmt.Errorf("profinet: ARBlockReq station name length %d: %w", n, ErrMalformed)
			}
			return ar, blk[52 : 52+n], nil
		}
		p = p[4+l:]
	}
	return ar, nil, fmt.Errorf("profinet: connect request without ARBlockReq: %w", ErrMalformed)
}

// ControlCommand is the ControlCommand bit field of an IODControlReq /
// IOXControlReq block (IEC 61158-6-10): bit 0 PrmEnd, 1 ApplicationReady,
// 2 Release, 3 Done, 4 ReadyForCompanion, 5 ReadyForRT_CLASS_3, 6 PrmBegin.
type ControlCommand uint16

// Control commands.
const (
	CtrlPrmEnd            ControlCommand = 1 << 0
	CtrlApplicationReady  ControlCommand = 1 << 1
	CtrlRelease           ControlCommand = 1 << 2
	CtrlDone              ControlCommand = 1 << 3
	CtrlReadyForCompanion ControlCommand = 1 << 4
	CtrlReadyForRTC3      ControlCommand = 1 << 5
	CtrlPrmBegin          ControlCommand = 1 << 6
)

// String names a request's single command ("prm_end", "application_ready",
// ...); zero, several bits or an unknown bit is "control".
func (c ControlCommand) String() string {
	switch c {
	case CtrlPrmEnd:
		return "prm_end"
	case CtrlApplicationReady:
		return "application_ready"
	case CtrlRelease:
		return "release"
	case CtrlDone:
		return "done"
	case CtrlReadyForCompanion:
		return "ready_for_companion"
	case CtrlReadyForRTC3:
		return "ready_for_rtc3"
	case CtrlPrmBegin:
		return "prm_begin"
	}
	return "control"
}

// ControlRequest is the control block that opens a Control (opnum 4)
// request: IODControlReq (0x0110 PrmEnd, 0x0118 PrmBegin), IOXControlReq
// (0x0112 ApplicationReady, 0x0116 ReadyForCompanion, 0x0117
// ReadyForRTC3) or ReleaseBlockReq (0x0114).
type ControlRequest struct {
	BlockType uint16
	Command   ControlCommand
}

// ParseControlRequest reads the control block of a Control or Release
// request body: NDR array header (20 bytes), then the big-endian block
// header (type, length, version 2 bytes), Reserved(2), ARUUID(16),
// SessionKey(2), Reserved(2), ControlCommand(2), ControlBlockProperties(2).
func ParseControlRequest(body []byte) (ControlRequest, error) {
	var c ControlRequest
	if len(body) < 20+6 {
		return c, fmt.Errorf("profinet: control request: %w", ErrShort)
	}
	p := body[20:]
	c.BlockType = binary.BigEndian.Uint16(p)
	switch c.BlockType {
	case 0x0110, 0x0112, 0x0114, 0x0116, 0x0117, 0x0118:
	default:
		return c, fmt.Errorf("profinet: control request block type 0x%04x: %w", c.BlockType, ErrMalformed)
	}
	l := int(binary.BigEndian.Uint16(p[2:])) // counts from the version bytes
	if l < 2+24 || 4+l > len(p) {
		return c, fmt.Errorf("profinet: control block 0x%04x length %d: %w", c.BlockType, l, ErrMalformed)
	}
	c.Command = ControlCommand(binary.BigEndian.Uint16(p[6+22:]))
	return c, nil
}

// Record indices this package reads.
const IndexPDRealData = 0xF841

// ParseReadResponse splits a Read response body (NDR PNIOStatus,
// ArgsLength and array header, then the big-endian IODReadResHeader block)
// and returns the record index and the record data that follows.
func ParseReadResponse(body []byte, littleEndian bool) (uint16, []byte, error) {
	if len(body) < 20 {
		return 0, nil, fmt.Errorf("profinet: read response: %w", ErrShort)
	}
	if binary.BigEndian.Uint32(body) != 0 {
		return 0, nil, fmt.Errorf("profinet: read response: PNIO status 0x%08x", binary.BigEndian.Uint32(body))
	}
	p := body[20:]
	if len(p) < 6 || binary.BigEndian.Uint16(p) != 0x8009 {
		return 0, nil, fmt.Errorf("profinet: read response without IODReadResHeader: %w", ErrMalformed)
	}
	l := int(binary.BigEndian.Uint16(p[2:]))
	if 4+l > len(p) || l < 2+28+2+4 {
		return 0, nil, fmt.Errorf("profinet: IODReadResHeader length %d: %w", l, ErrMalformed)
	}
	blk := p[6 : 4+l]
	index := binary.BigEndian.Uint16(blk[28:])
	n := int(binary.BigEndian.Uint32(blk[30:]))
	rec := p[4+l:]
	if n < len(rec) {
		rec = rec[:n]
	}
	return index, rec, nil
}

// PDInterface is PDInterfaceDataReal (block 0x0240): how the device's
// interface is configured.
type PDInterface struct {
	ChassisID    string // the NameOfStation
	MAC          [6]byte
	IP, Mask, GW netip.Addr
}

// PDPeer is one neighbour a port sees (from LLDP).
type PDPeer struct {
	PortID, ChassisID string
	MAC               [6]byte
}

// PDPort is PDPortDataReal (block 0x020F): one port and its neighbours.
type PDPort struct {
	Slot, Subslot uint16
	PortID        string
	Peers         []PDPeer
}

// PDReal is the content of a PDRealData record (index 0xF841).
type PDReal struct {
	Interface *PDInterface
	Ports     []PDPort
}

func align4(off int) int { return (off + 3) &^ 3 }

// ParsePDRealData decodes the MultipleBlockHeader-wrapped
// PDInterfaceDataReal and PDPortDataReal blocks of a PDRealData record.
// Other blocks are skipped.
func ParsePDRealData(rec []byte) (PDReal, error) {
	var out PDReal
	var walk func(p []byte, depth int) error
	walk = func(p []byte, depth int) error {
		if depth > 2 {
			return nil
		}
		for len(p) >= 6 {
			typ := binary.BigEndian.Uint16(p)
			l := int(binary.BigEndian.Uint16(p[2:]))
			if l < 2 || 4+l > len(p) {
				return fmt.Errorf("profinet: PDRealData block 0x%04x length %d: %w", typ, l, ErrMalformed)
			}
			blk := p[:4+l] // offsets below are from the block start
			switch typ {
			case 0x0400: // MultipleBlockHeader: padding 2, API 4, slot 2, subslot 2, blocks
				if len(blk) >= 16 {
					if err := walk(blk[16:], depth+1); err != nil {
						return err
					}
				}
			case 0x0240:
				if iface, ok := parsePDInterface(blk); ok {
					out.Interface = &iface
				}
			case 0x020F:
				if port, ok := parsePDPort(blk); ok && len(out.Ports) < 64 {
					out.Ports = append(out.Ports, port)
				}
			}
			p = p[4+l:]
		}
		return nil
	}
	err := walk(rec, 0)
	return out, err
}

func parsePDInterface(b []byte) (PDInterface, bool) {
	var f PDInterface
	off := 6
	if off >= len(b) {
		return f, false
	}
	n := int(b[off])
	off++
	if off+n > len(b) {
		return f, false
	}
	f.ChassisID = string(b[off : off+n])
	off = align4(off + n)
	if off+6+2+12 > len(b) {
		return f, false
	}
	copy(f.MAC[:], b[off:off+6])
	off += 8
	f.IP = netip.AddrFrom4([4]byte(b[off : off+4]))
	f.Mask = netip.AddrFrom4([4]byte(b[off+4 : off+8]))
	f.GW = netip.AddrFrom4([4]byte(b[off+8 : off+12]))
	return f, true
}

func parsePDPort(b []byte) (PDPort, bool) {
	var pt PDPort
	off := 8
	if off+5 > len(b) {
		return pt, false
	}
	pt.Slot = binary.BigEndian.Uint16(b[off:])
	pt.Subslot = binary.BigEndian.Uint16(b[off+2:])
	off += 4
	n := int(b[off])
	off++
	if off+n+1 > len(b) {
		return pt, false
	}
	pt.PortID = string(b[off : off+n])
	off += n
	peers := int(b[off])
	off = align4(off + 1)
	for i := 0; i < peers && i < 16; i++ {
		var pe PDPeer
		if off >= len(b) {
			return pt, false
		}
		n := int(b[off])
		off++
		if off+n+1 > len(b) {
			return pt, false
		}
		pe.PortID = string(b[off : off+n])
		off += n
		n = int(b[off])
		off++
		if off+n > len(b) {
			return pt, false
		}
		pe.ChassisID = string(b[off : off+n])
		off = align4(off+n) + 4 // LineDelay
		if off+6 > len(b) {
			return pt, false
		}
		copy(pe.MAC[:], b[off:off+6])
		off = align4(off + 6)
		pt.Peers = append(pt.Peers, pe)
	}
	return pt, true
}

// IndexIM0 is the I&M0 record (IEC 61158-6-10, Identification & Maintenance).
const IndexIM0 = 0xAFF0

// The I&M1-3 records: what the plant wrote into the device at commissioning.
const (
	IndexIM1 = 0xAFF1 // IM_Tag_Function, IM_Tag_Location
	IndexIM2 = 0xAFF2 // IM_Date (installation)
	IndexIM3 = 0xAFF3 // IM_Descriptor
)

// IMText is an I&M1, I&M2 or I&M3 block's text fields, blank padding
// trimmed: I&M1 (block type 0x0021) fills TagFunction (32 octets) and
// TagLocation (22), I&M2 (0x0022) Date (16, "YYYY-MM-DD HH:MM"), I&M3
// (0x0023) Descriptor (54). The strings are wire bytes: callers sanitize.
type IMText struct {
	TagFunction, TagLocation string
	Date                     string
	Descriptor               string
}

// ParseIMText decodes the I&M1, I&M2 or I&M3 record of index: a
// BlockHeader of the matching type, version 1.0, then 54 octets (I&M1,
// I&M3) or 16 (I&M2).
func ParseIMText(index uint16, rec []byte) (IMText, error) {
	var m IMText
	var typ uint16
	var n int
	switch index {
	case IndexIM1:
		typ, n = 0x0021, 54
	case IndexIM2:
		typ, n = 0x0022, 16
	case IndexIM3:
		typ, n = 0x0023, 54
	default:
		return m, fmt.Errorf("profinet: I&M record index 0x%04x: %w", index, ErrMalformed)
	}
	if len(rec) < 6+n {
		return m, fmt.Errorf("profinet: I&M%d: %d bytes: %w", index-IndexIM0, len(rec), ErrShort)
	}
	if t := binary.BigEndian.Uint16(rec); t != typ {
		return m, fmt.Errorf("profinet: I&M%d: block type 0x%04x: %w", index-IndexIM0, t, ErrMalformed)
	}
	if l := int(binary.BigEndian.Uint16(rec[2:])); l < 2+n || 4+l > len(rec) {
		return m, fmt.Errorf("profinet: I&M%d: block length %d: %w", index-IndexIM0, l, ErrMalformed)
	}
	b := rec[6 : 6+n]
	trim := func(x []byte) string { return strings.TrimRight(string(x), " \x00") }
	switch index {
	case IndexIM1:
		m.TagFunction, m.TagLocation = trim(b[:32]), trim(b[32:54])
	case IndexIM2:
		m.Date = trim(b)
	case IndexIM3:
		m.Descriptor = trim(b)
	}
	return m, nil
}

// IM0 is an I&M0 block (block type 0x0020): the device's own nameplate.
type IM0 struct {
	VendorID         uint16
	OrderID          string // 20 visible characters, blank-padded: the order number
	SerialNumber     string // 16 visible characters
	HardwareRevision uint16
	SoftwareRevision string // "V2.3.1": prefix, functional enhancement, bug fix, internal change
	RevisionCounter  uint16
	ProfileID        uint16
	ProfileType      uint16
	IMVersion        [2]byte
	IMSupported      uint16
}

// ParseIM0 decodes an I&M0 record: a BlockHeader (type 0x0020, version
// 1.0) then 54 octets.
func ParseIM0(rec []byte) (IM0, error) {
	var m IM0
	if len(rec) < 6+54 {
		return m, fmt.Errorf("profinet: I&M0: %d bytes: %w", len(rec), ErrShort)
	}
	if typ := binary.BigEndian.Uint16(rec); typ != 0x0020 {
		return m, fmt.Errorf("profinet: I&M0: block type 0x%04x: %w", typ, ErrMalformed)
	}
	if l := int(binary.BigEndian.Uint16(rec[2:])); l < 2+54 || 4+l > len(rec) {
		return m, fmt.Errorf("profinet: I&M0: block length %d: %w", l, ErrMalformed)
	}
	b := rec[6:]
	m.VendorID = binary.BigEndian.Uint16(b)
	m.OrderID = strings.TrimRight(string(b[2:22]), " \x00")
	m.SerialNumber = strings.TrimRight(string(b[22:38]), " \x00")
	m.HardwareRevision = binary.BigEndian.Uint16(b[38:])
	if p := b[40]; p >= 0x20 && p < 0x7f {
		m.SoftwareRevision = fmt.Sprintf("%c%d.%d.%d", p, b[41], b[42], b[43])
	}
	m.RevisionCounter = binary.BigEndian.Uint16(b[44:])
	m.ProfileID = binary.BigEndian.Uint16(b[46:])
	m.ProfileType = binary.BigEndian.Uint16(b[48:])
	m.IMVersion = [2]byte{b[50], b[51]}
	m.IMSupported = binary.BigEndian.Uint16(b[52:])
	return m, nil
}
