package opcua

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

// This file measures the dissector against the Wireshark oracle of every
// capture in ../shared/pcaps/opcua. Until the engine-level conformance
// harness (internal/conformance) exists, a small TCP reassembler here feeds
// the stream parser: in-order segments are appended, retransmissions are
// trimmed, and after a gap the direction resynchronises on the next valid
// chunk header (the captures "with-gap" need it).

type tcpHalf struct {
	next   uint32
	init   bool
	buf    []byte
	resync bool
}

type tcpFlow struct {
	flow     discovery.Flow
	clientIP netip.Addr
	cport    uint16
	half     [2]tcpHalf
	stream   discovery.Stream
	rejected bool
}

func endpointOf(pkt gopacket.Packet, src bool) (discovery.Endpoint, uint16, bool) {
	var ep discovery.Endpoint
	if eth, ok := pkt.LinkLayer().(*layers.Ethernet); ok {
		if src {
			ep.MAC = discovery.MACFromBytes(eth.SrcMAC)
		} else {
			ep.MAC = discovery.MACFromBytes(eth.DstMAC)
		}
	}
	switch n := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		a := n.DstIP
		if src {
			a = n.SrcIP
		}
		ep.IP, _ = netip.AddrFromSlice(a.To4())
	case *layers.IPv6:
		a := n.DstIP
		if src {
			a = n.SrcIP
		}
		ep.IP, _ = netip.AddrFromSlice(a)
	default:
		return ep, 0, false
	}
	return ep, 0, true
}

// runCapture feeds every TCP flow of a capture through d and returns the
// observations.
func runCapture(t testing.TB, path string, d *Dissector) []discovery.Observation {
	frames := testutil.ReadFrames(t, path)
	flows := map[string]*tcpFlow{}
	var out []discovery.Observation
	emit := func(o discovery.Observation) { out = append(out, o) }
	base := filepath.Base(path)
	for _, fr := range frames {
		pkt := gopacket.NewPacket(fr.Data, fr.LinkType, gopacket.Default)
		tcp, ok := pkt.TransportLayer().(*layers.TCP)
		if !ok {
			continue
		}
		src, _, ok1 := endpointOf(pkt, true)
		dst, _, ok2 := endpointOf(pkt, false)
		if !ok1 || !ok2 {
			continue
		}
		sp, dp := uint16(tcp.SrcPort), uint16(tcp.DstPort)
		a, b := fmt.Sprintf("%s:%d", src.IP, sp), fmt.Sprintf("%s:%d", dst.IP, dp)
		key := a + "|" + b
		if b < a {
			key = b + "|" + a
		}
		f := flows[key]
		if f == nil {
			f = &tcpFlow{}
			clientIsSrc := true
			switch {
			case tcp.SYN && tcp.ACK:
				clientIsSrc = false
			case tcp.SYN:
			case sp == Port || (dp != Port && sp < dp):
				clientIsSrc = false
			}
			if clientIsSrc {
				f.flow = discovery.Flow{Client: src, Server: dst, ClientPort: sp, ServerPort: dp, Transport: discovery.TCP}
			} else {
				f.flow = discovery.Flow{Client: dst, Server: src, ClientPort: dp, ServerPort: sp, Transport: discovery.TCP}
			}
			flows[key] = f
		}
		dir := discovery.ToServer
		if src.IP == f.flow.Server.IP && sp == f.flow.ServerPort {
			dir = discovery.ToClient
		}
		h := &f.half[dir]
		payload := tcp.Payload
		seq := tcp.Seq
		if tcp.SYN {
			h.next, h.init = seq+1, true
			continue
		}
		if len(payload) == 0 {
			continue
		}
		if !h.init {
			h.next, h.init = seq, true
		}
		if diff := int32(seq - h.next); diff < 0 {
			if int(-diff) >= len(payload) {
				continue // retransmission
			}
			payload = payload[-diff:]
		} else if diff > 0 {
			h.buf = h.buf[:0] // gap: lose what was pending
			h.resync = true
		}
		h.next = tcp.Seq + uint32(len(tcp.Payload))
		h.buf = append(h.buf, payload...)
		if f.rejected {
			continue
		}
		if f.stream == nil {
			v := d.Detect(h.buf, dir)
			if v == discovery.NeedMore {
				continue
			}
			if v != discovery.Yes {
				f.rejected = true
				continue
			}
			f.stream = d.NewStream(&f.flow)
		}
		info := discovery.PacketInfo{
			Evidence: discovery.Evidence{Kind: "pcap", Name: base, Frame: uint64(fr.Number)},
			Time:     fr.CI.Timestamp, Src: src, Dst: dst, SrcPort: sp, DstPort: dp, Dir: dir, Flow: &f.flow,
		}
		for len(h.buf) > 0 {
			if h.resync {
				i := findHeader(h.buf)
				if i < 0 {
					h.buf = h.buf[:0]
					break
				}
				h.buf = h.buf[i:]
				h.resync = false
			}
			n, err := f.stream.PDULen(h.buf, dir)
			if err != nil {
				h.resync = true
				h.buf = h.buf[1:]
				continue
			}
			if n == 0 || n > len(h.buf) {
				break
			}
			if err := f.stream.Parse(h.buf[:n], &info, emit); err != nil {
				t.Logf("%s frame %d: %v", base, fr.Number, err)
			}
			h.buf = h.buf[n:]
		}
		h.buf = append([]byte(nil), h.buf...)
	}
	return out
}

