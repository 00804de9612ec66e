//go:build linux

package main

// The sender must put on the wire exactly the frames it loaded, in order.
// The test makes a network namespace of its own with a veth pair (no
// address, no route, IPv6 off), runs this test binary inside it in helper
// mode, which opens a gopacket afpacket reader (an implementation
// independent of blast's) on one end, sends with Send on the other, and
// compares every frame received with the one loaded. Needs root and ip
// (iproute2); skips otherwise.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket/afpacket"

	"github.com/otzone/otzone/internal/testutil"
)

const (
	helperEnv = "BLAST_TEST_HELPER"
	txPort    = "otzbt0"
	rxPort    = "otzbt1"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// helperReport is what the helper found, as JSON on stdout.
type helperReport struct {
	Loaded    int     `json:"loaded"`
	Sent      uint64  `json:"sent"`
	TxPackets uint64  `json:"tx_packets"`
	Received  int     `json:"received"`
	Elapsed   float64 `json:"elapsed"`
	Mismatch  string  `json:"mismatch,omitempty"`
	Err       string  `json:"err,omitempty"`
}

func helperMain() int {
	var rep helperReport
	defer func() {
		json.NewEncoder(os.Stdout).Encode(&rep)
	}()
	fail := func(err error) int { rep.Err = err.Error(); return 0 }
	count, _ := strconv.Atoi(os.Getenv("BLAST_COUNT"))
	rate, _ := strconv.ParseFloat(os.Getenv("BLAST_PPS"), 64)
	fr, _, err := Load(os.Getenv("BLAST_FILE"), 0)
	if err != nil {
		return fail(err)
	}
	rep.Loaded = fr.Len()
	want := count
	if want == 0 {
		want = fr.Len()
	}
	tp, err := afpacket.NewTPacket(afpacket.OptInterface(rxPort), afpacket.OptTPacketVersion(afpacket.TPacketVersion3),
		afpacket.OptBlockSize(1<<20), afpacket.OptNumBlocks(64), afpacket.OptFrameSize(2048),
		afpacket.OptBlockTimeout(10*time.Millisecond), afpacket.OptPollTimeout(50*time.Millisecond), afpacket.OptAddVLANHeader(true))
	if err != nil {
		return fail(err)
	}
	defer tp.Close()
	var got [][]byte
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			d, _, err := tp.ReadPacketData()
			if err != nil {
				continue // timeout
			}
			got = append(got, d)
		}
	}()
	threads, _ := strconv.Atoi(os.Getenv("BLAST_THREADS"))
	res, err := Send(txPort, fr, SendOptions{Count: count, Rate: rate, Mmsg: os.Getenv("BLAST_MMSG") == "1", Batch: 64, Threads: threads})
	if err != nil {
		stop.Store(true)
		<-done
		return fail(err)
	}
	rep.Sent, rep.TxPackets, rep.Elapsed = res.Sent, res.TxPackets, res.Elapsed.Seconds()
	// Let the reader drain the ring (a block retires after 10 ms), and a
	// little longer so any extra frame would be seen too.
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	<-done
	rep.Received = len(got)
	if threads > 1 {
		// Conversations interleave differently; each must arrive whole
		// and in order.
		sent := map[uint64][][]byte{}
		for i := 0; i < want; i++ {
			d := fr.At(i % fr.Len())
			sent[hostPairHash(d)] = append(sent[hostPairHash(d)], d)
		}
		recv := map[uint64][][]byte{}
		for _, d := range got {
			recv[hostPairHash(d)] = append(recv[hostPairHash(d)], d)
		}
		for h, ds := range sent {
			r := recv[h]
			if len(r) != len(ds) {
				rep.Mismatch = fmt.Sprintf("host pair %x: %d frames received, %d sent", h, len(r), len(ds))
				break
			}
			for i := range ds {
				if !bytes.Equal(r[i], ds[i]) {
					rep.Mismatch = fmt.Sprintf("host pair %x: frame %d of the conversation differs", h, i+1)
					break
				}
			}
		}
		if len(recv) != len(sent) && rep.Mismatch == "" {
			rep.Mismatch = fmt.Sprintf("%d host pairs received, %d sent", len(recv), len(sent))
		}
		return 0
	}
	for i, d := range got {
		if i >= want {
			rep.Mismatch = fmt.Sprintf("frame %d received, only %d sent: % x", i+1, want, d[:min(len(d), 32)])
			break
		}
		if w := fr.At(i % fr.Len()); !bytes.Equal(d, w) {
			rep.Mismatch = fmt.Sprintf("frame %d (loaded frame %d): got %d bytes % x..., want %d bytes % x...",
				i+1, i%fr.Len()+1, len(d), d[:min(len(d), 24)], len(w), w[:min(len(w), 24)])
			break
		}
	}
	return 0
}

