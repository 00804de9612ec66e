package iec61850

import (
	"errors"
	"fmt"
)

// ErrShort means the BER element runs past the data.
var ErrShort = errors.New("iec61850: short data")

// tlv is one BER element: class (0 universal, 1 application, 2 context,
// 3 private), constructed flag, tag number, and its content.
type tlv struct {
	class       uint8
	constructed bool
	tag         int
	content     []byte
}

const maxTag = 1 << 20

// readTLV reads one definite-length BER element from b and returns it and
// the bytes after it.
func readTLV(b []byte) (tlv, []byte, error) {
	var t tlv
	if len(b) < 2 {
		return t, nil, ErrShort
	}
	t.class = b[0] >> 6
	t.constructed = b[0]&0x20 != 0
	t.tag = int(b[0] & 0x1F)
	i := 1
	if t.tag == 0x1F { // high tag number form
		t.tag = 0
		for {
			if i >= len(b) {
				return t, nil, ErrShort
			}
			c := b[i]
			i++
			t.tag = t.tag<<7 | int(c&0x7F)
			if t.tag > maxTag {
				return t, nil, fmt.Errorf("iec61850: ber: tag too large")
			}
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return t, nil, ErrShort
	}
	l := int(b[i])
	i++
	if l&0x80 != 0 {
		n := l & 0x7F
		if n == 0 || n > 3 {
			return t, nil, fmt.Errorf("iec61850: ber: length form 0x%02x not supported", b[i-1])
		}
		if i+n > len(b) {
			return t, nil, ErrShort
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
	}
	if i+l > len(b) {
		return t, nil, ErrShort
	}
	t.content = b[i : i+l]
	return t, b[i+l:], nil
}

// uintBE reads a BER INTEGER content as unsigned (up to 8 bytes).
func uintBE(b []byte) uint64 {
	var v uint64
	for i, c := range b {
		if i == 8 {
			break
		}
		v = v<<8 | uint64(c)
	}
	return v
}
