package opcua

import (
	"path/filepath"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

// engineCapture runs a capture through the real engine with only this
// package's dissector.
func engineCapture(t *testing.T, path string) []discovery.Observation {
	t.Helper()
	set, err := discovery.NewSetOf(func() discovery.Dissector { return New() })
	if err != nil {
		t.Fatal(err)
	}
	var obs []discovery.Observation
	e := discovery.NewEngine(set, func(o discovery.Observation) { obs = append(obs, o) }, discovery.EngineOptions{})
	for _, f := range testutil.ReadFrames(t, path) {
		e.Packet(f.Data, f.CI, f.LinkType, discovery.Evidence{Kind: "pcap", Name: filepath.Base(path), Frame: uint64(f.Number)})
	}
	e.Close()
	if st := e.Stats(); st.DissectorErrors > 0 {
		t.Logf("engine: %d dissector errors", st.DissectorErrors)
	}
	checkObs(t, obs)
	return obs
}

// checkObs holds every observation to the conventions: a protocol, frame
// evidence, an asset, no control characters, and for operations a class.
func checkObs(t *testing.T, obs []discovery.Observation) {
	t.Helper()
	bad := 0
	for _, o := range obs {
		ok := (o.Protocol != "" || o.Kind == discovery.KindHost) && o.Evidence.Frame != 0 && !o.Asset.IsZero()
		for _, s := range []string{o.Key, o.Value, o.Role, o.Protocol, o.Op.Name} {
			for _, c := range s {
				if c < 0x20 || c == 0x7f {
					ok = false
				}
			}
		}
		if o.Kind == discovery.KindOperation && (o.Op.Class == "" || o.Op.Name == "") {
			ok = false
		}
		if !ok && bad < 5 {
			t.Errorf("bad observation: %+v", o)
		}
		if !ok {
			bad++
		}
	}
}
