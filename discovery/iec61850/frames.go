package iec61850

import (
	"encoding/binary"
	"fmt"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

func init() {
	discovery.Register("iec61850", func() discovery.Dissector { return New() })
}

// EtherTypes (IEC 61850-8-1 Annex C, 61850-9-2).
const (
	EtherTypeGOOSE = 0x88B8
	EtherTypeSV    = 0x88BA
)

// Protocol names for the layer-2 publishers.
const (
	ProtoGOOSE = "goose"
	ProtoSV    = "sv"
)

// GOOSE is the identity part of a GOOSE message.
type GOOSE struct {
	AppID      uint16
	GocbRef    []byte
	DatSet     []byte
	GoID       []byte
	StNum      uint64
	SqNum      uint64
	Simulation bool
	ConfRev    uint64
}

// header reads the 8-byte APPID/length/reserved header shared by GOOSE
// and SV and returns the APDU.
func header(b []byte) (uint16, []byte, error) {
	if len(b) < 8 {
		return 0, nil, fmt.Errorf("iec61850: header: %w", ErrShort)
	}
	appID := binary.BigEndian.Uint16(b)
	n := int(binary.BigEndian.Uint16(b[2:]))
	if n < 8 || n > len(b) {
		// some senders pad; a length beyond the frame is an error
		if n > len(b) {
			return appID, nil, fmt.Errorf("iec61850: length %d of %d bytes: %w", n, len(b), ErrShort)
		}
		return appID, nil, fmt.Errorf("iec61850: length %d", n)
	}
	return appID, b[8:n], nil
}

// ParseGOOSE decodes a GOOSE frame (the bytes after the EtherType).
func ParseGOOSE(b []byte) (GOOSE, error) {
	var g GOOSE
	appID, apdu, err := header(b)
	g.AppID = appID
	if err != nil {
		return g, fmt.Errorf("iec61850: goose: %w", err)
	}
	t, _, err := readTLV(apdu)
	if err != nil || t.class != 1 || t.tag != 1 {
		return g, fmt.Errorf("iec61850: goose: not a goosePdu: %v", err)
	}
	rest := t.content
	for len(rest) > 0 {
		e, r, err := readTLV(rest)
		if err != nil {
			return g, fmt.Errorf("iec61850: goose field: %w", err)
		}
		rest = r
		if e.class != 2 {
			continue
		}
		switch e.tag {
		case 0:
			g.GocbRef = e.content
		case 2:
			g.DatSet = e.content
		case 3:
			g.GoID = e.content
		case 5:
			g.StNum = uintBE(e.content)
		case 6:
			g.SqNum = uintBE(e.content)
		case 7:
			g.Simulation = len(e.content) == 1 && e.content[0] != 0
		case 8:
			g.ConfRev = uintBE(e.content)
		case 11:
			rest = nil // allData: nothing more for identity
		}
	}
	if g.GocbRef == nil {
		return g, fmt.Errorf("iec61850: goose: no gocbRef")
	}
	return g, nil
}

// SV is the identity part of a Sampled Values frame.
type SV struct {
	AppID uint16
	SvIDs [][]byte
}

const maxASDU = 16

// ParseSV decodes a Sampled Values frame.
func ParseSV(b []byte, ids [][]byte) (SV, error) {
	var s SV
	appID, apdu, err := header(b)
	s.AppID = appID
	if err != nil {
		return s, fmt.Errorf("iec61850: sv: %w", err)
	}
	t, _, err := readTLV(apdu)
	if err != nil || t.class != 1 || t.tag != 0 {
		return s, fmt.Errorf("iec61850: sv: not a savPdu: %v", err)
	}
	rest := t.content
	for len(rest) > 0 {
		e, r, err := readTLV(rest)
		if err != nil {
			return s, fmt.Errorf("iec61850: sv field: %w", err)
		}
		rest = r
		if e.class != 2 || e.tag != 2 {
			continue
		}
		seq := e.content
		for i := 0; len(seq) > 0 && i < maxASDU; i++ {
			asdu, r, err := readTLV(seq)
			if err != nil {
				return s, fmt.Errorf("iec61850: sv asdu: %w", err)
			}
			seq = r
			f, _, err := readTLV(asdu.content)
			if err == nil && f.class == 2 && f.tag == 0 {
				ids = append(ids, f.content)
			}
		}
	}
	s.SvIDs = ids
	if len(ids) == 0 {
		return s, fmt.Errorf("iec61850: sv: no svID")
	}
	return s, nil
}

// Dissector reads GOOSE and SV frames. It remembers which publisher
// identities it has reported (bounded) so a stream of retransmissions
// yields one set of observations.
type Dissector struct {
	seen map[pubKey]struct{}
	ids  [][]byte
}

type pubKey struct {
	mac   discovery.MAC
	appID uint16
	ether uint16
	ref   uint64 // FNV-1a of gocbRef / svID
}

const maxPublishers = 4096

// New returns the layer-2 dissector.
func New() *Dissector { return &Dissector{seen: map[pubKey]struct{}{}} }

func (*Dissector) Name() string            { return ProtoGOOSE }
func (*Dissector) Ports() []discovery.Port { return nil }

func (*Dissector) Frames() []discovery.FrameMatch {
	return []discovery.FrameMatch{{EtherType: EtherTypeGOOSE}, {EtherType: EtherTypeSV}}
}

// Frame handles one GOOSE or SV frame. The payload does not say which, so
// the APDU tag decides (goosePdu [APPLICATION 1], savPdu [APPLICATION 0]).
func (d *Dissector) Frame(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("iec61850: frame %d: panic: %v", pkt.Evidence.Frame, r)
		}
	}()
	if len(data) < 9 {
		return fmt.Errorf("iec61850: frame of %d bytes: %w", len(data), ErrShort)
	}
	switch data[8] {
	case 0x61:
		g, err := ParseGOOSE(data)
		if err != nil {
			return err
		}
		if !d.first(pkt.Src.MAC, g.AppID, EtherTypeGOOSE, g.GocbRef) {
			return nil
		}
		d.publisher(pkt, ProtoGOOSE, emit)
		d.attr(pkt, ProtoGOOSE, "goose.gocb_ref", g.GocbRef, emit)
		d.attr(pkt, ProtoGOOSE, "goose.go_id", g.GoID, emit)
		d.attr(pkt, ProtoGOOSE, "goose.dat_set", g.DatSet, emit)
	case 0x60:
		s, err := ParseSV(data, d.ids[:0])
		if err != nil {
			return err
		}
		d.ids = s.SvIDs[:0]
		if !d.first(pkt.Src.MAC, s.AppID, EtherTypeSV, s.SvIDs[0]) {
			return nil
		}
		d.publisher(pkt, ProtoSV, emit)
		for _, id := range s.SvIDs {
			d.attr(pkt, ProtoSV, "sv.sv_id", id, emit)
		}
	default:
		return fmt.Errorf("iec61850: unknown APDU tag 0x%02x", data[8])
	}
	return nil
}

