package source

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// pcapng block types (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/).
const (
	blockSHB = 0x0a0d0d0a
	blockIDB = 0x00000001
	blockOPB = 0x00000002 // obsolete Packet Block
	blockSPB = 0x00000003
	blockEPB = 0x00000006
)

type ngInterface struct {
	linkType layers.LinkType
	snapLen  uint32
	// timestamp resolution: units per second is 10^exp (decimal) or 2^exp.
	binary bool
	exp    uint8
	offset int64 // if_tsoffset, seconds
}

// ngReader reads pcapng files: any number of sections, each with its own
// byte order and interfaces.
type ngReader struct {
	*input
	bo      binary.ByteOrder
	be      bool // bo is big-endian (u32 avoids the interface call per field)
	ifaces  []ngInterface
	frame   Frame
	n       uint64
	err     error
	pending bool // frame holds a packet read ahead by newNg
}

func newNg(in *input) (*ngReader, error) {
	r := &ngReader{input: in}
	if err := r.readSHB(r.off); err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("%s: pcapng section header: %w", in.name, fe.Err)
		}
		return nil, err
	}
	// Read ahead to the first packet so that a file whose interfaces are all
	// of unsupported link types is refused by Open. The packet is kept for
	// the first Next; a read error is kept for Next too.
	f, err := r.read()
	switch {
	case err == nil:
		r.pending = true
		_ = f
	case err == io.EOF:
	default:
		r.err = err
	}
	if len(r.ifaces) > 0 {
		var lts []string
		ok := false
		for _, ifc := range r.ifaces {
			if Supported(ifc.linkType) {
				ok = true
				break
			}
			lts = append(lts, fmt.Sprintf("%d (%s)", uint16(ifc.linkType), ifc.linkType))
		}
		if !ok {
			return nil, fmt.Errorf("%s: link type %s: %w", in.name, strings.Join(lts, ", "), ErrUnknownLinkType)
		}
	}
	return r, nil
}

func (r *ngReader) fail(off int64, format string, args ...any) error {
	r.err = &FormatError{File: r.name, Offset: off, Frame: r.n + 1, Err: fmt.Errorf(format, args...)}
	return r.err
}

func (r *ngReader) readErr(off int64, what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return r.fail(off, "%s: %w", what, ErrTruncated)
	}
	return r.fail(off, "%s: %w", what, err)
}

// readSHB reads a section header block at off, setting the byte order and
// forgetting the previous section's interfaces.
func (r *ngReader) readSHB(off int64) error {
	h, err := r.next(12)
	if err != nil {
		return r.readErr(off, "section header", err)
	}
	return r.readSHBAfter(off, h[:8], h[8:12])
}

