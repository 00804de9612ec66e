package opcua

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

func findObs(obs []discovery.Observation, kind discovery.Kind, key, value string) *discovery.Observation {
	for i := range obs {
		if obs[i].Kind == kind && obs[i].Key == key && obs[i].Value == value {
			return &obs[i]
		}
	}
	return nil
}

// TestWithGapCreateSessionResponse: in opcua_with-gap.pcap the server's
// CreateSessionResponse (TypeId 464, MSG size 13990 = 0x36a6 at frame 12
// bytes 0x36..0x3d) spans frames 12-30. tshark 4.0 marks frame 26 (seq
// 10384, the exact continuation of frame 23) a "spurious retransmission"
// and never reassembles the message, so the oracle lacks the server's
// endpoints. The bytes are there: `strings` on the file shows
// "Softing OPC UA Gateway" and "urn:Softing:SoftingOPCUAGateway", and the
// server MAC 00:06:71 is Softing's OUI, matching ApplicationUri
// "urn:00:06:71:33:05:02".
func TestWithGapCreateSessionResponse(t *testing.T) {
	obs := runCapture(t, testutil.SharedPcap(t, "opcua/opcua_with-gap.pcap"), New())
	srv := netip.MustParseAddr("192.168.11.34")
	for _, kv := range [][2]string{
		{"opcua.application_name", "Softing OPC UA Gateway"},
		{"opcua.product_uri", "urn:Softing:SoftingOPCUAGateway"},
		{"opcua.application_uri", "urn:00:06:71:33:05:02"},
		{"opcua.security_policy_uri", "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"},
		{"opcua.security_mode", "SignAndEncrypt"},
	} {
		o := findObs(obs, discovery.KindAttribute, kv[0], kv[1])
		if o == nil {
			t.Errorf("no %s=%q", kv[0], kv[1])
			continue
		}
		if o.Asset.IP != srv || o.Evidence.Frame != 30 {
			t.Errorf("%s on %v frame %d, want %v frame 30", kv[0], o.Asset, o.Evidence.Frame, srv)
		}
	}
	// The channel itself: SecurityPolicy#None, mode None (frame 7), anonymous (frame 31).
	for _, kv := range [][3]string{
		{"opcua.security_mode", "None", "7"},
		{"encrypted", "false", "7"},
		{"opcua.user_token", "anonymous", "31"},
	} {
		o := findObs(obs, discovery.KindCommAttribute, kv[0], kv[1])
		if o == nil || o.Evidence.String() != "pcap:opcua_with-gap.pcap#frame="+kv[2] {
			t.Errorf("comm %s=%s: got %+v, want frame %s", kv[0], kv[1], o, kv[2])
		}
	}
	// The server certificate (in the response) has a subject.
	if o := findObs(obs, discovery.KindAttribute, "opcua.certificate_subject", ""); o != nil {
		t.Errorf("empty certificate subject emitted")
	}
	found := false
	for _, o := range obs {
		if o.Key == "opcua.certificate_subject" && o.Asset.IP == srv {
			found = true
		}
	}
	if !found {
		t.Errorf("no server certificate subject")
	}
}

// TestPendingOverflowFrame1: frame 1 of pending_overflow.pcap is a
// GetEndpointsResponse (tshark: "UA Secure Conversation Message:
// GetEndpointsResponse") sent from port 60001 to 4840, i.e. by the TCP
// client side, carrying ApplicationName "open62541-based OPC UA
// Application". The oracle reads names only from server-to-client frames;
// we attribute the response's content to its sender.
func TestPendingOverflowFrame1(t *testing.T) {
	obs := runCapture(t, testutil.SharedPcap(t, "opcua/pending_overflow.pcap"), New())
	o := findObs(obs, discovery.KindAttribute, "opcua.application_name", "open62541-based OPC UA Application")
	if o == nil || o.Evidence.Frame != 1 {
		t.Fatalf("got %+v, want the name from frame 1", o)
	}
}

