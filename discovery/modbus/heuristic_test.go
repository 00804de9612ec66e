package modbus

import (
	"encoding/hex"
	"maps"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

func TestDetectHeuristic(t *testing.T) {
	d := New()
	for _, c := range []struct {
		name string
		hex  string
		dir  discovery.Direction
		want discovery.Verdict
	}{
		// Client requests of modbus_example.pcap (tcp.payload of the frame, one per function code).
		{"frame 4 fc 1", "000100000006040100010001", discovery.ToServer, discovery.Yes},
		{"frame 12 fc 2", "000300000006040200010001", discovery.ToServer, discovery.Yes},
		{"frame 20 fc 3", "000500000006040300010001", discovery.ToServer, discovery.Yes},
		{"frame 28 fc 4", "000700000006040400010001", discovery.ToServer, discovery.Yes},
		{"frame 36 fc 5", "00090000000606050001ff00", discovery.ToServer, discovery.Yes},
		{"frame 40 fc 6", "000a0000000607060001abcd", discovery.ToServer, discovery.Yes},
		{"frame 44 fc 7", "000b000000020207", discovery.ToServer, discovery.Yes},
		{"frame 48 fc 8", "000c00000006020800020000", discovery.ToServer, discovery.Yes},
		{"frame 52 fc 15", "000d00000008070f000100040109", discovery.ToServer, discovery.Yes},
		{"frame 56 fc 16", "000e0000000f0710000100040800aa00bb00cc00dd", discovery.ToServer, discovery.Yes},
		{"frame 60 fc 17", "000f000000020211", discovery.ToServer, discovery.Yes},
		{"frame 72 fc 22", "0012000000080416000adead0000", discovery.ToServer, discovery.Yes},
		{"frame 80 fc 23", "00140000000d061700010001000200010200ff", discovery.ToServer, discovery.Yes},
		{"frame 88 fc 24", "0016000000040a180000", discovery.ToServer, discovery.Yes},
		{"frame 92 fc 43/14", "001700000005012b0e0100", discovery.ToServer, discovery.Yes},
		// Frames 64 and 68 (FC 20/21 with byte count 0, below the spec's 7):
		// Wireshark decodes them, but off port 502 they do not prove Modbus.
		{"frame 64 fc 20 byte count 0", "001000000003081400", discovery.ToServer, discovery.No},
		{"frame 68 fc 21 byte count 0", "001100000003081500", discovery.ToServer, discovery.No},
		// Two requests in one segment; and a request then a non-MBAP tail.
		{"two requests", "000100000006040100010001000200000006040100010001", discovery.ToServer, discovery.Yes},
		{"request then junk", "0001000000060401000100010002ffff", discovery.ToServer, discovery.No},
		// The first request incomplete: wait.
		{"half a request", "0001000000060401", discovery.ToServer, discovery.NeedMore},
		// A reply (frame 6 of modbus_example.pcap) first: not claimed off port 502.
		{"reply first", "00010000000404010101", discovery.ToClient, discovery.No},
		// Lengths that do not fit the function code.
		{"fc 3 quantity 0", "000500000006040300010000", discovery.ToServer, discovery.No},
		{"fc 3 quantity 126", "00050000000604030001007e", discovery.ToServer, discovery.No},
		{"fc 3 length 7", "00050000000704030001000100", discovery.ToServer, discovery.No},
		{"fc 16 byte count mismatch", "000e0000000f0710000100040700aa00bb00cc00dd", discovery.ToServer, discovery.No},
		{"fc 5 bad value", "00090000000606050001ff01", discovery.ToServer, discovery.No},
		{"user-defined fc 100", "000100000006046400010001", discovery.ToServer, discovery.No},
		{"exception bit", "000100000006048300010001", discovery.ToServer, discovery.No},
		// The first client bytes of other protocols.
		{"tls client hello", "160301020001000001fc0303", discovery.ToServer, discovery.No},
		{"http", hex.EncodeToString([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), discovery.ToServer, discovery.No},
		{"ssh", hex.EncodeToString([]byte("SSH-2.0-OpenSSH_9.2\r\n")), discovery.ToServer, discovery.No},
		{"cotp connection request (s7comm)", "0300001611e00000000100c0010ac1020100c2020102", discovery.ToServer, discovery.No},
		{"opc ua hello", hex.EncodeToString([]byte("HELF\x38\x00\x00\x00")) + "0000000000000100", discovery.ToServer, discovery.No},
		{"smb2 over netbios", "000000a4fe534d4240000100", discovery.ToServer, discovery.No},
		{"dnp3", "056405c00100640016", discovery.ToServer, discovery.No},
		{"zeros", "0000000000000000000000000000", discovery.ToServer, discovery.No},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := d.DetectHeuristic(unhex(t, c.hex), c.dir); got != c.want {
				t.Errorf("DetectHeuristic = %v, want %v", got, c.want)
			}
		})
	}
}

