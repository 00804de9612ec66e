package probe

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery/modbus"
	"github.com/otzone/otzone/discovery/probe"
)

// TestAllowList tries every function code with every body length up to 8
// bytes of a fixed pattern, plus the valid shapes: only FC 1-4 (bounded),
// 17 and 43/14 may ever become a Request.
func TestAllowList(t *testing.T) {
	allowedFC := map[byte]bool{1: true, 2: true, 3: true, 4: true, 17: true, 43: true}
	bodies := [][]byte{nil, {0x0e, 1, 0}, {0, 0, 0, 10}, {0, 0, 0, 125}, {0, 0, 0, 126}, {0, 0, 0x07, 0xd0}, {0, 0, 0x07, 0xd1},
		{0x0d, 1, 0}, {0x0e, 5, 0}, {0, 0}, {0, 0, 0, 1, 2, 2, 0, 1}, {0xff, 0xff, 0, 2}}
	for fc := 0; fc < 256; fc++ {
		for _, b := range bodies {
			pdu := append([]byte{byte(fc)}, b...)
			r, err := NewRequest(pdu)
			if err != nil {
				continue
			}
			if !allowedFC[byte(fc)] {
				t.Fatalf("function %d accepted: % x", fc, pdu)
			}
			if !bytes.Equal(r.PDU(), pdu) {
				t.Fatalf("request bytes changed: % x -> % x", pdu, r.PDU())
			}
			switch fc {
			case 43:
				if pdu[1] != 0x0e || pdu[2] < 1 || pdu[2] > 4 {
					t.Fatalf("FC 43 body accepted: % x", pdu)
				}
			case 3, 4:
				if n := int(pdu[3])<<8 | int(pdu[4]); n > MaxRegisters {
					t.Fatalf("%d registers accepted", n)
				}
			case 1, 2:
				if n := int(pdu[3])<<8 | int(pdu[4]); n > MaxBits {
					t.Fatalf("%d bits accepted", n)
				}
			}
		}
	}
	for _, bad := range [][]byte{{5, 0, 0, 0xff, 0}, {6, 0, 1, 0, 1}, {16, 0, 0, 0, 1, 2, 0, 1}, {8, 0, 4, 0, 0}, {90, 0, 0x41}, {0x83, 2}, {3, 0xff, 0xff, 0, 2}} {
		if _, err := NewRequest(bad); err == nil {
			t.Errorf("% x accepted", bad)
		}
	}
	// The shared encoder builds what frame 92 of modbus_example.pcap carries
	// after its MBAP header (Wireshark: Func 43/1 Read Device Identification).
	r, err := DeviceID(modbus.DevIDBasic, 0)
	if err != nil || hex.EncodeToString(r.PDU()) != "2b0e0100" {
		t.Fatalf("DeviceID basic = % x, %v", r.PDU(), err)
	}
}

func TestParseReads(t *testing.T) {
	got, err := ParseReads("holding:0-9, input:100-109,coils:0-2999,discrete:7")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"holding:0-9", "input:100-109", "coils:0-1999", "coils:2000-2999", "discrete:7-7"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i, w := range want {
		if got[i].String() != w {
			t.Errorf("%d: %s, want %s", i, got[i], w)
		}
	}
	for _, bad := range []string{"holding", "write:0-1", "holding:9-0", "holding:0-99999", "holding:0-1250", "coils:x"} {
		if _, err := ParseReads(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestPlanDryRun: the dry-run plan lists whole ADUs and never dials.
func TestPlanDryRun(t *testing.T) {
	targets := []probe.Target{{Host: "10.0.0.5", Port: 502}}
	reads, _ := ParseReads("holding:0-9")
	plan, err := Plan(targets, Options{ReportServerID: true, Reads: reads,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			t.Fatal("dry run dialed")
			return nil, errors.New("no")
		}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := probe.WritePlan(&buf, plan); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// 3 default unit ids x (basic, regular, extended, 7 individual, FC 17, 1 read).
	if len(lines) != 3*12 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	// MBAP txid 1, length 5, unit 0, then 2b 0e 01 00 (cf. frame 92 of
	// modbus_example.pcap: 0017 0000 0005 01 2b0e0100).
	if want := "modbus 10.0.0.5:502  000100000005002b0e0100  unit=0 read_device_identification basic object=0x00"; lines[0] != want {
		t.Errorf("first line\n%s\nwant\n%s", lines[0], want)
	}
	for _, l := range lines {
		f := strings.Fields(l)
		b, err := hex.DecodeString(f[2])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewRequest(b[7:]); err != nil {
			t.Errorf("plan holds a request the allow-list refuses: %s", l)
		}
	}
	if !strings.Contains(buf.String(), "[only if no earlier unit id gave an identity]") {
		t.Error("units 255 and 1 not marked conditional")
	}
}
