// Package iec104 dissects IEC 60870-5-104 (TCP port 2404): the APCI (start
// 0x68, length, I/S/U control field with send and receive sequence numbers,
// STARTDT/STOPDT/TESTFR act and con) and the ASDU data unit identifier of
// IEC 60870-5-101 clause 7 as 104 profiles it (type id, variable structure
// qualifier, 2-octet cause of transmission with P/N and test bits and the
// originator address, 2-octet common address, 3-octet object addresses).
//
// Roles: the controlling station (role "client") is the sender of STARTDT
// or STOPDT act, or of a command-direction ASDU (types >= 45 with cause
// activation, deactivation or request); the controlled station (role
// "server") the other end. The first such message decides; until then the
// TCP client is taken as the controlling station.
//
// Observations:
//   - KindService: controlled station "server", controlling station
//     "client", Protocol "iec104", Port = the flow's server port.
//   - KindAttribute "iec104.common_address" (decimal) on the controlled
//     station for every common address in either direction (0 and the
//     broadcast 65535 excepted), once per connection, up to 8 per connection.
//   - KindOperation for every ASDU the controlling station sends whose type
//     acts in control direction, named by type (parse.go table): commands
//     45-51 and 58-64 and reset process 105 "control"; interrogation 100,
//     counter interrogation 101, read 102 and file/log calls 122/127 "read";
//     clock synchronisation 103, test 104/107 and delay acquisition 106
//     "diagnostic"; parameters 110-113 "config". Monitoring ASDUs are not
//     operations. Code = the type id; TypeID.Mnemonic gives "C_SC_NA_1".
//
// Detection is by payload on port 2404: a whole first APDU with a valid
// control field and, for I-format, a known type id, a cause, and room for
// its objects. It is not offered as a heuristic for other ports.
//
// Known gaps: information objects are not decoded (no values, no select
// versus execute distinction: both count as operations, as in Wireshark's
// view); IEC 62351 secured 104 (TLS on 19998) is seen as TLS only; the
// shared capture set has no IEC 104 traffic, so conformance was measured
// only on the demo capture (testdata/fixtures/iec104/demo_iec104.pcapng, checked against
// tshark's decode).
package iec104
