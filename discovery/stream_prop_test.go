package discovery_test

import (
	"math/rand"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/otzone/otzone/discovery"
)

// reassemblyCase builds a random client stream of fake PDUs, cuts it into
// segments, and returns them in a delivery order with local reordering
// (a segment moves at most a few places), full and partial retransmissions,
// but no loss. Whatever the order, the engine must parse exactly the
// original PDUs, in order.
func reassemblyCase(seed int64) (want []string, segs [][]byte) {
	rng := rand.New(rand.NewSource(seed))
	var stream []byte
	for i, n := 0, 1+rng.Intn(40); i < n; i++ {
		body := make([]byte, rng.Intn(300))
		for j := range body {
			body[j] = byte('a' + rng.Intn(26))
		}
		want = append(want, "to_server:"+string(body))
		stream = append(stream, pdu(string(body))...)
	}
	type seg struct{ off, end int }
	var cuts []seg
	for off := 0; off < len(stream); {
		n := 1 + rng.Intn(1400)
		if rng.Intn(3) == 0 {
			n = 1 + rng.Intn(8) // tiny segments split headers
		}
		end := min(off+n, len(stream))
		cuts = append(cuts, seg{off, end})
		off = end
	}
	// Local reordering: swap neighbours a few times.
	for i := 0; i < len(cuts)/2; i++ {
		j := rng.Intn(len(cuts))
		k := min(j+1+rng.Intn(3), len(cuts)-1)
		cuts[j], cuts[k] = cuts[k], cuts[j]
	}
	// Retransmissions: repeat an earlier range, sometimes widened backwards.
	var order []seg
	for i, c := range cuts {
		order = append(order, c)
		if i > 0 && rng.Intn(4) == 0 {
			r := cuts[rng.Intn(i)]
			if rng.Intn(2) == 0 {
				r.off = max(0, r.off-rng.Intn(50))
			}
			order = append(order, r)
		}
	}
	for _, c := range order {
		segs = append(segs, tcpEth(cli, srv, 1001+uint32(c.off), 5001, fACK, stream[c.off:c.end]))
	}
	return want, segs
}

func checkReassembly(t *testing.T, seed int64) {
	t.Helper()
	want, segs := reassemblyCase(seed)
	set, log := testSet(t)
	r := newRunner(t, set, discovery.EngineOptions{})
	r.eth(handshake(cli, srv)...)
	r.eth(segs...)
	r.e.Close()
	if d := cmp.Diff(want, bodies(log)); d != "" {
		st := r.e.Stats()
		t.Fatalf("seed %d: PDUs (-want +got), gaps %d errors %d:\n%s", seed, st.TCPGaps, st.DissectorErrors, d)
	}
}

// TestReassemblyProperty runs many random cases (deterministic seeds).
func TestReassemblyProperty(t *testing.T) {
	for seed := int64(1); seed <= 300; seed++ {
		checkReassembly(t, seed)
	}
}

// FuzzReassembly explores more seeds.
func FuzzReassembly(f *testing.F) {
	f.Add(int64(1))
	f.Add(int64(42))
	f.Fuzz(func(t *testing.T, seed int64) { checkReassembly(t, seed) })
}
