package bsap

import (
	"path/filepath"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

// runCapture feeds every frame of path through the capture engine with only
// the given dissectors and returns the observations.
func runCapture(t testing.TB, path string, fs ...discovery.Factory) []discovery.Observation {
	t.Helper()
	set, err := discovery.NewSetOf(fs...)
	if err != nil {
		t.Fatal(err)
	}
	var out []discovery.Observation
	e := discovery.NewEngine(set, func(o discovery.Observation) { out = append(out, o) }, discovery.EngineOptions{})
	name := filepath.Base(path)
	for _, fr := range testutil.ReadFrames(t, path) {
		e.Packet(fr.Data, fr.CI, fr.LinkType, discovery.Evidence{Kind: "pcap", Name: name, Frame: uint64(fr.Number)})
	}
	e.Close()
	if st := e.Stats(); st.DissectorErrors > 0 || st.DissectorPanics > 0 {
		t.Logf("%s: %d dissector errors, %d panics", name, st.DissectorErrors, st.DissectorPanics)
		if st.DissectorPanics > 0 {
			t.Errorf("%s: dissector panicked", name)
		}
	}
	return out
}
