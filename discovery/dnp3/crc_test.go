package dnp3

import (
	"math/rand/v2"
	"testing"
)

// crcBytewise is the one-table CRC (the reference for the slicing-by-4 one).
func crcBytewise(b []byte) uint16 {
	var c uint16
	for _, v := range b {
		c = c>>8 ^ crcTable[byte(c)^v]
	}
	return ^c
}

func TestCRCSlicingSameAsBytewise(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := range 300 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if got, want := CRC(b), crcBytewise(b); got != want {
			t.Fatalf("length %d: CRC %#04x, bytewise %#04x", n, got, want)
		}
	}
	// dnp3_example.pcap frame 1: link header 05 64 0b c4 05 00 64 00,
	// CRC octets 6f 36 (least significant first).
	if got := CRC([]byte{0x05, 0x64, 0x0b, 0xc4, 0x05, 0x00, 0x64, 0x00}); got != 0x366f {
		t.Errorf("header CRC %#04x, want 0x366f", got)
	}
	// frame 2: its first 16-octet data block 75 c3 81 00 00 01 02 00 00 77
	// 81 01 01 01 01 01, CRC octets f7 76.
	blk := []byte{0x75, 0xc3, 0x81, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x77, 0x81, 0x01, 0x01, 0x01, 0x01, 0x01}
	if got := CRC(blk); got != 0x76f7 {
		t.Errorf("block CRC %#04x, want 0x76f7", got)
	}
}
