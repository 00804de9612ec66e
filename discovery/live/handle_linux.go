//go:build linux

package live

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/otzone/otzone/discovery/live/filter"
)

// pollTimeout bounds how long a Read waits, so a stop request is seen.
const pollTimeout = 100 * time.Millisecond

// Open opens iface for receiving: an AF_PACKET socket with a TPACKET_V3
// ring (falling back on a plain AF_PACKET socket, pcapgo.EthernetHandle,
// when the kernel refuses the ring), promiscuous, with the filter attached
// in the kernel. Nothing is ever transmitted: the Handle has no write
// method and the ring is mapped for receiving only.
func Open(iface string, opt OpenOptions) (Handle, error) {
	opt.defaults()
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("live: %s: no such interface (see `ip link`)", iface)
	}
	if err := linkTypeOf(iface); err != nil {
		return nil, err
	}
	kprog, err := filter.Compile(opt.Filter, filter.Options{SnapLen: uint32(opt.SnapLen), VLANOffload: true})
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(kprog)
	if err != nil {
		return nil, fmt.Errorf("live: filter: %w", err)
	}
	// The same expression for frames as they are handed over (VLAN tag back
	// in place), run in user space only on frames that reached the socket
	// before the kernel filter was attached.
	uprog, err := filter.Compile(opt.Filter, filter.Options{SnapLen: uint32(opt.SnapLen)})
	if err != nil {
		return nil, err
	}
	vm, err := bpf.NewVM(uprog)
	if err != nil {
		return nil, fmt.Errorf("live: filter: %w", err)
	}
	h := &handle{name: iface, snap: opt.SnapLen, vm: vm, filtered: strings.TrimSpace(opt.Filter) != ""}
	if ifi.Flags&net.FlagUp == 0 {
		h.warnings = append(h.warnings, fmt.Sprintf("%s is down: nothing will be captured until it is up (ip link set %s up)", iface, iface))
	}

	// TPACKET_V3 retires a block when it is full or when the block timeout
	// passes with frames in it, so at low rates every block holds only a
	// timeout's worth of frames: blocks just big enough for one snap
	// length, many of them and a long timeout keep the ring deep at low
	// rates too (128 blocks x 100 ms = 12.8 s of traffic, or the whole
	// BufferSize when blocks fill).
	block := 1 << 16
	for block < opt.SnapLen+4096 {
		block <<= 1
	}
	nblocks := opt.BufferSize / block
	if nblocks < 2 {
		nblocks = 2
	}
	rg, err := openRing(ifi.Index, block, nblocks, 100*time.Millisecond, pollTimeout, raw)
	if err != nil {
		if perm := permissionError(iface, err); perm != nil {
			return nil, perm
		}
		// No TPACKET_V3 ring: a plain packet socket.
		eh, err2 := pcapgo.NewEthernetHandle(iface)
		if err2 != nil {
			if perm := permissionError(iface, err2); perm != nil {
				return nil, perm
			}
			return nil, fmt.Errorf("live: %s: TPACKET_V3 ring: %v; packet socket: %v", iface, err, err2)
		}
		h.warnings = append(h.warnings, fmt.Sprintf("%s: no TPACKET_V3 ring (%v); using a plain packet socket (slower, no freeze counter)", iface, err))
		if err := eh.SetCaptureLength(opt.SnapLen); err != nil {
			eh.Close()
			return nil, fmt.Errorf("live: %s: snap length: %w", iface, err)
		}
		if err := eh.SetBPF(raw); err != nil {
			eh.Close()
			return nil, fmt.Errorf("live: %s: attach filter: %w", iface, err)
		}
		h.attached = time.Now()
		if err := eh.SetPromiscuous(true); err != nil {
			eh.Close()
			return nil, fmt.Errorf("live: %s: promiscuous mode: %w", iface, err)
		}
		h.eth = eh
		return h, nil
	}
	if err := rg.setPromiscuous(ifi.Index); err != nil {
		rg.Close()
		return nil, fmt.Errorf("live: %s: promiscuous mode: %w", iface, err)
	}
	// The filter was attached before the socket was bound: every frame in
	// the ring passed it.
	h.filtered = false
	h.rg = rg
	return h, nil
}

