package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/otzone/otzone/discovery/modbus"
)

// ExceptionError is an exception response.
type ExceptionError struct {
	Function modbus.FunctionCode
	Code     modbus.ExceptionCode
}

func (e *ExceptionError) Error() string {
	return fmt.Sprintf("modbus exception %d (%s) to %s", uint8(e.Code), e.Code, e.Function)
}

// Gateway reports whether the exception says the unit is not reachable
// behind a gateway (codes 10 and 11).
func (e *ExceptionError) Gateway() bool {
	return e.Code == modbus.ExGatewayPathUnavailable || e.Code == modbus.ExGatewayTargetNoResponse
}

// conn is a minimal Modbus/TCP client: one request outstanding at a time,
// transaction ids counting from 1. It sends only checked Requests.
type conn struct {
	c       net.Conn
	txid    uint16
	timeout time.Duration
	wbuf    []byte
	rbuf    [modbus.MaxADULen]byte
}

func dial(ctx context.Context, dialer func(context.Context, string, string) (net.Conn, error), addr string, timeout time.Duration) (*conn, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := dialer(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, timeout: timeout}, nil
}

func (c *conn) Close() error { return c.c.Close() }

// do sends r to unit and reads its reply. The reply's data is copied.
func (c *conn) do(ctx context.Context, unit uint8, r Request) (modbus.ADU, error) {
	var a modbus.ADU
	if len(r.pdu) == 0 {
		return a, errors.New("modbus probe: unchecked request")
	}
	c.txid++
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.c.SetDeadline(deadline); err != nil {
		return a, err
	}
	// Closing the connection unblocks a read when ctx ends.
	stop := context.AfterFunc(ctx, func() { c.c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c.wbuf = modbus.AppendADU(c.wbuf[:0], c.txid, unit, r.pdu)
	if _, err := c.c.Write(c.wbuf); err != nil {
		return a, fmt.Errorf("send %s: %w", r, err)
	}
	for {
		if _, err := io.ReadFull(c.c, c.rbuf[:6]); err != nil {
			if ctx.Err() != nil {
				return a, ctx.Err()
			}
			return a, fmt.Errorf("%s: reply: %w", r, err)
		}
		n, err := modbus.FrameLen(c.rbuf[:6])
		if err != nil {
			return a, fmt.Errorf("%s: reply: %w", r, err)
		}
		if _, err := io.ReadFull(c.c, c.rbuf[6:n]); err != nil {
			return a, fmt.Errorf("%s: reply: %w", r, err)
		}
		a, err = modbus.ParseADU(c.rbuf[:n])
		if err != nil {
			return a, fmt.Errorf("%s: reply: %w", r, err)
		}
		if a.TransactionID != c.txid {
			continue // a late reply to an earlier request
		}
		break
	}
	if a.UnitID != unit || a.Function != r.Function() {
		return a, fmt.Errorf("%s: reply for unit %d function %s, want unit %d", r, a.UnitID, a.Function, unit)
	}
	a.Data = append([]byte(nil), a.Data...)
	if a.Exception {
		return a, &ExceptionError{Function: a.Function, Code: a.ExceptionCode}
	}
	return a, nil
}
