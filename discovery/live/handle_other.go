//go:build !linux

package live

import (
	"fmt"
	"runtime"
)

// Open is only implemented on Linux (AF_PACKET).
func Open(iface string, opt OpenOptions) (Handle, error) {
	return nil, fmt.Errorf("live: %s: live capture needs Linux AF_PACKET sockets; not supported on %s (capture with tcpdump/dumpcap and use otzone ingest)", iface, runtime.GOOS)
}
