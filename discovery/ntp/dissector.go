package ntp

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/recent"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// Port is NTP's port.
const Port = 123

func init() {
	discovery.Register("ntp", func() discovery.Dissector { return New() })
}

// Dissector reads NTP on UDP 123.
type Dissector struct {
	p Packet
	// recent remembers, per endpoint and fact, what was last reported: most
	// clients poll from a new source port each time, so one flow per poll,
	// and flow state alone would repeat the server's facts every minute.
	recent *recent.Table[recentKey]
}

type recentKey struct {
	ip   netip.Addr
	what uint8 // 0 client role, 1 server role, 2 server facts
}

const (
	reemit    = 10 * time.Minute
	maxRecent = 4096
)

// New returns an NTP dissector.
func New() *Dissector { return &Dissector{recent: recent.New[recentKey](maxRecent, reemit)} }

// fresh reports whether fact what (with content hash h) about ip is new or
// due again, and records it.
func (d *Dissector) fresh(ip netip.Addr, what uint8, h uint64, t time.Time) bool {
	return d.recent.Fresh(recentKey{ip, what}, h, t)
}

func (d *Dissector) Name() string { return "ntp" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: Port}}
}

// Detect checks version and the length the mode needs.
func (d *Dissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	var p Packet
	if Parse(data, &p) != nil {
		return discovery.No
	}
	return discovery.Yes
}

// endpointState is what one side of a flow has reported.
type endpointState struct {
	client, server bool
	stratum        uint8
	refID          [4]byte
	version        uint8
	attrs          bool
}

// flowState holds both sides, indexed by direction of the sender.
type flowState struct{ side [2]endpointState }

// Datagram handles one NTP packet.
func (d *Dissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	p := &d.p
	if err := Parse(data, p); err != nil {
		return err
	}
	var es *endpointState
	if pkt.Flow != nil {
		st, _ := pkt.Flow.State.(*flowState)
		if st == nil {
			st = &flowState{}
			pkt.Flow.State = st
		}
		es = &st.side[pkt.Dir]
	} else {
		es = &endpointState{}
	}
	src := pkt.Src
	if !usable(src) {
		return nil
	}
	base := func(kind discovery.Kind, e discovery.Endpoint) discovery.Observation {
		o := pkt.Obs(kind, e)
		o.Protocol, o.Transport, o.Port = "ntp", "udp", Port
		return o
	}
	role := func(r string, done *bool) {
		if *done {
			return
		}
		*done = true
		what := uint8(0)
		if r == "server" {
			what = 1
		}
		if !d.fresh(src.IP, what, 0, pkt.Time) {
			return
		}
		o := base(discovery.KindService, src)
		o.Role = r
		emit(o)
	}
	switch p.Mode {
	case ModeClient:
		role("client", &es.client)
	case ModeServer, ModeBroadcast, ModeSymmetricActive, ModeSymmetricPassive:
		role("server", &es.server)
		h := uint64(p.Stratum)<<40 | uint64(p.Version)<<32 | uint64(p.RefID[0])<<24 | uint64(p.RefID[1])<<16 | uint64(p.RefID[2])<<8 | uint64(p.RefID[3])
		if (!es.attrs || es.stratum != p.Stratum || es.refID != p.RefID || es.version != p.Version) && d.fresh(src.IP, 2, h, pkt.Time) {
			es.attrs, es.stratum, es.refID, es.version = true, p.Stratum, p.RefID, p.Version
			attr := func(key, value string) {
				if value == "" {
					return
				}
				o := base(discovery.KindAttribute, src)
				o.Key, o.Value, o.Confidence = key, value, 0.9
				emit(o)
			}
			attr("ntp.stratum", strconv.Itoa(int(p.Stratum)))
			attr("ntp.reference_id", refID(p.Stratum, p.RefID))
			attr("ntp.version", strconv.Itoa(int(p.Version)))
		}
	case ModeControl, ModePrivate:
		if p.Response {
			role("server", &es.server)
			return nil
		}
		role("client", &es.client)
		op := discovery.Operation{Code: int(p.ControlOp), Name: p.ControlOp.String(), Class: discovery.OpDiagnostic}
		if p.Mode == ModeControl {
			switch p.ControlOp {
			case 3, 5, 6, 8, 9, 31:
				op.Class = discovery.OpConfig
			}
		} else {
			op = discovery.Operation{Code: int(p.RequestCode), Name: "private_request", Class: discovery.OpDiagnostic}
			if p.RequestCode == 42 {
				op.Name = "monlist"
			}
		}
		o := base(discovery.KindOperation, src)
		o.Peer, o.Op = pkt.Dst, op
		emit(o)
	}
	return nil
}

// refID renders a reference id: a clock code for stratum 0/1, else an IPv4 address.
func refID(stratum uint8, id [4]byte) string {
	if id == [4]byte{} {
		return ""
	}
	if stratum <= 1 {
		n := 4
		for n > 0 && id[n-1] == 0 {
			n--
		}
		if !wirestr.Printable(id[:n]) {
			return ""
		}
		return wirestr.Clean(id[:n])
	}
	return netip.AddrFrom4(id).String()
}

func usable(e discovery.Endpoint) bool {
	return e.IP.IsValid() && (e.IP.IsGlobalUnicast() || e.IP.IsLinkLocalUnicast() || e.IP.IsLoopback())
}
