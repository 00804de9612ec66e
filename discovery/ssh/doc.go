// Package ssh reads the SSH identification exchange (RFC 4253 section 4.2)
// on TCP 22, and on any unclaimed port through its heuristic Detect (the
// "SSH-" identification string). Everything after the identification lines
// is the binary packet protocol, encrypted after key exchange: it is framed
// as opaque bytes and not read.
//
// Observations:
//
//	service         client and server roles (port = the flow's server port)
//	attribute       ssh.banner on each side: its identification string without
//	                "SSH-": "2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6" (0.9; names the
//	                implementation and often the OS package version)
//	comm_attribute  encrypted=true; ssh.protocol_version "2.0" (or "1.99",
//	                "1.5": SSH-1 is broken and worth a finding)
//
// Known gaps: key exchange algorithms (KEXINIT) and host key types are not
// reported; lines a server sends before its identification are skipped.
package ssh
