package cdp

import (
	"bytes"
	"strconv"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// SNAP identifiers of CDP.
const (
	OUI = 0x00000c
	PID = 0x2000
)

const (
	confidence = 0.9
	reemit     = 10 * time.Minute
	maxSources = 4096
)

func init() {
	discovery.Register("cdp", func() discovery.Dissector { return New() })
}

type seen struct {
	hash uint64
	at   time.Time
}

// Dissector is the CDP frame dissector.
type Dissector struct {
	p       Packet
	sources map[discovery.MAC]seen
}

// New returns a CDP dissector.
func New() *Dissector { return &Dissector{sources: map[discovery.MAC]seen{}} }

func (d *Dissector) Name() string            { return "cdp" }
func (d *Dissector) Ports() []discovery.Port { return nil }
func (d *Dissector) Frames() []discovery.FrameMatch {
	return []discovery.FrameMatch{{SNAPOUI: OUI, SNAPPID: PID}}
}

// Frame parses one CDP packet and emits the sender's facts.
func (d *Dissector) Frame(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	if err := Parse(data, &d.p); err != nil {
		return err
	}
	src := pkt.Src
	if !src.MAC.IsUnicast() {
		return nil
	}
	// Skip the checksum bytes so an unchanged announcement hashes the same.
	sum := fnv64(data[:2]) ^ fnv64(data[4:])
	if s, ok := d.sources[src.MAC]; ok && s.hash == sum && pkt.Time.Sub(s.at) < reemit && !pkt.Time.Before(s.at) {
		return nil
	}
	if len(d.sources) >= maxSources {
		clear(d.sources)
	}
	d.sources[src.MAC] = seen{sum, pkt.Time}

	asset := discovery.Endpoint{MAC: src.MAC}
	o := pkt.Obs(discovery.KindService, asset)
	o.Protocol, o.Transport, o.Role = "cdp", "eth", "publisher"
	emit(o)
	attr := func(key, value string) {
		if value == "" {
			return
		}
		a := pkt.Obs(discovery.KindAttribute, asset)
		a.Protocol, a.Transport = "cdp", "eth"
		a.Key, a.Value, a.Confidence = key, value, confidence
		emit(a)
	}
	p := &d.p
	attr("cdp.device_id", wirestr.Clean(p.DeviceID))
	attr("cdp.port_id", wirestr.Clean(p.PortID))
	attr("cdp.platform", wirestr.Clean(p.Platform))
	sv := p.SoftwareVersion
	if i := bytes.IndexAny(sv, "\r\n"); i >= 0 {
		sv = sv[:i]
	}
	attr("cdp.software_version", wirestr.Clean(sv))
	for _, a := range p.Addresses.Slice() {
		attr("cdp.addresses", a.String())
	}
	for _, a := range p.MgmtAddresses.Slice() {
		attr("cdp.management_ip", a.String())
	}
	if p.HasCapabilities {
		attr("cdp.capabilities", p.Capabilities.String())
	}
	if p.HasNativeVLAN {
		attr("cdp.native_vlan", strconv.Itoa(int(p.NativeVLAN)))
	}
	attr("cdp.vtp_domain", wirestr.Clean(p.VTPDomain))
	return nil
}

func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
