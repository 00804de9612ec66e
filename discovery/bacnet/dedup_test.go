package bacnet

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

// steadyPkt is a unicast exchange between two B/IP hosts (addresses are
// arbitrary; the payloads are the shared-capture frames named in
// parse_test.go).
func steadyPkt(frame uint64) *discovery.PacketInfo {
	return &discovery.PacketInfo{
		Src:     discovery.Endpoint{MAC: discovery.MAC{0, 0xe0, 0xc9, 0, 0x10, 0xa5}, IP: netip.MustParseAddr("192.168.0.24")},
		Dst:     discovery.Endpoint{MAC: discovery.MAC{0, 0xe0, 0xc9, 0, 0x10, 0xa6}, IP: netip.MustParseAddr("192.168.0.25")},
		SrcPort: Port, DstPort: Port,
		Evidence: discovery.Evidence{Kind: "pcap", Name: "t", Frame: frame},
	}
}

// Repeating the same datagrams between the same peers allocates nothing:
// the de-duplication keys are fixed-size and strings are decoded only for
// values not seen before.
func TestSteadyStateAllocs(t *testing.T) {
	d := New()
	var frames [][]byte
	for _, h := range []string{iAmRouted, rpObjectName, rpVendorName, reinit, errorPDU} {
		frames = append(frames, unhex(t, h))
	}
	pkt := steadyPkt(1)
	n := 0
	emit := func(discovery.Observation) { n++ }
	for _, f := range frames {
		if err := d.Datagram(f, pkt, emit); err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Fatal("first pass emitted nothing")
	}
	n = 0
	allocs := testing.AllocsPerRun(100, func() {
		for _, f := range frames {
			_ = d.Datagram(f, pkt, emit)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per steady-state pass, want 0", allocs)
	}
	// Only the reinitializeDevice request's operation repeats (one per
	// request, as before); every other fact was already reported.
	if want := 101; n != want {
		t.Errorf("%d observations in 101 repeated passes, want %d (one operation each)", n, want)
	}
}

// A property whose value changes is reported again, with the frame where
// the new value first appears; a value seen before is not repeated.
func TestValueChangeReported(t *testing.T) {
	d := New()
	a := rpObjectName // "PLC_28" (bacnet_example.pcap frame 133)
	b := strings.Replace(a, "504c435f3238", "504c435f3239", 1)
	if a == b {
		t.Fatal("mutation did not apply")
	}
	var got []string
	for i, h := range []string{a, a, b, b, a} {
		emit := func(o discovery.Observation) {
			if o.Key == "bacnet.object_name" {
				got = append(got, o.Value+"@"+string(rune('0'+o.Evidence.Frame)))
			}
		}
		if err := d.Datagram(unhex(t, h), steadyPkt(uint64(i+1)), emit); err != nil {
			t.Fatal(err)
		}
	}
	if want := "PLC_28@1 PLC_29@3"; strings.Join(got, " ") != want {
		t.Errorf("object_name facts %q, want %q", strings.Join(got, " "), want)
	}
}

// A changed vendor in a repeated I-Am is a new fact; the unchanged
// device instance is not repeated.
func TestIAmChangeReported(t *testing.T) {
	d := New()
	other := strings.TrimSuffix(iAmRouted, "212a") + "212b" // vendor 42 -> 43
	var got []string
	for i, h := range []string{iAmRouted, iAmRouted, other} {
		emit := func(o discovery.Observation) {
			if o.Kind == discovery.KindAttribute && o.Key != "bacnet.vendor_name" {
				got = append(got, o.Key+"="+o.Value)
			}
		}
		if err := d.Datagram(unhex(t, h), steadyPkt(uint64(i+1)), emit); err != nil {
			t.Fatal(err)
		}
	}
	want := "bacnet.device_instance=108 bacnet.vendor_id=42 bacnet.vendor_id=43"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
}

// BenchmarkCaptures runs the capture engine with only this dissector over
// the four shared BACnet captures (10 480 frames, read once outside the
// loop), a fresh engine per iteration but one dissector (the Set's), so
// after the first pass its de-duplication state is the steady state;
// ns/op is per pass over all frames, engine decoding included.
func BenchmarkCaptures(b *testing.B) {
	type capture struct {
		name   string
		frames []testutil.Frame
	}
	var caps []capture
	total := 0
	for _, n := range []string{"bacnet_example.pcap", "bacnet_services.pcap", "bacnet_segmented_data.pcap", "bacnet_error_reject_abort.pcap"} {
		fr := testutil.ReadFrames(b, testutil.SharedPcap(b, "bacnet/"+n))
		caps = append(caps, capture{n, fr})
		total += len(fr)
	}
	set, err := discovery.NewSetOf(func() discovery.Dissector { return New() })
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		e := discovery.NewEngine(set, func(discovery.Observation) {}, discovery.EngineOptions{})
		for _, c := range caps {
			for _, fr := range c.frames {
				e.Packet(fr.Data, fr.CI, fr.LinkType, discovery.Evidence{Kind: "pcap", Name: c.name, Frame: uint64(fr.Number)})
			}
		}
		e.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*total), "ns/frame")
}