// findHeader finds the next plausible secure-conversation chunk header.
func findHeader(b []byte) int {
	for i := 0; i+HeaderLen <= len(b); i++ {
		switch string(b[i : i+3]) {
		case "MSG", "OPN", "CLO", "HEL", "ACK", "ERR":
			if _, err := ParseHeader(b[i:]); err == nil {
				return i
			}
		}
	}
	return -1
}

type oracleServer struct {
	IP                   string   `json:"ip"`
	Port                 int      `json:"port"`
	Clients              []string `json:"clients"`
	EndpointURLs         []string `json:"endpoint_urls"`
	SecurityPolicyURIs   []string `json:"security_policy_uris"`
	MessageSecurityModes []string `json:"message_security_modes"`
	ApplicationURIs      []string `json:"application_uris"`
	ApplicationNames     []string `json:"application_names"`
	ProductURIs          []string `json:"product_uris"`
	NoneChannelOpened    *bool    `json:"none_channel_opened"`
}

type oracleWrite struct {
	Protocol   string `json:"protocol"`
	Code       int    `json:"code"`
	Client     string `json:"client"`
	Server     string `json:"server"`
	ServerPort int    `json:"server_port"`
	Count      int    `json:"count"`
}

type oracle struct {
	Protocols struct {
		OPCUA struct {
			Servers []oracleServer `json:"servers"`
		} `json:"opcua"`
	} `json:"protocols"`
	Writes []oracleWrite `json:"write_operations"`
}

// facts turns the oracle and the observations into comparable sets of
// "server|kind|value" strings. Application URIs/names/products are
// attributed by the oracle to the server whatever side sent them (the
// client's CreateSession description included); ours sit on the asset that
// owns them, so the comparison takes the union over the server and its
// clients.
func oracleFacts(o oracle) map[string]int {
	m := map[string]int{}
	for _, s := range o.Protocols.OPCUA.Servers {
		k := fmt.Sprintf("%s:%d", s.IP, s.Port)
		m[k+"|server"] = 1
		for _, c := range s.Clients {
			m[k+"|client|"+c] = 1
		}
		for _, l := range []struct {
			n string
			v []string
		}{{"endpoint_url", s.EndpointURLs}, {"security_policy_uri", s.SecurityPolicyURIs}, {"security_mode", s.MessageSecurityModes},
			{"application_uri", s.ApplicationURIs}, {"application_name", s.ApplicationNames}, {"product_uri", s.ProductURIs}} {
			for _, v := range l.v {
				m[k+"|"+l.n+"|"+v] = 1
			}
		}
		if s.NoneChannelOpened != nil {
			m[fmt.Sprintf("%s|none_channel_opened|%v", k, *s.NoneChannelOpened)] = 1
		}
	}
	for _, w := range o.Writes {
		if w.Protocol == "opcua" {
			m[fmt.Sprintf("%s:%d|op|%s|%d", w.Server, w.ServerPort, w.Client, w.Code)] = w.Count
		}
	}
	return m
}

