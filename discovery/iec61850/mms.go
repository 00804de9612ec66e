package iec61850

import (
	"bytes"
	"fmt"

	"github.com/otzone/otzone/discovery"
)

// PDUKind is the MMS PDU choice (ISO 9506-2, MMSpdu).
type PDUKind int

const (
	ConfirmedRequest  PDUKind = 0
	ConfirmedResponse PDUKind = 1
	ConfirmedError    PDUKind = 2
	Unconfirmed       PDUKind = 3
	Reject            PDUKind = 4
	CancelRequest     PDUKind = 5
	CancelResponse    PDUKind = 6
	CancelError       PDUKind = 7
	InitiateRequest   PDUKind = 8
	InitiateResponse  PDUKind = 9
	InitiateError     PDUKind = 10
	ConcludeRequest   PDUKind = 11
	ConcludeResponse  PDUKind = 12
	ConcludeError     PDUKind = 13
)

var pduNames = [...]string{"confirmed_request", "confirmed_response", "confirmed_error", "unconfirmed",
	"reject", "cancel_request", "cancel_response", "cancel_error", "initiate_request", "initiate_response",
	"initiate_error", "conclude_request", "conclude_response", "conclude_error"}

func (k PDUKind) String() string {
	if k >= 0 && int(k) < len(pduNames) {
		return pduNames[k]
	}
	return fmt.Sprintf("pdu_%d", int(k))
}

// MMS is a decoded MMS PDU (the parts this package uses).
type MMS struct {
	Kind     PDUKind
	InvokeID uint64
	Service  int // confirmed request/response service tag; -1 when none
	// Identify response fields (aliasing the packet).
	Vendor, Model, Revision []byte
	// Control is set for a write whose variable names a control
	// object's operate attribute ("$CO$" in an IEC 61850 item id).
	Control bool
}

// ParseMMS decodes an MMS PDU.
func ParseMMS(b []byte) (MMS, error) {
	m := MMS{Service: -1}
	t, _, err := readTLV(b)
	if err != nil {
		return m, fmt.Errorf("iec61850: mms: %w", err)
	}
	if t.class != 2 || t.tag > int(ConcludeError) {
		return m, fmt.Errorf("iec61850: mms: not an MMS PDU (class %d tag %d)", t.class, t.tag)
	}
	m.Kind = PDUKind(t.tag)
	switch m.Kind {
	case ConfirmedRequest, ConfirmedResponse:
		rest := t.content
		id, r, err := readTLV(rest)
		if err != nil || id.class != 0 || id.tag != 2 {
			return m, fmt.Errorf("iec61850: mms %s: invoke id: %v", m.Kind, err)
		}
		m.InvokeID = uintBE(id.content)
		rest = r
		for len(rest) > 0 {
			s, r, err := readTLV(rest)
			if err != nil {
				return m, fmt.Errorf("iec61850: mms %s: service: %w", m.Kind, err)
			}
			rest = r
			if s.class == 0 && s.tag == 16 { // listOfModifiers
				continue
			}
			if s.class != 2 {
				return m, fmt.Errorf("iec61850: mms %s: unexpected element class %d tag %d", m.Kind, s.class, s.tag)
			}
			m.Service = s.tag
			if m.Kind == ConfirmedResponse && s.tag == 2 && s.constructed {
				m.identify(s.content)
			}
			if m.Kind == ConfirmedRequest && s.tag == 5 && bytes.Contains(s.content, []byte("$CO$")) {
				m.Control = true
			}
			break
		}
	}
	return m, nil
}

func (m *MMS) identify(b []byte) {
	for len(b) > 0 {
		t, r, err := readTLV(b)
		if err != nil {
			return
		}
		b = r
		if t.class != 2 {
			continue
		}
		switch t.tag {
		case 0:
			m.Vendor = t.content
		case 1:
			m.Model = t.content
		case 2:
			m.Revision = t.content
		}
	}
}

type svcDef struct {
	name  string
	class discovery.OpClass
}

