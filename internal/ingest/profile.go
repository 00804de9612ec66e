package ingest

import (
	"os"
	"runtime"
	"runtime/pprof"
)

// Profiling hooks for performance work, off unless the environment asks:
//
//	OTZONE_CPUPROFILE=cpu.pprof  CPU profile of the whole Files call
//	OTZONE_MEMPROFILE=mem.pprof  heap profile written when the files are
//	                             read (before the summary), and to
//	                             mem.pprof.end after the summary
//
// then `go tool pprof -top otzone cpu.pprof` (or -sample_index=alloc_space,
// inuse_space for the heap). They are environment variables rather than
// flags because they are for developers and cost nothing when unset.
const (
	envCPUProfile = "OTZONE_CPUPROFILE"
	envMemProfile = "OTZONE_MEMPROFILE"
)

// StartCPUProfile starts a CPU profile when OTZONE_CPUPROFILE names a file
// and returns the function that stops it.
func StartCPUProfile() func() {
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

// writeHeapProfile writes a heap profile to OTZONE_MEMPROFILE+suffix when
// the variable is set.
func writeHeapProfile(suffix string) {
	path := os.Getenv(envMemProfile)
	if path == "" {
		return
	}
	f, err := os.Create(path + suffix)
	if err != nil {
		return
	}
	defer f.Close()
	runtime.GC()
	_ = pprof.WriteHeapProfile(f)
}
