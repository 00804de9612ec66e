// Package cdp reads the Cisco Discovery Protocol (versions 1 and 2), carried
// in 802.3 LLC/SNAP frames with OUI 00-00-0c and PID 0x2000 to
// 01:00:0c:cc:cc:cc. CDP is not an open standard: the TLV layout followed
// (4-byte header, then type/length/value with the length counting the
// 4-byte TLV header) was checked against tshark 4.0's decode of frames built
// by scapy's CDP layer (testdata/).
//
// Parsed TLVs: Device ID (0x01), Addresses (0x02), Port ID (0x03),
// Capabilities (0x04), Software Version (0x05), Platform (0x06), VTP
// Management Domain (0x09), Native VLAN (0x0a), Management Addresses (0x16).
//
// Observations, all about the frame's source MAC:
//
//	service    protocol "cdp", transport "eth", role "publisher"
//	attribute  cdp.device_id          e.g. "ie4000-cell1.plant.local" (often the hostname)
//	           cdp.port_id            the sending interface, "GigabitEthernet1/5"
//	           cdp.platform           "cisco IE-4000-8GT4G4E"
//	           cdp.software_version   the first line of the version text
//	                                  ("Cisco IOS Software, IE4000 Software (...), Version 15.2(7)E4, ...")
//	           cdp.addresses          each IPv4/IPv6 address of TLV 0x02 (repeats)
//	           cdp.management_ip      each IPv4/IPv6 address of TLV 0x16 (repeats)
//	           cdp.capabilities       comma-separated: router, transparent_bridge,
//	                                  source_route_bridge, switch, host, igmp, repeater,
//	                                  voip_phone, remotely_managed, cvta, two_port_mac_relay
//	           cdp.native_vlan        decimal
//	           cdp.vtp_domain
//
// Confidence 0.9 (the device about itself). Unchanged announcements from a
// source are re-emitted at most every ten minutes (bounded table).
//
// Known gaps: the checksum is not verified (a corrupt frame could yield a
// wrong fact); CLNS/DECnet/AppleTalk addresses are skipped; power, VoIP VLAN
// and trust TLVs are not read.
package cdp
