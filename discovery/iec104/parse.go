package iec104

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Errors returned by the parsers; callers use errors.Is.
var (
	ErrShort = errors.New("iec104: short APDU")
	ErrStart = errors.New("iec104: no start byte 0x68")
	ErrAPCI  = errors.New("iec104: invalid control field")
)

// Format is the APCI frame format.
type Format uint8

const (
	FormatI Format = iota + 1 // numbered information transfer (carries an ASDU)
	FormatS                   // numbered supervisory (acknowledgement)
	FormatU                   // unnumbered control (STARTDT, STOPDT, TESTFR)
)

func (f Format) String() string {
	switch f {
	case FormatI:
		return "I"
	case FormatS:
		return "S"
	case FormatU:
		return "U"
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// UFunction is the function of a U-format APCI (IEC 60870-5-104 5.3).
type UFunction uint8

const (
	StartDTAct UFunction = 0x07
	StartDTCon UFunction = 0x0b
	StopDTAct  UFunction = 0x13
	StopDTCon  UFunction = 0x23
	TestFRAct  UFunction = 0x43
	TestFRCon  UFunction = 0x83
)

func (u UFunction) String() string {
	switch u {
	case StartDTAct:
		return "startdt_act"
	case StartDTCon:
		return "startdt_con"
	case StopDTAct:
		return "stopdt_act"
	case StopDTCon:
		return "stopdt_con"
	case TestFRAct:
		return "testfr_act"
	case TestFRCon:
		return "testfr_con"
	}
	return "u_" + strconv.Itoa(int(u))
}

// APCI is the application protocol control information.
type APCI struct {
	Length           uint8 // the length octet: bytes after it
	Format           Format
	SendSeq, RecvSeq uint16
	U                UFunction
	// ASDU is the application service data unit of an I-format APDU.
	ASDU []byte
}

// HeaderLen is the start byte, the length and the four control octets.
const HeaderLen = 6

// PDULen returns the APDU length at the start of b: 0 when fewer than 2
// bytes are present, or an error when b does not start an APDU.
func PDULen(b []byte) (int, error) {
	if len(b) < 1 {
		return 0, nil
	}
	if b[0] != 0x68 {
		return 0, fmt.Errorf("%w: %#02x", ErrStart, b[0])
	}
	if len(b) < 2 {
		return 0, nil
	}
	if b[1] < 4 || b[1] > 253 {
		return 0, fmt.Errorf("%w: length %d", ErrAPCI, b[1])
	}
	return int(b[1]) + 2, nil
}

// ParseAPCI decodes one whole APDU.
func ParseAPCI(b []byte) (APCI, error) {
	var a APCI
	n, err := PDULen(b)
	if err != nil {
		return a, err
	}
	if n == 0 || len(b) < n {
		return a, ErrShort
	}
	if err := checkControl(b[1], b[2:6]); err != nil {
		return a, err
	}
	a.Length = b[1]
	c := b[2:6]
	switch {
	case c[0]&0x01 == 0:
		a.Format = FormatI
		a.SendSeq = binary.LittleEndian.Uint16(c[0:2]) >> 1
		a.RecvSeq = binary.LittleEndian.Uint16(c[2:4]) >> 1
		a.ASDU = b[6:n]
	case c[0]&0x03 == 0x01:
		a.Format = FormatS
		a.RecvSeq = binary.LittleEndian.Uint16(c[2:4]) >> 1
	default:
		a.Format = FormatU
		a.U = UFunction(c[0])
	}
	return a, nil
}

// checkControl validates the control field c given the length octet.
func checkControl(length byte, c []byte) error {
	switch {
	case c[0]&0x01 == 0:
		if length <= 4 {
			return fmt.Errorf("%w: I-format without ASDU", ErrAPCI)
		}
	case c[0]&0x03 == 0x01:
		if length != 4 || c[0] != 0x01 || c[1] != 0 {
			return fmt.Errorf("%w: S-format", ErrAPCI)
		}
	default:
		if length != 4 || c[1] != 0 || c[2] != 0 || c[3] != 0 {
			return fmt.Errorf("%w: U-format", ErrAPCI)
		}
		switch UFunction(c[0]) {
		case StartDTAct, StartDTCon, StopDTAct, StopDTCon, TestFRAct, TestFRCon:
		default:
			return fmt.Errorf("%w: U-format function %#02x", ErrAPCI, c[0])
		}
	}
	return nil
}

// TypeID is the ASDU type identification (IEC 60870-5-101/104 7.2.1).
type TypeID uint8

type typeInfo struct {
	mnemonic, name string
	class          discovery.OpClass
}

var types = map[TypeID]typeInfo{
	1: {"M_SP_NA_1", "single_point", ""}, 2: {"M_SP_TA_1", "single_point_time", ""},
	3: {"M_DP_NA_1", "double_point", ""}, 4: {"M_DP_TA_1", "double_point_time", ""},
	5: {"M_ST_NA_1", "step_position", ""}, 6: {"M_ST_TA_1", "step_position_time", ""},
	7: {"M_BO_NA_1", "bitstring", ""}, 8: {"M_BO_TA_1", "bitstring_time", ""},
	9: {"M_ME_NA_1", "measured_normalized", ""}, 10: {"M_ME_TA_1", "measured_normalized_time", ""},
	11: {"M_ME_NB_1", "measured_scaled", ""}, 12: {"M_ME_TB_1", "measured_scaled_time", ""},
	13: {"M_ME_NC_1", "measured_float", ""}, 14: {"M_ME_TC_1", "measured_float_time", ""},
	15: {"M_IT_NA_1", "integrated_totals", ""}, 16: {"M_IT_TA_1", "integrated_totals_time", ""},
	17: {"M_EP_TA_1", "protection_event_time", ""}, 18: {"M_EP_TB_1", "protection_start_events_time", ""},
	19: {"M_EP_TC_1", "protection_output_circuit_time", ""}, 20: {"M_PS_NA_1", "packed_single_point", ""},
	21: {"M_ME_ND_1", "measured_normalized_no_quality", ""},
	30: {"M_SP_TB_1", "single_point_cp56", ""}, 31: {"M_DP_TB_1", "double_point_cp56", ""},
	32: {"M_ST_TB_1", "step_position_cp56", ""}, 33: {"M_BO_TB_1", "bitstring_cp56", ""},
	34: {"M_ME_TD_1", "measured_normalized_cp56", ""}, 35: {"M_ME_TE_1", "measured_scaled_cp56", ""},
	36: {"M_ME_TF_1", "measured_float_cp56", ""}, 37: {"M_IT_TB_1", "integrated_totals_cp56", ""},
	38: {"M_EP_TD_1", "protection_event_cp56", ""}, 39: {"M_EP_TE_1", "protection_start_events_cp56", ""},
	40:  {"M_EP_TF_1", "protection_output_circuit_cp56", ""},
	45:  {"C_SC_NA_1", "single_command", discovery.OpControl},
	46:  {"C_DC_NA_1", "double_command", discovery.OpControl},
	47:  {"C_RC_NA_1", "regulating_step_command", discovery.OpControl},
	48:  {"C_SE_NA_1", "set_point_normalized", discovery.OpControl},
	49:  {"C_SE_NB_1", "set_point_scaled", discovery.OpControl},
	50:  {"C_SE_NC_1", "set_point_float", discovery.OpControl},
	51:  {"C_BO_NA_1", "bitstring_command", discovery.OpControl},
	58:  {"C_SC_TA_1", "single_command_cp56", discovery.OpControl},
	59:  {"C_DC_TA_1", "double_command_cp56", discovery.OpControl},
	60:  {"C_RC_TA_1", "regulating_step_command_cp56", discovery.OpControl},
	61:  {"C_SE_TA_1", "set_point_normalized_cp56", discovery.OpControl},
	62:  {"C_SE_TB_1", "set_point_scaled_cp56", discovery.OpControl},
	63:  {"C_SE_TC_1", "set_point_float_cp56", discovery.OpControl},
	64:  {"C_BO_TA_1", "bitstring_command_cp56", discovery.OpControl},
	70:  {"M_EI_NA_1", "end_of_initialization", ""},
	100: {"C_IC_NA_1", "interrogation", discovery.OpRead},
	101: {"C_CI_NA_1", "counter_interrogation", discovery.OpRead},
	102: {"C_RD_NA_1", "read", discovery.OpRead},
	103: {"C_CS_NA_1", "clock_synchronization", discovery.OpDiagnostic},
	104: {"C_TS_NA_1", "test", discovery.OpDiagnostic},
	105: {"C_RP_NA_1", "reset_process", discovery.OpControl},
	106: {"C_CD_NA_1", "delay_acquisition", discovery.OpDiagnostic},
	107: {"C_TS_TA_1", "test_cp56", discovery.OpDiagnostic},
	110: {"P_ME_NA_1", "parameter_normalized", discovery.OpConfig},
	111: {"P_ME_NB_1", "parameter_scaled", discovery.OpConfig},
	112: {"P_ME_NC_1", "parameter_float", discovery.OpConfig},
	113: {"P_AC_NA_1", "parameter_activation", discovery.OpConfig},
	120: {"F_FR_NA_1", "file_ready", discovery.OpOther},
	121: {"F_SR_NA_1", "section_ready", discovery.OpOther},
	122: {"F_SC_NA_1", "call_file", discovery.OpRead},
	123: {"F_LS_NA_1", "last_section", discovery.OpOther},
	124: {"F_AF_NA_1", "ack_file", discovery.OpOther},
	125: {"F_SG_NA_1", "segment", discovery.OpOther},
	126: {"F_DR_TA_1", "directory", discovery.OpOther},
	127: {"F_SC_NB_1", "query_log", discovery.OpRead},
}

// String is the snake_case name ("single_command"), or "type_N".
func (t TypeID) String() string {
	if i, ok := types[t]; ok {
		return i.name
	}
	return "type_" + strconv.Itoa(int(t))
}

// Mnemonic is the standard's name ("C_SC_NA_1"), or "".
func (t TypeID) Mnemonic() string { return types[t].mnemonic }

// Known reports whether the standard defines t for 104.
func (t TypeID) Known() bool { _, ok := types[t]; return ok }

// Class is the operation class of a type sent in control direction;
// monitoring types have none ("").
func (t TypeID) Class() discovery.OpClass { return types[t].class }

// Cause is the cause of transmission (6 bits).
type Cause uint8

var causes = map[Cause]string{
	1: "periodic", 2: "background", 3: "spontaneous", 4: "initialized", 5: "request",
	6: "activation", 7: "activation_con", 8: "deactivation", 9: "deactivation_con",
	10: "activation_term", 11: "return_remote", 12: "return_local", 13: "file_transfer",
	20: "interrogated_station", 37: "requested_counter_general",
	44: "unknown_type", 45: "unknown_cause", 46: "unknown_common_address", 47: "unknown_ioa",
}

func (c Cause) String() string {
	if s, ok := causes[c]; ok {
		return s
	}
	if c > 20 && c <= 36 {
		return "interrogated_group_" + strconv.Itoa(int(c)-20)
	}
	if c > 37 && c <= 41 {
		return "requested_counter_group_" + strconv.Itoa(int(c)-37)
	}
	return "cause_" + strconv.Itoa(int(c))
}

// ASDU is the data unit identifier of an ASDU (the objects are not decoded).
type ASDU struct {
	Type       TypeID
	Sequence   bool // SQ: one address, consecutive objects
	Count      uint8
	Cause      Cause
	Negative   bool // P/N: negative confirmation
	Test       bool
	Originator uint8
	// CommonAddress is the station address (2 octets in 104).
	CommonAddress uint16
	// FirstIOA is the first information object address (3 octets), when present.
	FirstIOA uint32
}

// ParseASDU decodes the data unit identifier.
func ParseASDU(b []byte) (ASDU, error) {
	var a ASDU
	if len(b) < 6 {
		return a, fmt.Errorf("asdu: %w", ErrShort)
	}
	a.Type = TypeID(b[0])
	a.Sequence, a.Count = b[1]&0x80 != 0, b[1]&0x7f
	a.Cause, a.Negative, a.Test = Cause(b[2]&0x3f), b[2]&0x40 != 0, b[2]&0x80 != 0
	a.Originator = b[3]
	a.CommonAddress = binary.LittleEndian.Uint16(b[4:6])
	if len(b) >= 9 {
		a.FirstIOA = uint32(b[6]) | uint32(b[7])<<8 | uint32(b[8])<<16
	}
	return a, nil
}

// ControlDirection reports whether the ASDU is sent by the controlling
// station: commands, system and parameter types in activation,
// deactivation or request, which the controlled station only mirrors with
// *_con / *_term causes.
func (a ASDU) ControlDirection() bool {
	if a.Type < 45 || a.Type == 70 {
		return false
	}
	switch a.Cause {
	case 5, 6, 8:
		return true
	case 13: // file transfer: both directions
		return a.Type == 122 || a.Type == 124
	}
	return false
}
