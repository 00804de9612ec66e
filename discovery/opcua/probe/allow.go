package probe

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/otzone/otzone/discovery/opcua"
)

// Allowed is the closed list of OPC UA services this probe can put on the
// wire, besides the Hello that opens the connection. It is the only list:
// the transport guard below refuses every other message before a byte of
// it is written.
var Allowed = map[opcua.ServiceID]string{
	446: "OpenSecureChannel (SecurityPolicy#None only)",
	452: "CloseSecureChannel",
	422: "FindServers",
	428: "GetEndpoints",
	461: "CreateSession",
	467: "ActivateSession (anonymous)",
	631: "Read",
	473: "CloseSession",
}

// ErrNotAllowed is returned (wrapped) when the probe tried to send anything
// outside Allowed; the connection is closed and nothing is written.
var ErrNotAllowed = errors.New("opcua probe: message not on the allow-list")

const policyNone = "http://opcfoundation.org/UA/SecurityPolicy#None"

// checkChunk decides whether one outgoing chunk may be sent. It decodes the
// chunk with the passive dissector's parser: only a Hello, an OPN with
// SecurityPolicy#None carrying OpenSecureChannelRequest, CLO carrying
// CloseSecureChannelRequest and MSG carrying an allowed request pass.
// Because every channel is None, every body is in clear and checkable.
func checkChunk(b []byte) error {
	h, err := opcua.ParseHeader(b)
	if err != nil {
		return fmt.Errorf("%w: unparseable chunk: %v", ErrNotAllowed, err)
	}
	if int(h.Size) != len(b) {
		return fmt.Errorf("%w: write of %d bytes is not exactly one %d-byte chunk", ErrNotAllowed, len(b), h.Size)
	}
	if h.Chunk != opcua.ChunkFinal {
		return fmt.Errorf("%w: %s chunk type %s", ErrNotAllowed, h.Type, h.Chunk)
	}
	var rest []byte
	switch h.Type {
	case opcua.MsgHello:
		if _, err := opcua.ParseHello(b); err != nil {
			return fmt.Errorf("%w: %v", ErrNotAllowed, err)
		}
		return nil
	case opcua.MsgOpen:
		a, r, err := opcua.ParseOpen(b)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrNotAllowed, err)
		}
		if a.SecurityPolicyURI != policyNone {
			return fmt.Errorf("%w: OpenSecureChannel with policy %q", ErrNotAllowed, a.SecurityPolicyURI)
		}
		rest = r
	case opcua.MsgMessage, opcua.MsgClose:
		_, r, err := opcua.ParseSymmetric(b)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrNotAllowed, err)
		}
		rest = r
	default:
		return fmt.Errorf("%w: a client never sends %s", ErrNotAllowed, h.Type)
	}
	_, body, err := opcua.ParseSequence(rest)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotAllowed, err)
	}
	svc, _, err := opcua.ServiceOf(body)
	if err != nil {
		return fmt.Errorf("%w: body is not a known service", ErrNotAllowed)
	}
	if _, ok := Allowed[svc]; !ok {
		return fmt.Errorf("%w: %s", ErrNotAllowed, svc)
	}
	switch {
	case h.Type == opcua.MsgOpen && svc != opcua.SvcOpenSecureChannelRequest,
		h.Type == opcua.MsgClose && svc != opcua.SvcCloseSecureChannelRequest,
		h.Type == opcua.MsgMessage && (svc == opcua.SvcOpenSecureChannelRequest || svc == opcua.SvcCloseSecureChannelRequest):
		return fmt.Errorf("%w: %s in a %s chunk", ErrNotAllowed, svc, h.Type)
	}
	return nil
}

// guardConn is the probe's only way to the network: Write passes a chunk
// only when checkChunk allows it, and closes the connection otherwise.
type guardConn struct {
	net.Conn
	mu      sync.Mutex
	refused error
	sent    []opcua.ServiceID // what went out, for tests and the result
}

func (g *guardConn) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refused != nil {
		return 0, g.refused
	}
	if err := checkChunk(b); err != nil {
		g.refused = err
		g.Conn.Close()
		return 0, err
	}
	if svc, ok := serviceOfChunk(b); ok {
		g.sent = append(g.sent, svc)
	}
	return g.Conn.Write(b)
}

func serviceOfChunk(b []byte) (opcua.ServiceID, bool) {
	h, err := opcua.ParseHeader(b)
	if err != nil {
		return 0, false
	}
	var rest []byte
	switch h.Type {
	case opcua.MsgOpen:
		_, rest, err = opcua.ParseOpen(b)
	case opcua.MsgMessage, opcua.MsgClose:
		_, rest, err = opcua.ParseSymmetric(b)
	default:
		return 0, false
	}
	if err != nil {
		return 0, false
	}
	_, body, err := opcua.ParseSequence(rest)
	if err != nil {
		return 0, false
	}
	svc, _, err := opcua.ServiceOf(body)
	return svc, err == nil
}
