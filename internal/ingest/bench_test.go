package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/otzone/otzone/internal/store"
)

// BenchmarkFiles ingests a 20k-frame capture (TCP on an unclaimed port)
// into a fresh database per iteration: the whole pipeline's throughput.
func BenchmarkFiles(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.pcap")
	synth(b, path, 20000)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := Files(context.Background(), st, []string{path}, Options{})
		if err != nil || sum.Packets != 20000 {
			b.Fatalf("%v %+v", err, sum)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(20000*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}