// services are the ConfirmedServiceRequest choices (ISO 9506-2).
var services = map[int]svcDef{
	0: {"status", discovery.OpDiagnostic}, 1: {"get_name_list", discovery.OpDiscovery},
	2: {"identify", discovery.OpDiscovery}, 3: {"rename", discovery.OpConfig},
	4: {"read", discovery.OpRead}, 5: {"write", discovery.OpWrite},
	6: {"get_variable_access_attributes", discovery.OpDiscovery}, 7: {"define_named_variable", discovery.OpConfig},
	8: {"define_scattered_access", discovery.OpConfig}, 9: {"get_scattered_access_attributes", discovery.OpDiscovery},
	10: {"delete_variable_access", discovery.OpConfig}, 11: {"define_named_variable_list", discovery.OpConfig},
	12: {"get_named_variable_list_attributes", discovery.OpDiscovery}, 13: {"delete_named_variable_list", discovery.OpConfig},
	14: {"define_named_type", discovery.OpConfig}, 15: {"get_named_type_attributes", discovery.OpDiscovery},
	16: {"delete_named_type", discovery.OpConfig}, 17: {"input", discovery.OpRead}, 18: {"output", discovery.OpWrite},
	19: {"take_control", discovery.OpControl}, 20: {"relinquish_control", discovery.OpControl},
	21: {"define_semaphore", discovery.OpConfig}, 22: {"delete_semaphore", discovery.OpConfig},
	23: {"report_semaphore_status", discovery.OpDiagnostic}, 24: {"report_pool_semaphore_status", discovery.OpDiagnostic},
	25: {"report_semaphore_entry_status", discovery.OpDiagnostic},
	26: {"initiate_download_sequence", discovery.OpProgram}, 27: {"download_segment", discovery.OpProgram},
	28: {"terminate_download_sequence", discovery.OpProgram}, 29: {"initiate_upload_sequence", discovery.OpRead},
	30: {"upload_segment", discovery.OpRead}, 31: {"terminate_upload_sequence", discovery.OpRead},
	32: {"request_domain_download", discovery.OpProgram}, 33: {"request_domain_upload", discovery.OpRead},
	34: {"load_domain_content", discovery.OpProgram}, 35: {"store_domain_content", discovery.OpRead},
	36: {"delete_domain", discovery.OpProgram}, 37: {"get_domain_attributes", discovery.OpDiscovery},
	38: {"create_program_invocation", discovery.OpProgram}, 39: {"delete_program_invocation", discovery.OpProgram},
	40: {"start", discovery.OpControl}, 41: {"stop", discovery.OpControl}, 42: {"resume", discovery.OpControl},
	43: {"reset", discovery.OpControl}, 44: {"kill", discovery.OpControl},
	45: {"get_program_invocation_attributes", discovery.OpDiscovery}, 46: {"obtain_file", discovery.OpProgram},
	47: {"define_event_condition", discovery.OpConfig}, 48: {"delete_event_condition", discovery.OpConfig},
	49: {"get_event_condition_attributes", discovery.OpDiscovery}, 50: {"report_event_condition_status", discovery.OpDiagnostic},
	51: {"alter_event_condition_monitoring", discovery.OpConfig}, 52: {"trigger_event", discovery.OpControl},
	53: {"define_event_action", discovery.OpConfig}, 54: {"delete_event_action", discovery.OpConfig},
	55: {"get_event_action_attributes", discovery.OpDiscovery}, 56: {"report_event_action_status", discovery.OpDiagnostic},
	57: {"define_event_enrollment", discovery.OpConfig}, 58: {"delete_event_enrollment", discovery.OpConfig},
	59: {"alter_event_enrollment", discovery.OpConfig}, 60: {"report_event_enrollment_status", discovery.OpDiagnostic},
	61: {"get_event_enrollment_attributes", discovery.OpDiscovery}, 62: {"acknowledge_event_notification", discovery.OpOther},
	63: {"get_alarm_summary", discovery.OpRead}, 64: {"get_alarm_enrollment_summary", discovery.OpRead},
	65: {"read_journal", discovery.OpRead}, 66: {"write_journal", discovery.OpWrite},
	67: {"initialize_journal", discovery.OpConfig}, 68: {"report_journal_status", discovery.OpDiagnostic},
	69: {"create_journal", discovery.OpConfig}, 70: {"delete_journal", discovery.OpConfig},
	71: {"get_capability_list", discovery.OpDiscovery}, 72: {"file_open", discovery.OpRead},
	73: {"file_read", discovery.OpRead}, 74: {"file_close", discovery.OpRead}, 75: {"file_rename", discovery.OpConfig},
	76: {"file_delete", discovery.OpConfig}, 77: {"file_directory", discovery.OpDiscovery},
}

// Operation classifies a client PDU; ok is false for PDUs that are not
// requests (responses, reports).
func (m MMS) Operation() (discovery.Operation, bool) {
	switch m.Kind {
	case ConfirmedRequest:
		d, ok := services[m.Service]
		if !ok {
			return discovery.Operation{Code: m.Service, Name: fmt.Sprintf("service_%d", m.Service), Class: discovery.OpOther}, true
		}
		c := d.class
		if m.Control {
			c = discovery.OpControl
		}
		return discovery.Operation{Code: m.Service, Name: d.name, Class: c}, true
	case InitiateRequest:
		return discovery.Operation{Code: 1000 + int(m.Kind), Name: "initiate", Class: discovery.OpOther}, true
	case ConcludeRequest:
		return discovery.Operation{Code: 1000 + int(m.Kind), Name: "conclude", Class: discovery.OpOther}, true
	case CancelRequest:
		return discovery.Operation{Code: 1000 + int(m.Kind), Name: "cancel", Class: discovery.OpOther}, true
	}
	return discovery.Operation{}, false
}

