package bacnet

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

// noMemo handles every datagram without the flow memo (as before it
// existed): the reference the memo must reproduce exactly.
type noMemo struct{ *Dissector }

func (d noMemo) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	p := *pkt
	p.Flow = nil
	return d.Dissector.Datagram(data, &p, emit)
}

func lines(obs []discovery.Observation) []string {
	s := make([]string, len(obs))
	for i, o := range obs {
		s[i] = fmt.Sprintf("%+v", o)
	}
	return s
}

func withLimit(n int) *Dissector {
	d := New()
	d.limit = n
	return d
}

// The memo changes nothing in what is emitted, over the shared captures,
// with the normal bounds and with bounds so small that seen, hot and subs
// are cleared every few packets (the generation check).
func TestMemoSameAsParsing(t *testing.T) {
	for _, name := range []string{"bacnet_example.pcap", "bacnet_services.pcap", "bacnet_segmented_data.pcap", "bacnet_error_reject_abort.pcap"} {
		path := testutil.SharedPcap(t, "bacnet/"+name)
		for _, limit := range []int{maxSeen, 64, 7, 2} {
			got := lines(runCapture(t, path, func() discovery.Dissector { return withLimit(limit) }))
			want := lines(runCapture(t, path, func() discovery.Dissector { return noMemo{withLimit(limit)} }))
			if len(want) == 0 {
				t.Fatalf("%s: no observations", name)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s limit %d: memo changed the observations (-without +with):\n%s", name, limit, diff)
			}
		}
	}
}

// A poller repeating requests with new invoke ids, to devices whose acks
// change value now and then, across many peers (so the bounds are hit):
// the same observations with and without the memo, and the memo answers
// most datagrams.
func TestMemoSyntheticPolling(t *testing.T) {
	req := unhex(t, "810a001101040005011409061d0b0044656c63617474793730") // reinitialize_device (confirmed request)
	ack := unhex(t, rpObjectName)                                         // ReadProperty-ACK device,501 object_name
	iam := unhex(t, iAmRouted)
	type dg struct {
		data     []byte
		src, dst discovery.Endpoint
		flow     *discovery.Flow
	}
	var seq []dg
	flows := map[[2]netip.Addr]*discovery.Flow{}
	flowOf := func(a, b netip.Addr) *discovery.Flow {
		k := [2]netip.Addr{a, b}
		if b.Less(a) {
			k = [2]netip.Addr{b, a}
		}
		if flows[k] == nil {
			flows[k] = &discovery.Flow{}
		}
		return flows[k]
	}
	client := discovery.Endpoint{MAC: discovery.MAC{2, 0, 0, 0, 0, 1}, IP: netip.MustParseAddr("10.0.0.1")}
	for round := 0; round < 6; round++ {
		for dev := 0; dev < 40; dev++ {
			server := discovery.Endpoint{MAC: discovery.MAC{2, 0, 0, 0, 1, byte(dev)}, IP: netip.AddrFrom4([4]byte{10, 0, 1, byte(dev)})}
			f := flowOf(client.IP, server.IP)
			r := append([]byte(nil), req...)
			r[8] = byte(round*40 + dev) // invoke id (APDU octet 2)
			a := append([]byte(nil), ack...)
			a[7] = r[8] // invoke id (APDU octet 1)
			if round%3 == 2 {
				a[len(a)-3] = byte('0' + dev%10) // the object name changes
			}
			i := append([]byte(nil), iam...)
			binary.BigEndian.PutUint16(i[18:20], uint16(dev%3)) // the routed device's SADR octet
			seq = append(seq, dg{r, client, server, f}, dg{a, server, client, f}, dg{i, server, client, f})
		}
	}
	run := func(d discovery.DatagramDissector) ([]string, int) {
		var out []string
		errs := 0
		for n, x := range seq {
			pkt := &discovery.PacketInfo{Src: x.src, Dst: x.dst, SrcPort: Port, DstPort: Port, Flow: x.flow,
				Evidence: discovery.Evidence{Kind: "pcap", Name: "synthetic", Frame: uint64(n + 1)}}
			if err := d.Datagram(x.data, pkt, func(o discovery.Observation) { out = append(out, fmt.Sprintf("%+v", o)) }); err != nil {
				errs++
			}
		}
		return out, errs
	}
	for _, limit := range []int{maxSeen, 50, 5} {
		for k := range flows {
			flows[k].State = nil
		}
		d := withLimit(limit)
		got, gotErrs := run(d)
		want, wantErrs := run(noMemo{withLimit(limit)})
		if gotErrs != 0 || wantErrs != 0 {
			t.Fatalf("limit %d: errors %d with the memo, %d without", limit, gotErrs, wantErrs)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d: memo changed the observations (-without +with):\n%s", limit, diff)
		}
		if len(want) < len(seq)/3 {
			t.Errorf("limit %d: only %d observations for %d datagrams", limit, len(want), len(seq))
		}
		if limit == maxSeen && d.memoHits < uint64(len(seq))*3/4 {
			t.Errorf("memo answered %d of %d datagrams, want most", d.memoHits, len(seq))
		}
	}
}

