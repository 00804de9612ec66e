// Package dnp3 dissects DNP3 (IEEE 1815-2012) carried over TCP and UDP port
// 20000 (IEEE 1815 Annex/"DNP3 over IP" — the link frame is carried as is).
//
// What it decodes:
//   - the data link frame: start 0x05 0x64, length, control (DIR, PRM, FCB/FCV
//     or DFC, function), destination and source link addresses, and the
//     CRC-16/DNP of the header and of every 16-byte user-data block. Frames
//     whose CRCs fail are counted and skipped (parse.go ErrCRC); their
//     addresses are not trusted.
//   - the transport function (FIN, FIR, sequence): segments of one direction
//     are reassembled into an application fragment (bounded: 4096 bytes).
//   - the application header: control (FIR/FIN/CON/UNS, sequence), function
//     code, the internal indications of responses, and the first object
//     header (group, variation, qualifier) to spot Secure Authentication
//     (group 120).
//
// Roles come from the link DIR bit (set on frames sent by the master), not
// from the TCP handshake: an outstation that dials its master is still the
// outstation. Facts emitted (discovery.Observation):
//   - KindService: the sender of DIR=1 frames role "master", the other end
//     role "outstation", Protocol "dnp3", Transport tcp/udp, Port = the
//     flow's server port. Once per flow per role.
//   - KindAttribute "dnp3.address" = the link address (decimal) of the master
//     (source of DIR=1 frames) and of the outstation (source of DIR=0 frames);
//     broadcast/reserved addresses 0xFFF0-0xFFFF are never emitted.
//     Once per flow per address.
//   - KindOperation for every request fragment from the master with its
//     function code named and classed (see FunctionCode.Class); confirms
//     (function 0) are link-level housekeeping and not emitted.
//   - KindAttribute from device attributes (group 0, VSTR values) in a
//     response: g0v252 "dnp3.manufacturer", g0v250 "dnp3.product_name",
//     g0v242 "dnp3.software_version", g0v243 "dnp3.hardware_version",
//     g0v248 "dnp3.serial_number", g0v247 "dnp3.device_name", g0v246
//     "dnp3.device_id", g0v245 "dnp3.location".
//   - KindCommAttribute "dnp3.secure_authentication"="true" when a function
//     32/33/131 or an object of group 120 is seen; "dnp3.unsolicited"="true"
//     when the outstation sends unsolicited responses (function 130). The
//     absence of Secure Authentication is never claimed.
//
// Detection is by payload: 0x05 0x64 plus a valid header CRC, strong enough
// to run on any port (Heuristic).
//
// Known gaps: objects are not decoded beyond the first object header except
// for leading group 0 device attributes (no point values); serial DNP3 is out of
// scope; link-layer retries are not de-duplicated (an operation repeated by
// the link layer counts twice).
package dnp3