func newNetns(t *testing.T) string {
	t.Helper()
	return testutil.VethNamespace(t, "otzblast", txPort, rxPort)
}

func TestSendsExactlyWhatItLoaded(t *testing.T) {
	ns := newNetns(t)
	files := []string{filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")}
	if dir := testutil.SharedDir(t); dir != "" {
		for _, rel := range []string{"modbus/modbus_example.pcap", "enip/enip_cip_example.pcap", "s7comm/s7ident.pcap"} {
			if p := filepath.Join(dir, "pcaps", rel); fileExists(p) {
				files = append(files, p)
			}
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		for _, tc := range []struct {
			name    string
			mmsg    bool
			twice   bool    // send every frame twice (going round)
			pps     float64 // paced
			threads int
		}{
			{name: "ring"},
			{name: "mmsg", mmsg: true},
			{name: "ring-twice", twice: true},
			{name: "mmsg-paced", mmsg: true, pps: 20000},
			{name: "ring-paced", pps: 20000},
			{name: "mmsg-2threads", mmsg: true, threads: 2},
			{name: "ring-3threads-twice", threads: 3, twice: true},
			// More threads than host pairs in the small captures: some
			// threads get nothing, the others send everything.
			{name: "mmsg-8threads-twice", mmsg: true, threads: 8, twice: true},
		} {
			t.Run(filepath.Base(file)+"/"+tc.name, func(t *testing.T) {
				fr, _, err := Load(file, 0)
				if err != nil {
					t.Fatal(err)
				}
				want := fr.Len()
				count := 0
				if tc.twice {
					count = 2 * fr.Len()
					want = count
				}
				cmd := exec.Command("ip", "netns", "exec", ns, self, "-test.run=^$")
				cmd.Env = append(os.Environ(), helperEnv+"=1", "BLAST_FILE="+file, "BLAST_COUNT="+strconv.Itoa(count),
					"BLAST_PPS="+strconv.FormatFloat(tc.pps, 'f', -1, 64), "BLAST_MMSG="+map[bool]string{true: "1"}[tc.mmsg], "BLAST_THREADS="+strconv.Itoa(tc.threads))
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("helper: %v\n%s", err, &stderr)
				}
				var rep helperReport
				if err := json.Unmarshal(out, &rep); err != nil {
					t.Fatalf("helper output %q: %v\n%s", out, err, &stderr)
				}
				if rep.Err != "" {
					t.Fatalf("helper: %s", rep.Err)
				}
				if rep.Loaded != fr.Len() {
					t.Errorf("helper loaded %d frames, Load here %d", rep.Loaded, fr.Len())
				}
				if rep.Sent != uint64(want) || rep.TxPackets != uint64(want) {
					t.Errorf("sent %d, interface tx_packets %d, want %d", rep.Sent, rep.TxPackets, want)
				}
				if rep.Received != want {
					t.Errorf("received %d frames, want %d", rep.Received, want)
				}
				if rep.Mismatch != "" {
					t.Error(rep.Mismatch)
				}
				// Pacing may be late on a busy machine, never early: frame
				// i leaves no sooner than i/pps after the first.
				if tc.pps > 0 {
					if min := float64(want-1) / tc.pps * 0.95; rep.Elapsed < min {
						t.Errorf("%d frames at %.0f/s took %.4f s, want at least %.4f s", want, tc.pps, rep.Elapsed, min)
					}
				}
			})
		}
	}
}

func TestRefusesInterfacesOutsideATestNamespace(t *testing.T) {
	// In the test's own namespace (the initial one, or whatever the runner
	// uses, but not one made by ip netns add), nothing may be sent.
	if err := CheckTestInterface("lo"); err == nil {
		t.Fatal("CheckTestInterface(lo) accepted the loopback interface of the test's namespace")
	}
	fr := &Frames{buf: make([]byte, 60), off: []int{0, 60}, max: 60}
	if _, err := Send("lo", fr, SendOptions{}); err == nil {
		t.Fatal("Send on lo did not fail")
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
