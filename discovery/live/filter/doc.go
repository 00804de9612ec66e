// Package filter compiles a subset of the tcpdump (pcap-filter(7))
// expression language into classic BPF for an Ethernet link, without
// libpcap. The program it returns accepts a frame by returning the snap
// length and rejects it by returning 0, as libpcap's programs do, so the
// kernel also truncates accepted frames to the snap length.
//
// Supported (the meaning is libpcap 1.10's, checked against tcpdump -r on
// the same frames in the tests):
//
//	host ADDR, net CIDR | net A.B[.C], port N, portrange N-M
//	src, dst, src or dst, src and dst qualifiers
//	ip, ip6, arp, rarp protocol qualifiers for host and net
//	tcp, udp, sctp qualifiers for port and portrange
//	tcp, udp, sctp, icmp, icmp6, ip, ip6, arp, rarp as primitives
//	ether host MAC, ether src MAC, ether dst MAC, ether proto N|ip|ip6|arp|rarp
//	vlan, vlan ID
//	and, &&, or, ||, not, !, parentheses
//	an address alone after and/or takes the previous primitive's
//	qualifiers, as in tcpdump ("host a or b" is "host a or host b")
//
// Anything else (host names, port names, greater/less, byte-offset
// expressions like tcp[13], broadcast, multicast, gateway, mpls, pppoe ...)
// is rejected with an error naming the column.
//
// As in libpcap, the upper-layer offsets are those of an untagged Ethernet
// frame until the first vlan keyword; every vlan keyword then shifts the
// offsets of everything after it in the expression (in reading order, across
// and/or) by the 4 bytes of an 802.1Q tag. "vlan 100 and tcp port 502"
// therefore matches TCP port 502 inside VLAN 100, and "tcp port 502" alone
// does not match a tagged frame in a file.
//
// Live capture on Linux differs: the kernel removes the outer 802.1Q/802.1ad
// tag of every received frame before a socket filter runs and passes it
// beside the frame. Compile with Options.VLANOffload for a live socket: the
// first vlan keyword then tests the tag the kernel removed (the BPF
// extensions vlan_avail/vlan_tci) and shifts nothing; later vlan keywords
// (QinQ inner tags, still in the frame) test and shift as in a file. libpcap
// does the same on Linux. A consequence libpcap shares: on a live
// interface a filter without vlan (tcp port 502) also matches tagged frames,
// since the kernel has already removed their tag.
package filter
