//go:build enginebench

package discovery_test

// Opt-in (go test -tags enginebench) because it links every registered
// dissector: the engine's own tests must not depend on them compiling.

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/source"
)

// BenchmarkEngineFile reads $OTZONE_BENCH_FILE (a capture, e.g. the corpus
// from bench/run.sh) through the source reader and an engine with every
// registered dissector (or those named in $OTZONE_BENCH_DISSECTORS, "none"
// for the engine alone), per op the whole file; emitted observations are
// counted and dropped (no inventory, no database). Run with -benchtime 1x.
func BenchmarkEngineFile(b *testing.B) {
	path := os.Getenv("OTZONE_BENCH_FILE")
	if path == "" {
		b.Skip("set OTZONE_BENCH_FILE to a capture")
	}
	// $OTZONE_BENCH_DISSECTORS: comma-separated names, "none" for the
	// engine alone; default every registered dissector.
	var names []string
	if v := os.Getenv("OTZONE_BENCH_DISSECTORS"); v != "" {
		names = strings.Split(v, ",")
	}
	var set *discovery.Set
	var err error
	if len(names) == 1 && names[0] == "none" {
		set, err = discovery.NewSetOf()
	} else {
		set, err = discovery.NewSet(names...)
	}
	if err != nil {
		b.Fatal(err)
	}
	var pkts, obs uint64
	var kinds [8]uint64
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		e := discovery.NewEngine(set, func(o discovery.Observation) {
			obs++
			kinds[o.Kind&7]++
		}, discovery.EngineOptions{})
		r, err := source.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		ev := discovery.Evidence{Kind: "pcap", Name: filepath.Base(path)}
		for {
			f, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			pkts++
			ev.Frame = f.Number
			e.Packet(f.Data, f.CI, f.LinkType, ev)
			if pkts&0xffff == 0 {
				e.Flush()
			}
		}
		r.Close()
		e.Close()
		if i == 0 {
			st := e.Stats()
			b.Logf("%d packets, %d observations (by kind %v), malformed %d, dissector errors %d, panics %d, PDUs %v",
				st.Packets, obs, kinds, st.Malformed, st.DissectorErrors, st.DissectorPanics, st.PDUs)
		}
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(pkts)/cpu.Seconds(), "pkts/cpu-s")
}
