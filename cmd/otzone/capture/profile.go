package capture

import (
	"os"
	"runtime/pprof"
)

// OTZONE_CPUPROFILE=cpu.pprof writes a CPU profile of the whole capture
// (as it does for `otzone ingest`): a developer hook for the live
// benchmark, free when unset. Then `go tool pprof -top otzone cpu.pprof`.
const envCPUProfile = "OTZONE_CPUPROFILE"

// startCPUProfile starts the profile when OTZONE_CPUPROFILE names a file and
// returns the function that stops it.
func startCPUProfile() func() {
	path := os.Getenv(envCPUProfile)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
