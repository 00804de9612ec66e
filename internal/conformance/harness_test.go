package conformance

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/testutil"
)

func TestCompare(t *testing.T) {
	s := Compare(map[string]bool{"a": true, "b": true, "c": true, "d": true}, map[string]bool{"a": true, "b": true, "c": true, "x": true, "y": true},
		map[string]bool{"y": true})
	if s.TP != 3 || s.FN != 1 || s.FP != 1 || s.Recall() != 0.75 || s.Precision() != 0.75 || s.Missed[0] != "d" || s.Extra[0] != "x" {
		t.Errorf("score %+v", s)
	}
	if e := (Score{}); !e.Empty() || e.Recall() != 1 || e.Precision() != 1 {
		t.Errorf("empty score %+v", e)
	}
	sum := s.Add(Score{TP: 1, FP: 3})
	if sum.TP != 4 || sum.FP != 4 || sum.FN != 1 {
		t.Errorf("sum %+v", sum)
	}
}

// TestChecksCanFail mutates the inventory of modbus_example.pcap and shows
// the hosts and Modbus checks notice: a dropped write operation, a bogus
// server, a lost host, a wrong unit id.
func TestChecksCanFail(t *testing.T) {
	path := testutil.SharedPcap(t, "modbus/modbus_example.pcap")
	raw, err := os.ReadFile(path + ".oracle.json")
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *inventory.Inventory {
		inv, err := pipeline(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	base := checkModbus(json.RawMessage(raw), fresh())
	if base.Recall() != 1 || base.Precision() != 1 {
		t.Fatalf("baseline modbus score %+v", base)
	}
	inv := fresh()
	for i := range inv.Communications {
		c := &inv.Communications[i]
		for j := range c.Operations {
			if c.Operations[j].Code == 16 {
				c.Operations[j].Count++ // the oracle says 1
			}
		}
	}
	if s := checkModbus(json.RawMessage(raw), inv); s.FN != 1 || s.FP != 1 {
		t.Errorf("write count changed: %+v", s)
	}
	inv = fresh()
	inv.Assets = append(inv.Assets, inventory.Asset{ID: "bogus", IPs: []string{"10.9.9.9"}, MACs: []string{"02:00:00:00:00:01"},
		Services:   []inventory.Service{{Protocol: "modbus", Transport: "tcp", Port: 502, Role: "server"}},
		Attributes: []inventory.Attribute{{Key: "modbus.unit_id", Value: "77"}}})
	if s := checkModbus(json.RawMessage(raw), inv); s.FP != 2 || s.Precision() >= ModbusThreshold {
		t.Errorf("bogus server: %+v", s)
	}
	if s := checkHosts(json.RawMessage(raw), inv); s.FP != 2 {
		t.Errorf("bogus host: %+v", s)
	}
	inv = fresh()
	inv.Assets = inv.Assets[1:]
	if s := checkHosts(json.RawMessage(raw), inv); s.FN == 0 {
		t.Errorf("lost host not noticed: %+v", s)
	}
}
