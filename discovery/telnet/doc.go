// Package telnet reads Telnet (RFC 854, option negotiation RFC 855) on TCP
// 23. Telnet is clear text: this dissector records that a session exists,
// what the server says about itself, and whether a login went over it.
//
// The byte stream is read as it arrives (no PDUs): IAC command sequences
// (IAC WILL/WONT/DO/DONT opt, IAC SB ... IAC SE) are stripped from the
// server's text, of which at most 512 bytes are kept per flow until the
// banner is taken.
//
// Observations:
//
//	service         server "server", client "client" (port 23)
//	attribute       telnet.banner on the server: its first text before a login
//	                prompt (or its first 256 bytes), lines joined by " / ", e.g.
//	                "User Access Verification" or a PLC's greeting (0.8)
//	comm_attribute  encrypted=false; cleartext_credentials=true when the client
//	                sends data after a "login:", "username:" or "password:" prompt
//	                (nothing the client types is stored)
//
// Detect accepts a stream opening with IAC option negotiation or with
// printable text; it is not a heuristic (too weak off port 23).
//
// Known gaps: no operations are derived from typed commands; RFC 2946
// Telnet encryption and Telnet-over-TLS are not recognised.
package telnet
