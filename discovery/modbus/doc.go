// Package modbus is the passive Modbus/TCP dissector.
//
// Specs followed: Modbus Application Protocol Specification V1.1b3 (function
// codes, exception codes, Read Device Identification FC 43 / MEI 14 in 6.21)
// and Modbus Messaging on TCP/IP Implementation Guide V1.0b (MBAP header,
// unit identifier 0 and 255 addressing the TCP device itself). UMAS (FC 90,
// Schneider Electric) is unpublished: the sub-function table follows
// Wireshark's packet-mbtcp.h and public research.
//
// Port: TCP 502 (server). Detect confirms by the MBAP header (protocol id 0,
// length 2..254, a non-zero function code, no exception bit from the client).
// On any other port (gateways on 503 or 5020, port-forwarded PLCs) an MBAP
// header alone is too weak a signature, so DetectHeuristic asks for a whole
// client request of a public function code whose length fits that function
// exactly (heuristic.go); a flow seen first from the server's side is then
// not claimed. Modbus/TCP Security (TLS, port 802) is left to the TLS
// dissector.
//
// Facts emitted:
//   - services: "server" on the server endpoint and "client" on the client,
//     protocol "modbus", transport "tcp", port = the server port.
//   - operations: one per request PDU. Code = function code; Name in
//     snake_case as Wireshark names them (write_multiple_registers …); Class:
//     FC 1-4, 20, 24 read; 5, 6, 15, 16, 21, 22, 23 write (23 reads as well,
//     but writes); 7, 8, 11, 12, 17 diagnostic, except FC 8 sub-functions 1
//     (restart communications) and 4 (force listen-only), which are control;
//     FC 43/14 read_device_identification = discovery; FC 90 umas_<sub>
//     classed by sub-function (read/write variables, strategy upload/download
//     = program, start/stop PLC = control, identification = discovery).
//   - attributes on the server: modbus.unit_id (each unit id addressed),
//     modbus.umas = "true" (FC 90 seen), FC 43/14 replies: modbus.vendor_name,
//     product_code, revision, vendor_url, product_name, model_name,
//     user_application_name, modbus.object_0xNN for reserved/private objects,
//     modbus.conformity_level; FC 17 replies: modbus.server_id (printable
//     text, else hex; its layout is device specific, confidence 0.6);
//     modbus.gateway = "true" when the server answers with exception 10 or 11
//     (only gateways do).
//   - exceptions: one comm attribute "modbus.exception" =
//     "<request operation>: <exception>" per distinct pair and flow
//     (bounded to 32), the operation named from the paired request
//     ("read_device_identification: illegal_function"); UMAS error replies
//     (0xFD) likewise as "<umas operation>: umas_error". An exception is
//     not an operation.
//
// Gateways: a Read Device Identification reply for unit id 0, 1 or 255 is
// the TCP device's own identity. A reply for another unit id is attributed
// to Endpoint{IP, Sub: "modbus:unit=N"} — a device behind a gateway, which
// the inventory makes its own asset with via = the gateway — unless its
// basic objects (0x00-0x02) equal those the device gave for a direct unit id
// earlier on the same flow (a device that answers on every unit id). The
// decision depends on order within a flow: a sub-unit seen before any direct
// unit is a Sub endpoint. The active probe asks 0, 255 and 1 first.
// Operations always name the TCP server as Peer: the unit id of a request
// alone does not tell a gateway from a device that ignores it.
//
// State per flow is bounded: 16 outstanding requests (paired by transaction
// and unit id, oldest replaced), a 256-bit unit set, a 256-byte routing
// table and at most 256 identity hashes and 32 exception pairs.
//
// Known gaps: Modbus RTU/ASCII over TCP (no MBAP) is not decoded; UMAS
// identity replies (READ_ID, READ_PLC_INFO) are not decoded into attributes,
// only detected; FC 17 content is kept as text without interpretation.
package modbus
