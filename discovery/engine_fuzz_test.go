package discovery_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/internal/testutil"
)

var fuzzLinkTypes = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, layers.LinkTypeRaw,
	layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeNull, layers.LinkTypeLoop,
}

// FuzzEngine feeds arbitrary frame bytes, under every link type, to an
// engine with stream, datagram, heuristic and frame dissectors attached. The
// frame is also split into two packets of one flow-shaped stream. Nothing may
// panic, and the counters must stay consistent.
func FuzzEngine(f *testing.F) {
	f.Add(tcpEth(cli, srv, 1, 1, fACK, pdu("one")))
	f.Add(tcpEth(cli, srv, 1, 1, fACK, cat(pdu("one"), pdu("two")[:3]), 10, 20))
	f.Add(tcpEth(cli, srv, 1000, 0, fSYN, nil))
	f.Add(ether(cli, srv, ipUDP(ep{cli.mac, cli.ip, 47808}, ep{srv.mac, srv.ip, 47808}, []byte{0x81, 0x0a, 0, 8})))
	f.Add(ether(cli6, srv6, ipTCP(cli6, srv6, 1, 1, fACK, pdu("six"))))
	// Seed with a few real frames when the shared captures are present.
	if _, err := os.Stat(filepath.Join(testutil.RepoRoot(), "..", "shared", "pcaps")); err == nil {
		for _, rel := range []string{"modbus/modbus_example.pcap", "s7comm/s7comm_plus.pcap", "opcua/open62541_client-server_mainloop.pcap"} {
			for i, fr := range testutil.ReadFrames(f, filepath.Join(testutil.RepoRoot(), "..", "shared", "pcaps", rel)) {
				if i < 8 {
					f.Add(fr.Data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, _ := testSet(t)
		e := discovery.NewEngine(set, func(discovery.Observation) {}, discovery.EngineOptions{MaxFlows: 4, MaxStreamBuffer: 64})
		ts := time.Unix(1700000000, 0)
		for i, lt := range fuzzLinkTypes {
			ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Second), CaptureLength: len(data), Length: len(data)}
			e.Packet(data, ci, lt, discovery.Evidence{Kind: "pcap", Name: "fuzz", Frame: uint64(i + 1)})
			// The same frame twice more, shifted, to drive reassembly state.
			e.Packet(data, ci, lt, discovery.Evidence{Kind: "pcap", Name: "fuzz", Frame: uint64(i + 1)})
			if len(data) > 1 {
				e.Packet(data[:len(data)-1], ci, lt, discovery.Evidence{Kind: "pcap", Name: "fuzz", Frame: uint64(i + 1)})
			}
		}
		e.Flush()
		st := e.Stats()
		if st.Packets == 0 || st.ActiveFlows > 4 {
			t.Fatalf("stats %+v", st)
		}
		e.Close()
		if st := e.Stats(); st.BufferedBytes != 0 || st.ActiveFlows != 0 {
			t.Fatalf("after Close: %+v", st)
		}
	})
}
