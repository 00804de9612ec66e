package probe

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeServer answers the Hello with a valid ACK and then runs reply for
// the next chunk it reads.
func fakeServer(t *testing.T, reply func(c net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				var h [8]byte
				if _, err := io.ReadFull(c, h[:]); err != nil {
					return
				}
				rest := make([]byte, binary.LittleEndian.Uint32(h[4:])-8)
				io.ReadFull(c, rest)
				ack := []byte("ACKF\x1c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x01\x00\x01\x00\x00")
				c.Write(ack)
				if _, err := io.ReadFull(c, h[:]); err != nil {
					return
				}
				rest = make([]byte, binary.LittleEndian.Uint32(h[4:])-8)
				io.ReadFull(c, rest)
				reply(c)
			}(c)
		}
	}()
	return "opc.tcp://" + l.Addr().String()
}

// TestHostileServers: oversized chunks, garbage, ERR messages with control
// characters and silence end the probe of that target with an error, no
// panic and no hang.
func TestHostileServers(t *testing.T) {
	tests := []struct {
		name  string
		reply func(net.Conn)
		want  string
	}{
		{"oversized chunk", func(c net.Conn) { c.Write([]byte("OPNF\xff\xff\xff\x00")) }, "exceeds"},
		{"garbage", func(c net.Conn) { c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) }, "not an OPC UA"},
		{"error message", func(c net.Conn) {
			reason := "bad\x1b[31m thing"
			b := []byte("ERRF\x00\x00\x00\x00\x00\x00\x01\x80")
			b = binary.LittleEndian.AppendUint32(b, uint32(len(reason)))
			b = append(b, reason...)
			binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
			c.Write(b)
		}, "server error 0x80010000: bad [31m thing"},
		{"truncated OPN", func(c net.Conn) { c.Write([]byte("OPNF\x40\x00\x00\x00\x01\x00")) }, "EOF"},
		{"silence", func(c net.Conn) { time.Sleep(3 * time.Second) }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := fakeServer(t, tt.reply)
			start := time.Now()
			r, obs := runProbe(t, url, Options{Timeout: 500 * time.Millisecond})
			if r.Err == nil || !strings.Contains(r.Err.Error(), tt.want) {
				t.Errorf("err %v, want it to contain %q", r.Err, tt.want)
			}
			if strings.ContainsAny(r.Err.Error(), "\x1b\x00") {
				t.Errorf("control characters in the error: %q", r.Err)
			}
			if time.Since(start) > 2500*time.Millisecond {
				t.Errorf("took %v", time.Since(start))
			}
			for _, o := range obs {
				if o.Key != "" {
					t.Errorf("attribute from a hostile server: %+v", o)
				}
			}
		})
	}
}
