// Package slmp dissects Mitsubishi SLMP / MELSEC communication protocol
// (MC protocol) binary 3E and 4E frames (Mitsubishi "SLMP Reference
// Manual" SH-080956ENG, "MELSEC Communication Protocol Reference Manual"
// SH-080008) over TCP and UDP.
//
// MELSEC Ethernet modules have no fixed port (the engineer opens them;
// 5000-5010 are common), so the dissector claims no port and is offered as
// a heuristic: a frame must have a 3E/4E subheader, a destination of the
// own-station CPU (module I/O 0x03FF or a multi-CPU 0x03E0-0x03E3), a data
// length equal to the bytes that follow, and (for requests) a defined
// command.
//
// Observations:
//   - KindService: the sender of requests (subheader 0x5000/0x5400) "client",
//     the responder (0xD000/0xD400) "server". Protocol "slmp".
//   - KindAttribute "slmp.cpu_model" (e.g. "Q03UDVCPU") and
//     "slmp.model_code" (hex) from a Read CPU Model Name (0101) response,
//     confidence 0.95; "slmp.network"/"slmp.station" addressing is not kept.
//   - KindOperation per request: device batch/random/block read and
//     monitor "read", device writes "write", remote RUN/STOP/PAUSE/RESET/
//     latch clear "control", remote password lock/unlock "config", file
//     operations "program" (open/read/close are "read"), loopback
//     "diagnostic", CPU model read "discovery". Code = command.
//
// Known gaps: ASCII-coded frames and the 1E/2E (A-series) frames are not
// decoded; device addresses and values are not kept; SLMP over
// CC-Link IE Field (layer 2) is out of scope.
package slmp
