// Package probe is the active, read-only Modbus/TCP identification behind
// `otzone probe modbus`.
//
// What it sends, per target and unit id:
//   - Read Device Identification (FC 43 / MEI 14), basic stream from object
//     0; regular (from 0x03) and extended (from 0x80) streams when the
//     device's conformity level says it has them; each stream follows "more
//     follows" while the next object id moves forward (at most 16 replies);
//     when stream access is refused with an exception, individual access
//     (code 4) for objects 0x00-0x06, stopping at "illegal function".
//   - Report Server ID (FC 17) with --report-server-id.
//   - Reads (FC 1-4) with --read, at most 125 registers / 2000 bits per
//     request and ten requests' worth per range.
//
// Safety: NewRequest is the only constructor of a Request and the client
// sends nothing else; it refuses every function code but 1, 2, 3, 4, 17
// and 43 with MEI 14, and checks each request's shape and bounds. Requests
// are paced by discovery/probe's Pacer (default 10/s overall, 2/s per host,
// no bursts), each host has one connection and one outstanding request,
// connect and requests time out (3 s default), and a host is dropped at its
// first timeout or connection failure unless Retries allows more. Unit ids
// default to 0 and 255, then 1, stopping at the first identity.
//
// The identity codec (discovery/modbus devid.go) and the gateway rule
// (discovery/modbus UnitRouter: a unit other than 0/1/255 whose identity
// differs from the device's own becomes Endpoint{Sub: "modbus:unit=N"})
// are the passive dissector's, so a probed and a captured device produce the
// same facts. Observations carry Evidence{Kind: "probe", Name:
// "modbus@host:port"}; the probe's own requests are not operations.
//
// Why not github.com/simonvetter/modbus's client: it has no Read Device
// Identification or Report Server ID and no raw-request hook (its
// executeRequest is unexported), and it also offers writes. A minimal MBAP
// client here keeps the allow-list in one place and lets the pacer govern
// every request. The library's server is one of the real peers the tests
// probe.
//
// Tests (peers_test.go, wire_test.go) start pymodbus (testdata/
// pymodbus_server.py: a gateway with several unit ids and a device that
// refuses stream access), simonvetter/modbus's server and a silent
// listener on 127.0.0.2-5, capture the loopback traffic with tcpdump and
// check from the capture alone that only allowed requests were sent, that
// the probe counted every one, and that no run went faster than its rates;
// tshark's decode of the captured identity replies must equal what the
// probe reported. Without root, tcpdump, tshark or python3-pymodbus the
// affected parts skip with a message.
package probe
