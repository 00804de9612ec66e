package modbus

import (
	"hash/fnv"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Port is the IANA port of Modbus/TCP.
const Port = 502

// Confidences of the facts this dissector states.
const (
	confUMAS    = 0.9
	confGateway = 0.7 // inferred from gateway exception codes
)

func init() {
	discovery.Register("modbus", func() discovery.Dissector { return New() })
}

// Dissector is the passive Modbus/TCP dissector.
type Dissector struct{}

// New returns a Modbus/TCP dissector.
func New() *Dissector { return &Dissector{} }

// Name implements discovery.Dissector.
func (*Dissector) Name() string { return "modbus" }

// Ports implements discovery.Dissector.
func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Detect confirms Modbus/TCP from the first bytes of a direction: a sane
// MBAP header (protocol id 0, length 2..254) and a non-zero function code,
// without the exception bit from the client.
func (*Dissector) Detect(data []byte, dir discovery.Direction) discovery.Verdict {
	if len(data) < MBAPLen+1 {
		return discovery.NeedMore
	}
	if _, err := FrameLen(data); err != nil {
		return discovery.No
	}
	fc := data[7]
	if fc&0x7f == 0 || (dir == discovery.ToServer && fc&0x80 != 0) {
		return discovery.No
	}
	return discovery.Yes
}

// NewStream implements discovery.StreamDissector.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream { return &stream{} }

// pendingSlots bounds the outstanding requests remembered per flow.
const pendingSlots = 16

type pending struct {
	used bool
	txid uint16
	unit uint8
	fc   FunctionCode
	seq  uint32
	op   string // the request's operation name (a constant: no allocation)
}

// maxExceptions bounds the distinct (function, exception) pairs reported per flow.
const maxExceptions = 32

type stream struct {
	services bool
	umas     bool
	gateway  bool
	seq      uint32
	pending  [pendingSlots]pending
	// unitSeen is a bitset of unit ids already reported on the server.
	unitSeen [4]uint64
	router   UnitRouter
	// identity remembers the last identity reply per unit (hash) so that a
	// polled identity is not re-emitted unchanged.
	identity   map[uint8]uint64
	exceptions map[string]struct{}
	serverID   bool
}

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return FrameLen(data) }

func serverPort(pkt *discovery.PacketInfo) uint16 {
	if pkt.Flow != nil {
		return pkt.Flow.ServerPort
	}
	if pkt.Dir == discovery.ToServer {
		return pkt.DstPort
	}
	return pkt.SrcPort
}

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	a, err := ParseADU(pdu)
	if err != nil {
		return err
	}
	port := serverPort(pkt)
	server, client := pkt.Server(), pkt.Client()
	if !s.services {
		s.services = true
		o := pkt.Obs(discovery.KindService, server)
		o.Protocol, o.Transport, o.Port, o.Role = "modbus", "tcp", port, "server"
		emit(o)
		o = pkt.Obs(discovery.KindService, client)
		o.Protocol, o.Transport, o.Port, o.Role = "modbus", "tcp", port, "client"
		emit(o)
	}
	if pkt.Dir == discovery.ToServer {
		s.request(&a, pkt, server, client, port, emit)
		return nil
	}
	s.response(&a, pkt, server, client, port, emit)
	return nil
}

func (s *stream) attr(pkt *discovery.PacketInfo, ep discovery.Endpoint, key, value string, conf float32, emit discovery.Emit) {
	o := pkt.Obs(discovery.KindAttribute, ep)
	o.Protocol, o.Key, o.Value, o.Confidence = "modbus", key, value, conf
	emit(o)
}

func (s *stream) request(a *ADU, pkt *discovery.PacketInfo, server, client discovery.Endpoint, port uint16, emit discovery.Emit) {
	if a.Exception {
		// A client never sends an exception; ignore it rather than
		// counting it as an operation.
		return
	}
	if w, bit := a.UnitID>>6, uint64(1)<<(a.UnitID&63); s.unitSeen[w]&bit == 0 {
		s.unitSeen[w] |= bit
		s.attr(pkt, server, "modbus.unit_id", strconv.Itoa(int(a.UnitID)), ConfUnitID, emit)
	}
	if a.Function == FCUMAS && !s.umas {
		s.umas = true
		s.attr(pkt, server, "modbus.umas", "true", confUMAS, emit)
	}
	o := pkt.Obs(discovery.KindOperation, client)
	o.Peer, o.Protocol, o.Transport, o.Port = server, "modbus", "tcp", port
	o.Op = ClassifyRequest(a)
	emit(o)
	op := o.Op.Name

	// Remember the request for pairing: replace the same transaction or
	// the oldest slot.
	s.seq++
	slot := 0
	for i := range s.pending {
		p := &s.pending[i]
		if !p.used || (p.txid == a.TransactionID && p.unit == a.UnitID) {
			slot = i
			break
		}
		if p.seq < s.pending[slot].seq {
			slot = i
		}
	}
	s.pending[slot] = pending{used: true, txid: a.TransactionID, unit: a.UnitID, fc: a.Function, seq: s.seq, op: op}
}

