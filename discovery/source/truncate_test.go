package source

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/otzone/otzone/internal/testutil"
)

// cutPoints returns cuts into a capture whose records start at offsets:
// inside the file header, inside a record header, inside a record's data,
// and exactly at a record boundary (a clean end).
type cutCase struct {
	name   string
	cut    int64
	frames int   // complete frames before the cut
	clean  bool  // the cut is at a record boundary
	off    int64 // offset reported in the FormatError
}

func cutsFor(offsets []int64, size int64) []cutCase {
	var cs []cutCase
	for i, off := range offsets {
		if i == 0 || i == len(offsets)/2 || i == len(offsets)-1 {
			cs = append(cs,
				cutCase{name: "boundary", cut: off, frames: i, clean: true},
				cutCase{name: "mid-header", cut: off + 5, frames: i, off: off},
				cutCase{name: "mid-record", cut: off + 20, frames: i, off: off},
			)
		}
	}
	cs = append(cs, cutCase{name: "end", cut: size, frames: len(offsets), clean: true})
	return cs
}

// TestTruncated cuts real captures at several offsets: every complete frame
// before the cut comes out, then a FormatError with the offset and number of
// the cut record (or io.EOF when the cut falls on a record boundary).
func TestTruncated(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(testutil.SharedDir(t), "pcaps")
	for _, rel := range []string{"modbus/modbus_example.pcap", "profinet/profinet_io_cm_connect.pcapng", "s7comm/s7comm_plus.pcap"} {
		src := filepath.Join(shared, rel)
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		full, err := readAll(t, src)
		if err != nil {
			t.Fatal(err)
		}
		var offsets []int64
		for _, f := range full {
			offsets = append(offsets, f.Offset)
		}
		for _, c := range cutsFor(offsets, int64(len(raw))) {
			if c.cut > int64(len(raw)) {
				continue
			}
			for _, gz := range []bool{false, true} {
				p := filepath.Join(dir, "cut")
				data := raw[:c.cut]
				if gz {
					var b bytes.Buffer
					w := gzip.NewWriter(&b)
					w.Write(data)
					w.Close()
					data = b.Bytes()
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
				frames, err := readAll(t, p)
				if c.cut < offsets[0] {
					// Cut inside the file header: Open fails.
					if err == nil {
						t.Errorf("%s cut %d: no error", rel, c.cut)
					}
					continue
				}
				if len(frames) != c.frames {
					t.Errorf("%s %s cut %d gzip=%v: %d frames, want %d (err %v)", rel, c.name, c.cut, gz, len(frames), c.frames, err)
				}
				for i := range frames {
					if !bytes.Equal(frames[i].Data, full[i].Data) {
						t.Errorf("%s cut %d: frame %d differs", rel, c.cut, i+1)
						break
					}
				}
				if c.clean {
					if err != nil {
						t.Errorf("%s %s cut %d: %v, want clean end", rel, c.name, c.cut, err)
					}
					continue
				}
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Errorf("%s %s cut %d gzip=%v: err %v, want *FormatError", rel, c.name, c.cut, gz, err)
					continue
				}
				if fe.Offset != c.off || fe.Frame != uint64(c.frames+1) || fe.File != p || !errors.Is(err, ErrTruncated) {
					t.Errorf("%s %s cut %d: %v; want offset %d frame %d truncated", rel, c.name, c.cut, err, c.off, c.frames+1)
				}
			}
		}
	}
}

