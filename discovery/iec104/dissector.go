package iec104

import (
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Port is the IANA port of IEC 60870-5-104.
const Port = 2404

func init() {
	discovery.Register("iec104", func() discovery.Dissector { return New() })
}

// Dissector is the IEC 60870-5-104 stream dissector.
type Dissector struct{}

// New returns an IEC 104 dissector.
func New() *Dissector { return &Dissector{} }

func (*Dissector) Name() string { return "iec104" }

func (*Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: Port}}
}

// Detect confirms the first APDU: start byte, length and a valid I, S or U
// control field; an I-format APDU must carry a known type id and a cause.
func (*Dissector) Detect(data []byte, _ discovery.Direction) discovery.Verdict {
	n, err := PDULen(data)
	if err != nil {
		return discovery.No
	}
	if n == 0 || len(data) < n {
		if len(data) >= HeaderLen && checkControl(data[1], data[2:6]) != nil {
			return discovery.No // the control field is there already and wrong
		}
		return discovery.NeedMore
	}
	a, err := ParseAPCI(data[:n])
	if err != nil {
		return discovery.No
	}
	if a.Format == FormatI {
		h, err := ParseASDU(a.ASDU)
		if err != nil || !h.Type.Known() || h.Cause == 0 || h.Count == 0 {
			return discovery.No
		}
		// Each object needs at least its 3-octet address and one octet
		// (SQ=1: one address, then at least one octet per object).
		need := 6 + 4*int(h.Count)
		if h.Sequence {
			need = 6 + 3 + int(h.Count)
		}
		if len(a.ASDU) < need {
			return discovery.No
		}
	}
	return discovery.Yes
}

// NewStream implements discovery.StreamDissector.
func (*Dissector) NewStream(f *discovery.Flow) discovery.Stream {
	st := &stream{}
	if f != nil {
		f.State = st
	}
	return st
}

// stream is one connection's state: which side controls, what was reported.
type stream struct {
	// swapped: the TCP server is the controlling station (it sent
	// STARTDT act or commands), contrary to the usual set-up.
	swapped  bool
	decided  bool
	reported uint8
	cas      [8]uint16
	ncas     int
}

const (
	repControlling uint8 = 1 << iota
	repControlled
)

func (s *stream) PDULen(data []byte, _ discovery.Direction) (int, error) { return PDULen(data) }

func (s *stream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	a, err := ParseAPCI(pdu)
	if err != nil {
		return err
	}
	fromClient := pkt.Dir == discovery.ToServer
	// Decide who controls from the first unambiguous message.
	if !s.decided {
		switch {
		case a.Format == FormatU && (a.U == StartDTAct || a.U == StopDTAct):
			s.swapped, s.decided = !fromClient, true
		case a.Format == FormatU && (a.U == StartDTCon || a.U == StopDTCon):
			s.swapped, s.decided = fromClient, true
		case a.Format == FormatI:
			if h, err := ParseASDU(a.ASDU); err == nil && h.ControlDirection() {
				s.swapped, s.decided = !fromClient, true
			}
		}
	}
	fromControlling := fromClient != s.swapped
	controlling, controlled := pkt.Src, discovery.Receiver(pkt.Dst)
	if !fromControlling {
		controlling, controlled = discovery.Receiver(pkt.Dst), pkt.Src
	}
	port := uint16(Port)
	if pkt.Flow != nil {
		port = pkt.Flow.ServerPort
	}
	if s.reported&repControlled == 0 {
		s.reported |= repControlled | repControlling
		o := pkt.Obs(discovery.KindService, controlled)
		o.Protocol, o.Transport, o.Port, o.Role = "iec104", "tcp", port, "server"
		emit(o)
		o = pkt.Obs(discovery.KindService, controlling)
		o.Protocol, o.Transport, o.Port, o.Role = "iec104", "tcp", port, "client"
		emit(o)
	}
	if a.Format != FormatI {
		return nil
	}
	h, err := ParseASDU(a.ASDU)
	if err != nil {
		return err
	}
	s.commonAddress(h.CommonAddress, controlled, pkt, emit)
	if fromControlling && h.Type.Class() != "" {
		o := pkt.Obs(discovery.KindOperation, controlling)
		o.Peer, o.Protocol, o.Transport, o.Port = controlled, "iec104", "tcp", port
		o.Op = discovery.Operation{Code: int(h.Type), Name: h.Type.String(), Class: h.Type.Class()}
		emit(o)
	}
	return nil
}

// commonAddress reports a station address once per connection (the
// broadcast address 0xFFFF addresses every station and is skipped).
func (s *stream) commonAddress(ca uint16, controlled discovery.Endpoint, pkt *discovery.PacketInfo, emit discovery.Emit) {
	if ca == 0xffff || ca == 0 {
		return
	}
	for _, c := range s.cas[:s.ncas] {
		if c == ca {
			return
		}
	}
	if s.ncas < len(s.cas) {
		s.cas[s.ncas] = ca
		s.ncas++
	}
	o := pkt.Obs(discovery.KindAttribute, controlled)
	o.Protocol, o.Key, o.Value, o.Confidence = "iec104", "iec104.common_address", strconv.Itoa(int(ca)), 0.9
	emit(o)
}
