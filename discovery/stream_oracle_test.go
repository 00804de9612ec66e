package discovery_test

import (
	"encoding/binary"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

// lenFramer is a minimal length-prefixed framer for one well-known port, to
// check the engine's reassembly and framing on real captures independently
// of the real dissectors.
type lenFramer struct {
	name  string
	port  uint16
	check func(b []byte) bool // Detect: does b start a PDU
	size  func(b []byte) int  // PDU length, 0 = need more
	need  int                 // bytes size needs
}

func (d *lenFramer) Name() string { return d.name }
func (d *lenFramer) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: d.port}}
}
func (d *lenFramer) Detect(b []byte, _ discovery.Direction) discovery.Verdict {
	if len(b) < d.need {
		return discovery.NeedMore
	}
	if d.check(b) {
		return discovery.Yes
	}
	return discovery.No
}
func (d *lenFramer) NewStream(*discovery.Flow) discovery.Stream { return lenStream{d} }

type lenStream struct{ d *lenFramer }

func (s lenStream) PDULen(b []byte, _ discovery.Direction) (int, error) {
	if len(b) < s.d.need {
		return 0, nil
	}
	if !s.d.check(b) {
		return 0, errFakeLen
	}
	return s.d.size(b), nil
}
func (s lenStream) Parse([]byte, *discovery.PacketInfo, discovery.Emit) error { return nil }

func lenFramers() []discovery.Factory {
	return []discovery.Factory{
		// Modbus/TCP MBAP: protocol id 0, length = unit id + PDU.
		func() discovery.Dissector {
			return &lenFramer{"mbtcp", 502, func(b []byte) bool { return b[2] == 0 && b[3] == 0 },
				func(b []byte) int { return 6 + int(binary.BigEndian.Uint16(b[4:])) }, 8}
		},
		// EtherNet/IP encapsulation: 24-byte header, little-endian length.
		func() discovery.Dissector {
			return &lenFramer{"enip", 44818, func(b []byte) bool { return true },
				func(b []byte) int { return 24 + int(binary.LittleEndian.Uint16(b[2:])) }, 24}
		},
		// TPKT (RFC 1006): version 3, big-endian length of the whole packet.
		func() discovery.Dissector {
			return &lenFramer{"tpkt", 102, func(b []byte) bool { return b[0] == 3 && binary.BigEndian.Uint16(b[2:]) >= 7 },
				func(b []byte) int { return int(binary.BigEndian.Uint16(b[2:])) }, 4}
		},
		// DNP3 link layer (IEEE 1815 §9.2): 0x0564, length counts control,
		// addresses and user data; a CRC follows the header and every 16
		// user-data bytes.
		func() discovery.Dissector {
			return &lenFramer{"dnp3", 20000, func(b []byte) bool { return b[0] == 0x05 && b[1] == 0x64 && b[2] >= 5 },
				func(b []byte) int { ud := int(b[2]) - 5; return 10 + ud + 2*((ud+15)/16) }, 3}
		},
		// OPC UA TCP: 3-letter type, chunk flag, little-endian message size.
		func() discovery.Dissector {
			return &lenFramer{"opcua", 4840, func(b []byte) bool {
				return b[0] >= 'A' && b[0] <= 'Z' && b[1] >= 'A' && b[1] <= 'Z' && b[2] >= 'A' && b[2] <= 'Z' &&
					binary.LittleEndian.Uint32(b[4:]) >= 8
			}, func(b []byte) int { return int(binary.LittleEndian.Uint32(b[4:])) }, 8}
		},
	}
}

// TestStreamFramingVsTshark frames the TCP streams of real captures with
// minimal length framers and compares the number of PDUs with Wireshark's:
// `tshark -n -r FILE -Y PROTO -T fields -e FIELD`, one value per PDU
// (several per packet are comma-separated), counted with tshark 4.0.17.
func TestStreamFramingVsTshark(t *testing.T) {
	cases := []struct {
		file  string
		proto string
		field string
		want  uint64
	}{
		{"modbus/modbus_example.pcap", "mbtcp", "mbtcp.trans_id", 48},
		{"enip/enip_cip_example.pcap", "enip", "enip.command", 269},
		{"s7comm/s7comm_plus.pcap", "tpkt", "tpkt.length", 157},
		{"s7comm/s7ident.pcap", "tpkt", "tpkt.length", 24},
		{"s7comm/snap7.pcap", "tpkt", "tpkt.length", 64},
		// tshark counts 171 and 239: it marks frame 30 (server Seq=13304,
		// Len=850) a "spurious retransmission" because the client had
		// already ACKed those bytes (frame 29, Ack=14154), and does not
		// dissect it. The capture never showed those bytes before, so the
		// engine delivers them and completes the PDU begun in frame 27:
		// one PDU more, in frame 30.
		{"opcua/opcua_with-gap.pcap", "opcua", "opcua.transport.type", 171 + 1},
		{"opcua/opcua_with-gap_with-handshake.pcap", "opcua", "opcua.transport.type", 239 + 1},
		{"dnp3/dnp3_example.pcap", "dnp3", "dnp3.start", 834},
		{"opcua/open62541_client-server_mainloop.pcap", "opcua", "opcua.transport.type", 68},
		{"opcua/pending_overflow.pcap", "opcua", "opcua.transport.type", 24},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			set, err := discovery.NewSetOf(lenFramers()...)
			if err != nil {
				t.Fatal(err)
			}
			_, st := runCapture(t, testutil.SharedPcap(t, c.file), set)
			if got := st.PDUs[c.proto]; got != c.want {
				t.Errorf("%s PDUs %d, tshark %d (gaps %d, errors %d, oversize %d)", c.proto, got, c.want, st.TCPGaps, st.DissectorErrors, st.OversizePDUs)
			}
		})
	}
}
