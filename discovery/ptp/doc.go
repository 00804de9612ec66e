// Package ptp dissects the Precision Time Protocol version 2 (IEEE
// 1588-2008/2019) on Ethernet (EtherType 0x88F7, e.g. IEC 61850-9-3 and
// IEEE C37.238 power profiles) and on UDP (319 event, 320 general).
//
// It decodes the 34-byte common header (message type, version, length,
// domain, flags, source port identity, sequence) and the Announce body
// (grandmaster priorities, clock quality, grandmaster identity, steps
// removed, time source), and the action of Management messages.
//
// Observations:
//   - KindService: a sender of Sync, Follow_Up, Announce or Delay_Resp is
//     role "master"; a sender of Delay_Req role "slave" (IEEE 1588-2008
//     port states); Pdelay messages give no role (peer-to-peer). Protocol
//     "ptp", Transport "eth" (Port 0) or "udp" (Port 319 or 320). Once per
//     sender, role and transport.
//   - KindAttribute on the sender: "ptp.clock_identity" (EUI-64, colon
//     hex), "ptp.domain"; from Announce: "ptp.grandmaster_identity",
//     "ptp.grandmaster_priority1", "ptp.grandmaster_priority2",
//     "ptp.grandmaster_clock_class", "ptp.time_source" (named),
//     "ptp.steps_removed", and "ptp.grandmaster"="true" when the announcer
//     is itself the grandmaster (its clock identity equals the
//     grandmaster identity and steps removed is 0).
//   - KindOperation for Management messages to a unicast destination: GET
//     "read", SET "config", COMMAND "control" (code 0x0d00|action).
//
// Detection: version 2 in the low nibble of octet 1, a defined message type
// and a message length between 34 and the datagram's length.
//
// Known gaps: PTPv1 and the 2019 TLV extensions are not decoded;
// management TLVs are not decoded (the managed item is not named);
// transparent clocks are not recognised as such.
package ptp
