package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/otzone/otzone/discovery/inventory"
)

// TestCommitManyRowsMerges: deltas of a hundred rows per table, committed twice with shifted
// times plus a delta of new keys, load back as the rule says: counts add,
// first_seen is the minimum with its source, last_seen the maximum.
func TestCommitManyRowsMerges(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	a := randomRows(5*103, 1) // 103 rows per table
	later := randomRows(5*103, 1)
	for i := range later.Operations {
		later.Operations[i].Seen = inventory.Seen{Count: 2, FirstSeen: t0.Add(-time.Hour), LastSeen: t0.Add(time.Hour), Source: "earlier"}
		later.Attributes[i].Seen = later.Operations[i].Seen
		later.Attributes[i].Confidence = 0.5
	}
	other := randomRows(5*32, 2)
	for _, d := range []*inventory.Rows{a, later, other} {
		if err := s.Commit(ctx, 0, d, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, want := len(got.Operations), len(a.Operations)+len(other.Operations); n != want {
		t.Fatalf("%d operation rows, want %d", n, want)
	}
	if n, want := len(got.Attributes), len(a.Attributes)+len(other.Attributes); n != want {
		t.Fatalf("%d attribute rows, want %d", n, want)
	}
	if n, want := len(got.Hosts), len(a.Hosts)+len(other.Hosts); n != want {
		t.Fatalf("%d host rows, want %d", n, want)
	}
	want := map[string]inventory.Seen{}
	for _, d := range []*inventory.Rows{a, later, other} {
		for _, o := range d.Operations {
			k := fmt.Sprint(o.CommKey, o.Code)
			s := want[k]
			s.Merge(o.Seen)
			want[k] = s
		}
	}
	for _, o := range got.Operations {
		k := fmt.Sprint(o.CommKey, o.Code)
		w := want[k]
		if o.Count != w.Count || !o.FirstSeen.Equal(w.FirstSeen) || !o.LastSeen.Equal(w.LastSeen) || o.Source != w.Source {
			t.Fatalf("operation %s: %+v, want %+v", k, o.Seen, w)
		}
	}
	for i, at := range got.Attributes {
		if at.Confidence != 0.9 || (at.Count != 5 && at.Count != 3) {
			t.Fatalf("attribute %d: count %d confidence %v (want 3+2 or 3, max(0.9, 0.5))", i, at.Count, at.Confidence)
		}
	}
}