// Every prefix of a request is NeedMore until the request is whole.
func TestDetectHeuristicPrefixes(t *testing.T) {
	req := unhex(t, "000e0000000f0710000100040800aa00bb00cc00dd")
	for i := range req {
		if got := New().DetectHeuristic(req[:i], discovery.ToServer); got != discovery.NeedMore {
			t.Errorf("prefix %d: %v, want NeedMore", i, got)
		}
	}
}

// The demo plant's Modbus gateway serves on port 5020 (testdata/gen
// scenario 70-modbus-5020): the engine finds it by payload alone, with the
// unit ids tshark decodes when told the port is Modbus (-d
// tcp.port==5020,mbtcp; it cannot tell requests from replies there, so
// the Read Device Identification objects are checked against the
// generator's "Moxa").
func TestModbusOffPort502(t *testing.T) {
	path := filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")
	obs := ittest.Engine(t, path, func() discovery.Dissector { return New() })
	var svc, vendor bool
	units := map[string]bool{}
	for _, o := range obs {
		if o.Asset.IP.String() != "10.10.10.25" && o.Peer.IP.String() != "10.10.10.25" {
			continue
		}
		switch {
		case o.Kind == discovery.KindService && o.Protocol == "modbus" && o.Port == 5020 && o.Role == "server":
			svc = true
		case o.Kind == discovery.KindAttribute && o.Key == "modbus.vendor_name" && o.Value == "Moxa":
			vendor = true
		case o.Kind == discovery.KindAttribute && o.Key == "modbus.unit_id":
			units[o.Value] = true
		}
	}
	if !svc || !vendor {
		t.Errorf("modbus on 5020: server service %v, vendor %v; want both", svc, vendor)
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: unit ids not compared")
	}
	out, err := exec.Command(tshark, "-n", "-r", path, "-d", "tcp.port==5020,mbtcp", "-Y", "tcp.dstport==5020 && mbtcp",
		"-T", "fields", "-e", "mbtcp.unit_id").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, u := range strings.Fields(string(out)) {
		want[u] = true
	}
	if len(want) == 0 || !maps.Equal(units, want) {
		t.Errorf("unit ids %v, tshark %v", units, want)
	}
}

func FuzzDetectHeuristic(f *testing.F) {
	f.Add(unhex(f, "000e0000000f0710000100040800aa00bb00cc00dd"))
	f.Add(unhex(f, "00140000000d061700010001000200010200ff"))
	f.Add(unhex(f, "001700000005012b0e0100"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v := New().DetectHeuristic(data, discovery.ToServer)
		if v == discovery.Yes {
			// A Yes must frame: the first ADU is whole and parses.
			n, err := FrameLen(data)
			if err != nil || n == 0 || n > len(data) {
				t.Fatalf("Yes on %x but FrameLen = %d, %v", data, n, err)
			}
			if _, err := ParseADU(data[:n]); err != nil {
				t.Fatalf("Yes on %x but ParseADU: %v", data, err)
			}
		}
	})
}
