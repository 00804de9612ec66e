package s7comm

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/iec61850"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

func init() {
	discovery.Register("s7comm", func() discovery.Dissector { return New() })
}

// Port is ISO-TSAP (RFC 1006).
const Port = 102

// Protocol names (CONTRACT.md; "mms" added for IEC 61850 MMS).
const (
	ProtoS7   = "s7comm"
	ProtoPlus = "s7comm_plus"
	ProtoMMS  = "mms"
)

// Dissector owns TCP/102: TPKT + COTP, then S7comm (0x32), S7comm-plus
// (0x72) or ISO session/presentation + MMS, decided per flow by the first
// COTP data payload.
type Dissector struct{}

// New returns the dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return ProtoS7 }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Heuristic: a TPKT + COTP connection request with TSAP parameters, or a
// COTP data TPDU carrying S7comm/S7comm-plus/ISO session, is reliable on
// any port (an RDP X.224 request carries a cookie, not TSAPs, and fails).
func (*Dissector) Heuristic() bool { return true }

// Detect confirms by payload.
func (*Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	if len(data) >= 1 && data[0] != 3 || len(data) >= 2 && data[1] != 0 {
		return discovery.No
	}
	n, err := TPKTLen(data)
	if err != nil {
		return discovery.No
	}
	if n == 0 || len(data) < 7 {
		return discovery.NeedMore
	}
	li, typ := int(data[4]), TPDUType(data[5]&0xF0)
	if li+1 > n-tpktHeaderLen {
		return discovery.No
	}
	switch typ {
	case TPDUConnReq, TPDUConnConf:
		if len(data) < n {
			return discovery.NeedMore
		}
		c, err := ParseCOTP(data[:n])
		if err != nil || (c.CalledTSAP == nil && c.CallingTSAP == nil) {
			return discovery.No
		}
		return discovery.Yes
	case TPDUData:
		p := 4 + 1 + li
		if len(data) < p+2 {
			return discovery.NeedMore
		}
		switch data[p] {
		case 0x32:
			switch ROSCTR(data[p+1]) {
			case RosctrJob, RosctrAck, RosctrAckData, RosctrUserdata:
				return discovery.Yes
			}
		case 0x72:
			if v := data[p+1]; v >= 1 && v <= 3 || v >= 0xFE {
				return discovery.Yes
			}
		default:
			end := min(len(data), n)
			if iec61850.IsSession(data[p:end]) {
				return discovery.Yes
			}
			if end-p < 5 && len(data) < n {
				return discovery.NeedMore
			}
		}
	}
	return discovery.No
}

// NewStream returns the per-flow parser.
// NewStream starts a connection whose protocol (S7comm, S7comm-plus or
// MMS) the first data TPDU decides: until then the flow's name is pending.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream {
	if f != nil {
		f.ProtocolPending = true
	}
	return &stream{}
}

const maxTSDU = 64 << 10

type proto uint8

const (
	protoUnknown proto = iota
	protoS7
	protoPlus
	protoMMS
)

func (p proto) name() string {
	switch p {
	case protoS7:
		return ProtoS7
	case protoPlus:
		return ProtoPlus
	case protoMMS:
		return ProtoMMS
	}
	return ""
}

type stream struct {
	proto       proto
	calling     []byte // COTP TSAPs from the CR, reported once the protocol is known
	called      []byte
	tsdu        [2][]byte // COTP DT reassembly per direction
	szl         []byte    // userdata fragment reassembly (server → client)
	szlActive   bool
	plusCont    [2]bool // next S7comm-plus payload continues a fragmented PDU
	plusVersion uint8
	emitted     map[string]string
	items       [][]byte
}

// PDULen frames by the TPKT header.
func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) {
	return TPKTLen(data)
}