// reportWouldAct is what ack's report decides after a full parse of a
// ReadProperty-ACK: whether the value could become an attribute.
func reportWouldAct(data []byte) bool {
	p, raw, err := parseReadPropertyAck(data, false)
	return err == nil && p.Object.Type() == ObjectTypeDevice && raw != nil && !p.HasIndex && deviceKey(p.ID) != ""
}

// otherObject only skips acks the full parse would ignore too.
func TestOtherObjectOnlySkipsIgnoredAcks(t *testing.T) {
	base := unhex(t, rpObjectName)[9:] // bacnet_services.pcap ReadProperty-ACK service data (object-name of device,501)
	if !reportWouldAct(base) || otherObject(base) {
		t.Fatalf("the object-name ack must be reported: act %v, skipped %v", reportWouldAct(base), otherObject(base))
	}
	r := rand.New(rand.NewPCG(7, 8))
	skipped := 0
	for i := range 200000 {
		d := append([]byte(nil), base...)
		switch i % 3 {
		case 0: // another object type or property
			binary.BigEndian.PutUint32(d[1:5], r.Uint32())
			d[6] = byte(r.IntN(256))
		case 1: // random octets after a device object tag
			for j := 5; j < len(d); j++ {
				d[j] = byte(r.Uint32())
			}
		default: // random everything, random length
			d = d[:r.IntN(len(d)+1)]
			for j := range d {
				d[j] = byte(r.Uint32())
			}
		}
		if otherObject(d) {
			skipped++
			if reportWouldAct(d) {
				t.Fatalf("% x: skipped, but a full parse reports it", d)
			}
		}
	}
	if skipped < 1000 {
		t.Errorf("only %d inputs skipped", skipped)
	}
}

func FuzzOtherObject(f *testing.F) {
	f.Add(unhex(f, rpObjectName)[9:])
	f.Add(unhex(f, rpVendorName)[13:])
	f.Fuzz(func(t *testing.T, d []byte) {
		if otherObject(d) && reportWouldAct(d) {
			t.Fatalf("% x: skipped, but a full parse reports it", d)
		}
	})
}

