package inventory

import (
	"net/netip"
	"strings"
)

// discoveryProtocols are protocols whose datagrams are sent to a subnet's
// broadcast address to find devices or announce one (BACnet Who-Is/I-Am,
// NetBIOS name queries, DHCP, EtherNet/IP ListIdentity, KNXnet/IP search,
// the ADS discovery on UDP 48899).
var discoveryProtocols = map[string]bool{
	"bacnet": true, "nbns": true, "dhcp": true, "mdns": true, "ssdp": true, "llmnr": true,
	"enip": true, "knxip": true, "ads": true, "wsd": true,
}

// discoveryPorts are the UDP ports of the same services, for traffic no
// dissector identified.
var discoveryPorts = map[uint16]bool{
	67: true, 68: true, 137: true, 138: true, 1900: true, 3671: true, 3702: true,
	5353: true, 5355: true, 44818: true, 47808: true, 48899: true,
}

func discoveryLike(protocol string, port uint16) bool {
	if discoveryProtocols[protocol] {
		return true
	}
	return (protocol == "" || protocol == "unknown") && discoveryPorts[port]
}

// directedBroadcasts finds the subnet-directed broadcast addresses that
// were sent to with a unicast destination MAC (forwarded by a router, or a
// capture made behind one: bacnet_example.pcap frame 72, a BACnet Who-Is to
// 172.20.32.255). Frames to a group MAC are already recognised; these are
// not, and would otherwise become an IP-keyed "device" that never speaks.
//
// An address qualifies only if it was never a source (no host row, never
// the client of a communication) and either
//
//   - it is the broadcast address of a subnet a device stated (an IP and
//     netmask pair, e.g. profinet.ip/profinet.netmask from DCP), or
//   - it is an IPv4 address ending in .255, in a /24 where hosts were seen
//     sending, and everything sent to it is UDP of a discovery protocol
//     (discoveryLike) with no operation other than discovery.
//
// The second test keeps a real host at x.x.x.255 of a /23: such a host
// answers (it is then a source), or receives traffic other than broadcast
// discovery.
func directedBroadcasts(rows *Rows) map[siteIP]bool {
	sources := map[siteIP]bool{}
	localNets := map[siteNet]bool{}
	addSource := func(site string, ip netip.Addr) {
		ip = ip.Unmap()
		if !ip.IsValid() {
			return
		}
		sources[siteIP{site, ip}] = true
		if ip.Is4() {
			localNets[siteNet{site, subnet(ip)}] = true
		}
	}
	for _, h := range rows.Hosts {
		addSource(h.Site, h.IP)
	}
	for _, c := range rows.Communications {
		addSource(c.Site, c.Client.IP)
	}
	type cand struct{ other bool }
	cands := map[siteIP]*cand{}
	candidate := func(site string, ip netip.Addr) *cand {
		ip = ip.Unmap()
		if !ip.Is4() || !usableIP(ip) || sources[siteIP{site, ip}] {
			return nil
		}
		k := siteIP{site, ip}
		c := cands[k]
		if c == nil {
			c = &cand{}
			cands[k] = c
		}
		return c
	}
	for _, r := range rows.Communications {
		if c := candidate(r.Site, r.Server.IP); c != nil && (r.Transport != "udp" || !discoveryLike(r.Protocol, r.Port)) {
			c.other = true
		}
	}
	for _, r := range rows.Operations {
		if c := candidate(r.Site, r.Server.IP); c != nil && r.Class != "discovery" {
			c.other = true
		}
	}
	if len(cands) == 0 {
		return nil
	}
	stated := statedSubnets(rows)
	out := map[siteIP]bool{}
	for k, c := range cands {
		inStated, isBcast := false, false
		for _, p := range stated[k.site] {
			if p.Contains(k.ip) {
				inStated = true
				isBcast = isBcast || lastAddr(p) == k.ip
			}
		}
		a4 := k.ip.As4()
		switch {
		case isBcast:
			out[k] = true
		case inStated:
			// A host address of a subnet a device stated (x.x.0.255
			// of a /23): not a broadcast, whatever it receives.
		case a4[3] == 255 && !c.other && localNets[siteNet{k.site, subnet(k.ip)}]:
			out[k] = true
		}
	}
	return out
}

// statedSubnets are, per site, the subnets devices state about
// themselves: an address attribute ("*.ip", "*.ip_address",
// "*.assigned_ip", or the endpoint's own IP) with a netmask attribute
// ("*.netmask", "*.subnet_mask") on the same endpoint. Today PROFINET DCP
// states both (profinet.ip, profinet.netmask); DHCP's subnet mask option
// is not emitted by the dhcp dissector.
// Prefixes longer than /30 have no broadcast address and are left out.
func statedSubnets(rows *Rows) map[string][]netip.Prefix {
	type epKey struct {
		site string
		ep   string
	}
	ips := map[epKey][]netip.Addr{}
	masks := map[epKey][]int{}
	for _, a := range rows.Attributes {
		k := epKey{a.Site, a.Endpoint.String()}
		switch {
		case strings.HasSuffix(a.Key, ".netmask") || strings.HasSuffix(a.Key, ".subnet_mask"):
			if bits, ok := maskBits(a.Value); ok {
				masks[k] = append(masks[k], bits)
				if ip := a.Endpoint.IP.Unmap(); ip.Is4() {
					ips[k] = append(ips[k], ip)
				}
			}
		case strings.HasSuffix(a.Key, ".ip") || strings.HasSuffix(a.Key, ".ip_address") || strings.HasSuffix(a.Key, ".assigned_ip"):
			if ip, err := netip.ParseAddr(a.Value); err == nil && ip.Unmap().Is4() {
				ips[k] = append(ips[k], ip.Unmap())
			}
		}
	}
	out := map[string][]netip.Prefix{}
	seen := map[siteNet]bool{}
	for k, bs := range masks {
		for _, bits := range bs {
			for _, ip := range ips[k] {
				p, err := ip.Prefix(bits)
				if err != nil || seen[siteNet{k.site, p}] {
					continue
				}
				seen[siteNet{k.site, p}] = true
				out[k.site] = append(out[k.site], p)
			}
		}
	}
	return out
}

// maskBits reads a dotted IPv4 netmask ("255.255.254.0") or a prefix
// length ("23"); only contiguous masks of /8 to /30 count.
func maskBits(s string) (int, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "/"))
	if ip, err := netip.ParseAddr(s); err == nil && ip.Is4() {
		a := ip.As4()
		v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
		bits := 0
		for v&0x80000000 != 0 {
			bits++
			v <<= 1
		}
		if v != 0 { // not contiguous
			return 0, false
		}
		return bits, bits >= 8 && bits <= 30
	}
	n := 0
	if s == "" || len(s) > 2 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 8 && n <= 30
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= 1<<(32-p.Bits()) - 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
