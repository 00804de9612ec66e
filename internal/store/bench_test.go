package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

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

// randomRows is a Builder-drain-like delta of n rows in map order:
// attributes, services, communications and operations of random
// endpoints (the replicated benchmark corpus gives every host a random
// address), so each batch lands all over the tables' B-trees.
func randomRows(n int, seed uint64) *inventory.Rows {
	rng := rand.New(rand.NewPCG(seed, 1))
	ep := func() discovery.Endpoint {
		return discovery.Endpoint{MAC: discovery.MAC{0, 0x0c, 0x29, byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())},
			IP: netip.AddrFrom4([4]byte{10, byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})}
	}
	seen := inventory.Seen{Count: 3, FirstSeen: t0, LastSeen: t0.Add(time.Second), Source: "pcap:corpus.pcap#frame=123456"}
	r := &inventory.Rows{}
	for i := 0; i < n/5; i++ {
		e, s := ep(), ep()
		r.Hosts = append(r.Hosts, inventory.HostRow{MAC: e.MAC, IP: e.IP, Protocol: "ip", Seen: seen})
		r.Attributes = append(r.Attributes, inventory.AttributeRow{Endpoint: e, Key: "bacnet.object_name", Value: fmt.Sprint("AHU-", i), Confidence: 0.9, Seen: seen})
		r.Services = append(r.Services, inventory.ServiceRow{Endpoint: s, Protocol: "bacnet", Transport: "udp", Port: 47808, Role: "server", Seen: seen})
		k := inventory.CommKey{Client: e, Server: s, Protocol: "bacnet", Transport: "udp", Port: 47808}
		r.Communications = append(r.Communications, inventory.CommRow{CommKey: k, Packets: 10, Bytes: 1000, Seen: seen})
		r.Operations = append(r.Operations, inventory.OperationRow{CommKey: k, Code: 12, Name: "readProperty", Class: "read", Seen: seen})
	}
	return r
}

// BenchmarkCommitRandom commits 50k-row deltas of new random endpoints
// (the ingest's batch size) into a database that grows by that much per
// iteration: the store's share of an ingest of the benchmark corpus.
func BenchmarkCommitRandom(b *testing.B) {
	st, err := Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const n = 50000
	for i := 0; i < 3; i++ { // a database that already holds rows
		if err := st.Commit(context.Background(), 0, randomRows(n, uint64(1000+i)), nil); err != nil {
			b.Fatal(err)
		}
	}
	deltas := make([]*inventory.Rows, b.N)
	for i := range deltas {
		deltas[i] = randomRows(n, uint64(i))
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := st.Commit(context.Background(), 0, deltas[i], nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/row")
}

// cpuTime is the process's user+system CPU time: the machine the
// benchmarks run on is shared, so wall time alone overstates the cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCommitCorpus commits the facts of an ingested database
// (OTZONE_BENCH_DB, e.g. after `otzone --db /tmp/s.db ingest
// bench/out/corpus-200.pcap`) into a fresh database as three deltas, the
// way ingest commits that corpus, and closes it: the store's share of its
// ingest.
func BenchmarkCommitCorpus(b *testing.B) {
	path := os.Getenv("OTZONE_BENCH_DB")
	if path == "" {
		b.Skip("OTZONE_BENCH_DB not set")
	}
	src, err := OpenReadOnly(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	all, err := src.Load(context.Background())
	src.Close()
	if err != nil {
		b.Fatal(err)
	}
	const parts = 3
	deltas := make([]*inventory.Rows, parts)
	for p := range deltas {
		cut := func(n int) (int, int) { return n * p / parts, n * (p + 1) / parts }
		d := &inventory.Rows{}
		i, j := cut(len(all.Hosts))
		d.Hosts = all.Hosts[i:j]
		i, j = cut(len(all.Attributes))
		d.Attributes = all.Attributes[i:j]
		i, j = cut(len(all.Services))
		d.Services = all.Services[i:j]
		i, j = cut(len(all.Communications))
		d.Communications = all.Communications[i:j]
		i, j = cut(len(all.Operations))
		d.Operations = all.Operations[i:j]
		i, j = cut(len(all.CommAttributes))
		d.CommAttributes = all.CommAttributes[i:j]
		deltas[p] = d
	}
	b.ReportMetric(float64(all.Len()), "rows/op")
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := Open(context.Background(), filepath.Join(b.TempDir(), fmt.Sprint(i, ".db")))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := cpuTime()
		for _, d := range deltas {
			if err := st.Commit(context.Background(), 0, d, nil); err != nil {
				b.Fatal(err)
			}
		}
		st.Close() // its checkpoint is part of the cost
		cpu += cpuTime() - cpu0
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkLoadForCounts reads the summary's rows of an ingested database
// (OTZONE_BENCH_DB, see BenchmarkCommitCorpus), as ingest does after its
// last commit.
func BenchmarkLoadForCounts(b *testing.B) {
	path := os.Getenv("OTZONE_BENCH_DB")
	if path == "" {
		b.Skip("OTZONE_BENCH_DB not set")
	}
	st, err := OpenReadOnly(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := st.LoadForCounts(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}
