// Package fins dissects Omron FINS (Factory Interface Network Service,
// Omron W227/W342 reference manuals) on UDP port 9600 and FINS/TCP on TCP
// port 9600 (the "FINS" framing with node address exchange).
//
// It decodes the FINS header (ICF, gateway count, destination and source
// network/node/unit, service id), the command code (MRC/SRC) and response
// end code, and the Controller Data Read (0501) response with the CPU
// model and version.
//
// Observations:
//   - KindService: the sender of commands "client", the responder (or the
//     FINS/TCP server) "server"; Protocol "fins", Port = the server port.
//   - KindAttribute "fins.node" (node address, decimal) on each end, from
//     the command's destination and source node (and the FINS/TCP node
//     address exchange); "fins.model" and "fins.version" from a Controller
//     Data Read response (e.g. "CJ2M-CPU31" / "02.01"), confidence 0.95.
//   - KindOperation for every command, named and classed by its code
//     (parse.go): memory area read/write, parameter area, program area
//     read/write/clear (program), RUN/STOP (control), clock write (config),
//     file memory operations (program), forced set/reset (write), ...
//     Code = MRC<<8|SRC.
//
// Detection by payload: UDP needs ICF reserved bits clear, RSV 0, a
// gateway count below 8 and a defined command code; TCP needs the "FINS"
// magic. Not offered as a heuristic for other ports.
//
// Wireshark 4.0 disagreement: a Controller Data Read command without its
// optional parameter byte (W342: omitted = read everything, answered with
// the 94-byte response) is shown as "Malformed Packet (Exception
// occurred)" (demo_fins.pcapng frame 10); otzone decodes it and its
// response.
//
// Known gaps: command parameters and response data are not decoded beyond
// the controller model/version (no addresses or values); FINS over
// Host Link/serial is out of scope.
package fins