// chunk builds a MSG chunk with a clear sequence header around body.
func chunk(ct ChunkType, channel, seq, req uint32, body []byte) []byte {
	b := make([]byte, 24, 24+len(body))
	copy(b, "MSG")
	b[3] = byte(ct)
	binary.LittleEndian.PutUint32(b[4:], uint32(24+len(body)))
	binary.LittleEndian.PutUint32(b[8:], channel)
	binary.LittleEndian.PutUint32(b[12:], 1)
	binary.LittleEndian.PutUint32(b[16:], seq)
	binary.LittleEndian.PutUint32(b[20:], req)
	return append(b, body...)
}

func getEndpointsResponseBody(t *testing.T) []byte {
	// open62541_client-server_mainloop.pcap frame 21: GetEndpointsResponse.
	frames := testutil.ReadFrames(t, testutil.SharedPcap(t, "opcua/open62541_client-server_mainloop.pcap"))
	p := gopacket.NewPacket(frames[20].Data, frames[20].LinkType, gopacket.Default)
	tcp := p.TransportLayer().(*layers.TCP)
	_, rest, err := ParseSymmetric(tcp.Payload)
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := ParseSequence(rest)
	if svc, _, err := ServiceOf(body); err != nil || svc != SvcGetEndpointsResponse {
		t.Fatalf("frame 21: %v %v", svc, err)
	}
	return body
}

func runPDUs(s discovery.Stream, dir discovery.Direction, pdus ...[]byte) []discovery.Observation {
	var out []discovery.Observation
	flow := &discovery.Flow{Client: discovery.Endpoint{IP: netip.MustParseAddr("10.0.0.1")}, Server: discovery.Endpoint{IP: netip.MustParseAddr("10.0.0.2")}, ServerPort: 4840, Transport: discovery.TCP}
	for i, p := range pdus {
		pkt := &discovery.PacketInfo{Evidence: discovery.Evidence{Kind: "pcap", Name: "t", Frame: uint64(i + 1)}, Dir: dir, Flow: flow}
		pkt.Src, pkt.Dst = flow.Client, flow.Server
		if dir == discovery.ToClient {
			pkt.Src, pkt.Dst = flow.Server, flow.Client
		}
		_ = s.Parse(p, pkt, func(o discovery.Observation) { out = append(out, o) })
	}
	return out
}

func attrSet(obs []discovery.Observation) map[string]bool {
	m := map[string]bool{}
	for _, o := range obs {
		if o.Kind == discovery.KindAttribute {
			m[o.Key+"="+o.Value] = true
		}
	}
	return m
}

// TestChunkReassembly splits a real GetEndpointsResponse into three chunks
// (C, C, F): the facts are those of the single-chunk message.
func TestChunkReassembly(t *testing.T) {
	body := getEndpointsResponseBody(t)
	whole := attrSet(runPDUs(New().NewStream(nil), discovery.ToClient, chunk(ChunkFinal, 4, 1, 1, body)))
	if !whole["opcua.endpoint_url=opc.tcp://localhost:4840"] || !whole["opcua.application_name=open62541-based OPC UA Application"] {
		t.Fatalf("single chunk facts: %v", whole)
	}
	a, b := len(body)/3, 2*len(body)/3
	split := attrSet(runPDUs(New().NewStream(nil), discovery.ToClient,
		chunk(ChunkIntermediate, 4, 1, 1, body[:a]), chunk(ChunkIntermediate, 4, 2, 1, body[a:b]), chunk(ChunkFinal, 4, 3, 1, body[b:])))
	if len(split) != len(whole) {
		t.Errorf("split gave %d facts, whole %d", len(split), len(whole))
	}
	for k := range whole {
		if !split[k] {
			t.Errorf("split lost %s", k)
		}
	}
	// An aborted message yields nothing.
	aborted := attrSet(runPDUs(New().NewStream(nil), discovery.ToClient,
		chunk(ChunkIntermediate, 4, 1, 1, body[:a]), chunk(ChunkAbort, 4, 2, 1, nil), chunk(ChunkFinal, 4, 3, 1, body[b:])))
	if len(aborted) != 0 {
		t.Errorf("aborted message gave facts: %v", aborted)
	}
}

