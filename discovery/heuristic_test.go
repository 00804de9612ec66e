package discovery_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/otzone/otzone/discovery"
)

// strictHeur is a heuristic stream dissector whose Detect accepts anything
// but whose DetectHeuristic (for ports nobody claims) wants "HE" at 2.
type strictHeur struct{ fakeStream }

func (d *strictHeur) Heuristic() bool { return true }
func (d *strictHeur) Detect(data []byte, dir discovery.Direction) discovery.Verdict {
	return discovery.Yes
}
func (d *strictHeur) DetectHeuristic(data []byte, dir discovery.Direction) discovery.Verdict {
	if len(data) < 4 {
		return discovery.NeedMore
	}
	if string(data[2:4]) == "HE" {
		return discovery.Yes
	}
	return discovery.No
}
func (d *strictHeur) NewStream(f *discovery.Flow) discovery.Stream {
	return &fakeFramer{d: &d.fakeStream}
}

// On an unclaimed port the engine asks DetectHeuristic, not Detect.
func TestHeuristicDetector(t *testing.T) {
	log := &pduLog{}
	set, err := discovery.NewSetOf(func() discovery.Dissector { return &strictHeur{fakeStream{name: "strict", log: log}} })
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, set, discovery.EngineOptions{})
	a := ep{cli.mac, cli.ip, 41000}
	b := ep{srv.mac, srv.ip, 7777}
	c := ep{cli.mac, cli.ip, 41001}
	r.eth(handshake(a, b)...)
	r.eth(tcpEth(a, b, 1001, 5001, fACK|fPSH, pdu("xxno")))
	r.eth(handshake(c, b)...)
	r.eth(tcpEth(c, b, 1001, 5001, fACK|fPSH, pdu("HEyes")))
	if d := cmp.Diff([]string{"to_server:HEyes"}, bodies(log)); d != "" {
		t.Errorf("dissected (-want +got):\n%s", d)
	}
}
