package rules_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "github.com/otzone/otzone/discovery/all"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/testutil"
	"github.com/otzone/otzone/rules"
)

func classifyCapture(t *testing.T, path string) *inventory.Inventory {
	t.Helper()
	inv, err := ingest.Inventory(context.Background(), []string{path}, ingest.Options{})
	if inv == nil {
		t.Fatalf("%s: %v", path, err)
	}
	rs, err := rules.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if err := rules.Classify(inv, rs); err != nil {
		t.Fatal(err)
	}
	return inv
}

func describe(a *inventory.Asset) string {
	lv := "-"
	if a.PurdueLevel != nil {
		lv = fmt.Sprint(*a.PurdueLevel)
	}
	rule := ""
	for _, d := range a.Decisions {
		if d.Field == rules.FieldDeviceType && d.Won {
			rule = d.Rule
		}
	}
	var svcs []string
	for _, s := range a.Services {
		svcs = append(svcs, s.Protocol+"/"+s.Role)
	}
	return fmt.Sprintf("%-40s %-24s L%s %-28s %s", strings.Join(append(append([]string{}, a.IPs...), a.MACs...), ","), a.DeviceType, lv, rule, strings.Join(svcs, " "))
}

// TestDumpRealCaptures prints the classification of every shared capture
// (go test ./rules -run DumpReal -v -dump); it is how the truth table in
// the README was made.
func TestDumpRealCaptures(t *testing.T) {
	if os.Getenv("OTZONE_DUMP") == "" {
		t.Skip("set OTZONE_DUMP=1 to print the classification of every shared capture")
	}
	dir := filepath.Join(testutil.SharedDir(t), "pcaps")
	var files []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	for _, f := range files {
		inv := classifyCapture(t, f)
		rel, _ := filepath.Rel(dir, f)
		fmt.Printf("== %s (%d assets)\n", rel, len(inv.Assets))
		for i := range inv.Assets {
			fmt.Println("   " + describe(&inv.Assets[i]))
		}
	}
}

