//go:build linux

package main

import (
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SinkOptions tune Sink.
type SinkOptions struct {
	// RingBytes is the TPACKET_V3 ring's size (default 64 MiB, as otzone
	// capture uses).
	RingBytes int
	// Count stops after this many frames (0: no limit).
	Count uint64
	// Idle stops when nothing arrived for this long after the first frame
	// (default 2 s).
	Idle time.Duration
	// Ready, when set, is called once the socket is bound.
	Ready func()
	// Stop, when closed, ends the sink.
	Stop <-chan struct{}
}

// SinkResult is what Sink saw.
type SinkResult struct {
	Packets, Bytes uint64
	// Span is from the first to the last frame's kernel timestamp.
	Span                              time.Duration
	KernelPackets, KernelDrops, Freez uint64
	User, Sys                         time.Duration
}

// Sink is the cheapest possible reader: a TPACKET_V3 ring whose blocks are
// counted and handed back without looking at the frames beyond their
// headers. It measures what the kernel can deliver into a ring, so a run
// with it separates the sender's and kernel's limit from otzone's.
func Sink(iface string, opt SinkOptions) (res SinkResult, err error) {
	if opt.RingBytes <= 0 {
		opt.RingBytes = 64 << 20
	}
	if opt.Idle <= 0 {
		opt.Idle = 2 * time.Second
	}
	ifi, err := ifIndex(iface)
	if err != nil {
		return res, err
	}
	proto := htons(unix.ETH_P_ALL)
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return res, fmt.Errorf("sink: packet socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return res, fmt.Errorf("sink: TPACKET_V3: %w", err)
	}
	const blockSize = 1 << 20
	blocks := opt.RingBytes / blockSize
	if blocks < 2 {
		blocks = 2
	}
	req := unix.TpacketReq3{Block_size: blockSize, Block_nr: uint32(blocks), Frame_size: 2048,
		Frame_nr: uint32(blocks * (blockSize / 2048)), Retire_blk_tov: 10}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return res, fmt.Errorf("sink: PACKET_RX_RING: %w", err)
	}
	ring, err := unix.Mmap(fd, 0, blockSize*blocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return res, fmt.Errorf("sink: mmap: %w", err)
	}
	defer unix.Munmap(ring)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi}); err != nil {
		return res, fmt.Errorf("sink: bind %s: %w", iface, err)
	}
	// Zero the counters: what arrived before this point is not counted.
	unix.GetsockoptTpacketStatsV3(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if opt.Ready != nil {
		opt.Ready()
	}
	var ru0 unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru0)
	var first, last time.Time
	lastSeen := time.Now()
	b := 0
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLERR}}
loop:
	for opt.Count == 0 || res.Packets < opt.Count {
		blk := ring[b*blockSize : (b+1)*blockSize]
		st := (*uint32)(unsafe.Pointer(&blk[8])) // tpacket_hdr_v1.block_status
		for atomic.LoadUint32(st)&unix.TP_STATUS_USER == 0 {
			select {
			case <-opt.Stop:
				break loop
			default:
			}
			if res.Packets > 0 && time.Since(lastSeen) > opt.Idle {
				break loop
			}
			if _, err := unix.Poll(pfd, 100); err != nil && err != unix.EINTR {
				return res, fmt.Errorf("sink: poll: %w", err)
			}
		}
		hdr := (*unix.TpacketHdrV1)(unsafe.Pointer(&blk[8]))
		off := int(hdr.Offset_to_first_pkt)
		for i := uint32(0); i < hdr.Num_pkts && off+int(unsafe.Sizeof(unix.Tpacket3Hdr{})) <= blockSize; i++ {
			ph := (*unix.Tpacket3Hdr)(unsafe.Pointer(&blk[off]))
			res.Packets++
			res.Bytes += uint64(ph.Len)
			t := time.Unix(int64(ph.Sec), int64(ph.Nsec))
			if first.IsZero() {
				first = t
			}
			last = t
			if ph.Next_offset == 0 {
				break
			}
			off += int(ph.Next_offset)
		}
		lastSeen = time.Now()
		atomic.StoreUint32(st, unix.TP_STATUS_KERNEL)
		if b++; b == blocks {
			b = 0
		}
	}
	res.Span = last.Sub(first)
	if s, err := unix.GetsockoptTpacketStatsV3(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
		res.KernelPackets, res.KernelDrops, res.Freez = uint64(s.Packets), uint64(s.Drops), uint64(s.Freeze_q_cnt)
	}
	var ru1 unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru1)
	res.User = time.Duration(unix.TimevalToNsec(ru1.Utime) - unix.TimevalToNsec(ru0.Utime))
	res.Sys = time.Duration(unix.TimevalToNsec(ru1.Stime) - unix.TimevalToNsec(ru0.Stime))
	return res, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
