package enip

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

func init() {
	discovery.Register("enip", func() discovery.Dissector { return New() })
	discovery.Register("enip-udp", func() discovery.Dissector { return NewUDP() })
}

// Ports.
const (
	PortExplicit = 44818 // TCP and UDP: encapsulation (explicit messaging, ListIdentity)
	PortIO       = 2222  // UDP: implicit (class 0/1) I/O
)

// Protocol names (CONTRACT.md): the encapsulation layer is "enip", CIP
// services carried in it are "cip" operations on the same flow.
const (
	ProtoENIP = "enip"
	ProtoCIP  = "cip"
)

// Dissector is the TCP (stream) EtherNet/IP dissector.
type Dissector struct{}

// New returns the TCP dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return ProtoENIP }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: PortExplicit}}
}

// Detect confirms EtherNet/IP by its encapsulation header: a known command,
// zero options and a length the command can have.
func (*Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	return detectEncap(data, false)
}

func detectEncap(data []byte, exact bool) discovery.Verdict {
	if len(data) >= 2 && !Command(binary.LittleEndian.Uint16(data)).Known() {
		return discovery.No
	}
	h, err := ParseHeader(data)
	if err != nil {
		return discovery.NeedMore
	}
	if !h.plausible() {
		return discovery.No
	}
	if exact && int(h.Length)+HeaderLen != len(data) {
		return discovery.No
	}
	return discovery.Yes
}

// NewStream returns the per-flow parser.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream { return &stream{} }

// stream is one TCP flow's state: which service observations were sent, the
// last identity reported, and a small ring of requests awaiting replies
// (only those whose replies carry identity facts are kept).
type stream struct {
	state   flowState
	pending [8]pending
	next    int
	items   []Item
	msgs    [][]byte
	subs    [][]byte
}

type flowState struct {
	services bool
	lastID   uint64 // hash of the last identity emitted, to skip repeats
}

// pending is an outstanding request addressed to the Identity object.
type pending struct {
	used bool
	key  uint64
	// idx are positions inside a Multiple Service Packet (-1: not in one)
	n    int
	subs [4]identityReq
}

type identityReq struct {
	index     int
	service   Service
	attribute uint32
}

// PDULen frames an encapsulation message by its header.
func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) {
	h, err := ParseHeader(data)
	if err != nil {
		return 0, nil
	}
	if !h.Command.Known() || h.Options != 0 {
		return 0, fmt.Errorf("enip: not an encapsulation header (command 0x%04x, options 0x%x)", uint16(h.Command), h.Options)
	}
	return HeaderLen + int(h.Length), nil
}

// Parse handles one encapsulation message.
func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("enip: frame %d: panic: %v", pkt.Evidence.Frame, r)
		}
	}()
	h, err := ParseHeader(pdu)
	if err != nil {
		return err
	}
	body := pdu[HeaderLen:]
	if len(body) > int(h.Length) {
		body = body[:h.Length]
	}
	if !s.state.services {
		s.state.services = true
		emitServices(pkt, discovery.TCP, pkt.Flow.ServerPort, emit)
	}
	toServer := pkt.Dir == discovery.ToServer
	switch h.Command {
	case CmdSendRRData, CmdSendUnitData:
		if len(body) < 6 {
			return fmt.Errorf("enip: %s: %w", h.Command, ErrShort)
		}
		s.items, err = ParseCPF(body[6:], s.items[:0])
		if err != nil {
			return fmt.Errorf("enip: %s: %w", h.Command, err)
		}
		for _, it := range s.items {
			var msg []byte
			var key uint64
			switch it.Type {
			case ItemUnconnectedData:
				msg, key = it.Data, binary.LittleEndian.Uint64(h.Context[:])
			case ItemConnectedData:
				if len(it.Data) < 2 {
					continue
				}
				msg, key = it.Data[2:], 1<<63|uint64(binary.LittleEndian.Uint16(it.Data))
			default:
				continue
			}
			if toServer {
				s.request(msg, key, pkt, emit)
			} else {
				s.reply(msg, key, pkt, emit)
			}
		}
	case CmdListIdentity:
		if toServer {
			emitEncapOp(h.Command, pkt.Client(), pkt.Server(), pkt, discovery.TCP, emit)
			return nil
		}
		return listIdentityReply(body, pkt, &s.state, discovery.TCP, &s.items, emit)
	case CmdNOP:
	default:
		if toServer {
			emitEncapOp(h.Command, pkt.Client(), pkt.Server(), pkt, discovery.TCP, emit)
		}
	}
	return nil
}

func emitServices(pkt *discovery.PacketInfo, tr discovery.Transport, port uint16, emit discovery.Emit) {
	o := pkt.Obs(discovery.KindService, pkt.Server())
	o.Protocol, o.Transport, o.Port, o.Role = ProtoENIP, tr.String(), port, "server"
	emit(o)
	o.Asset, o.Role = pkt.Client(), "client"
	emit(o)
}

