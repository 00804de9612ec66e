// Package knxip dissects KNXnet/IP (KNX Standard 03.08.02 Core, 03.08.03
// Device Management, 03.08.04 Tunnelling, 03.08.05 Routing; ISO/IEC
// 14543-3) on UDP port 3671: the header (length 6, version 0x10, service
// type, total length), search/description/connect services with their
// HPAI and device information DIB, tunnelling and routing frames with the
// cEMI L_Data message and its application layer service (APCI), device
// configuration requests, and the KNX IP Secure service family.
//
// Observations:
//   - KindService: the sender of search, description and connect
//     responses and of tunnelling acks "server" (a KNX/IP interface or
//     router); the sender of requests "client"; the sender of routing
//     indications (multicast 224.0.23.12) "publisher". Protocol "knxip".
//   - KindAttribute from a device information DIB: "knxip.friendly_name",
//     "knxip.individual_address" ("1.1.0"), "knxip.serial_number" (12 hex
//     digits), "knxip.mac", "knxip.medium" (tp1, pl110, rf, ip),
//     "knxip.multicast_address". Confidence 0.9.
//   - KindOperation for unicast requests: search/description (discovery),
//     connect (other), disconnect (other), and for the cEMI carried by a
//     tunnelling or device configuration request, its service:
//     group_value_read / memory_read / device_descriptor_read /
//     property_value_read "read", group_value_write "write",
//     individual_address_write, property_value_write, key_write "config",
//     memory_write "program", restart "control"; M_PropWrite "config",
//     M_Reset "control". Code: cEMI APCI (10 bits) or 0x1000|service type.
//   - KindCommAttribute "knxip.secure"="true" when KNX IP Secure services
//     (0x0950-0x0956) are seen.
//
// Detection: header length 6, version 0x10, a defined service type and a
// total length equal to the datagram's.
//
// Known gaps: KNXnet/IP over TCP (KNX IP Secure unicast) is not claimed;
// group addresses are not kept (they name datapoints, not devices); the
// routed KNX devices behind an interface are not made assets.
package knxip
