//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SendOptions tune Send.
type SendOptions struct {
	// Rate is the target in packets per second; 0 sends flat out.
	Rate float64
	// Count is how many frames to send, going round the loaded frames
	// again when it is larger than their number (0: each frame once).
	Count int
	// Batch is the most frames queued per send call (default 256).
	Batch int
	// RingFrames is the TX ring's number of slots (default 8192).
	RingFrames int
	// Mmsg sends with sendmmsg(2) from the loaded frames instead of the
	// TX ring.
	Mmsg bool
	// Threads sends from this many threads, each with its own socket
	// and its share of the frames: frames go to a thread by their pair of
	// hosts (IP addresses, else MAC addresses, either direction), so each
	// conversation stays in order; only the interleaving between
	// conversations changes (default 1: the file's order).
	Threads int
}

// SendResult is what Send did.
type SendResult struct {
	Sent    uint64 // frames the kernel took off the ring
	Bytes   uint64 // their length
	Elapsed time.Duration
	// Dropped counts frames the kernel consumed but reported dropped
	// (ENOBUFS from the send call, e.g. a full veth backlog); the
	// interface's tx_dropped counter has the exact number.
	DropCalls uint64
	Calls     uint64 // send system calls
	// CPU is the sender's user and system time (including the kernel's
	// receive path when it runs in the sender's context, as on a veth).
	User, Sys time.Duration
	// TxPackets and TxDropped are the interface's counters over the run
	// (CountersOK when sysfs had them).
	TxPackets, TxDropped uint64
	CountersOK           bool
}

// PPS is the achieved rate in packets per second.
func (r SendResult) PPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sent) / r.Elapsed.Seconds()
}

// Mbps is the achieved rate in Mbit/s of frame bytes (as tcpreplay counts:
// no preamble, inter-frame gap or FCS).
func (r SendResult) Mbps() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Bytes) * 8 / r.Elapsed.Seconds() / 1e6
}

// tpacket2_hdr is 32 bytes; in a TX ring frame the data starts right
// after it (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll)).
const (
	tp2HdrLen  = 32
	tp2DataOff = 32
)

// CheckTestInterface refuses to transmit anywhere but a veth interface in
// a network namespace other than the initial one, so a mistyped name can
// never put traffic on a real network.
func CheckTestInterface(iface string) error {
	var self unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &self); err != nil {
		return fmt.Errorf("blast: cannot tell the network namespace (%v): refusing to transmit", err)
	}
	var init unix.Stat_t
	if err := unix.Stat("/proc/1/ns/net", &init); err == nil && init.Dev == self.Dev && init.Ino == self.Ino {
		return fmt.Errorf("blast: %s is in the initial network namespace: blast only transmits on a veth inside a namespace of its own (ip netns exec NS blast ...)", iface)
	}
	// The namespace must be one made by `ip netns add` (the initial one
	// cannot always be inspected, e.g. in a container).
	named := false
	if ents, err := os.ReadDir("/run/netns"); err == nil {
		for _, e := range ents {
			var st unix.Stat_t
			if unix.Stat("/run/netns/"+e.Name(), &st) == nil && st.Dev == self.Dev && st.Ino == self.Ino {
				named = true
				break
			}
		}
	}
	if !named {
		return fmt.Errorf("blast: not inside a namespace made by `ip netns add`: blast only transmits on a veth inside a namespace of its own (ip netns exec NS blast ...)")
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("blast: %w", err)
	}
	defer unix.Close(fd)
	info, err := unix.IoctlGetEthtoolDrvinfo(fd, iface)
	if err != nil {
		return fmt.Errorf("blast: %s: driver: %w", iface, err)
	}
	if drv := unix.ByteSliceToString(info.Driver[:]); drv != "veth" {
		return fmt.Errorf("blast: %s: driver %q: blast only transmits on veth interfaces", iface, drv)
	}
	return nil
}

