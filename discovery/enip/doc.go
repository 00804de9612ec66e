// Package enip dissects EtherNet/IP encapsulation and the CIP messages it
// carries.
//
// Spec followed: The CIP Networks Library Vol. 2 (EtherNet/IP adaptation),
// ch. 2 (encapsulation: 24-byte little-endian header, Common Packet Format
// items) and Vol. 1 (CIP: message router request/response, EPATH logical
// and symbolic segments, common services, Connection Manager, Identity and
// File objects); Rockwell 1756-PM020 for the Logix tag services.
//
// Ports: TCP 44818 (explicit messaging; registered as "enip"), UDP 44818
// (ListIdentity & co., often broadcast) and UDP 2222 (implicit class 0/1
// I/O), both registered as "enip-udp". Detect confirms by payload: a known
// encapsulation command, zero options, and on UDP a length field that
// matches the datagram exactly (a DNS packet from ephemeral port 44818
// fails); I/O on 2222 must be a CPF with a sequenced-address item then a
// connected-data item of consistent length.
//
// Emits:
//   - services: protocol "enip", server/client on tcp or udp 44818; on
//     udp 2222 each I/O sender is a "publisher" and a unicast receiver a
//     "subscriber" (originator and target are only known for sure from the
//     Forward Open, which is usually not in the capture).
//   - cip.io_role (attribute, protocol "cip", confidence 0.6): "originator"
//     / "target" on the two hosts of a unicast udp 2222 flow when one
//     direction has carried only heartbeats (connected data items of at
//     most 2 bytes: the class-1 CIP sequence count alone; at least 2, no
//     data) and the other only process data (more than 2 bytes, at least
//     2, no heartbeat). That is the shape of input-only and listen-only
//     connections, where the originator (scanner) sends heartbeats and the
//     target (adapter, or a controller producing tags) the data. Decided
//     once per flow, when the counts first allow it, and never revoked.
//     Data both ways (exclusive owner), a mix on either side, multicast,
//     or too few packets: no role. A rare output-only connection has the
//     opposite shape and would be reported backwards, hence 0.6. A
//     heartbeat with a run/idle header (6 bytes) is not recognised.
//   - operations: encapsulation commands as protocol "enip"
//     (list_identity/list_services/list_interfaces: discovery;
//     register_session etc.: other); every CIP request as protocol "cip",
//     with Unconnected Send (0x52) unwrapped and Multiple Service Packets
//     (0x0A) unpacked into their services (the wrappers themselves are not
//     counted). Classes: get_* / read_tag* read; set_* / write_tag* /
//     read_modify_write_tag write; reset/start/stop control; create/delete/
//     apply/save config; File object (0x37) downloads program, uploads read;
//     forward_open/close and unconnected_send other. Object-specific codes
//     0x4B-0x63 mean different things per class; unknown ones are
//     "object_specific_0xNN"/other.
//   - attributes (on the replying device, confidence 0.95): enip.vendor_id,
//     enip.vendor_name (curated ODVA table, vendors.go; unknown ids stay a
//     number), enip.device_type (decimal) and enip.device_type_name,
//     enip.product_code, enip.revision ("4.003": major.minor with a
//     three-digit minor as Rockwell prints it; Wireshark shows "4.03"),
//     enip.serial_number ("0x00524d8e": hex as printed on devices; the
//     oracle has the integer), enip.product_name, enip.socket_address.
//     Sources: ListIdentity replies (the identity item's sockaddr_in is
//     big-endian, unlike the rest of the encapsulation) and Identity object
//     (class 0x01) Get_Attributes_All / Get_Attribute_Single replies, paired
//     with their requests by sender context (unconnected) or CIP sequence
//     count (connected), including inside Multiple Service Packets.
//
// Errors: CIP error replies are not reported as operations (the request
// already was); malformed messages return an error naming the part.
//
// Forward Open requests also give the comm attribute cip.transport_class
// (0/1 implicit I/O, 3 explicit).
//
// Known gaps: Forward Open connection ids are not used to give UDP 2222
// I/O roles (only the heartbeat shape above); a multicast T->O producer
// is not marked as a target; CIP Security (TLS/DTLS on
// 2221) is not handled; PCCC inside Execute PCCC (0x4B to class 0x67) is
// classified by command/function (typed and logical reads and writes,
// change mode = control, diagnostics; pccc.go) but its addresses are not
// decoded and no shared capture contains it; ListServices
// and ListInterfaces replies are not read; fragmented connected writes are
// counted per fragment.
package enip
