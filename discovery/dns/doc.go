// Package dns reads name traffic that tells who is called what: unicast DNS
// (RFC 1035; UDP and TCP 53), multicast DNS with DNS-SD (RFC 6762, RFC 6763;
// UDP 5353) and the NetBIOS name service (RFC 1001/1002; UDP 137). One parser
// (parse.go: header, compressed names, records, NetBIOS first-level
// encoding) serves four registered dissectors: "dns" (UDP 53), "dns_tcp"
// (TCP 53, protocol name "dns"), "mdns" and "nbns".
//
// Observations:
//
//	dns   service    querier role "client", responder role "server" (port 53)
//	      operation  per query: "query" (discovery), "update" (opcode 5, config),
//	                 "notify" (other), "zone_transfer" (AXFR/IXFR, read)
//	      attribute  dns.name on the endpoint {IP} named by an A/AAAA answer
//	                 or a PTR answer (in-addr.arpa / ip6.arpa), lower-cased,
//	                 confidence 0.6 (a name someone resolved, not the host's own word)
//	mdns  service    responders "server", queriers "client" (port 5353)
//	      attribute  mdns.name     A/AAAA/reverse-PTR names; 0.9 on the sender when the
//	                               address is its own, else 0.6 on that address
//	                 mdns.service  DNS-SD service types it announces ("_ipp._tcp")
//	                 mdns.instance service instance names ("Line 3 Printer")
//	nbns  service    request senders "client", responders "server" (port 137)
//	      attribute  nbns.name                unique <00>/<20> names ("EWS-1")
//	                 nbns.workgroup           group <00> names ("WORKGROUP")
//	                 nbns.domain_controller   group <1C> names (the host is a DC of that domain)
//	                 from registrations/refreshes (on the registered address: 0.9
//	                 when it is the sender's own, else 0.7), positive name query
//	                 responses (same rule) and node status responses (0.95, the
//	                 responder's own table).
//
// Names are only attributed to private, link-local, CGNAT, ULA and loopback
// addresses: resolving internet names would otherwise make an asset of
// every CDN address a workstation looked up. Queries never name their
// sender. (address, key, value) facts and service roles are re-emitted at
// most every ten minutes (bounded table), across flows: resolvers see one
// flow per query.
//
// Known gaps: DNS on other ports is not found (no heuristic: a DNS header
// is too weak a signature); DNS-SD TXT records (model= / ty=) and SRV targets
// are not read; LLMNR (UDP 5355) and NetBIOS datagram/browser (UDP 138) are
// not dissected; DNS over TLS/HTTPS is opaque.
package dns