func emitEncapOp(c Command, client, server discovery.Endpoint, pkt *discovery.PacketInfo, tr discovery.Transport, emit discovery.Emit) {
	o := pkt.Obs(discovery.KindOperation, client)
	o.Peer, o.Protocol, o.Transport, o.Port = server, ProtoENIP, tr.String(), PortExplicit
	class := discovery.OpOther
	switch c {
	case CmdListIdentity, CmdListServices, CmdListInterfaces:
		class = discovery.OpDiscovery
	}
	o.Op = discovery.Operation{Code: int(c), Name: c.String(), Class: class}
	emit(o)
}

// request classifies one CIP request (unwrapping Unconnected Send and
// Multiple Service Packet) and remembers Identity-object requests.
func (s *stream) request(msg []byte, key uint64, pkt *discovery.PacketInfo, emit discovery.Emit) {
	req, _, isResp, err := ParseMessage(msg)
	if err != nil || isResp {
		return
	}
	// Unconnected Send to the Connection Manager: the routed message is what
	// reaches the target; its reply comes back unwrapped.
	for depth := 0; depth < 4 && req.Service == 0x52 && req.Path.HasClass && req.Path.Class == ClassConnectionManager; depth++ {
		inner, err := UnconnectedSend(req.Data)
		if err != nil {
			break
		}
		r2, _, resp2, err := ParseMessage(inner)
		if err != nil || resp2 {
			break
		}
		req = r2
	}
	if (req.Service == 0x54 || req.Service == 0x5B) && req.Path.HasClass && req.Path.Class == ClassConnectionManager {
		if fo, err := ParseForwardOpen(req.Data, req.Service == 0x5B); err == nil {
			// transport class 0/1: implicit I/O (UDP 2222), 3: explicit messaging
			o := pkt.Obs(discovery.KindCommAttribute, pkt.Client())
			o.Peer, o.Protocol, o.Transport, o.Port = pkt.Server(), ProtoCIP, "tcp", pkt.Flow.ServerPort
			o.Key, o.Value = "cip.transport_class", strconv.Itoa(int(fo.TransportClass))
			emit(o)
		}
	}
	p := pending{key: key}
	if req.Service == 0x0A {
		s.msgs, err = SplitMultiple(req.Data, s.msgs[:0])
		if err != nil {
			s.emitCIP(req, pkt, emit)
			return
		}
		for i, m := range s.msgs {
			sub, _, r, err := ParseMessage(m)
			if err != nil || r {
				continue
			}
			s.emitCIP(sub, pkt, emit)
			p.note(i, sub)
		}
	} else {
		s.emitCIP(req, pkt, emit)
		p.note(-1, req)
	}
	if p.n > 0 {
		p.used = true
		s.pending[s.next] = p
		s.next = (s.next + 1) % len(s.pending)
	}
}

func (p *pending) note(index int, r Request) {
	if !r.Path.HasClass || r.Path.Class != ClassIdentity || p.n == len(p.subs) {
		return
	}
	if r.Service != 0x01 && r.Service != 0x0E {
		return
	}
	p.subs[p.n] = identityReq{index: index, service: r.Service, attribute: r.Path.Attribute}
	p.n++
}

func (s *stream) emitCIP(r Request, pkt *discovery.PacketInfo, emit discovery.Emit) {
	o := pkt.Obs(discovery.KindOperation, pkt.Client())
	o.Peer, o.Protocol, o.Transport, o.Port = pkt.Server(), ProtoCIP, "tcp", pkt.Flow.ServerPort
	o.Op = Classify(r.Service, r.Path)
	if r.Service == 0x4B && r.Path.HasClass && r.Path.Class == ClassPCCC {
		if op, err := PCCCOperation(r.Data); err == nil {
			o.Op = op
		}
	}
	emit(o)
}

// reply pairs a CIP reply with its request and reads Identity attributes.
func (s *stream) reply(msg []byte, key uint64, pkt *discovery.PacketInfo, emit discovery.Emit) {
	_, resp, isResp, err := ParseMessage(msg)
	if err != nil || !isResp {
		return
	}
	// the oldest pending request with this key
	var p *pending
	for i := 0; i < len(s.pending); i++ {
		c := &s.pending[(s.next+i)%len(s.pending)]
		if c.used && c.key == key {
			p = c
			break
		}
	}
	if p == nil {
		return
	}
	p.used = false
	if resp.Service == 0x0A {
		if resp.GeneralStatus != 0 && resp.GeneralStatus != 0x1E { // 0x1E: embedded service error
			return
		}
		s.subs, err = SplitMultiple(resp.Data, s.subs[:0])
		if err != nil {
			return
		}
		for _, q := range p.subs[:p.n] {
			if q.index < 0 || q.index >= len(s.subs) {
				continue
			}
			_, r, ok, err := ParseMessage(s.subs[q.index])
			if err == nil && ok && r.GeneralStatus == 0 && r.Service == q.service {
				s.identityReply(q, r.Data, pkt, emit)
			}
		}
		return
	}
	for _, q := range p.subs[:p.n] {
		if q.index == -1 && resp.GeneralStatus == 0 && resp.Service == q.service {
			s.identityReply(q, resp.Data, pkt, emit)
		}
	}
}