func opn(policy string) []byte {
	b := make([]byte, 12)
	copy(b, "OPNF")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(policy)))
	b = append(b, policy...)
	b = binary.LittleEndian.AppendUint32(b, 0xffffffff) // no sender certificate
	b = binary.LittleEndian.AppendUint32(b, 0xffffffff) // no thumbprint
	b = append(b, []byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00}...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
	return b
}

func commValue(obs []discovery.Observation, key string) string {
	for _, o := range obs {
		if o.Kind == discovery.KindCommAttribute && o.Key == key {
			return o.Value
		}
	}
	return ""
}

// TestModeInference: with a non-None policy the OPN body is encrypted; a
// clear MSG body afterwards means Sign, undecodable bodies SignAndEncrypt.
func TestModeInference(t *testing.T) {
	const policy = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"
	read := unhex(t, readFrame33)
	_, rest, _ := ParseSymmetric(read)
	_, readBody, _ := ParseSequence(rest)
	signed := append(append([]byte(nil), readBody...), make([]byte, 32)...) // HMAC-SHA256 appended

	s := New().NewStream(nil)
	obs := runPDUs(s, discovery.ToServer, opn(policy), chunk(ChunkFinal, 7, 2, 2, signed))
	if got := commValue(obs, "opcua.security_mode"); got != "Sign" {
		t.Errorf("Sign channel: mode %q", got)
	}
	if got := commValue(obs, "encrypted"); got != "false" {
		t.Errorf("Sign channel: encrypted %q", got)
	}
	if got := commValue(obs, "authenticated"); got != "true" {
		t.Errorf("Sign channel: authenticated %q", got)
	}
	ops := 0
	for _, o := range obs {
		if o.Kind == discovery.KindOperation && o.Op.Code == 631 {
			ops++
		}
	}
	if ops != 1 {
		t.Errorf("Sign channel: %d read operations, want 1", ops)
	}

	cipher := make([]byte, 200)
	for i := range cipher {
		cipher[i] = byte(i*37 + 11)
	}
	s = New().NewStream(nil)
	obs = runPDUs(s, discovery.ToServer, opn(policy), chunk(ChunkFinal, 7, 2, 2, cipher), chunk(ChunkFinal, 7, 3, 3, cipher))
	if got := commValue(obs, "opcua.security_mode"); got != "" {
		t.Errorf("after 2 encrypted chunks mode already %q", got)
	}
	obs = append(obs, runPDUs(s, discovery.ToServer, chunk(ChunkFinal, 7, 4, 4, cipher))...)
	if got := commValue(obs, "opcua.security_mode"); got != "SignAndEncrypt" {
		t.Errorf("encrypted channel: mode %q", got)
	}
	if got := commValue(obs, "encrypted"); got != "true" {
		t.Errorf("encrypted channel: encrypted %q", got)
	}
	if got := commValue(obs, "opcua.security_policy_uri"); got != policy {
		t.Errorf("policy %q", got)
	}
}

// TestHostileStrings: control characters from the wire never reach an
// observation.
func TestHostileStrings(t *testing.T) {
	url := "opc.tcp://evil\x1b[2J\x00:4840"
	b := make([]byte, 32)
	copy(b, "HELF")
	binary.LittleEndian.PutUint32(b[4:], uint32(32+len(url)))
	binary.LittleEndian.PutUint32(b[12:], 65536)
	binary.LittleEndian.PutUint32(b[16:], 65536)
	binary.LittleEndian.PutUint32(b[28:], uint32(len(url)))
	b = append(b, url...)
	obs := runPDUs(New().NewStream(nil), discovery.ToServer, b)
	o := findObs(obs, discovery.KindAttribute, "opcua.endpoint_url", "opc.tcp://evil [2J :4840")
	if o == nil {
		t.Fatalf("observations: %+v", obs)
	}
	for _, o := range obs {
		if strings.ContainsAny(o.Value, "\x00\x1b") {
			t.Errorf("control character in %q", o.Value)
		}
	}
	_ = hex.EncodeToString
}
