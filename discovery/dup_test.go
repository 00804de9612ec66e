package discovery_test

import (
	"encoding/binary"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

func flowPackets(r *runner) (n uint64) {
	r.e.Flush()
	for _, o := range r.kind(discovery.KindFlow) {
		n += o.Packets
	}
	return n
}

func TestSPANDuplicates(t *testing.T) {
	bac1 := ep{"00:1d:9c:00:00:07", "10.0.0.7", 47808}
	bac2 := ep{"00:1d:9c:00:00:08", "10.0.0.8", 47808}
	router := "00:1b:54:00:00:01"
	pkt := func(id uint16, body string, vlans ...uint16) []byte {
		b := ether(bac1, bac2, ipUDP(bac1, bac2, []byte(body)), vlans...)
		l2 := 14 + 4*len(vlans)
		binary.BigEndian.PutUint16(b[l2+4:], id)
		return b
	}
	// The copy a router forwards onto another VLAN: its own MAC as the
	// source, TTL one less, a new header checksum.
	routed := func(b []byte) []byte {
		c := append([]byte{}, b...)
		copy(c[6:12], mustMAC(router))
		binary.BigEndian.PutUint16(c[14:], 20) // VLAN 10 -> 20
		ip := c[18:]
		ip[8]--
		ip[10], ip[11] = ip[10]^0x55, ip[11]^0xaa
		return c
	}
	for _, c := range []struct {
		name   string
		opt    discovery.EngineOptions
		frames func() [][]byte
		gap    time.Duration
		bodies []string
		pkts   uint64
		dups   uint64
	}{
		{"same frame twice", discovery.EngineOptions{}, func() [][]byte {
			return [][]byte{pkt(7, "\x81one", 10), pkt(7, "\x81one", 10)}
		}, time.Microsecond, []string{"to_server:\x81one"}, 1, 1},
		{"routed copy on another VLAN", discovery.EngineOptions{}, func() [][]byte {
			p := pkt(7, "\x81one", 10)
			return [][]byte{p, routed(p)}
		}, 50 * time.Microsecond, []string{"to_server:\x81one"}, 1, 1},
		{"the same bytes 30 ms later", discovery.EngineOptions{}, func() [][]byte {
			return [][]byte{pkt(7, "\x81one", 10), pkt(7, "\x81one", 10)}
		}, 30 * time.Millisecond, []string{"to_server:\x81one", "to_server:\x81one"}, 2, 0},
		{"another identification", discovery.EngineOptions{}, func() [][]byte {
			return [][]byte{pkt(7, "\x81one", 10), pkt(8, "\x81one", 10)}
		}, time.Microsecond, []string{"to_server:\x81one", "to_server:\x81one"}, 2, 0},
		{"another payload", discovery.EngineOptions{}, func() [][]byte {
			return [][]byte{pkt(7, "\x81one", 10), pkt(7, "\x81two", 10)}
		}, time.Microsecond, []string{"to_server:\x81one", "to_server:\x81two"}, 2, 0},
		{"KeepDuplicates", discovery.EngineOptions{KeepDuplicates: true}, func() [][]byte {
			return [][]byte{pkt(7, "\x81one", 10), pkt(7, "\x81one", 10)}
		}, time.Microsecond, []string{"to_server:\x81one", "to_server:\x81one"}, 2, 0},
		{"IPv6", discovery.EngineOptions{}, func() [][]byte {
			a := ep{"00:1d:9c:00:00:07", "fd00::7", 47808}
			b := ep{"00:1d:9c:00:00:08", "fd00::8", 47808}
			f := ether(a, b, ipUDP(a, b, []byte("\x81six")))
			return [][]byte{f, f}
		}, time.Microsecond, []string{"to_server:\x81six"}, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			set, log := testSet(t)
			r := newRunner(t, set, c.opt)
			r.step = c.gap
			r.eth(c.frames()...)
			if d := cmp.Diff(c.bodies, bodies(log)); d != "" {
				t.Errorf("dissected (-want +got):\n%s", d)
			}
			st := r.e.Stats()
			if got := flowPackets(r); got != c.pkts || st.Duplicates != c.dups {
				t.Errorf("flow packets %d, duplicates %d; want %d and %d", got, st.Duplicates, c.pkts, c.dups)
			}
		})
	}
	// The routed copy still shows the router: its MAC sent 10.0.0.7 on VLAN 20.
	set, _ := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	r.step = 50 * time.Microsecond
	p := pkt(7, "\x81one", 10)
	r.eth(p, routed(p))
	r.e.Flush()
	var seen bool
	for _, o := range r.kind(discovery.KindHost) {
		seen = seen || (o.Asset.MAC.String() == router && o.Asset.IP.String() == "10.0.0.7")
	}
	if !seen {
		t.Errorf("no host observation of the router's MAC with 10.0.0.7 from the routed copy")
	}
}

