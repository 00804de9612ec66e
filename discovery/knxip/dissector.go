package knxip

import (
	"net"

	"github.com/otzone/otzone/discovery"
)

// Port is KNXnet/IP's UDP port.
const Port = 3671

func init() {
	discovery.Register("knxip", func() discovery.Dissector { return New() })
}

// Dissector reads KNXnet/IP datagrams.
type Dissector struct{}

// New returns a KNXnet/IP dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "knxip" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: Port}}
}

// Detect implements discovery.DatagramDissector.
func (*Dissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	h, err := ParseHeader(data)
	if err != nil || int(h.TotalLength) != len(data) || !h.Service.Known() {
		return discovery.No
	}
	return discovery.Yes
}

// flowState remembers which roles and facts a flow reported (bounded).
type flowState struct {
	roles  uint8
	dib    bool
	secure bool
}

func state(f *discovery.Flow) *flowState {
	return discovery.StateOf[flowState](f, nil)
}

// Datagram implements discovery.DatagramDissector.
func (*Dissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	h, err := ParseHeader(data)
	if err != nil {
		return err
	}
	st := state(pkt.Flow)
	src, dst := pkt.Src, discovery.Receiver(pkt.Dst)
	dstUnicast := unicast(pkt.Dst)
	role := func(bit uint8, ep discovery.Endpoint, r string) {
		if st.roles&bit != 0 {
			return
		}
		st.roles |= bit
		o := pkt.Obs(discovery.KindService, ep)
		o.Protocol, o.Transport, o.Port, o.Role = "knxip", "udp", Port, r
		emit(o)
	}
	op := func(code int, name string, class discovery.OpClass) {
		if !dstUnicast {
			return
		}
		o := pkt.Obs(discovery.KindOperation, src)
		o.Peer, o.Protocol, o.Transport, o.Port = dst, "knxip", "udp", Port
		o.Op = discovery.Operation{Code: code, Name: name, Class: class}
		emit(o)
	}
	if h.Service.Secure() && !st.secure {
		st.secure = true
		client, server := src, dst
		if pkt.Dir == discovery.ToClient {
			client, server = dst, src
		}
		o := pkt.Obs(discovery.KindCommAttribute, client)
		o.Peer, o.Protocol, o.Transport, o.Port = server, "knxip", "udp", Port
		o.Key, o.Value, o.Confidence = "knxip.secure", "true", 0.9
		emit(o)
	}
	switch h.Service {
	case SearchRequest, SearchRequestExt, DescriptionRequest:
		role(1, src, "client")
		op(0x1000|int(h.Service), h.Service.String(), discovery.OpDiscovery)
	case ConnectRequest, DisconnectRequest:
		role(1, src, "client")
		if dstUnicast {
			role(2, dst, "server")
		}
		op(0x1000|int(h.Service), h.Service.String(), discovery.OpOther)
	case SearchResponse, SearchResponseExt, DescriptionResponse:
		role(2, src, "server")
		if d, err := DeviceInfoOf(h); err == nil && !st.dib {
			st.dib = true
			attr := func(k, v string) {
				if v == "" {
					return
				}
				o := pkt.Obs(discovery.KindAttribute, src)
				o.Protocol, o.Key, o.Value, o.Confidence = "knxip", k, v, 0.9
				emit(o)
			}
			attr("knxip.friendly_name", d.FriendlyName)
			attr("knxip.individual_address", FormatIndividual(d.IndividualAddress))
			attr("knxip.serial_number", hexString(d.Serial[:]))
			attr("knxip.mac", discovery.MAC(d.MAC).String())
			attr("knxip.medium", d.MediumName())
			attr("knxip.multicast_address", net.IP(d.Multicast[:]).String())
		}
	case ConnectResponse, DisconnectResponse, ConnectionStateResp:
		role(2, src, "server")
	case RoutingIndication:
		role(4, src, "publisher")
	case TunnellingRequest, DeviceConfigRequest:
		// Connection header (length 4, channel, sequence, reserved), then cEMI.
		if len(h.Body) < 4 || int(h.Body[0]) > len(h.Body) {
			return nil
		}
		c, err := ParseCEMI(h.Body[h.Body[0]:])
		if err != nil {
			return nil
		}
		switch {
		case c.MessageCode == 0x11 && c.HasAPCI: // L_Data.req: from the client
			role(1, src, "client")
			name, class := APCIName(c.APCI)
			op(int(c.APCI), name, class)
		case c.MessageCode == 0xf6: // M_PropWrite.req
			role(1, src, "client")
			op(0x10f6, "prop_write", discovery.OpConfig)
		case c.MessageCode == 0xfc: // M_PropRead.req
			role(1, src, "client")
			op(0x10fc, "prop_read", discovery.OpRead)
		case c.MessageCode == 0xf1: // M_Reset.req
			role(1, src, "client")
			op(0x10f1, "reset", discovery.OpControl)
		}
	}
	return nil
}

func hexString(b []byte) string {
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, v := range b {
		out = append(out, hexd[v>>4], hexd[v&0xf])
	}
	return string(out)
}

func unicast(e discovery.Endpoint) bool {
	if !e.MAC.IsZero() && !e.MAC.IsUnicast() {
		return false
	}
	ip := e.IP
	return ip.IsValid() && !ip.IsMulticast() && !(ip.Is4() && ip.As4() == [4]byte{255, 255, 255, 255})
}