func (r *ngReader) u32(b []byte) uint32 {
	if r.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// Next implements Reader.
func (r *ngReader) Next() (*Frame, error) {
	if r.pending {
		r.pending = false
		return &r.frame, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	return r.read()
}

func (r *ngReader) read() (*Frame, error) {
	for {
		off := r.off
		h, err := r.next(8)
		if err != nil {
			if err == io.EOF {
				r.err = io.EOF
				return nil, io.EOF
			}
			return nil, r.readErr(off, "block header", err)
		}
		typ := r.u32(h)
		if typ == blockSHB {
			// The byte order may change with the section: read the
			// byte-order magic before the length. next(4) may move the
			// buffer under h, so keep the length bytes first.
			var hb [8]byte
			copy(hb[:], h)
			rest, err := r.next(4)
			if err != nil {
				return nil, r.readErr(off, "section header", err)
			}
			if err := r.readSHBAfter(off, hb[:], rest); err != nil {
				return nil, err
			}
			continue
		}
		n := r.u32(h[4:])
		if n < 12 || n%4 != 0 || n > maxRecord {
			return nil, r.fail(off, "block type 0x%x: bad block length %d", typ, n)
		}
		body, err := r.next(int(n) - 8)
		if err != nil {
			return nil, r.readErr(off, fmt.Sprintf("block type 0x%x (%d bytes)", typ, n), err)
		}
		if t := r.u32(body[len(body)-4:]); t != n {
			return nil, r.fail(off, "block type 0x%x: trailing length %d != %d", typ, t, n)
		}
		body = body[:len(body)-4]
		switch typ {
		case blockIDB:
			if err := r.readIDB(off, body); err != nil {
				return nil, err
			}
		case blockEPB:
			if len(body) < 20 {
				return nil, r.fail(off, "enhanced packet block: %d bytes", len(body))
			}
			id := r.u32(body)
			capLen := r.u32(body[12:])
			if uint64(capLen) > uint64(len(body)-20) {
				return nil, r.fail(off, "enhanced packet block: captured length %d exceeds block", capLen)
			}
			ts := uint64(r.u32(body[4:]))<<32 | uint64(r.u32(body[8:]))
			return r.packet(off, id, ts, body[20:20+capLen], r.u32(body[16:]))
		case blockSPB:
			if len(r.ifaces) == 0 {
				return nil, r.fail(off, "simple packet block before any interface")
			}
			if len(body) < 4 {
				return nil, r.fail(off, "simple packet block: %d bytes", len(body))
			}
			orig := r.u32(body)
			capLen := uint64(orig)
			if s := r.ifaces[0].snapLen; s != 0 && uint64(s) < capLen {
				capLen = uint64(s)
			}
			if capLen > uint64(len(body)-4) {
				capLen = uint64(len(body) - 4)
			}
			// A simple packet block has no timestamp.
			return r.packet(off, 0, 0, body[4:4+capLen], orig)
		case blockOPB:
			if len(body) < 20 {
				return nil, r.fail(off, "packet block: %d bytes", len(body))
			}
			id := uint32(r.bo.Uint16(body))
			capLen := r.u32(body[12:])
			if uint64(capLen) > uint64(len(body)-20) {
				return nil, r.fail(off, "packet block: captured length %d exceeds block", capLen)
			}
			ts := uint64(r.u32(body[4:]))<<32 | uint64(r.u32(body[8:]))
			return r.packet(off, id, ts, body[20:20+capLen], r.u32(body[16:]))
		default:
			// Name resolution, statistics, decryption secrets, custom
			// blocks: nothing the engine uses.
		}
	}
}

// readSHBAfter finishes a section header whose first 12 bytes (h + rest)
// were already consumed; h and rest are read before anything else is.
func (r *ngReader) readSHBAfter(off int64, h, rest []byte) error {
	switch binary.BigEndian.Uint32(rest) {
	case 0x1a2b3c4d:
		r.bo, r.be = binary.BigEndian, true
	case 0x4d3c2b1a:
		r.bo, r.be = binary.LittleEndian, false
	default:
		return r.fail(off, "section header: bad byte-order magic % x", rest)
	}
	n := r.bo.Uint32(h[4:])
	if n < 28 || n%4 != 0 || n > maxRecord {
		return r.fail(off, "section header: bad block length %d", n)
	}
	body, err := r.next(int(n) - 12)
	if err != nil {
		return r.readErr(off, "section header", err)
	}
	if major := r.bo.Uint16(body); major != 1 {
		return r.fail(off, "section header: unsupported pcapng version %d.%d", major, r.bo.Uint16(body[2:]))
	}
	if t := r.bo.Uint32(body[len(body)-4:]); t != n {
		return r.fail(off, "section header: trailing length %d != %d", t, n)
	}
	r.ifaces = r.ifaces[:0]
	return nil
}

func (r *ngReader) readIDB(off int64, body []byte) error {
	if len(body) < 8 {
		return r.fail(off, "interface description block: %d bytes", len(body))
	}
	if len(r.ifaces) >= 1<<16 {
		return r.fail(off, "more than %d interfaces", 1<<16)
	}
	ifc := ngInterface{
		linkType: layers.LinkType(r.bo.Uint16(body)),
		snapLen:  r.bo.Uint32(body[4:]),
		exp:      6,
	}
	opts := body[8:]
	for len(opts) >= 4 {
		code := r.bo.Uint16(opts)
		l := int(r.bo.Uint16(opts[2:]))
		if code == 0 {
			break
		}
		if 4+l > len(opts) {
			return r.fail(off, "interface description block: option %d overruns the block", code)
		}
		v := opts[4 : 4+l]
		switch code {
		case 9: // if_tsresol
			if l >= 1 {
				ifc.binary = v[0]&0x80 != 0
				ifc.exp = v[0] & 0x7f
				if (!ifc.binary && ifc.exp > 19) || (ifc.binary && ifc.exp > 63) {
					return r.fail(off, "interface description block: timestamp resolution 0x%02x", v[0])
				}
			}
		case 14: // if_tsoffset
			if l >= 8 {
				ifc.offset = int64(r.bo.Uint64(v))
			}
		}
		pad := (l + 3) &^ 3
		if 4+pad > len(opts) {
			break
		}
		opts = opts[4+pad:]
	}
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

func (ifc *ngInterface) time(ts uint64) time.Time {
	var sec, ns uint64
	if ifc.binary {
		sec = ts >> ifc.exp
		rem := ts & (1<<ifc.exp - 1)
		hi, lo := bits.Mul64(rem, 1e9)
		if ifc.exp == 0 {
			ns = 0
		} else {
			ns = hi<<(64-ifc.exp) | lo>>ifc.exp
		}
	} else {
		div := pow10[ifc.exp]
		sec = ts / div
		rem := ts % div
		if ifc.exp <= 9 {
			ns = rem * pow10[9-ifc.exp]
		} else {
			ns = rem / pow10[ifc.exp-9]
		}
	}
	return time.Unix(int64(sec)+ifc.offset, int64(ns)).UTC()
}

func (r *ngReader) packet(off int64, id uint32, ts uint64, data []byte, orig uint32) (*Frame, error) {
	if int(id) >= len(r.ifaces) {
		return nil, r.fail(off, "packet for undefined interface %d (%d defined)", id, len(r.ifaces))
	}
	ifc := &r.ifaces[id]
	r.n++
	f := &r.frame
	f.Data = data
	f.Number = r.n
	f.Offset = off
	f.LinkType = ifc.linkType
	f.CI.Timestamp = ifc.time(ts)
	f.CI.CaptureLength = len(data)
	f.CI.Length = int(orig)
	f.CI.InterfaceIndex = int(id)
	return f, nil
}
