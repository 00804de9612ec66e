package http

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/http/http.pcap is written by testdata/fixtures/http/gen_fixture.py (scapy). tshark -Y http reads:
//
//	4  10.10.20.21 → 10.10.10.13 GET / HTTP/1.1, Host 10.10.10.13, User-Agent "Mozilla/5.0 (Windows NT 10.0; ...)"
//	18 HTTP/1.1 200 OK (text/html), Server "Boa/0.94.14rc21", chunked in 70-octet chunks over 100-byte
//	   segments (frames 5-18); the page's <title> is "SIMATIC 1500 - PLC_Line3" (set by the script)
//	19 HEAD /Portal/Portal.mwsl; 20 its 200 OK with Content-Length 5120 and no body
//	21 POST /FormLogin, Authorization: Basic; 22 302 Found, Content-Length 0
//	29 10.10.20.22 → 10.10.10.40:8080 GET /api/v1/status, User-Agent python-requests/2.31.0, Host gw-line3:8080
//	30 200 OK, Server nginx/1.18.0 (JSON); 31 PUT /api/v1/setpoint; 32 HTTP/1.0 204 No Content
func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("http", "http.pcap")), "http.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const hmi, plc, ews, gw = "10.10.20.21", "10.10.10.13", "10.10.20.22", "10.10.10.40"
	checks := []struct {
		who, key string
		want     []string
	}{
		{plc, "http.server", []string{"Boa/0.94.14rc21"}},
		{plc, "http.title", []string{"SIMATIC 1500 - PLC_Line3"}},
		{plc, "http.host", nil}, // Host: 10.10.10.13 is an address, not a name
		{hmi, "http.user_agent", []string{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}},
		{gw, "http.server", []string{"nginx/1.18.0"}},
		{gw, "http.host", []string{"gw-line3:8080"}},
		{ews, "http.user_agent", []string{"python-requests/2.31.0"}},
	}
	for _, c := range checks {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	if got := h.Ops(hmi); !slices.Equal(got, []string{"get/read", "head/read", "post/write"}) {
		t.Errorf("hmi ops %q", got)
	}
	if got := h.Ops(ews); !slices.Equal(got, []string{"get/read", "put/write"}) {
		t.Errorf("ews ops %q", got)
	}
	if got := h.Services(gw); !slices.Equal(got, []string{"http/tcp/8080/server"}) {
		t.Errorf("heuristic port services %q", got)
	}
	if got := h.Comm(hmi, "cleartext_credentials"); !slices.Equal(got, []string{"true"}) {
		t.Errorf("cleartext_credentials %q", got)
	}
	if got := h.Comm(ews, "cleartext_credentials"); got != nil {
		t.Errorf("ews cleartext_credentials %q", got)
	}
	for _, o := range h.Obs {
		if strings.Contains(o.Value, "plant123") || strings.Contains(o.Value, "YWRtaW46") {
			t.Errorf("stored a credential: %+v", o)
		}
	}
}

