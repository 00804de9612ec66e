package probe

import (
	"encoding/binary"
	"fmt"

	"github.com/otzone/otzone/discovery/modbus"
)

// Allowed is the closed list of function codes the probe may send: the
// four reads, Report Server ID and Read Device Identification (FC 43 with
// MEI type 14 only). Nothing that writes, diagnoses (FC 8 can force a
// device into listen-only mode), programs or controls a device is on it.
var Allowed = map[modbus.FunctionCode]bool{
	modbus.FCReadCoils:             true,
	modbus.FCReadDiscreteInputs:    true,
	modbus.FCReadHoldingRegisters:  true,
	modbus.FCReadInputRegisters:    true,
	modbus.FCReportServerID:        true,
	modbus.FCEncapsulatedInterface: true, // MEI 14 only, checked below
}

// Request limits (Modbus Application Protocol Specification V1.1b3, 6.1-6.4).
const (
	MaxBits      = 2000 // FC 1, 2
	MaxRegisters = 125  // FC 3, 4
)

// Request is a checked request PDU. Its bytes are unexported: the only way
// to make one is NewRequest, which enforces the allow-list, and the client
// sends nothing but Requests.
type Request struct {
	pdu  []byte
	what string
}

// PDU returns a copy of the request PDU (function code first).
func (r Request) PDU() []byte { return append([]byte(nil), r.pdu...) }

// Function is the request's function code.
func (r Request) Function() modbus.FunctionCode { return modbus.FunctionCode(r.pdu[0]) }

func (r Request) String() string { return r.what }

// NewRequest checks a PDU against the allow-list and the per-function
// shape and returns it as a Request. It is the one place the probe's safety
// rule lives.
func NewRequest(pdu []byte) (Request, error) {
	if len(pdu) == 0 {
		return Request{}, fmt.Errorf("modbus probe: empty PDU")
	}
	fc := modbus.FunctionCode(pdu[0])
	if pdu[0]&0x80 != 0 || !Allowed[fc] {
		return Request{}, fmt.Errorf("modbus probe: function code %d (%s) is not on the read-only allow-list", pdu[0], fc)
	}
	what := fc.String()
	switch fc {
	case modbus.FCReadCoils, modbus.FCReadDiscreteInputs, modbus.FCReadHoldingRegisters, modbus.FCReadInputRegisters:
		if len(pdu) != 5 {
			return Request{}, fmt.Errorf("modbus probe: %s: PDU of %d bytes, want 5", fc, len(pdu))
		}
		addr, n := int(binary.BigEndian.Uint16(pdu[1:])), int(binary.BigEndian.Uint16(pdu[3:]))
		max := MaxRegisters
		if fc == modbus.FCReadCoils || fc == modbus.FCReadDiscreteInputs {
			max = MaxBits
		}
		if n < 1 || n > max || addr+n > 65536 {
			return Request{}, fmt.Errorf("modbus probe: %s: address %d count %d: count must be 1..%d within 0..65535", fc, addr, n, max)
		}
		what = fmt.Sprintf("%s address=%d count=%d", fc, addr, n)
	case modbus.FCReportServerID:
		if len(pdu) != 1 {
			return Request{}, fmt.Errorf("modbus probe: report_server_id takes no data")
		}
	case modbus.FCEncapsulatedInterface:
		if len(pdu) != 4 {
			return Request{}, fmt.Errorf("modbus probe: FC 43: PDU of %d bytes, want 4", len(pdu))
		}
		r, err := modbus.ParseDeviceIDRequest(pdu[1:])
		if err != nil {
			return Request{}, fmt.Errorf("modbus probe: FC 43: only MEI 14 (read device identification) is allowed: %w", err)
		}
		if r.Code < modbus.DevIDBasic || r.Code > modbus.DevIDIndividual {
			return Request{}, fmt.Errorf("modbus probe: read device id code %d is not 1..4", r.Code)
		}
		what = fmt.Sprintf("read_device_identification %s object=0x%02x", r.Code, uint8(r.ObjectID))
	}
	return Request{pdu: append([]byte(nil), pdu...), what: what}, nil
}

// DeviceID builds a Read Device Identification request with the shared
// encoder of discovery/modbus.
func DeviceID(code modbus.ReadDevIDCode, obj modbus.ObjectID) (Request, error) {
	return NewRequest(modbus.AppendDeviceIDRequest(nil, modbus.DeviceIDRequest{Code: code, ObjectID: obj}))
}

// ReportServerID builds an FC 17 request.
func ReportServerID() (Request, error) {
	return NewRequest([]byte{byte(modbus.FCReportServerID)})
}

// Read builds an FC 1-4 request.
func Read(fc modbus.FunctionCode, addr, count uint16) (Request, error) {
	pdu := []byte{byte(fc), 0, 0, 0, 0}
	binary.BigEndian.PutUint16(pdu[1:], addr)
	binary.BigEndian.PutUint16(pdu[3:], count)
	return NewRequest(pdu)
}