// ISO 8327 session SPDU identifiers that start a TSDU.
const (
	spduDataOrGiveTokens = 0x01
	spduFinish           = 0x09
	spduDisconnect       = 0x0A
	spduRefuse           = 0x0C
	spduConnect          = 0x0D
	spduAccept           = 0x0E
	spduAbort            = 0x19
)

// IsSession reports whether b (a COTP TSDU) looks like an ISO session SPDU
// carrying presentation data: CONNECT/ACCEPT with a plausible length, or
// Give-Tokens + Data-Transfer followed by a presentation fully-encoded-data
// (0x61).
func IsSession(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	switch b[0] {
	case spduConnect, spduAccept, spduFinish, spduDisconnect, spduRefuse, spduAbort:
		return int(b[1]) != 0xFF && int(b[1])+2 <= len(b) || b[1] == 0xFF && len(b) >= 4
	case spduDataOrGiveTokens:
		return len(b) >= 5 && b[1] == 0 && b[2] == spduDataOrGiveTokens && b[3] == 0 && b[4] == 0x61
	}
	return false
}

// FindMMS returns the MMS PDU inside an ISO session TSDU: for data
// transfer, the single-ASN1-type of the presentation PDV; for
// CONNECT/ACCEPT, the MMS Initiate PDU nested in the presentation and ACSE
// user data (found by walking constructed elements, bounded depth).
func FindMMS(b []byte) ([]byte, bool) {
	if len(b) < 2 {
		return nil, false
	}
	switch b[0] {
	case spduDataOrGiveTokens:
		if len(b) < 4 || b[1] != 0 || b[2] != spduDataOrGiveTokens || b[3] != 0 {
			return nil, false
		}
		return dataPDV(b[4:])
	case spduConnect, spduAccept:
		n, off := int(b[1]), 2
		if n == 0xFF {
			if len(b) < 4 {
				return nil, false
			}
			n, off = int(b[2])<<8|int(b[3]), 4
		}
		if off+n > len(b) {
			n = len(b) - off
		}
		// parameters: the user data (PGI 0xC1) holds the presentation PDU
		p := b[off : off+n]
		for len(p) >= 2 {
			code, l, o := p[0], int(p[1]), 2
			if l == 0xFF {
				if len(p) < 4 {
					return nil, false
				}
				l, o = int(p[2])<<8|int(p[3]), 4
			}
			if o+l > len(p) {
				return nil, false
			}
			if code == 0xC1 {
				return findInitiate(p[o:o+l], 0, false)
			}
			p = p[o+l:]
		}
	}
	return nil, false
}

// dataPDV reads fully-encoded-data [APPLICATION 1] { PDV-list SEQUENCE {
// presentation-context-identifier INTEGER, single-ASN1-type [0] ANY } }.
func dataPDV(b []byte) ([]byte, bool) {
	t, _, err := readTLV(b)
	if err != nil || t.class != 1 || t.tag != 1 {
		return nil, false
	}
	l, _, err := readTLV(t.content)
	if err != nil || l.class != 0 || l.tag != 16 {
		return nil, false
	}
	rest := l.content
	for len(rest) > 0 {
		e, r, err := readTLV(rest)
		if err != nil {
			return nil, false
		}
		rest = r
		if e.class == 2 && e.tag == 0 && e.constructed {
			return e.content, true
		}
	}
	return nil, false
}

// findInitiate walks constructed elements for an MMS initiate request or
// response ([8] or [9], context-specific, constructed) inside the ACSE
// user-information EXTERNAL (AARQ's own [8]/[9] fields are outside it).
func findInitiate(b []byte, depth int, inExt bool) ([]byte, bool) {
	if depth > 12 {
		return nil, false
	}
	for len(b) > 0 {
		t, r, err := readTLV(b)
		if err != nil {
			return nil, false
		}
		if inExt && t.class == 2 && t.constructed && (t.tag == 8 || t.tag == 9) {
			return b[:len(b)-len(r)], true
		}
		if t.constructed {
			ext := inExt || t.class == 0 && t.tag == 8 // EXTERNAL
			if m, ok := findInitiate(t.content, depth+1, ext); ok {
				return m, true
			}
		}
		b = r
	}
	return nil, false
}
