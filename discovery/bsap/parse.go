package bsap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/otzone/otzone/discovery"
)

// Errors returned by the parsers; callers use errors.Is.
var (
	ErrShort  = errors.New("bsap: short message")
	ErrHeader = errors.New("bsap: not a BSAP-IP or tunnelled BSAP message")
)

// Message functions of the BSAP-IP header (ICSNPP consts.pac).
const (
	FuncPoll      = 0x0000
	FuncResponse1 = 0x0001
	FuncResponse  = 0x0005
	FuncRequest   = 0x0006
	FuncRequest1  = 0x0084
	FuncRequest2  = 0x0086
)

// AppRDB is the remote database access application function.
const AppRDB = 0xa0

// Message is a decoded BSAP datagram.
type Message struct {
	Serial     bool // BSAP serial frame tunnelled over UDP
	HeaderLen  int
	Count      uint16
	Function   uint16
	HasRequest bool
	Sequence   uint32
	AppFunc    uint8
	RDBFunc    uint8
	HasRDB     bool
}

// Request reports a request or poll (sent by the master).
func (m Message) Request() bool {
	switch m.Function {
	case FuncPoll, FuncRequest, FuncRequest1, FuncRequest2:
		return true
	}
	return false
}

// Parse decodes a datagram.
func Parse(b []byte) (Message, error) {
	var m Message
	if len(b) >= 6 && b[0] == 0x10 && b[1] == 0x02 {
		if len(b) < 8 || b[len(b)-4] != 0x10 || b[len(b)-3] != 0x03 {
			return m, fmt.Errorf("%w: serial frame without DLE ETX", ErrHeader)
		}
		m.Serial = true
		return m, nil
	}
	if len(b) < 6 {
		return m, fmt.Errorf("bsap: %w", ErrShort)
	}
	if (b[0] != 0x0e && b[0] != 0x16) || b[1] != 0 || b[3] != 0 || b[5] != 0 {
		return m, fmt.Errorf("%w: header %x", ErrHeader, b[:6])
	}
	m.HeaderLen = int(b[0])
	m.Count = binary.LittleEndian.Uint16(b[2:4])
	m.Function = binary.LittleEndian.Uint16(b[4:6])
	switch m.Function {
	case FuncPoll, FuncResponse1, FuncResponse, FuncRequest, FuncRequest1, FuncRequest2:
	default:
		return m, fmt.Errorf("%w: message function %#04x", ErrHeader, m.Function)
	}
	if len(b) < m.HeaderLen {
		return m, fmt.Errorf("bsap: header: %w", ErrShort)
	}
	p := b[m.HeaderLen:]
	// Request header: data length (4), header size (1), sequence (4),
	// application function (1); RDB adds node status (1) and function (1).
	if m.Count > 0 && m.Function != FuncPoll && m.Request() && len(p) >= 10 {
		m.HasRequest = true
		m.Sequence = binary.LittleEndian.Uint32(p[5:9])
		m.AppFunc = p[9]
		if m.AppFunc == AppRDB && len(p) >= 12 {
			m.HasRDB, m.RDBFunc = true, p[11]
		}
	}
	return m, nil
}

var rdbNames = map[uint8]string{
	0x00: "read_signal_by_address", 0x02: "read_logical_by_address", 0x04: "read_signal_by_name",
	0x06: "read_logical_by_name", 0x0c: "read_signal_by_list_start", 0x0d: "read_signal_by_list_continue",
	0x0e: "read_logical_by_list_start", 0x0f: "read_logical_by_list_continue",
	0x80: "write_signal_by_address", 0x84: "write_signal_by_name", 0x8c: "write_signal_by_list_start",
	0x8d: "write_signal_by_list_continue",
}

// Operation names and classes a request.
func (m Message) Operation() (discovery.Operation, bool) {
	if !m.HasRequest {
		return discovery.Operation{}, false
	}
	if m.HasRDB {
		name, ok := rdbNames[m.RDBFunc]
		class := discovery.OpOther
		switch {
		case m.RDBFunc <= 0x0f:
			class = discovery.OpRead
		case m.RDBFunc >= 0x80 && m.RDBFunc <= 0x8d:
			class = discovery.OpWrite
		}
		if !ok {
			name = "rdb_function_" + strconv.FormatUint(uint64(m.RDBFunc), 16)
		}
		return discovery.Operation{Code: int(m.RDBFunc), Name: name, Class: class}, true
	}
	return discovery.Operation{Code: 0x100 | int(m.AppFunc), Name: "app_function_" + strconv.FormatUint(uint64(m.AppFunc), 16), Class: discovery.OpOther}, true
}
