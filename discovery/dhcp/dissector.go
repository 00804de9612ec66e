package dhcp

import (
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/recent"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

const (
	// ServerPort is the BOOTP/DHCP server port; clients use 68.
	ServerPort = 67
	reemit     = 10 * time.Minute
	maxClients = 4096
)

func init() {
	discovery.Register("dhcp", func() discovery.Dissector { return New() })
}

// Dissector is the DHCPv4 datagram dissector.
type Dissector struct {
	msg     Message
	clients *recent.Table[discovery.MAC]
}

// New returns a DHCP dissector.
func New() *Dissector { return &Dissector{clients: recent.New[discovery.MAC](maxClients, reemit)} }

func (d *Dissector) Name() string { return "dhcp" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: ServerPort}}
}

// Detect confirms BOOTP by the magic cookie and a sane op/hlen.
func (d *Dissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	if len(data) < hdrLen+4 {
		return discovery.No
	}
	if (data[0] != 1 && data[0] != 2) || data[2] > 16 || data[236] != 0x63 || data[237] != 0x82 || data[238] != 0x53 || data[239] != 0x63 {
		return discovery.No
	}
	return discovery.Yes
}

// Datagram parses one message and emits client or server facts.
func (d *Dissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	m := &d.msg
	if err := Parse(data, m); err != nil {
		return err
	}
	base := func(kind discovery.Kind, e discovery.Endpoint) discovery.Observation {
		o := pkt.Obs(kind, e)
		o.Protocol, o.Transport, o.Port = "dhcp", "udp", ServerPort
		return o
	}
	if m.Op == BootReply {
		if src := pkt.Src; src.IP.IsValid() && !src.IP.IsUnspecified() {
			o := base(discovery.KindService, src)
			o.Role = "server"
			emit(o)
			if m.ServerID.IsValid() && !m.ServerID.IsUnspecified() && (m.Type == Offer || m.Type == Ack || m.Type == Nak) {
				a := base(discovery.KindAttribute, src)
				a.Key, a.Value, a.Confidence = "dhcp.server_id", m.ServerID.String(), 0.9
				emit(a)
			}
		}
	}
	hw, ok := m.MAC()
	mac := discovery.MAC(hw)
	if !ok || !mac.IsUnicast() {
		return nil
	}
	if m.Op == BootReply && m.Type != Ack {
		return nil
	}
	// Dedup per client on what would be emitted.
	sum := fnv64(uint64(m.Op)<<8|uint64(m.Type), m.HostName, m.VendorClass, m.FQDN, m.RequestedIP.AsSlice(), m.YIAddr.AsSlice())
	if !d.clients.Fresh(mac, sum, pkt.Time) {
		return nil
	}

	client := discovery.Endpoint{MAC: mac}
	attr := func(e discovery.Endpoint, key, value string, conf float32) {
		if value == "" {
			return
		}
		a := base(discovery.KindAttribute, e)
		a.Key, a.Value, a.Confidence = key, value, conf
		emit(a)
	}
	if m.Op == BootReply { // DHCPACK
		if m.YIAddr.IsUnspecified() {
			return nil // ACK to an INFORM: no lease
		}
		bound := discovery.Endpoint{MAC: mac, IP: m.YIAddr}
		emit(pkt.Obs(discovery.KindHost, bound))
		attr(bound, "dhcp.assigned_ip", m.YIAddr.String(), 0.95)
		return nil
	}
	if m.Op != BootRequest {
		return nil
	}
	o := base(discovery.KindService, client)
	if m.CIAddr.IsValid() && !m.CIAddr.IsUnspecified() && pkt.Src.IP == m.CIAddr {
		o.Asset.IP = m.CIAddr // renewing client that sends from its own address
	}
	o.Role = "client"
	emit(o)
	attr(client, "dhcp.hostname", wirestr.Clean(m.HostName), 0.9)
	if m.FQDN != nil {
		attr(client, "dhcp.hostname", wirestr.Clean(m.FQDNName()), 0.9)
	}
	attr(client, "dhcp.vendor_class", wirestr.Clean(m.VendorClass), 0.9)
	if m.RequestedIP.IsValid() && !m.RequestedIP.IsUnspecified() {
		attr(client, "dhcp.requested_ip", m.RequestedIP.String(), 0.7)
	}
	return nil
}

func fnv64(seed uint64, parts ...[]byte) uint64 {
	h := uint64(14695981039346656037) ^ seed
	for _, p := range parts {
		for _, c := range p {
			h ^= uint64(c)
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	return h
}
