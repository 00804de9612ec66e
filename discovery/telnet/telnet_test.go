package telnet

import (
	"slices"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// testdata/fixtures/telnet/telnet.pcap is written by testdata/fixtures/telnet/gen_fixture.py (scapy). tshark -V reads:
// frames 4-7 option negotiation (Will Echo, Will Suppress Go Ahead, Do Terminal Type, Do NAWS,
// suboptions), frame 8 Data "\r\n", "\r\n", "User Access Verification\r\n", "\r\n", "Username: ",
// then the typed user name echoed byte by byte, "Password: " and the client's line, "ie4000-cell1>".
func TestFixture(t *testing.T) {
	h := ittest.Run(t, testutil.ReadFrames(t, testutil.Fixture("telnet", "telnet.pcap")), "telnet.pcap", New())
	h.NoErrors()
	h.CheckObservations()
	if got := h.Attr("10.10.10.2", "telnet.banner"); !slices.Equal(got, []string{"User Access Verification"}) {
		t.Errorf("banner %q", got)
	}
	if got := h.Comm("10.10.20.21", "cleartext_credentials"); !slices.Equal(got, []string{"true"}) {
		t.Errorf("cleartext_credentials %q", got)
	}
	if got := h.Comm("10.10.20.21", "encrypted"); !slices.Equal(got, []string{"false"}) {
		t.Errorf("encrypted %q", got)
	}
	if got := h.Services("10.10.10.2"); !slices.Equal(got, []string{"telnet/tcp/23/server"}) {
		t.Errorf("services %q", got)
	}
	for _, o := range h.Obs {
		if strings.Contains(o.Value, "c1sco") || strings.Contains(o.Value, "admin") {
			t.Errorf("stored typed text: %+v", o)
		}
	}
}

func TestStripper(t *testing.T) {
	var s Stripper
	in := []byte{IAC, WILL, 1, 'a', IAC, IAC, 'b', IAC, SB, 24, 0, 'X', IAC, SE, 'c', IAC, 241, 'd'}
	// Fed whole and byte by byte, the data is "a\xffbcd".
	if got := s.Strip(in, nil, 100); string(got) != "a\xffbcd" {
		t.Errorf("whole: %q", got)
	}
	var s2 Stripper
	var got []byte
	for _, c := range in {
		got = s2.Strip([]byte{c}, got, 100)
	}
	if string(got) != "a\xffbcd" {
		t.Errorf("bytewise: %q", got)
	}
}

func TestNoPromptNoCredentials(t *testing.T) {
	s := New().NewStream(nil)
	var got []string
	emit := func(o discovery.Observation) { got = append(got, o.Key+"="+o.Value) }
	_ = s.Parse([]byte("Welcome to RTU-7 maintenance port\r\n> "), &discovery.PacketInfo{Dir: discovery.ToClient}, emit)
	_ = s.Parse([]byte("show status\r\n"), &discovery.PacketInfo{Dir: discovery.ToServer}, emit)
	if slices.Contains(got, "cleartext_credentials=true") {
		t.Errorf("credentials without a prompt: %q", got)
	}
	long := strings.Repeat("status line\r\n", 30)
	_ = s.Parse([]byte(long), &discovery.PacketInfo{Dir: discovery.ToClient}, emit)
	if !slices.ContainsFunc(got, func(s string) bool {
		return strings.HasPrefix(s, "telnet.banner=Welcome to RTU-7 maintenance port / >")
	}) {
		t.Errorf("banner after 256 bytes: %q", got)
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]discovery.Verdict{"\xff\xfb\x01": discovery.Yes, "\xff": discovery.NeedMore, "\xff\x01": discovery.No,
		"login: ": discovery.Yes, "\x16\x03\x01": discovery.No, "": discovery.NeedMore} {
		if got := New().Detect([]byte(in), discovery.ToClient); got != want {
			t.Errorf("Detect(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte{IAC, WILL, 1, IAC, SB, 24, 1, IAC, SE}, []byte("Username: "))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		s := New().NewStream(nil)
		for i := 0; i < 40; i++ {
			_ = s.Parse(a, &discovery.PacketInfo{Dir: discovery.ToClient}, func(discovery.Observation) {})
			_ = s.Parse(b, &discovery.PacketInfo{Dir: discovery.ToServer}, func(discovery.Observation) {})
		}
		if st := s.(*stream); len(st.text) > maxText {
			t.Fatalf("text grew to %d", len(st.text))
		}
	})
}

func BenchmarkStrip(b *testing.B) {
	in := []byte(strings.Repeat("ie4000-cell1#show interfaces status\r\n", 20) + "\xff\xfb\x01")
	var s Stripper
	buf := make([]byte, 0, len(in))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		buf = s.Strip(in, buf[:0], cap(buf))
	}
}
