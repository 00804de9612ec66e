package inventory

import (
	"cmp"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/otzone/otzone/discovery"
	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/internal/testutil"
)

// captureObservations runs every shared real capture (and the file in
// OTZONE_BENCH_FILE, if set) through the engine with every registered
// dissector and returns the observations in emission order.
func captureObservations(t testing.TB) []discovery.Observation {
	t.Helper()
	var paths []string
	filepath.WalkDir(filepath.Join(testutil.SharedDir(t), "pcaps"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			paths = append(paths, p)
		}
		return nil
	})
	if f := os.Getenv("OTZONE_BENCH_FILE"); f != "" {
		paths = append(paths, f)
	}
	set, err := discovery.NewSet()
	if err != nil {
		t.Fatal(err)
	}
	var obs []discovery.Observation
	eng := discovery.NewEngine(set, func(o discovery.Observation) { obs = append(obs, o) }, discovery.EngineOptions{})
	for _, p := range paths {
		for _, f := range testutil.ReadFrames(t, p) {
			eng.Packet(f.Data, f.CI, f.LinkType, discovery.Evidence{Kind: "pcap", Name: filepath.Base(p), Frame: uint64(f.Number)})
		}
		eng.Close()
	}
	return obs
}

// sorted orders a drain so two drains compare equal whatever the map order.
func sorted(r *Rows) *Rows {
	str := func(v any) string { return fmt.Sprintf("%+v", v) }
	sortBy := func(s any) {
		switch x := s.(type) {
		case []HostRow:
			slices.SortFunc(x, func(a, b HostRow) int { return cmp.Compare(str(a), str(b)) })
		case []AttributeRow:
			slices.SortFunc(x, func(a, b AttributeRow) int { return cmp.Compare(str(a), str(b)) })
		case []ServiceRow:
			slices.SortFunc(x, func(a, b ServiceRow) int { return cmp.Compare(str(a), str(b)) })
		case []CommRow:
			slices.SortFunc(x, func(a, b CommRow) int { return cmp.Compare(str(a), str(b)) })
		case []OperationRow:
			slices.SortFunc(x, func(a, b OperationRow) int { return cmp.Compare(str(a), str(b)) })
		case []CommAttributeRow:
			slices.SortFunc(x, func(a, b CommAttributeRow) int { return cmp.Compare(str(a), str(b)) })
		}
	}
	sortBy(r.Hosts)
	sortBy(r.Attributes)
	sortBy(r.Services)
	sortBy(r.Communications)
	sortBy(r.Operations)
	sortBy(r.CommAttributes)
	return r
}

// TestBuilderCacheSameRows: the recent-observation caches change nothing
// the Builder drains. The observations of every shared real capture go
// through a Builder with the caches and one without, drained at the same
// points (every 5,000 observations, as the ingest drains mid-file); each
// pair of drains must be equal row for row (counts, first/last seen,
// evidence, confidence).
func TestBuilderCacheSameRows(t *testing.T) {
	obs := captureObservations(t)
	if len(obs) < 1000 {
		t.Fatalf("only %d observations from the shared captures", len(obs))
	}
	fast, ref := NewBuilder("s"), NewBuilder("s")
	ref.noCache = true
	drains, ops := 0, 0
	check := func() {
		a, b := sorted(fast.Drain()), sorted(ref.Drain())
		if d := gocmp.Diff(b, a, cmpopts.EquateComparable(netip.Addr{})); d != "" {
			t.Fatalf("drain %d (-without cache +with):\n%s", drains, d)
		}
		ops += len(a.Operations)
		drains++
	}
	for i, o := range obs {
		fast.Add(o)
		ref.Add(o)
		if i%5000 == 4999 {
			check()
		}
	}
	check()
	if ops == 0 || drains < 2 {
		t.Fatalf("%d drains, %d operation rows: the captures exercised nothing", drains, ops)
	}
}

