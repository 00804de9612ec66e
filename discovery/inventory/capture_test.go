package inventory_test

import (
	"context"
	"testing"

	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/testutil"
)

func ingestPcap(t *testing.T, rel string) *inventory.Inventory {
	t.Helper()
	inv, err := ingest.Inventory(context.Background(), []string{testutil.SharedPcap(t, rel)}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// bacnet_example.pcap frame 72 is a Who-Is from 172.20.32.200 to
// 172.20.32.255 with a unicast destination MAC (tshark: eth.dst
// 2c:30:33:d3:15:44); frames 74 and 76 are I-Ams to the same address. The
// address never sends: it is the subnet's broadcast, not a device.
func TestCaptureBACnetDirectedBroadcast(t *testing.T) {
	inv := ingestPcap(t, "bacnet/bacnet_example.pcap")
	var whoIs *inventory.Communication
	for i, a := range inv.Assets {
		for _, ip := range a.IPs {
			if ip == "172.20.32.255" {
				t.Errorf("asset %s carries the broadcast address", inv.Assets[i].Key)
			}
		}
	}
	for i, c := range inv.Communications {
		if c.Server == "broadcast:172.20.32.255" && c.Source == "pcap:bacnet_example.pcap#frame=72" {
			whoIs = &inv.Communications[i]
		}
	}
	if whoIs == nil {
		t.Fatal("no communication to broadcast:172.20.32.255 first seen in frame 72")
	}
	if a := inv.AssetByID(whoIs.Client); a == nil || len(a.IPs) != 1 || a.IPs[0] != "172.20.32.200" {
		t.Errorf("Who-Is client %+v, want the asset of 172.20.32.200", a)
	}
}
