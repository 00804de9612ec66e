package modbus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// MBAPLen is the length of the Modbus Application Protocol header:
// transaction id (2), protocol id (2), length (2), unit id (1).
const MBAPLen = 7

// MaxADULen is the largest Modbus/TCP ADU: the 7-byte MBAP header plus a
// 253-byte PDU (Modbus Messaging on TCP/IP Implementation Guide V1.0b, 4.1).
const MaxADULen = 260

// maxLengthField is the largest valid MBAP length field: unit id + 253-byte PDU.
const maxLengthField = 254

// Errors returned by the parsers. A short buffer is never an error: the
// framing functions return 0 ("need more") instead.
var (
	ErrProtocolID = errors.New("modbus: protocol identifier is not 0")
	ErrLength     = errors.New("modbus: MBAP length out of range (2..254)")
	ErrShort      = errors.New("modbus: PDU too short")
)

// FunctionCode is a Modbus function code without the exception bit.
type FunctionCode uint8

// Public function codes (Modbus Application Protocol Specification V1.1b3, 5.1)
// and Schneider Electric's UMAS (FC 90).
const (
	FCReadCoils                  FunctionCode = 1
	FCReadDiscreteInputs         FunctionCode = 2
	FCReadHoldingRegisters       FunctionCode = 3
	FCReadInputRegisters         FunctionCode = 4
	FCWriteSingleCoil            FunctionCode = 5
	FCWriteSingleRegister        FunctionCode = 6
	FCReadExceptionStatus        FunctionCode = 7
	FCDiagnostics                FunctionCode = 8
	FCGetCommEventCounter        FunctionCode = 11
	FCGetCommEventLog            FunctionCode = 12
	FCWriteMultipleCoils         FunctionCode = 15
	FCWriteMultipleRegisters     FunctionCode = 16
	FCReportServerID             FunctionCode = 17
	FCReadFileRecord             FunctionCode = 20
	FCWriteFileRecord            FunctionCode = 21
	FCMaskWriteRegister          FunctionCode = 22
	FCReadWriteMultipleRegisters FunctionCode = 23
	FCReadFIFOQueue              FunctionCode = 24
	FCEncapsulatedInterface      FunctionCode = 43
	FCUMAS                       FunctionCode = 90
)

// The names follow Wireshark's modbus dissector in snake_case (the oracle
// and CONTRACT.md operation names).
var fcNames = map[FunctionCode]string{
	FCReadCoils:                  "read_coils",
	FCReadDiscreteInputs:         "read_discrete_inputs",
	FCReadHoldingRegisters:       "read_holding_registers",
	FCReadInputRegisters:         "read_input_registers",
	FCWriteSingleCoil:            "write_single_coil",
	FCWriteSingleRegister:        "write_single_register",
	FCReadExceptionStatus:        "read_exception_status",
	FCDiagnostics:                "diagnostics",
	FCGetCommEventCounter:        "get_comm_event_counter",
	FCGetCommEventLog:            "get_comm_event_log",
	FCWriteMultipleCoils:         "write_multiple_coils",
	FCWriteMultipleRegisters:     "write_multiple_registers",
	FCReportServerID:             "report_server_id",
	FCReadFileRecord:             "read_file_record",
	FCWriteFileRecord:            "write_file_record",
	FCMaskWriteRegister:          "mask_write_register",
	FCReadWriteMultipleRegisters: "read_write_multiple_registers",
	FCReadFIFOQueue:              "read_fifo_queue",
	FCEncapsulatedInterface:      "encapsulated_interface_transport",
	FCUMAS:                       "umas",
}

// fcStrings is fcNames as an array, so that naming never allocates.
var fcStrings [256]string

func init() {
	for i := range fcStrings {
		if s, ok := fcNames[FunctionCode(i)]; ok {
			fcStrings[i] = s
		} else {
			fcStrings[i] = "function_" + strconv.Itoa(i)
		}
	}
}

