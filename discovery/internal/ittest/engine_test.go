package ittest_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/cdp"
	"github.com/otzone/otzone/discovery/dhcp"
	"github.com/otzone/otzone/discovery/dns"
	"github.com/otzone/otzone/discovery/ftp"
	"github.com/otzone/otzone/discovery/http"
	"github.com/otzone/otzone/discovery/internal/ittest"
	"github.com/otzone/otzone/discovery/lldp"
	"github.com/otzone/otzone/discovery/ntp"
	"github.com/otzone/otzone/discovery/rdp"
	"github.com/otzone/otzone/discovery/smb"
	"github.com/otzone/otzone/discovery/snmp"
	"github.com/otzone/otzone/discovery/ssh"
	"github.com/otzone/otzone/discovery/telnet"
	"github.com/otzone/otzone/discovery/tls"
	"github.com/otzone/otzone/internal/testutil"
)

// itDissectors are fresh instances of every IT-protocol dissector.
func itDissectors() []discovery.Dissector {
	return []discovery.Dissector{lldp.New(), cdp.New(), dhcp.New(), dns.New(), dns.NewTCP(), dns.NewMDNS(), dns.NewNBNS(),
		http.New(), tls.New(), ssh.New(), telnet.New(), ftp.New(), rdp.New(), smb.New(), snmp.New(), ntp.New()}
}

func factories(ds []discovery.Dissector) []discovery.Factory {
	fs := make([]discovery.Factory, len(ds))
	for i, d := range ds {
		fs[i] = func() discovery.Dissector { return d }
	}
	return fs
}

// TestRegistered: every IT dissector is registered under its name and the
// whole group claims no port twice.
func TestRegistered(t *testing.T) {
	want := []string{"cdp", "dhcp", "dns", "dns_tcp", "ftp", "http", "lldp", "mdns", "nbns", "ntp", "rdp", "smb", "snmp", "ssh", "telnet", "tls"}
	got := discovery.Registered()
	for _, n := range want {
		if !slices.Contains(got, n) {
			t.Errorf("%s not registered", n)
		}
	}
	if _, err := discovery.NewSet(want...); err != nil {
		t.Fatal(err)
	}
}

func key(o discovery.Observation) string {
	return fmt.Sprintf("%s %s %s=%s %s/%s/%d/%s %s", o.Kind, o.Asset, o.Key, o.Value, o.Protocol, o.Transport, o.Port, o.Role, o.Op.Name)
}

// TestEngineAgrees runs every package fixture through the real engine with
// all IT dissectors at once (ports, heuristics and reassembly as in
// production) and requires every fact the package test harness saw.
func TestEngineAgrees(t *testing.T) {
	var fixtures []string
	for _, pkg := range []string{"lldp", "cdp", "dhcp", "dns", "http", "tls", "ssh", "telnet", "ftp", "rdp", "smb", "snmp", "ntp"} {
		m, _ := filepath.Glob(testutil.Fixture(pkg, "*.pcap*"))
		fixtures = append(fixtures, m...)
	}
	if len(fixtures) < 19 {
		t.Fatalf("only %d fixtures found", len(fixtures))
	}
	for _, path := range fixtures {
		t.Run(filepath.Base(path), func(t *testing.T) {
			frames := testutil.ReadFrames(t, path)
			h := ittest.Run(t, frames, "x", itDissectors()...)
			h.NoErrors()
			set, err := discovery.NewSetOf(factories(itDissectors())...)
			if err != nil {
				t.Fatal(err)
			}
			var got []discovery.Observation
			eng := discovery.NewEngine(set, func(o discovery.Observation) { got = append(got, o) }, discovery.EngineOptions{})
			for _, f := range frames {
				eng.Packet(f.Data, f.CI, f.LinkType, discovery.Evidence{Kind: "pcap", Name: "x", Frame: uint64(f.Number)})
			}
			eng.Close()
			if st := eng.Stats(); st.DissectorErrors != 0 || st.DissectorPanics != 0 {
				t.Errorf("engine stats: %d dissector errors, %d panics", st.DissectorErrors, st.DissectorPanics)
			}
			have := map[string]bool{}
			for _, o := range got {
				have[key(o)] = true
			}
			n := 0
			for _, o := range h.Obs {
				if o.Kind == discovery.KindHost || o.Kind == discovery.KindFlow {
					continue
				}
				n++
				if !have[key(o)] {
					t.Errorf("engine lacks: %s", key(o))
				}
			}
			if n == 0 {
				t.Fatal("harness saw nothing")
			}
		})
	}
}