// Parse handles one TPKT.
func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("s7comm: frame %d: panic: %v", pkt.Evidence.Frame, r)
		}
	}()
	c, err := ParseCOTP(pdu)
	if err != nil {
		return err
	}
	switch c.Type {
	case TPDUConnReq:
		s.calling = append(s.calling[:0], c.CallingTSAP[:min(len(c.CallingTSAP), 32)]...)
		s.called = append(s.called[:0], c.CalledTSAP[:min(len(c.CalledTSAP), 32)]...)
		return nil
	case TPDUData:
	default:
		return nil
	}
	d := pkt.Dir
	if !c.EOT {
		if len(s.tsdu[d])+len(c.Payload) > maxTSDU {
			s.tsdu[d] = s.tsdu[d][:0]
			return fmt.Errorf("s7comm: cotp: TSDU over %d bytes dropped", maxTSDU)
		}
		s.tsdu[d] = append(s.tsdu[d], c.Payload...)
		return nil
	}
	full := c.Payload
	if len(s.tsdu[d]) > 0 {
		s.tsdu[d] = append(s.tsdu[d], c.Payload...)
		full = s.tsdu[d]
		defer func() { s.tsdu[d] = s.tsdu[d][:0] }()
	}
	if len(full) == 0 {
		return nil
	}
	if s.proto == protoUnknown {
		switch {
		case full[0] == 0x32:
			s.proto = protoS7
		case full[0] == 0x72:
			s.proto = protoPlus
		case iec61850.IsSession(full):
			s.proto = protoMMS
		default:
			return nil
		}
		s.start(pkt, emit)
	}
	switch s.proto {
	case protoS7:
		if full[0] == 0x32 {
			return s.s7(full, pkt, emit)
		}
	case protoPlus:
		if full[0] == 0x72 {
			return s.plus(full, pkt, emit)
		}
	case protoMMS:
		return s.mms(full, pkt, emit)
	}
	return nil
}

// start reports the services and the connection's TSAPs once the
// protocol is known.
func (s *stream) start(pkt *discovery.PacketInfo, emit discovery.Emit) {
	name := s.proto.name()
	pkt.Flow.Protocol, pkt.Flow.ProtocolPending = name, false
	o := pkt.Obs(discovery.KindService, pkt.Server())
	o.Protocol, o.Transport, o.Port, o.Role = name, "tcp", pkt.Flow.ServerPort, "server"
	emit(o)
	o.Asset, o.Role = pkt.Client(), "client"
	emit(o)
	if s.called != nil {
		s.comm(pkt, "cotp.called_tsap", tsapString(s.called), emit)
	}
	if s.calling != nil {
		s.comm(pkt, "cotp.calling_tsap", tsapString(s.calling), emit)
	}
	// S7 remote TSAP: connection type (1 PG, 2 OP, 3 S7 basic, 0x10+ other)
	// then rack*32 + slot.
	if s.proto == protoS7 && len(s.called) == 2 {
		s.comm(pkt, "s7.connection_type", connType(s.called[0]), emit)
		s.comm(pkt, "s7.rack", strconv.Itoa(int(s.called[1]>>5)), emit)
		s.comm(pkt, "s7.slot", strconv.Itoa(int(s.called[1]&0x1F)), emit)
	}
}

func connType(b byte) string {
	switch b {
	case 1:
		return "pg"
	case 2:
		return "op"
	case 3:
		return "s7_basic"
	}
	return "0x" + strconv.FormatUint(uint64(b), 16)
}

// tsapString shows a TSAP as text when it is printable (S7-1200/1500
// "SIMATIC-ROOT-HMI"), else as hex ("0x0102").
func tsapString(b []byte) string {
	printable := len(b) > 2
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			printable = false
		}
	}
	if printable {
		return wirestr.Clean(b)
	}
	const hx = "0123456789abcdef"
	out := make([]byte, 2, 2+2*len(b))
	copy(out, "0x")
	for _, c := range b {
		out = append(out, hx[c>>4], hx[c&15])
	}
	return string(out)
}