// TestRealCaptureTruth checks the classification of the shared real
// captures against what is known of their content (the oracle files and
// the capture descriptions in pcaps/SOURCES.md). A built-in rule that is
// wrong here is fixed or removed.
func TestRealCaptureTruth(t *testing.T) {
	tests := []struct {
		capture string
		ip      string // or MAC
		typ     string
		level   int // -1: none
	}{
		// snap7: an S7-300 CPU (SZL identity, oracle) and the snap7 client that
		// stops and starts it (plc_stop/plc_control in the oracle's writes).
		{"s7comm/snap7.pcap", "134.217.61.211", "plc", 1},
		{"s7comm/snap7.pcap", "134.217.61.131", "engineering_workstation", 2},
		{"s7comm/s7ident.pcap", "172.17.0.2", "plc", 1},
		{"s7comm/s7comm_plus.pcap", "192.168.0.1", "plc", 1},
		// modbus_example: two Modbus servers (oracle) and a master polling one.
		{"modbus/modbus_example.pcap", "3.15.227.20", "plc", 1},
		{"modbus/modbus_example.pcap", "127.0.0.1", "plc", 1},
		{"modbus/modbus_example.pcap", "192.168.1.6", "hmi", 2},
		// dnp3_example: outstation 5 at .8, master 100 at .5 (oracle).
		{"dnp3/dnp3_example.pcap", "10.10.20.8", "rtu", 1},
		{"dnp3/dnp3_example.pcap", "10.10.20.5", "scada_server", 2},
		// enip_cip_example: a 1756-ENBT/A (ControlLogix bridge, oracle identity),
		// the host that only ListIdentity's it, the CIP server .120 and its client.
		{"enip/enip_cip_example.pcap", "10.1.1.164", "plc", 1},
		{"enip/enip_cip_example.pcap", "10.1.1.167", "engineering_workstation", 2},
		{"enip/enip_cip_example.pcap", "192.168.10.120", "plc", 1},
		{"enip/enip_cip_example.pcap", "192.168.10.105", "hmi", 2},
		// CIP class-1 I/O (UDP 2222, all unicast) between 192.168.1.22 and
		// 192.168.1.24: tshark (-e enip.cpf.sai.connid -e enip.cpf.length
		// -e udp.length) shows .24 sending 6-byte connected data (UDP length
		// 32) 30-31 times on each of 11 connection ids and 88 bytes on
		// 0x004b0c06 (0x004b0201...0x004b180c, from frame 377), and .22 only
		// 2-byte data (the CIP sequence count alone: a heartbeat, UDP length
		// 28) 2-3 times on 12 other ids (from frame 388). That is the shape
		// of input-only connections: an originator (.22, scanner) consuming
		// a target's (.24, adapter) inputs. The dissector sets cip.io_role
		// after .22's second heartbeat (frame 399); the rules are low
		// priority (an output-only connection has the opposite shape).
		{"enip/enip_cip_example.pcap", "192.168.1.22", "plc", 1},
		{"enip/enip_cip_example.pcap", "192.168.1.24", "io_device", 0},
		// a CalDigit dock sends LLDP: not network equipment. Its LLDP-MED
		// TLV (frame 623, Wireshark: "Class Type: Endpoint Class I (1)")
		// says end device: the laptop on the dock's NIC, a workstation.
		{"enip/enip_cip_example.pcap", "192.168.1.4", "workstation", -1},
		{"enip/enip_cip_example.pcap", "00:21:91:06:f1:66", "network_device", -1},
		// opcua: the SiLab UA server (oracle endpoint 192.168.11.34:4840).
		{"opcua/opcua_with-gap.pcap", "192.168.11.34", "opc_server", 2},
		// PROFINET CM connect: the Phoenix Contact PC Worx controller connects
		// to the GE VersaMax IC200PNS001 I/O head (oracle DCP: device role 1).
		{"profinet/profinet_io_cm_connect_minimal.pcapng", "192.168.1.3", "plc", 1},
		{"profinet/profinet_io_cm_connect_minimal.pcapng", "192.168.1.2", "io_device", 0},
		// PN-IO CM without a Connect in the capture (tshark on each file:
		// connect 0, release 1, read 2 and write 3 requests all carry the
		// IO-device interface UUID DEA00001-6C97-11D1-8271-00A02442DF7D).
		// The requesters hold an AR with the device: their Connects in
		// profinet_io_cm_connect.pcapng name them as controllers
		// (CMInitiatorStationName "controller" 192.168.2.1 frame 27 and
		// 10.9.0.110 frame 275, "softwareplcxb3ec19" 192.168.0.17 frame 55,
		// "pc-worx-rt-basic-6d-d3-43" 192.168.1.3 frame 1).
		// write: 192.168.2.1 writes records to .10 (frame 42) and .11 (frame
		// 23), 192.168.0.17 to 192.168.0.126 (frame 193), 10.9.0.110 to
		// 10.9.0.117 (frame 255).
		{"profinet/profinet_io_cm_write.pcapng", "192.168.2.1", "plc", 1},
		{"profinet/profinet_io_cm_write.pcapng", "192.168.2.10", "io_device", 0},
		{"profinet/profinet_io_cm_write.pcapng", "192.168.2.11", "io_device", 0},
		{"profinet/profinet_io_cm_write.pcapng", "192.168.0.17", "plc", 1},
		{"profinet/profinet_io_cm_write.pcapng", "192.168.0.126", "io_device", 0},
		{"profinet/profinet_io_cm_write.pcapng", "10.9.0.110", "plc", 1},
		{"profinet/profinet_io_cm_write.pcapng", "10.9.0.117", "io_device", 0},
		// read: 192.168.1.3 reads (opnum 2, inside its AR) from the VersaMax
		// I/O head 192.168.1.2 (frame 3; DCP role 1 = IO-device in
		// profinet_io_cm_mixed_1.pcap's oracle). 10.10.0.150 only sends a Read
		// Implicit (opnum 5, no AR; frame 1) to 10.10.0.129 (a GE 00:09:91
		// NIC like the VersaMax): the responder implements the device
		// interface, the requester may be a controller or an engineering
		// tool (192.168.0.1 and 192.168.0.2 also send Read Implicit here and
		// are controllers elsewhere), so it stays unclassified.
		{"profinet/profinet_io_cm_read.pcapng", "192.168.1.3", "plc", 1},
		{"profinet/profinet_io_cm_read.pcapng", "192.168.1.2", "io_device", 0},
		{"profinet/profinet_io_cm_read.pcapng", "10.10.0.129", "io_device", 0},
		{"profinet/profinet_io_cm_read.pcapng", "10.10.0.150", "unknown", -1},
		// release: the controller ends its AR with the I/O head (frame 1).
		{"profinet/profinet_io_cm_release.pcapng", "192.168.1.3", "plc", 1},
		{"profinet/profinet_io_cm_release.pcapng", "192.168.1.2", "io_device", 0},
		// control: PN-IO CM Control requests only (tshark -Y 'dcerpc.opnum==4'
		// -e dcerpc.dg_if_id -e pn_io.control_command): each controller sends
		// IODControlReq PrmEnd (0x0001) to the device interface DEA00001,
		// each device answers with IOXBlockReq ApplicationReady (0x0002) to
		// the controller interface DEA00002. 140.140.60.210 -> .50 frames
		// 5/7; 192.168.1.12 -> .13 frames 29/31; 192.168.99.200 -> .1 and .2
		// frames 34/35, 38/39; 192.168.2.1 -> .20 and .30 frames 53/55,
		// 49/51; 10.9.0.110 -> .117 frames 182/184. 192.168.0.50 only sends
		// ApplicationReady (frame 102) to 192.168.0.2 at MAC
		// 00:1b:1b:ee:bf:7d. (12:34:12:34:12:33 sends PrmEnd as 192.168.0.1
		// and ApplicationReady as 192.168.0.3, an I-device CPU: not listed.)
		{"profinet/profinet_io_cm_control.pcapng", "140.140.60.210", "plc", 1},
		{"profinet/profinet_io_cm_control.pcapng", "140.140.60.50", "io_device", 0},
		{"profinet/profinet_io_cm_control.pcapng", "192.168.1.12", "plc", 1},
		{"profinet/profinet_io_cm_control.pcapng", "192.168.1.13", "io_device", 0},
		{"profinet/profinet_io_cm_control.pcapng", "192.168.99.200", "plc", 1},
		{"profinet/profinet_io_cm_control.pcapng", "192.168.99.1", "io_device", 0},
		{"profinet/profinet_io_cm_control.pcapng", "192.168.99.2", "io_device", 0},
		{"profinet/profinet_io_cm_control.pcapng", "192.168.2.1", "plc", 1},
		{"profinet/profinet_io_cm_control.pcapng", "192.168.2.20", "io_device", 0},
		{"profinet/profinet_io_cm_control.pcapng", "192.168.2.30", "io_device", 0},
		{"profinet/profinet_io_cm_control.pcapng", "10.9.0.110", "plc", 1},
		{"profinet/profinet_io_cm_control.pcapng", "10.9.0.117", "io_device", 0},
		{"profinet/profinet_io_cm_control.pcapng", "192.168.0.50", "io_device", 0},
		{"profinet/profinet_io_cm_control.pcapng", "00:1b:1b:ee:bf:7d", "plc", 1},
		// mixed_1: the SCALANCE X208 switch (LLDP system description, DHCP host
		// name siemens-x208-switch) and a Windows laptop (DHCP MSFT 5.0).
		{"profinet/profinet_io_cm_mixed_1.pcap", "00:0e:8c:ef:75:c9", "network_device", -1},
		{"profinet/profinet_io_cm_mixed_1.pcap", "e4:11:5b:5a:d9:73", "workstation", -1},
		// bacnet_example: 172.20.32.250 sends ReinitializeDevice
		// (abort-restore) to the 40 devices, 3 each with a different password
		// (first frame 572), all refused with Error services/password-failure
		// (frame 573): device management, as an engineering workstation (or a
		// password-guessing tool) does; 172.20.32.200 reads properties.
		{"bacnet/bacnet_example.pcap", "172.20.32.250", "engineering_workstation", 2},
		{"bacnet/bacnet_example.pcap", "172.20.32.200", "hmi", 2},
		// BACnet: two devices exchanging segmented data are devices, not SCADA.
		{"bacnet/bacnet_segmented_data.pcap", "10.0.0.1", "plc", 1},
		{"bacnet/bacnet_segmented_data.pcap", "10.0.0.2", "plc", 1},
	}
	cache := map[string]*inventory.Inventory{}
	for _, tt := range tests {
		t.Run(tt.capture+"/"+tt.ip, func(t *testing.T) {
			inv := cache[tt.capture]
			if inv == nil {
				inv = classifyCapture(t, testutil.SharedPcap(t, tt.capture))
				cache[tt.capture] = inv
			}
			var a *inventory.Asset
			for i := range inv.Assets {
				for _, x := range append(append([]string{}, inv.Assets[i].IPs...), inv.Assets[i].MACs...) {
					if x == tt.ip {
						a = &inv.Assets[i]
					}
				}
			}
			if a == nil {
				t.Fatalf("no asset %s in %s", tt.ip, tt.capture)
			}
			lv := -1
			if a.PurdueLevel != nil {
				lv = *a.PurdueLevel
			}
			if a.DeviceType != tt.typ || lv != tt.level {
				t.Errorf("%s: %s level %d, want %s level %d\n%s", tt.ip, a.DeviceType, lv, tt.typ, tt.level, describe(a))
			}
		})
	}
}
