package probe

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sort"
	"testing"
	"time"

	"github.com/gopcua/opcua/ua"

	"github.com/otzone/otzone/discovery/opcua"
	"github.com/otzone/otzone/discovery/probe"
)

// recConn records what reaches the network.
type recConn struct {
	net.Conn
	buf    bytes.Buffer
	closed bool
}

func (r *recConn) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recConn) Close() error                { r.closed = true; return nil }
func (r *recConn) SetDeadline(time.Time) error { return nil }

func testClient(t *testing.T) (*client, *recConn) {
	t.Helper()
	rc := &recConn{}
	p, err := probe.NewPacer(probe.MaxRate, probe.MaxPerHostRate)
	if err != nil {
		t.Fatal(err)
	}
	return &client{g: &guardConn{Conn: rc}, url: "opc.tcp://192.0.2.1:4840", host: "192.0.2.1", pacer: p, timeout: time.Second, seq: 1, channelID: 5, tokenID: 1}, rc
}

// TestAllowListRefusesEverythingElse sends every request service the
// passive dissector knows through the client: the allowed ones reach the
// wire, every other one is refused before a byte is written and the
// connection is closed.
func TestAllowListRefusesEverythingElse(t *testing.T) {
	var ids []int
	for id := opcua.ServiceID(1); id < 13000; id++ {
		if info, ok := id.Info(); ok && info.Request {
			ids = append(ids, int(id))
		}
	}
	sort.Ints(ids)
	refused := 0
	for _, n := range ids {
		id := opcua.ServiceID(n)
		c, rc := testClient(t)
		// The body does not matter to the guard: it checks the TypeId.
		err := c.call(context.Background(), id, 0, &ua.CloseSecureChannelRequest{RequestHeader: c.header()}, nil)
		_, allowed := Allowed[id]
		if id == opcua.SvcOpenSecureChannelRequest {
			allowed = false // only in an OPN chunk, never in MSG
		}
		switch {
		case allowed && err != nil:
			t.Errorf("%s: allowed but refused: %v", id, err)
		case !allowed && !errors.Is(err, ErrNotAllowed):
			t.Errorf("%s: sent (err %v), want ErrNotAllowed", id, err)
		case !allowed:
			refused++
			if rc.buf.Len() != 0 || !rc.closed {
				t.Errorf("%s: %d bytes reached the wire, closed=%v", id, rc.buf.Len(), rc.closed)
			}
			// Nothing after a refusal either.
			if _, err := c.g.Write([]byte("HELF")); err == nil || rc.buf.Len() != 0 {
				t.Errorf("%s: write after refusal went through", id)
			}
		}
	}
	for _, must := range []opcua.ServiceID{673, 712, 787, 751, 826, 488, 500, 527, 700, 437} {
		if _, ok := Allowed[must]; ok {
			t.Errorf("%s is on the allow-list", must)
		}
	}
	// 446 is allowed only as an OPN chunk, so through MSG it is refused too.
	if want := len(ids) - (len(Allowed) - 1); refused != want {
		t.Errorf("%d services refused, want %d", refused, want)
	}
	t.Logf("%d request services refused, %d allowed", refused, len(Allowed))
}

func TestAllowListChunks(t *testing.T) {
	opn := func(policy string) []byte {
		b := make([]byte, 12)
		copy(b, "OPNF")
		b = binary.LittleEndian.AppendUint32(b, uint32(len(policy)))
		b = append(b, policy...)
		b = binary.LittleEndian.AppendUint32(b, 0xffffffff)
		b = binary.LittleEndian.AppendUint32(b, 0xffffffff)
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = append(b, 0x01, 0x00, 0xbe, 0x01) // OpenSecureChannelRequest
		binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
		return b
	}
	msg := func(typ string, id uint16) []byte {
		b := make([]byte, 8, 32)
		copy(b, typ)
		b = binary.LittleEndian.AppendUint32(b, 5)
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, 2)
		b = binary.LittleEndian.AppendUint32(b, 2)
		b = append(b, 0x01, 0x00, byte(id), byte(id>>8))
		binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
		return b
	}
	tests := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"OPN None", opn(policyNone), true},
		{"OPN Basic256Sha256", opn("http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"), false},
		{"MSG Read", msg("MSGF", 631), true},
		{"MSG Write", msg("MSGF", 673), false},
		{"MSG Call", msg("MSGF", 712), false},
		{"MSG CreateSubscription", msg("MSGF", 787), false},
		{"MSG intermediate chunk", msg("MSGC", 631), false},
		{"CLO CloseSecureChannel", msg("CLOF", 452), true},
		{"CLO carrying Write", msg("CLOF", 673), false},
		{"MSG carrying OpenSecureChannel", msg("MSGF", 446), false},
		{"two chunks in one write", append(msg("MSGF", 631), msg("MSGF", 631)...), false},
		{"unknown TypeId", msg("MSGF", 9999), false},
		{"ACK from a client", []byte("ACKF\x1c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x01\x00\x01\x00\x00"), false},
		{"garbage", []byte("GET / HTTP/1.1\r\n\r\n"), false},
	}
	for _, tt := range tests {
		err := checkChunk(tt.b)
		if tt.ok != (err == nil) {
			t.Errorf("%s: err %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
