package discovery_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
)

// frag4 cuts an Ethernet/IPv4 frame's IP payload at the given byte offsets
// into fragments (RFC 791 §3.2): each gets the IP header with its offset,
// the more-fragments flag and its total length, and the identification id.
func frag4(t *testing.T, frame []byte, id uint16, cuts ...int) [][]byte {
	t.Helper()
	const l2 = 14
	ihl := int(frame[l2]&0x0f) * 4
	hdr, payload := frame[:l2+ihl], frame[l2+ihl:]
	bounds := append(append([]int{0}, cuts...), len(payload))
	var out [][]byte
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]
		if lo%8 != 0 {
			t.Fatalf("cut %d is not a multiple of 8", lo)
		}
		f := append(append([]byte{}, hdr...), payload[lo:hi]...)
		binary.BigEndian.PutUint16(f[l2+2:], uint16(ihl+hi-lo))
		binary.BigEndian.PutUint16(f[l2+4:], id)
		v := uint16(lo / 8)
		if hi < len(payload) {
			v |= 0x2000
		}
		binary.BigEndian.PutUint16(f[l2+6:], v)
		out = append(out, f)
	}
	return out
}

// frag6 cuts an Ethernet/IPv6 frame (fixed header only) into fragments with
// a fragment header (RFC 8200 §4.5); ext, when set, is a destination
// options header placed in the fragmentable part before the transport.
func frag6(t *testing.T, frame []byte, id uint32, ext bool, cuts ...int) [][]byte {
	t.Helper()
	const l2 = 14
	hdr := frame[:l2+40]
	next := frame[l2+6]
	payload := frame[l2+40:]
	if ext {
		payload = append([]byte{next, 0, 1, 4, 0, 0, 0, 0}, payload...) // PadN option
		next = 60
	}
	bounds := append(append([]int{0}, cuts...), len(payload))
	var out [][]byte
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]
		v := uint16(lo)
		if hi < len(payload) {
			v |= 1
		}
		fh := []byte{next, 0, byte(v >> 8), byte(v), 0, 0, 0, 0}
		binary.BigEndian.PutUint32(fh[4:], id)
		f := append(append(append([]byte{}, hdr...), fh...), payload[lo:hi]...)
		f[l2+6] = 44
		binary.BigEndian.PutUint16(f[l2+4:], uint16(8+hi-lo))
		out = append(out, f)
	}
	return out
}

func bigBody(n int) []byte {
	b := []byte{0x81}
	for i := 0; len(b) < n; i++ {
		b = append(b, byte('a'+i%26))
	}
	return b
}

func TestIPv4Reassembly(t *testing.T) {
	set, log := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	bac1 := ep{"00:1d:9c:00:00:07", "10.0.0.7", 47808}
	bac2 := ep{"00:1d:9c:00:00:08", "10.0.0.8", 47808}
	body := bigBody(3001) // + 8 bytes of UDP header = 3009 bytes of IP payload
	fs := frag4(t, ether(bac1, bac2, ipUDP(bac1, bac2, body)), 7, 1480, 2960)
	// Out of order, with a duplicate (a SPAN port mirroring twice).
	r.eth(fs[2], fs[0], fs[0], fs[1])
	st := r.e.Stats()
	if d := cmp.Diff([]string{"to_server:" + string(body)}, bodies(log)); d != "" {
		t.Errorf("dissected (-want +got):\n%s", d)
	}
	if st.Fragments != 4 || st.Fragment.Reassembled != 1 || st.Fragment.Dropped != 0 {
		t.Errorf("fragments %d %+v, want 4 {1 0}", st.Fragments, st.Fragment)
	}
	// The datagram's evidence is the frame that completed it.
	if got := log.pdus[0].Frame; got != 4 {
		t.Errorf("evidence frame %d, want 4", got)
	}
	// The flow counts every fragment as a packet of its own, the duplicate
	// too (it was on the wire twice).
	r.e.Flush()
	var pkts, nbytes uint64
	for _, o := range r.kind(discovery.KindFlow) {
		pkts, nbytes = pkts+o.Packets, nbytes+o.Bytes
	}
	want := uint64(len(fs[2]) + 2*len(fs[0]) + len(fs[1]))
	if pkts != 4 || nbytes != want {
		t.Errorf("flow packets %d bytes %d, want 4 and %d", pkts, nbytes, want)
	}
}

