package ingest

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/otzone/otzone/discovery"
	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/discovery/source"
	"github.com/otzone/otzone/internal/store"
	"github.com/otzone/otzone/internal/testutil"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// demo generates the demo-plant capture with the project's generator.
func demo(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "plant.pcapng")
	cmd := exec.Command("go", "run", "./testdata/gen", "-o", out)
	cmd.Dir = testutil.RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./testdata/gen: %v\n%s", err, b)
	}
	return out
}

// synth writes a pcap of n frames: a client and a server exchanging TCP
// segments on port 9999 (no dissector claims it), each 100 bytes on the
// wire, one millisecond apart.
func synth(t testing.TB, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	cm, _ := net.ParseMAC("00:0c:29:00:00:01")
	sm, _ := net.ParseMAC("00:0c:29:00:00:02")
	cip, sip := net.IP{10, 0, 0, 1}, net.IP{10, 0, 0, 2}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		toServer := i%2 == 0
		eth := &layers.Ethernet{SrcMAC: cm, DstMAC: sm, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: cip, DstIP: sip}
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 9999, ACK: true, Seq: uint32(1000 + i*46), Window: 1024}
		if i == 0 {
			tcp.SYN, tcp.ACK = true, false
		}
		if !toServer {
			eth.SrcMAC, eth.DstMAC = sm, cm
			ip.SrcIP, ip.DstIP = sip, cip
			tcp.SrcPort, tcp.DstPort = 9999, 40000
		}
		if i == 1 {
			tcp.SYN = true
		}
		tcp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		payload := gopacket.Payload(make([]byte, 46))
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, payload); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(b), Length: len(b)}
		if err := w.WritePacket(ci, b); err != nil {
			t.Fatal(err)
		}
	}
}

func commPackets(inv *inventory.Inventory) (pk, by uint64) {
	for _, c := range inv.Communications {
		pk += c.Packets
		by += c.Bytes
	}
	return
}