// take removes and returns the pending request of a reply.
func (s *stream) take(txid uint16, unit uint8) (pending, bool) {
	for i := range s.pending {
		p := s.pending[i]
		if p.used && p.txid == txid && p.unit == unit {
			s.pending[i] = pending{}
			return p, true
		}
	}
	return pending{}, false
}

func (s *stream) response(a *ADU, pkt *discovery.PacketInfo, server, client discovery.Endpoint, port uint16, emit discovery.Emit) {
	// Pair the reply with its request to name what failed: the reply's
	// function code alone cannot tell an FC 8 sub-function, an MEI type
	// or a UMAS sub-function.
	op := a.Function.String()
	if req, ok := s.take(a.TransactionID, a.UnitID); ok && req.fc == a.Function {
		op = req.op
	}
	if a.Exception {
		s.exception(op, a.ExceptionCode.String(), a, pkt, server, client, port, emit)
		return
	}
	switch a.Function {
	case FCUMAS:
		// UMAS answers 0xFE (ok) or 0xFD (error) after the session byte.
		if len(a.Data) >= 2 && a.Data[1] == 0xfd {
			s.exception(op, "umas_error", a, pkt, server, client, port, emit)
		}
	case FCEncapsulatedInterface:
		if len(a.Data) > 0 && a.Data[0] == MEIReadDeviceID {
			r, err := ParseDeviceIDResponse(a.Data)
			if err != nil && len(r.Objects) == 0 {
				return
			}
			s.identityReply(a.UnitID, &r, a.Data, pkt, server, emit)
		}
	case FCReportServerID:
		if !s.serverID && len(a.Data) >= 2 {
			n := int(a.Data[0])
			if n == 0 || len(a.Data) < 1+n {
				return
			}
			s.serverID = true
			s.attr(pkt, server, "modbus.server_id", ServerIDString(a.Data[1:1+n]), ConfServerID, emit)
		}
	}
}

func (s *stream) exception(op, what string, a *ADU, pkt *discovery.PacketInfo, server, client discovery.Endpoint, port uint16, emit discovery.Emit) {
	if a.Exception && (a.ExceptionCode == ExGatewayPathUnavailable || a.ExceptionCode == ExGatewayTargetNoResponse) && !s.gateway {
		// Only a gateway answers with these codes.
		s.gateway = true
		s.attr(pkt, server, "modbus.gateway", "true", confGateway, emit)
	}
	v := op + ": " + what
	if _, dup := s.exceptions[v]; dup || len(s.exceptions) >= maxExceptions {
		return
	}
	if s.exceptions == nil {
		s.exceptions = make(map[string]struct{})
	}
	s.exceptions[v] = struct{}{}
	o := pkt.Obs(discovery.KindCommAttribute, client)
	o.Peer, o.Protocol, o.Transport, o.Port = server, "modbus", "tcp", port
	o.Key, o.Value = "modbus.exception", v
	emit(o)
}

// identityReply routes and emits the objects of a Read Device
// Identification reply.
func (s *stream) identityReply(unit uint8, r *DeviceIDResponse, raw []byte, pkt *discovery.PacketInfo, server discovery.Endpoint, emit discovery.Emit) {
	h := fnv.New64a()
	_, _ = h.Write(raw)
	sum := h.Sum64()
	if prev, ok := s.identity[unit]; ok && prev == sum {
		return
	}
	if s.identity == nil {
		s.identity = make(map[uint8]uint64)
	}
	s.identity[unit] = sum
	EmitIdentity(pkt.Obs(discovery.KindAttribute, server), unit, s.router.Sub(unit, r), r, emit)
}