// The BVLC header rule Detect applies before parsing (and ParseBVLC
// with it), case by case from Annex J.2: type 0x81, functions up to
// Secure-BVLL (0x0c), a length of at least the 4-octet header.
func TestBVLCHeaderRule(t *testing.T) {
	for _, c := range []struct {
		hex string
		ok  bool
	}{
		{"810a0004", true},         // Original-Unicast-NPDU, header only
		{"810c0004", true},         // Secure-BVLL: a header ParseBVLC reads (Detect then refuses it)
		{"820a0004", false},        // not BACnet/IP
		{"810d0004", false},        // no such function
		{"810a0003", false},        // length shorter than the header
		{"810a00", false},          // short
		{"810b000c0120ffff", true}, // Original-Broadcast-NPDU, length differs (port 47808 allows it)
	} {
		b := unhex(t, c.hex)
		if got := bvlcHeader(b); got != c.ok {
			t.Errorf("%s: bvlcHeader %v, want %v", c.hex, got, c.ok)
		}
		if _, err := ParseBVLC(b); (err == nil) != c.ok {
			t.Errorf("%s: ParseBVLC error %v, want ok=%v", c.hex, err, c.ok)
		}
		if !c.ok && (&Dissector{}).Detect(b, nil) != discovery.No {
			t.Errorf("%s: Detect did not refuse", c.hex)
		}
	}
}

// BenchmarkDatagramFlow is BenchmarkDatagram's ack on a flow, after the
// reinitialize_device request of parse_test.go, with new invoke ids each
// time: a poller's steady state, answered from the flow's memo (one op =
// the request and the ack).
func BenchmarkDatagramFlow(b *testing.B) {
	req := unhex(b, "810a001101040005011409061d0b0044656c63617474793730")
	ack := unhex(b, rpVendorName)
	d := New()
	f := &discovery.Flow{}
	c, s := steadyPkt(1), steadyPkt(2)
	c.Flow, s.Flow = f, f
	s.Src, s.Dst = c.Dst, c.Src
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(req) + len(ack)))
	b.ReportAllocs()
	for b.Loop() {
		req[8]++
		ack[11] = req[8] // the invoke ids (APDU octets 2 and 1)
		if err := d.Datagram(req, c, emit); err != nil {
			b.Fatal(err)
		}
		if err := d.Datagram(ack, s, emit); err != nil {
			b.Fatal(err)
		}
	}
	if d.memoHits == 0 {
		b.Fatal("the memo never answered")
	}
}

// sameShape agrees with comparing the octets one by one.
func TestSameShapeOctetwise(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	matches := 0
	for i := range 200000 {
		h := 5 + r.IntN(maxShape-4)
		a := make([]byte, h+r.IntN(20))
		for j := range a {
			a[j] = byte(r.Uint32())
		}
		inv := 0
		if i%2 == 0 {
			inv = 4 + r.IntN(h-4)
		}
		b := append([]byte(nil), a...)
		if i%3 != 0 { // mostly equal, with a few octets changed
			for range r.IntN(3) {
				b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
			}
		} else {
			b = b[:h+r.IntN(len(b)-h+1)]
		}
		e := memoEntry{hdr: int8(h), invoke: uint8(inv)}
		for w := range e.shape {
			if 8*w < h {
				e.shape[w] = word(a[:h], 8*w)
			}
		}
		want := true
		for j := 0; j < h; j++ {
			if j != 2 && j != 3 && (inv == 0 || j != inv) && a[j] != b[j] {
				want = false
			}
		}
		if got := e.sameShape(b); got != want {
			t.Fatalf("h %d invoke %d\n% x\n% x: %v, octet-wise %v", h, inv, a[:h], b[:h], got, want)
		}
		if want {
			matches++
		}
	}
	if matches < 10000 {
		t.Errorf("only %d matches", matches)
	}
}

