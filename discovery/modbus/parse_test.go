package modbus

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Frames of /work/shared/pcaps/modbus/modbus_example.pcap (tshark -T fields -e tcp.payload).
const (
	// frame 4: "Query: Trans: 1; Unit: 4, Func: 1: Read Coils"
	frame4 = "000100000006040100000001"
	// frame 62: "Response: Trans: 15; Unit: 2, Func: 17: Report Slave ID"
	frame62 = "000f000000350211325a65656b204d6f6462757320546573742d50726f746f636f6c2050617273696e672069732066756e212d312e322e332e36ff"
	// frame 92: "Query: Trans: 23; Unit: 1, Func: 43/1: Read Device Identification"
	frame92 = "001700000005012b0e0100"
	// frame 94: "Response: Trans: 23; Unit: 1, Func: 43/1: Read Device Identification",
	// conformity 0x83, 3 objects: VendorName "Zeek Modbus Test",
	// ProductCode "Protocol Parsing is fun!", MajorMinorRevision "1.2.3.6"
	frame94 = "00170000003d012b0e018300000300105a65656b204d6f646275732054657374011850726f746f636f6c2050617273696e672069732066756e210207312e322e332e36"
	// frame 100: "Response: Trans: 1; Unit: 0, Func: 3: Read Holding Registers. Exception returned"
	// (Wireshark: Exception Code: Illegal data address (2))
	frame100 = "000100000003008302"
)

func TestParseADU(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want ADU
	}{
		{"frame 4 read coils", frame4, ADU{MBAP: MBAP{TransactionID: 1, Length: 6, UnitID: 4}, Function: FCReadCoils}},
		{"frame 92 read device id", frame92, ADU{MBAP: MBAP{TransactionID: 23, Length: 5, UnitID: 1}, Function: FCEncapsulatedInterface}},
		{"frame 100 exception", frame100, ADU{MBAP: MBAP{TransactionID: 1, Length: 3, UnitID: 0}, Function: FCReadHoldingRegisters,
			Exception: true, ExceptionCode: ExIllegalDataAddress}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := unhex(t, tc.hex)
			got, err := ParseADU(b)
			if err != nil {
				t.Fatal(err)
			}
			got.Data = nil
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if n, err := FrameLen(b); err != nil || n != len(b) {
				t.Errorf("FrameLen = %d, %v; want %d", n, err, len(b))
			}
		})
	}
	if got := ExIllegalDataAddress.String(); got != "illegal_data_address" {
		t.Errorf("exception name %q", got)
	}
}

