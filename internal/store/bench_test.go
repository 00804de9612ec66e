package store

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/inventory"
)

// BenchmarkCommit measures upserting a 10k-row delta (5k hosts with an
// attribute each) in one transaction; run twice per iteration's rows so
// the conflict path is measured too.
func BenchmarkCommit(b *testing.B) {
	st, err := Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	bld := inventory.NewBuilder("")
	for i := 0; i < 5000; i++ {
		e := discovery.Endpoint{MAC: discovery.MAC{0, 0x0c, 0x29, 0, byte(i >> 8), byte(i)}, IP: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})}
		bld.Add(discovery.Observation{Kind: discovery.KindHost, Time: t0, Asset: e})
		bld.Add(discovery.Observation{Kind: discovery.KindAttribute, Time: t0, Asset: e, Key: "dhcp.hostname", Value: fmt.Sprint("h", i)})
	}
	rows := bld.Drain()
	b.ReportMetric(float64(rows.Len()), "rows/op")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := st.Commit(context.Background(), 0, rows, nil); err != nil {
			b.Fatal(err)
		}
	}
}