func (d *Dissector) first(mac discovery.MAC, appID, ether uint16, ref []byte) bool {
	// FNV-1a of the reference: no allocation per frame
	h := uint64(14695981039346656037)
	for _, c := range ref {
		h ^= uint64(c)
		h *= 1099511628211
	}
	k := pubKey{mac: mac, appID: appID, ether: ether, ref: h}
	if _, ok := d.seen[k]; ok {
		return false
	}
	if len(d.seen) >= maxPublishers {
		clear(d.seen)
	}
	d.seen[k] = struct{}{}
	return true
}

func (d *Dissector) publisher(pkt *discovery.PacketInfo, proto string, emit discovery.Emit) {
	o := pkt.Obs(discovery.KindService, discovery.Endpoint{MAC: pkt.Src.MAC})
	o.Protocol, o.Transport, o.Role = proto, "eth", "publisher"
	emit(o)
}

func (d *Dissector) attr(pkt *discovery.PacketInfo, proto, key string, v []byte, emit discovery.Emit) {
	s := wirestr.Clean(v)
	if s == "" {
		return
	}
	o := pkt.Obs(discovery.KindAttribute, discovery.Endpoint{MAC: pkt.Src.MAC})
	o.Protocol, o.Key, o.Value, o.Confidence = proto, key, s, 0.9
	emit(o)
}
