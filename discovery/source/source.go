// Package source reads capture files: classic pcap (microsecond and
// nanosecond timestamps, either byte order), pcapng (several sections,
// several interfaces with their own link types and timestamp resolutions)
// and gzip-compressed copies of either, recognised by their magic numbers,
// never by their file name.
//
// The readers are written for throughput: a record is returned as a slice
// into the reader's buffer, so Next does not allocate per frame, and
// Frame.Data (and the Frame itself) is only valid until the following call
// to Next. Callers that keep a frame copy it.
//
// A corrupt or truncated file yields every complete frame before the damage,
// then a *FormatError naming the file, the byte offset of the bad record and
// its frame number. A truncated capture is normal in the field (a capture
// killed mid-write, a copy cut short), so callers usually keep what was read
// and report the error.
package source

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Frame is one captured record.
type Frame struct {
	// Data is the captured bytes. It aliases the reader's buffer and is only
	// valid until the next call to Next.
	Data     []byte
	CI       gopacket.CaptureInfo
	LinkType layers.LinkType
	// Number is the 1-based frame number, as Wireshark counts.
	Number uint64
	// Offset is the byte offset of the record (its record or block header)
	// in the decompressed file.
	Offset int64
}

// Reader yields the frames of one capture.
type Reader interface {
	// Next returns the next frame, io.EOF at a clean end, or a *FormatError
	// when the file is corrupt or truncated (every frame before the damage
	// has been returned). The returned Frame is reused by the next call.
	Next() (*Frame, error)
	// Progress reports bytes read so far and the file size, for a progress
	// bar. For a gzip file both count compressed bytes. It is safe to call
	// from another goroutine.
	Progress() (read, total int64)
	Close() error
}

