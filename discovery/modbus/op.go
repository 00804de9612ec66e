package modbus

import (
	"encoding/binary"

	"github.com/otzone/otzone/discovery"
)

// Names are built once so that classifying a request never allocates.
var (
	umasOpNames [256]string
	diagOpNames = map[DiagSub]string{}
)

func init() {
	for i := range umasOpNames {
		umasOpNames[i] = "umas_" + UMASCode(i).String()
		if _, ok := umasNames[UMASCode(i)]; !ok {
			umasOpNames[i] = "umas_function_" + UMASCode(i).String()[len("umas_"):]
		}
	}
	for k, v := range diagNames {
		diagOpNames[k] = "diagnostics_" + v
	}
}

// umasClass classifies the UMAS sub-functions whose effect is known from
// public research; the rest are "other".
func umasClass(c UMASCode) discovery.OpClass {
	switch c {
	case 0x20, 0x22, 0x24, 0x26, 0x70:
		return discovery.OpRead
	case 0x23, 0x25, 0x71:
		return discovery.OpWrite
	case 0x30, 0x31, 0x32, 0x33, 0x34, 0x35:
		// Strategy (program) transfer in either direction.
		return discovery.OpProgram
	case 0x40, 0x41:
		return discovery.OpControl
	case 0x01, 0x02, 0x03, 0x04, 0x06, 0x39:
		return discovery.OpDiscovery
	case 0x50, 0x58, 0x73:
		return discovery.OpDiagnostic
	}
	return discovery.OpOther
}

// ClassifyRequest names and classifies a request ADU (not an exception).
// The operation code is the function code; the name refines it for FC 8
// sub-functions that change the device's behaviour, FC 43 MEI types and
// UMAS sub-functions.
func ClassifyRequest(a *ADU) discovery.Operation {
	op := discovery.Operation{Code: int(a.Function), Name: a.Function.String(), Class: discovery.OpOther}
	switch a.Function {
	case FCReadCoils, FCReadDiscreteInputs, FCReadHoldingRegisters, FCReadInputRegisters,
		FCReadFileRecord, FCReadFIFOQueue:
		op.Class = discovery.OpRead
	case FCWriteSingleCoil, FCWriteSingleRegister, FCWriteMultipleCoils, FCWriteMultipleRegisters,
		FCWriteFileRecord, FCMaskWriteRegister, FCReadWriteMultipleRegisters:
		op.Class = discovery.OpWrite
	case FCReadExceptionStatus, FCGetCommEventCounter, FCGetCommEventLog, FCReportServerID:
		op.Class = discovery.OpDiagnostic
	case FCDiagnostics:
		op.Class = discovery.OpDiagnostic
		if len(a.Data) >= 2 {
			sub := DiagSub(binary.BigEndian.Uint16(a.Data))
			switch sub {
			case 0x01, 0x04:
				// Restart communications / force listen-only mode take a
				// device off the bus (ATT&CK for ICS T0814).
				op.Class = discovery.OpControl
				op.Name = diagOpNames[sub]
			}
		}
	case FCEncapsulatedInterface:
		if len(a.Data) >= 1 {
			switch a.Data[0] {
			case MEIReadDeviceID:
				op.Name, op.Class = "read_device_identification", discovery.OpDiscovery
			case MEICANopen:
				op.Name = "canopen_general_reference"
			}
		}
	case FCUMAS:
		if _, c, err := ParseUMAS(a.Data); err == nil {
			op.Name, op.Class = umasOpNames[c], umasClass(c)
		}
	}
	return op
}