// Counters reads an interface's statistics from sysfs (the namespace's
// own /sys under ip netns exec).
func Counters(iface string, names ...string) (map[string]uint64, error) {
	m := make(map[string]uint64, len(names))
	for _, n := range names {
		b, err := os.ReadFile("/sys/class/net/" + iface + "/statistics/" + n)
		if err != nil {
			return nil, err
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", iface, n, err)
		}
		m[n] = v
	}
	return m, nil
}

func mtuOf(iface string) (int, error) {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/mtu")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// Send transmits the frames on iface through an AF_PACKET socket with
// PACKET_QDISC_BYPASS (straight to the driver: no qdisc, and the frames are
// not looped back to other packet sockets on the sending side). By default
// frames are copied into the slots of a PACKET_TX_RING (TPACKET_V2) and one
// send call hands a batch to the driver; with Mmsg one sendmmsg call sends
// a batch from the loaded frames. With a Rate, batches are released on a
// schedule (start + i/Rate for frame i), so the rate holds on average and
// bursts stay below about 100 µs of traffic.
func Send(iface string, fr *Frames, opt SendOptions) (res SendResult, err error) {
	if err := CheckTestInterface(iface); err != nil {
		return res, err
	}
	if opt.Batch <= 0 {
		opt.Batch = 256
	}
	if opt.RingFrames <= 0 {
		opt.RingFrames = 8192
	}
	total := opt.Count
	if total <= 0 {
		total = fr.Len()
	}
	mtu, err := mtuOf(iface)
	if err != nil {
		return res, fmt.Errorf("blast: %s: %w", iface, err)
	}
	// The kernel takes MTU + Ethernet header (+ one VLAN tag): check every
	// frame first so none is rejected half way.
	for i := 0; i < fr.Len(); i++ {
		d := fr.At(i)
		lim := mtu + 14
		if len(d) >= 14 && (d[12] == 0x81 && d[13] == 0x00 || d[12] == 0x88 && d[13] == 0xa8) {
			lim += 4
		}
		if len(d) < 14 || len(d) > lim {
			return res, fmt.Errorf("blast: frame %d: %d bytes does not fit %s (MTU %d)", i+1, len(d), iface, mtu)
		}
	}
	ifi, err := ifIndex(iface)
	if err != nil {
		return res, err
	}

	threads := opt.Threads
	if threads < 1 {
		threads = 1
	}
	parts := []*Frames{fr}
	if threads > 1 {
		parts = splitByHosts(fr, threads)
	}
	type part struct {
		fr    *Frames
		count int
		rate  float64
		r     SendResult
		err   error
	}
	ps := make([]*part, 0, len(parts))
	for _, f := range parts {
		if f.Len() > 0 { // a part may get no host pair at all
			ps = append(ps, &part{fr: f})
		}
	}
	// Each thread sends its share of the count and of the rate; the last
	// one takes what rounding left.
	left := total
	for k, p := range ps {
		p.count = int(float64(total) * float64(p.fr.Len()) / float64(fr.Len()))
		if k == len(ps)-1 {
			p.count = left
		}
		left -= p.count
		p.rate = opt.Rate * float64(p.fr.Len()) / float64(fr.Len())
	}
	before, _ := Counters(iface, "tx_packets", "tx_dropped")
	var ru0 unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru0)
	start := time.Now()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func(p *part) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			p.err = sendLoop(ifi, p.fr, opt, p.count, p.rate, start, &p.r)
		}(p)
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	for _, p := range ps {
		if p.err != nil && err == nil {
			err = p.err
		}
		res.Sent += p.r.Sent
		res.Bytes += p.r.Bytes
		res.Calls += p.r.Calls
		res.DropCalls += p.r.DropCalls
	}
	var ru1 unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru1)
	res.User = time.Duration(unix.TimevalToNsec(ru1.Utime) - unix.TimevalToNsec(ru0.Utime))
	res.Sys = time.Duration(unix.TimevalToNsec(ru1.Stime) - unix.TimevalToNsec(ru0.Stime))
	if after, err := Counters(iface, "tx_packets", "tx_dropped"); err == nil && before != nil {
		res.TxPackets, res.TxDropped = after["tx_packets"]-before["tx_packets"], after["tx_dropped"]-before["tx_dropped"]
		res.CountersOK = true
	}
	return res, err
}