// linkTypeOf accepts interfaces whose packet-socket frames are Ethernet.
func linkTypeOf(iface string) error {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/type")
	if err != nil {
		return nil // no sysfs: assume Ethernet, the filter and decoder will tell
	}
	t, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	switch t {
	case syscall.ARPHRD_ETHER, syscall.ARPHRD_LOOPBACK:
		return nil
	}
	return fmt.Errorf("live: %s: link type %d (ARPHRD) is not Ethernet; only Ethernet interfaces are supported", iface, t)
}

func permissionError(iface string, err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || strings.Contains(err.Error(), "operation not permitted") {
		return fmt.Errorf("live: %s: %w: capturing needs root or CAP_NET_RAW (sudo setcap cap_net_raw+ep $(command -v otzone))", iface, ErrPermission)
	}
	return nil
}

type handle struct {
	name     string
	snap     int
	rg       *ring
	eth      *pcapgo.EthernetHandle
	vm       *bpf.VM
	filtered bool
	attached time.Time
	warnings []string
	vlanBuf  []byte
	base     KernelStats // fallback: Stats are deltas, kept summed
}

func (h *handle) Name() string       { return h.name }
func (h *handle) Warnings() []string { return h.warnings }
func (h *handle) LinkType() layers.LinkType {
	return layers.LinkTypeEthernet
}

// Read returns the next frame; data is valid until the next Read.
func (h *handle) Read() ([]byte, gopacket.CaptureInfo, error) {
	for {
		data, ci, err := h.read()
		if err != nil {
			return nil, ci, err
		}
		if len(data) > h.snap {
			data = data[:h.snap]
			ci.CaptureLength = h.snap
		}
		// Frames queued between bind and filter attach bypassed the kernel
		// filter: check them here.
		if h.filtered {
			if !ci.Timestamp.After(h.attached) {
				if n, err := h.vm.Run(data); err != nil || n == 0 {
					continue
				}
			} else {
				h.filtered = false // every later frame went through the kernel filter
			}
		}
		return data, ci, nil
	}
}

func (h *handle) read() ([]byte, gopacket.CaptureInfo, error) {
	if h.rg != nil {
		data, ci, err := h.rg.Read()
		if err != nil && err != ErrTimeout {
			return nil, ci, fmt.Errorf("live: %s: %w", h.name, err)
		}
		return data, ci, err
	}
	data, ci, err := h.eth.ZeroCopyReadPacketData()
	if err != nil {
		if errors.Is(err, os.ErrClosed) {
			return nil, ci, ErrClosed
		}
		return nil, ci, fmt.Errorf("live: %s: %w", h.name, err)
	}
	if len(ci.AncillaryData) > 0 {
		if vid, ok := ci.AncillaryData[0].(int); ok && len(data) >= 12 {
			// The kernel took the tag out; put it back (VID only: the plain
			// socket's auxdata as pcapgo reads it has no priority bits).
			h.vlanBuf = append(h.vlanBuf[:0], data[:12]...)
			h.vlanBuf = append(h.vlanBuf, 0x81, 0x00, byte(vid>>8), byte(vid))
			h.vlanBuf = append(h.vlanBuf, data[12:]...)
			data = h.vlanBuf
			ci.CaptureLength += 4
			ci.Length += 4
		}
	}
	ci.AncillaryData = nil
	return data, ci, nil
}

// Stats returns the kernel's counters since Open.
func (h *handle) Stats() (KernelStats, error) {
	if h.rg != nil {
		return h.rg.Stats()
	}
	st, err := h.eth.Stats()
	if err != nil {
		return h.base, err
	}
	// PACKET_STATISTICS counts since the last call, and tp_packets
	// already includes the drops.
	h.base.Packets += uint64(st.Packets)
	h.base.Drops += uint64(st.Drops)
	return h.base, nil
}

func (h *handle) Close() error {
	if h.rg != nil {
		h.rg.Close()
		return nil
	}
	return h.eth.Close()
}