func observedFacts(obs []discovery.Observation) map[string]int {
	m := map[string]int{}
	type srv struct {
		ip   netip.Addr
		port uint16
	}
	servers := map[srv]map[netip.Addr]bool{}
	attrs := map[netip.Addr][]discovery.Observation{}
	opened := map[srv]*bool{}
	for _, o := range obs {
		switch o.Kind {
		case discovery.KindService:
			s := srv{o.Asset.IP, o.Port}
			if o.Role == "server" && servers[s] == nil {
				servers[s] = map[netip.Addr]bool{}
			}
		case discovery.KindAttribute:
			attrs[o.Asset.IP] = append(attrs[o.Asset.IP], o)
		case discovery.KindOperation:
			s := srv{o.Peer.IP, o.Port}
			if servers[s] == nil {
				servers[s] = map[netip.Addr]bool{}
			}
			servers[s][o.Asset.IP] = true
			if o.Op.Code == 673 || o.Op.Code == 712 {
				m[fmt.Sprintf("%s:%d|op|%s|%d", o.Peer.IP, o.Port, o.Asset.IP, o.Op.Code)]++
			}
		case discovery.KindCommAttribute:
			s := srv{o.Peer.IP, o.Port}
			if servers[s] == nil {
				servers[s] = map[netip.Addr]bool{}
			}
			servers[s][o.Asset.IP] = true
			if o.Key == "opcua.security_policy_uri" {
				v := strings.HasSuffix(o.Value, "#None")
				if opened[s] == nil || v {
					opened[s] = &v
				}
			}
		}
	}
	for _, o := range obs {
		if o.Kind == discovery.KindService && o.Role == "client" {
			// pair with the server of the same evidence frame
			for _, p := range obs {
				if p.Kind == discovery.KindService && p.Role == "server" && p.Evidence == o.Evidence {
					servers[srv{p.Asset.IP, p.Port}][o.Asset.IP] = true
				}
			}
		}
	}
	for s, clients := range servers {
		k := fmt.Sprintf("%s:%d", s.ip, s.port)
		m[k+"|server"] = 1
		for c := range clients {
			m[k+"|client|"+c.String()] = 1
		}
		if opened[s] != nil {
			m[fmt.Sprintf("%s|none_channel_opened|%v", k, *opened[s])] = 1
		}
		owners := []netip.Addr{s.ip}
		for c := range clients {
			owners = append(owners, c)
		}
		for _, ip := range owners {
			for _, a := range attrs[ip] {
				name := strings.TrimPrefix(a.Key, "opcua.")
				switch name {
				case "endpoint_url", "security_policy_uri", "security_mode", "application_name":
					// the oracle takes application names only from
					// GetEndpoints/FindServers responses, i.e. the server's
					if ip != s.ip {
						continue
					}
				case "application_uri", "product_uri":
				default:
					continue
				}
				m[k+"|"+name+"|"+a.Value] = 1
			}
		}
	}
	return m
}

// knownExtra lists facts we decode that tshark 4.0 does not, each proven
// by its own test below. They are reported, not counted against precision.
var knownExtra = map[string]map[string]string{
	"opcua_with-gap.pcap":                softingCreateSession,
	"opcua_with-gap_with-handshake.pcap": softingCreateSession,
	"pending_overflow.pcap": {
		"::1:4840|application_name|open62541-based OPC UA Application": "frame 1: GetEndpointsResponse sent from the TCP client port; the oracle takes names only from the server side (TestPendingOverflowFrame1)",
	},
}

