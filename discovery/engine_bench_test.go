package discovery_test

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/source"
	"github.com/otzone/otzone/internal/testutil"
)

type benchFrame struct {
	data []byte
	ci   gopacket.CaptureInfo
	lt   layers.LinkType
	num  uint64
}

// loadShared reads every shared capture into memory, in path order.
func loadShared(b *testing.B) []benchFrame {
	b.Helper()
	dir := filepath.Join(testutil.SharedDir(b), "pcaps")
	var paths []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			paths = append(paths, p)
		}
		return err
	})
	var out []benchFrame
	for _, p := range paths {
		r, err := source.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		for {
			f, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, benchFrame{append([]byte(nil), f.Data...), f.CI, f.LinkType, f.Number})
		}
		r.Close()
	}
	return out
}

// BenchmarkEngine measures the engine alone (no storage), one op = one
// packet. "shared" replays all shared captures back to back (the engine is
// closed at each wrap so the streams are fresh), with a Modbus-like
// framer on port 502; "modbus" is a synthetic steady-state Modbus/TCP-like
// workload (256 client/server pairs, request/response, MBAP framing) whose
// sequence numbers advance, so every packet is reassembled, framed and
// parsed.
func BenchmarkEngine(b *testing.B) {
	b.Run("shared", func(b *testing.B) {
		frames := loadShared(b)
		set, err := discovery.NewSetOf(func() discovery.Dissector { return mbDissector{} })
		if err != nil {
			b.Fatal(err)
		}
		e := discovery.NewEngine(set, func(discovery.Observation) {}, discovery.EngineOptions{})
		ev := discovery.Evidence{Kind: "pcap", Name: "bench"}
		var bytes int64
		for _, f := range frames {
			bytes += int64(len(f.data))
		}
		b.SetBytes(bytes / int64(len(frames)))
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			j := i % len(frames)
			if j == 0 && i > 0 {
				e.Close()
			}
			f := &frames[j]
			ev.Frame = f.num
			e.Packet(f.data, f.ci, f.lt, ev)
		}
		reportRate(b, cpu0)
	})
	b.Run("modbus", func(b *testing.B) {
		benchModbus(b, 256)
	})
}

// mbDissector frames Modbus/TCP by its MBAP header (length at bytes 4-5),
// like the real modbus package, and emits an operation per request.
type mbDissector struct{}

func (mbDissector) Name() string { return "mb" }
func (mbDissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.TCP, Number: 502}}
}
func (mbDissector) Detect(data []byte, dir discovery.Direction) discovery.Verdict {
	if len(data) < 8 {
		return discovery.NeedMore
	}
	if data[2] != 0 || data[3] != 0 {
		return discovery.No
	}
	return discovery.Yes
}
func (mbDissector) NewStream(f *discovery.Flow) discovery.Stream { return &mbStream{} }

type mbStream struct{ requests int }

func (s *mbStream) PDULen(data []byte, dir discovery.Direction) (int, error) {
	if len(data) < 6 {
		return 0, nil
	}
	return 6 + int(binary.BigEndian.Uint16(data[4:])), nil
}

func (s *mbStream) Parse(pdu []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	if len(pdu) < 8 {
		return errors.New("mb: short")
	}
	if pkt.Dir == discovery.ToServer {
		s.requests++
		o := pkt.Obs(discovery.KindOperation, pkt.Client())
		o.Peer = pkt.Server()
		o.Protocol = "modbus"
		o.Op = discovery.Operation{Code: int(pdu[7]), Name: "read_holding_registers", Class: discovery.OpRead}
		emit(o)
	}
	return nil
}