// profinet_io_cm_mixed_1.pcap holds every packet twice, 1 µs apart. The
// engine's duplicate count for IP packets equals what Wireshark's editcap
// removes as duplicates within 20 ms (editcap -w 0.02), counted with tshark
// as IP frames before minus after.
func TestSPANDuplicatesRealCapture(t *testing.T) {
	path := testutil.SharedPcap(t, "profinet/profinet_io_cm_mixed_1.pcap")
	tshark, err1 := exec.LookPath("tshark")
	editcap, err2 := exec.LookPath("editcap")
	if err1 != nil || err2 != nil {
		t.Skip("tshark and editcap (Debian package tshark) are needed for the ground truth")
	}
	ipFrames := func(p string) int {
		out, err := exec.Command(tshark, "-n", "-r", p, "-Y", "ip || ipv6", "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Fatal(err)
		}
		return len(strings.Fields(string(out)))
	}
	dedup := filepath.Join(t.TempDir(), "dedup.pcapng")
	if out, err := exec.Command(editcap, "-F", "pcapng", "-w", "0.02", path, dedup).CombinedOutput(); err != nil {
		t.Fatalf("editcap: %v %s", err, out)
	}
	want := uint64(ipFrames(path) - ipFrames(dedup))
	set, _ := testSet(t)
	e := discovery.NewEngine(set, func(discovery.Observation) {}, discovery.EngineOptions{})
	for _, fr := range testutil.ReadFrames(t, path) {
		e.Packet(fr.Data, fr.CI, fr.LinkType, discovery.Evidence{Kind: "pcap", Name: "mixed_1", Frame: uint64(fr.Number)})
	}
	if got := e.Stats().Duplicates; got != want || want == 0 {
		t.Errorf("duplicates %d, editcap/tshark %d", got, want)
	}
}

// A merged capture interleaves many sources: hundreds of other packets can
// fall between a packet and its SPAN copy. Every copy must still be found,
// and the count must not depend on the run (the engine's flow hash is
// randomly seeded; the duplicate table's must not be). 600 distinct
// datagrams, then their 600 copies, all within 20 ms: a direct-mapped
// 4096-slot table loses about 600²/(2·4096) ≈ 44 of them to slot
// collisions, a different number on each run.
func TestSPANDuplicatesInterleaved(t *testing.T) {
	const n = 600
	a := ep{"00:1d:9c:00:00:07", "10.0.0.7", 47808}
	frames := make([][]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		b := ep{"00:1d:9c:00:01:00", "10.0.1.0", 47808}
		b.ip = "10.0." + strconv.Itoa(1+i/250) + "." + strconv.Itoa(i%250)
		f := ether(a, b, ipUDP(a, b, []byte("\x81x")))
		binary.BigEndian.PutUint16(f[14+4:], uint16(i))
		frames = append(frames, f)
	}
	frames = append(frames, frames...)
	var counts []uint64
	for run := 0; run < 3; run++ {
		set, _ := testSet(t)
		r := newRunner(t, set, discovery.EngineOptions{})
		r.step = time.Microsecond
		r.eth(frames...)
		st := r.e.Stats()
		if got := flowPackets(r); got != n || st.Duplicates != n {
			t.Errorf("run %d: flow packets %d, duplicates %d; want %d and %d", run, got, st.Duplicates, n, n)
		}
		counts = append(counts, st.Duplicates)
	}
	t.Logf("duplicates per run: %v", counts)
}
