// Package fox dissects Tridium Niagara Fox, the station protocol of the
// Niagara Framework (building automation), on TCP port 1911. Fox over TLS
// (port 4911) is left to the TLS dissector.
//
// There is no public specification; the framing followed is the one the
// public tools agree on (nmap fox-info.nse, Digital Bond's research): a
// text frame "fox <type> <seq> <reply-to> <channel> <command>\n", an
// optional body "{\n key=t:value\n ... }" (t: s string, i int, b bool, ...)
// and the footer ";;\n". Frames are bounded at 64 KiB, Niagara's own
// pre-authentication frame size limit.
//
// Observations:
//   - KindService: TCP server "server" (a Niagara station: JACE, Supervisor),
//     client "client" (Workbench, another station). Protocol "fox".
//   - KindAttribute from the "fox hello" of each side: the station
//     (server) reports "fox.station_name", "fox.host_name",
//     "fox.host_id", "fox.brand_id", "fox.app_name", "fox.app_version"
//     (the Niagara version, e.g. "4.10.1.36"), "fox.vm_name",
//     "fox.vm_version", "fox.os_name", "fox.os_version", "fox.version",
//     "fox.time_zone"; the client the same keys about itself (Workbench
//     version and host name). Values are trimmed and capped; confidence 0.9.
//   - KindOperation per client frame: "fox_hello" "discovery"; other
//     frames as channel_command (sanitised) with class "other" — Fox's
//     command semantics are not public, so no read/write claims are made.
//
// Detection: the first bytes are "fox " followed by a frame type letter.
//
// Known gaps: message bodies beyond the hello are not interpreted (no
// component reads/writes, no BQL queries); authentication outcome is not
// decoded.
package fox