func TestIPv4ReassemblyRejects(t *testing.T) {
	bac1 := ep{"00:1d:9c:00:00:07", "10.0.0.7", 47808}
	bac2 := ep{"00:1d:9c:00:00:08", "10.0.0.8", 47808}
	frame := ether(bac1, bac2, ipUDP(bac1, bac2, bigBody(2000)))
	for _, c := range []struct {
		name string
		fs   func() [][]byte
	}{
		{"overlap with different bytes", func() [][]byte {
			a := frag4(t, frame, 1, 1000)
			b := frag4(t, frame, 1, 992) // second fragment starts 8 bytes early...
			b[1][14+20+3] ^= 0xff        // ...and disagrees inside the overlap
			return [][]byte{a[0], b[1]}
		}},
		{"timed out", func() [][]byte {
			return frag4(t, frame, 2, 1000) // fed 31 s apart below
		}},
		{"past 65535 bytes", func() [][]byte {
			fs := frag4(t, frame, 3, 1000)
			binary.BigEndian.PutUint16(fs[1][14+6:], 65528/8)
			return fs
		}},
		{"cut by the snap length", func() [][]byte {
			fs := frag4(t, frame, 4, 1000)
			fs[1] = fs[1][:len(fs[1])-10]
			return fs
		}},
		{"middle fragment not a multiple of 8", func() [][]byte {
			fs := frag4(t, frame, 5, 1000)
			bad := append([]byte{}, fs[0]...)
			bad = bad[:len(bad)-3]
			binary.BigEndian.PutUint16(bad[14+2:], uint16(len(bad)-14))
			return [][]byte{bad, fs[1]}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			set, log := testSet(t)
			r := newRunner(t, set, discovery.EngineOptions{})
			if c.name == "timed out" {
				r.step = 31 * time.Second
			}
			r.eth(c.fs()...)
			r.e.Close()
			st := r.e.Stats()
			if d := cmp.Diff([]string{}, bodies(log)); d != "" {
				t.Errorf("must not be dissected: %s", d)
			}
			if st.Fragment.Reassembled != 0 || st.Fragment.Dropped == 0 {
				t.Errorf("%+v, want nothing reassembled and a drop", st.Fragment)
			}
		})
	}
}

func TestIPv6Reassembly(t *testing.T) {
	for _, ext := range []bool{false, true} {
		set, log := testSet(t)
		r := newRunner(t, set, discovery.EngineOptions{})
		a := ep{"00:1d:9c:00:00:07", "fd00::7", 47808}
		b := ep{"00:1d:9c:00:00:08", "fd00::8", 47808}
		body := bigBody(2500)
		fs := frag6(t, ether(a, b, ipUDP(a, b, body)), 0x01020304, ext, 1232, 2464)
		r.eth(fs[1], fs[2], fs[0])
		if d := cmp.Diff([]string{"to_server:" + string(body)}, bodies(log)); d != "" {
			t.Errorf("ext %v: dissected (-want +got):\n%s", ext, d)
		}
		if st := r.e.Stats(); st.Fragment.Reassembled != 1 || st.Malformed != 0 {
			t.Errorf("ext %v: %+v malformed %d", ext, st.Fragment, st.Malformed)
		}
	}
}

// A TCP segment split by IP fragmentation reaches the stream framing whole.
func TestTCPOverFragments(t *testing.T) {
	set, log := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	long := strings.Repeat("x", 1800)
	r.eth(handshake(cli, srv)...)
	fs := frag4(t, tcpEth(cli, srv, 1001, 5001, fACK|fPSH, cat(pdu(long), pdu("next"))), 9, 1000)
	r.eth(fs[1], fs[0])
	r.eth(tcpEth(cli, srv, 1001+uint32(len(long))+2+6, 5001, fACK|fPSH, pdu("after")))
	if d := cmp.Diff([]string{"to_server:" + long, "to_server:next", "to_server:after"}, bodies(log)); d != "" {
		t.Errorf("dissected (-want +got):\n%s", d)
	}
}

