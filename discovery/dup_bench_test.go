package discovery

import (
	"encoding/binary"
	"testing"
)

// BenchmarkDuplicateIP: the duplicate check on a stream of distinct IPv4
// UDP packets (the common case: no copy), 10 µs apart.
func BenchmarkDuplicateIP(b *testing.B) {
	e := &Engine{seed: [3]uint64{0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9, 0x94d049bb133111eb}}
	pkts := make([][]byte, 4096)
	for i := range pkts {
		p := make([]byte, 48)
		p[0] = 0x45
		p[9] = 17
		binary.BigEndian.PutUint16(p[4:], uint16(i))
		binary.BigEndian.PutUint32(p[12:], 0x0a000001+uint32(i%97))
		binary.BigEndian.PutUint32(p[16:], 0x0a000100+uint32(i%89))
		binary.BigEndian.PutUint16(p[20:], 47808)
		pkts[i] = p
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.pktNS += 10000
		if e.duplicateIP(pkts[i&4095], 20, false) {
			b.Fatal("duplicate")
		}
	}
}