// softingCreateSession: frames 12-30 carry the CreateSessionResponse (464,
// 13990 bytes, one chunk) whose segment 26 tshark flags as a spurious
// retransmission and so never reassembles (TestWithGapCreateSessionResponse).
var softingCreateSession = map[string]string{
	"192.168.11.34:4840|application_name|Softing OPC UA Gateway":                                       "CreateSessionResponse frames 12-30",
	"192.168.11.34:4840|application_uri|urn:00:06:71:33:05:02":                                         "CreateSessionResponse frames 12-30",
	"192.168.11.34:4840|product_uri|urn:Softing:SoftingOPCUAGateway":                                   "CreateSessionResponse frames 12-30",
	"192.168.11.34:4840|security_mode|Sign":                                                            "CreateSessionResponse frames 12-30",
	"192.168.11.34:4840|security_mode|SignAndEncrypt":                                                  "CreateSessionResponse frames 12-30",
	"192.168.11.34:4840|security_policy_uri|http://opcfoundation.org/UA/SecurityPolicy#Basic128Rsa15":  "CreateSessionResponse frames 12-30",
	"192.168.11.34:4840|security_policy_uri|http://opcfoundation.org/UA/SecurityPolicy#Basic256":       "CreateSessionResponse frames 12-30",
	"192.168.11.34:4840|security_policy_uri|http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256": "CreateSessionResponse frames 12-30",
}

func compare(want, got map[string]int, known map[string]string) (recall, precision float64, missing, extra []string, countDiff []string) {
	hit := 0
	for k, wc := range want {
		if gc, ok := got[k]; ok {
			hit++
			if gc != wc {
				countDiff = append(countDiff, fmt.Sprintf("%s: oracle %d, ours %d", k, wc, gc))
			}
		} else {
			missing = append(missing, k)
		}
	}
	explained := 0
	for k := range got {
		if _, ok := want[k]; !ok {
			if why, ok := known[k]; ok {
				explained++
				extra = append(extra, k+" (known: "+why+")")
				continue
			}
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	recall, precision = 1, 1
	if len(want) > 0 {
		recall = float64(hit) / float64(len(want))
	}
	if len(got)-explained > 0 {
		precision = float64(hit) / float64(len(got)-explained)
	}
	return
}

func TestConformanceOracle(t *testing.T) {
	dir := filepath.Join(testutil.SharedDir(t), "pcaps", "opcua")
	caps, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
	n := 0
	for _, c := range caps {
		if strings.HasSuffix(c, ".oracle.json") {
			continue
		}
		n++
		t.Run(filepath.Base(c), func(t *testing.T) {
			raw, err := os.ReadFile(c + ".oracle.json")
			if err != nil {
				t.Fatal(err)
			}
			var o oracle
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			for _, via := range []string{"harness", "engine"} {
				var obs []discovery.Observation
				if via == "engine" {
					obs = engineCapture(t, c)
				} else {
					obs = runCapture(t, c, New())
				}
				checkOracle(t, c, via, o, obs)
			}
		})
	}
	if n == 0 {
		t.Fatal("no OPC UA captures found")
	}
}

func checkOracle(t *testing.T, c, via string, o oracle, obs []discovery.Observation) {
	want, got := oracleFacts(o), observedFacts(obs)
	r, p, miss, extra, cd := compare(want, got, knownExtra[filepath.Base(c)])
	t.Logf("%s via %s: recall %.3f precision %.3f (oracle %d facts, ours %d)", filepath.Base(c), via, r, p, len(want), len(got))
	for _, m := range miss {
		t.Logf("  missing: %s", m)
	}
	for _, e := range extra {
		t.Logf("  extra:   %s", e)
	}
	for _, d := range cd {
		t.Logf("  count:   %s", d)
	}
	if r < 0.95 || p < 0.95 {
		t.Errorf("%s: below 0.95: recall %.3f precision %.3f", via, r, p)
	}
}
