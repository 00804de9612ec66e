package discovery

import (
	"net/netip"
	"testing"
	"time"
)

func TestReceiver(t *testing.T) {
	mac := MAC{0, 0x1d, 0x9c, 1, 2, 3}
	ip := netip.MustParseAddr("10.0.0.5")
	if got := Receiver(Endpoint{MAC: mac, IP: ip, Sub: "1"}); got != (Endpoint{IP: ip, Sub: "1"}) {
		t.Errorf("IP endpoint: got %+v, want the MAC (next hop's) dropped", got)
	}
	if got := Receiver(Endpoint{MAC: mac}); got != (Endpoint{MAC: mac}) {
		t.Errorf("layer-2 endpoint: got %+v, want it unchanged", got)
	}
}

func TestEmitServiceRoles(t *testing.T) {
	pkt := &PacketInfo{Time: time.Unix(1, 0)}
	srv := Endpoint{IP: netip.MustParseAddr("10.0.0.5")}
	cli := Endpoint{IP: netip.MustParseAddr("10.0.0.9")}
	var got []Observation
	EmitServiceRoles(func(o Observation) { got = append(got, o) }, pkt, "fins", "udp", 9600, srv, cli)
	want := []Observation{
		{Kind: KindService, Time: pkt.Time, Asset: srv, Protocol: "fins", Transport: "udp", Port: 9600, Role: "server"},
		{Kind: KindService, Time: pkt.Time, Asset: cli, Protocol: "fins", Transport: "udp", Port: 9600, Role: "client"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d observations, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Kind != want[i].Kind || got[i].Asset != want[i].Asset || got[i].Protocol != want[i].Protocol ||
			got[i].Transport != want[i].Transport || got[i].Port != want[i].Port || got[i].Role != want[i].Role || !got[i].Time.Equal(want[i].Time) {
			t.Errorf("observation %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
