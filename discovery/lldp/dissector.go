package lldp

import (
	"encoding/hex"
	"hash/maphash"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/recent"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// EtherType is LLDP's EtherType.
const EtherType = 0x88cc

const (
	confidence = 0.9
	// reemit is how long an unchanged LLDPDU from one source stays quiet.
	reemit = 10 * time.Minute
	// maxSources bounds the dedup table; it is cleared when full.
	maxSources = 4096
)

func init() {
	discovery.Register("lldp", func() discovery.Dissector { return New() })
}

// Dissector is the LLDP frame dissector. Not safe for concurrent use: each
// engine makes its own.
type Dissector struct {
	du      LLDPDU
	sources *recent.Table[discovery.MAC]
	// seed keys the hash of an LLDPDU that tells a changed one from a
	// repeat (maphash: LLDPDUs run to hundreds of octets, which FNV
	// hashes an octet at a time).
	seed maphash.Seed
}

// New returns an LLDP dissector.
func New() *Dissector {
	return &Dissector{sources: recent.New[discovery.MAC](maxSources, reemit), seed: maphash.MakeSeed()}
}

func (d *Dissector) Name() string            { return "lldp" }
func (d *Dissector) Ports() []discovery.Port { return nil }
func (d *Dissector) Frames() []discovery.FrameMatch {
	return []discovery.FrameMatch{{EtherType: EtherType}}
}

// Frame parses one LLDPDU and emits the sender's facts.
func (d *Dissector) Frame(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	if err := Parse(data, &d.du); err != nil {
		return err
	}
	src := pkt.Src
	if !src.MAC.IsUnicast() {
		return nil
	}
	if !d.sources.Fresh(src.MAC, maphash.Bytes(d.seed, data), pkt.Time) {
		return nil
	}

	asset := discovery.Endpoint{MAC: src.MAC}
	o := pkt.Obs(discovery.KindService, asset)
	o.Protocol, o.Transport, o.Role = "lldp", "eth", "publisher"
	emit(o)

	attr := func(key, value string) {
		if value == "" {
			return
		}
		a := pkt.Obs(discovery.KindAttribute, asset)
		a.Protocol, a.Transport = "lldp", "eth"
		a.Key, a.Value, a.Confidence = key, value, confidence
		emit(a)
	}
	du := &d.du
	if s, ok := FormatChassisID(du.ChassisSubtype, du.ChassisID); ok {
		attr("lldp.chassis_id", s)
	} else {
		attr("lldp.chassis_id", text(du.ChassisID))
	}
	if s, ok := FormatPortID(du.PortSubtype, du.PortID); ok {
		attr("lldp.port_id", s)
	} else {
		attr("lldp.port_id", text(du.PortID))
	}
	attr("lldp.port_description", wirestr.Clean(du.PortDescription))
	attr("lldp.system_name", wirestr.Clean(du.SystemName))
	attr("lldp.system_description", wirestr.Clean(du.SystemDescription))
	if du.HasCapabilities {
		attr("lldp.capabilities", du.EnabledCapabilities.String())
	}
	for _, a := range du.MgmtAddrs[:du.NumMgmtAddrs] {
		if a.IsUnspecified() {
			continue
		}
		attr("lldp.management_ip", a.String())
	}
	if du.HasProfinetChassis {
		attr("lldp.chassis_mac", discovery.MAC(du.ProfinetChassisMAC).String())
	}
	if m := &du.MED; m.HasCapabilities {
		attr("lldp.med_device_class", m.Class.String())
	}
	for _, f := range []struct {
		key string
		v   []byte
	}{
		{"lldp.hardware_revision", du.MED.HardwareRev}, {"lldp.firmware_revision", du.MED.FirmwareRev},
		{"lldp.software_revision", du.MED.SoftwareRev}, {"lldp.serial_number", du.MED.SerialNumber},
		{"lldp.manufacturer", du.MED.Manufacturer}, {"lldp.model", du.MED.Model}, {"lldp.asset_id", du.MED.AssetID},
	} {
		attr(f.key, wirestr.Clean(f.v))
	}
	return nil
}

// text renders an id that should be text; binary ids become hex.
func text(b []byte) string {
	if wirestr.Printable(b) {
		return wirestr.Clean(b)
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return hex.EncodeToString(b)
}
