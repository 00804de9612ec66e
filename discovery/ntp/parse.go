package ntp

import (
	"errors"
	"fmt"
)

// Mode is the association mode (RFC 5905 figure 10).
type Mode uint8

const (
	ModeSymmetricActive  Mode = 1
	ModeSymmetricPassive Mode = 2
	ModeClient           Mode = 3
	ModeServer           Mode = 4
	ModeBroadcast        Mode = 5
	ModeControl          Mode = 6
	ModePrivate          Mode = 7
)

var modeNames = [...]string{"reserved", "symmetric_active", "symmetric_passive", "client", "server", "broadcast", "control", "private"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ControlOp is a mode 6 opcode.
type ControlOp uint8

var controlOps = map[ControlOp]string{1: "read_status", 2: "read_variables", 3: "write_variables", 4: "read_clock_variables",
	5: "write_clock_variables", 6: "set_trap", 7: "async_message", 8: "configure", 9: "save_config", 10: "read_mru",
	11: "read_ordered_list", 12: "request_nonce", 31: "unset_trap"}

func (o ControlOp) String() string {
	if s, ok := controlOps[o]; ok {
		return s
	}
	return fmt.Sprintf("control_op(%d)", uint8(o))
}

// Packet is one NTP message's header.
type Packet struct {
	Leap     uint8
	Version  uint8
	Mode     Mode
	Stratum  uint8
	RefID    [4]byte
	Response bool // mode 6/7: the R bit
	// ControlOp is the mode 6 opcode; RequestCode the mode 7 request code.
	ControlOp   ControlOp
	RequestCode uint8
}

// Errors returned by Parse.
var (
	ErrShort   = errors.New("too short for its mode")
	ErrVersion = errors.New("unknown version")
	ErrMode    = errors.New("reserved mode")
)

// HeaderLen is the size of a mode 1-5 header without extensions.
const HeaderLen = 48

// Parse reads an NTP packet header into p.
func Parse(b []byte, p *Packet) error {
	*p = Packet{}
	if len(b) < 1 {
		return fmt.Errorf("ntp: empty: %w", ErrShort)
	}
	p.Leap, p.Version, p.Mode = b[0]>>6, b[0]>>3&7, Mode(b[0]&7)
	if p.Version < 1 || p.Version > 4 {
		return fmt.Errorf("ntp: version %d: %w", p.Version, ErrVersion)
	}
	switch p.Mode {
	case ModeControl:
		if len(b) < 12 {
			return fmt.Errorf("ntp: control message of %d bytes: %w", len(b), ErrShort)
		}
		p.Response, p.ControlOp = b[1]&0x80 != 0, ControlOp(b[1]&0x1f)
	case ModePrivate:
		if len(b) < 8 {
			return fmt.Errorf("ntp: private message of %d bytes: %w", len(b), ErrShort)
		}
		p.Response, p.RequestCode = b[0]&0x80 != 0, b[3]
		p.Leap = 0
	case 0:
		return fmt.Errorf("ntp: %w", ErrMode)
	default:
		if len(b) < HeaderLen {
			return fmt.Errorf("ntp: %s packet of %d bytes: %w", p.Mode, len(b), ErrShort)
		}
		p.Stratum = b[1]
		copy(p.RefID[:], b[12:16])
	}
	return nil
}
