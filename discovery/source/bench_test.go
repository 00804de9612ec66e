package source

import (
	"io"
	"os"
	"testing"

	"github.com/otzone/otzone/internal/testutil"
)

// BenchmarkReader reads a whole capture per op: $OTZONE_BENCH_FILE when
// set (e.g. the bench/run.sh corpus), else the largest shared capture.
func BenchmarkReader(b *testing.B) {
	path := os.Getenv("OTZONE_BENCH_FILE")
	if path == "" {
		path = testutil.SharedPcap(b, "bacnet/bacnet_services.pcap")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var pkts int
	for i := 0; i < b.N; i++ {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			pkts++
		}
		r.Close()
	}
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
}