// sendLoop sends total frames of fr (going round) on its own socket, at
// rate packets/s from start (0: flat out), adding to res.
func sendLoop(ifi int, fr *Frames, opt SendOptions, total int, rate float64, start time.Time, res *SendResult) error {
	// Protocol 0: the socket receives nothing.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("blast: packet socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1); err != nil {
		return fmt.Errorf("blast: PACKET_QDISC_BYPASS: %w", err)
	}
	var tx transmitter
	if opt.Mmsg {
		tx = newMmsgTx(fd, fr, opt.Batch)
	} else {
		r, err := newRingTx(fd, fr, opt.RingFrames)
		if err != nil {
			return err
		}
		defer r.close()
		tx = r
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi}); err != nil {
		return fmt.Errorf("blast: bind: %w", err)
	}
	var period time.Duration
	if rate > 0 {
		period = time.Duration(float64(time.Second) / rate)
	}
	src := 0 // next frame of fr
	sent := 0
	for sent < total {
		n := opt.Batch
		if rate > 0 {
			due := int(float64(time.Since(start))/float64(time.Second)*rate) + 1
			if due > total {
				due = total
			}
			if due <= sent {
				// Ahead of schedule: sleep until the next frame is due,
				// at least 50 µs so batches do not shrink to one frame.
				wait := time.Until(start.Add(time.Duration(sent) * period))
				if wait < 50*time.Microsecond {
					wait = 50 * time.Microsecond
				}
				time.Sleep(wait)
				continue
			}
			if due-sent < n {
				n = due - sent
			}
		}
		if total-sent < n {
			n = total - sent
		}
		if src+n > fr.Len() {
			n = fr.Len() - src // batches do not wrap round the frames
		}
		k, err := tx.send(src, n, res)
		if err != nil {
			return err
		}
		res.Calls++
		for i := src; i < src+k; i++ {
			res.Bytes += uint64(fr.off[i+1] - fr.off[i])
		}
		res.Sent += uint64(k)
		sent += k
		if src += k; src == fr.Len() {
			src = 0
		}
	}
	return tx.flush(res)
}

// A transmitter hands frames [src, src+n) of the loaded ones to the kernel
// and says how many it took (at least one unless it fails).
type transmitter interface {
	send(src, n int, res *SendResult) (int, error)
	flush(res *SendResult) error // wait until every frame has left
}

// ringTx copies frames into a TPACKET_V2 TX ring.
type ringTx struct {
	fd        int
	fr        *Frames
	ring      []byte
	frameSize int
	nslots    int
	slot      int
}

func newRingTx(fd int, fr *Frames, slots int) (*ringTx, error) {
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2); err != nil {
		return nil, fmt.Errorf("blast: TPACKET_V2: %w", err)
	}
	frameSize := 128
	for frameSize < fr.Max()+tp2DataOff {
		frameSize <<= 1
	}
	blockSize := 1 << 20
	if blockSize < frameSize {
		blockSize = frameSize
	}
	perBlock := blockSize / frameSize
	blocks := (slots + perBlock - 1) / perBlock
	nslots := blocks * perBlock
	req := unix.TpacketReq{Block_size: uint32(blockSize), Block_nr: uint32(blocks), Frame_size: uint32(frameSize), Frame_nr: uint32(nslots)}
	if err := unix.SetsockoptTpacketReq(fd, unix.SOL_PACKET, unix.PACKET_TX_RING, &req); err != nil {
		return nil, fmt.Errorf("blast: PACKET_TX_RING: %w", err)
	}
	ring, err := unix.Mmap(fd, 0, blockSize*blocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("blast: mmap: %w", err)
	}
	return &ringTx{fd: fd, fr: fr, ring: ring, frameSize: frameSize, nslots: nslots}, nil
}

