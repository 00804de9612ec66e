package enip

import (
	"fmt"

	"github.com/otzone/otzone/discovery"
)

// CIP object classes that change the meaning of object-specific services.
const (
	ClassIdentity          = 0x01
	ClassMessageRouter     = 0x02
	ClassConnectionManager = 0x06
	ClassPCCC              = 0x67
	ClassSymbol            = 0x6B
	ClassTemplate          = 0x6C
	ClassFile              = 0x37
)

type opDef struct {
	name  string
	class discovery.OpClass
}

// Common services (CIP Vol. 1, Appendix A-3). Names follow Wireshark's
// labels in snake_case so they line up with the oracle
// ("set_attribute_list"), except Get/Set_Attributes_All which the oracle
// spells with a plural.
var commonServices = map[Service]opDef{
	0x01: {"get_attributes_all", discovery.OpRead},
	0x02: {"set_attributes_all", discovery.OpWrite},
	0x03: {"get_attribute_list", discovery.OpRead},
	0x04: {"set_attribute_list", discovery.OpWrite},
	0x05: {"reset", discovery.OpControl},
	0x06: {"start", discovery.OpControl},
	0x07: {"stop", discovery.OpControl},
	0x08: {"create", discovery.OpConfig},
	0x09: {"delete", discovery.OpConfig},
	0x0A: {"multiple_service_packet", discovery.OpOther},
	0x0D: {"apply_attributes", discovery.OpConfig},
	0x0E: {"get_attribute_single", discovery.OpRead},
	0x10: {"set_attribute_single", discovery.OpWrite},
	0x11: {"find_next_object_instance", discovery.OpRead},
	0x14: {"error_response", discovery.OpOther},
	0x15: {"restore", discovery.OpConfig},
	0x16: {"save", discovery.OpConfig},
	0x17: {"nop", discovery.OpOther},
	0x18: {"get_member", discovery.OpRead},
	0x19: {"set_member", discovery.OpWrite},
	0x1A: {"insert_member", discovery.OpWrite},
	0x1B: {"remove_member", discovery.OpWrite},
	0x1C: {"group_sync", discovery.OpOther},
}

// Connection Manager (class 0x06) services, Vol. 1 3-5.5.
var cmServices = map[Service]opDef{
	0x4E: {"forward_close", discovery.OpOther},
	0x52: {"unconnected_send", discovery.OpOther},
	0x54: {"forward_open", discovery.OpOther},
	0x56: {"get_connection_data", discovery.OpRead},
	0x57: {"search_connection_data", discovery.OpRead},
	0x5A: {"get_connection_owner", discovery.OpRead},
	0x5B: {"large_forward_open", discovery.OpOther},
}

// File object (class 0x37, Vol. 1 5-42): downloads replace files on the
// device (firmware, EDS, programs) and are "program"; uploads copy out and
// are "read".
var fileServices = map[Service]opDef{
	0x4B: {"initiate_upload", discovery.OpRead},
	0x4C: {"initiate_download", discovery.OpProgram},
	0x4D: {"initiate_partial_read", discovery.OpRead},
	0x4E: {"initiate_partial_write", discovery.OpProgram},
	0x4F: {"upload_transfer", discovery.OpRead},
	0x50: {"download_transfer", discovery.OpProgram},
	0x51: {"clear_file", discovery.OpProgram},
}

// Rockwell Logix services addressed to tags (symbolic paths) or the Symbol
// and Template objects (public: Rockwell 1756-PM020 "Logix 5000 Data Access").
var logixServices = map[Service]opDef{
	0x4B: {"execute_pccc", discovery.OpOther},
	0x4C: {"read_tag", discovery.OpRead},
	0x4D: {"write_tag", discovery.OpWrite},
	0x4E: {"read_modify_write_tag", discovery.OpWrite},
	0x52: {"read_tag_fragmented", discovery.OpRead},
	0x53: {"write_tag_fragmented", discovery.OpWrite},
	0x55: {"get_instance_attribute_list", discovery.OpRead},
}

// Classify names a CIP request service in the context of the class it is
// addressed to.
func Classify(s Service, p Path) discovery.Operation {
	code := int(s)
	if d, ok := commonServices[s]; ok {
		return discovery.Operation{Code: code, Name: d.name, Class: d.class}
	}
	if p.HasClass {
		switch p.Class {
		case ClassConnectionManager:
			if d, ok := cmServices[s]; ok {
				return discovery.Operation{Code: code, Name: d.name, Class: d.class}
			}
		case ClassFile:
			if d, ok := fileServices[s]; ok {
				return discovery.Operation{Code: code, Name: d.name, Class: d.class}
			}
		case ClassPCCC:
			if s == 0x4B {
				return discovery.Operation{Code: code, Name: "execute_pccc", Class: discovery.OpOther}
			}
		}
	}
	if p.Symbolic || (p.HasClass && (p.Class == ClassSymbol || p.Class == ClassTemplate || p.Class == ClassMessageRouter)) {
		if d, ok := logixServices[s]; ok {
			return discovery.Operation{Code: code, Name: d.name, Class: d.class}
		}
	}
	if s >= 0x4B && s <= 0x63 {
		return discovery.Operation{Code: code, Name: fmt.Sprintf("object_specific_0x%02x", uint8(s)), Class: discovery.OpOther}
	}
	return discovery.Operation{Code: code, Name: fmt.Sprintf("service_0x%02x", uint8(s)), Class: discovery.OpOther}
}

// deviceTypes are CIP device profile ids (Vol. 1, Table 6-7.1).
var deviceTypes = map[uint16]string{
	0x00: "Generic Device (deprecated)", 0x02: "AC Drive", 0x03: "Motor Overload",
	0x04: "Limit Switch", 0x05: "Inductive Proximity Switch", 0x06: "Photoelectric Sensor",
	0x07: "General Purpose Discrete I/O", 0x09: "Resolver", 0x0C: "Communications Adapter",
	0x0E: "Programmable Logic Controller", 0x10: "Position Controller", 0x13: "DC Drive",
	0x15: "Contactor", 0x16: "Motor Starter", 0x17: "Soft Start", 0x18: "Human-Machine Interface",
	0x1A: "Mass Flow Controller", 0x1B: "Pneumatic Valve", 0x1C: "Vacuum Pressure Gauge",
	0x1D: "Process Control Value", 0x1E: "Residual Gas Analyzer", 0x1F: "DC Power Generator",
	0x20: "RF Power Generator", 0x21: "Turbomolecular Vacuum Pump", 0x22: "Encoder",
	0x23: "Safety Discrete I/O Device", 0x24: "Fluid Flow Controller", 0x25: "CIP Motion Drive",
	0x26: "CompoNet Repeater", 0x27: "Mass Flow Controller, Enhanced", 0x28: "CIP Modbus Device",
	0x29: "CIP Modbus Translator", 0x2A: "Safety Analog I/O Device", 0x2B: "Generic Device (keyable)",
	0x2C: "Managed Switch", 0x32: "ControlNet Physical Layer Component",
}

// DeviceTypeName returns the profile name, or "" when unknown.
func DeviceTypeName(t uint16) string { return deviceTypes[t] }

// String names a common service; object-specific codes depend on the
// class (see Classify) and print as hex.
func (s Service) String() string {
	if d, ok := commonServices[s]; ok {
		return d.name
	}
	return fmt.Sprintf("service_0x%02x", uint8(s))
}
