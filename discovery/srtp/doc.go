// Package srtp dissects GE-SRTP (Service Request Transport Protocol), the
// programming and HMI protocol of GE Fanuc / Emerson Series 90, VersaMax and
// PACSystems controllers, on TCP port 18245.
//
// There is no public specification. The layout followed is the one
// published by Denton et al., "Leveraging the SRTP protocol for
// over-the-network memory acquisition of a GE Fanuc Series 90-30" (DFRWS
// 2017), as implemented and verified on an RX3i by the open-source
// gesrtp-py driver: every message is a 56-byte header plus "text" whose
// length is the little-endian word at offset 4; the connection opens with
// 56 zero bytes from the client, answered by a header whose first byte is
// 0x01; afterwards byte 0 is 0x02 (request) or 0x03 (response), byte 31 the
// mailbox message type (0xC0 request, 0xD4 ack, 0x94 ack with data, 0xD1
// error) and byte 42 the service request code (byte 43 the segment
// selector).
//
// Observations:
//   - KindService: TCP server "server" (the controller), client "client"
//     (HMI, Proficy Machine Edition, a historian). Protocol "srtp".
//   - KindOperation per request (byte 0 0x02, message type 0xC0), named and
//     classed by service code: status, program names, memory reads, fault
//     table, date/time reads "read"; system/task memory writes and toggle
//     force "write"; program block writes, program store (upload) and load
//     (download) "program"; set PLC state (RUN/STOP) and clear fault table
//     "control"; privilege level, control id, date/time set "config";
//     programmer logon "other"; controller type "discovery". Code = service.
//
// Identity: the controller type/ID response (0x43) is not decoded — its
// layout is not public — so no model or firmware is claimed.
//
// Detection: the all-zero initialisation or a header with a known type
// byte and (for 0x02/0x03) a known message type; port 18245 only.
//
// Known gaps: segment selectors and addresses are not kept; multi-packet
// responses are framed by the text length only.
package srtp