func benchModbus(b *testing.B, pairs int) {
	set, err := discovery.NewSetOf(func() discovery.Dissector { return mbDissector{} })
	if err != nil {
		b.Fatal(err)
	}
	var ops int
	e := discovery.NewEngine(set, func(o discovery.Observation) {
		if o.Kind == discovery.KindOperation {
			ops++
		}
	}, discovery.EngineOptions{})
	// Request: read 10 holding registers; response: 20 bytes of data.
	req := []byte{0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10}
	resp := append([]byte{0, 1, 0, 0, 0, 23, 1, 3, 20}, make([]byte, 20)...)
	type pair struct {
		req, resp []byte
		cseq      uint32
		sseq      uint32
	}
	ps := make([]pair, pairs)
	for i := range ps {
		c := ep{"00:1d:9c:00:01:01", "10.1.0.1", uint16(40000 + i)}
		s := ep{"00:0e:8c:00:00:02", "10.2.0.1", 502}
		c.ip = "10.1." + itoa(uint64(i/250)) + "." + itoa(uint64(i%250+1))
		ps[i] = pair{req: tcpEth(c, s, 1, 1, fACK|fPSH, req), resp: tcpEth(s, c, 1, 1+uint32(len(req)), fACK|fPSH, resp), cseq: 1, sseq: 1}
	}
	// TCP sequence/ack fields sit at fixed offsets in these untagged IPv4 frames.
	const seqOff, ackOff = 14 + 20 + 4, 14 + 20 + 8
	ts := time.Unix(1700000000, 0)
	ci := gopacket.CaptureInfo{Timestamp: ts}
	ev := discovery.Evidence{Kind: "pcap", Name: "bench"}
	b.SetBytes(int64(len(ps[0].req)+len(ps[0].resp)) / 2)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		p := &ps[(i>>1)%pairs]
		var f []byte
		if i&1 == 0 {
			f = p.req
			binary.BigEndian.PutUint32(f[seqOff:], p.cseq)
			binary.BigEndian.PutUint32(f[ackOff:], p.sseq)
			p.cseq += uint32(len(req))
		} else {
			f = p.resp
			binary.BigEndian.PutUint32(f[seqOff:], p.sseq)
			binary.BigEndian.PutUint32(f[ackOff:], p.cseq)
			p.sseq += uint32(len(resp))
		}
		ci.Timestamp = ts.Add(time.Duration(i) * time.Microsecond)
		ci.CaptureLength, ci.Length = len(f), len(f)
		ev.Frame = uint64(i + 1)
		e.Packet(f, ci, layers.LinkTypeEthernet, ev)
		if i&0xffff == 0xffff {
			e.Flush()
		}
	}
	reportRate(b, cpu0)
	b.StopTimer()
	if st := e.Stats(); b.N > 2*pairs && st.PDUs["mb"] < uint64(b.N)-uint64(2*pairs) {
		b.Fatalf("only %d of %d packets parsed as PDUs (ops %d)", st.PDUs["mb"], b.N, ops)
	}
}

// cpuTime is the process's user+system CPU time. The benchmarks report
// packets per CPU-second beside packets per wall-second because the build
// machine is shared: wall time there measures the neighbours as much as
// the engine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRate(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "pkts/cpu-s")
	}
}

// BenchmarkDecode compares the engine's whole per-packet path (decode,
// host table, flow table; no dissector) with gopacket's DecodingLayerParser
// decoding alone the same Ethernet/IPv4/TCP frame.
func BenchmarkDecode(b *testing.B) {
	frame := tcpEth(cli, srv, 1, 1, fACK, []byte{0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10})
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: len(frame), Length: len(frame)}
	b.Run("engine", func(b *testing.B) {
		e := discovery.NewEngine(nil, nil, discovery.EngineOptions{})
		ev := discovery.Evidence{Kind: "pcap", Name: "bench"}
		b.ReportAllocs()
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			e.Packet(frame, ci, layers.LinkTypeEthernet, ev)
		}
		reportRate(b, cpu0)
	})
	b.Run("gopacket-dlp", func(b *testing.B) {
		var (
			eth  layers.Ethernet
			dot  layers.Dot1Q
			ip4  layers.IPv4
			ip6  layers.IPv6
			tcp  layers.TCP
			udp  layers.UDP
			pl   gopacket.Payload
			decd []gopacket.LayerType
		)
		p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot, &ip4, &ip6, &tcp, &udp, &pl)
		p.IgnoreUnsupported = true
		b.ReportAllocs()
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			if err := p.DecodeLayers(frame, &decd); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, cpu0)
	})
}
