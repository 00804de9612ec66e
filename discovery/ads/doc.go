// Package ads dissects Beckhoff ADS (Automation Device Specification) over
// AMS/TCP (TCP 48898) and the TwinCAT UDP discovery/route service (UDP
// 48899), per Beckhoff Information System "ADS specification" (TE1000) and
// the discovery layout documented by Apache PLC4X (ads-discovery.mspec).
//
// AMS/TCP: the 6-byte AMS/TCP header (reserved, length), the 32-byte AMS
// header (target and source AMS NetId and port, command id, state flags,
// data length, error code, invoke id) and the ADS command data of
// ReadDeviceInfo, Read, Write, ReadState, WriteControl and ReadWrite.
//
// Observations:
//   - KindService: TCP server "server", client "client"; UDP discovery
//     responder "server", requester "client". Protocol "ads".
//   - KindAttribute "ads.ams_net_id" on each end (target NetId on the
//     server, source on the client, as "5.39.177.216.1.1"), "ads.ams_port"
//     for the server's AMS ports addressed (851 TwinCAT 3 PLC, 10000 system
//     service, ...); "ads.device_name" and "ads.version" ("3.1.4024") from a
//     ReadDeviceInfo response; "ads.hostname", "ads.twincat_version" from a
//     discovery response. Confidence 0.9.
//   - KindOperation per ADS request: read_device_info/read/read_state
//     "read", write "write" (release_handle, index group 0xF006, "other"),
//     write_control "control" (it switches RUN/STOP/CONFIG), read_write
//     "read" for symbol look-ups (index groups 0xF003, 0xF009, 0xF00B,
//     0xF00C, sum-read 0xF080) else "write", add/delete notification
//     "read"; discovery add_route/del_route "config" (code 0x100|op),
//     discovery "discovery".
//   - KindCommAttribute "ads.route_password_cleartext"="true" when an
//     add-route request carries a password block (UDP, in clear text; the
//     password itself is never kept).
//
// Detection: AMS/TCP reserved word 0, a length consistent with the AMS
// header's data length, the ADS-command state flag and a command id <= 9;
// discovery: the 0x71146603 magic.
//
// Known gaps: ADS notifications' samples and symbol names are not decoded;
// AMS/TCP router commands (reserved word 0x1000-0x1002) and ADS over
// EtherCAT/UDP (ADS on UDP 48899 with the AMS header) are skipped.
package ads
