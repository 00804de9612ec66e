// Package smb reads SMB over TCP 445 (direct hosting) and 139 (NetBIOS
// session service, RFC 1002), and on unclaimed ports through its heuristic
// Detect: SMB1 ([MS-CIFS]), SMB2/SMB3 ([MS-SMB2]) headers and the NTLMSSP
// messages ([MS-NLMP] 2.2) in session setup security blobs (found by their
// signature, inside SPNEGO or bare).
//
// Framing is the 4-byte session header. A message larger than 64 KiB (file
// data) is handed over as its first 64 KiB and the rest passed over in
// pieces, so no read or write is buffered whole.
//
// Observations:
//
//	service         server "server", client "client" (port 445 or 139)
//	attribute       on the server: smb.hostname, smb.domain (NetBIOS names from the
//	                NTLMSSP CHALLENGE target info, 0.9), smb.dns_hostname, smb.dns_domain
//	                (lower-cased), smb.os_version ("10.0.17763": the NTLM version
//	                structure, i.e. the Windows build; major versions outside 1-20 are
//	                filler, e.g. impacket's 255.255.65535, and are dropped), smb.dialect ("SMB 3.1.1",
//	                "SMB1 NT LM 0.12", 0.95); the NetBIOS called name of a session
//	                request as smb.hostname (0.7)
//	                on the client: smb.hostname and smb.domain from the NTLMSSP
//	                AUTHENTICATE (workstation, domain; 0.8), smb.os_version, the
//	                calling name of a session request (0.7)
//	operation       SMB2 read (read), write and set_info (write); SMB1 read_andx
//	                (read), write_andx (write). Code is the command number.
//	comm_attribute  smb.version "1" or "2" (SMB2 and SMB3 share the header),
//	                smb.dialect, smb.signing_required "true|false" (negotiate
//	                response security mode), authenticated=true after an NTLM
//	                AUTHENTICATE with a user, encrypted=true on an SMB3 transform
//	                header, encrypted=false when READ/WRITE travel in clear after
//	                the session was set up
//
// Privacy: the NTLM user name is never stored, only that one was sent.
//
// Compound SMB2 messages are followed through NextCommand (at most 16 commands).
//
// Known gaps: Kerberos session setups carry no names we read; tree connect
// paths (ADMIN$, C$) and file names are not reported; compressed messages
// are skipped; SMB over QUIC is not read.
package smb
