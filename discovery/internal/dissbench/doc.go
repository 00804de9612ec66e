// Package dissbench measures and checks the protocol dissectors on a whole
// capture, apart from the engine. Its tests are opt-in (build tag
// enginebench) because they link every dissector and read large captures:
//
//	go test -tags enginebench -run '^$' -bench '^BenchmarkDissectors$' -benchtime 3x ./discovery/internal/dissbench
//
// with $OTZONE_BENCH_FILE the capture (e.g. bench/out/corpus-200.pcap) and
// optionally $OTZONE_BENCH_DISSECTORS a comma list of dissector names. The
// engine runs once over the file with each selected dissector wrapped in a
// recorder (every Datagram, Frame, NewStream, PDULen and Parse call with
// its bytes and PacketInfo); the benchmark then replays the recorded calls
// into a fresh instance of the dissector, so ns/op is the dissector's own
// cost over the capture, without reading, decoding or flow tracking.
//
// TestDump (with $OTZONE_DUMP_IN a comma list of captures or directories and
// $OTZONE_DUMP_OUT a file) writes every observation the engine with all
// dissectors emits, one line each, in order: two builds' dumps compared
// with cmp prove that a change left the observations identical.
package dissbench
