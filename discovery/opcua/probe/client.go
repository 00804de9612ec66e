package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/otzone/otzone/discovery/opcua"
	"github.com/otzone/otzone/discovery/probe"
)

// Limits on what the probe accepts from a server.
const (
	maxChunk    = 1 << 20 // one chunk
	maxMessage  = 4 << 20 // a reassembled response
	maxChunks   = 64
	helloBuffer = 65536
)

// client is a minimal OPC UA binary client for SecurityPolicy#None: one
// request outstanding, every chunk through guardConn. gopcua's ua package
// encodes and decodes the service structures; the framing is ours so that
// the allow-list sits on the wire.
type client struct {
	g       *guardConn
	url     string
	host    string
	pacer   *probe.Pacer
	timeout time.Duration

	channelID, tokenID uint32
	seq, req           uint32
	authToken          *ua.NodeID
	requests           int
	rbuf               []byte
}

func dialClient(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), addr, url, host string, pacer *probe.Pacer, timeout time.Duration) (*client, error) {
	if err := pacer.Wait(ctx, host); err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := dial(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &client{g: &guardConn{Conn: c}, url: url, host: host, pacer: pacer, timeout: timeout, seq: 1}, nil
}

func (c *client) Close() error { return c.g.Conn.Close() }

// write paces and sends one chunk.
func (c *client) write(ctx context.Context, chunk []byte) error {
	if err := c.pacer.Wait(ctx, c.host); err != nil {
		return err
	}
	c.deadline(ctx)
	c.requests++
	_, err := c.g.Write(chunk)
	return err
}

func (c *client) deadline(ctx context.Context) {
	d := time.Now().Add(c.timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	c.g.Conn.SetDeadline(d)
}

// readChunk reads one chunk (header included).
func (c *client) readChunk(ctx context.Context) (opcua.Header, []byte, error) {
	c.deadline(ctx)
	stop := context.AfterFunc(ctx, func() { c.g.Conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var hb [opcua.HeaderLen]byte
	if _, err := io.ReadFull(c.g.Conn, hb[:]); err != nil {
		if ctx.Err() != nil {
			return opcua.Header{}, nil, ctx.Err()
		}
		return opcua.Header{}, nil, err
	}
	h, err := opcua.ParseHeader(hb[:])
	if err != nil {
		return h, nil, err
	}
	if h.Size > maxChunk {
		return h, nil, fmt.Errorf("opcua probe: %s chunk of %d bytes exceeds %d", h.Type, h.Size, maxChunk)
	}
	if cap(c.rbuf) < int(h.Size) {
		c.rbuf = make([]byte, h.Size)
	}
	b := c.rbuf[:h.Size]
	copy(b, hb[:])
	if _, err := io.ReadFull(c.g.Conn, b[opcua.HeaderLen:]); err != nil {
		return h, nil, err
	}
	if h.Type == opcua.MsgError {
		e, err := opcua.ParseError(b)
		if err != nil {
			return h, nil, err
		}
		return h, nil, fmt.Errorf("opcua probe: server error %s: %s", e.Code, opcua.Sanitize(e.Reason))
	}
	return h, b, nil
}

// hello sends HEL and waits for ACK.
func (c *client) hello(ctx context.Context) error {
	if err := c.write(ctx, c.helloChunk()); err != nil {
		return err
	}
	h, _, err := c.readChunk(ctx)
	if err != nil {
		return err
	}
	if h.Type != opcua.MsgAcknowledge {
		return fmt.Errorf("opcua probe: expected ACK, got %s", h.Type)
	}
	return nil
}

func (c *client) helloChunk() []byte {
	b := make([]byte, 32, 32+len(c.url))
	copy(b, "HELF")
	binary.LittleEndian.PutUint32(b[4:], uint32(32+len(c.url)))
	binary.LittleEndian.PutUint32(b[12:], helloBuffer)
	binary.LittleEndian.PutUint32(b[16:], helloBuffer)
	binary.LittleEndian.PutUint32(b[20:], maxMessage)
	binary.LittleEndian.PutUint32(b[24:], maxChunks)
	binary.LittleEndian.PutUint32(b[28:], uint32(len(c.url)))
	return append(b, c.url...)
}

func (c *client) header() *ua.RequestHeader {
	c.req++
	tok := c.authToken
	if tok == nil {
		tok = ua.NewTwoByteNodeID(0)
	}
	return &ua.RequestHeader{AuthenticationToken: tok, Timestamp: time.Now(), RequestHandle: c.req,
		TimeoutHint: uint32(c.timeout / time.Millisecond), AdditionalHeader: ua.NewExtensionObject(nil)}
}

func encodeBody(id opcua.ServiceID, req any) ([]byte, error) {
	b, err := ua.Encode(req)
	if err != nil {
		return nil, fmt.Errorf("opcua probe: encode %s: %w", id, err)
	}
	return append([]byte{0x01, 0x00, byte(id), byte(id >> 8)}, b...), nil
}

// open opens a SecurityPolicy#None secure channel.
func (c *client) open(ctx context.Context) error {
	b, err := c.openChunk()
	if err != nil {
		return err
	}
	if err := c.write(ctx, b); err != nil {
		return err
	}
	h, chunk, err := c.readChunk(ctx)
	if err != nil {
		return err
	}
	if h.Type != opcua.MsgOpen {
		return fmt.Errorf("opcua probe: expected OPN response, got %s", h.Type)
	}
	_, rest, err := opcua.ParseOpen(chunk)
	if err != nil {
		return err
	}
	_, rb, err := opcua.ParseSequence(rest)
	if err != nil {
		return err
	}
	svc, rb, err := opcua.ServiceOf(rb)
	if err != nil || svc != opcua.SvcOpenSecureChannelResponse {
		return fmt.Errorf("opcua probe: open secure channel: unexpected reply %v", svc)
	}
	var resp ua.OpenSecureChannelResponse
	if _, err := ua.Decode(rb, &resp); err != nil {
		return fmt.Errorf("opcua probe: open secure channel response: %w", err)
	}
	if resp.SecurityToken == nil {
		return errors.New("opcua probe: open secure channel response without token")
	}
	c.channelID, c.tokenID = resp.SecurityToken.ChannelID, resp.SecurityToken.TokenID
	return nil
}

func (c *client) openChunk() ([]byte, error) {
	body, err := encodeBody(opcua.SvcOpenSecureChannelRequest, &ua.OpenSecureChannelRequest{
		RequestHeader: c.header(), ClientProtocolVersion: 0, RequestType: ua.SecurityTokenRequestTypeIssue,
		SecurityMode: ua.MessageSecurityModeNone, ClientNonce: []byte{}, RequestedLifetime: 60000})
	if err != nil {
		return nil, err
	}
	b := make([]byte, 12, 64+len(body))
	copy(b, "OPNF")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(policyNone)))
	b = append(b, policyNone...)
	b = binary.LittleEndian.AppendUint32(b, 0xffffffff)
	b = binary.LittleEndian.AppendUint32(b, 0xffffffff)
	b = binary.LittleEndian.AppendUint32(b, c.seq)
	b = binary.LittleEndian.AppendUint32(b, c.req)
	c.seq++
	b = append(b, body...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
	return b, nil
}

// ServiceFaultError is a ServiceFault reply.
type ServiceFaultError struct {
	Service opcua.ServiceID
	Status  ua.StatusCode
}

func (e *ServiceFaultError) Error() string {
	return fmt.Sprintf("opcua probe: %s refused: %s", e.Service, e.Status)
}

// call sends one request and decodes the reply into resp.
func (c *client) call(ctx context.Context, id opcua.ServiceID, want opcua.ServiceID, req, resp any) error {
	reqID := c.req
	b, err := c.msgChunk(id, req)
	if err != nil {
		return err
	}
	if err := c.write(ctx, b); err != nil {
		return err
	}
	if resp == nil {
		return nil // CloseSecureChannel has no reply
	}
	var msg []byte
	for n := 0; ; n++ {
		h, chunk, err := c.readChunk(ctx)
		if err != nil {
			return err
		}
		if h.Type != opcua.MsgMessage {
			return fmt.Errorf("opcua probe: expected MSG, got %s", h.Type)
		}
		_, rest, err := opcua.ParseSymmetric(chunk)
		if err != nil {
			return err
		}
		sh, part, err := opcua.ParseSequence(rest)
		if err != nil {
			return err
		}
		if sh.RequestID != reqID {
			continue // a late reply to something else: skip it
		}
		if h.Chunk == opcua.ChunkAbort {
			return fmt.Errorf("opcua probe: %s reply aborted by the server", id)
		}
		if len(msg)+len(part) > maxMessage || n >= maxChunks {
			return fmt.Errorf("opcua probe: %s reply exceeds %d bytes or %d chunks", id, maxMessage, maxChunks)
		}
		msg = append(msg, part...)
		if h.Chunk == opcua.ChunkFinal {
			break
		}
	}
	svc, rb, err := opcua.ServiceOf(msg)
	if err != nil {
		return fmt.Errorf("opcua probe: %s reply: %w", id, err)
	}
	if svc == opcua.ServiceFault {
		var f ua.ServiceFault
		st := ua.StatusBad
		if _, err := ua.Decode(rb, &f); err == nil && f.ResponseHeader != nil {
			st = f.ResponseHeader.ServiceResult
		}
		return &ServiceFaultError{Service: id, Status: st}
	}
	if svc != want {
		return fmt.Errorf("opcua probe: %s answered with %s", id, svc)
	}
	if _, err := ua.Decode(rb, resp); err != nil {
		return fmt.Errorf("opcua probe: decode %s: %w", svc, err)
	}
	return nil
}

// msgChunk frames a request (MSG, or CLO for CloseSecureChannel) with the
// current request id (the RequestHandle of the request's header).
func (c *client) msgChunk(id opcua.ServiceID, req any) ([]byte, error) {
	body, err := encodeBody(id, req)
	if err != nil {
		return nil, err
	}
	typ := "MSGF"
	if id == opcua.SvcCloseSecureChannelRequest {
		typ = "CLOF"
	}
	b := make([]byte, 8, 24+len(body))
	copy(b, typ)
	b = binary.LittleEndian.AppendUint32(b, c.channelID)
	b = binary.LittleEndian.AppendUint32(b, c.tokenID)
	b = binary.LittleEndian.AppendUint32(b, c.seq)
	b = binary.LittleEndian.AppendUint32(b, c.req)
	c.seq++
	b = append(b, body...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
	return b, nil
}

func (c *client) closeChannel(ctx context.Context) error {
	return c.call(ctx, opcua.SvcCloseSecureChannelRequest, 0, &ua.CloseSecureChannelRequest{RequestHeader: c.header()}, nil)
}
