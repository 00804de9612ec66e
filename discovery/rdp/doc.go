// Package rdp reads the start of the Remote Desktop Protocol connection
// sequence ([MS-RDPBCGR] 2.2.1.1 Client X.224 Connection Request, 2.2.1.2
// Server X.224 Connection Confirm) on TCP 3389: TPKT (RFC 1006) + X.224
// (ISO 8073) carrying the routing token or cookie and the RDP negotiation
// request, response or failure. Everything after the Connection Confirm is
// TLS/CredSSP or RDP-encrypted and is framed as opaque bytes.
//
// Observations:
//
//	service         server "server", client "client" (port 3389)
//	comm_attribute  rdp.requested_protocols  what the client offers, comma-separated:
//	                                         rdp, ssl, hybrid (CredSSP), rdstls, hybrid_ex, rdsaad
//	                rdp.selected_protocol    what the server picked
//	                rdp.cookie_present       "true" when the client sent "Cookie: mstshash=…";
//	                                         the user name in it is NOT stored (privacy: it
//	                                         names a person; presence is what an assessor needs)
//	                rdp.negotiation_failure  the failure code name (e.g. hybrid_required_by_server)
//	                encrypted                "true" once a protocol is selected (standard RDP
//	                                         security is RC4-encrypted too)
//	                authenticated            "true" for CredSSP/RDSTLS/RDSAAD (network level
//	                                         authentication before the session), else "false"
//	attribute       on the server (0.9): rdp.nla_required "true" when it refuses a client
//	                with HYBRID_REQUIRED_BY_SERVER or selects CredSSP; "false" when it
//	                accepts standard RDP security or TLS alone
//
// Detect accepts a TPKT/X.224 Connection Request (to the server) or Confirm
// (to the client). Not heuristic: TPKT/COTP also carries S7comm and MMS.
//
// Known gaps: routing tokens (load balancer "Cookie: msts=") are ignored; the
// MCS/GCC client data (client name, build) is not read, neither when TLS
// hides it nor in the rare standard-RDP-security sessions where it is clear;
// RDP over UDP (3389/udp) is not read.
package rdp
