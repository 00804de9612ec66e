// Package tls reads the clear-text part of TLS handshakes (RFC 5246 for
// TLS 1.2 and earlier, RFC 8446 for TLS 1.3; server_name RFC 6066) on TCP
// 443, and on any unclaimed port through its heuristic Detect (a handshake
// record carrying a ClientHello). Ports other dissectors claim (OPC UA's
// 4843, for one) are theirs.
//
// Records are framed by their 5-byte header; handshake messages spanning
// records are reassembled in a per-direction buffer of at most 64 KiB.
// After ChangeCipherSpec, application data, or a TLS 1.3 ServerHello, the
// direction is encrypted and only framed.
//
// Observations:
//
//	service         ClientHello sender "client", ServerHello sender "server"
//	attribute       on the server: tls.sni (the name the client asked for, 0.7),
//	                tls.version ("TLS 1.2"; the negotiated one, from
//	                supported_versions for 1.3, 0.9), and from the server's
//	                certificate (TLS ≤ 1.2 only; 1.3 encrypts it, 0.9):
//	                tls.cert_subject and tls.cert_issuer (RFC 2253 form,
//	                "CN=plc-line3.plant.local,O=Plant Line 3"), tls.cert_not_after
//	                (RFC 3339), tls.cert_self_signed ("true" when subject equals
//	                issuer), tls.cert_dns_name (up to 4 SAN DNS names, 0.8);
//	                on the client: tls.client_cert_subject (mutual TLS ≤ 1.2),
//	                tls.ja3 (the MD5 JA3 fingerprint of its ClientHello, GREASE
//	                values left out as RFC 8701 intends: it names client software,
//	                not a host; 0.9); on the server: tls.ja3s (the MD5 JA3S
//	                fingerprint of its ServerHello: version, chosen cipher suite,
//	                extension types; 0.9)
//	comm_attribute  encrypted=true, tls.version, tls.cipher_suite ("0xc02f", the
//	                IANA code point) once the ServerHello is seen; tls.alpn, the
//	                application protocols the client offered ("h2,http/1.1")
//
// Known gaps: SSLv2-format hellos are not recognised; JA4 fingerprints,
// the ALPN the server chose and certificate chains beyond
// the leaf are not reported;
// QUIC/DTLS are not read; cipher suites are code points, not names.
package tls
