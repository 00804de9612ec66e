package store

import (
	"encoding/binary"
	"errors"
	"math"
	"net/netip"

	"github.com/otzone/otzone/discovery"
)

// rowBuf is rows encoded for ozs_exec_rows: per column an int64 or
// float64 (8 bytes, native order) or a text (uint32 length, bytes); offs
// are where the rows start, in the order they are to run.
type rowBuf struct {
	b    []byte
	offs []uint32
	keys []sortKey // upsert's scratch: the rows' sort keys and their bytes
	kb   []byte
}

func (b *rowBuf) reset() { b.b, b.offs = b.b[:0], b.offs[:0] }

// row starts a row.
func (b *rowBuf) row() { b.offs = append(b.offs, uint32(len(b.b))) }

func (b *rowBuf) int(v int64) { b.b = binary.NativeEndian.AppendUint64(b.b, uint64(v)) }

func (b *rowBuf) float(v float64) { b.b = binary.NativeEndian.AppendUint64(b.b, math.Float64bits(v)) }

func (b *rowBuf) text(s string) {
	b.b = binary.NativeEndian.AppendUint32(b.b, uint32(len(s)))
	b.b = append(b.b, s...)
}

// mac appends m as MAC.String writes it ("" for the zero MAC).
func (b *rowBuf) mac(m discovery.MAC) {
	if m.IsZero() {
		b.b = binary.NativeEndian.AppendUint32(b.b, 0)
		return
	}
	const hexd = "0123456789abcdef"
	b.b = binary.NativeEndian.AppendUint32(b.b, 17)
	for i, v := range m {
		if i > 0 {
			b.b = append(b.b, ':')
		}
		b.b = append(b.b, hexd[v>>4], hexd[v&0xf])
	}
}

// ip appends ip as netip.Addr.String writes it ("" for the zero Addr).
func (b *rowBuf) ip(ip netip.Addr) {
	at := len(b.b)
	b.b = binary.NativeEndian.AppendUint32(b.b, 0)
	if !ip.IsValid() {
		return
	}
	b.b = ip.AppendTo(b.b)
	binary.NativeEndian.PutUint32(b.b[at:], uint32(len(b.b)-at-4))
}

// rowReader reads the columns of ozs_query_rows's rows in order.
type rowReader struct {
	b   []byte
	err error
}

var errShortRow = errors.New("store: short row from SQLite")

func (r *rowReader) int() int64 {
	if len(r.b) < 8 {
		r.err, r.b = errShortRow, nil
		return 0
	}
	v := int64(binary.NativeEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// text is the next text column, a view of the buffer.
func (r *rowReader) text() []byte {
	t, _ := r.textOrNull()
	return t
}

// textOrNull is the next 'T' column: ok is false for NULL.
func (r *rowReader) textOrNull() (t []byte, ok bool) {
	if len(r.b) < 4 {
		r.err, r.b = errShortRow, nil
		return nil, false
	}
	n := binary.NativeEndian.Uint32(r.b)
	if n == math.MaxUint32 {
		r.b = r.b[4:]
		return nil, false
	}
	if uint64(len(r.b)-4) < uint64(n) {
		r.err, r.b = errShortRow, nil
		return nil, false
	}
	t = r.b[4 : 4+n : 4+n]
	r.b = r.b[4+n:]
	return t, true
}

// span reads n text columns and returns their encoding (a key that
// tells the n texts apart).
func (r *rowReader) span(n int) []byte {
	b := r.b
	for i := 0; i < n; i++ {
		r.text()
	}
	if r.err != nil {
		return nil
	}
	return b[:len(b)-len(r.b)]
}
