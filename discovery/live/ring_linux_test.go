//go:build linux

package live

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeBlock lays out one TPACKET_V3 block as the kernel writes it
// (linux/if_packet.h: tpacket_block_desc with tpacket_hdr_v1, then
// tpacket3_hdr + sockaddr_ll + frame for each packet).
type fakePkt struct {
	data           []byte
	wire           uint32
	sec, nsec      uint32
	status         uint32
	vlanTCI, tpid  uint16
	mac            uint16 // 0: right after the header
	snap, nextZero bool   // snap: override snaplen with 60000 (corrupt)
}

func fakeBlock(size int, pkts []fakePkt) []byte {
	b := make([]byte, size)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 1) // version
	le.PutUint32(b[8:], 1) // block_status: TP_STATUS_USER
	le.PutUint32(b[12:], uint32(len(pkts)))
	le.PutUint32(b[16:], 48) // offset_to_first_pkt
	off := 48
	for i, p := range pkts {
		mac := int(p.mac)
		if mac == 0 {
			mac = 82 // TPACKET_ALIGN(48) + sockaddr_ll (20), then 2 so the IP header is aligned
		}
		next := (mac + len(p.data) + 15) &^ 15
		if p.nextZero || i == len(pkts)-1 {
			next = 0
		}
		h := b[off:]
		le.PutUint32(h[0:], uint32(next))
		le.PutUint32(h[4:], p.sec)
		le.PutUint32(h[8:], p.nsec)
		snap := uint32(len(p.data))
		if p.snap {
			snap = 60000
		}
		le.PutUint32(h[12:], snap)
		le.PutUint32(h[16:], p.wire)
		le.PutUint32(h[20:], p.status)
		le.PutUint16(h[24:], uint16(mac))
		le.PutUint32(h[32:], uint32(p.vlanTCI)) // hv1.tp_vlan_tci
		le.PutUint16(h[36:], p.tpid)            // hv1.tp_vlan_tpid
		copy(h[mac:], p.data)
		off += next
	}
	return b
}

func TestRingRead(t *testing.T) {
	if off := unsafe.Offsetof(unix.Tpacket3Hdr{}.Hv1); off != 28 {
		t.Fatalf("tpacket3_hdr.hv1 at %d, the layout above assumes 28", off)
	}
	frame := func(n int, b byte) []byte {
		f := make([]byte, n)
		for i := range f {
			f[i] = b + byte(i)
		}
		return f
	}
	const bs = 4096
	plain := frame(60, 0)
	tagged := frame(64, 0x40)
	blk0 := fakeBlock(bs, []fakePkt{
		{data: plain, wire: 60, sec: 1700000000, nsec: 5},
		{data: tagged, wire: 64, sec: 1700000001, nsec: 7, status: unix.TP_STATUS_VLAN_VALID | unix.TP_STATUS_VLAN_TPID_VALID, vlanTCI: 0xa00a, tpid: 0x88a8},
		{data: plain, wire: 1514, sec: 1700000002, status: unix.TP_STATUS_VLAN_VALID}, // TCI 0, no TPID: 802.1Q
	})
	blk1 := fakeBlock(bs, []fakePkt{{data: plain, wire: 60, snap: true}}) // snaplen past the block
	mem := append(blk0, blk1...)
	r := &ring{fd: -1, mem: mem, blockSize: bs, nblocks: 2, pollMS: 1}

	want := []struct {
		data   []byte
		length int
		ts     time.Time
	}{
		{plain, 60, time.Unix(1700000000, 5)},
		{append(append(append([]byte{}, tagged[:12]...), 0x88, 0xa8, 0xa0, 0x0a), tagged[12:]...), 68, time.Unix(1700000001, 7)},
		{append(append(append([]byte{}, plain[:12]...), 0x81, 0x00, 0x00, 0x00), plain[12:]...), 1518, time.Unix(1700000002, 0)},
	}
	for i, w := range want {
		data, ci, err := r.Read()
		if err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		if !bytes.Equal(data, w.data) {
			t.Errorf("frame %d: % x, want % x", i+1, data, w.data)
		}
		if ci.CaptureLength != len(w.data) || ci.Length != w.length || !ci.Timestamp.Equal(w.ts) {
			t.Errorf("frame %d: caplen %d len %d ts %v, want %d %d %v", i+1, ci.CaptureLength, ci.Length, ci.Timestamp, len(w.data), w.length, w.ts)
		}
	}
	// Block 1's frame claims more bytes than the block has: skipped, not
	// read past the block; block 0 went back to the kernel.
	if _, _, err := r.Read(); !errors.Is(err, ErrTimeout) {
		t.Fatalf("corrupt frame: err %v, want ErrTimeout", err)
	}
	if s := binary.LittleEndian.Uint32(mem[8:]); s != unix.TP_STATUS_KERNEL {
		t.Errorf("block 0 status %#x after reading it, want TP_STATUS_KERNEL", s)
	}
	// Then block 0 is the kernel's again: nothing to read (poll times out).
	if _, _, err := r.Read(); !errors.Is(err, ErrTimeout) {
		t.Fatalf("empty ring: err %v, want ErrTimeout", err)
	}
	if s := binary.LittleEndian.Uint32(mem[bs+8:]); s != unix.TP_STATUS_KERNEL {
		t.Errorf("block 1 status %#x after skipping it, want TP_STATUS_KERNEL", s)
	}
}
