package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Frames are Ethernet frames held back to back in one buffer.
type Frames struct {
	buf []byte
	off []int // frame i is buf[off[i]:off[i+1]]
	max int   // longest frame
}

// Len is the number of frames.
func (f *Frames) Len() int { return len(f.off) - 1 }

// At returns frame i.
func (f *Frames) At(i int) []byte { return f.buf[f.off[i]:f.off[i+1]] }

// Bytes is the frames' total length.
func (f *Frames) Bytes() int { return len(f.buf) }

// Max is the longest frame's length.
func (f *Frames) Max() int { return f.max }

// maxFrame bounds one frame (a pcap may claim a larger snap length).
const maxFrame = 65535

// Load reads the first n frames (all when n <= 0) of a pcap or pcapng file
// of Ethernet frames. Frames cut short by the capture's snap length are
// sent as captured (Load reports how many); a frame of another link type or
// longer than 65535 bytes is an error naming the frame.
func Load(path string, n int) (fr *Frames, truncated int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	size := 0
	if st, err := f.Stat(); err == nil {
		size = int(st.Size())
	}
	br := bufio.NewReaderSize(f, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: not a capture file: %w", path, err)
	}
	var next func() ([]byte, int, int, error) // data, wire length, interface, err
	linkOf := func(int) layers.LinkType { return layers.LinkTypeEthernet }
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
		next = func() ([]byte, int, int, error) {
			d, ci, err := r.ZeroCopyReadPacketData()
			return d, ci.Length, ci.InterfaceIndex, err
		}
		linkOf = func(i int) layers.LinkType {
			ifc, err := r.Interface(i)
			if err != nil {
				return layers.LinkTypeNull
			}
			return ifc.LinkType
		}
	} else {
		r, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
		if r.LinkType() != layers.LinkTypeEthernet {
			return nil, 0, fmt.Errorf("%s: link type %s: only Ethernet captures can be sent", path, r.LinkType())
		}
		next = func() ([]byte, int, int, error) {
			d, ci, err := r.ZeroCopyReadPacketData()
			return d, ci.Length, 0, err
		}
	}
	if n > 0 && size > 0 {
		// Preallocate from the file size, capped by what n frames can use.
		if m := n * 256; m < size {
			size = m
		}
	}
	fr = &Frames{buf: make([]byte, 0, size), off: []int{0}}
	for i := 1; n <= 0 || fr.Len() < n; i++ {
		data, wire, ifc, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: frame %d: %w", path, i, err)
		}
		if lt := linkOf(ifc); lt != layers.LinkTypeEthernet {
			return nil, 0, fmt.Errorf("%s: frame %d: link type %s: only Ethernet frames can be sent", path, i, lt)
		}
		if len(data) > maxFrame {
			return nil, 0, fmt.Errorf("%s: frame %d: %d bytes, more than %d", path, i, len(data), maxFrame)
		}
		if wire > len(data) {
			truncated++
		}
		fr.buf = append(fr.buf, data...)
		fr.off = append(fr.off, len(fr.buf))
		if len(data) > fr.max {
			fr.max = len(data)
		}
	}
	if fr.Len() == 0 {
		return nil, 0, fmt.Errorf("%s: no frames", path)
	}
	return fr, truncated, nil
}

// splitByHosts deals the frames out to n parts by their pair of hosts (the
// IPv4 or IPv6 addresses, else the MAC addresses, in either direction), so
// that every conversation stays in one part, in order.
func splitByHosts(fr *Frames, n int) []*Frames {
	parts := make([]*Frames, n)
	for i := range parts {
		parts[i] = &Frames{buf: make([]byte, 0, fr.Bytes()/n+fr.Bytes()/(4*n)), off: []int{0}}
	}
	for i := 0; i < fr.Len(); i++ {
		d := fr.At(i)
		p := parts[hostPairHash(d)%uint64(n)]
		p.buf = append(p.buf, d...)
		p.off = append(p.off, len(p.buf))
		if len(d) > p.max {
			p.max = len(d)
		}
	}
	return parts
}

// hostPairHash is the same for both directions between two hosts.
func hostPairHash(d []byte) uint64 {
	a, b := d[0:6], d[6:12] // the frame is at least 14 bytes (Send checks)
	off, et := 12, 0
	for off+4 <= len(d) {
		et = int(d[off])<<8 | int(d[off+1])
		if et != 0x8100 && et != 0x88a8 {
			break
		}
		off += 4
	}
	off += 2
	switch {
	case et == 0x0800 && off+20 <= len(d):
		a, b = d[off+12:off+16], d[off+16:off+20]
	case et == 0x86dd && off+40 <= len(d):
		a, b = d[off+8:off+24], d[off+24:off+40]
	}
	if bytes.Compare(a, b) > 0 {
		a, b = b, a
	}
	// FNV-1a over both addresses.
	h := uint64(14695981039346656037)
	for _, s := range [][]byte{a, b} {
		for _, c := range s {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	return h
}
