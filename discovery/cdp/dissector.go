package cdp

import (
	"bytes"
	"strconv"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/recent"
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

// Dissector is the CDP frame dissector.
type Dissector struct {
	p       Packet
	sources *recent.Table[discovery.MAC]
}

// New returns a CDP dissector.
func New() *Dissector { return &Dissector{sources: recent.New[discovery.MAC](maxSources, reemit)} }

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
	if !d.sources.Fresh(src.MAC, recent.Hash(data[:2])^recent.Hash(data[4:]), pkt.Time) {
		return nil
	}

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
