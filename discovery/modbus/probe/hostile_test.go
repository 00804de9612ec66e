package probe

import (
	"context"
	"encoding/binary"
	"io"
	"math/rand"
	"net"
	"testing"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/modbus"
	"github.com/otzone/otzone/discovery/probe"
)

// fakePeer answers each request with reply(request ADU).
func fakePeer(t *testing.T, reply func(req []byte) []byte) probe.Target {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				hdr := make([]byte, 7)
				for {
					if _, err := io.ReadFull(c, hdr); err != nil {
						return
					}
					body := make([]byte, int(binary.BigEndian.Uint16(hdr[4:6]))-1)
					if _, err := io.ReadFull(c, body); err != nil {
						return
					}
					req := append(hdr, body...)
					var r []byte
					if len(req) < 11 && reply != nil {
						// Not FC 43 (the cases below speak only to it): exception 1.
						r = modbus.AppendADU(nil, binary.BigEndian.Uint16(req), req[6], []byte{req[7] | 0x80, 1})
					} else {
						r = reply(req)
					}
					if r != nil {
						c.Write(r)
					}
				}
			}(c)
		}
	}()
	a := l.Addr().(*net.TCPAddr)
	return probe.Target{Host: "127.0.0.1", Port: uint16(a.Port)}
}

// TestHostileReplies: replies that lie (bad lengths, wrong transaction or
// unit, object counts past the end, a more-follows loop, random bytes)
// end in an error or a partial result, never a panic or a hang, and every
// stored value is clean.
func TestHostileReplies(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	cases := map[string]func(req []byte) []byte{
		"protocol id 7": func(req []byte) []byte { return []byte{req[0], req[1], 0, 7, 0, 3, req[6], 0x2b, 0} },
		"length 0":      func(req []byte) []byte { return []byte{req[0], req[1], 0, 0, 0, 0, req[6]} },
		"wrong unit": func(req []byte) []byte {
			return modbus.AppendADU(nil, binary.BigEndian.Uint16(req), req[6]+1, []byte{0x2b, 0x0e, 1, 1, 0, 0, 0})
		},
		"stale transaction only": func(req []byte) []byte {
			return modbus.AppendADU(nil, binary.BigEndian.Uint16(req)+100, req[6], []byte{0x2b, 0x0e, 1, 1, 0, 0, 0})
		},
		"object count past the end": func(req []byte) []byte {
			return modbus.AppendADU(nil, binary.BigEndian.Uint16(req), req[6], []byte{0x2b, 0x0e, 1, 0x83, 0, 0, 9, 0, 3, 'a', 'b', 'c', 1, 200})
		},
		"more follows forever": func(req []byte) []byte {
			obj := req[10]
			return modbus.AppendADU(nil, binary.BigEndian.Uint16(req), req[6], []byte{0x2b, 0x0e, req[9], 0x83, 0xff, obj + 1, 1, obj, 4, 0x1b, '[', '2', 'J'})
		},
		"more follows backwards": func(req []byte) []byte {
			return modbus.AppendADU(nil, binary.BigEndian.Uint16(req), req[6], []byte{0x2b, 0x0e, req[9], 0x83, 0xff, 0, 1, 0, 1, 'x'})
		},
		"random bytes": func(req []byte) []byte {
			b := make([]byte, 1+rng.Intn(300))
			rng.Read(b)
			return b
		},
		"random pdu in valid MBAP": func(req []byte) []byte {
			b := make([]byte, 1+rng.Intn(250))
			rng.Read(b)
			b[0] = req[7] | byte(rng.Intn(2))<<7
			return modbus.AppendADU(nil, binary.BigEndian.Uint16(req), req[6], b)
		},
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			tg := fakePeer(t, reply)
			reads, _ := ParseReads("holding:0-3,coils:0-9")
			opt := Options{UnitIDs: []uint8{1, 2}, ReportServerID: true, Reads: reads, Rate: 100, PerHostRate: 20, Timeout: 300 * time.Millisecond}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var obs []discovery.Observation
			res, err := Run(ctx, []probe.Target{tg}, opt, func(o discovery.Observation) { obs = append(obs, o) })
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Requests > 2*(3+maxMoreFollows+maxIndividual+1+2) {
				t.Errorf("%d requests", res[0].Requests)
			}
			for _, o := range obs {
				for _, r := range o.Value {
					if r < 0x20 || r == 0x7f {
						t.Errorf("control character stored: %q", o.Value)
					}
				}
			}
		})
	}
}

// TestRunCancel: cancelling the context stops a run blocked on a silent
// peer at once, long before the request timeout.
func TestRunCancel(t *testing.T) {
	tg := fakePeer(t, func([]byte) []byte { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	start := time.Now()
	res, err := Run(ctx, []probe.Target{tg}, Options{Timeout: 30 * time.Second}, func(discovery.Observation) {})
	if err == nil || res[0].Err == nil {
		t.Errorf("err %v, result %+v: want the cancellation", err, res)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("cancel took %v", el)
	}
}
