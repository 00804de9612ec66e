package probe

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopcua/opcua/server"
	"github.com/gopcua/opcua/ua"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/store"
)

func TestProbeOPCUAUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"opcua"}, "at least one endpoint"},
		{[]string{"opcua", "http://10.0.0.5:4840"}, "want opc.tcp"},
		{[]string{"opcua", "opc.tcp://10.0.0.0/24"}, "explicit endpoints only"},
		{[]string{"opcua", "opc.tcp://224.0.0.1"}, "not a unicast"},
		{[]string{"opcua", "--rate", "1000", "opc.tcp://10.0.0.5"}, "at most 100"},
		{[]string{"opcua", "--timeout", "0s", "opc.tcp://10.0.0.5"}, "--timeout"},
		{[]string{"opcua", "--parallel", "0", "opc.tcp://10.0.0.5"}, "--parallel"},
	} {
		f := testFactory(t)
		err := run(t, f, tc.args...)
		var fe *cmdutil.FlagError
		if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want a usage error containing %q", tc.args, err, tc.want)
		}
	}
}

// TestProbeOPCUADryRunSendsNothing: --dry-run prints the plan (the Hello's
// exact bytes first) and neither connects nor opens the database.
func TestProbeOPCUADryRunSendsNothing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	f := testFactory(t)
	f.OpenStore = func(context.Context, string) (*store.Store, error) {
		t.Error("dry run opened the database")
		return nil, errors.New("no")
	}
	out := f.IOStreams.Out.(interface{ String() string })
	if err := run(t, f, "opcua", "--dry-run", "opc.tcp://"+l.Addr().String()); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"dry run: nothing is sent", "48454c46", "open_secure_channel", "find_servers", "get_endpoints",
		"create_session", "[only the server offers an anonymous SecurityPolicy#None endpoint on this port]", "close_secure_channel"} {
		if !strings.Contains(s, want) {
			t.Errorf("plan lacks %q:\n%s", want, s)
		}
	}
	for _, never := range []string{"write", "call", "subscription"} {
		if strings.Contains(s, never) {
			t.Errorf("plan mentions %q:\n%s", never, s)
		}
	}
	select {
	case <-accepted:
		t.Error("dry run connected to the target")
	case <-time.After(200 * time.Millisecond):
	}
}

// TestProbeOPCUAStores probes gopcua's server (None endpoint, anonymous)
// and checks that the answers land in the database as a probe source with
// an opcua server asset carrying the BuildInfo.
func TestProbeOPCUAStores(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := server.New(server.EndPoint("127.0.0.1", port),
		server.EnableSecurity("None", ua.MessageSecurityModeNone), server.EnableAuthMode(ua.UserTokenTypeAnonymous),
		server.ProductName("gopcua cli peer"), server.ManufacturerName("otzone test"), server.SoftwareVersion("1.2.3"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	url := "opc.tcp://127.0.0.1:" + strconv.Itoa(port)
	f := testFactory(t)
	if err := run(t, f, "opcua", "--rate", "100", "--per-host-rate", "20", url); err != nil {
		t.Fatal(err)
	}
	out := f.IOStreams.Out.(interface{ String() string }).String()
	t.Logf("otzone probe opcua output:\n%s", out)
	if !strings.Contains(out, "None") || !strings.Contains(out, "gopcua cli peer 1.2.3 by otzone test") {
		t.Errorf("output:\n%s", out)
	}
	st, err := f.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	inv, err := st.Inventory(context.Background(), inventory.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Sources) != 1 || inv.Sources[0].Kind != "probe" || !strings.HasPrefix(inv.Sources[0].Name, "opcua@") {
		t.Errorf("sources %+v", inv.Sources)
	}
	found := false
	for _, a := range inv.Assets {
		for _, at := range a.Attributes {
			if at.Key == "opcua.product_name" && at.Value == "gopcua cli peer" && strings.HasPrefix(at.Source, "probe:opcua@127.0.0.1:") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no opcua.product_name from the probe: %+v", inv.Assets)
	}
}