func (f FunctionCode) String() string { return fcStrings[f] }

// Known reports whether f is a public function code or UMAS.
func (f FunctionCode) Known() bool { _, ok := fcNames[f]; return ok }

// ExceptionCode is the code carried by an exception response (FC | 0x80).
type ExceptionCode uint8

// Exception codes (Modbus Application Protocol Specification V1.1b3, 7).
const (
	ExIllegalFunction         ExceptionCode = 1
	ExIllegalDataAddress      ExceptionCode = 2
	ExIllegalDataValue        ExceptionCode = 3
	ExServerDeviceFailure     ExceptionCode = 4
	ExAcknowledge             ExceptionCode = 5
	ExServerDeviceBusy        ExceptionCode = 6
	ExMemoryParityError       ExceptionCode = 8
	ExGatewayPathUnavailable  ExceptionCode = 10
	ExGatewayTargetNoResponse ExceptionCode = 11
)

var exNames = map[ExceptionCode]string{
	ExIllegalFunction:         "illegal_function",
	ExIllegalDataAddress:      "illegal_data_address",
	ExIllegalDataValue:        "illegal_data_value",
	ExServerDeviceFailure:     "server_device_failure",
	ExAcknowledge:             "acknowledge",
	ExServerDeviceBusy:        "server_device_busy",
	ExMemoryParityError:       "memory_parity_error",
	ExGatewayPathUnavailable:  "gateway_path_unavailable",
	ExGatewayTargetNoResponse: "gateway_target_device_failed_to_respond",
}

func (e ExceptionCode) String() string {
	if s, ok := exNames[e]; ok {
		return s
	}
	return "exception_" + strconv.Itoa(int(e))
}

// MBAP is the Modbus/TCP header.
type MBAP struct {
	TransactionID uint16
	ProtocolID    uint16
	Length        uint16 // bytes following the length field: unit id + PDU
	UnitID        uint8
}

// ADU is one Modbus/TCP application data unit. PDU data refers to the input
// buffer: copy what must outlive it.
type ADU struct {
	MBAP
	// Function is the function code without the exception bit.
	Function FunctionCode
	// Exception is set on an exception response (function code | 0x80);
	// ExceptionCode is then the code that followed.
	Exception     bool
	ExceptionCode ExceptionCode
	// Data is the PDU after the function code.
	Data []byte
}

// RawFunction returns the function code byte as on the wire (with the
// exception bit on an exception response).
func (a *ADU) RawFunction() byte {
	if a.Exception {
		return byte(a.Function) | 0x80
	}
	return byte(a.Function)
}

// FrameLen returns the length of the ADU at the start of data: 0 when fewer
// than 6 bytes are there to tell, an error when the header cannot be
// Modbus/TCP (protocol id not 0, length field outside 2..254).
func FrameLen(data []byte) (int, error) {
	if len(data) < 6 {
		return 0, nil
	}
	if binary.BigEndian.Uint16(data[2:4]) != 0 {
		return 0, ErrProtocolID
	}
	l := int(binary.BigEndian.Uint16(data[4:6]))
	if l < 2 || l > maxLengthField {
		return 0, fmt.Errorf("%w: %d", ErrLength, l)
	}
	return 6 + l, nil
}

// ParseADU decodes one whole ADU (as framed by FrameLen).
func ParseADU(b []byte) (ADU, error) {
	var a ADU
	n, err := FrameLen(b)
	if err != nil {
		return a, err
	}
	if n == 0 || len(b) < n || len(b) < MBAPLen+1 {
		return a, fmt.Errorf("modbus: ADU truncated: %d bytes", len(b))
	}
	a.TransactionID = binary.BigEndian.Uint16(b[0:2])
	a.ProtocolID = 0
	a.Length = binary.BigEndian.Uint16(b[4:6])
	a.UnitID = b[6]
	fc := b[7]
	a.Function = FunctionCode(fc & 0x7f)
	a.Data = b[8:n]
	if fc&0x80 != 0 {
		a.Exception = true
		if len(a.Data) < 1 {
			return a, fmt.Errorf("modbus: exception response without code: %w", ErrShort)
		}
		a.ExceptionCode = ExceptionCode(a.Data[0])
	}
	if a.Function == 0 {
		return a, fmt.Errorf("modbus: function code 0 is invalid")
	}
	return a, nil
}