func TestFrameLenRejects(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"protocol id 1", []byte{0, 1, 0, 1, 0, 6, 1, 3}, ErrProtocolID},
		{"length 1", []byte{0, 1, 0, 0, 0, 1, 1, 3}, ErrLength},
		{"length 255", []byte{0, 1, 0, 0, 0, 255, 1, 3}, ErrLength},
		{"tls client hello", []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01}, ErrProtocolID},
	}
	for _, tc := range tests {
		if _, err := FrameLen(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	if n, err := FrameLen([]byte{0, 1, 0, 0, 0}); n != 0 || err != nil {
		t.Errorf("5 bytes: %d, %v; want need-more", n, err)
	}
}

func TestDeviceIDFrame94(t *testing.T) {
	a, err := ParseADU(unhex(t, frame94))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseDeviceIDResponse(a.Data)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range r.Objects {
		got[o.ID.Key()] = CleanString(o.Value)
	}
	want := map[string]string{
		"modbus.vendor_name":  "Zeek Modbus Test",
		"modbus.product_code": "Protocol Parsing is fun!",
		"modbus.revision":     "1.2.3.6",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("objects (-want +got)\n%s", d)
	}
	if r.Code != DevIDBasic || r.Conformity != 0x83 || r.MoreFollows || r.NextObjectID != 0 {
		t.Errorf("header = %+v", r)
	}
	if s := r.Conformity.String(); s != "extended+individual" {
		t.Errorf("conformity %q", s)
	}
	// The encoder rebuilds the same PDU bytes.
	re := AppendDeviceIDResponse(nil, r)
	if !bytes.Equal(re[1:], a.Data) || re[0] != 43 {
		t.Errorf("re-encoded\n%x\nwant\n%x", re[1:], a.Data)
	}
	// And the request of frame 92.
	q, err := ParseADU(unhex(t, frame92))
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseDeviceIDRequest(q.Data)
	if err != nil || req != (DeviceIDRequest{Code: DevIDBasic, ObjectID: 0}) {
		t.Fatalf("request %+v %v", req, err)
	}
	if enc := AppendADU(nil, 23, 1, AppendDeviceIDRequest(nil, req)); !bytes.Equal(enc, unhex(t, frame92)) {
		t.Errorf("request encodes to %x, want %s", enc, frame92)
	}
}

func TestDeviceIDResponseErrors(t *testing.T) {
	ok := AppendDeviceIDResponse(nil, DeviceIDResponse{Code: DevIDRegular, Conformity: 0x82, MoreFollows: true, NextObjectID: 5,
		Objects: []DeviceObject{{ID: ObjVendorURL, Value: []byte("http://x")}, {ID: 0x80, Value: []byte("priv")}}})[1:]
	r, err := ParseDeviceIDResponse(ok)
	if err != nil || !r.MoreFollows || r.NextObjectID != 5 || len(r.Objects) != 2 || r.Objects[1].ID.Key() != "modbus.object_0x80" {
		t.Fatalf("round trip: %+v %v", r, err)
	}
	// Every prefix is an error or a shorter object list, never a panic.
	for i := 0; i < len(ok); i++ {
		if _, err := ParseDeviceIDResponse(ok[:i]); err == nil {
			t.Errorf("prefix %d parsed without error", i)
		}
	}
	bad := append([]byte(nil), ok...)
	bad[3] = 0x01 // more-follows must be 0x00 or 0xFF
	if _, err := ParseDeviceIDResponse(bad); err == nil {
		t.Error("bad more-follows accepted")
	}
}

func TestCleanString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Zeek\x00\x00", "Zeek"},
		{"  a\tb\r\n", "a b"},
		{"\xffok", "\ufffdok"},
	}
	// Escape sequences lose their control byte (the rest is wirestr's business).
	if got := CleanString([]byte("\x1b[31mred")); strings.ContainsRune(got, 0x1b) || !strings.HasSuffix(got, "[31mred") {
		t.Errorf("escape sequence cleaned to %q", got)
	}
	if got := CleanString([]byte(strings.Repeat("x", 400))); len(got) > MaxValueLen+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("400 bytes cleaned to %d bytes %q", len(got), got)
	}
	for _, tc := range tests {
		if got := CleanString([]byte(tc.in)); got != tc.want {
			t.Errorf("CleanString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestClassifyUMASAndDiag(t *testing.T) {
	tests := []struct {
		pdu   string // function code first
		name  string
		class discovery.OpClass
	}{
		{"5a0041", "umas_stop_plc", discovery.OpControl},
		{"5a0040", "umas_start_plc", discovery.OpControl},
		{"5a0134", "umas_download_block", discovery.OpProgram},
		{"5a0023", "umas_write_variables", discovery.OpWrite},
		{"5a0022", "umas_read_variables", discovery.OpRead},
		{"5a0002", "umas_read_id", discovery.OpDiscovery},
		{"5a00ee", "umas_function_238", discovery.OpOther},
		{"5a", "umas", discovery.OpOther},
		{"0800040000", "diagnostics_force_listen_only_mode", discovery.OpControl},
		{"080001ff00", "diagnostics_restart_communications_option", discovery.OpControl},
		{"0800000102", "diagnostics", discovery.OpDiagnostic},
		{"2b0d00", "canopen_general_reference", discovery.OpOther},
		{"41", "function_65", discovery.OpOther},
	}
	for _, tc := range tests {
		a, err := ParseADU(AppendADU(nil, 1, 1, unhex(t, tc.pdu)))
		if err != nil {
			t.Fatal(err)
		}
		op := ClassifyRequest(&a)
		if op.Name != tc.name || op.Class != tc.class || op.Code != int(unhex(t, tc.pdu)[0]) {
			t.Errorf("%s: got %+v, want %s/%s", tc.pdu, op, tc.name, tc.class)
		}
	}
}

// TestEveryPrefix feeds every prefix of real frames to the framing and the
// parser: need-more or an error, never a panic, never a bogus length.
func TestEveryPrefix(t *testing.T) {
	for _, h := range []string{frame4, frame62, frame92, frame94, frame100} {
		b := unhex(t, h)
		for i := 0; i < len(b); i++ {
			n, err := FrameLen(b[:i])
			if err != nil {
				t.Fatalf("%s prefix %d: %v", h, i, err)
			}
			if n != 0 && n != len(b) {
				t.Fatalf("%s prefix %d: length %d, want 0 or %d", h, i, n, len(b))
			}
			_, _ = ParseADU(b[:i])
			s := &stream{}
			_ = s.Parse(b[:i], &discovery.PacketInfo{Dir: discovery.ToClient}, func(discovery.Observation) {})
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, h := range []string{frame4, frame62, frame92, frame94, frame100, "0001000000055a000241ee"} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := FrameLen(b)
		if err == nil && n > 0 && n > MaxADULen {
			t.Fatalf("frame length %d > %d", n, MaxADULen)
		}
		a, err := ParseADU(b)
		if err == nil {
			_ = ClassifyRequest(&a)
			if a.Function == FCEncapsulatedInterface {
				_, _ = ParseDeviceIDResponse(a.Data)
				_, _ = ParseDeviceIDRequest(a.Data)
			}
		}
		for _, dir := range []discovery.Direction{discovery.ToServer, discovery.ToClient} {
			s := &stream{}
			_ = s.Parse(b, &discovery.PacketInfo{Dir: dir}, func(o discovery.Observation) {
				if len(o.Value) > MaxValueLen+2 {
					t.Fatalf("value of %d bytes", len(o.Value))
				}
			})
		}
	})
}

func BenchmarkParse(b *testing.B) {
	// frames 4 and 6 of modbus_example.pcap: Read Coils query and response.
	req, resp := unhex(b, frame4), unhex(b, "00010000000404010101")
	s := &stream{}
	pkt := &discovery.PacketInfo{Flow: &discovery.Flow{ServerPort: 502}}
	emit := func(discovery.Observation) {}
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		pkt.Dir = discovery.ToServer
		_ = s.Parse(req, pkt, emit)
		pkt.Dir = discovery.ToClient
		_ = s.Parse(resp, pkt, emit)
	}
}

func collect(t *testing.T, s *stream, dir discovery.Direction, adu []byte, server discovery.Endpoint) []discovery.Observation {
	t.Helper()
	var out []discovery.Observation
	pkt := &discovery.PacketInfo{Dir: dir, Flow: &discovery.Flow{Server: server, ServerPort: 502}}
	if err := s.Parse(adu, pkt, func(o discovery.Observation) { out = append(out, o) }); err != nil {
		t.Fatal(err)
	}
	return out
}

func idReply(unit uint8, txid uint16, vendor, product string) []byte {
	return AppendADU(nil, txid, unit, AppendDeviceIDResponse(nil, DeviceIDResponse{Code: DevIDBasic, Conformity: 0x01,
		Objects: []DeviceObject{{ID: ObjVendorName, Value: []byte(vendor)}, {ID: ObjProductCode, Value: []byte(product)}, {ID: ObjMajorMinorRevision, Value: []byte("v1")}}}))
}

// TestGatewayRouting: identities of unit ids other than 0/1/255 become Sub
// endpoints unless they repeat the identity the device gave for a direct
// unit id (a device that answers on every unit id).
func TestGatewayRouting(t *testing.T) {
	var server discovery.Endpoint
	server.IP = mustAddr("10.0.0.5")
	s := &stream{}
	vendorOf := func(obs []discovery.Observation) map[string]string {
		m := map[string]string{}
		for _, o := range obs {
			if o.Key == "modbus.vendor_name" {
				m[o.Asset.Sub] = o.Value
			}
		}
		return m
	}
	// unit 255: the gateway itself.
	if got := vendorOf(collect(t, s, discovery.ToClient, idReply(255, 1, "GW Corp", "GW-1"), server)); got[""] != "GW Corp" {
		t.Errorf("unit 255 -> %v", got)
	}
	// unit 3: another device behind it.
	if got := vendorOf(collect(t, s, discovery.ToClient, idReply(3, 2, "Meter Inc", "M-3"), server)); got["modbus:unit=3"] != "Meter Inc" {
		t.Errorf("unit 3 -> %v", got)
	}
	// unit 7 answers with the gateway's own identity: the gateway, not a sub-device.
	if got := vendorOf(collect(t, s, discovery.ToClient, idReply(7, 3, "GW Corp", "GW-1"), server)); got[""] != "GW Corp" || len(got) != 1 {
		t.Errorf("unit 7 -> %v", got)
	}
	// The same reply again is not re-emitted.
	if got := collect(t, s, discovery.ToClient, idReply(3, 4, "Meter Inc", "M-3"), server); len(got) != 0 {
		t.Errorf("repeated identity emitted again: %v", got)
	}
}

// TestExceptionObservations: frame 100 of modbus_example.pcap (exception 2
// to Read Holding Registers) becomes one comm attribute; a gateway
// exception (11) also marks the server as a gateway.
func TestExceptionObservations(t *testing.T) {
	s := &stream{}
	obs := collect(t, s, discovery.ToClient, unhex(t, frame100), discovery.Endpoint{})
	var got []string
	for _, o := range obs {
		if o.Kind == discovery.KindCommAttribute || o.Kind == discovery.KindAttribute {
			got = append(got, o.Key+"="+o.Value)
		}
	}
	if d := cmp.Diff([]string{"modbus.exception=read_holding_registers: illegal_data_address"}, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if again := collect(t, s, discovery.ToClient, unhex(t, frame100), discovery.Endpoint{}); len(again) != 0 {
		t.Errorf("repeated exception emitted again: %v", again)
	}
	obs = collect(t, s, discovery.ToClient, AppendADU(nil, 9, 5, []byte{0x83, 0x0b}), discovery.Endpoint{})
	got = got[:0]
	for _, o := range obs {
		got = append(got, o.Key+"="+o.Value)
	}
	if d := cmp.Diff([]string{"modbus.gateway=true", "modbus.exception=read_holding_registers: gateway_target_device_failed_to_respond"}, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func TestDetect(t *testing.T) {
	d := New()
	if v := d.Detect(unhex(t, frame4), discovery.ToServer); v != discovery.Yes {
		t.Errorf("frame 4: %v", v)
	}
	if v := d.Detect(unhex(t, frame100), discovery.ToServer); v != discovery.No {
		t.Errorf("exception from client: %v", v)
	}
	if v := d.Detect(unhex(t, frame100), discovery.ToClient); v != discovery.Yes {
		t.Errorf("frame 100: %v", v)
	}
	if v := d.Detect([]byte("GET / HTTP/1.1\r\n"), discovery.ToServer); v != discovery.No {
		t.Errorf("http: %v", v)
	}
	if v := d.Detect([]byte{0, 1, 0}, discovery.ToServer); v != discovery.NeedMore {
		t.Errorf("3 bytes: %v", v)
	}
}

// TestExceptionNamesRequest: the paired request names what failed, which
// the reply's function code alone cannot (MEI type, UMAS sub-function).
func TestExceptionNamesRequest(t *testing.T) {
	s := &stream{}
	var got []string
	for _, step := range []struct {
		dir discovery.Direction
		adu []byte
	}{
		{discovery.ToServer, AppendADU(nil, 5, 1, []byte{0x2b, 0x0e, 0x01, 0x00})},
		{discovery.ToClient, AppendADU(nil, 5, 1, []byte{0xab, 0x01})},
		{discovery.ToServer, AppendADU(nil, 6, 0, []byte{0x5a, 0x2c, 0x41, 0xff, 0x00})},
		{discovery.ToClient, AppendADU(nil, 6, 0, []byte{0x5a, 0x2c, 0xfd, 0x01})},
		{discovery.ToClient, AppendADU(nil, 99, 0, []byte{0xda, 0x04})}, // unpaired UMAS exception
	} {
		for _, o := range collect(t, s, step.dir, step.adu, discovery.Endpoint{}) {
			if o.Kind == discovery.KindCommAttribute {
				got = append(got, o.Value)
			}
		}
	}
	want := []string{"read_device_identification: illegal_function", "umas_stop_plc: umas_error", "umas: server_device_failure"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}
