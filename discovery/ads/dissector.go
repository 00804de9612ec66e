package ads

import (
	"encoding/binary"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Ports: AMS/TCP and the UDP discovery/route service.
const (
	PortTCP = 48898
	PortUDP = 48899
)

func init() {
	discovery.Register("ads", func() discovery.Dissector { return New() })
	discovery.Register("ads_udp", func() discovery.Dissector { return NewUDP() })
}

// Dissector is ADS over AMS/TCP. Go methods cannot be overloaded, so the
// UDP side is UDPDissector, registered as "ads_udp" with the same Name.
type Dissector struct{}

// New returns the AMS/TCP dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "ads" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: PortTCP}}
}

// Detect implements discovery.StreamDissector.
func (*Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	if len(data) < TCPHeaderLen+AMSHeaderLen {
		if len(data) >= 2 && (data[0] != 0 || data[1] != 0) {
			return discovery.No
		}
		return discovery.NeedMore
	}
	l := binary.LittleEndian.Uint32(data[2:6])
	a := data[TCPHeaderLen:]
	cmd := binary.LittleEndian.Uint16(a[16:18])
	flags := binary.LittleEndian.Uint16(a[18:20])
	dl := binary.LittleEndian.Uint32(a[20:24])
	if data[0] != 0 || data[1] != 0 || l < AMSHeaderLen || l > maxFrame || dl != l-AMSHeaderLen || cmd > 9 || flags&0x0004 == 0 {
		return discovery.No
	}
	return discovery.Yes
}

// NewStream implements discovery.StreamDissector.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream { return &stream{st: state(f)} }

type stream struct{ st *flowState }

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return FrameLen(data) }

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	if len(pdu) >= 2 && (pdu[0] != 0 || pdu[1] != 0) {
		return nil // AMS router command: nothing to learn
	}
	f, err := ParseFrame(pdu)
	if err != nil {
		return err
	}
	client, server := pkt.Src, discovery.Receiver(pkt.Dst)
	if pkt.Dir == discovery.ToClient {
		client, server = discovery.Receiver(pkt.Dst), pkt.Src
	}
	st := s.st
	st.roles(client, server, "tcp", PortTCP, pkt, emit)
	port := uint16(PortTCP)
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	if !f.Response() {
		if addr := [3]uint64{netKey(f.Target), uint64(f.TargetPort), netKey(f.Source)}; addr != st.lastAddr {
			st.lastAddr = addr // requests mostly repeat the same addresses: skip the look-ups
			st.attr(server, "ads.ams_net_id", f.Target.String(), pkt, emit)
			st.attr(server, "ads.ams_port", strconv.Itoa(int(f.TargetPort)), pkt, emit)
			st.attr(client, "ads.ams_net_id", f.Source.String(), pkt, emit)
		}
		o := pkt.Obs(discovery.KindOperation, client)
		o.Peer, o.Protocol, o.Transport, o.Port = server, "ads", "tcp", port
		o.Op = f.Operation()
		emit(o)
		return nil
	}
	if f.Command == 1 && f.ErrorCode == 0 {
		if d, err := ParseDeviceInfo(f.Data); err == nil && d.Result == 0 {
			if d.Name != "" {
				st.attr(server, "ads.device_name", d.Name, pkt, emit)
			}
			st.attr(server, "ads.version", d.Version(), pkt, emit)
		}
	}
	return nil
}

// UDPDissector is the TwinCAT UDP discovery and route service.
type UDPDissector struct{}

// NewUDP returns the discovery dissector.
func NewUDP() *UDPDissector { return &UDPDissector{} }

func (*UDPDissector) Name() string { return "ads" }

func (*UDPDissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: PortUDP}}
}

// Detect implements discovery.DatagramDissector.
func (*UDPDissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	if _, err := ParseDiscovery(data); err != nil {
		return discovery.No
	}
	return discovery.Yes
}

// Datagram implements discovery.DatagramDissector.
func (*UDPDissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	m, err := ParseDiscovery(data)
	if err != nil {
		return err
	}
	st := state(pkt.Flow)
	client, server := pkt.Src, discovery.Receiver(pkt.Dst)
	if m.Response() {
		client, server = discovery.Receiver(pkt.Dst), pkt.Src
	}
	if m.Response() {
		st.roles(client, server, "udp", PortUDP, pkt, emit)
		st.attr(server, "ads.ams_net_id", m.NetID.String(), pkt, emit)
		if m.Hostname != "" {
			st.attr(server, "ads.hostname", m.Hostname, pkt, emit)
		}
		if m.Version != "" {
			st.attr(server, "ads.twincat_version", m.Version, pkt, emit)
		}
		return nil
	}
	st.attr(client, "ads.ams_net_id", m.NetID.String(), pkt, emit)
	if !unicast(pkt.Dst) {
		return nil // a broadcast discovery: no peer
	}
	name, class := "discovery", discovery.OpDiscovery
	switch m.Operation {
	case OpGetNetID:
		name, class = "get_ams_net_id", discovery.OpDiscovery
	case OpAddRoute:
		name, class = "add_route", discovery.OpConfig
	case OpDelRoute:
		name, class = "delete_route", discovery.OpConfig
	}
	o := pkt.Obs(discovery.KindOperation, client)
	o.Peer, o.Protocol, o.Transport, o.Port = server, "ads", "udp", PortUDP
	o.Op = discovery.Operation{Code: 0x100 | int(m.Operation&0xff), Name: name, Class: class}
	emit(o)
	if m.Operation == OpAddRoute && m.HasPassword {
		c := pkt.Obs(discovery.KindCommAttribute, client)
		c.Peer, c.Protocol, c.Transport, c.Port = server, "ads", "udp", PortUDP
		c.Key, c.Value, c.Confidence = "ads.route_password_cleartext", "true", 0.95
		emit(c)
	}
	return nil
}

func unicast(e discovery.Endpoint) bool {
	if !e.MAC.IsZero() && !e.MAC.IsUnicast() {
		return false
	}
	ip := e.IP
	return ip.IsValid() && !ip.IsMulticast() && !(ip.Is4() && ip.As4() == [4]byte{255, 255, 255, 255})
}

// flowState remembers what a flow reported; bounded.
type flowState struct {
	reported bool
	lastAddr [3]uint64
	seen     map[[3]string]struct{}
}

func state(f *discovery.Flow) *flowState {
	return discovery.StateOf(f, func() *flowState { return &flowState{seen: map[[3]string]struct{}{}} })
}

func (st *flowState) roles(client, server discovery.Endpoint, transport string, port uint16, pkt *discovery.PacketInfo, emit discovery.Emit) {
	if st.reported {
		return
	}
	st.reported = true
	if pkt.Flow != nil && transport == "tcp" {
		port = pkt.Flow.ServerPort
	}
	discovery.EmitServiceRoles(emit, pkt, "ads", transport, port, server, client)
}

func (st *flowState) attr(ep discovery.Endpoint, key, value string, pkt *discovery.PacketInfo, emit discovery.Emit) {
	k := [3]string{discovery.Receiver(ep).String(), key, value}
	if _, ok := st.seen[k]; ok {
		return
	}
	if len(st.seen) >= 64 {
		clear(st.seen)
	}
	st.seen[k] = struct{}{}
	o := pkt.Obs(discovery.KindAttribute, ep)
	o.Protocol, o.Key, o.Value, o.Confidence = "ads", key, value, 0.9
	emit(o)
}

func netKey(n NetID) uint64 {
	var b [8]byte
	copy(b[:], n[:])
	return binary.LittleEndian.Uint64(b[:]) | 1<<63
}