// TestEveryCut cuts a small capture at every byte: the reader never
// panics, yields a prefix of the frames, and ends with EOF only at a record
// boundary.
func TestEveryCut(t *testing.T) {
	dir := t.TempDir()
	for _, rel := range []string{"enip/multiple_service_packet_cip.pcapng", "profinet/profinet_io_cm_connect_minimal.pcapng", "bacnet/bacnet_segmented_data.pcap"} {
		src := testutil.SharedPcap(t, rel)
		raw, _ := os.ReadFile(src)
		full, err := readAll(t, src)
		if err != nil {
			t.Fatal(err)
		}
		ends := map[int64]int{} // offset where a record or block ends -> frames before
		for i, f := range full {
			ends[f.Offset] = i
		}
		ends[int64(len(raw))] = len(full)
		if isNgMagic(raw) {
			// Every block boundary is a clean end (little-endian files).
			n := 0
			for off := 0; off+8 <= len(raw); {
				if _, ok := ends[int64(off)]; ok && off > 0 {
					n = ends[int64(off)]
				}
				ends[int64(off)] = n
				if typ := binary.LittleEndian.Uint32(raw[off:]); typ == blockEPB || typ == blockSPB || typ == blockOPB {
					n++
				}
				off += int(binary.LittleEndian.Uint32(raw[off+4:]))
			}
		}
		p := filepath.Join(dir, "x")
		for cut := 0; cut < len(raw); cut++ {
			os.WriteFile(p, raw[:cut], 0o644)
			frames, err := readAll(t, p)
			if n, ok := ends[int64(cut)]; ok && cut > 0 {
				if err != nil || len(frames) != n {
					t.Errorf("%s cut %d at boundary: %d frames, err %v; want %d, nil", rel, cut, len(frames), err, n)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s cut %d: no error", rel, cut)
			}
		}
	}
}

// TestNgMultipleInterfaces writes a pcapng with two interfaces of different
// link types (Ethernet, raw IP with nanosecond timestamps) and a second
// section, and reads each frame's link type, interface and time back.
func TestNgMultipleInterfaces(t *testing.T) {
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: 65535},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "otzone test"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.AddInterface(pcapgo.NgInterface{Name: "tun0", LinkType: layers.LinkTypeRaw, SnapLength: 65535, TimestampResolution: 9})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	eth := make([]byte, 60)
	ip := []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	write := func(data []byte, iface int, ts time.Time) {
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data), InterfaceIndex: iface}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	write(eth, 0, t0)
	write(ip, id, t0)
	write(eth, 0, t0.Add(time.Second))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// A second section (big-endian, one raw-IPv4 interface), as mergecap or
	// a restarted capture concatenation produces.
	sec2 := ngSection(t, layers.LinkTypeIPv4, ip, t0.Add(2*time.Second))
	b.Write(sec2)
	p := filepath.Join(t.TempDir(), "two.pcapng")
	os.WriteFile(p, b.Bytes(), 0o644)
	frames, err := readAll(t, p)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		lt    layers.LinkType
		iface int
		ts    time.Time
		n     int
	}{
		// pcapgo's NgWriter writes nanosecond resolution for both interfaces.
		{layers.LinkTypeEthernet, 0, t0, 60},
		{layers.LinkTypeRaw, 1, t0, 20},
		{layers.LinkTypeEthernet, 0, t0.Add(time.Second), 60},
		{layers.LinkTypeIPv4, 0, t0.Add(2 * time.Second).Truncate(time.Microsecond), 20},
	}
	if len(frames) != len(want) {
		t.Fatalf("%d frames, want %d", len(frames), len(want))
	}
	for i, w := range want {
		f := frames[i]
		if f.LinkType != w.lt || f.CI.InterfaceIndex != w.iface || !f.CI.Timestamp.Equal(w.ts) || len(f.Data) != w.n || f.Number != uint64(i+1) {
			t.Errorf("frame %d: lt %v iface %d ts %v len %d #%d; want %v %d %v %d", i+1, f.LinkType, f.CI.InterfaceIndex, f.CI.Timestamp, len(f.Data), f.Number, w.lt, w.iface, w.ts, w.n)
		}
	}
}

// ngSection builds a big-endian pcapng section by hand (SHB, IDB with
// microsecond resolution, one EPB), following the pcapng draft's layouts.
func ngSection(t *testing.T, lt layers.LinkType, data []byte, ts time.Time) []byte {
	var out []byte
	be := func(v uint32) { out = append(out, byte(v>>24), byte(v>>16), byte(v>>8), byte(v)) }
	// SHB: type, len 28, BOM, version 1.0, section length -1, len
	be(0x0a0d0d0a)
	be(28)
	be(0x1a2b3c4d)
	be(1 << 16)
	be(0xffffffff)
	be(0xffffffff)
	be(28)
	// IDB: type, len 20, linktype, reserved, snaplen, len
	be(1)
	be(20)
	be(uint32(lt) << 16)
	be(65535)
	be(20)
	// EPB
	pad := (4 - len(data)%4) % 4
	n := uint32(32 + len(data) + pad)
	us := uint64(ts.UnixMicro())
	be(6)
	be(n)
	be(0)
	be(uint32(us >> 32))
	be(uint32(us))
	be(uint32(len(data)))
	be(uint32(len(data)))
	out = append(out, data...)
	out = append(out, make([]byte, pad)...)
	be(n)
	return out
}

