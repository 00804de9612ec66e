package live

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// RotateOptions say where captured frames are written and when files
// rotate.
type RotateOptions struct {
	// Dir receives otzone-YYYYMMDDTHHMMSSZ-NNNN.pcapng files.
	Dir string
	// Size starts a new file when the current one reaches this many bytes
	// (0: no size limit).
	Size int64
	// Every starts a new file after this long (0: no time limit).
	Every time.Duration
	// MaxTotal deletes the oldest otzone-*.pcapng files of Dir (never the
	// one being written) while the files together exceed it (0: no cap).
	MaxTotal int64
}

type pcapIface struct {
	Name     string
	LinkType layers.LinkType
	SnapLen  int
	Filter   string
}

type countingFile struct {
	f *os.File
	n int64
}

func (c *countingFile) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	c.n += int64(n)
	return n, err
}

type keptFile struct {
	path string
	size int64
}

// rotator writes pcapng files with every interface in each file's header.
type rotator struct {
	opt    RotateOptions
	ifs    []pcapIface
	now    func() time.Time
	cur    *countingFile
	w      *pcapgo.NgWriter
	path   string
	opened time.Time
	seq    int
	files  int
	kept   []keptFile // closed files of Dir, oldest first
	size   int64      // bytes of the current file, buffered ones included
	header int64      // of which section and interface headers
}

const pcapPrefix = "otzone-"

func newRotator(opt RotateOptions, ifs []pcapIface, now func() time.Time) (*rotator, error) {
	if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("live: --write-pcap %s: %w", opt.Dir, err)
	}
	r := &rotator{opt: opt, ifs: ifs, now: now}
	// Files of earlier runs count towards the cap and go first.
	ents, err := os.ReadDir(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("live: --write-pcap %s: %w", opt.Dir, err)
	}
	for _, e := range ents {
		if e.Type().IsRegular() && isOurs(e.Name()) {
			if info, err := e.Info(); err == nil {
				r.kept = append(r.kept, keptFile{filepath.Join(opt.Dir, e.Name()), info.Size()})
			}
		}
	}
	sort.Slice(r.kept, func(i, j int) bool { return r.kept[i].path < r.kept[j].path })
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func isOurs(name string) bool {
	return strings.HasPrefix(name, pcapPrefix) && strings.HasSuffix(name, ".pcapng")
}

func (r *rotator) open() error {
	r.opened = r.now()
	r.seq++
	name := fmt.Sprintf("%s%s-%04d.pcapng", pcapPrefix, r.opened.UTC().Format("20060102T150405Z"), r.seq)
	path := filepath.Join(r.opt.Dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("live: write pcap: %w", err)
	}
	cf := &countingFile{f: f}
	ngIf := func(p pcapIface) pcapgo.NgInterface {
		return pcapgo.NgInterface{Name: p.Name, LinkType: p.LinkType, SnapLength: uint32(p.SnapLen), Filter: p.Filter,
			OS: runtime.GOOS, TimestampResolution: 9}
	}
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Hardware: runtime.GOARCH, OS: runtime.GOOS, Application: "otzone capture"}}
	w, err := pcapgo.NewNgWriterInterface(cf, ngIf(r.ifs[0]), opts)
	if err == nil {
		for _, p := range r.ifs[1:] {
			if _, err = w.AddInterface(ngIf(p)); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("live: write pcap %s: %w", path, err)
	}
	r.cur, r.w, r.path = cf, w, path
	r.size, r.header = cf.n, cf.n
	r.files++
	return r.enforceCap()
}

// write appends one frame of interface iface, rotating first when due.
func (r *rotator) write(iface int, ci gopacket.CaptureInfo, data []byte) error {
	if r.opt.Size > 0 && r.size+int64(len(data)) > r.opt.Size && r.hasFrames() {
		if err := r.rotate(); err != nil {
			return err
		}
	}
	ci.InterfaceIndex = iface
	ci.CaptureLength = len(data)
	if ci.Length < len(data) {
		ci.Length = len(data)
	}
	if err := r.w.WritePacket(ci, data); err != nil {
		return fmt.Errorf("live: write pcap %s: %w", r.path, err)
	}
	r.size += 32 + int64((len(data)+3)&^3) // enhanced packet block, no options
	return nil
}

// hasFrames: the current file holds more than its headers (a frame larger
// than Size still gets a file of its own rather than endless rotation).
func (r *rotator) hasFrames() bool {
	return r.size > r.header
}

// tick rotates on time and enforces the cap as the current file grows.
func (r *rotator) tick() error {
	if err := r.w.Flush(); err != nil {
		return fmt.Errorf("live: write pcap %s: %w", r.path, err)
	}
	if r.opt.Every > 0 && r.now().Sub(r.opened) >= r.opt.Every && r.hasFrames() {
		return r.rotate()
	}
	return r.enforceCap()
}

func (r *rotator) finish() error {
	err := r.w.Flush()
	if err2 := r.cur.f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		return fmt.Errorf("live: write pcap %s: %w", r.path, err)
	}
	return nil
}

func (r *rotator) rotate() error {
	if err := r.finish(); err != nil {
		return err
	}
	r.kept = append(r.kept, keptFile{r.path, r.size})
	return r.open()
}

func (r *rotator) total() int64 {
	var t int64
	for _, k := range r.kept {
		t += k.size
	}
	if r.cur != nil {
		t += r.size
	}
	return t
}

func (r *rotator) enforceCap() error {
	if r.opt.MaxTotal <= 0 {
		return nil
	}
	var errs []error
	for len(r.kept) > 0 && r.total() > r.opt.MaxTotal {
		k := r.kept[0]
		r.kept = r.kept[1:]
		if err := os.Remove(k.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *rotator) close() error {
	if err := r.finish(); err != nil {
		return err
	}
	r.kept = append(r.kept, keptFile{r.path, r.size})
	r.cur = nil
	return r.enforceCap()
}

// abandon closes the current file after a write error.
func (r *rotator) abandon() {
	r.w.Flush()
	r.cur.f.Close()
}
