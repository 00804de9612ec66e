package discovery_test

import (
	"encoding/binary"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/otzone/otzone/discovery"
)

// handshake returns the three packets of a TCP handshake (client ISN 1000,
// server ISN 5000), so data starts at seq 1001 / 5001.
func handshake(c, s ep) [][]byte {
	return [][]byte{
		tcpEth(c, s, 1000, 0, fSYN, nil),
		tcpEth(s, c, 5000, 1001, fSYN|fACK, nil),
		tcpEth(c, s, 1001, 5001, fACK, nil),
	}
}

func TestFraming(t *testing.T) {
	p1, p2, p3 := pdu("one"), pdu("two"), pdu("three")
	both := cat(p1, p2)
	long := pdu(strings.Repeat("x", 3000))
	cases := []struct {
		name  string
		opt   discovery.EngineOptions
		start bool // with a handshake
		segs  [][]byte
		want  []string
		check func(t *testing.T, st discovery.EngineStats)
	}{
		{name: "one pdu per segment", start: true,
			segs: [][]byte{tcpEth(cli, srv, 1001, 5001, fACK, p1), tcpEth(srv, cli, 5001, 1006, fACK, p2)},
			want: []string{"to_server:one", "to_client:two"}},
		{name: "split pdu", start: true,
			segs: [][]byte{
				tcpEth(cli, srv, 1001, 5001, fACK, p3[:1]),
				tcpEth(cli, srv, 1002, 5001, fACK, p3[1:4]),
				tcpEth(cli, srv, 1005, 5001, fACK, p3[4:]),
			},
			want: []string{"to_server:three"}},
		{name: "two pdus in one segment then a split third", start: true,
			segs: [][]byte{
				tcpEth(cli, srv, 1001, 5001, fACK, cat(both, p3[:3])),
				tcpEth(cli, srv, 1001+uint32(len(both))+3, 5001, fACK, p3[3:]),
			},
			want: []string{"to_server:one", "to_server:two", "to_server:three"}},
		{name: "retransmission and partial overlap", start: true,
			segs: [][]byte{
				tcpEth(cli, srv, 1001, 5001, fACK, p1),
				tcpEth(cli, srv, 1001, 5001, fACK, p1),              // full retransmission
				tcpEth(cli, srv, 1004, 5001, fACK, cat(p1[3:], p2)), // overlaps the last 2 bytes of p1
			},
			want: []string{"to_server:one", "to_server:two"}},
		{name: "out of order", start: true,
			segs: [][]byte{
				tcpEth(cli, srv, 1001+5, 5001, fACK, p2),
				tcpEth(cli, srv, 1001, 5001, fACK, p1),
				tcpEth(cli, srv, 1001+10, 5001, fACK, p3),
			},
			want: []string{"to_server:one", "to_server:two", "to_server:three"}},
		{name: "persistent gap is skipped", start: true,
			segs: func() [][]byte {
				// p1 arrives, p2 (5 bytes) is never captured, then 40 PDUs.
				out := [][]byte{tcpEth(cli, srv, 1001, 5001, fACK, p1)}
				seq := uint32(1001 + 10)
				for i := 0; i < 40; i++ {
					out = append(out, tcpEth(cli, srv, seq, 5001, fACK, p3))
					seq += uint32(len(p3))
				}
				return out
			}(),
			want: append([]string{"to_server:one"}, repeat("to_server:three", 40)...),
			check: func(t *testing.T, st discovery.EngineStats) {
				if st.TCPGaps != 1 {
					t.Errorf("TCPGaps %d, want 1", st.TCPGaps)
				}
			}},
		{name: "held segments are delivered when the flow closes", start: true,
			segs: [][]byte{
				tcpEth(cli, srv, 1001, 5001, fACK, p1),
				// p2 (1006..1010) is never captured
				tcpEth(cli, srv, 1011, 5001, fACK, p3),
				tcpEth(cli, srv, 1018, 5001, fACK|fFIN, p1),
				tcpEth(srv, cli, 5001, 1024, fACK|fFIN, nil),
			},
			want: []string{"to_server:one", "to_server:three", "to_server:one"}},
		{name: "an ack past the hole skips it at once", start: true,
			segs: [][]byte{
				tcpEth(cli, srv, 1001, 5001, fACK, p1),
				tcpEth(cli, srv, 1011, 5001, fACK, p3), // held: 1006..1010 missing
				tcpEth(srv, cli, 5001, 1018, fACK, p2), // the server has it all
				tcpEth(cli, srv, 1018, 5006, fACK, p1), // in order again
			},
			want: []string{"to_server:one", "to_server:three", "to_client:two", "to_server:one"}},
		{name: "gap in the middle of a pdu drops the partial pdu", start: true,
			segs: func() [][]byte {
				out := [][]byte{tcpEth(cli, srv, 1001, 5001, fACK, p3[:4])} // first 4 of 7 bytes
				seq := uint32(1001 + 7)                                     // bytes 1005..1007 lost
				for i := 0; i < 40; i++ {
					out = append(out, tcpEth(cli, srv, seq, 5001, fACK, p1))
					seq += uint32(len(p1))
				}
				return out
			}(),
			want: repeat("to_server:one", 40)},
		{name: "mid-stream start inside a pdu resyncs", start: false,
			segs: [][]byte{
				tcpEth(cli, srv, 7000, 9000, fACK, []byte{0xff, 0xff, 'z'}), // tail of an unseen PDU: Detect says No
				tcpEth(cli, srv, 7003, 9000, fACK, p1),
				tcpEth(srv, cli, 9000, 7008, fACK, p2),
			},
			want: []string{"to_server:one", "to_client:two"}},
		{name: "mid-stream framing error resyncs", start: false,
			segs: [][]byte{
				tcpEth(cli, srv, 7000, 9000, fACK, []byte{0x00, 0x01}), // length 1: PDULen error
				tcpEth(cli, srv, 7002, 9000, fACK, p1),
			},
			want: []string{"to_server:one"}},
		{name: "framing error after a handshake stops the flow", start: true,
			segs: [][]byte{
				tcpEth(cli, srv, 1001, 5001, fACK, []byte{0x00, 0x01}),
				tcpEth(cli, srv, 1003, 5001, fACK, p1),
			},
			want: []string{},
			check: func(t *testing.T, st discovery.EngineStats) {
				if st.DissectorErrors != 1 {
					t.Errorf("DissectorErrors %d, want 1", st.DissectorErrors)
				}
			}},
		{name: "detect no after a handshake", start: true,
			segs: [][]byte{tcpEth(cli, srv, 1001, 5001, fACK, []byte{0xff, 0x00, 0x00}), tcpEth(cli, srv, 1004, 5001, fACK, p1)},
			want: []string{}},
		{name: "detect needs more", start: true,
			segs: [][]byte{tcpEth(cli, srv, 1001, 5001, fACK, p1[:1]), tcpEth(cli, srv, 1002, 5001, fACK, p1[1:])},
			want: []string{"to_server:one"}},
		{name: "oversize pdu skipped", start: true, opt: discovery.EngineOptions{MaxStreamBuffer: 1024},
			segs: [][]byte{
				tcpEth(cli, srv, 1001, 5001, fACK, long[:1400]),
				tcpEth(cli, srv, 1001+1400, 5001, fACK, long[1400:]),
				tcpEth(cli, srv, 1001+uint32(len(long)), 5001, fACK, p1),
			},
			want: []string{"to_server:one"},
			check: func(t *testing.T, st discovery.EngineStats) {
				if st.OversizePDUs != 1 {
					t.Errorf("OversizePDUs %d, want 1", st.OversizePDUs)
				}
			}},
		{name: "segment cut by the snap length is skipped", start: true,
			segs: func() [][]byte {
				cut := tcpEth(cli, srv, 1006, 5001, fACK, p3)
				return [][]byte{
					tcpEth(cli, srv, 1001, 5001, fACK, p1),
					cut[:len(cut)-3], // IP total length says 3 more bytes
					tcpEth(cli, srv, 1006+7, 5001, fACK, p2),
				}
			}(),
			want: []string{"to_server:one", "to_server:two"},
			check: func(t *testing.T, st discovery.EngineStats) {
				if st.Truncated != 1 || st.Malformed != 0 {
					t.Errorf("Truncated %d Malformed %d, want 1 and 0", st.Truncated, st.Malformed)
				}
			}},
		{name: "parse error continues", start: true,
			segs: [][]byte{tcpEth(cli, srv, 1001, 5001, fACK, cat(pdu("ERR"), p1))},
			want: []string{"to_server:one"},
			check: func(t *testing.T, st discovery.EngineStats) {
				if st.DissectorErrors != 1 {
					t.Errorf("DissectorErrors %d, want 1", st.DissectorErrors)
				}
			}},
		{name: "panic disables the flow, not the engine", start: true,
			segs: [][]byte{tcpEth(cli, srv, 1001, 5001, fACK, cat(p1, pdu("PANIC"), p2)), tcpEth(cli, srv, 1001+5+7+5, 5001, fACK, p3)},
			want: []string{"to_server:one"},
			check: func(t *testing.T, st discovery.EngineStats) {
				if st.DissectorPanics != 1 {
					t.Errorf("DissectorPanics %d, want 1", st.DissectorPanics)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, log := testSet(t)
			r := newRunner(t, set, c.opt)
			if c.start {
				r.eth(handshake(cli, srv)...)
			}
			r.eth(c.segs...)
			r.e.Close()
			if d := cmp.Diff(c.want, bodies(log)); d != "" {
				t.Errorf("PDUs (-want +got):\n%s", d)
			}
			if c.check != nil {
				c.check(t, r.e.Stats())
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestEveryPrefixSplit feeds a stream of three PDUs cut at every position
// into two segments: the PDUs come out whole and in order every time.
func TestEveryPrefixSplit(t *testing.T) {
	stream := cat(pdu("one"), pdu("two"), pdu("three"))
	for cut := 1; cut < len(stream); cut++ {
		set, log := testSet(t)
		r := newRunner(t, set, discovery.EngineOptions{})
		r.eth(handshake(cli, srv)...)
		r.eth(tcpEth(cli, srv, 1001, 5001, fACK, stream[:cut]), tcpEth(cli, srv, 1001+uint32(cut), 5001, fACK, stream[cut:]))
		r.e.Close()
		if d := cmp.Diff([]string{"to_server:one", "to_server:two", "to_server:three"}, bodies(log)); d != "" {
			t.Errorf("cut %d (-want +got):\n%s", cut, d)
		}
	}
}

func TestRoles(t *testing.T) {
	other := ep{"00:0e:8c:00:00:03", "10.0.0.30", 30000}
	cases := []struct {
		name       string
		frames     [][]byte
		client     string
		serverPort uint16
		proto      string
	}{
		{"handshake decides against the claimed port",
			// the host with port 5020 opens the connection to port 30000
			[][]byte{tcpEth(srv, other, 1, 0, fSYN, nil), tcpEth(other, srv, 9, 2, fSYN|fACK, nil)},
			srv.ip, 30000, "unknown"},
		{"syn-ack first: its sender is the server",
			[][]byte{tcpEth(other, srv, 9, 2, fSYN|fACK, nil)},
			srv.ip, 30000, "unknown"},
		{"no handshake: the claimed port is the server",
			[][]byte{tcpEth(srv, cli, 1, 1, fACK, pdu("one"))},
			cli.ip, 5020, "fake"},
		{"no handshake, no claim: the lower port is the server",
			[][]byte{tcpEth(ep{cli.mac, cli.ip, 2000}, ep{srv.mac, srv.ip, 45000}, 1, 1, fACK, []byte("x"))},
			srv.ip, 2000, "unknown"},
		{"heuristic dissector on an unclaimed port",
			[][]byte{tcpEth(cli, other, 1, 1, fACK, pdu("HELF"))},
			cli.ip, 30000, "heur"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, _ := testSet(t)
			r := newRunner(t, set, discovery.EngineOptions{})
			r.eth(c.frames...)
			r.e.Close() // a flow whose protocol is undecided is emitted when it ends
			flows := r.kind(discovery.KindFlow)
			if len(flows) != 1 {
				t.Fatalf("%d flow observations, want 1: %+v", len(flows), flows)
			}
			f := flows[0]
			if f.Asset.IP.String() != c.client || f.Port != c.serverPort || f.Protocol != c.proto || f.Transport != "tcp" {
				t.Errorf("flow client %s port %d proto %q transport %q, want client %s port %d proto %q",
					f.Asset.IP, f.Port, f.Protocol, f.Transport, c.client, c.serverPort, c.proto)
			}
			if f.Packets != uint64(len(c.frames)) {
				t.Errorf("packets %d, want %d", f.Packets, len(c.frames))
			}
		})
	}
}

// TestBroadcastServers: datagrams to a broadcast address, limited or
// subnet-directed (reached through ff:ff:ff:ff:ff:ff), are dissected but do
// not make a communication with the broadcast address as its server.
func TestBroadcastServers(t *testing.T) {
	set, log := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	dev := ep{"00:1d:9c:00:00:07", "10.0.0.7", 47808}
	for _, dst := range []ep{{"ff:ff:ff:ff:ff:ff", "10.0.0.255", 47808}, {"ff:ff:ff:ff:ff:ff", "255.255.255.255", 47808}} {
		r.eth(ether(dev, dst, ipUDP(dev, dst, []byte{0x81, 0x0b})))
	}
	r.e.Flush()
	if fl := r.kind(discovery.KindFlow); len(fl) != 0 {
		t.Errorf("flows to broadcast servers: %+v", fl)
	}
	if d := cmp.Diff([]string{"to_server:\x81\v", "to_server:\x81\v"}, bodies(log)); d != "" {
		t.Errorf("datagrams (-want +got):\n%s", d)
	}
}

// TestFlowDeltas: a flow's delta is emitted on Flush once its protocol is
// known; before that (a handshake, no payload yet) it is kept and joins the
// next one, so where a flush falls does not split the flow into an
// "unknown" communication and the real one.
func TestFlowDeltas(t *testing.T) {
	set, _ := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	frames := handshake(cli, srv)
	r.eth(frames...)
	r.e.Flush()
	if fl := r.kind(discovery.KindFlow); len(fl) != 0 {
		t.Fatalf("handshake flushed before the protocol is known: %+v", fl)
	}
	first := tcpEth(cli, srv, 1001, 5001, fACK, pdu("one"))
	r.eth(first)
	r.e.Flush()
	r.e.Flush() // nothing new: no observation
	r.eth(tcpEth(cli, srv, 1001+uint32(len(pdu("one"))), 5001, fACK, pdu("two")))
	r.e.Flush()
	flows := r.kind(discovery.KindFlow)
	if len(flows) != 2 {
		t.Fatalf("%d flow observations, want 2", len(flows))
	}
	wantBytes := uint64(len(frames[0]) + len(frames[1]) + len(frames[2]) + len(first))
	if flows[0].Packets != 4 || flows[0].Bytes != wantBytes || flows[1].Packets != 1 {
		t.Errorf("deltas: %d/%d then %d packets; want 4/%d then 1", flows[0].Packets, flows[0].Bytes, flows[1].Packets, wantBytes)
	}
	for i, f := range flows {
		if f.Asset.MAC.String() != cli.mac || f.Peer.MAC.String() != srv.mac || f.Peer.IP.String() != srv.ip || f.Protocol != "fake" {
			t.Errorf("flow %d: %+v", i, f)
		}
	}
	if flows[0].Evidence.Frame != 1 || flows[1].Evidence.Frame != 5 {
		t.Errorf("evidence frames %d, %d; want 1 (the SYN) and 5", flows[0].Evidence.Frame, flows[1].Evidence.Frame)
	}
}

// TestUndecidedFlowEmittedWhenItEnds: a flow whose protocol is never
// decided is still counted, as "unknown", when it is evicted or the
// capture ends, and only then.
func TestUndecidedFlowEmittedWhenItEnds(t *testing.T) {
	other := ep{"00:0e:8c:00:00:03", "10.0.0.30", 30000}
	for _, end := range []string{"close", "idle eviction"} {
		t.Run(end, func(t *testing.T) {
			set, _ := testSet(t)
			r := newRunner(t, set, discovery.EngineOptions{FlowIdle: time.Second})
			r.eth(tcpEth(srv, other, 1, 0, fSYN, nil), tcpEth(other, srv, 9, 2, fSYN|fACK, nil))
			r.e.Flush()
			if fl := r.kind(discovery.KindFlow); len(fl) != 0 {
				t.Fatalf("emitted while undecided: %+v", fl)
			}
			if end == "close" {
				r.e.Close()
			} else {
				// another flow's packets, an hour later, drive the idle check
				r.step = time.Hour
				r.eth(tcpEth(cli, srv, 1, 0, fSYN, nil))
				r.step = time.Millisecond
				for i := 0; i < 5000; i++ {
					r.eth(tcpEth(cli, srv, 2, 0, fACK, nil))
				}
				r.e.Flush()
			}
			var got []discovery.Observation
			for _, f := range r.kind(discovery.KindFlow) {
				if f.Peer.IP.String() == other.ip {
					got = append(got, f)
				}
			}
			if len(got) != 1 || got[0].Packets != 2 || got[0].Protocol != "unknown" || got[0].Evidence.Frame != 1 {
				t.Errorf("flow observations %+v, want one of 2 packets, protocol unknown, evidence frame 1", got)
			}
		})
	}
}

func TestEviction(t *testing.T) {
	t.Run("max flows", func(t *testing.T) {
		set, _ := testSet(t)
		r := newRunner(t, set, discovery.EngineOptions{MaxFlows: 2})
		for i := 0; i < 3; i++ {
			c := ep{cli.mac, cli.ip, uint16(41000 + i)}
			r.eth(tcpEth(c, srv, 1, 1, fACK, nil))
		}
		st := r.e.Stats()
		if st.ActiveFlows != 2 || st.FlowsEvictedFull != 1 || st.FlowsEvicted != 1 {
			t.Errorf("active %d evicted %d (full %d), want 2, 1, 1", st.ActiveFlows, st.FlowsEvicted, st.FlowsEvictedFull)
		}
		// The evicted flow's delta was emitted on eviction.
		if fl := r.kind(discovery.KindFlow); len(fl) != 1 || fl[0].Asset.IP.String() != cli.ip {
			t.Errorf("flow observations on eviction: %+v", fl)
		}
	})
	t.Run("idle", func(t *testing.T) {
		set, _ := testSet(t)
		r := newRunner(t, set, discovery.EngineOptions{FlowIdle: time.Minute})
		r.eth(tcpEth(ep{cli.mac, cli.ip, 41000}, srv, 1, 1, fACK, nil))
		r.ts = r.ts.Add(2 * time.Minute)
		// The idle check runs every few thousand packets: keep one other
		// flow busy.
		busy := tcpEth(ep{cli.mac, cli.ip, 42000}, srv, 1, 1, fACK, nil)
		for i := 0; i < 5000; i++ {
			r.eth(busy)
		}
		st := r.e.Stats()
		if st.ActiveFlows != 1 || st.FlowsEvicted != 1 {
			t.Errorf("active %d evicted %d, want 1 and 1", st.ActiveFlows, st.FlowsEvicted)
		}
	})
	t.Run("rst closes, a new syn restarts", func(t *testing.T) {
		set, log := testSet(t)
		r := newRunner(t, set, discovery.EngineOptions{})
		r.eth(handshake(cli, srv)...)
		r.eth(tcpEth(cli, srv, 1001, 5001, fACK|fRST, nil))
		r.eth(tcpEth(cli, srv, 1001, 5001, fACK, pdu("lost"))) // after RST: not dissected
		// The new connection's frames are byte-identical to the first
		// one's (same ISN, IP id 0): a second later, so they are not
		// taken for SPAN duplicates (dup.go).
		r.ts = r.ts.Add(time.Second)
		r.eth(handshake(cli, srv)...)
		r.eth(tcpEth(cli, srv, 1001, 5001, fACK, pdu("new")))
		r.e.Close()
		if d := cmp.Diff([]string{"to_server:new"}, bodies(log)); d != "" {
			t.Errorf("PDUs (-want +got):\n%s", d)
		}
	})
}

func TestHosts(t *testing.T) {
	bcast := ep{"ff:ff:ff:ff:ff:ff", "255.255.255.255", 0}
	arp := func(op uint16, sha, spa, tpa string) []byte {
		return serialize(
			&layers.Ethernet{SrcMAC: mustMAC(sha), DstMAC: mustMAC(bcast.mac), EthernetType: layers.EthernetTypeARP},
			&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				Operation: op, SourceHwAddress: mustMAC(sha), SourceProtAddress: netip.MustParseAddr(spa).AsSlice(),
				DstHwAddress: make([]byte, 6), DstProtAddress: netip.MustParseAddr(tpa).AsSlice()})
	}
	set, _ := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	r.eth(
		arp(1, "00:1d:9c:00:00:05", "10.0.0.5", "10.0.0.1"),                                               // request: binding
		arp(1, "00:1d:9c:00:00:06", "0.0.0.0", "10.0.0.6"),                                                // probe: MAC only
		tcpEth(cli, srv, 1, 1, fACK, nil),                                                                 // cli host
		tcpEth(cli, srv, 2, 1, fACK, nil),                                                                 // again: deduplicated
		tcpEth(ep{bcast.mac, "10.0.0.99", 1}, srv, 1, 1, fACK, nil),                                       // broadcast source MAC: IP only
		ether(cli, bcast, ipUDP(ep{cli.mac, "0.0.0.0", 68}, ep{bcast.mac, bcast.ip, 67}, []byte("dhcp"))), // 0.0.0.0: MAC only
		tcpEth(cli, srv, 3, 1, fACK, nil, 10),                                                             // VLAN 10
		tcpEth(cli, srv, 4, 1, fACK, nil, 10),                                                             // same VLAN: no new attribute
		tcpEth(cli, srv, 5, 1, fACK, nil, 100, 20),                                                        // QinQ: innermost tag
	)
	var got []string
	for _, o := range r.obs {
		switch o.Kind {
		case discovery.KindHost:
			got = append(got, "host "+o.Asset.String())
		case discovery.KindAttribute:
			got = append(got, "attr "+o.Asset.String()+" "+o.Key+"="+o.Value)
		}
	}
	want := []string{
		"host 10.0.0.5/00:1d:9c:00:00:05",
		"host 00:1d:9c:00:00:06",
		"host 10.0.0.10/00:1d:9c:00:00:01",
		"host 10.0.0.99",
		"host 00:1d:9c:00:00:01",
		"attr 10.0.0.10/00:1d:9c:00:00:01 net.vlan=10",
		"attr 10.0.0.10/00:1d:9c:00:00:01 net.vlan=20",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("observations (-want +got):\n%s", d)
	}
	// Flush refreshes last-seen once for the host seen again.
	n := len(r.obs)
	r.e.Flush()
	var refresh []string
	for _, o := range r.obs[n:] {
		if o.Kind == discovery.KindHost {
			refresh = append(refresh, o.Asset.String()+" frame "+itoa(o.Evidence.Frame))
		}
	}
	if d := cmp.Diff([]string{"10.0.0.10/00:1d:9c:00:00:01 frame 9"}, refresh); d != "" {
		t.Errorf("refresh (-want +got):\n%s", d)
	}
}

func itoa(n uint64) string { return strings.TrimSpace(strings.Repeat(" ", 0) + uitoa(n)) }

func uitoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func TestUDPAndFrames(t *testing.T) {
	set, log := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	bac1 := ep{"00:1d:9c:00:00:07", "10.0.0.7", 47808}
	bac2 := ep{"00:1d:9c:00:00:08", "10.0.0.8", 47808}
	other := ep{"00:1d:9c:00:00:09", "10.0.0.9", 51000}
	r.eth(
		ether(bac1, bac2, ipUDP(bac1, bac2, []byte{0x81, 1})),
		ether(bac2, bac1, ipUDP(bac2, bac1, []byte{0x81, 2})),
		ether(other, bac1, ipUDP(other, bac1, []byte{0x00})), // Detect: No
		ether(other, bac1, ipUDP(other, bac1, []byte{0x81, 3})),
	)
	// Layer 2: EtherType 0x8892 plain and inside a VLAN, an LLC DSAP 0x42
	// frame, and SNAP OUI 00000c PID 2000 (CDP).
	l2 := func(et uint16, vlan uint16, payload string) []byte {
		b := append(append([]byte{}, mustMAC(other.mac)...), mustMAC("01:0e:cf:00:00:00")...)
		b[0], b[6] = 0x01, 0x00 // dst multicast first, src unicast
		copy(b[0:6], mustMAC("01:0e:cf:00:00:00"))
		copy(b[6:12], mustMAC(other.mac))
		if vlan != 0 {
			b = binary.BigEndian.AppendUint16(b, 0x8100)
			b = binary.BigEndian.AppendUint16(b, vlan)
		}
		b = binary.BigEndian.AppendUint16(b, et)
		return append(b, payload...)
	}
	llc := func(payload []byte) []byte {
		b := l2(uint16(len(payload)), 0, "")
		return append(b, payload...)
	}
	r.eth(
		l2(0x8892, 0, "dcp"),
		l2(0x8892, 7, "dcp-in-vlan"),
		llc([]byte{0x42, 0x42, 0x03, 's', 't', 'p'}),
		llc([]byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00, 'c', 'd', 'p'}),
	)
	r.e.Close()
	want := []string{
		"to_server:\x81\x01", "to_client:\x81\x02", // first sender of equal ports is the client
		"to_server:\x81\x03",
		"to_server:vlan=0 dcp", "to_server:vlan=7 dcp-in-vlan", "to_server:vlan=0 stp", "to_server:vlan=0 cdp",
	}
	if d := cmp.Diff(want, bodies(log)); d != "" {
		t.Errorf("dissected (-want +got):\n%s", d)
	}
	st := r.e.Stats()
	if st.PDUs["fakeudp"] != 3 || st.PDUs["fakel2"] != 4 {
		t.Errorf("PDU counts %v", st.PDUs)
	}
}

// TestEncapsulations sends the same client PDU in every supported link type
// and tunnel and checks the inner hosts, the dissected PDU and the VLAN.
func TestEncapsulations(t *testing.T) {
	payload := pdu("one")
	v4 := ipTCP(cli, srv, 1, 1, fACK, payload)
	v6 := ipTCP(cli6, srv6, 1, 1, fACK, payload)
	rawV4, rawV6 := serialize(v4...), serialize(v6...)
	inner := tcpEth(cli, srv, 1, 1, fACK, payload)
	innerVLAN := tcpEth(cli, srv, 1, 1, fACK, payload, 42)
	outerS := ep{"00:aa:00:00:00:01", "192.168.1.1", 1}
	outerD := ep{"00:aa:00:00:00:02", "192.168.1.2", 4789}
	gre := func(proto layers.EthernetType, seq bool, body []byte) []byte {
		return serialize(
			&layers.Ethernet{SrcMAC: mustMAC(outerS.mac), DstMAC: mustMAC(outerD.mac), EthernetType: layers.EthernetTypeIPv4},
			&layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolGRE, SrcIP: netip.MustParseAddr(outerS.ip).AsSlice(), DstIP: netip.MustParseAddr(outerD.ip).AsSlice()},
			&layers.GRE{Protocol: proto, SeqPresent: seq, Seq: 7},
			gopacket.Payload(body))
	}
	erspan2 := serialize(&layers.ERSPANII{Version: 1, SessionID: 3, VLANIdentifier: 42}, gopacket.Payload(innerVLAN))
	// ERSPAN III header (draft-foschiano-erspan-03 §4.3): ver 2, VLAN, COS/BSO/T, session,
	// timestamp, SGT, P/FT/HwID, D/Gra/O; FT 0 = Ethernet. The O bit adds an 8-byte subheader.
	erspan3 := func(o bool) []byte {
		h := []byte{0x20, 0x2a, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0x00, 0x00}
		if o {
			h[11] |= 1
			h = append(h, make([]byte, 8)...)
		}
		return append(h, innerVLAN...)
	}
	// GRE with checksum and key present (RFC 2784/2890): 12-byte header.
	greCK := func(body []byte) []byte {
		b := gre(layers.EthernetTypeTransparentEthernetBridging, false, body)
		// Rebuild the GRE header by hand: flags C|K, protocol 0x6558, checksum+reserved, key.
		hdr := []byte{0xa0, 0x00, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 42}
		out := append(append(append([]byte{}, b[:14+20]...), hdr...), body...)
		binary.BigEndian.PutUint16(out[14+2:], uint16(20+len(hdr)+len(body)))
		return out
	}
	// IPv6 with a hop-by-hop and a destination-options header before TCP.
	v6ext := func() []byte {
		// TCP header and payload; the engine does not verify checksums.
		tcp := serialize(v6[1:]...)
		ip := serialize(&layers.IPv6{Version: 6, HopLimit: 64, NextHeader: 0, SrcIP: netip.MustParseAddr(cli6.ip).AsSlice(), DstIP: netip.MustParseAddr(srv6.ip).AsSlice()}, gopacket.Payload(nil))
		ext := []byte{60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0} // HBH -> DSTOPT -> TCP, PadN
		body := append(ext, tcp...)
		binary.BigEndian.PutUint16(ip[4:], uint16(len(body)))
		return append(ip[:40], body...)
	}
	vxlan := ether(outerS, outerD, ipUDP(ep{outerS.mac, outerS.ip, 50000}, outerD,
		serialize(&layers.VXLAN{ValidIDFlag: true, VNI: 100}, gopacket.Payload(inner))))
	sll := func(pkttype uint16) []byte {
		// Linux cooked v1 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html).
		h := []byte{0, byte(pkttype), 0, 1, 0, 6}
		h = append(h, mustMAC(cli.mac)...)
		h = append(h, 0, 0, 0x08, 0x00)
		return append(h, rawV4...)
	}
	sll2 := func() []byte {
		// Linux cooked v2 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html).
		h := []byte{0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6}
		h = append(h, mustMAC(cli.mac)...)
		h = append(h, 0, 0)
		return append(h, rawV4...)
	}
	null := func(fam uint32, big bool, ip []byte) []byte {
		h := make([]byte, 4)
		if big {
			binary.BigEndian.PutUint32(h, fam)
		} else {
			binary.LittleEndian.PutUint32(h, fam)
		}
		return append(h, ip...)
	}
	withMAC := []string{"10.0.0.10/00:1d:9c:00:00:01", "10.0.0.20/00:0e:8c:00:00:02"}
	noMAC := []string{"10.0.0.10"}
	cases := []struct {
		name  string
		lt    layers.LinkType
		frame []byte
		hosts []string // inner source hosts (client PDU then nothing else)
		vlan  string
	}{
		{"ethernet", layers.LinkTypeEthernet, inner, withMAC[:1], ""},
		{"ethernet ipv6", layers.LinkTypeEthernet, ether(cli6, srv6, v6), []string{"fd00::10/00:1d:9c:00:00:01"}, ""},
		{"vlan", layers.LinkTypeEthernet, innerVLAN, withMAC[:1], "42"},
		{"qinq", layers.LinkTypeEthernet, tcpEth(cli, srv, 1, 1, fACK, payload, 100, 200, 42), withMAC[:1], "42"},
		{"gre teb", layers.LinkTypeEthernet, gre(layers.EthernetTypeTransparentEthernetBridging, false, inner), withMAC[:1], ""},
		{"gre ip", layers.LinkTypeEthernet, gre(layers.EthernetTypeIPv4, false, rawV4), noMAC, ""},
		{"gre checksum and key", layers.LinkTypeEthernet, greCK(inner), withMAC[:1], ""},
		{"ipv6 extension headers", layers.LinkTypeRaw, v6ext(), []string{"fd00::10"}, ""},
		{"erspan I", layers.LinkTypeEthernet, gre(layers.EthernetTypeERSPAN, false, innerVLAN), withMAC[:1], "42"},
		{"erspan II", layers.LinkTypeEthernet, gre(layers.EthernetTypeERSPAN, true, erspan2), withMAC[:1], "42"},
		{"erspan III", layers.LinkTypeEthernet, gre(0x22eb, true, erspan3(false)), withMAC[:1], "42"},
		{"erspan III platform subheader", layers.LinkTypeEthernet, gre(0x22eb, true, erspan3(true)), withMAC[:1], "42"},
		{"vxlan", layers.LinkTypeEthernet, vxlan, withMAC[:1], ""},
		{"sll", layers.LinkTypeLinuxSLL, sll(4), withMAC[:1], ""},
		{"sll2", layers.LinkTypeLinuxSLL2, sll2(), withMAC[:1], ""},
		{"raw v4", layers.LinkTypeRaw, rawV4, noMAC, ""},
		{"raw v6", layers.LinkTypeRaw, rawV6, []string{"fd00::10"}, ""},
		{"ipv4", layers.LinkTypeIPv4, rawV4, noMAC, ""},
		{"ipv6", layers.LinkTypeIPv6, rawV6, []string{"fd00::10"}, ""},
		{"null little endian", layers.LinkTypeNull, null(2, false, rawV4), noMAC, ""},
		{"null big endian", layers.LinkTypeNull, null(2, true, rawV4), noMAC, ""},
		{"null ipv6 (darwin)", layers.LinkTypeNull, null(30, false, rawV6), []string{"fd00::10"}, ""},
		{"loop", layers.LinkTypeLoop, null(24, true, rawV6), []string{"fd00::10"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, log := testSet(t)
			r := newRunner(t, set, discovery.EngineOptions{})
			r.feed(c.lt, c.frame)
			r.e.Close()
			if d := cmp.Diff([]string{"to_server:one"}, bodies(log)); d != "" {
				t.Errorf("PDUs (-want +got):\n%s", d)
			}
			var hosts []string
			vlan := ""
			for _, o := range r.obs {
				if o.Kind == discovery.KindHost && !strings.HasPrefix(o.Asset.IP.String(), "192.168.1.") {
					hosts = append(hosts, o.Asset.String())
				}
				if o.Kind == discovery.KindAttribute && o.Key == "net.vlan" {
					vlan = o.Value
				}
			}
			hosts = uniq(hosts)
			if d := cmp.Diff(uniq(append([]string{}, c.hosts...)), hosts); d != "" {
				t.Errorf("inner hosts (-want +got):\n%s", d)
			}
			if vlan != c.vlan {
				t.Errorf("vlan %q, want %q", vlan, c.vlan)
			}
			if st := r.e.Stats(); st.Malformed != 0 {
				t.Errorf("malformed %d", st.Malformed)
			}
		})
	}
}

func TestFragmentsAndMalformed(t *testing.T) {
	set, log := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	frag := func(off uint16, mf bool) []byte {
		b := tcpEth(cli, srv, 1, 1, fACK, pdu("frag"))
		v := off / 8
		if mf {
			v |= 0x2000
		}
		binary.BigEndian.PutUint16(b[14+6:], v)
		return b
	}
	// IPv6 fragment header (RFC 8200 §4.5): next header TCP, offset/M.
	frag6 := func(off uint16, m bool) []byte {
		b := ether(cli6, srv6, ipTCP(cli6, srv6, 1, 1, fACK, pdu("frag6")))
		v := off &^ 7
		if m {
			v |= 1
		}
		fh := []byte{6, 0, byte(v >> 8), byte(v), 0, 0, 0, 9}
		out := append(append(append([]byte{}, b[:14+40]...), fh...), b[14+40:]...)
		out[14+6] = 44 // next header: fragment
		binary.BigEndian.PutUint16(out[14+4:], uint16(len(out)-14-40))
		return out
	}
	good := tcpEth(cli, srv, 1, 1, fACK, pdu("ok"))
	r.eth(frag(0, true), frag(1480, false), frag6(0, true), frag6(1448, false))
	r.eth(good[:10], good[:14+10], good[:14+20+10]) // cut in Ethernet, IPv4 and TCP headers
	bad := append([]byte(nil), good...)
	bad[14] = 0x43 // IHL 3
	r.eth(bad)
	r.feed(layers.LinkType(147), good)
	st := r.e.Stats()
	if st.Fragments != 4 || st.Malformed != 4 || st.UnsupportedLinkType != 1 {
		t.Errorf("fragments %d malformed %d unsupported %d, want 4, 4, 1", st.Fragments, st.Malformed, st.UnsupportedLinkType)
	}
	if d := cmp.Diff([]string{}, bodies(log)); d != "" {
		t.Errorf("fragments must not be dissected: %s", d)
	}
}

// TestBufferBudget opens many flows that each hold a partial PDU: past
// MaxBuffered the engine stops buffering (and dissecting) the newest ones,
// and Close returns every byte to the budget.
func TestBufferBudget(t *testing.T) {
	set, _ := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{MaxBuffered: 64 << 10})
	part := pdu(strings.Repeat("p", 3000))[:2000]
	for i := 0; i < 100; i++ {
		c := ep{cli.mac, cli.ip, uint16(20000 + i)}
		r.eth(tcpEth(c, srv, 1, 1, fACK, part))
	}
	st := r.e.Stats()
	if st.BufferOverflows == 0 || st.BufferedBytes > 64<<10 {
		t.Errorf("overflows %d, buffered %d; want > 0 and <= %d", st.BufferOverflows, st.BufferedBytes, 64<<10)
	}
	r.e.Close()
	if st := r.e.Stats(); st.BufferedBytes != 0 {
		t.Errorf("buffered %d after Close, want 0", st.BufferedBytes)
	}
}

// TestPanicLogging: a dissector panicking on every flow is logged for the
// first ten flows, then at powers of two, and every panic is counted.
func TestPanicLogging(t *testing.T) {
	var buf strings.Builder
	set, _ := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	for i := 0; i < 20; i++ {
		c := ep{cli.mac, cli.ip, uint16(30000 + i)}
		r.eth(tcpEth(c, srv, 1, 1, fACK, pdu("PANIC")))
	}
	if st := r.e.Stats(); st.DissectorPanics != 20 {
		t.Errorf("DissectorPanics %d, want 20", st.DissectorPanics)
	}
	lines := strings.Count(buf.String(), `msg="dissector panic"`)
	if lines != 11 || !strings.Contains(buf.String(), "dissector=fake") || !strings.Contains(buf.String(), "count=16") {
		t.Errorf("%d log lines, want 11 (1-10 and 16):\n%s", lines, buf.String())
	}
}
