package inventory

import (
	"net/netip"
	"testing"
	"unsafe"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestBuilderRecycleSameRows: building deltas in recycled rows changes
// nothing the Builder drains. The observations of every shared real
// capture go through a Builder that gets each drain back (Recycle) once it
// has been compared, as the ingest does once a commit is done, and through
// one that never does; drains every 2,000 observations must be equal row
// for row, and the recycled slices must really be the ones reused.
func TestBuilderRecycleSameRows(t *testing.T) {
	obs := captureObservations(t)
	if len(obs) < 1000 {
		t.Fatalf("only %d observations from the shared captures", len(obs))
	}
	rec, ref := NewBuilder("s"), NewBuilder("s")
	// Drain k's rows are recycled after the comparison, when the delta
	// k+1 is already being built: delta k+2 is built in them.
	var prev, prev2 *Rows
	drains, reused := 0, 0
	check := func() {
		a, b := rec.Drain(), ref.Drain()
		if prev2 != nil && cap(prev2.Operations) > 0 && len(a.Operations) > 0 &&
			unsafe.SliceData(a.Operations) == unsafe.SliceData(prev2.Operations[:1]) {
			reused++
		}
		sorted(a)
		if d := gocmp.Diff(sorted(b), a, cmpopts.EquateComparable(netip.Addr{})); d != "" {
			t.Fatalf("drain %d (-fresh +recycled):\n%s", drains, d)
		}
		drains++
		// a is done with: the Builder may build the delta after next in it.
		rec.Recycle(a)
		prev, prev2 = a, prev
	}
	for i, o := range obs {
		rec.Add(o)
		ref.Add(o)
		if i%2000 == 1999 {
			check()
		}
	}
	check()
	if drains < 3 || reused == 0 {
		t.Fatalf("%d drains, %d built in recycled slices", drains, reused)
	}
	t.Logf("%d drains, %d built in recycled operation slices", drains, reused)
}
