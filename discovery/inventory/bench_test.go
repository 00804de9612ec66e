package inventory

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/otzone/otzone/discovery"
)

// BenchmarkBuilderAddFlow measures the per-observation cost of the hot
// path (flow deltas on known communications): it must not allocate.
func BenchmarkBuilderAddFlow(b *testing.B) {
	bld := NewBuilder("")
	obs := make([]discovery.Observation, 1000)
	for i := range obs {
		c := discovery.Endpoint{MAC: discovery.MAC{0, 0x0c, 0x29, 0, byte(i >> 8), byte(i)}, IP: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})}
		s := discovery.Endpoint{MAC: discovery.MAC{0, 0x80, 0xf4, 0, 0, 1}, IP: netip.AddrFrom4([4]byte{10, 1, 0, 1})}
		obs[i] = discovery.Observation{Kind: discovery.KindFlow, Time: t0, Evidence: discovery.Evidence{Kind: "pcap", Name: "x", Frame: uint64(i)},
			Asset: c, Peer: s, Protocol: "modbus", Transport: "tcp", Port: 502, Packets: 1, Bytes: 60}
	}
	for _, o := range obs {
		bld.Add(o)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bld.Add(obs[i%len(obs)])
	}
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			bld := NewBuilder("")
			srv := discovery.Endpoint{MAC: discovery.MAC{0, 0x80, 0xf4, 0, 0, 1}, IP: netip.AddrFrom4([4]byte{10, 1, 0, 1})}
			for i := 0; i < n; i++ {
				c := discovery.Endpoint{MAC: discovery.MAC{0, 0x0c, 0x29, 0, byte(i >> 8), byte(i)}, IP: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})}
				bld.Add(discovery.Observation{Kind: discovery.KindHost, Time: t0, Asset: c})
				bld.Add(discovery.Observation{Kind: discovery.KindAttribute, Time: t0, Asset: c, Key: "dhcp.hostname", Value: fmt.Sprint("h", i)})
				bld.Add(discovery.Observation{Kind: discovery.KindFlow, Time: t0, Asset: c, Peer: srv, Protocol: "modbus", Transport: "tcp", Port: 502, Packets: 1})
			}
			rows := bld.Drain()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Build(rows, BuildOptions{Now: t0})
			}
		})
	}
}

// FuzzBuild feeds observations decoded from fuzz bytes through the
// Builder and Build: no panic, every asset id is the hash of its key, and
// every communication names existing assets (or a group destination).
func FuzzBuild(f *testing.F) {
	f.Add([]byte{1, 0, 1, 2, 3, 4, 5, 6, 2, 7, 8})
	f.Add([]byte("\x05\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"))
	f.Fuzz(func(t *testing.T, data []byte) {
		bld := NewBuilder("s")
		for len(data) >= 12 {
			k := discovery.Kind(data[0]%7 + 1)
			mac := discovery.MAC{data[1] & 0x03, 0, 0, 0, 0, data[2] % 4}
			if data[1]&0x80 != 0 {
				mac = discovery.MAC{}
			}
			ip := netip.AddrFrom4([4]byte{10, 0, 0, data[3] % 16})
			if data[3]&0x80 != 0 {
				ip = netip.Addr{}
			}
			peer := discovery.Endpoint{MAC: discovery.MAC{0, 0, 0, 0, 0, data[4] % 4}, IP: netip.AddrFrom4([4]byte{10, 0, 0, data[5] % 16})}
			sub := ""
			if data[6]&1 == 1 {
				sub = fmt.Sprintf("modbus:unit=%d", data[6]>>1)
			}
			keys := []string{"enip.vendor_name", "oui.vendor", "dhcp.hostname", "lldp.system_capabilities", "s7.firmware"}
			bld.Add(discovery.Observation{Kind: k, Time: time.Unix(int64(data[7]), 0), Asset: discovery.Endpoint{MAC: mac, IP: ip, Sub: sub},
				Peer: peer, Protocol: "p", Transport: "tcp", Port: uint16(data[8]), Key: keys[int(data[9])%len(keys)],
				Value: string(data[10:12]), Packets: uint64(data[11]), Role: "server"})
			data = data[12:]
		}
		inv := Build(bld.Drain(), BuildOptions{Now: t0})
		ids := map[string]bool{}
		for _, a := range inv.Assets {
			if a.ID != AssetID(a.Key) || ids[a.ID] {
				t.Fatalf("asset %q id %q (duplicate %v)", a.Key, a.ID, ids[a.ID])
			}
			ids[a.ID] = true
		}
		for _, a := range inv.Assets {
			if a.Via != "" && !ids[a.Via] {
				t.Fatalf("via %q names no asset", a.Via)
			}
		}
		for _, c := range inv.Communications {
			if !ids[c.Client] || (!ids[c.Server] && groupPrefix(c.Server) == "") {
				t.Fatalf("communication %+v names a missing asset", c)
			}
		}
	})
}

func groupPrefix(id string) string {
	for _, p := range []string{"broadcast:", "multicast:"} {
		if len(id) > len(p) && id[:len(p)] == p {
			return p
		}
	}
	return ""
}

func FuzzCleanValue(f *testing.F) {
	for _, s := range []string{"plc-1", "\x1b[31mred", "a\x00b", "\xff\xfe", "Grüße"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := CleanValue(s)
		if len(v) > MaxValueLen {
			t.Fatalf("len %d", len(v))
		}
		for _, r := range v {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("control %U kept in %q", r, v)
			}
		}
		if CleanValue(v) != v {
			t.Fatalf("not idempotent: %q -> %q", v, CleanValue(v))
		}
	})
}
