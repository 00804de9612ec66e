package ptp

import (
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// EtherType is PTP's EtherType (IEEE 1588 Annex F).
const EtherType = 0x88f7

// UDP ports (IEEE 1588 Annex D): event and general messages.
const (
	PortEvent   = 319
	PortGeneral = 320
)

func init() {
	discovery.Register("ptp", func() discovery.Dissector { return New() })
}

// maxSeen bounds the de-duplication memory; when full it is cleared.
const maxSeen = 4096

// Dissector reads PTPv2 from Ethernet frames and UDP datagrams.
type Dissector struct {
	seen map[seenKey]struct{}
}

type seenKey struct {
	ep         discovery.Endpoint
	transport  string
	key, value string
}

// New returns a PTP dissector.
func New() *Dissector { return &Dissector{seen: map[seenKey]struct{}{}} }

func (*Dissector) Name() string { return "ptp" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: PortEvent}, {Transport: discovery.UDP, Number: PortGeneral}}
}

func (*Dissector) Frames() []discovery.FrameMatch {
	return []discovery.FrameMatch{{EtherType: EtherType}}
}

// Detect implements discovery.DatagramDissector.
func (*Dissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	if _, err := Parse(data); err != nil {
		return discovery.No
	}
	return discovery.Yes
}

// Datagram implements discovery.DatagramDissector.
func (d *Dissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	port := pkt.DstPort
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	return d.message(data, pkt.Src, discovery.Receiver(pkt.Dst), "udp", port, pkt, emit)
}

// Frame implements discovery.FrameDissector.
func (d *Dissector) Frame(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	src := discovery.Endpoint{MAC: pkt.Src.MAC}
	dst := discovery.Endpoint{MAC: pkt.Dst.MAC}
	return d.message(data, src, dst, "eth", 0, pkt, emit)
}

func (d *Dissector) once(k seenKey) bool {
	if _, ok := d.seen[k]; ok {
		return false
	}
	if len(d.seen) >= maxSeen {
		clear(d.seen)
	}
	d.seen[k] = struct{}{}
	return true
}

func (d *Dissector) message(b []byte, src, dst discovery.Endpoint, transport string, port uint16, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	m, err := Parse(b)
	if err != nil {
		return err
	}
	role := ""
	switch m.Type {
	case Sync, FollowUp, Announce, DelayResp:
		role = "master"
	case DelayReq:
		role = "slave"
	}
	if role != "" && d.once(seenKey{ep: src, transport: transport, key: "role", value: role}) {
		o := pkt.Obs(discovery.KindService, src)
		o.Protocol, o.Transport, o.Port, o.Role = "ptp", transport, port, role
		emit(o)
	}
	attr := func(key, value string) {
		if !d.once(seenKey{ep: src, key: key, value: value}) {
			return
		}
		o := pkt.Obs(discovery.KindAttribute, src)
		o.Protocol, o.Key, o.Value, o.Confidence = "ptp", key, value, 0.9
		emit(o)
	}
	attr("ptp.clock_identity", m.ClockIdentity.String())
	attr("ptp.domain", strconv.Itoa(int(m.Domain)))
	if a := m.Announce; a != nil {
		attr("ptp.grandmaster_identity", a.GrandmasterIdentity.String())
		attr("ptp.grandmaster_priority1", strconv.Itoa(int(a.Priority1)))
		attr("ptp.grandmaster_priority2", strconv.Itoa(int(a.Priority2)))
		attr("ptp.grandmaster_clock_class", strconv.Itoa(int(a.ClockClass)))
		attr("ptp.time_source", a.TimeSource.String())
		attr("ptp.steps_removed", strconv.Itoa(int(a.StepsRemoved)))
		if a.GrandmasterIdentity == m.ClockIdentity && a.StepsRemoved == 0 {
			attr("ptp.grandmaster", "true")
		}
	}
	if m.HasAction && (dst.MAC.IsUnicast() || transport == "udp" && dst.IP.IsValid() && !dst.IP.IsMulticast()) {
		name, class := "", discovery.OpClass("")
		switch m.Action {
		case 0:
			name, class = "management_get", discovery.OpRead
		case 1:
			name, class = "management_set", discovery.OpConfig
		case 3:
			name, class = "management_command", discovery.OpControl
		}
		if class != "" {
			o := pkt.Obs(discovery.KindOperation, src)
			o.Peer, o.Protocol, o.Transport, o.Port = dst, "ptp", transport, port
			o.Op = discovery.Operation{Code: 0x0d00 | int(m.Action), Name: name, Class: class}
			emit(o)
		}
	}
	return nil
}
