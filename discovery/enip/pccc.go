package enip

import (
	"fmt"

	"github.com/otzone/otzone/discovery"
)

// PCCC (the DF1 command set of PLC-5, SLC 500 and MicroLogix) tunnelled
// in CIP with Execute PCCC (service 0x4B to the PCCC object, class 0x67).
// Request data: requestor id (length byte counting itself, CIP vendor id,
// CIP serial, optional product-specific bytes), then CMD, STS, TNS (2)
// and, for CMD 0x06/0x0F, FNC. Command and function codes: Rockwell
// "DF1 Protocol and Command Set" reference manual (1770-6.5.16).
type pcccDef struct {
	name  string
	class discovery.OpClass
}

// Basic command set (no function code).
var pcccBasic = map[uint8]pcccDef{
	0x00: {"pccc_protected_write", discovery.OpWrite},
	0x01: {"pccc_unprotected_read", discovery.OpRead},
	0x02: {"pccc_protected_bit_write", discovery.OpWrite},
	0x05: {"pccc_unprotected_bit_write", discovery.OpWrite},
	0x08: {"pccc_unprotected_write", discovery.OpWrite},
}

// CMD 0x0F functions.
var pccc0F = map[uint8]pcccDef{
	0x00: {"pccc_word_range_write", discovery.OpWrite},
	0x01: {"pccc_word_range_read", discovery.OpRead},
	0x26: {"pccc_read_modify_write", discovery.OpWrite},
	0x67: {"pccc_typed_write", discovery.OpWrite},
	0x68: {"pccc_typed_read", discovery.OpRead},
	0x80: {"pccc_change_mode", discovery.OpControl},
	0xA1: {"pccc_protected_typed_logical_read_2", discovery.OpRead},
	0xA2: {"pccc_protected_typed_logical_read_3", discovery.OpRead},
	0xA9: {"pccc_protected_typed_logical_write_2", discovery.OpWrite},
	0xAA: {"pccc_protected_typed_logical_write_3", discovery.OpWrite},
	0xAB: {"pccc_protected_typed_logical_masked_write", discovery.OpWrite},
}

// CMD 0x06 functions.
var pccc06 = map[uint8]pcccDef{
	0x00: {"pccc_echo", discovery.OpDiagnostic},
	0x03: {"pccc_diagnostic_status", discovery.OpDiagnostic},
}

// PCCCOperation classifies an Execute PCCC request's data. Code is
// CMD<<8 | FNC (FNC 0 for the basic command set).
func PCCCOperation(data []byte) (discovery.Operation, error) {
	if len(data) < 1 || int(data[0]) < 7 || len(data) < int(data[0])+4 {
		return discovery.Operation{}, fmt.Errorf("enip: pccc: %w", ErrShort)
	}
	p := data[data[0]:]
	cmd := p[0] & 0x0F // high nibble: reply/priority bits
	if d, ok := pcccBasic[cmd]; ok {
		return discovery.Operation{Code: int(cmd) << 8, Name: d.name, Class: d.class}, nil
	}
	if len(p) < 5 {
		return discovery.Operation{}, fmt.Errorf("enip: pccc cmd 0x%02x: %w", cmd, ErrShort)
	}
	fnc := p[4]
	code := int(cmd)<<8 | int(fnc)
	var tab map[uint8]pcccDef
	switch cmd {
	case 0x0F:
		tab = pccc0F
	case 0x06:
		tab = pccc06
	}
	if d, ok := tab[fnc]; ok {
		return discovery.Operation{Code: code, Name: d.name, Class: d.class}, nil
	}
	return discovery.Operation{Code: code, Name: fmt.Sprintf("pccc_0x%02x_0x%02x", cmd, fnc), Class: discovery.OpOther}, nil
}
