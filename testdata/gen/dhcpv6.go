package main

import (
	"encoding/binary"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// DHCPv6: the engineering workstation (Windows, IPv6 on by default) keeps
// soliciting a DHCPv6 server on the plant network, which has none: each
// SOLICIT (RFC 8415 §18.2.1) from its link-local address to
// All_DHCP_Relay_Agents_and_Servers carries its DUID-LLT, its FQDN (RFC
// 4704) and the "MSFT 5.0" vendor class (enterprise 311), as Windows sends
// them.
func init() {
	register("72-dhcpv6", func(p *Plant) {
		opt := func(code uint16, v []byte) []byte {
			b := binary.BigEndian.AppendUint16(nil, code)
			b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
			return append(b, v...)
		}
		duid := binary.BigEndian.AppendUint16(nil, 1) // DUID-LLT
		duid = binary.BigEndian.AppendUint16(duid, 1) // Ethernet
		duid = binary.BigEndian.AppendUint32(duid, 0x2c8f1a10)
		duid = append(duid, EWS.MAC...)
		fqdn := []byte{0x00} // flags: the client updates its own AAAA
		for _, l := range []string{"EWS-1", "plant", "local"} {
			fqdn = append(append(fqdn, byte(len(l))), l...)
		}
		fqdn = append(fqdn, 0)
		vendor := binary.BigEndian.AppendUint32(nil, 311)
		vendor = binary.BigEndian.AppendUint16(vendor, 8)
		vendor = append(vendor, "MSFT 5.0"...)
		ia := binary.BigEndian.AppendUint32(nil, 0x0e000c29) // IAID; T1, T2 0
		ia = append(ia, make([]byte, 8)...)
		msg := []byte{1, 0x5a, 0x3c, 0x01} // SOLICIT, transaction id
		msg = append(msg, opt(8, []byte{0, 0})...)
		msg = append(msg, opt(1, duid)...)
		msg = append(msg, opt(3, ia)...)
		msg = append(msg, opt(39, fqdn)...)
		msg = append(msg, opt(16, vendor)...)
		msg = append(msg, opt(6, []byte{0, 17, 0, 23, 0, 24, 0, 39})...)
		// fe80:: with the modified EUI-64 of the workstation's MAC (RFC 4291 App. A).
		ll := net.IP{0xfe, 0x80, 0, 0, 0, 0, 0, 0, EWS.MAC[0] ^ 2, EWS.MAC[1], EWS.MAC[2], 0xff, 0xfe, EWS.MAC[3], EWS.MAC[4], EWS.MAC[5]}
		for i := 0; i < 2; i++ {
			eth := &layers.Ethernet{SrcMAC: EWS.MAC, DstMAC: mac("33:33:00:01:00:02"), EthernetType: layers.EthernetTypeDot1Q}
			tag := &layers.Dot1Q{VLANIdentifier: EWS.VLAN, Type: layers.EthernetTypeIPv6}
			ip := &layers.IPv6{Version: 6, HopLimit: 1, NextHeader: layers.IPProtocolUDP, SrcIP: ll, DstIP: net.ParseIP("ff02::1:2")}
			udp := &layers.UDP{SrcPort: 546, DstPort: 547}
			_ = udp.SetNetworkLayerForChecksum(ip)
			binary.BigEndian.PutUint16(msg[4+4:], uint16(100*i)) // elapsed time
			p.write(eth, tag, ip, udp, gopacket.Payload(append([]byte{}, msg...)))
			p.Advance(1000)
		}
	})
}