// Remote SPAN over GRE whose mirrored frames were fragmented on the way: the
// inner host is found once the tunnel packet is reassembled.
func TestReassembledTunnel(t *testing.T) {
	set, log := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	bac1 := ep{"00:1d:9c:00:00:07", "10.9.0.7", 47808}
	bac2 := ep{"00:1d:9c:00:00:08", "10.9.0.8", 47808}
	body := bigBody(1400)
	inner := ether(bac1, bac2, ipUDP(bac1, bac2, body))
	s1 := ep{"02:00:00:00:00:01", "192.0.2.1", 0}
	s2 := ep{"02:00:00:00:00:02", "192.0.2.2", 0}
	gre := append([]byte{0, 0, 0x65, 0x58}, inner...) // GRE, transparent Ethernet bridging
	outer := ether(s1, s2, ipRaw(s1, s2, 47, gre))
	fs := frag4(t, outer, 11, 1000)
	r.eth(fs...)
	if d := cmp.Diff([]string{"to_server:" + string(body)}, bodies(log)); d != "" {
		t.Errorf("dissected (-want +got):\n%s", d)
	}
	r.e.Flush()
	var found bool
	for _, o := range r.kind(discovery.KindHost) {
		found = found || o.Asset.IP.String() == "10.9.0.7"
	}
	if !found {
		t.Error("inner host 10.9.0.7 not seen")
	}
}

// The reassembler holds a bounded number of incomplete datagrams.
func TestReassemblyBounds(t *testing.T) {
	set, _ := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	bac1 := ep{"00:1d:9c:00:00:07", "10.0.0.7", 47808}
	bac2 := ep{"00:1d:9c:00:00:08", "10.0.0.8", 47808}
	frame := ether(bac1, bac2, ipUDP(bac1, bac2, bigBody(2000)))
	for id := 0; id < 1000; id++ {
		r.eth(frag4(t, frame, uint16(id), 1000)[0]) // never completed
	}
	st := r.e.Stats()
	if st.Fragment.Dropped != 1000-256 {
		t.Errorf("dropped %d, want %d (at most 256 in progress)", st.Fragment.Dropped, 1000-256)
	}
	r.e.Close()
	if st := r.e.Stats(); st.Fragment.Dropped != 1000 {
		t.Errorf("dropped %d after Close, want 1000", st.Fragment.Dropped)
	}
}

func ipRaw(s, d ep, proto layers.IPProtocol, payload []byte) []gopacket.SerializableLayer {
	return []gopacket.SerializableLayer{ipLayer(s, d, proto), gopacket.Payload(payload)}
}

// FuzzFragments feeds fragments of one datagram with fuzzer-chosen
// offsets, lengths, flags and bytes (3-byte record: offset/8 high bits and
// more flag, offset/8 low byte, length): never a panic, never a datagram
// larger than IP allows, and the bounds hold.
func FuzzFragments(f *testing.F) {
	f.Add([]byte{0x20, 0, 100, 0x00, 13, 50})                   // two fragments that complete
	f.Add([]byte{0x20, 0, 100, 0x20, 12, 100, 0x00, 12, 10, 0}) // overlaps
	f.Add([]byte{0x1f, 0xff, 255, 0x00, 0, 8})
	f.Fuzz(func(t *testing.T, data []byte) {
		set, log := testSet(t)
		r := newRunner(t, set, discovery.EngineOptions{})
		a := ep{"00:1d:9c:00:00:07", "10.0.0.7", 47808}
		b := ep{"00:1d:9c:00:00:08", "10.0.0.8", 47808}
		base := ether(a, b, ipUDP(a, b, []byte{0x81}))
		for i := 0; i+3 <= len(data) && i < 3*64; i += 3 {
			v := uint16(data[i])<<8 | uint16(data[i+1])
			n := int(data[i+2]) * 8
			fr := append(append([]byte{}, base[:14+20]...), make([]byte, n)...)
			for j := range n {
				fr[14+20+j] = byte(i + j)
			}
			if v&0x1fff == 0 && n >= 8 {
				copy(fr[14+20:], base[14+20:14+28]) // a UDP header in the first fragment
				binary.BigEndian.PutUint16(fr[14+20+4:], uint16(n))
				if n > 8 {
					fr[14+28] = 0x81
				}
			}
			binary.BigEndian.PutUint16(fr[14+2:], uint16(20+n))
			binary.BigEndian.PutUint16(fr[14+6:], v&0x3fff)
			r.eth(fr)
		}
		r.e.Close()
		st := r.e.Stats()
		if st.Fragment.Reassembled+st.Fragment.Dropped > st.Fragments {
			t.Errorf("%+v of %d fragments", st.Fragment, st.Fragments)
		}
		for _, p := range log.pdus {
			if len(p.Body) > 65535 {
				t.Errorf("datagram of %d bytes", len(p.Body))
			}
		}
	})
}