// FormatError says where a capture file is damaged.
type FormatError struct {
	File   string
	Offset int64  // byte offset (in the decompressed stream) of the bad record
	Frame  uint64 // 1-based number the bad record would have had
	Err    error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: offset %d, frame %d: %v", e.File, e.Offset, e.Frame, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Sentinel errors wrapped in the errors Open and Next return.
var (
	ErrNotCapture      = errors.New("not a pcap or pcapng capture")
	ErrEmpty           = errors.New("empty file")
	ErrUnknownLinkType = errors.New("unsupported link type")
	ErrTruncated       = errors.New("truncated")
)

// supported lists the link types the discovery engine decodes.
var supported = map[layers.LinkType]bool{
	layers.LinkTypeNull:      true,
	layers.LinkTypeEthernet:  true,
	layers.LinkTypeRaw:       true, // 101
	12:                       true, // DLT_RAW on OpenBSD (LINKTYPE 12 in some files)
	14:                       true, // DLT_RAW on BSD/OS
	layers.LinkTypeLoop:      true,
	layers.LinkTypeLinuxSLL:  true,
	layers.LinkTypeLinuxSLL2: true,
	layers.LinkTypeIPv4:      true,
	layers.LinkTypeIPv6:      true,
}

// Supported reports whether the engine can decode frames of link type lt.
func Supported(lt layers.LinkType) bool { return supported[lt] }

const (
	bufSize = 1 << 20 // reader buffer; larger records are copied into an owned buffer
	// maxRecord bounds a single record (pcap) or block (pcapng): anything
	// larger is treated as corruption rather than allocated.
	maxRecord = 16 << 20
)

// counter counts bytes read from the underlying file.
type counter struct {
	r io.Reader
	n atomic.Int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// input is the decompressed byte stream a record reader parses. It keeps
// its own buffer rather than a bufio.Reader: next hands out a slice of it
// with an inlined bounds check (two Peek/Discard calls per record header
// and body were a tenth of an ingest's reading), refilling only when a
// record crosses the end of what was read.
type input struct {
	name  string
	file  io.Closer // nil for OpenReader
	cnt   *counter
	gz    *gzip.Reader
	src   io.Reader // what fill reads: cnt, or the gzip stream
	buf   []byte
	r, w  int   // buf[r:w] is read and not yet consumed
	rerr  error // the error that ended src (sticky)
	total int64
	off   int64  // offset of the next unread byte in the decompressed stream
	big   []byte // owned buffer for records larger than buf
}

func (in *input) Progress() (int64, int64) { return in.cnt.n.Load(), in.total }

func (in *input) Close() error {
	if in.gz != nil {
		in.gz.Close()
	}
	if in.file == nil {
		return nil
	}
	return in.file.Close()
}

// next consumes and returns the next n bytes. The result is valid until the
// next call. It returns io.EOF when no byte is left and io.ErrUnexpectedEOF
// when fewer than n are (those are then left unconsumed); other errors are
// read or decompression failures.
func (in *input) next(n int) ([]byte, error) {
	if r := in.r; uint(n) <= uint(in.w-r) {
		in.r = r + n
		in.off += int64(n)
		return in.buf[r : r+n : r+n], nil
	}
	return in.nextSlow(n)
}

func (in *input) nextSlow(n int) ([]byte, error) {
	if n <= len(in.buf) {
		if err := in.fill(n); err != nil {
			return nil, err
		}
		return in.next(n)
	}
	// A record larger than the buffer: what is buffered, then the rest
	// straight from the source.
	if cap(in.big) < n {
		in.big = make([]byte, n)
	}
	b := in.big[:n]
	m := copy(b, in.buf[in.r:in.w])
	in.r, in.w = 0, 0
	var err error
	if m < n && in.rerr == nil {
		var k int
		k, err = io.ReadFull(in.src, b[m:])
		m += k
		if err == io.EOF && m > 0 {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			in.rerr = err
		}
	} else if m < n {
		err = in.rerr
	}
	in.off += int64(m)
	if m < n {
		return nil, shortErr(m, err)
	}
	return b, nil
}

// fill reads until at least n (<= len(buf)) bytes are buffered, moving the
// unconsumed bytes to the front first. When the source ends before, it
// returns the error next reports (shortErr) and consumes nothing.
func (in *input) fill(n int) error {
	if in.r > 0 && len(in.buf)-in.r < n {
		in.w = copy(in.buf, in.buf[in.r:in.w])
		in.r = 0
	}
	empty := 0
	for in.w-in.r < n {
		if in.rerr != nil {
			return shortErr(in.w-in.r, in.rerr)
		}
		k, err := in.src.Read(in.buf[in.w:])
		if k < 0 || k > len(in.buf)-in.w {
			err, k = io.ErrShortBuffer, 0
		}
		in.w += k
		if err != nil {
			in.rerr = err
		} else if k == 0 {
			if empty++; empty >= 100 {
				in.rerr = io.ErrNoProgress
			}
		}
	}
	return nil
}

func shortErr(have int, err error) error {
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		// Only a plain io.EOF at a record boundary is a clean end: a gzip
		// stream cut short says io.ErrUnexpectedEOF even when the bytes
		// it did inflate end exactly between two records.
		if have == 0 && err != io.ErrUnexpectedEOF {
			return io.EOF
		}
		return io.ErrUnexpectedEOF
	}
	return err
}

// Open opens a capture file, sniffing its format from the first bytes.
func Open(path string) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	rd, err := newReader(path, f, f, st.Size())
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// OpenReader reads a capture from r (standard input, a socket, a test
// buffer); name is used in errors and size (0 if unknown) in Progress.
// Closing the Reader does not close r.
func OpenReader(name string, r io.Reader, size int64) (Reader, error) {
	return newReader(name, r, nil, size)
}

func newReader(path string, r io.Reader, c io.Closer, size int64) (Reader, error) {
	in := &input{name: path, file: c, total: size, cnt: &counter{r: r}}
	n := bufSize
	if size > 0 && size < int64(n) {
		n = max(int(size), 4096) // a small file needs no megabyte buffer
	}
	in.buf = make([]byte, n)
	in.src = in.cnt
	err := in.fill(4)
	magic := in.buf[in.r:in.w]
	if len(magic) == 0 {
		in.Close()
		if in.rerr != nil && in.rerr != io.EOF {
			return nil, fmt.Errorf("%s: %w", path, in.rerr)
		}
		return nil, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	if isGzipMagic(magic) {
		// gzip reads the file through a bufio.Reader of its own (it wants
		// a ByteReader), starting with the bytes already read; the buffer
		// then holds decompressed bytes.
		head := append([]byte(nil), magic...)
		gz, err := gzip.NewReader(bufio.NewReaderSize(io.MultiReader(bytes.NewReader(head), in.cnt), n))
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("%s: gzip: %w", path, err)
		}
		in.gz, in.src = gz, gz
		if len(in.buf) < bufSize {
			in.buf = make([]byte, bufSize)
		}
		in.r, in.w, in.rerr = 0, 0, nil
		in.fill(4)
		magic = in.buf[in.r:in.w]
		err = in.rerr
		if len(magic) == 0 && (err == nil || err == io.EOF) {
			in.Close()
			return nil, fmt.Errorf("%s: %w (gzip holds no data)", path, ErrEmpty)
		}
		if len(magic) < 4 && err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			in.Close()
			return nil, fmt.Errorf("%s: gzip: %w", path, err)
		}
	}
	if len(magic) < 4 {
		in.Close()
		return nil, fmt.Errorf("%s: %w (only %d bytes)", path, ErrNotCapture, len(magic))
	}
	magic = magic[:4]
	var rd Reader
	switch {
	case isPcapMagic(magic):
		rd, err = newPcap(in)
	case isNgMagic(magic):
		rd, err = newNg(in)
	default:
		err = fmt.Errorf("%s: %w (magic % x%s)", path, ErrNotCapture, magic, compressedHint(magic))
	}
	if err != nil {
		in.Close()
		return nil, err
	}
	return rd, nil
}

