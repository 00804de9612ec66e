package s7comm

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/internal/testutil"
)

type oracleServer struct {
	IP          string `json:"ip"`
	Port        int    `json:"port"`
	Transport   string `json:"transport"`
	OrderNumber string `json:"order_number"`
	Firmware    string `json:"firmware"`
	Component   struct {
		PLCName      string `json:"plc_name"`
		ModuleName   string `json:"module_name"`
		PlantTag     string `json:"plant_tag"`
		SerialNumber string `json:"serial_number"`
		ModuleType   string `json:"module_type"`
	} `json:"component_identification"`
}

type oracle struct {
	Protocols struct {
		S7   struct{ Servers []oracleServer } `json:"s7comm"`
		Plus struct{ Servers []oracleServer } `json:"s7comm_plus"`
	} `json:"protocols"`
	Writes []struct {
		Protocol   string `json:"protocol"`
		Operation  string `json:"operation"`
		Client     string `json:"client"`
		Server     string `json:"server"`
		ServerPort int    `json:"server_port"`
		Count      int    `json:"count"`
	} `json:"write_operations"`
}

type score struct{ want, got, hit int }

func (s score) recall() float64 {
	if s.want == 0 {
		return 1
	}
	return float64(s.hit) / float64(s.want)
}

func (s score) precision() float64 {
	if s.got == 0 {
		return 1
	}
	return float64(s.hit) / float64(s.got)
}

func compare(want, got map[string]int) (score, []string) {
	var s score
	var diff []string
	for k, n := range want {
		s.want += n
		h := min(n, got[k])
		s.hit += h
		if h < n {
			diff = append(diff, fmt.Sprintf("missing %s (want %d, got %d)", k, n, got[k]))
		}
	}
	for k, n := range got {
		s.got += n
		if n > want[k] {
			diff = append(diff, fmt.Sprintf("extra %s (want %d, got %d)", k, want[k], n))
		}
	}
	sort.Strings(diff)
	return s, diff
}

// TestConformance compares servers (s7comm and s7comm_plus), identity
// (SZL 0x0011/0x001C facts) and write-class operations (write, program,
// control) with the Wireshark oracle. The oracle has no S7comm-plus
// dissector, so S7comm-plus operations are left out of the write
// comparison.
func TestConformance(t *testing.T) {
	for _, name := range []string{"s7comm_plus.pcap", "s7ident.pcap", "snap7.pcap"} {
		t.Run(name, func(t *testing.T) {
			path := testutil.SharedPcap(t, "s7comm/"+name)
			raw, err := os.ReadFile(path + ".oracle.json")
			if err != nil {
				t.Fatal(err)
			}
			var or oracle
			if err := json.Unmarshal(raw, &or); err != nil {
				t.Fatal(err)
			}
			for _, via := range []string{"ittest", "engine"} {
				t.Run(via, func(t *testing.T) {
					obs := observe(t, path, name, via, New())
					check(t, name, &or, obs)
				})
			}
		})
	}
}

func check(t *testing.T, name string, or *oracle, obs []discovery.Observation) {
	{
		{

			wantS, gotS := map[string]int{}, map[string]int{}
			wantI, gotI := map[string]int{}, map[string]int{}
			for proto, ss := range map[string][]oracleServer{ProtoS7: or.Protocols.S7.Servers, ProtoPlus: or.Protocols.Plus.Servers} {
				for _, s := range ss {
					wantS[fmt.Sprintf("%s %s:%d/%s", proto, s.IP, s.Port, s.Transport)] = 1
					for k, v := range map[string]string{
						"s7.order_number": s.OrderNumber, "s7.firmware": s.Firmware,
						"s7.plc_name": s.Component.PLCName, "s7.module_name": s.Component.ModuleName,
						"s7.plant_tag": s.Component.PlantTag, "s7.serial_number": s.Component.SerialNumber,
						"s7.module_type": s.Component.ModuleType,
					} {
						if v != "" {
							wantI[s.IP+" "+k+"="+v] = 1
						}
					}
				}
			}
			gotW, wantW := map[string]int{}, map[string]int{}
			for _, o := range obs {
				switch {
				case o.Kind == discovery.KindService && o.Role == "server":
					gotS[fmt.Sprintf("%s %s:%d/%s", o.Protocol, o.Asset.IP, o.Port, o.Transport)] = 1
				case o.Kind == discovery.KindAttribute && strings.HasPrefix(o.Key, "s7.") && o.Key != "s7.copyright" && o.Key != "s7.memory_card_serial":
					gotI[o.Asset.IP.String()+" "+o.Key+"="+o.Value] = 1
				case o.Kind == discovery.KindOperation && o.Protocol == ProtoS7 &&
					(o.Op.Class == discovery.OpWrite || o.Op.Class == discovery.OpProgram || o.Op.Class == discovery.OpControl):
					gotW[fmt.Sprintf("%s %s %s->%s:%d", o.Protocol, o.Op.Name, o.Asset.IP, o.Peer.IP, o.Port)]++
				}
			}
			for _, w := range or.Writes {
				wantW[fmt.Sprintf("%s %s %s->%s:%d", w.Protocol, w.Operation, w.Client, w.Server, w.ServerPort)] += w.Count
			}
			for _, c := range []struct {
				what      string
				want, got map[string]int
			}{{"servers", wantS, gotS}, {"identity", wantI, gotI}, {"writes", wantW, gotW}} {
				s, diff := compare(c.want, c.got)
				t.Logf("%s %-8s recall %.3f (%d/%d) precision %.3f (%d/%d)", name, c.what, s.recall(), s.hit, s.want, s.precision(), s.hit, s.got)
				if s.recall() < 0.95 || s.precision() < 0.95 {
					t.Errorf("%s below 0.95:\n  %s", c.what, strings.Join(diff, "\n  "))
				}
			}
		}
	}
}

// observe runs a capture through the test feeder (ittest) or the real
// engine (discovery.NewEngine) with only this package's dissectors.
func observe(t *testing.T, path, name, via string, ds ...discovery.Dissector) []discovery.Observation {
	t.Helper()
	frames := testutil.ReadFrames(t, path)
	if via == "ittest" {
		h := ittest.Run(t, frames, name, ds...)
		h.NoErrors()
		h.CheckObservations()
		return h.Obs
	}
	fs := make([]discovery.Factory, len(ds))
	for i, d := range ds {
		fs[i] = func() discovery.Dissector { return d }
	}
	set, err := discovery.NewSetOf(fs...)
	if err != nil {
		t.Fatal(err)
	}
	var obs []discovery.Observation
	e := discovery.NewEngine(set, func(o discovery.Observation) { obs = append(obs, o) }, discovery.EngineOptions{})
	for _, f := range frames {
		e.Packet(f.Data, f.CI, f.LinkType, discovery.Evidence{Kind: "pcap", Name: name, Frame: uint64(f.Number)})
	}
	e.Close()
	if st := e.Stats(); st.DissectorErrors > 0 {
		t.Errorf("engine: %d dissector errors", st.DissectorErrors)
	}
	return obs
}
