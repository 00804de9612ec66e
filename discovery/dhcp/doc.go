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
// Known gaps: option overload (52) into sname/file is not followed; DHCPv6
// (UDP 546/547) is not read; parameter request lists (client fingerprints)
// are not kept.
package dhcp
