//go:build linux

package live

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/gopacket/gopacket"
)

// ring is a receive-only AF_PACKET socket with a TPACKET_V3 ring, read a
// block at a time: Read hands out the frames of the block it holds with no
// lock, no copy and no allocation (a VLAN tag the kernel took out is put
// back in a buffer of the ring's own), and gives the block back to the
// kernel when it moves to the next.
//
// The socket is opened with protocol 0 (it receives nothing), the ring and
// the filter are set up, and only then is it bound to the interface with
// ETH_P_ALL: no frame of another interface, and none the filter would
// reject, ever enters the ring.
type ring struct {
	fd        int
	mem       []byte
	blockSize int
	nblocks   int
	pollMS    int

	cur  int    // index of the block to read next or being read
	blk  []byte // the block being read (owned by user space), or nil
	left uint32 // frames left in blk
	off  int    // offset in blk of the next frame's header

	vlanBuf []byte

	mu    sync.Mutex // Stats may run beside Read
	stats KernelStats
}

const (
	// tpacket_block_desc: version, offset_to_priv, then tpacket_hdr_v1
	// whose first word is block_status.
	blockStatusOff = 8
	tp3HdrLen      = int(unsafe.Sizeof(unix.Tpacket3Hdr{}))
)

func openRing(ifindex int, blockSize, nblocks int, blockTimeout, pollTimeout time.Duration, filter []bpf.RawInstruction) (*ring, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("packet socket: %w", err)
	}
	r := &ring{fd: fd, blockSize: blockSize, nblocks: nblocks, pollMS: int(pollTimeout / time.Millisecond)}
	fail := func(what string, err error) (*ring, error) {
		r.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fail("TPACKET_V3", err)
	}
	const frameSize = 4096 // V3 packs frames; the ring still wants a frame count
	req := unix.TpacketReq3{
		Block_size:     uint32(blockSize),
		Block_nr:       uint32(nblocks),
		Frame_size:     frameSize,
		Frame_nr:       uint32(blockSize / frameSize * nblocks),
		Retire_blk_tov: uint32(blockTimeout / time.Millisecond),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fail("PACKET_RX_RING", err)
	}
	r.mem, err = unix.Mmap(fd, 0, blockSize*nblocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		r.mem = nil
		return fail("mmap", err)
	}
	if len(filter) > 0 {
		if len(filter) > 0xffff {
			return fail("attach filter", errors.New("filter too large"))
		}
		prog := unix.SockFprog{Len: uint16(len(filter)), Filter: (*unix.SockFilter)(unsafe.Pointer(&filter[0]))}
		if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
			return fail("attach filter", err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}); err != nil {
		return fail("bind", err)
	}
	return r, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (r *ring) setPromiscuous(ifindex int) error {
	mreq := unix.PacketMreq{Ifindex: int32(ifindex), Type: unix.PACKET_MR_PROMISC}
	return unix.SetsockoptPacketMreq(r.fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq)
}

func (r *ring) blockStatus(b int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[b*r.blockSize+blockStatusOff]))
}

// Read returns the next frame, valid until the next Read, or ErrTimeout
// when none arrived within the poll timeout.
func (r *ring) Read() ([]byte, gopacket.CaptureInfo, error) {
	for r.left == 0 {
		if r.blk != nil {
			// Done with this block: the kernel may fill it again.
			atomic.StoreUint32(r.blockStatus(r.cur), unix.TP_STATUS_KERNEL)
			r.blk = nil
			if r.cur++; r.cur == r.nblocks {
				r.cur = 0
			}
		}
		if atomic.LoadUint32(r.blockStatus(r.cur))&unix.TP_STATUS_USER == 0 {
			pfd := [1]unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN | unix.POLLERR}}
			n, err := unix.Poll(pfd[:], r.pollMS)
			switch {
			case errors.Is(err, unix.EINTR):
				continue
			case err != nil:
				return nil, gopacket.CaptureInfo{}, fmt.Errorf("poll: %w", err)
			case n == 0:
				return nil, gopacket.CaptureInfo{}, ErrTimeout
			}
			continue
		}
		r.blk = r.mem[r.cur*r.blockSize : (r.cur+1)*r.blockSize]
		hdr := (*unix.TpacketHdrV1)(unsafe.Pointer(&r.blk[blockStatusOff]))
		r.left, r.off = hdr.Num_pkts, int(hdr.Offset_to_first_pkt)
	}
	if r.off < 0 || r.off+tp3HdrLen > r.blockSize {
		r.left = 0 // a header the kernel never writes: skip the block
		return nil, gopacket.CaptureInfo{}, ErrTimeout
	}
	ph := (*unix.Tpacket3Hdr)(unsafe.Pointer(&r.blk[r.off]))
	start, end := r.off+int(ph.Mac), r.off+int(ph.Mac)+int(ph.Snaplen)
	if end > r.blockSize || start > end {
		r.left = 0
		return nil, gopacket.CaptureInfo{}, ErrTimeout
	}
	data := r.blk[start:end:end]
	ci := gopacket.CaptureInfo{
		Timestamp:     time.Unix(int64(ph.Sec), int64(ph.Nsec)),
		CaptureLength: len(data),
		Length:        int(ph.Len),
	}
	if ph.Status&unix.TP_STATUS_VLAN_VALID != 0 && len(data) >= 12 {
		// The kernel took the outer tag out; put it back.
		tpid := uint16(unix.ETH_P_8021Q)
		if ph.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 && ph.Hv1.Vlan_tpid != 0 {
			tpid = ph.Hv1.Vlan_tpid
		}
		tci := uint16(ph.Hv1.Vlan_tci)
		r.vlanBuf = append(r.vlanBuf[:0], data[:12]...)
		r.vlanBuf = append(r.vlanBuf, byte(tpid>>8), byte(tpid), byte(tci>>8), byte(tci))
		r.vlanBuf = append(r.vlanBuf, data[12:]...)
		data = r.vlanBuf
		ci.CaptureLength += 4
		ci.Length += 4
	}
	if r.left--; r.left > 0 {
		if ph.Next_offset == 0 {
			r.left = 0
		}
		r.off += int(ph.Next_offset)
	}
	return data, ci, nil
}

// Stats returns the kernel's counters since the ring was opened (the
// socket option reads and resets them, so they are summed here).
func (r *ring) Stats() (KernelStats, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fd < 0 {
		return r.stats, ErrClosed
	}
	s, err := unix.GetsockoptTpacketStatsV3(r.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return r.stats, err
	}
	// tp_packets already counts the dropped frames.
	r.stats.Packets += uint64(s.Packets)
	r.stats.Drops += uint64(s.Drops)
	r.stats.Freezes += uint64(s.Freeze_q_cnt)
	return r.stats, nil
}

// Close releases the ring; it must not run beside Read.
func (r *ring) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mem != nil {
		unix.Munmap(r.mem)
		r.mem = nil
	}
	if r.fd >= 0 {
		unix.Close(r.fd)
		r.fd = -1
	}
}