func (s *stream) comm(pkt *discovery.PacketInfo, key, val string, emit discovery.Emit) {
	o := pkt.Obs(discovery.KindCommAttribute, pkt.Client())
	o.Peer, o.Protocol, o.Transport, o.Port = pkt.Server(), s.proto.name(), "tcp", pkt.Flow.ServerPort
	o.Key, o.Value = key, val
	emit(o)
}

func (s *stream) op(pkt *discovery.PacketInfo, op discovery.Operation, emit discovery.Emit) {
	o := pkt.Obs(discovery.KindOperation, pkt.Client())
	o.Peer, o.Protocol, o.Transport, o.Port = pkt.Server(), s.proto.name(), "tcp", pkt.Flow.ServerPort
	o.Op = op
	emit(o)
}

// attr reports a device fact on the server once per value per flow.
func (s *stream) attr(pkt *discovery.PacketInfo, key, val string, emit discovery.Emit) {
	s.attrConf(pkt, key, val, 0.95, emit)
}

func (s *stream) attrConf(pkt *discovery.PacketInfo, key, val string, conf float32, emit discovery.Emit) {
	if val == "" {
		return
	}
	if s.emitted == nil {
		s.emitted = make(map[string]string, 8)
	}
	if s.emitted[key] == val || len(s.emitted) > 32 {
		return
	}
	s.emitted[key] = val
	// the fact comes in the server's reply: its source is the device as
	// seen on the wire (its own MAC even when the client is routed)
	dev := pkt.Server()
	if pkt.Dir == discovery.ToClient {
		dev = pkt.Src
	}
	o := pkt.Obs(discovery.KindAttribute, dev)
	o.Protocol, o.Key, o.Value, o.Confidence = s.proto.name(), key, val, conf
	emit(o)
}

func (s *stream) s7(b []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	p, err := ParseS7(b)
	if err != nil {
		return err
	}
	switch p.ROSCTR {
	case RosctrJob:
		if pkt.Dir == discovery.ToServer {
			s.op(pkt, JobOperation(p.Param), emit)
		}
	case RosctrAckData:
		if len(p.Param) > 0 && p.Param[0] == 0xF0 && p.ErrClass == 0 {
			if _, _, pdu, err := SetupCommunication(p.Param); err == nil {
				s.comm(pkt, "s7.pdu_length", strconv.Itoa(int(pdu)), emit)
			}
		}
	case RosctrUserdata:
		u, err := ParseUserdata(p.Param)
		if err != nil {
			return err
		}
		switch u.Type {
		case 4: // request; method 0x12 marks a follow-up asking for the next fragment
			if pkt.Dir == discovery.ToServer && u.Method == 0x11 {
				s.op(pkt, UserdataOperation(u), emit)
			}
		case 8:
			if u.Group == GroupCPU && u.SubFunc == 1 {
				s.szlReply(u, p.Data, pkt, emit)
			}
		}
	}
	return nil
}

// szlReply reassembles a (possibly fragmented) Read SZL reply and reads
// module (0x0011) and component (0x001C) identification.
func (s *stream) szlReply(u Userdata, data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) {
	payload, rc, err := UserdataPayload(data)
	if err != nil || rc != 0xFF {
		s.szlActive = false
		return
	}
	if !u.LastUnit || s.szlActive {
		if !s.szlActive {
			s.szl = s.szl[:0]
		}
		if len(s.szl)+len(payload) > maxTSDU {
			s.szlActive = false
			return
		}
		s.szl = append(s.szl, payload...)
		s.szlActive = !u.LastUnit
		if s.szlActive {
			return
		}
		payload = s.szl
	}
	z, err := ParseSZL(payload, s.items[:0])
	if err != nil {
		return
	}
	s.items = z.Items[:0]
	switch z.ID & 0xFF {
	case 0x11:
		for _, it := range z.Items {
			m, ok := ParseModuleIdent(it)
			if !ok {
				continue
			}
			switch m.Index {
			case 1:
				s.attr(pkt, "s7.order_number", wirestr.Clean(m.OrderNumber), emit)
			case 7:
				s.attr(pkt, "s7.firmware", m.Firmware(), emit)
			}
		}
	case 0x1C:
		for _, it := range z.Items {
			c, ok := ParseComponentIdent(it)
			if !ok {
				continue
			}
			key := ""
			switch c.Index {
			case 1:
				key = "s7.plc_name"
			case 2:
				key = "s7.module_name"
			case 3:
				key = "s7.plant_tag"
			case 4:
				key = "s7.copyright"
			case 5:
				key = "s7.serial_number"
			case 7:
				key = "s7.module_type"
			case 8:
				key = "s7.memory_card_serial"
			case 0x0B:
				key = "s7.location"
			}
			if key != "" {
				s.attr(pkt, key, wirestr.Clean(c.Text), emit)
			}
		}
	}
}

