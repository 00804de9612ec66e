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

// TestPlan: the dry-run plan lists every chunk of a run, each of which
// passes the allow-list, and sends nothing (Plan has no network access).
func TestPlan(t *testing.T) {
	ts, err := ParseTargets([]string{"opc.tcp://192.0.2.10:4840/UA/Server", "192.0.2.11"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Plan(ts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 2*9 {
		t.Fatalf("%d planned chunks, want 18", len(plan))
	}
	var whats []string
	for _, p := range plan[:9] {
		if err := checkChunk(p.Wire); err != nil {
			t.Errorf("%s: %v", p.What, err)
		}
		whats = append(whats, p.What)
	}
	if plan[0].Target.String() != "192.0.2.10:4840" || string(plan[0].Wire[32:]) != "opc.tcp://192.0.2.10:4840/UA/Server" {
		t.Errorf("first chunk %s %q", plan[0].Target, plan[0].Wire)
	}
	if plan[9].Target.String() != "192.0.2.11:4840" {
		t.Errorf("second target %s", plan[9].Target)
	}
	if plan[4].Condition == "" || plan[2].Condition != "" {
		t.Errorf("conditions: %q %q", plan[2].Condition, plan[4].Condition)
	}
	noSession, _ := Plan(ts[:1], Options{NoSession: true})
	if len(noSession) != 5 {
		t.Errorf("--no-session plan has %d chunks, want 5", len(noSession))
	}
	t.Logf("plan: %v", whats)
}

func TestParseTargets(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"opc.tcp://10.0.0.5:4840"}, "opc.tcp://10.0.0.5:4840"},
		{[]string{"10.0.0.5"}, "opc.tcp://10.0.0.5:4840"},
		{[]string{"opc.tcp://plc-1:48010/path"}, "opc.tcp://plc-1:48010/path"},
		{[]string{"opc.tcp://[fe80::1]:4841"}, "opc.tcp://[fe80::1]:4841"},
		{[]string{"http://10.0.0.5:4840"}, "error"},
		{[]string{"opc.tcp://10.0.0.0/24"}, "error"}, // looks like a range: refused
		{[]string{"opc.tcp://224.0.0.1:4840"}, "error"},
		{[]string{"opc.tcp://user:pw@10.0.0.5:4840"}, "error"},
	}
	for _, tt := range tests {
		ts, err := ParseTargets(tt.in)
		got := "error"
		if err == nil {
			got = ts[0].URL
		}
		if got != tt.want {
			t.Errorf("%v: %s (err %v), want %s", tt.in, got, err, tt.want)
		}
	}
}
