package s7comm

import (
	"fmt"

	"github.com/otzone/otzone/discovery"
)

type opDef struct {
	name  string
	class discovery.OpClass
}

// jobFunctions are S7comm job (ROSCTR 1) functions. Names follow the
// oracle/Wireshark labels in snake_case. Upload (PLC → client copy of a
// block) is "read": it changes nothing on the PLC, although it is how
// program logic is stolen (ATT&CK for ICS T0845 Program Upload); download
// (client → PLC) is "program".
var jobFunctions = map[uint8]opDef{
	0x00: {"cpu_services", discovery.OpOther},
	0x04: {"read_var", discovery.OpRead},
	0x05: {"write_var", discovery.OpWrite},
	0x1A: {"request_download", discovery.OpProgram},
	0x1B: {"download_block", discovery.OpProgram},
	0x1C: {"download_ended", discovery.OpProgram},
	0x1D: {"start_upload", discovery.OpRead},
	0x1E: {"upload", discovery.OpRead},
	0x1F: {"end_upload", discovery.OpRead},
	0x28: {"plc_control", discovery.OpControl},
	0x29: {"plc_stop", discovery.OpControl},
	0xF0: {"setup_communication", discovery.OpOther},
}

// piClass classifies PLC control (0x28) by its PI service: the ones that
// change the stored program are "program", the rest (run, compress,
// NC services) "control".
func piClass(name string) discovery.OpClass {
	switch name {
	case "_INSE", "_INS2", "_DELE", "_MODU", "_LINK", "_FDEL", "_CREATE", "_N_F_DELE", "_N_F_COPY", "_N_F_PROT":
		return discovery.OpProgram
	}
	return discovery.OpControl
}

// JobOperation classifies a job request's parameter block.
func JobOperation(param []byte) discovery.Operation {
	if len(param) == 0 {
		return discovery.Operation{Code: -1, Name: "empty_job", Class: discovery.OpOther}
	}
	f := param[0]
	d, ok := jobFunctions[f]
	if !ok {
		return discovery.Operation{Code: int(f), Name: fmt.Sprintf("function_0x%02x", f), Class: discovery.OpOther}
	}
	op := discovery.Operation{Code: int(f), Name: d.name, Class: d.class}
	if f == 0x28 {
		if pi, err := PIService(param); err == nil {
			op.Class = piClass(pi)
		}
	}
	return op
}

// Userdata function groups.
const (
	GroupModeTransition = 0x0
	GroupCyclic         = 0x2
	GroupBlock          = 0x3
	GroupCPU            = 0x4
	GroupSecurity       = 0x5
	GroupPBC            = 0x6
	GroupTime           = 0x7
	GroupNC             = 0xF
)

// UserdataOperation classifies a userdata request. Code is group<<8 |
// subfunction (so it never collides with job function codes < 0x100).
func UserdataOperation(u Userdata) discovery.Operation {
	code := int(u.Group)<<8 | int(u.SubFunc)
	name, class := "", discovery.OpOther
	switch u.Group {
	case GroupModeTransition:
		name, class = "mode_transition", discovery.OpDiagnostic
	case GroupCyclic:
		switch u.SubFunc {
		case 1:
			name, class = "cyclic_read", discovery.OpRead
		case 4:
			name = "cyclic_unsubscribe"
		case 5:
			name, class = "cyclic_change_driven", discovery.OpRead
		}
	case GroupBlock:
		switch u.SubFunc {
		case 1:
			name, class = "list_blocks", discovery.OpRead
		case 2:
			name, class = "list_blocks_of_type", discovery.OpRead
		case 3:
			name, class = "get_block_info", discovery.OpRead
		}
	case GroupCPU:
		switch u.SubFunc {
		case 1:
			name, class = "read_szl", discovery.OpDiagnostic
		case 2:
			name, class = "message_service", discovery.OpOther
		case 3:
			name, class = "diagnostic_message", discovery.OpDiagnostic
		default:
			name, class = fmt.Sprintf("cpu_function_0x%02x", u.SubFunc), discovery.OpDiagnostic
		}
	case GroupSecurity:
		// PLC password (1) and clear password (2): access-level changes.
		switch u.SubFunc {
		case 1:
			name, class = "plc_password", discovery.OpConfig
		case 2:
			name, class = "clear_password", discovery.OpConfig
		default:
			name, class = fmt.Sprintf("security_0x%02x", u.SubFunc), discovery.OpConfig
		}
	case GroupPBC:
		name = "programmed_block_communication"
	case GroupTime:
		switch u.SubFunc {
		case 1, 3:
			name, class = "read_clock", discovery.OpRead
		case 2, 4:
			name, class = "set_clock", discovery.OpConfig
		}
	case GroupNC:
		name, class = "nc_programming", discovery.OpProgram
	}
	if name == "" {
		name = fmt.Sprintf("userdata_%x_%02x", u.Group, u.SubFunc)
	}
	return discovery.Operation{Code: code, Name: name, Class: class}
}

type plusDef struct {
	name  string
	class discovery.OpClass
}

// plusFunctions are S7comm-plus function codes as named in the public
// Wireshark plugin by Thomas Wiens (s7commwireshark). Classes are
// conservative: CreateObject/DeleteObject carry both session set-up and
// program changes and cannot be told apart without deep decoding, so they
// are "other"; Invoke calls object methods (e.g. operating-state changes)
// and is "control".
var plusFunctions = map[uint16]plusDef{
	0x04B1: {"error", discovery.OpOther},
	0x04BB: {"explore", discovery.OpRead},
	0x04CA: {"create_object", discovery.OpOther},
	0x04D4: {"delete_object", discovery.OpOther},
	0x04F2: {"set_variable", discovery.OpWrite},
	0x04FC: {"get_variable", discovery.OpRead},
	0x0506: {"add_link", discovery.OpOther},
	0x051A: {"remove_link", discovery.OpOther},
	0x0524: {"get_link", discovery.OpRead},
	0x0542: {"set_multi_variables", discovery.OpWrite},
	0x054C: {"get_multi_variables", discovery.OpRead},
	0x0556: {"begin_sequence", discovery.OpOther},
	0x0560: {"end_sequence", discovery.OpOther},
	0x056B: {"invoke", discovery.OpControl},
	0x057C: {"set_var_sub_streamed", discovery.OpWrite},
	0x0586: {"get_var_sub_streamed", discovery.OpRead},
	0x0590: {"get_variables_address", discovery.OpRead},
	0x059A: {"abort", discovery.OpOther},
}

// PlusOperation classifies an S7comm-plus request function.
func PlusOperation(f uint16) discovery.Operation {
	if d, ok := plusFunctions[f]; ok {
		return discovery.Operation{Code: int(f), Name: d.name, Class: d.class}
	}
	return discovery.Operation{Code: int(f), Name: fmt.Sprintf("function_0x%04x", f), Class: discovery.OpOther}
}
