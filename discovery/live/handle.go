package live

import (
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Handle is one interface opened for receiving. It has no way to transmit.
// One goroutine reads it; Stats may be called from the same goroutine.
type Handle interface {
	Name() string
	LinkType() layers.LinkType
	// Read returns the next frame, valid until the next Read, or
	// ErrTimeout when nothing arrived for a short while (about 100 ms), or
	// ErrClosed.
	Read() ([]byte, gopacket.CaptureInfo, error)
	// Stats are the kernel's counters since Open.
	Stats() (KernelStats, error)
	// Warnings are things the user should know (interface down, fallback
	// socket), said once at the start.
	Warnings() []string
	Close() error
}

// KernelStats are a socket's PACKET_STATISTICS, summed since Open. Packets
// counts every frame that passed the filter, including the dropped ones.
type KernelStats struct {
	Packets uint64
	Drops   uint64 // the ring was full
	Freezes uint64 // TPACKET_V3 queue freezes
}

// OpenOptions tune Open.
type OpenOptions struct {
	// Filter is a tcpdump expression (see package filter); empty keeps all.
	Filter string
	// SnapLen truncates frames (default and maximum 262144).
	SnapLen int
	// BufferSize is the kernel ring's size per interface (default 64 MiB).
	BufferSize int
}

// Defaults.
const (
	DefaultSnapLen    = 262144
	DefaultBufferSize = 64 << 20
)

func (o *OpenOptions) defaults() {
	if o.SnapLen <= 0 || o.SnapLen > DefaultSnapLen {
		o.SnapLen = DefaultSnapLen
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
}

var (
	// ErrTimeout: no frame within the poll interval.
	ErrTimeout = errors.New("live: timeout")
	// ErrClosed: the handle was closed.
	ErrClosed = errors.New("live: closed")
	// ErrPermission: the process may not open packet sockets.
	ErrPermission = errors.New("permission denied")
)
