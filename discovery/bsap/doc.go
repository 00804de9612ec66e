// Package bsap dissects Bristol Standard Asynchronous Protocol (BSAP,
// Emerson/Bristol Babcock ControlWave and Network 3000 RTUs) as carried by
// Open BSI's BSAP-IP driver on UDP ports 1234 and 1235.
//
// Caution, and why the detector is strict: 1234/1235 are generic ports
// (VLC and many tools use UDP 1234), there is no public BSAP-IP
// specification and Wireshark has no dissector. The layout followed is the
// reverse-engineered one of CISA's ICSNPP BSAP parser (cisagov/icsnpp-bsap,
// consts.pac, bsap-protocol.pac, dpd.sig): a datagram is accepted only when
// it matches ICSNPP's payload signature — byte 0 is the header length 0x0E
// or 0x16, bytes 1, 3 and 5 are zero, byte 4 is a message function 0x00
// (poll), 0x01/0x05 (response) or 0x06/0x84/0x86 (request) — and the
// header fits the datagram; or when it is BSAP serial tunnelled over UDP
// (DLE STX 0x10 0x02 ... DLE ETX 0x10 0x03 followed by a 2-byte CRC). A
// random UDP payload passes the BSAP-IP test with probability below 1e-10.
// Nothing is claimed on other ports.
//
// Observations:
//   - KindService: the sender of requests and polls "client" (the Open
//     BSI / SCADA host), the sender of responses "server" (the RTU).
//     Protocol "bsap", Transport udp, Port = the RTU's port.
//   - KindOperation per BSAP-IP request whose application function is the
//     remote database (RDB, 0xA0): read functions (0x00-0x0F) "read",
//     write functions (0x80-0x8D) "write"; other application functions are
//     reported by code with class "other". Code = RDB function, or
//     0x100|application function.
//
// Identity: BSAP carries no identity we can decode; none is claimed.
//
// Known gaps: the BSAP-IP header fields between offset 6 and the header
// length are not interpreted; serial BSAP gives roles only; RDB variable
// names and values are not kept. Confidence in the field layout is that of
// a reverse-engineered parser: treat operations as indicative.
package bsap
