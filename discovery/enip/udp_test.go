package enip

import (
	"encoding/hex"
	"net/netip"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

// UDP payloads from enip_cip_example.pcap (tshark -e udp.payload):
// frame 379, 192.168.1.24 -> .22, connection 0x004b0402, 6 bytes of
// connected data (UDP length 32); frame 388, 192.168.1.22 -> .24,
// connection 0x008e400b, 2 bytes (the CIP sequence count alone, UDP length
// 28).
const (
	frameIOData      = "02000280080002044b00dd943f00b10006000000da0f0300"
	frameIOHeartbeat = "02000280080005402e0090150500b10002000100"
)

func TestParseIO(t *testing.T) {
	for _, tt := range []struct {
		hex    string
		connID uint32
		seq    uint32
		n      int
	}{
		{frameIOData, 0x004b0402, 4166877, 6},
		{frameIOHeartbeat, 0x002e4005, 333200, 2},
	} {
		b, _ := hex.DecodeString(tt.hex)
		io, ok := parseIO(b)
		if !ok || io.ConnID != tt.connID || io.Sequence != tt.seq || len(io.Data) != tt.n {
			t.Errorf("%s: %+v %v, want conn 0x%08x seq %d data %d", tt.hex, io, ok, tt.connID, tt.seq, tt.n)
		}
		for n := range len(b) {
			if _, ok := parseIO(b[:n]); ok {
				t.Errorf("prefix %d of %s parsed", n, tt.hex)
			}
		}
	}
}

func TestIORoles(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    [2]ioCount
		want int
	}{
		{"input-only: heartbeats from 0", [2]ioCount{{heartbeats: 2}, {data: 30}}, 0},
		{"input-only: heartbeats from 1", [2]ioCount{{data: 2}, {heartbeats: 5}}, 1},
		{"one heartbeat is not enough", [2]ioCount{{heartbeats: 1}, {data: 30}}, -1},
		{"one data packet is not enough", [2]ioCount{{heartbeats: 9}, {data: 1}}, -1},
		{"exclusive owner: data both ways", [2]ioCount{{data: 30}, {data: 30}}, -1},
		{"mixed connections from the heartbeat side", [2]ioCount{{heartbeats: 9, data: 1}, {data: 30}}, -1},
		{"mixed connections from the data side", [2]ioCount{{heartbeats: 9}, {data: 30, heartbeats: 1}}, -1},
		{"one direction only", [2]ioCount{{data: 30}, {}}, -1},
		{"nothing", [2]ioCount{}, -1},
	} {
		if got := ioRoles(tt.c); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestIORoleCapture: in enip_cip_example.pcap 192.168.1.24 sends 6- and
// 88-byte connected data on 12 connections (from frame 377) and
// 192.168.1.22 only 2-byte heartbeats (frames 388 and 399 are its first
// two), so after frame 399 .22 is the originator and .24 the target; no
// other host of the capture gets a role.
func TestIORoleCapture(t *testing.T) {
	path := testutil.SharedPcap(t, "enip/enip_cip_example.pcap")
	for _, via := range []string{"ittest", "engine"} {
		t.Run(via, func(t *testing.T) {
			got := map[string]string{}
			var frame uint64
			for _, o := range observe(t, path, "enip_cip_example.pcap", via, New(), NewUDP()) {
				if o.Kind == discovery.KindAttribute && o.Key == "cip.io_role" {
					if _, dup := got[o.Asset.IP.String()]; dup {
						t.Errorf("%s: role emitted twice", o.Asset.IP)
					}
					got[o.Asset.IP.String()] = o.Value
					frame = o.Evidence.Frame
					if o.Protocol != ProtoCIP || o.Confidence != 0.6 {
						t.Errorf("%+v", o)
					}
				}
			}
			want := map[string]string{"192.168.1.22": "originator", "192.168.1.24": "target"}
			if len(got) != len(want) || got["192.168.1.22"] != want["192.168.1.22"] || got["192.168.1.24"] != want["192.168.1.24"] {
				t.Errorf("roles %v, want %v", got, want)
			}
			if frame != 399 {
				t.Errorf("decided at frame %d, want 399", frame)
			}
		})
	}
}

// TestIORoleNotDecided: data both ways (an exclusive-owner connection, as
// in the demo plant) or heartbeats to a multicast group give no role.
func TestIORoleNotDecided(t *testing.T) {
	a := discovery.Endpoint{IP: netip.MustParseAddr("192.168.1.22"), MAC: discovery.MAC{0, 0x1d, 0x9c, 0xc5, 0x13, 0xdd}}
	b := discovery.Endpoint{IP: netip.MustParseAddr("192.168.1.24"), MAC: discovery.MAC{0x34, 0xc0, 0xf9, 0xfe, 0x65, 0x6b}}
	mc := discovery.Endpoint{IP: netip.MustParseAddr("239.192.1.1"), MAC: discovery.MAC{0x01, 0, 0x5e, 0x40, 1, 1}}
	data, _ := hex.DecodeString(frameIOData)
	hb, _ := hex.DecodeString(frameIOHeartbeat)
	for _, tt := range []struct {
		name         string
		fromA, fromB []byte
		dst          discovery.Endpoint
	}{
		{"data both ways", data, data, b},
		{"multicast", hb, data, mc},
	} {
		d := NewUDP()
		flow := &discovery.Flow{}
		var roles int
		emit := func(o discovery.Observation) {
			if o.Key == "cip.io_role" {
				roles++
			}
		}
		for i := range 10 {
			pa := &discovery.PacketInfo{Src: a, Dst: tt.dst, SrcPort: PortIO, DstPort: PortIO, Flow: flow, Evidence: discovery.Evidence{Frame: uint64(2*i + 1)}}
			pb := &discovery.PacketInfo{Src: b, Dst: a, SrcPort: PortIO, DstPort: PortIO, Dir: discovery.ToClient, Flow: flow, Evidence: discovery.Evidence{Frame: uint64(2*i + 2)}}
			if tt.dst == mc {
				pb.Src, pb.Dst, pb.Dir = b, mc, discovery.ToClient
			}
			if err := d.Datagram(tt.fromA, pa, emit); err != nil {
				t.Fatal(err)
			}
			if err := d.Datagram(tt.fromB, pb, emit); err != nil {
				t.Fatal(err)
			}
		}
		if roles != 0 {
			t.Errorf("%s: %d roles emitted", tt.name, roles)
		}
	}
}
