// Package hartip dissects HART-IP (FieldComm Group HCF_SPEC-085) on UDP and
// TCP port 5094: the 8-byte HART-IP header (version, message type, message
// id, status, sequence number, byte count) and, in pass-through messages,
// the HART token-passing PDU (HCF_SPEC-081: delimiter, short or long
// address, command, byte count, response code and device status, data,
// XOR check byte). Responses to command 0 (unique identifier), 12
// (message), 13 (tag, descriptor, date) and 20 (long tag) are decoded.
//
// Observations:
//   - KindService: the sender of requests (a HART-IP client: asset
//     management, handheld software, a DCS) "client", the responder (a
//     HART-IP device, multiplexer or WirelessHART gateway) "server".
//     Protocol "hart_ip", Transport udp/tcp, Port 5094.
//   - KindAttribute about the HART field device that answered: on the
//     server's IP endpoint when the PDU used a short (polling) address, or
//     on Endpoint{IP: server, Sub: "hart:uid=EEEEDDDDDD"} when it used a
//     long address (expanded device type + device id: the device is then
//     reached through the HART-IP server, e.g. behind a gateway).
//     "hart.manufacturer_id", "hart.expanded_device_type", "hart.device_id",
//     "hart.universal_revision", "hart.device_revision",
//     "hart.software_revision", "hart.hardware_revision" (command 0);
//     "hart.tag", "hart.descriptor" (13), "hart.message" (12),
//     "hart.long_tag" (20). Numbers in decimal, the device id as 6 hex
//     digits. Confidence 0.9. Manufacturer ids stay numbers (no sourced
//     table).
//   - KindOperation per HART command request, named and classed
//     (parse.go): reads "read"; writes of tags, ranges, units, damping,
//     burst settings "config"; fixed current, device reset, lock, write
//     device variable "control"; self test "diagnostic". Code = command.
//
// Detection: version 1 or 2, a defined message type and id, and a byte
// count equal to the datagram (UDP) or at least the header (TCP).
//
// Known gaps: HART-IP 2 TLS sessions are opaque; commands above 255
// (expanded 16-bit commands via 31) are named by number; publish
// (burst) messages give the server role only; audit log and direct PDU
// message ids are recognised but not decoded.
package hartip
