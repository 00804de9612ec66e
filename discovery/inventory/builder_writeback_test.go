package inventory

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/otzone/otzone/discovery"
)

// TestBuilderWriteBackSameRows: operation hits summed in the cache and
// applied later give the rows the reference path (no cache) gives, on
// random streams built to hit every case: few endpoints and codes (many
// hits, entries evicted by slot conflicts), raw names that clean to the
// same row, times out of order, repeated and zero, flows and
// communication attributes on the same communications in between,
// frames of evidence with and without a kind, and drains at random points.
func TestBuilderWriteBackSameRows(t *testing.T) {
	base := time.Unix(1_700_000_000, 0).UTC()
	eps := []discovery.Endpoint{
		{IP: netip.MustParseAddr("10.0.0.1")}, {IP: netip.MustParseAddr("10.0.0.2")},
		{IP: netip.MustParseAddr("10.0.1.2")}, {IP: netip.MustParseAddr("::ffff:10.0.0.2")},
		{MAC: discovery.MAC{0, 1, 2, 3, 4, 5}}, {IP: netip.MustParseAddr("10.0.0.9"), Sub: "unit 1"},
	}
	names := []string{"Read Coils", "Read Coils ", "Write", "Write\x00", ""}
	for seed := uint64(1); seed <= 12; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		fast, ref := NewBuilder("s"), NewBuilder("s")
		ref.noCache = true
		emptyKind := seed%4 == 0 // some streams carry observations without evidence
		hits, drains := 0, 0
		for i := 0; i < 4000; i++ {
			o := discovery.Observation{
				Kind:      discovery.KindOperation,
				Asset:     eps[rng.IntN(len(eps))],
				Peer:      eps[rng.IntN(2)],
				Protocol:  "modbus",
				Transport: "tcp",
				Port:      uint16(502 + rng.IntN(2)),
				Op:        discovery.Operation{Code: rng.IntN(3), Name: names[rng.IntN(len(names))], Class: discovery.OpRead},
				Evidence:  discovery.Evidence{Kind: "pcap", Name: "w.pcap", Frame: uint64(i/3 + 1)},
			}
			switch r := rng.IntN(20); {
			case r == 0:
				o.Time = time.Time{}
			case r < 4:
				o.Time = base.Add(-time.Duration(rng.IntN(1000)) * time.Millisecond) // before
			default:
				o.Time = base.Add(time.Duration(i+rng.IntN(50)) * time.Millisecond)
			}
			if emptyKind && rng.IntN(500) == 0 {
				o.Evidence = discovery.Evidence{}
			}
			switch rng.IntN(12) {
			case 0:
				o.Kind, o.Packets, o.Bytes = discovery.KindFlow, 3, 180
			case 1:
				o.Kind, o.Key, o.Value = discovery.KindCommAttribute, "unit", "1"
			}
			if o.Kind == discovery.KindOperation {
				hits++
			}
			fast.Add(o)
			ref.Add(o)
			if rng.IntN(700) == 0 {
				a, b := sorted(fast.Drain()), sorted(ref.Drain())
				if d := gocmp.Diff(b, a, cmpopts.EquateComparable(netip.Addr{})); d != "" {
					t.Fatalf("seed %d, drain at %d (-reference +cached):\n%s", seed, i, d)
				}
				drains++
			}
		}
		a, b := sorted(fast.Drain()), sorted(ref.Drain())
		if d := gocmp.Diff(b, a, cmpopts.EquateComparable(netip.Addr{})); d != "" {
			t.Fatalf("seed %d, last drain (-reference +cached):\n%s", seed, d)
		}
		if len(a.Operations) == 0 || hits < 3000 {
			t.Fatalf("seed %d: %d operation rows from %d operations", seed, len(a.Operations), hits)
		}
	}
}
