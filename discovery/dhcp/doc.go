// Package dhcp reads DHCPv4 (RFC 2131 message format over BOOTP, RFC 951;
// options RFC 2132, client FQDN RFC 4702) on UDP 67 (server) / 68 (client).
//
// What it yields:
//
//	client (asset = the chaddr MAC, not the IP header: clients send from 0.0.0.0 and relays forward)
//	  service    protocol "dhcp", transport "udp", port 67, role "client"
//	  attribute  dhcp.hostname       option 12 (Host Name), or the name in option 81 (Client FQDN)
//	             dhcp.vendor_class   option 60, e.g. "MSFT 5.0", "udhcp 1.30.1", "PXEClient:Arch:00000:UNDI:002001"
//	             dhcp.requested_ip   option 50
//	             dhcp.assigned_ip    yiaddr of a DHCPACK (on the endpoint {chaddr, yiaddr})
//	  host       {chaddr, yiaddr} on a DHCPACK: the lease binds that MAC to that IP
//	server (asset = the reply's source MAC/IP)
//	  service    protocol "dhcp", transport "udp", port 67, role "server"
//	  attribute  dhcp.server_id      option 54 as sent in OFFER/ACK/NAK
//
// Confidence: client-sent names 0.9 (the client says it about itself),
// requested_ip 0.7 (a wish the server may refuse), assigned_ip 0.95 (the
// server's lease), server_id 0.9. Operations are not emitted: DHCP
// messages go to broadcast addresses, so there is no server asset to pair
// with, and they do not act on a process.
//
// Each client MAC's facts are re-emitted only when its message content
// changes or ten minutes pass (bounded table of clients).
//
// DHCPv6 (RFC 8415, v6.go; protocol "dhcpv6", UDP 547 servers and relays,
// 546 clients) is read as well: Windows sends SOLICITs with its FQDN (RFC
// 4704) and the "MSFT 5.0" vendor class even on IPv4-only plant networks.
//
//	client (asset = the frame's source: MAC and link-local address)
//	  service    protocol "dhcpv6", transport "udp", port 547, role "client"
//	  attribute  dhcpv6.hostname      option 39 (Client FQDN)
//	             dhcpv6.vendor_class  option 16, first vendor-class-data item
//	                                  ("enterprise N" when it has none)
//	             dhcpv6.client_duid   option 1: "llt MAC", "ll MAC" or hex
//	server (asset = the frame's source)
//	  service    role "server"; attribute dhcpv6.server_duid
//	  host       {client MAC, address} for each IAADDR of a successful REPLY,
//	             the client being the frame's destination; dhcpv6.assigned_ip
//
// Known gaps: option overload (52) into sname/file is not followed;
// parameter request lists (client fingerprints) are not kept; DHCPv6 relay
// messages (RELAY-FORW/REPL) are recognised but not unwrapped, and prefix
// delegation (IA_PD) is not reported.
package dhcp
