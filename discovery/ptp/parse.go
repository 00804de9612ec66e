package ptp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// ErrShort means the message is shorter than its header says.
var (
	ErrShort   = errors.New("ptp: short message")
	ErrVersion = errors.New("ptp: not version 2")
	ErrType    = errors.New("ptp: reserved message type")
)

// HeaderLen is the common header's length.
const HeaderLen = 34

// MessageType is the PTP message type (IEEE 1588-2008 table 19).
type MessageType uint8

const (
	Sync               MessageType = 0x0
	DelayReq           MessageType = 0x1
	PdelayReq          MessageType = 0x2
	PdelayResp         MessageType = 0x3
	FollowUp           MessageType = 0x8
	DelayResp          MessageType = 0x9
	PdelayRespFollowUp MessageType = 0xa
	Announce           MessageType = 0xb
	Signaling          MessageType = 0xc
	Management         MessageType = 0xd
)

var typeNames = map[MessageType]string{
	Sync: "sync", DelayReq: "delay_req", PdelayReq: "pdelay_req", PdelayResp: "pdelay_resp",
	FollowUp: "follow_up", DelayResp: "delay_resp", PdelayRespFollowUp: "pdelay_resp_follow_up",
	Announce: "announce", Signaling: "signaling", Management: "management",
}

func (t MessageType) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "type_" + strconv.Itoa(int(t))
}

// ClockIdentity is an EUI-64.
type ClockIdentity [8]byte

// String formats the identity as eight colon-separated hex octets.
func (c ClockIdentity) String() string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, 23)
	for i, v := range c {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexd[v>>4], hexd[v&0xf])
	}
	return string(b)
}

// Header is the common message header.
type Header struct {
	TransportSpecific uint8
	Type              MessageType
	Version           uint8
	Length            uint16
	Domain            uint8
	Flags             uint16
	ClockIdentity     ClockIdentity
	PortNumber        uint16
	Sequence          uint16
}

// AnnounceBody is what an Announce message says about its grandmaster.
type AnnounceBody struct {
	UTCOffset           int16
	Priority1           uint8
	ClockClass          uint8
	ClockAccuracy       uint8
	Variance            uint16
	Priority2           uint8
	GrandmasterIdentity ClockIdentity
	StepsRemoved        uint16
	TimeSource          TimeSource
}

// TimeSource is the grandmaster's time source (IEEE 1588-2008 table 7).
type TimeSource uint8

var sources = map[TimeSource]string{
	0x10: "atomic_clock", 0x20: "gps", 0x30: "terrestrial_radio", 0x40: "ptp",
	0x50: "ntp", 0x60: "hand_set", 0x90: "other", 0xa0: "internal_oscillator",
}

func (t TimeSource) String() string {
	if s, ok := sources[t]; ok {
		return s
	}
	return "0x" + strconv.FormatUint(uint64(t), 16)
}

// Message is a decoded PTP message.
type Message struct {
	Header
	Announce *AnnounceBody
	// Action is the management action (0 GET, 1 SET, 2 RESPONSE, 3
	// COMMAND, 4 ACKNOWLEDGE); HasAction is set for Management messages.
	Action    uint8
	HasAction bool
	// TargetAll is set when a Management message targets all clocks.
	TargetAll bool
}

// Parse decodes one PTPv2 message (b may carry trailing padding).
func Parse(b []byte) (Message, error) {
	var m Message
	if len(b) < HeaderLen {
		return m, fmt.Errorf("%w: %d bytes", ErrShort, len(b))
	}
	h := &m.Header
	h.TransportSpecific, h.Type = b[0]>>4, MessageType(b[0]&0x0f)
	h.Version = b[1] & 0x0f
	if h.Version != 2 {
		return m, fmt.Errorf("%w: version %d", ErrVersion, h.Version)
	}
	if _, ok := typeNames[h.Type]; !ok {
		return m, fmt.Errorf("%w: %d", ErrType, h.Type)
	}
	h.Length = binary.BigEndian.Uint16(b[2:4])
	if h.Length < HeaderLen || int(h.Length) > len(b) {
		return m, fmt.Errorf("%w: length field %d, %d bytes", ErrShort, h.Length, len(b))
	}
	b = b[:h.Length]
	h.Domain = b[4]
	h.Flags = binary.BigEndian.Uint16(b[6:8])
	copy(h.ClockIdentity[:], b[20:28])
	h.PortNumber = binary.BigEndian.Uint16(b[28:30])
	h.Sequence = binary.BigEndian.Uint16(b[30:32])
	body := b[HeaderLen:]
	switch h.Type {
	case Announce:
		if len(body) < 30 {
			return m, fmt.Errorf("ptp: announce: %w", ErrShort)
		}
		a := &AnnounceBody{}
		a.UTCOffset = int16(binary.BigEndian.Uint16(body[10:12]))
		a.Priority1 = body[13]
		a.ClockClass, a.ClockAccuracy = body[14], body[15]
		a.Variance = binary.BigEndian.Uint16(body[16:18])
		a.Priority2 = body[18]
		copy(a.GrandmasterIdentity[:], body[19:27])
		a.StepsRemoved = binary.BigEndian.Uint16(body[27:29])
		a.TimeSource = TimeSource(body[29])
		m.Announce = a
	case Management:
		// targetPortIdentity (10), startingBoundaryHops, boundaryHops, action.
		if len(body) < 13 {
			return m, fmt.Errorf("ptp: management: %w", ErrShort)
		}
		m.HasAction, m.Action = true, body[12]&0x0f
		all := true
		for _, c := range body[:8] {
			all = all && c == 0xff
		}
		m.TargetAll = all
	}
	return m, nil
}
