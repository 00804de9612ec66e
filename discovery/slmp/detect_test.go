package slmp

import (
	"math/rand/v2"
	"testing"

	"github.com/otzone/otzone/discovery"
)

// detectRef is detect without the early subheader check.
func detectRef(data []byte, whole bool) discovery.Verdict {
	n, err := FrameLen(data)
	switch {
	case err != nil:
		return discovery.No
	case n == 0 || n > len(data):
		if whole {
			return discovery.No
		}
		return discovery.NeedMore
	case whole && n != len(data):
		return discovery.No
	}
	f, err := Parse(data[:n])
	if err != nil || (!f.Response && !f.Command.Known()) {
		return discovery.No
	}
	return discovery.Yes
}

func TestDetectEarlyRejectSameVerdict(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	heads := [][]byte{{0x50, 0x00}, {0xd0, 0x00}, {0x54, 0x00}, {0xd4, 0x00}, {0x50, 0x01}, {0x51, 0x00}, {}}
	for i := range 100000 {
		b := make([]byte, r.IntN(40))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		h := heads[i%len(heads)]
		copy(b, h)
		if len(b) > 9 && i%2 == 0 { // a plausible module I/O and length
			b[4], b[5], b[7], b[8] = 0xff, 0x03, byte(len(b)-9), 0
		}
		for _, whole := range []bool{false, true} {
			if got, want := detect(b, whole), detectRef(b, whole); got != want {
				t.Fatalf("% x whole=%v: %v, reference %v", b, whole, got, want)
			}
		}
	}
}
