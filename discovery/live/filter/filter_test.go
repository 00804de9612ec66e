package filter

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/otzone/otzone/internal/testutil"
)

// Expressions run against tcpdump's own matching. Each is a feature of the
// package doc; the capture set has IPv4/IPv6, TCP/UDP, ARP, LLDP, PROFINET
// (0x8892), 802.1Q-tagged frames (the demo plant: VLANs 10, 20, 30).
var conformance = []string{
	"tcp", "udp", "icmp", "icmp6", "arp", "rarp", "ip", "ip6", "sctp",
	"vlan", "vlan 20", "vlan 10 or vlan 30", "vlan and tcp", "vlan 20 and tcp port 502", "vlan and vlan",
	"vlan 20 and host 10.10.20.21", "vlan and net 10.10.10.0/24", "vlan and src port 4840",
	"vlan and (tcp dst port 102 or udp port 47808)", "vlan and not tcp",
	"vlan and ether proto 0x88cc", "vlan and portrange 2000-3000", "tcp or vlan 20",
	"port 502", "tcp port 502", "udp port 47808", "port 502 or 102", "src port 502", "dst port 502",
	"src or dst port 44818", "src and dst port 47808", "portrange 100-600", "tcp portrange 40000-50000",
	"udp portrange 47808-47810", "portrange 600-100",
	"host 192.168.1.24", "host 10.10.20.8", "src host 192.168.10.105", "dst host 10.10.20.5", "src and dst host 127.0.0.1",
	"ip host 172.17.0.2", "arp host 192.168.1.1", "net 10.0.0.0/8", "net 192.168.0.0/16", "net 10.10", "src net 192.168.1.0/24",
	"dst net 172.16.0.0/12", "net 10.10/16",
	"ip6", "ip6 host fe80::14ea:3851:8243:3893", "net fe80::/10", "ip6 net 2001:db8::/32", "src host fe80::14ea:3851:8243:3893",
	"ether proto 0x88cc", "ether proto 0x8892", "ether proto \\arp", "ether proto \\ip6",
	"ether host 00:1d:09:99:b2:2c", "ether src 00:30:a7:1c:08:a3", "ether dst ff:ff:ff:ff:ff:ff", "ether src 00:00:00:00:00:00",
	"not tcp", "! ip", "tcp and not port 502", "(tcp or udp) and not (port 502 or port 102)",
	"tcp && port 44818 || arp", "not (ip or ip6 or arp)", "not not tcp",
	"host 192.168.1.24 and (port 44818 or port 2222)", "host 10.10.20.8 or 10.10.20.5", "udp and not host 10.0.0.255",
}

// frameKey identifies a frame by its bytes (counted, so duplicates
// matter); timestamps are left out because tcpdump -w writes microseconds.
type frameKey struct {
	data string
}

func conformanceFiles(t *testing.T) []string {
	files := []string{filepath.Join(testutil.RepoRoot(), "testdata", "demo", "plant.pcapng")}
	dir := testutil.SharedDir(t)
	if dir == "" {
		return files
	}
	for _, rel := range []string{
		"modbus/modbus_example.pcap", "enip/enip_cip_example.pcap", "s7comm/s7ident.pcap",
		"profinet/profinet_io_cm_mixed_1.pcap", "bacnet/bacnet_example.pcap", "dnp3/dnp3_example.pcap",
		"opcua/opcua_with-gap.pcap", "profinet/profinet_io_cm_connect.pcapng",
	} {
		p := filepath.Join(dir, "pcaps", rel)
		if _, err := os.Stat(p); err == nil {
			files = append(files, p)
		}
	}
	return files
}

// TestConformanceWithTcpdump runs each expression through tcpdump -r FILE -w
// OUT EXPR and through this package's program in golang.org/x/net/bpf's VM
// over the same frames: the sets of frames kept must be identical.
func TestConformanceWithTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed: the filter conformance test needs it")
	}
	tmp := t.TempDir()
	matchedSomething := map[string]bool{}
	for _, file := range conformanceFiles(t) {
		frames := testutil.ReadFrames(t, file)
		if len(frames) == 0 || frames[0].LinkType != layers.LinkTypeEthernet {
			continue
		}
		for _, expr := range conformance {
			out := filepath.Join(tmp, "out.pcap")
			cmd := exec.Command(tcpdump, "-r", file, "-w", out, expr)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("tcpdump -r %s %q: %v\n%s", file, expr, err, b)
			}
			want := map[frameKey]int{}
			for _, f := range testutil.ReadFrames(t, out) {
				want[frameKey{string(f.Data)}]++
			}
			prog, err := Compile(expr, Options{})
			if err != nil {
				t.Fatalf("Compile(%q): %v", expr, err)
			}
			vm, err := bpf.NewVM(prog)
			if err != nil {
				t.Fatalf("%q: NewVM: %v", expr, err)
			}
			got := map[frameKey]int{}
			for _, f := range frames {
				n, err := vm.Run(f.Data)
				if err != nil {
					t.Fatalf("%q: frame %d: %v", expr, f.Number, err)
				}
				if n > 0 {
					got[frameKey{string(f.Data)}]++
				}
			}
			if len(want) > 0 {
				matchedSomething[expr] = true
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%s: %q: tcpdump keeps a frame (%d bytes) %d times, this program %d", filepath.Base(file), expr, len(k.data), n, got[k])
				}
			}
			for k, n := range got {
				if want[k] == 0 {
					t.Errorf("%s: %q: this program keeps a frame (%d bytes, %d times) tcpdump rejects", filepath.Base(file), expr, len(k.data), n)
				}
			}
		}
	}
	// The comparison is only meaningful where tcpdump keeps something for
	// most expressions; log the ones nothing matched (they still prove
	// rejection).
	var none []string
	for _, e := range conformance {
		if !matchedSomething[e] {
			none = append(none, e)
		}
	}
	if len(none) > len(conformance)/3 {
		t.Errorf("tcpdump kept no frame for too many expressions (%d of %d): %q", len(none), len(conformance), none)
	}
	t.Logf("expressions no capture matched (rejection only): %q", none)
}

