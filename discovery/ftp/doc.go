// Package ftp reads the FTP control connection (RFC 959; AUTH TLS RFC 4217)
// on TCP 21. Data connections (PORT/PASV) are not followed.
//
// Lines are framed by LF (at most 2048 bytes). Replies are "ddd text" or
// multi-line "ddd-text ... ddd text"; commands are a verb and arguments.
//
// Observations:
//
//	service         server "server", client "client" (port 21)
//	attribute       on the server (0.9): ftp.banner, the first line of the 220
//	                greeting ("ProFTPD 1.3.5 Server (PLC FTP)"); ftp.system, the
//	                215 reply to SYST ("UNIX Type: L8")
//	operation       per command (Code is the table index below):
//	                read: retr, list, nlst, mlsd, mlst, size, mdtm, cwd, pwd
//	                write: stor, stou, appe, dele, rmd, mkd, rnfr, rnto
//	                config: site; other: user, pass, auth, quit and any other verb
//	                (name "other")
//	comm_attribute  encrypted=false (true after AUTH TLS is accepted with 234, when
//	                the rest of the control connection is TLS and no longer read);
//	                cleartext_credentials=true when USER is sent in clear (the
//	                user name and password are never stored)
//
// Detect: a server greeting "220" or a known command verb. Not heuristic:
// a 220 greeting also opens SMTP.
//
// Known gaps: implicit FTPS (990) is not read; file names are not kept;
// anonymous logins are not told apart.
package ftp