// TestSplit feeds the PLC session's client and server bytes to one stream
// split at every position: the result must not depend on segmentation.
func TestSplit(t *testing.T) {
	var toServer, toClient []byte
	for _, f := range testutil.ReadFrames(t, testutil.Fixture("http", "http.pcap")) {
		sport, dport := int(f.Data[34])<<8|int(f.Data[35]), int(f.Data[36])<<8|int(f.Data[37])
		if len(f.Data) <= 54 || (sport != 50080 && dport != 50080) {
			continue
		}
		p := f.Data[54:]
		if dport == 80 {
			toServer = append(toServer, p...)
		} else {
			toClient = append(toClient, p...)
		}
	}
	run := func(chunks [2][][]byte) []string {
		s := New().NewStream(nil)
		var got []string
		emit := func(o discovery.Observation) { got = append(got, o.Kind.String()+" "+o.Key+"="+o.Value+o.Op.Name) }
		for dir := discovery.ToServer; dir <= discovery.ToClient; dir++ {
			var buf []byte
			pkt := &discovery.PacketInfo{Dir: dir}
			pkt.Evidence.Frame = 1
			for _, c := range chunks[dir] {
				buf = append(buf, c...)
				for len(buf) > 0 {
					n, err := s.PDULen(buf, dir)
					if err != nil {
						t.Fatal(err)
					}
					if n == 0 || n > len(buf) {
						break
					}
					if err := s.Parse(buf[:n], pkt, emit); err != nil {
						t.Fatal(err)
					}
					buf = buf[n:]
				}
			}
		}
		return got
	}
	want := run([2][][]byte{{toServer}, {toClient}})
	if len(want) < 8 {
		t.Fatalf("whole-stream run emitted only %q", want)
	}
	for _, at := range []int{1, 17, 60, 200, len(toClient) / 2, len(toClient) - 3} {
		cs, cc := min(at, len(toServer)-1), at
		got := run([2][][]byte{{toServer[:cs], toServer[cs:]}, {toClient[:cc], toClient[cc:]}})
		if !slices.Equal(got, want) {
			t.Errorf("split at %d: %q, want %q", at, got, want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	var h Header
	in := "GET /x HTTP/1.1\r\nHost: a\r\nUser-Agent: b\r\nContent-Length: 12\r\n\r\n"
	if n, err := HeadLen([]byte(in)); err != nil || n != len(in) {
		t.Fatalf("HeadLen %d %v", n, err)
	}
	if err := ParseHeader([]byte(in), &h); err != nil || h.Method != MethodGET || string(h.Target) != "/x" || h.ContentLength != 12 || string(h.UserAgent) != "b" {
		t.Errorf("%v %+v", err, h)
	}
	for _, bad := range []string{"GARBAGE\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: 9999999999999999999999\r\n\r\n"} {
		if err := ParseHeader([]byte(bad), &h); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := HeadLen([]byte("GET / HTTP/1.1\r\n" + strings.Repeat("X: y\r\n", 4000))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized head: %v", err)
	}
	for in, want := range map[string]discovery.Verdict{"GET / HTTP/1.1\r\n": discovery.Yes, "HTTP/1.0 200 OK": discovery.Yes,
		"GE": discovery.NeedMore, "HTT": discovery.NeedMore, "\x16\x03\x01": discovery.No, "SSH-2.0-x\r\n": discovery.No,
		"GET /index.html": discovery.NeedMore, "HELLO world\r\n": discovery.No} {
		if got := New().Detect([]byte(in), discovery.ToServer); got != want {
			t.Errorf("Detect(%q) = %v, want %v", in, got, want)
		}
	}
	if title, ok := Title([]byte("<HTML><TITLE id=x>  PLC &amp; HMI </TITLE>")); !ok || string(title) != "PLC &amp; HMI" {
		t.Errorf("title %q %v", title, ok)
	}
}

func FuzzParse(f *testing.F) {
	for _, fr := range testutil.ReadFrames(f, testutil.Fixture("http", "http.pcap")) {
		if len(fr.Data) > 54 {
			f.Add(fr.Data[54:])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New().NewStream(nil)
		for dir := discovery.ToServer; dir <= discovery.ToClient; dir++ {
			buf := b
			pkt := &discovery.PacketInfo{Dir: dir}
			for i := 0; len(buf) > 0 && i < 1000; i++ {
				n, err := s.PDULen(buf, dir)
				if err != nil || n == 0 || n > len(buf) {
					break
				}
				_ = s.Parse(buf[:n], pkt, func(discovery.Observation) {})
				buf = buf[n:]
			}
		}
	})
}

func BenchmarkParseHeader(b *testing.B) {
	in := []byte("GET /api/v1/status HTTP/1.1\r\nHost: gw-line3:8080\r\nUser-Agent: python-requests/2.31.0\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n")
	var h Header
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseHeader(in, &h); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRealCurl: testdata/fixtures/http/real_curl.pcap (testdata/fixtures/http/gen_real.sh: curl against
// Python's http.server on loopback, captured by tcpdump). tshark reads:
// frame 4 GET / (User-Agent curl/7.88.1, Host 127.0.0.2); frame 8 HTTP/1.0
// 200 OK, Server "SimpleHTTP/0.6 Python/3.11.2", Content-Length 232, <title>
// "Directory listing for /"; frame 16 GET /missing with Host
// hmi-web.plant.local; frame 20 404 File not found.
func TestRealCurl(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("http", "real_curl.pcap")), "real_curl.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	const srv, cli = "127.0.0.2", "127.0.0.1"
	checks := []struct {
		who, key string
		want     []string
	}{
		{srv, "http.server", []string{"SimpleHTTP/0.6 Python/3.11.2"}},
		{srv, "http.title", []string{"Directory listing for /"}},
		{srv, "http.host", []string{"hmi-web.plant.local"}},
		{cli, "http.user_agent", []string{"curl/7.88.1"}},
	}
	for _, c := range checks {
		if got := h.Attr(c.who, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s %s = %q, want %q", c.who, c.key, got, c.want)
		}
	}
	if got := h.Ops(cli); !slices.Equal(got, []string{"get/read"}) {
		t.Errorf("ops %q", got)
	}
}
