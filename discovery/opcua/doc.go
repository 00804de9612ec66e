// Package opcua dissects OPC UA binary (opc.tcp): the UA Connection
// Protocol and UA Secure Conversation of OPC 10000-6 (Part 6, 7.1 and 6.7),
// with service structures from OPC 10000-4 (Part 4).
//
// Ports: TCP 4840 is claimed; the dissector is also Heuristic, so any other
// port is recognised by its first message. Detect checks a Hello field by
// field (chunk 'F', buffer sizes >= 1024, a size equal to 32 + URL length,
// a URL that starts "opc.tcp://"), an Acknowledge (size 28), an Error (a Bad
// status), a ReverseHello (an opc.tcp URL) and an OpenSecureChannel (a
// SecurityPolicy URI). A stream captured mid-session starts with MSG or
// CLO, whose body may be encrypted; it is accepted on its header alone
// (type, chunk F/C/A, size in [24, 16 MiB], non-zero secure channel id).
// That is weaker than the rest; it matters only on unclaimed ports.
//
// What is read:
//
//   - Framing: every chunk's 8-byte header (HEL/ACK/ERR/RHE/OPN/CLO/MSG,
//     chunk F/C/A, size). Multi-chunk messages (C...F) are reassembled per
//     direction up to 256 KiB when their bodies are clear; 'A' discards.
//   - Hello: EndpointUrl -> server attribute opcua.endpoint_url.
//   - OpenSecureChannel (asymmetric header, always clear): SecurityPolicyUri
//     -> comm attribute opcua.security_policy_uri and server attributes
//     opcua.security_policy_uri / opcua.security_policy (short name); the
//     sender certificate (crypto/x509) -> opcua.certificate_subject,
//     opcua.certificate_not_after, opcua.certificate_uri on the sender.
//     With policy None the body is clear and the requested
//     MessageSecurityMode gives opcua.security_mode.
//   - Channel protection (comm attributes of client->server):
//     opcua.security_mode None|Sign|SignAndEncrypt, encrypted (true only for
//     SignAndEncrypt), authenticated (Sign or SignAndEncrypt). With a non-None
//     policy the OPN body is encrypted, so the mode is inferred from the
//     first MSG: a clear body (known service TypeId) means Sign (confidence
//     0.8); three undecodable final chunks and none clear mean SignAndEncrypt
//     (0.8; 0.6 when no OPN was seen at all).
//   - MSG on None and Sign channels: the service TypeId (numeric, ns 0).
//     Every request is an operation (code = the request's binary encoding id,
//     name snake_case). Classes: read (Read, HistoryRead, Browse,
//     BrowseNext, TranslateBrowsePaths, RegisterNodes, Query*, all
//     subscription and monitored-item services incl. Publish); write (Write
//     673, HistoryUpdate); control (Call 712: a method runs server code such
//     as start/stop/reset, so it is control rather than write; the oracle's
//     "write operations" list it beside Write); config (AddNodes,
//     DeleteNodes, Add/DeleteReferences, RegisterServer(2)); discovery
//     (FindServers, FindServersOnNetwork, GetEndpoints); other (Open/Close
//     SecureChannel, Create/Activate/CloseSession, Cancel).
//   - GetEndpoints and CreateSession responses: each endpoint's URL, policy,
//     mode, user token types (opcua.user_token_type), and the server's
//     ApplicationDescription (opcua.application_uri, opcua.application_name,
//     opcua.product_uri, opcua.application_type) and certificate, on the
//     responder. FindServers responses: on the responder when it lists one
//     server or names the responder's address, else on the IP literal of the
//     entry's discovery URL, else dropped.
//   - CreateSession request: the client's ApplicationDescription and
//     certificate on the client; the requested EndpointUrl on the server.
//   - ActivateSession request: the kind of user identity token (comm
//     attribute opcua.user_token: anonymous|username|certificate|issued).
//     Nothing of the token itself (user name, password) is read or stored.
//   - Services: the server (role "server", port = the server port) and the
//     client (role "client"), once per flow.
//
// Attributes are emitted once per flow per (asset, key, value); wire strings
// are copied, stripped of control characters and capped at 256 bytes.
//
// Known gaps: ERR messages (refused connections) are parsed but not
// emitted; ServiceFault responses are not reported; signatures are not
// verified; encrypted channels yield only headers, policy, certificates and
// sizes; a Sign-mode channel with a non-standard policy has an unknown
// signature length, so its multi-chunk messages may not reassemble;
// JSON/XML and HTTPS encodings, and PubSub (UADP), are not dissected.
package opcua
