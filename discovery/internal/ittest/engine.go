package ittest

import (
	"path/filepath"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

// Engine feeds every frame of the capture at path through the real capture
// engine with only the given dissectors and returns the observations. A
// dissector panic fails the test; parse errors are logged.
func Engine(t testing.TB, path string, fs ...discovery.Factory) []discovery.Observation {
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

// PRF computes recall and precision of got against want (sets of strings),
// with what is missing and what is extra.
func PRF(want, got map[string]bool) (recall, precision float64, missing, extra []string) {
	hit := 0
	for k := range want {
		if got[k] {
			hit++
		} else {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	recall, precision = 1, 1
	if len(want) > 0 {
		recall = float64(hit) / float64(len(want))
	}
	if len(got) > 0 {
		precision = float64(len(got)-len(extra)) / float64(len(got))
	}
	return
}
