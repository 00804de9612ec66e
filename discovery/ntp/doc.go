// Package ntp reads the Network Time Protocol (RFC 5905; versions 1-4) on
// UDP 123, including mode 6 control (ntpq, RFC 1305 appendix B / RFC 9327)
// and mode 7 private (ntpdc) requests.
//
// Roles come from the NTP mode, not the ports (ntpd talks 123↔123):
//
//	service    mode 3 sender "client"; mode 4 and 5 (broadcast) senders "server";
//	           symmetric active/passive (1/2) peers "server"; mode 6/7 request
//	           senders "client", responders "server". Port 123.
//	attribute  on a server, from its mode 4/5/1/2 packets (confidence 0.9; re-emitted
//	           when a value changes or ten minutes pass, across flows: most clients
//	           poll from a new source port each time): ntp.stratum ("1"; "16" = unsynchronised),
//	           ntp.reference_id (stratum 1: the reference clock code, "GPS", "PPS",
//	           "DCF"; stratum ≥2: the upstream server's IPv4 address, or for an IPv6
//	           upstream the first four bytes of its MD5 hash shown as dotted quad),
//	           ntp.version ("4")
//	operation  mode 6 requests by opcode: read_status, read_variables,
//	           read_clock_variables, read_mru, read_ordered_list, request_nonce
//	           (diagnostic); write_variables, write_clock_variables, configure,
//	           save_config, set_trap, unset_trap (config); mode 7 requests:
//	           "monlist" (request code 42, diagnostic; the reflection/amplification
//	           vector) or "private_request" (diagnostic). Ordinary time requests
//	           are not operations.
//
// Known gaps: NTS (RFC 8915) and the NTP authenticator/MAC are not read; a
// reference id of an IPv6 upstream cannot be turned back into an address.
package ntp