func isPcapMagic(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	switch m {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1:
		return true
	}
	return false
}

func isNgMagic(b []byte) bool {
	return len(b) >= 4 && b[0] == 0x0a && b[1] == 0x0d && b[2] == 0x0d && b[3] == 0x0a
}

// compressedHint names compression formats we do not read, so the error
// says what to do.
func compressedHint(b []byte) string {
	switch {
	case len(b) >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd:
		return ": zstd-compressed, decompress it first (zstd -d)"
	case len(b) >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h':
		return ": bzip2-compressed, decompress it first (bunzip2)"
	case len(b) >= 4 && b[0] == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X':
		return ": xz-compressed, decompress it first (xz -d)"
	case len(b) >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4:
		return ": a zip archive, extract it first"
	}
	return ""
}

func isGzipMagic(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// looksLikeCapture reports whether the file starts with a pcap, pcapng or
// gzip magic number.
func looksLikeCapture(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var b [4]byte
	n, err := io.ReadFull(f, b[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return false, err
	}
	return isPcapMagic(b[:n]) || isNgMagic(b[:n]) || isGzipMagic(b[:n]), nil
}

// Expand turns command-line paths into capture files. A file named
// explicitly is kept as is (Open reports it if it is not a capture); a
// directory is walked recursively in lexical order, keeping the regular
// files whose first bytes are a pcap, pcapng or gzip magic number. Paths that
// cannot be read are reported in the returned error (errors.Join of one
// error per path); the files found are returned even then. Duplicates are
// dropped.
func Expand(paths []string) ([]string, error) {
	var out []string
	var errs []error
	seen := map[string]bool{}
	add := func(p string) {
		c := filepath.Clean(p)
		if !seen[c] {
			seen[c] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		var found []string
		werr := filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, err)
				if d != nil && d.IsDir() && q != p {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() {
				// Follow symlinks to regular files.
				if d.Type()&fs.ModeSymlink == 0 {
					return nil
				}
				st, err := os.Stat(q)
				if err != nil {
					errs = append(errs, err)
					return nil
				}
				if !st.Mode().IsRegular() {
					return nil
				}
			}
			ok, err := looksLikeCapture(q)
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			// A file named like a capture that is not one is kept, so that
			// Open reports it instead of it vanishing from the walk.
			if ok || namedLikeCapture(q) {
				found = append(found, q)
			}
			return nil
		})
		if werr != nil {
			errs = append(errs, werr)
		}
		sort.Strings(found)
		for _, q := range found {
			add(q)
		}
	}
	return out, errors.Join(errs...)
}

// namedLikeCapture reports a file name with a capture extension (.pcap,
// .pcapng, .cap; plain or .gz).
func namedLikeCapture(name string) bool {
	n := strings.ToLower(filepath.Base(name))
	n = strings.TrimSuffix(n, ".gz")
	for _, ext := range []string{".pcap", ".pcapng", ".cap"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}
