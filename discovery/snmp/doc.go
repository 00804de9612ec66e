// Package snmp reads SNMP v1 (RFC 1157), v2c (RFC 1901, RFC 3416) and the
// v3 message header (RFC 3412, USM RFC 3414) on UDP 161 (agents) and 162
// (notification receivers). It parses BER itself, without allocating.
//
// Observations:
//
//	service          161: agent role "server", manager "client"; 162: receiver "server",
//	                 notification sender (the agent) "client"
//	operation        per request/notification from the flow's client: get_request,
//	                 get_next_request, get_bulk_request (read), set_request (write),
//	                 trap, trap_v2, inform_request, report, encrypted_pdu (other);
//	                 Code is the PDU tag (0xa0-0xa8; 0 for an encrypted v3 PDU)
//	comm_attribute   snmp.version "v1|v2c|v3"; v1/v2c (once per flow): encrypted=false,
//	                 authenticated=false, cleartext_credentials=true, and
//	                 snmp.community_default=true when the community is "public" or
//	                 "private"; v3 (again whenever the level changes):
//	                 snmp.security_level noAuthNoPriv|authNoPriv|authPriv, encrypted and
//	                 authenticated from msgFlags. The v3 engine discovery exchange
//	                 (RFC 3414 section 4) is not counted: it is always noAuthNoPriv.
//	attribute        on the agent, from its GetResponse (confidence 0.95 for system group,
//	                 0.9 otherwise): snmp.version, snmp.sys_descr (1.3.6.1.2.1.1.1.0),
//	                 snmp.sys_object_id (1.3.6.1.2.1.1.2.0, dotted: its enterprise arc
//	                 names the vendor), snmp.sys_name (.5.0), snmp.sys_location (.6.0),
//	                 snmp.community_default=true when it answered a default community
//	                 without error, snmp.engine_id (v3 authoritative engine id, hex,
//	                 from the agent's Report or response; its enterprise number names the vendor)
//
// System-group values are reported again on a flow only when they change
// (a manager polling every minute repeats them).
//
// Privacy: the community string and the v3 user name are never stored; only
// whether the community is a well-known default.
//
// Known gaps: encrypted v3 PDUs are opaque; sysContact is deliberately not
// kept (personal data); BER with indefinite lengths or multi-byte tags is
// rejected (SNMP does not use them); SNMP over TCP is not read.
package snmp