func TestFilesDemoEndToEnd(t *testing.T) {
	path := demo(t)
	frames := testutil.ReadFrames(t, path) // independent reader
	ctx := context.Background()
	st := openStore(t)
	sum, err := Files(ctx, st, []string{path}, Options{Site: "plant"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Files) != 1 || sum.Failed() != 0 {
		t.Fatalf("files %+v", sum.Files)
	}
	if sum.Packets != uint64(len(frames)) {
		t.Errorf("packets %d, the capture has %d frames", sum.Packets, len(frames))
	}
	inv, err := st.Inventory(ctx, inventory.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Assets != len(inv.Assets) || sum.Communications != len(inv.Communications) {
		t.Errorf("summary %d assets %d comms, inventory %d %d", sum.Assets, sum.Communications, len(inv.Assets), len(inv.Communications))
	}
	if len(inv.Sources) != 1 || inv.Sources[0].Packets != uint64(len(frames)) || inv.Sources[0].Site != "plant" ||
		inv.Sources[0].Name != "plant.pcapng" || len(inv.Sources[0].SHA256) != 64 {
		t.Errorf("sources %+v", inv.Sources)
	}
	// The base scenario (testdata/gen/base.go) ARPs every local host of
	// testdata/gen/plant.go: each must be one asset keyed by its MAC, with
	// its IP; the router answers for its three VLAN gateway addresses.
	want := map[string]string{
		"00:80:f4:10:00:11": "10.10.10.11", "00:00:bc:10:00:12": "10.10.10.12", "00:1b:1b:10:00:13": "10.10.10.13",
		"00:50:c2:10:00:14": "10.10.10.14", "00:01:f0:10:00:15": "10.10.10.15", "00:0e:8c:10:00:16": "10.10.10.16",
		"00:0f:73:10:00:17": "10.10.10.17", "00:0c:29:20:00:21": "10.10.20.21", "00:0c:29:20:00:22": "10.10.20.22",
		"00:0c:29:20:00:23": "10.10.20.23", "00:0c:29:30:00:31": "10.10.30.31",
	}
	byKey := map[string]inventory.Asset{}
	for _, a := range inv.Assets {
		byKey[a.Key] = a
		if a.ID != inventory.AssetID(a.Key) {
			t.Errorf("asset %s id %s", a.Key, a.ID)
		}
	}
	for mac, ip := range want {
		a, ok := byKey["mac:"+mac]
		if !ok {
			t.Errorf("no asset for %s", mac)
			continue
		}
		wantIPs := []string{ip}
		if mac == "00:0c:29:20:00:22" {
			// The workstation's DHCPv6 SOLICITs (scenario 72-dhcpv6) come
			// from its link-local address, the modified EUI-64 of its MAC.
			wantIPs = append(wantIPs, "fe80::20c:29ff:fe20:22")
		}
		if !slices.Equal(a.IPs, wantIPs) {
			t.Errorf("%s: ips %v, want %v", mac, a.IPs, wantIPs)
		}
		if len(a.Sites) != 1 || a.Sites[0] != "plant" {
			t.Errorf("%s: sites %v", mac, a.Sites)
		}
	}
	r, ok := byKey["mac:00:1b:54:10:00:01"]
	if !ok {
		t.Fatal("no router asset")
	}
	for _, ip := range []string{"10.10.10.1", "10.10.20.1", "10.10.30.1"} {
		if !strings.Contains(strings.Join(r.IPs, ","), ip) {
			t.Errorf("router ips %v lack %s", r.IPs, ip)
		}
	}
	if !strings.Contains(strings.ToLower(r.Vendor), "cisco") {
		t.Errorf("router vendor %q (OUI 00:1b:54 is Cisco's)", r.Vendor)
	}

	// Ingesting the same content again is a no-op.
	again, err := Files(ctx, st, []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Files[0].Skipped || again.Packets != 0 {
		t.Fatalf("re-ingest: %+v", again.Files[0])
	}
	inv2, _ := st.Inventory(ctx, inventory.BuildOptions{})
	p1, b1 := commPackets(inv)
	p2, b2 := commPackets(inv2)
	if len(inv2.Assets) != len(inv.Assets) || p1 != p2 || b1 != b2 || len(inv2.Sources) != 1 {
		t.Errorf("re-ingest changed the database: %d/%d assets, %d/%d packets", len(inv.Assets), len(inv2.Assets), p1, p2)
	}
}

func TestFilesBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pcap")
	synth(t, good, 50)
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("these are my notes, not a capture\n"), 0o644)
	// Truncated: the good file cut 10 bytes into its last record. The
	// pcap global header is 24 bytes and every record 16 + 100 bytes
	// (synth), so 49 records are whole.
	raw, _ := os.ReadFile(good)
	trunc := filepath.Join(dir, "cut.pcap")
	os.WriteFile(trunc, raw[:24+49*116+10], 0o644)
	missing := filepath.Join(dir, "missing.pcap")

	st := openStore(t)
	sum, err := Files(context.Background(), st, []string{empty, text, trunc, good, missing}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]FileResult{}
	for _, r := range sum.Files {
		res[filepath.Base(r.Path)] = r
	}
	if r := res["empty.pcap"]; !errors.Is(r.Err, source.ErrEmpty) || !strings.Contains(r.Err.Error(), "empty.pcap") {
		t.Errorf("empty: %v", r.Err)
	}
	if r := res["notes.txt"]; !errors.Is(r.Err, source.ErrNotCapture) || !strings.Contains(r.Err.Error(), "notes.txt") {
		t.Errorf("text: %v", r.Err)
	}
	var fe *source.FormatError
	if r := res["cut.pcap"]; !errors.As(r.Err, &fe) || r.Packets != 49 || fe.Frame != 50 {
		t.Errorf("truncated: packets %d err %v", r.Packets, r.Err)
	}
	if r := res["good.pcap"]; r.Err != nil || r.Packets != 50 {
		t.Errorf("good: %+v", r)
	}
	if r := res["missing.pcap"]; r.Err == nil || !errors.Is(r.Err, os.ErrNotExist) {
		t.Errorf("missing: %+v", res)
	}
	if sum.Failed() != 4 {
		t.Errorf("failed %d, want 4", sum.Failed())
	}
	recs, _ := st.Sources(context.Background())
	if len(recs) != 2 {
		t.Fatalf("sources %+v: want the truncated and the good file", recs)
	}
	for _, r := range recs {
		if r.Source.Name == "cut.pcap" && (r.Source.Packets != 49 || !strings.Contains(r.Source.Error, "truncated") || !r.Complete) {
			t.Errorf("truncated source %+v", r)
		}
	}
}

// cancelAfter makes engines that cancel the context after n packets.
func cancelAfter(n int, cancel context.CancelFunc) func(discovery.Emit) (Engine, error) {
	return func(emit discovery.Emit) (Engine, error) {
		set, err := discovery.NewSet()
		if err != nil {
			return nil, err
		}
		return &cancelEngine{Engine: discovery.NewEngine(set, emit, discovery.EngineOptions{}), n: n, cancel: cancel}, nil
	}
}

// cancelEngine cancels the context after n packets, as a SIGINT would.
type cancelEngine struct {
	Engine
	n      int
	cancel context.CancelFunc
}

func (c *cancelEngine) Packet(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, ev discovery.Evidence) {
	c.Engine.Packet(data, ci, lt, ev)
	if c.n--; c.n == 0 {
		c.cancel()
	}
}

func TestFilesInterruptAndResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.pcap")
	synth(t, path, 3000)

	// Reference: one uninterrupted ingest.
	ref, err := Inventory(context.Background(), []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	refPk, refBy := commPackets(ref)
	if refPk != 3000 || refBy != 3000*100 {
		t.Fatalf("reference: %d packets %d bytes; synth wrote 3000 frames of 100 bytes", refPk, refBy)
	}

	st := interrupted(t, path)
	mid, _ := st.Inventory(context.Background(), inventory.BuildOptions{})
	if pk, _ := commPackets(mid); pk != 1700 {
		t.Errorf("committed %d packets at the interruption, want 1700", pk)
	}

	sum, err := Files(context.Background(), st, []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.Files[0]; !r.Resumed || r.ResumedAt != 1700 || r.Packets != 3000 || sum.Packets != 1300 {
		t.Fatalf("resume: %+v (summary packets %d)", r, sum.Packets)
	}
	got, _ := st.Inventory(context.Background(), inventory.BuildOptions{})
	pk, by := commPackets(got)
	if pk != refPk || by != refBy || len(got.Assets) != len(ref.Assets) {
		t.Errorf("resumed: %d packets %d bytes %d assets; uninterrupted: %d %d %d", pk, by, len(got.Assets), refPk, refBy, len(ref.Assets))
	}
	recs, _ := st.Sources(context.Background())
	if len(recs) != 1 || !recs[0].Complete || recs[0].Source.Packets != 3000 || recs[0].Source.Bytes != 300000 {
		t.Errorf("after resume: %+v", recs)
	}
}

func TestInventoryHelperDirectory(t *testing.T) {
	dir := t.TempDir()
	synth(t, filepath.Join(dir, "a.pcap"), 10)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	synth(t, filepath.Join(dir, "sub", "b.pcap"), 20) // same hosts, different content
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a capture, skipped by the walk"), 0o644)
	inv, err := Inventory(context.Background(), []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Sources) != 2 || len(inv.Assets) != 2 {
		t.Fatalf("%d sources %d assets", len(inv.Sources), len(inv.Assets))
	}
	if pk, _ := commPackets(inv); pk != 30 {
		t.Errorf("packets %d, want 10+20", pk)
	}
}