func TestNgUnknownLinkType(t *testing.T) {
	sec := ngSection(t, layers.LinkType(147), []byte{1, 2, 3, 4}, time.Unix(0, 0))
	p := filepath.Join(t.TempDir(), "user0.pcapng")
	os.WriteFile(p, sec, 0o644)
	if _, err := Open(p); !errors.Is(err, ErrUnknownLinkType) {
		t.Errorf("Open: %v, want ErrUnknownLinkType", err)
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	src := testutil.SharedPcap(t, "modbus/modbus_example.pcap")
	raw, _ := os.ReadFile(src)
	mk := func(rel string, b []byte) string {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := mk("b/site2/x.cap", raw)
	bb := mk("a/one.pcap", raw)
	mk("a/readme.txt", []byte("notes"))
	empty := mk("a/empty.pcap", nil) // named like a capture: kept so Open reports it
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	c := mk("a/z.pcap.gz", gz.Bytes())
	text := mk("explicit.txt", []byte("not a capture"))
	got, err := Expand([]string{dir, text, bb, filepath.Join(dir, "missing")})
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err %v, want the missing path reported", err)
	}
	want := []string{empty, bb, c, a, text}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
			break
		}
	}
}

// TestProgress checks that Progress reaches the file size (compressed size
// for gzip).
func TestProgress(t *testing.T) {
	src := testutil.SharedPcap(t, "bacnet/bacnet_services.pcap")
	for _, gz := range []bool{false, true} {
		p := src
		if gz {
			p = filepath.Join(t.TempDir(), "g")
			gzipFile(t, src, p)
		}
		r, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		read, total := r.Progress()
		if total != st.Size() || read != total {
			t.Errorf("gzip=%v: progress %d/%d, size %d", gz, read, total, st.Size())
		}
		r.Close()
	}
}

// TestNgTimestampResolution checks if_tsresol decoding (pcapng draft
// §4.2: bit 7 clear = 10^-n seconds, set = 2^-n) and if_tsoffset.
func TestNgTimestampResolution(t *testing.T) {
	cases := []struct {
		ifc  ngInterface
		ts   uint64
		want time.Time
	}{
		{ngInterface{exp: 6}, 1_700_000_000_123_456, time.Unix(1_700_000_000, 123_456_000)},
		{ngInterface{exp: 9}, 1_700_000_000_123_456_789, time.Unix(1_700_000_000, 123_456_789)},
		{ngInterface{exp: 3, offset: 10}, 5_250, time.Unix(15, 250_000_000)},
		{ngInterface{exp: 12}, 2_000_000_001_999, time.Unix(2, 1)}, // picoseconds, truncated to ns
		{ngInterface{binary: true, exp: 10}, 5*1024 + 512, time.Unix(5, 500_000_000)},
		{ngInterface{binary: true, exp: 0}, 42, time.Unix(42, 0)},
		{ngInterface{binary: true, exp: 40}, 3<<40 | 1<<39, time.Unix(3, 500_000_000)},
	}
	for _, c := range cases {
		if got := c.ifc.time(c.ts); !got.Equal(c.want) {
			t.Errorf("%+v ts %d: %v, want %v", c.ifc, c.ts, got, c.want)
		}
	}
}

// TestModifiedPcap reads the "modified" libpcap format (magic 0xa1b2cd34,
// 24-byte record headers with ifindex, protocol and packet type), written
// by old Red Hat tcpdump builds; layout as in Wireshark's wiretap/libpcap.c.
func TestModifiedPcap(t *testing.T) {
	le := func(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
	f := []byte{0x34, 0xcd, 0xb2, 0xa1, 2, 0, 4, 0}
	f = le(le(le(le(f, 0), 0), 65535), 1)
	for i, n := range []int{60, 42} {
		f = le(le(le(le(f, uint32(1000+i)), 5), uint32(n)), uint32(n))
		f = append(f, 2, 0, 0, 0, 0x08, 0x00, 0, 0) // ifindex, protocol, pkt_type, pad
		f = append(f, make([]byte, n)...)
	}
	p := filepath.Join(t.TempDir(), "modified.pcap")
	os.WriteFile(p, f, 0o644)
	frames, err := readAll(t, p)
	if err != nil || len(frames) != 2 || len(frames[0].Data) != 60 || len(frames[1].Data) != 42 ||
		!frames[1].CI.Timestamp.Equal(time.Unix(1001, 5000)) {
		t.Fatalf("frames %d err %v", len(frames), err)
	}
}
