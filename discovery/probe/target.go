package probe

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// MaxRangeAddrs is the largest number of addresses a CIDR target may expand to.
const MaxRangeAddrs = 256

// Target is one host to probe.
type Target struct {
	Host string // IP address or host name as given
	Port uint16
}

// Addr is host:port for dialing (IPv6 in brackets).
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(int(t.Port))) }

func (t Target) String() string { return t.Addr() }

// ParseTargets expands command-line targets: "host", "host:port",
// "[v6]:port", and, only with allowRange, an IPv4 or IPv6 CIDR ("10.0.0.0/28")
// of at most MaxRangeAddrs addresses (IPv4 network and broadcast addresses
// of prefixes shorter than /31 are skipped). Duplicates are dropped; the
// order of the arguments is kept.
func ParseTargets(args []string, defaultPort uint16, allowRange bool) ([]Target, error) {
	var out []Target
	seen := map[Target]bool{}
	add := func(t Target) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, a := range args {
		a = strings.TrimSpace(a)
		if a == "" {
			return nil, fmt.Errorf("empty target")
		}
		if strings.Contains(a, "/") {
			if !allowRange {
				return nil, fmt.Errorf("target %q is a range: pass --allow-range to probe up to %d addresses", a, MaxRangeAddrs)
			}
			ts, err := expandCIDR(a, defaultPort)
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				add(t)
			}
			continue
		}
		t, err := parseHostPort(a, defaultPort)
		if err != nil {
			return nil, err
		}
		add(t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no targets")
	}
	if allowRange && len(out) > MaxRangeAddrs {
		return nil, fmt.Errorf("%d targets: at most %d per run", len(out), MaxRangeAddrs)
	}
	return out, nil
}

func parseHostPort(a string, defaultPort uint16) (Target, error) {
	if ip, err := netip.ParseAddr(a); err == nil {
		return checkAddr(a, ip, defaultPort)
	}
	host, port := a, defaultPort
	if h, p, err := net.SplitHostPort(a); err == nil {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return Target{}, fmt.Errorf("target %q: bad port %q", a, p)
		}
		host, port = h, uint16(n)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return checkAddr(a, ip, port)
	}
	if !validHostname(host) {
		return Target{}, fmt.Errorf("target %q: not an IP address or host name", a)
	}
	return Target{Host: host, Port: port}, nil
}

func checkAddr(arg string, ip netip.Addr, port uint16) (Target, error) {
	ip = ip.Unmap()
	if ip.IsUnspecified() || ip.IsMulticast() || (ip.Is4() && ip == netip.AddrFrom4([4]byte{255, 255, 255, 255})) {
		return Target{}, fmt.Errorf("target %q: not a unicast address", arg)
	}
	return Target{Host: ip.String(), Port: port}, nil
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func expandCIDR(a string, port uint16) ([]Target, error) {
	if h, p, err := net.SplitHostPort(a); err == nil && strings.Contains(h, "/") {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("target %q: bad port %q", a, p)
		}
		a, port = h, uint16(n)
	}
	pfx, err := netip.ParsePrefix(a)
	if err != nil {
		return nil, fmt.Errorf("target %q: %v", a, err)
	}
	pfx = pfx.Masked()
	hostBits := pfx.Addr().BitLen() - pfx.Bits()
	if hostBits > 8 {
		return nil, fmt.Errorf("target %q: %d addresses, at most %d per range", a, uint64(1)<<min(hostBits, 63), MaxRangeAddrs)
	}
	n := 1 << hostBits
	var out []Target
	ip := pfx.Addr()
	for i := 0; i < n; i++ {
		skip := pfx.Addr().Is4() && hostBits >= 2 && (i == 0 || i == n-1)
		if !skip && !ip.IsMulticast() && !ip.IsUnspecified() {
			out = append(out, Target{Host: ip.String(), Port: port})
		}
		ip = ip.Next()
	}
	return out, nil
}
