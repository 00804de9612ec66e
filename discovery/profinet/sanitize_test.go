package profinet

import (
	"bytes"
	"encoding/binary"
	"github.com/otzone/otzone/discovery"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

// The fast path of sanitize returns exactly what the rune loop would.
func TestSanitizePlainSameAsRunes(t *testing.T) {
	cases := []string{"", " ", "a", " a", "a ", "plc-1", "S7-1500 CPU", "tab\there", "x\x7f", "caf\xc3\xa9", "\xff",
		strings.Repeat("a", 256), strings.Repeat("a", 257), strings.Repeat("a", 255) + " ", "\x85a", "a\xc2\xa0"}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(" \t\r\n\x00\x1f\x7f\x80\xa0\xc2\xc3\xa9\xffaZ0-~")
	for range 20000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	fast := 0
	for _, s := range cases {
		if got, want := sanitize(s), sanitizeRunes(s); got != want {
			t.Fatalf("sanitize(%q) = %q, rune loop gives %q", s, got, want)
		}
		if plain(s) {
			fast++
		}
	}
	if fast < 100 {
		t.Errorf("only %d of %d cases took the fast path", fast, len(cases))
	}
}

// parseRPCRef is ParseRPC as it was before the byte-order branches
// (function values per field): the reference for the rewrite.
func parseRPCRef(b []byte) (RPCHeader, []byte, error) {
	var h RPCHeader
	if len(b) < RPCHeaderLen {
		return h, nil, ErrShort
	}
	if b[0] != 4 || b[1] > 10 {
		return h, nil, ErrNotPNIO
	}
	h.PacketType, h.Flags1 = b[1], b[2]
	h.LittleEndian = b[4]&0x10 != 0
	var u16 func([]byte) uint16
	var u32 func([]byte) uint32
	if h.LittleEndian {
		u16, u32 = binary.LittleEndian.Uint16, binary.LittleEndian.Uint32
	} else {
		u16, u32 = binary.BigEndian.Uint16, binary.BigEndian.Uint32
	}
	uuid := func(p []byte) UUID {
		var u UUID
		binary.BigEndian.PutUint32(u[0:], u32(p[0:]))
		binary.BigEndian.PutUint16(u[4:], u16(p[4:]))
		binary.BigEndian.PutUint16(u[6:], u16(p[6:]))
		copy(u[8:], p[8:16])
		return u
	}
	h.Object, h.Interface, h.Activity = uuid(b[8:]), uuid(b[24:]), uuid(b[40:])
	h.SeqNum = u32(b[64:])
	h.Opnum = u16(b[68:])
	h.BodyLen = u16(b[74:])
	h.FragNum = u16(b[76:])
	body := b[RPCHeaderLen:]
	if int(h.BodyLen) < len(body) {
		body = body[:h.BodyLen]
	}
	return h, body, nil
}

func TestParseRPCSameAsReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 5000 {
		b := make([]byte, 70+r.IntN(40))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		b[0], b[1] = 4, byte(r.IntN(11))
		if i%2 == 0 {
			b[4] |= 0x10
		} else {
			b[4] &^= 0x10
		}
		h, body, err := ParseRPC(b)
		rh, rbody, rerr := parseRPCRef(b)
		if (err == nil) != (rerr == nil) || h != rh || !bytes.Equal(body, rbody) {
			t.Fatalf("% x: got %+v %x %v, reference %+v %x %v", b, h, body, err, rh, rbody, rerr)
		}
	}
}

// RPC.Datagram's attributes skip sanitize for values that cannot need
// it: the vendor table's names and the role literals must be as sanitize
// leaves them (numbers are digits).
func TestRPCValuesNeedNoSanitize(t *testing.T) {
	vals := []string{"io-device", "io-controller", "io-supervisor"}
	for _, n := range vendorNames {
		vals = append(vals, n)
	}
	for _, v := range vals {
		if sanitize(v) != v {
			t.Errorf("sanitize(%q) = %q", v, sanitize(v))
		}
	}
}

// The station name of a Connect request is sanitized, also when the same
// name comes again (str's cache): profinet_io_cm_device.pcapng frame 1
// with a control character put into "pc-worx-rt-basic-6d-d3-43".
func TestConnectStationNameSanitized(t *testing.T) {
	b := append([]byte(nil), rpcFrame(t, "profinet_io_cm_device.pcapng", 1)...)
	i := bytes.Index(b, []byte("pc-worx-rt-basic"))
	if i < 0 {
		t.Fatal("no station name in frame 1")
	}
	b[i+2] = 0x07
	r := NewRPC()
	for round := range 2 {
		var names []string
		pkt := &discovery.PacketInfo{Src: discovery.Endpoint{IP: netip.MustParseAddr("10.0.0.1")}, Dst: discovery.Endpoint{IP: netip.MustParseAddr("10.0.0.2")}}
		if err := r.Datagram(b, pkt, func(o discovery.Observation) {
			if o.Key == "profinet.station_name" {
				names = append(names, o.Value)
			}
		}); err != nil {
			t.Fatal(err)
		}
		if len(names) != 1 || names[0] != "pc worx-rt-basic-6d-d3-43" {
			t.Errorf("round %d: station names %q", round, names)
		}
	}
}
