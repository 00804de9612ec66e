package fox

import (
	"strings"

	"github.com/otzone/otzone/discovery"
)

// Port is Niagara Fox's cleartext TCP port.
const Port = 1911

func init() {
	discovery.Register("fox", func() discovery.Dissector { return New() })
}

// Dissector reads Niagara Fox streams.
type Dissector struct{}

// New returns a Fox dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "fox" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Detect implements discovery.StreamDissector: "fox " and a type letter.
func (*Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	if _, err := FrameLen(data); err != nil {
		return discovery.No
	}
	if len(data) < 6 {
		return discovery.NeedMore
	}
	if c := data[4]; c < 'a' || c > 'z' || data[5] != ' ' {
		return discovery.No
	}
	return discovery.Yes
}

// NewStream implements discovery.StreamDissector.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream { return &stream{} }

type stream struct {
	roles bool
	hello [2]bool
}

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return FrameLen(data) }

// helloKeys maps hello fields to attribute keys.
var helloKeys = [][2]string{
	{"station.name", "fox.station_name"}, {"hostName", "fox.host_name"}, {"hostId", "fox.host_id"},
	{"brandId", "fox.brand_id"}, {"app.name", "fox.app_name"}, {"app.version", "fox.app_version"},
	{"vm.name", "fox.vm_name"}, {"vm.version", "fox.vm_version"}, {"os.name", "fox.os_name"},
	{"os.version", "fox.os_version"}, {"fox.version", "fox.version"}, {"timeZone", "fox.time_zone"},
}

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	f, err := ParseFrame(pdu)
	if err != nil {
		return err
	}
	client, server := pkt.Src, discovery.Receiver(pkt.Dst)
	if pkt.Dir == discovery.ToClient {
		client, server = discovery.Receiver(pkt.Dst), pkt.Src
	}
	port := uint16(Port)
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	if !s.roles {
		s.roles = true
		discovery.EmitServiceRoles(emit, pkt, "fox", "tcp", port, server, client)
	}
	hello := f.Channel == "fox" && f.Command == "hello"
	if hello && !s.hello[pkt.Dir] {
		s.hello[pkt.Dir] = true
		for _, k := range helloKeys {
			if v := f.Get(k[0]); v != "" {
				o := pkt.Obs(discovery.KindAttribute, pkt.Src)
				o.Protocol, o.Key, o.Value, o.Confidence = "fox", k[1], v, 0.9
				emit(o)
			}
		}
	}
	if pkt.Dir != discovery.ToServer {
		return nil
	}
	o := pkt.Obs(discovery.KindOperation, client)
	o.Peer, o.Protocol, o.Transport, o.Port = server, "fox", "tcp", port
	if hello {
		o.Op = discovery.Operation{Name: "fox_hello", Class: discovery.OpDiscovery}
	} else {
		o.Op = discovery.Operation{Name: opName(f.Channel, f.Command), Class: discovery.OpOther}
	}
	emit(o)
	return nil
}

// opName makes channel_command snake_case from wire names.
func opName(channel, command string) string {
	var b strings.Builder
	for _, c := range channel + "_" + command {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
		}
		if b.Len() >= 48 {
			break
		}
	}
	return b.String()
}
