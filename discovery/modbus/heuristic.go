package modbus

import (
	"encoding/binary"

	"github.com/otzone/otzone/discovery"
)

// Heuristic implements discovery.Heuristic: Modbus/TCP is also found on
// ports other than 502 (gateways and HMIs on 503 or 5020, simulators,
// port-forwarded PLCs), by DetectHeuristic.
func (*Dissector) Heuristic() bool { return true }

// DetectHeuristic implements discovery.HeuristicDetector. Off port 502
// an MBAP header alone is too weak (any binary protocol may start with
// two zero octets at offset 2), so it asks for a whole client request of
// a public function code whose length field fits that function exactly
// (Modbus Application Protocol V1.1b3 §6), with the next ADU, if any bytes
// of it are there, starting with protocol id 0 too. A flow seen from the
// server's side first, or only mid-way, is not claimed.
func (*Dissector) DetectHeuristic(data []byte, dir discovery.Direction) discovery.Verdict {
	if dir != discovery.ToServer {
		return discovery.No
	}
	if len(data) < MBAPLen+1 {
		return discovery.NeedMore
	}
	n, err := FrameLen(data)
	if err != nil {
		return discovery.No
	}
	if len(data) < n {
		return discovery.NeedMore
	}
	if !requestFits(data[MBAPLen-1 : n]) {
		return discovery.No
	}
	if rest := data[n:]; len(rest) >= 4 && binary.BigEndian.Uint16(rest[2:4]) != 0 {
		return discovery.No
	}
	return discovery.Yes
}

// requestFits reports whether pdu (unit id, function code, data) is a
// well-formed request of a public function code.
func requestFits(pdu []byte) bool {
	if len(pdu) < 2 {
		return false
	}
	fc, d := FunctionCode(pdu[1]), pdu[2:]
	u16 := func(i int) int { return int(binary.BigEndian.Uint16(d[i:])) }
	switch fc {
	case FCReadCoils, FCReadDiscreteInputs:
		return len(d) == 4 && u16(2) >= 1 && u16(2) <= 2000
	case FCReadHoldingRegisters, FCReadInputRegisters:
		return len(d) == 4 && u16(2) >= 1 && u16(2) <= 125
	case FCWriteSingleCoil:
		return len(d) == 4 && (u16(2) == 0 || u16(2) == 0xff00)
	case FCWriteSingleRegister:
		return len(d) == 4
	case FCReadExceptionStatus, FCGetCommEventCounter, FCGetCommEventLog, FCReportServerID:
		return len(d) == 0
	case FCDiagnostics:
		return len(d) >= 4 && len(d)%2 == 0 && u16(0) <= 0x14
	case FCWriteMultipleCoils:
		return len(d) >= 6 && u16(2) >= 1 && u16(2) <= 0x7b0 && int(d[4]) == (u16(2)+7)/8 && len(d) == 5+int(d[4])
	case FCWriteMultipleRegisters:
		return len(d) >= 7 && u16(2) >= 1 && u16(2) <= 123 && int(d[4]) == 2*u16(2) && len(d) == 5+int(d[4])
	case FCReadFileRecord, FCWriteFileRecord:
		return len(d) >= 8 && int(d[0]) == len(d)-1 && d[1] == 6
	case FCMaskWriteRegister:
		return len(d) == 6
	case FCReadWriteMultipleRegisters:
		return len(d) >= 11 && u16(2) >= 1 && u16(2) <= 125 && u16(6) >= 1 && u16(6) <= 121 &&
			int(d[8]) == 2*u16(6) && len(d) == 9+int(d[8])
	case FCReadFIFOQueue:
		return len(d) == 2
	case FCEncapsulatedInterface:
		// MEI 14 read device identification (read code 1-4) or 13 CANopen.
		return (len(d) == 3 && d[0] == 14 && d[1] >= 1 && d[1] <= 4) || (len(d) >= 1 && d[0] == 13)
	case FCUMAS:
		return len(d) >= 2 // session key and UMAS function code
	}
	return false
}