// AppendADU appends an MBAP header and pdu (function code first) to dst.
func AppendADU(dst []byte, txid uint16, unit uint8, pdu []byte) []byte {
	var h [MBAPLen]byte
	binary.BigEndian.PutUint16(h[0:2], txid)
	binary.BigEndian.PutUint16(h[4:6], uint16(len(pdu)+1))
	h[6] = unit
	dst = append(dst, h[:]...)
	return append(dst, pdu...)
}

// DiagSub is a Diagnostics (FC 8) sub-function code.
type DiagSub uint16

var diagNames = map[DiagSub]string{
	0x00: "return_query_data",
	0x01: "restart_communications_option",
	0x02: "return_diagnostic_register",
	0x03: "change_ascii_input_delimiter",
	0x04: "force_listen_only_mode",
	0x0a: "clear_counters_and_diagnostic_register",
	0x0b: "return_bus_message_count",
	0x0c: "return_bus_communication_error_count",
	0x0d: "return_bus_exception_error_count",
	0x0e: "return_server_message_count",
	0x0f: "return_server_no_response_count",
	0x10: "return_server_nak_count",
	0x11: "return_server_busy_count",
	0x12: "return_bus_character_overrun_count",
	0x14: "clear_overrun_counter_and_flag",
}

func (d DiagSub) String() string {
	if s, ok := diagNames[d]; ok {
		return s
	}
	return "diagnostic_" + strconv.Itoa(int(d))
}

// UMASCode is a Schneider Electric UMAS function code, the byte after the
// session (pairing) key in an FC 90 PDU. The codes are not published by the
// vendor; this table follows Wireshark's packet-mbtcp.h (4.2+) and public
// research (Liras, "The Secrets of Schneider Electric's UMAS Protocol").
type UMASCode uint8

var umasNames = map[UMASCode]string{
	0x01: "init_comm",
	0x02: "read_id",
	0x03: "read_project_info",
	0x04: "read_plc_info",
	0x06: "read_card_info",
	0x0a: "repeat",
	0x10: "take_plc_reservation",
	0x11: "release_plc_reservation",
	0x12: "keep_alive",
	0x20: "read_memory_block",
	0x22: "read_variables",
	0x23: "write_variables",
	0x24: "read_coils_registers",
	0x25: "write_coils_registers",
	0x26: "data_dictionary",
	0x30: "initialize_upload",
	0x31: "upload_block",
	0x32: "end_strategy_upload",
	0x33: "initialize_download",
	0x34: "download_block",
	0x35: "end_strategy_download",
	0x39: "read_eth_master_data",
	0x40: "start_plc",
	0x41: "stop_plc",
	0x50: "monitor_plc",
	0x58: "check_plc",
	0x70: "read_io_object",
	0x71: "write_io_object",
	0x73: "get_status_module",
	0xfd: "response_error",
	0xfe: "response_ok",
}

func (u UMASCode) String() string {
	if s, ok := umasNames[u]; ok {
		return s
	}
	return "umas_" + strconv.Itoa(int(u))
}

// ParseUMAS returns the session key and UMAS function code of an FC 90 PDU
// body (the ADU's Data).
func ParseUMAS(data []byte) (session uint8, code UMASCode, err error) {
	if len(data) < 2 {
		return 0, 0, fmt.Errorf("modbus: umas: %w", ErrShort)
	}
	return data[0], UMASCode(data[1]), nil
}