func TestErrorsNameTheColumn(t *testing.T) {
	for _, tc := range []struct {
		expr string
		col  int
		want string
	}{
		{"tcp and greater 100", 9, "not supported"},
		{"host example.com", 6, "not an IP address"},
		{"port http", 6, "port names are not resolved"},
		{"tcp[13] & 2 != 0", 4, "unexpected character"},
		{"(tcp or udp", 12, "missing ')'"},
		{"tcp or", 7, "expression ends"},
		{"net 10.0.0.1/8", 5, "non-network bits"},
		{"vlan 5000", 6, "0 to 4095"},
		{"ether proto 100", 13, "802.3"},
		{"broadcast", 1, "not supported"},
		{"tcp host 10.0.0.1", 10, "cannot qualify host"},
		{"ip6 host 10.0.0.1", 10, "IPv4 address"},
		{"frobnicate", 1, "unknown keyword"},
		{"port 502 )", 10, "unexpected"},
		{"portrange 5", 11, "want N-M"},
	} {
		_, err := Compile(tc.expr, Options{})
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("Compile(%q) = %v, want *Error", tc.expr, err)
			continue
		}
		if fe.Column != tc.col || !strings.Contains(fe.Msg, tc.want) {
			t.Errorf("Compile(%q) = %v, want column %d and %q", tc.expr, err, tc.col, tc.want)
		}
	}
}

func TestEmptyAcceptsAllAndSnapLen(t *testing.T) {
	prog, err := Compile("  ", Options{SnapLen: 96})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	frame := bytes.Repeat([]byte{0xab}, 200)
	if n, _ := vm.Run(frame); n != 96 {
		t.Errorf("empty filter returned %d, want the snap length 96", n)
	}
	// Accepting programs return the snap length too.
	prog, err = Compile("ether dst ab:ab:ab:ab:ab:ab", Options{SnapLen: 128})
	if err != nil {
		t.Fatal(err)
	}
	vm, _ = bpf.NewVM(prog)
	if n, _ := vm.Run(frame); n != 128 {
		t.Errorf("matching filter returned %d, want 128", n)
	}
}

// TestOffloadVLAN checks the live-socket form: the first vlan reads the
// kernel's tag extensions and shifts nothing; a second one reads the frame.
func TestOffloadVLAN(t *testing.T) {
	prog, err := Compile("vlan 20 and vlan 30 and tcp", Options{VLANOffload: true})
	if err != nil {
		t.Fatal(err)
	}
	var ext []bpf.Extension
	sawInner, sawTCPAt := false, false
	for _, in := range prog {
		switch in := in.(type) {
		case bpf.LoadExtension:
			ext = append(ext, in.Num)
		case bpf.LoadAbsolute:
			if in.Off == 12 && in.Size == 2 {
				sawInner = true // inner tag's TPID where an untagged frame has its type
			}
			if in.Off == 18+9 && in.Size == 1 {
				sawTCPAt = true // IPv4 protocol after the one in-frame tag
			}
		}
	}
	if len(ext) != 2 || ext[0] != bpf.ExtVLANTagPresent || ext[1] != bpf.ExtVLANTag {
		t.Errorf("extensions %v, want vlan_avail then vlan_tci", ext)
	}
	if !sawInner || !sawTCPAt {
		t.Errorf("second vlan should test the in-frame tag at 12 and shift tcp to 27: %v", prog)
	}
	if _, err := bpf.Assemble(prog); err != nil {
		t.Fatal(err)
	}
}

func FuzzCompile(f *testing.F) {
	for _, e := range conformance {
		f.Add(e)
	}
	f.Add("((((")
	f.Add("src or")
	f.Fuzz(func(t *testing.T, expr string) {
		prog, err := Compile(expr, Options{})
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) && !errors.Is(err, errTooLarge) {
				t.Fatalf("Compile(%q): error of type %T: %v", expr, err, err)
			}
			return
		}
		if _, err := bpf.Assemble(prog); err != nil {
			t.Fatalf("Compile(%q) does not assemble: %v", expr, err)
		}
		if _, err := bpf.NewVM(prog); err != nil {
			t.Fatalf("Compile(%q) rejected by the VM: %v", expr, err)
		}
	})
}
