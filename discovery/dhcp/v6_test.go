package dhcp

import (
	"encoding/binary"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

// TestDHCPv6VsTshark: every SOLICIT tshark decodes gives the FQDN, vendor
// class and DUID link-layer address it reads (dhcpv6.client_domain,
// dhcpv6.vendorclass.data, dhcpv6.duidllt.link_layer_addr), on the sending
// MAC: the demo plant's Windows workstation (scenario 72-dhcpv6) and the
// real Windows hosts of profinet_io_cm_mixed_1.pcap (frames 160-163
// "kw-VLIPC", "MSFT 5.0", among others).
func TestDHCPv6VsTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: it is the ground truth for DHCPv6")
	}
	paths := []string{filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")}
	if dir := testutil.SharedDir(t); dir != "" {
		paths = append(paths, filepath.Join(dir, "pcaps", "profinet", "profinet_io_cm_mixed_1.pcap"))
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) { dhcpv6VsTshark(t, tshark, path) })
	}
}

func dhcpv6VsTshark(t *testing.T, tshark, path string) {
	out, err := exec.Command(tshark, "-n", "-r", path, "-Y", "dhcpv6.msgtype == 1", "-T", "fields", "-E", "separator=|",
		"-e", "eth.src", "-e", "dhcpv6.client_domain", "-e", "dhcpv6.vendorclass.data", "-e", "dhcpv6.duidllt.link_layer_addr").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 4 {
			t.Fatalf("tshark line %q", l)
		}
		if f[1] != "" {
			want[f[0]+" dhcpv6.hostname="+strings.TrimSuffix(f[1], ".")] = true
		}
		if f[2] != "" {
			want[f[0]+" dhcpv6.vendor_class="+f[2]] = true
		}
		if f[3] != "" {
			want[f[0]+" dhcpv6.client_duid=llt "+f[3]] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("tshark found no SOLICIT")
	}
	got := map[string]bool{}
	svc := false
	for _, o := range ittest.Engine(t, path, func() discovery.Dissector { return NewV6() }) {
		switch o.Kind {
		case discovery.KindAttribute:
			if o.Protocol == "dhcpv6" { // not the engine's own net.vlan
				got[o.Asset.MAC.String()+" "+o.Key+"="+o.Value] = true
			}
		case discovery.KindService:
			svc = svc || (o.Protocol == "dhcpv6" && o.Role == "client")
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("extra %s", k)
		}
	}
	if !svc {
		t.Error("no dhcpv6 client service")
	}
}

func opt6(code uint16, v []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, code)
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

// A REPLY (RFC 8415 §21.4, §21.6) with an IA_NA holding two IAADDRs.
func replyV6(status uint16) []byte {
	addr := func(a string) []byte {
		v := netip.MustParseAddr(a).As16()
		b := append([]byte{}, v[:]...)
		return append(b, 0, 0, 0x0e, 0x10, 0, 0, 0x1c, 0x20) // preferred 3600, valid 7200
	}
	ia := []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	ia = append(ia, opt6(5, addr("fd00:10::22"))...)
	ia = append(ia, opt6(5, addr("fd00:10::23"))...)
	m := []byte{7, 1, 2, 3}
	m = append(m, opt6(2, []byte{0, 3, 0, 1, 0, 0x1b, 0x54, 0x10, 0, 1})...) // DUID-LL of the server
	m = append(m, opt6(3, ia)...)
	if status != 0 {
		m = append(m, opt6(13, append(binary.BigEndian.AppendUint16(nil, status), "no addrs"...))...)
	}
	return m
}

func TestParseV6Reply(t *testing.T) {
	var m MessageV6
	if err := ParseV6(replyV6(0), &m); err != nil {
		t.Fatal(err)
	}
	if m.Type != Reply6 || m.XID != 0x010203 || len(m.Addresses) != 2 ||
		m.Addresses[0] != netip.MustParseAddr("fd00:10::22") || m.Addresses[1] != netip.MustParseAddr("fd00:10::23") {
		t.Errorf("%+v", m)
	}
	if got := DUIDString(m.ServerDUID); got != "ll 00:1b:54:10:00:01" {
		t.Errorf("server DUID %q", got)
	}
	if m.HasStatusFail {
		t.Error("status fail without a Status Code")
	}
	if err := ParseV6(replyV6(2), &m); err != nil || !m.HasStatusFail {
		t.Errorf("NoAddrsAvail: err %v, fail %v", err, m.HasStatusFail)
	}
	// Every prefix: an error or a shorter, valid message, never a panic.
	full := replyV6(0)
	for i := range full {
		if err := ParseV6(full[:i], &m); err == nil && i < len(full) && len(m.Addresses) == 2 {
			t.Errorf("prefix %d parsed whole", i)
		}
	}
	for _, bad := range [][]byte{{0, 1, 2, 3}, {12, 0, 0, 0}, {1, 2, 3}} {
		if err := ParseV6(bad, &m); err == nil {
			t.Errorf("%x parsed", bad)
		}
	}
}

// A server's REPLY binds the leased addresses to the client's MAC (the
// frame's destination); a failed one binds nothing.
func TestDHCPv6ReplyBinds(t *testing.T) {
	for _, status := range []uint16{0, 2} {
		d := NewV6()
		var obs []discovery.Observation
		pkt := &discovery.PacketInfo{SrcPort: ServerPortV6, DstPort: ClientPortV6}
		pkt.Src = discovery.Endpoint{MAC: discovery.MAC{0, 0x1b, 0x54, 0x10, 0, 1}, IP: netip.MustParseAddr("fe80::21b:54ff:fe10:1")}
		pkt.Dst = discovery.Endpoint{MAC: discovery.MAC{0, 0x0c, 0x29, 0x20, 0, 0x22}, IP: netip.MustParseAddr("fe80::20c:29ff:fe20:22")}
		pkt.Evidence = discovery.Evidence{Kind: "pcap", Name: "t", Frame: 1}
		if d.Detect(replyV6(status), pkt) != discovery.Yes {
			t.Fatal("Detect")
		}
		if err := d.Datagram(replyV6(status), pkt, func(o discovery.Observation) { obs = append(obs, o) }); err != nil {
			t.Fatal(err)
		}
		hosts := 0
		for _, o := range obs {
			if o.Kind == discovery.KindHost {
				hosts++
				if o.Asset.MAC != pkt.Dst.MAC {
					t.Errorf("host bound to %v", o.Asset)
				}
			}
		}
		if want := map[uint16]int{0: 2, 2: 0}[status]; hosts != want {
			t.Errorf("status %d: %d host bindings, want %d", status, hosts, want)
		}
	}
}

func TestDetectV6Ports(t *testing.T) {
	pkt := &discovery.PacketInfo{SrcPort: 546, DstPort: 5353}
	if NewV6().Detect(replyV6(0), pkt) != discovery.No {
		t.Error("546 -> 5353 detected as DHCPv6")
	}
}

func FuzzParseV6(f *testing.F) {
	f.Add(replyV6(0))
	f.Add(replyV6(2))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m MessageV6
		if ParseV6(b, &m) == nil {
			_ = m.FQDNName()
			_ = DUIDString(m.ClientDUID)
		}
	})
}