func (s *stream) identityReply(q identityReq, data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) {
	dev := pkt.Src
	if q.service == 0x01 {
		id, err := ParseIdentityAttributes(data)
		if err != nil {
			return
		}
		emitIdentity(&id, dev, pkt, &s.state, emit)
		return
	}
	// Get_Attribute_Single on the Identity object (Vol. 1 5-2.2.1)
	var key, val string
	switch q.attribute {
	case 1:
		if len(data) >= 2 {
			v := binary.LittleEndian.Uint16(data)
			key, val = "enip.vendor_id", strconv.Itoa(int(v))
			if n := VendorName(v); n != "" {
				emitAttr(pkt, dev, "enip.vendor_name", n, 0.9, emit)
			}
		}
	case 2:
		if len(data) >= 2 {
			key, val = "enip.device_type", strconv.Itoa(int(binary.LittleEndian.Uint16(data)))
		}
	case 3:
		if len(data) >= 2 {
			key, val = "enip.product_code", strconv.Itoa(int(binary.LittleEndian.Uint16(data)))
		}
	case 4:
		if len(data) >= 2 {
			id := Identity{RevMajor: data[0], RevMinor: data[1]}
			key, val = "enip.revision", id.Revision()
		}
	case 6:
		if len(data) >= 4 {
			id := Identity{Serial: binary.LittleEndian.Uint32(data)}
			key, val = "enip.serial_number", id.SerialString()
		}
	case 7:
		if len(data) >= 1 && len(data) >= 1+int(data[0]) {
			key, val = "enip.product_name", CleanString(data[1:1+int(data[0])])
		}
	}
	if key != "" && val != "" {
		emitAttr(pkt, dev, key, val, 0.9, emit)
	}
}

func emitAttr(pkt *discovery.PacketInfo, asset discovery.Endpoint, key, val string, conf float32, emit discovery.Emit) {
	o := pkt.Obs(discovery.KindAttribute, asset)
	o.Protocol, o.Key, o.Value, o.Confidence = ProtoENIP, key, val, conf
	emit(o)
}

// emitIdentity reports an identity once per flow (repeats are skipped).
func emitIdentity(id *Identity, dev discovery.Endpoint, pkt *discovery.PacketInfo, st *flowState, emit discovery.Emit) {
	h := uint64(id.VendorID)<<48 ^ uint64(id.ProductCode)<<32 ^ uint64(id.Serial) ^ uint64(id.RevMajor)<<24 ^ uint64(id.RevMinor)<<16 ^ uint64(len(id.ProductName))<<40
	if st.lastID == h+1 {
		return
	}
	st.lastID = h + 1
	const c = 0.95
	emitAttr(pkt, dev, "enip.vendor_id", strconv.Itoa(int(id.VendorID)), c, emit)
	if n := VendorName(id.VendorID); n != "" {
		emitAttr(pkt, dev, "enip.vendor_name", n, 0.9, emit)
	}
	emitAttr(pkt, dev, "enip.device_type", strconv.Itoa(int(id.DeviceType)), c, emit)
	if n := DeviceTypeName(id.DeviceType); n != "" {
		emitAttr(pkt, dev, "enip.device_type_name", n, c, emit)
	}
	emitAttr(pkt, dev, "enip.product_code", strconv.Itoa(int(id.ProductCode)), c, emit)
	emitAttr(pkt, dev, "enip.revision", id.Revision(), c, emit)
	emitAttr(pkt, dev, "enip.serial_number", id.SerialString(), c, emit)
	if name := CleanString(id.ProductName); name != "" {
		emitAttr(pkt, dev, "enip.product_name", name, c, emit)
	}
	if id.Socket.IsValid() && id.Socket.Addr() != netip.IPv4Unspecified() {
		emitAttr(pkt, dev, "enip.socket_address", id.Socket.String(), c, emit)
	}
}

// listIdentityReply reads the identity items of a ListIdentity reply; the
// device is the reply's sender.
func listIdentityReply(body []byte, pkt *discovery.PacketInfo, st *flowState, tr discovery.Transport, items *[]Item, emit discovery.Emit) error {
	var err error
	*items, err = ParseCPF(body, (*items)[:0])
	if err != nil {
		return fmt.Errorf("enip: list identity reply: %w", err)
	}
	for _, it := range *items {
		if it.Type != ItemListIdentity {
			continue
		}
		id, err := ParseListIdentityItem(it.Data)
		if err != nil {
			return err
		}
		emitIdentity(&id, pkt.Src, pkt, st, emit)
	}
	return nil
}

// CleanString copies a wire string for storage (wirestr.Clean: NULs and
// padding trimmed, control characters replaced, capped at 256 bytes).
func CleanString(b []byte) string { return wirestr.Clean(b) }