func (r *ringTx) close() { unix.Munmap(r.ring) }

func (r *ringTx) status(slot int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.ring[slot*r.frameSize]))
}

const busy = unix.TP_STATUS_SEND_REQUEST | unix.TP_STATUS_SENDING

func (r *ringTx) send(src, n int, res *SendResult) (int, error) {
	for {
		q := 0
		for q < n {
			st := r.status(r.slot)
			if s := atomic.LoadUint32(st); s&busy != 0 {
				break // the ring is full: send what is queued
			} else if s == unix.TP_STATUS_WRONG_FORMAT {
				return 0, fmt.Errorf("blast: the kernel rejected a frame (TP_STATUS_WRONG_FORMAT)")
			}
			d := r.fr.At(src + q)
			h := r.ring[r.slot*r.frameSize : (r.slot+1)*r.frameSize]
			copy(h[tp2DataOff:], d)
			*(*uint32)(unsafe.Pointer(&h[4])) = uint32(len(d)) // tp_len
			atomic.StoreUint32(st, unix.TP_STATUS_SEND_REQUEST)
			if r.slot++; r.slot == r.nslots {
				r.slot = 0
			}
			q++
		}
		// A blocking send returns once every queued frame is handed over
		// and its buffer released.
		if err := r.kick(res); err != nil {
			return q, err
		}
		if q > 0 {
			return q, nil
		}
	}
}

func (r *ringTx) kick(res *SendResult) error {
	for {
		err := unix.Sendto(r.fd, nil, 0, nil)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOBUFS):
			// A frame was consumed and dropped (the interface counts
			// it); keep going.
			res.DropCalls++
			return nil
		}
		return fmt.Errorf("blast: send: %w", err)
	}
}

func (r *ringTx) flush(res *SendResult) error {
	for i := 0; i < r.nslots; i++ {
		for atomic.LoadUint32(r.status(i))&busy != 0 {
			if err := r.kick(res); err != nil {
				return err
			}
		}
		if atomic.LoadUint32(r.status(i)) == unix.TP_STATUS_WRONG_FORMAT {
			return fmt.Errorf("blast: the kernel rejected a frame (TP_STATUS_WRONG_FORMAT)")
		}
	}
	return nil
}

// mmsgTx sends straight from the loaded frames with sendmmsg(2).
type mmsgTx struct {
	fd   int
	fr   *Frames
	msgs []unix.Mmsghdr
	iovs []unix.Iovec
}

func newMmsgTx(fd int, fr *Frames, batch int) *mmsgTx {
	t := &mmsgTx{fd: fd, fr: fr, msgs: make([]unix.Mmsghdr, batch), iovs: make([]unix.Iovec, batch)}
	for i := range t.msgs {
		t.msgs[i].Hdr.Iov = &t.iovs[i]
		t.msgs[i].Hdr.Iovlen = 1
	}
	return t
}

func (t *mmsgTx) send(src, n int, res *SendResult) (int, error) {
	for i := 0; i < n; i++ {
		d := t.fr.At(src + i)
		t.iovs[i].Base = &d[0]
		t.iovs[i].SetLen(len(d))
	}
	for {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(t.fd), uintptr(unsafe.Pointer(&t.msgs[0])), uintptr(n), 0, 0, 0)
		switch {
		case e == 0:
			return int(r), nil
		case e == unix.EINTR:
			continue
		case e == unix.ENOBUFS:
			// The first frame was dropped (the interface counts it).
			res.DropCalls++
			return 1, nil
		}
		return 0, fmt.Errorf("blast: sendmmsg: %w", e)
	}
}

func (t *mmsgTx) flush(*SendResult) error { return nil }

func ifIndex(iface string) (int, error) {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/ifindex")
	if err != nil {
		return 0, fmt.Errorf("blast: %s: no such interface", iface)
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