// TestBuilderCacheEdges: a cached row is not reused after Drain, nor for
// an observation differing in any one key field, and values that clean
// to the same text still land on one row.
func TestBuilderCacheEdges(t *testing.T) {
	c := discovery.Endpoint{MAC: discovery.MAC{0, 0x0c, 0x29, 0, 0, 1}, IP: netip.MustParseAddr("10.0.0.1")}
	s := discovery.Endpoint{MAC: discovery.MAC{0, 0x80, 0xf4, 0, 0, 2}, IP: netip.MustParseAddr("10.0.0.2")}
	op := discovery.Observation{Kind: discovery.KindOperation, Time: t0, Asset: c, Peer: s, Protocol: "modbus", Transport: "tcp",
		Port: 502, Op: discovery.Operation{Code: 3, Name: "Read Holding Registers", Class: discovery.OpRead}}
	at := discovery.Observation{Kind: discovery.KindAttribute, Time: t0, Asset: s, Key: "modbus.vendor", Value: "Schneider"}
	b := NewBuilder("")
	b.Add(op)
	b.Add(at)
	b.Drain()
	b.Add(op)
	b.Add(at)
	r := b.Drain()
	if len(r.Operations) != 1 || r.Operations[0].Count != 1 || len(r.Communications) != 1 {
		t.Fatalf("after a drain: %+v %+v", r.Operations, r.Communications)
	}
	if len(r.Attributes) != 1 || r.Attributes[0].Count != 1 {
		t.Fatalf("after a drain: %+v", r.Attributes)
	}
	variants := []func(o *discovery.Observation){
		func(o *discovery.Observation) { o.Asset.IP = netip.MustParseAddr("10.0.0.3") },
		func(o *discovery.Observation) { o.Asset.MAC[5] = 9 },
		func(o *discovery.Observation) { o.Asset.Sub = "unit=1" },
		func(o *discovery.Observation) { o.Peer.IP = netip.MustParseAddr("10.0.1.2") },
		func(o *discovery.Observation) { o.Peer.Sub = "unit=2" },
		func(o *discovery.Observation) { o.Protocol = "modbus2" },
		func(o *discovery.Observation) { o.Transport = "udp" },
		func(o *discovery.Observation) { o.Port = 503 },
		func(o *discovery.Observation) { o.Op.Code = 4 },
		func(o *discovery.Observation) { o.Op.Name = "Read Input Registers" },
		func(o *discovery.Observation) { o.Op.Class = discovery.OpWrite },
	}
	b.Add(op)
	for _, v := range variants {
		o := op
		v(&o)
		b.Add(o)
		b.Add(op)
	}
	r = b.Drain()
	if len(r.Operations) != 1+len(variants) {
		t.Fatalf("%d operation rows, want %d", len(r.Operations), 1+len(variants))
	}
	for _, o := range r.Operations {
		want := uint64(1)
		if o.Code == 3 && o.Name == "Read Holding Registers" && o.Class == "read" && o.Port == 502 && o.Protocol == "modbus" &&
			o.Transport == "tcp" && o.Client == c && o.Server == s {
			want = 1 + uint64(len(variants))
		}
		if o.Count != want {
			t.Errorf("%+v: count %d, want %d", o, o.Count, want)
		}
	}
	// " Schneider\x01" cleans to "Schneider": a different raw string, the same row.
	b.Add(at)
	o := at
	o.Value = " Schneider\x01"
	b.Add(o)
	o = at
	o.Value = "Siemens"
	b.Add(o)
	b.Add(at)
	r = b.Drain()
	if len(r.Attributes) != 2 {
		t.Fatalf("attributes %+v", r.Attributes)
	}
	for _, a := range r.Attributes {
		if want := map[string]uint64{"Schneider": 3, "Siemens": 1}[a.Value]; a.Count != want {
			t.Errorf("%s: count %d, want %d", a.Value, a.Count, want)
		}
	}
}

// BenchmarkBuilderAddCaptures replays the observations of the shared real
// captures (plus OTZONE_BENCH_FILE) into a Builder, draining every 50,000
// rows as the ingest does: the Builder's cost per observation on real
// traffic (dissectors emit an operation per PDU and repeat attributes).
func BenchmarkBuilderAddCaptures(b *testing.B) {
	obs := captureObservations(b)
	for _, nc := range []bool{false, true} {
		name := "cache"
		if nc {
			name = "nocache"
		}
		b.Run(name, func(b *testing.B) {
			bld := NewBuilder("")
			bld.noCache = nc
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bld.Add(obs[i%len(obs)])
				if i%len(obs) == len(obs)-1 || bld.Pending() >= 50000 {
					bld.Drain()
				}
			}
		})
	}
}

// TestCountMatchesBuild: Count gives the number of assets and
// communications Build materialises from the same rows: the rows drained
// from every shared real capture's observations (with and without a
// site). internal/ingest's TestLoadForCountsMatchesLoad checks it on the
// stored rows of the same captures and of the demo plant.
func TestCountMatchesBuild(t *testing.T) {
	obs := captureObservations(t)
	if len(obs) == 0 {
		t.Skip("no shared captures")
	}
	for _, site := range []string{"", "north"} {
		b := NewBuilder(site)
		for _, o := range obs {
			b.Add(o)
		}
		rows := b.Drain()
		inv := Build(rows, BuildOptions{NoOUI: true})
		if len(inv.Assets) < 10 || len(inv.Communications) < 10 {
			t.Fatalf("site %q: only %d assets, %d communications", site, len(inv.Assets), len(inv.Communications))
		}
		vias := 0
		for _, a := range inv.Assets {
			if a.Via != "" {
				vias++
			}
		}
		if a, c := Count(rows); a != len(inv.Assets) || c != len(inv.Communications) {
			t.Errorf("site %q: Count = %d assets, %d communications; Build %d, %d (%d behind a gateway)",
				site, a, c, len(inv.Assets), len(inv.Communications), vias)
		}
		t.Logf("site %q: %d assets (%d behind a gateway), %d communications", site, len(inv.Assets), vias, len(inv.Communications))
	}
}
