// Command gen writes the project's own synthetic captures with gopacket's
// serializer: the demo plant that the README's first command ingests.
//
//	go run ./testdata/gen            # writes testdata/demo/plant.pcapng
//	go run ./testdata/gen -o FILE
//
// Each protocol adds a scenario in its own file (modbus.go, enip.go, ...)
// with register(); scenarios run in name order on one clock, so the output is
// byte-for-byte reproducible.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
)

type scenario struct {
	name string
	fn   func(*Plant)
}

var scenarios []scenario

// register adds a scenario; called from init() in each protocol's file.
func register(name string, fn func(*Plant)) {
	for _, s := range scenarios {
		if s.name == name {
			panic("gen: scenario registered twice: " + name)
		}
	}
	scenarios = append(scenarios, scenario{name, fn})
}

func main() {
	out := flag.String("o", "testdata/demo/plant.pcapng", "output capture (pcapng)")
	only := flag.String("only", "", "run only this scenario (for debugging)")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	p, err := NewPlant(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	sort.Slice(scenarios, func(i, j int) bool { return scenarios[i].name < scenarios[j].name })
	for _, s := range scenarios {
		if *only != "" && s.name != *only {
			continue
		}
		s.fn(p)
		p.Advance(2000) // 2 s between scenarios
	}
	if err := p.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen: wrote %s: %d frames from %d scenarios\n", *out, p.Frames, len(scenarios))
}