var plusTrailer = []byte{0x72, 0, 0, 0}

func (s *stream) plus(b []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	p, err := ParsePlus(b)
	if err != nil {
		return err
	}
	d := pkt.Dir
	cont := s.plusCont[d]
	// A PDU ends with the trailer 0x72 <version> 0x0000; without it the next
	// payload in this direction continues this one.
	s.plusCont[d] = !(len(b) >= 8 && b[len(b)-4] == 0x72 && bytes.Equal(b[len(b)-2:], plusTrailer[2:]))
	if p.Version >= 0xFE { // keep-alive
		return nil
	}
	if p.Version != s.plusVersion && p.Version >= 1 && p.Version <= 3 && p.Version > s.plusVersion {
		s.plusVersion = p.Version
		s.comm(pkt, "s7plus.version", strconv.Itoa(int(p.Version)), emit)
		if p.Version == 3 {
			s.comm(pkt, "s7plus.integrity", "true", emit)
		}
	}
	if cont {
		return nil
	}
	// The session set-up reply (CreateObject, in a version-1 "connect" PDU)
	// carries the PLC's ServerSessionVersion string, e.g.
	// "1;6ES7 511-1AK00-0AB0 ;V2.1".
	if p.Version == 1 && p.Opcode == 0x32 && p.Function == 0x04CA && d == discovery.ToClient {
		if order, fw := sessionVersion(b); order != "" {
			s.attrConf(pkt, "s7.order_number", order, 0.7, emit)
			s.attrConf(pkt, "s7.firmware", fw, 0.7, emit)
		}
	}
	if p.Opcode == 0x31 && d == discovery.ToServer {
		s.op(pkt, PlusOperation(p.Function), emit)
	}
	return nil
}

func (s *stream) mms(b []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	raw, ok := iec61850.FindMMS(b)
	if !ok {
		return nil
	}
	m, err := iec61850.ParseMMS(raw)
	if err != nil {
		return err
	}
	if pkt.Dir == discovery.ToServer {
		if op, ok := m.Operation(); ok {
			s.op(pkt, op, emit)
		}
		return nil
	}
	if m.Kind == iec61850.ConfirmedResponse && m.Service == 2 {
		s.attr(pkt, "mms.vendor", wirestr.Clean(m.Vendor), emit)
		s.attr(pkt, "mms.model", wirestr.Clean(m.Model), emit)
		s.attr(pkt, "mms.revision", wirestr.Clean(m.Revision), emit)
	}
	return nil
}

var orderRE = regexp.MustCompile(`(6ES7 ?[0-9]{3}-[0-9A-Z]{5}-[0-9A-Z]{4}) *;(V[0-9]{1,2}\.[0-9]{1,2}(?:\.[0-9]{1,2})?)`)

// sessionVersion finds "<order number> ;V<firmware>" in an S7comm-plus
// session set-up reply (unverified against a real capture: none of the
// shared ones contains the set-up; hence confidence 0.7).
func sessionVersion(b []byte) (order, fw string) {
	m := orderRE.FindSubmatch(b)
	if m == nil {
		return "", ""
	}
	return string(m[1]), string(m[2])
}