// FuzzMemo: a fuzzed conversation (datagrams separated by a length octet,
// each sent by one of two hosts, one flow, repeated three times with the
// invoke ids varied) gives the same observations and errors with the
// flow memo as without, under bounds small enough to be cleared often.
func FuzzMemo(f *testing.F) {
	seed := func(hs ...string) []byte {
		var b []byte
		for _, h := range hs {
			d, _ := hex.DecodeString(h)
			b = append(b, byte(len(d)))
			b = append(b, d...)
		}
		return b
	}
	f.Add(seed(reinit, rpObjectName, iAmRouted), uint8(4))
	f.Add(seed(rpVendorName, errorPDU, rejectPDU, abortPDU), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, limit uint8) {
		var dgs [][]byte
		for len(b) > 0 {
			n := min(int(b[0]), len(b)-1)
			dgs = append(dgs, b[1:1+n])
			b = b[1+n:]
		}
		a := discovery.Endpoint{MAC: discovery.MAC{2, 0, 0, 0, 0, 1}, IP: netip.MustParseAddr("10.0.0.1")}
		z := discovery.Endpoint{MAC: discovery.MAC{2, 0, 0, 0, 0, 2}, IP: netip.MustParseAddr("10.0.0.2")}
		run := func(d discovery.DatagramDissector) []string {
			var out []string
			f := &discovery.Flow{}
			for round := range 3 {
				for i, dg := range dgs {
					x := append([]byte(nil), dg...)
					if len(x) > 8 {
						x[8] += byte(round) // an invoke id, in the commonest layout
					}
					pkt := &discovery.PacketInfo{Src: a, Dst: z, SrcPort: Port, DstPort: Port, Flow: f,
						Evidence: discovery.Evidence{Kind: "pcap", Name: "fuzz", Frame: uint64(round*len(dgs) + i + 1)}}
					if i%2 == 1 {
						pkt.Src, pkt.Dst = z, a
					}
					err := d.Datagram(x, pkt, func(o discovery.Observation) { out = append(out, fmt.Sprintf("%+v", o)) })
					out = append(out, fmt.Sprint(err != nil))
				}
			}
			return out
		}
		l := int(limit%16) + 1
		got, want := run(withLimit(l)), run(noMemo{withLimit(l)})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("limit %d: memo changed the observations (-without +with):\n%s", l, diff)
		}
	})
}

// A poller reading five values of one device in turn (acks of one header
// shape, five service data): the same observations with and without the
// memo, under bounds that clear seen and hot now and then too, and the
// tail ring answers the repeats.
func TestMemoTailRing(t *testing.T) {
	ack := unhex(t, rpObjectName) // ReadProperty-ACK device,501 object_name "PLC_28"
	client := discovery.Endpoint{MAC: discovery.MAC{2, 0, 0, 0, 0, 1}, IP: netip.MustParseAddr("10.0.0.1")}
	server := discovery.Endpoint{MAC: discovery.MAC{2, 0, 0, 0, 0, 2}, IP: netip.MustParseAddr("10.0.0.2")}
	var seq [][]byte
	for round := range 12 {
		for v := range 5 {
			a := append([]byte(nil), ack...)
			a[7] = byte(round*5 + v)    // invoke id (APDU octet 1)
			a[len(a)-2] = byte('0' + v) // "PLC_20" .. "PLC_24"
			seq = append(seq, a)
		}
	}
	run := func(d discovery.DatagramDissector) []string {
		var out []string
		f := &discovery.Flow{}
		for n, x := range seq {
			pkt := &discovery.PacketInfo{Src: server, Dst: client, SrcPort: Port, DstPort: Port, Flow: f,
				Evidence: discovery.Evidence{Kind: "pcap", Name: "synthetic", Frame: uint64(n + 1)}}
			if err := d.Datagram(x, pkt, func(o discovery.Observation) { out = append(out, fmt.Sprintf("%+v", o)) }); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	for _, limit := range []int{maxSeen, 9, 4} {
		d := withLimit(limit)
		got, want := run(d), run(noMemo{withLimit(limit)})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d: memo changed the observations (-without +with):\n%s", limit, diff)
		}
		if limit == maxSeen {
			if len(want) != 7 { // the server service and device_instance once, five object names
				t.Errorf("%d observations, want 7:\n%s", len(want), strings.Join(want, "\n"))
			}
			if d.ringHits < uint64(len(seq))/2 {
				t.Errorf("the tail ring answered %d of %d acks", d.ringHits, len(seq))
			}
		}
	}
}
