package slmp

import (
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
)

// runCapture feeds the capture through the real engine with only these dissectors.
func runCapture(t testing.TB, path string, fs ...discovery.Factory) []discovery.Observation {
	t.Helper()
	return ittest.Engine(t, path, fs...)
}
