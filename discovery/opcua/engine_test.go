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
	return obs
}
