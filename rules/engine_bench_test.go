package rules

import (
	"fmt"
	"testing"

	"github.com/otzone/otzone/discovery/inventory"
)

// bigPlant is a synthetic site: 40 cells of 50 controllers, each polled by
// two HMIs, plus an engineering station programming every controller.
func bigPlant() *inventory.Inventory {
	inv := &inventory.Inventory{}
	ews := "ews"
	inv.Assets = append(inv.Assets, inventory.Asset{ID: ews, IPs: []string{"10.0.0.5"}})
	for c := 0; c < 40; c++ {
		hmis := []string{fmt.Sprintf("hmi-%d-a", c), fmt.Sprintf("hmi-%d-b", c)}
		for _, h := range hmis {
			inv.Assets = append(inv.Assets, inventory.Asset{ID: h, IPs: []string{fmt.Sprintf("10.1.%d.%d", c, len(h))}})
		}
		for p := 0; p < 50; p++ {
			id := fmt.Sprintf("plc-%d-%d", c, p)
			inv.Assets = append(inv.Assets, inventory.Asset{ID: id, IPs: []string{fmt.Sprintf("10.2.%d.%d", c, p)},
				Attributes: []inventory.Attribute{{Key: "net.vlan", Value: fmt.Sprint(100 + c)}}})
			for _, h := range hmis {
				inv.Communications = append(inv.Communications, inventory.Communication{Client: h, Server: id, Protocol: "modbus", Port: 502,
					Operations: []inventory.Operation{{Name: "read_holding_registers", Class: "read", Count: 1000}}})
			}
			inv.Communications = append(inv.Communications, inventory.Communication{Client: ews, Server: id, Protocol: "s7comm", Port: 102,
				Operations: []inventory.Operation{{Name: "download_block", Class: "program", Count: 3}}})
		}
	}
	return inv
}

func BenchmarkClassify(b *testing.B) {
	rs, err := Load("")
	if err != nil {
		b.Fatal(err)
	}
	inv := bigPlant()
	b.ReportMetric(float64(len(inv.Assets)), "assets")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Classify(inv, rs); err != nil {
			b.Fatal(err)
		}
	}
}
