package source

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// pcapReader reads classic libpcap files
// (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/).
type pcapReader struct {
	*input
	bo       binary.ByteOrder
	be       bool // bo is big-endian (u32 avoids the interface call per field)
	nano     bool
	hdrLen   int // record header: 16, or 24 in the "modified" (Kuznetzov) format
	linkType layers.LinkType
	frame    Frame
	n        uint64
	err      error
}

func newPcap(in *input) (*pcapReader, error) {
	h, err := in.next(24)
	if err != nil {
		return nil, fmt.Errorf("%s: pcap file header: %w", in.name, ErrTruncated)
	}
	r := &pcapReader{input: in, hdrLen: 16}
	switch binary.BigEndian.Uint32(h) {
	case 0xa1b2cd34: // modified pcap (old Red Hat tcpdump): 8 more bytes per record
		r.bo, r.hdrLen = binary.BigEndian, 24
	case 0x34cdb2a1:
		r.bo, r.hdrLen = binary.LittleEndian, 24
	case 0xa1b2c3d4:
		r.bo = binary.BigEndian
	case 0xa1b23c4d:
		r.bo, r.nano = binary.BigEndian, true
	case 0xd4c3b2a1:
		r.bo = binary.LittleEndian
	case 0x4d3cb2a1:
		r.bo, r.nano = binary.LittleEndian, true
	}
	if major := r.bo.Uint16(h[4:]); major != 2 {
		return nil, fmt.Errorf("%s: pcap version %d.%d: %w", in.name, major, r.bo.Uint16(h[6:]), ErrNotCapture)
	}
	// The low 16 bits are the link type; the upper bits may carry FCS
	// information, which we ignore.
	r.be = r.bo == binary.BigEndian
	r.linkType = layers.LinkType(r.bo.Uint32(h[20:]) & 0xffff)
	if !Supported(r.linkType) {
		return nil, fmt.Errorf("%s: link type %d (%s): %w", in.name, uint16(r.linkType), r.linkType, ErrUnknownLinkType)
	}
	r.frame.LinkType = r.linkType
	return r, nil
}

func (r *pcapReader) fail(off int64, format string, args ...any) error {
	r.err = &FormatError{File: r.name, Offset: off, Frame: r.n + 1, Err: fmt.Errorf(format, args...)}
	return r.err
}

func (r *pcapReader) u32(b []byte) uint32 {
	if r.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// Next implements Reader.
func (r *pcapReader) Next() (*Frame, error) {
	if r.err != nil {
		return nil, r.err
	}
	off := r.off
	h, err := r.next(r.hdrLen)
	if err != nil {
		if err == io.EOF {
			r.err = io.EOF
			return nil, io.EOF
		}
		if err == io.ErrUnexpectedEOF {
			return nil, r.fail(off, "record header: %w", ErrTruncated)
		}
		return nil, r.fail(off, "record header: %w", err)
	}
	h = h[:16]
	sec, frac, incl, orig := r.u32(h[0:4]), r.u32(h[4:8]), r.u32(h[8:12]), r.u32(h[12:16])
	if incl > maxRecord {
		return nil, r.fail(off, "record length %d exceeds %d: corrupt file", incl, maxRecord)
	}
	data, err := r.next(int(incl))
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, r.fail(off, "record data (%d bytes): %w", incl, ErrTruncated)
		}
		return nil, r.fail(off, "record data: %w", err)
	}
	r.n++
	f := &r.frame
	f.Data = data
	f.Number = r.n
	f.Offset = off
	ns := int64(frac)
	if !r.nano {
		ns *= 1000
	}
	f.CI.Timestamp = time.Unix(int64(sec), ns).UTC()
	f.CI.CaptureLength = int(incl)
	f.CI.Length = int(orig)
	f.CI.InterfaceIndex = 0
	return f, nil
}
