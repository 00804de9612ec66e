// Package probe is the active OPC UA probe behind `otzone probe opcua`:
// opt-in, read-only, paced discovery of explicitly named opc.tcp endpoints.
//
// Per target it sends, on one TCP connection and one SecurityPolicy#None
// secure channel: Hello, OpenSecureChannel, FindServers, GetEndpoints, and
// — only when the server offers an endpoint with SecurityPolicy#None, mode
// None, the binary transport and an anonymous user token on the port the
// user named — CreateSession (no client certificate), ActivateSession
// (anonymous), one Read of ServerStatus.State/StartTime and the BuildInfo variables
// (ProductName, ProductUri, ManufacturerName, SoftwareVersion, BuildNumber,
// BuildDate), CloseSession; then CloseSecureChannel. It never dials another
// address than the target, never opens a signed or encrypted channel (it
// has no certificate), never sends credentials, writes, method calls or
// subscriptions.
//
// Enforcement: Allowed (allow.go) is the one list of services the probe
// can send. Every chunk goes through guardConn.Write, which decodes it with
// the passive dissector's parser (discovery/opcua) and refuses, before any
// byte is written, anything that is not a Hello, a None-policy OPN carrying
// OpenSecureChannelRequest, a CLO carrying CloseSecureChannelRequest, or a
// final MSG chunk carrying an allowed request; the connection is then
// closed. Since the channel is always None, every body is in clear and
// checkable. allow_test.go proves the refusal for every request service the
// dissector knows; wire_test.go captures a run on loopback with tcpdump and
// reads it back with the passive dissector through the engine.
//
// Pacing and target rules come from discovery/probe: every chunk (Hello
// included) waits for both the global and the per-host schedule; targets
// are unicast addresses or host names, never ranges. Replies are bounded
// (1 MiB per chunk, 4 MiB and 64 chunks per message) and every string is
// sanitised before it is stored.
//
// Observations (Evidence "probe:opcua@host:port", on the server's IP):
// the opcua service (role server), opcua.endpoint_url,
// opcua.security_policy_uri, opcua.security_policy, opcua.security_mode,
// opcua.user_token_type, opcua.transport_profile_uri, opcua.endpoint (one line per endpoint: URL,
// policy, mode, token types, security level), opcua.application_uri /
// application_name / product_uri / application_type, the server
// certificate (opcua.certificate_subject, _issuer, _not_before, _not_after,
// _signature_algorithm, _key_bits, _self_signed, _uri), and after a session
// opcua.product_name, opcua.manufacturer_name, opcua.software_version,
// opcua.build_number, opcua.build_date, opcua.start_time, opcua.server_state.
//
// Tests run against two real servers on a free loopback port: gopcua's own
// (github.com/gopcua/opcua/server v0.8.0) and node-opcua 2.160.0
// (testdata/server, installed with `npm ci --prefix
// discovery/opcua/probe/testdata/server`; the test skips without it).
//
// Gaps: no sessions over Sign/SignAndEncrypt (no client certificate
// support), no user-name sessions (by design), no ReverseHello, no
// FindServersOnNetwork (LDS-ME), no HTTPS/WebSocket transports.
package probe
