package probe

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mb "github.com/simonvetter/modbus"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/internal/store"
)

func testFactory(t *testing.T) *cmdutil.Factory {
	t.Helper()
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Now: time.Now, DBPath: filepath.Join(t.TempDir(), "otzone.db"), OpenStore: store.Open}
	t.Cleanup(func() { f.Close() })
	return f
}

func run(t *testing.T, f *cmdutil.Factory, args ...string) error {
	t.Helper()
	cmd := NewCmdProbe(f)
	cmd.SetArgs(args)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.ExecuteContext(context.Background())
}

func TestProbeModbusUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"modbus"}, "at least one target"},
		{[]string{"modbus", "10.0.0.0/24"}, "--allow-range"},
		{[]string{"modbus", "--allow-range", "10.0.0.0/22"}, "at most 256"},
		{[]string{"modbus", "--rate", "1000", "10.0.0.5"}, "at most 100"},
		{[]string{"modbus", "--per-host-rate", "0", "10.0.0.5"}, "per-host rate"},
		{[]string{"modbus", "--unit-ids", "300", "10.0.0.5"}, "--unit-ids"},
		{[]string{"modbus", "--read", "holding:0-9999", "10.0.0.5"}, "at most 1250"},
		{[]string{"modbus", "--retries", "9", "10.0.0.5"}, "--retries"},
		{[]string{"modbus", "--parallel", "500", "10.0.0.5"}, "--parallel"},
		{[]string{"modbus", "--timeout", "0s", "10.0.0.5"}, "--timeout"},
	} {
		f := testFactory(t)
		err := run(t, f, tc.args...)
		var fe *cmdutil.FlagError
		if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want a usage error containing %q", tc.args, err, tc.want)
		}
	}
}

func TestParseUnitIDs(t *testing.T) {
	got, err := ParseUnitIDs("0, 255,1-3,2")
	if err != nil || string(got) != string([]byte{0, 255, 1, 2, 3}) {
		t.Errorf("got %v %v", got, err)
	}
	for _, bad := range []string{"", "x", "3-1", "256", "-1"} {
		if _, err := ParseUnitIDs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestProbeModbusDryRunSendsNothing: --dry-run prints the plan and neither
// connects nor opens the database.
func TestProbeModbusDryRunSendsNothing(t *testing.T) {
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
	if err := run(t, f, "modbus", "--dry-run", "--unit-ids", "7", l.Addr().String()); err != nil {
		t.Fatal(err)
	}
	// MBAP txid 1, length 5, unit 7, FC 43 MEI 14 basic object 0.
	if s := out.String(); !strings.Contains(s, "000100000005072b0e0100") || !strings.Contains(s, "dry run: nothing is sent") {
		t.Errorf("plan:\n%s", s)
	}
	select {
	case <-accepted:
		t.Error("dry run connected to the target")
	case <-time.After(200 * time.Millisecond):
	}
}

type regs struct{}

func (regs) HandleCoils(r *mb.CoilsRequest) ([]bool, error) { return nil, mb.ErrIllegalFunction }
func (regs) HandleDiscreteInputs(r *mb.DiscreteInputsRequest) ([]bool, error) {
	return nil, mb.ErrIllegalFunction
}
func (regs) HandleHoldingRegisters(r *mb.HoldingRegistersRequest) ([]uint16, error) {
	if r.IsWrite {
		return nil, mb.ErrIllegalFunction
	}
	out := make([]uint16, r.Quantity)
	for i := range out {
		out[i] = 40 + r.Addr + uint16(i)
	}
	return out, nil
}
func (regs) HandleInputRegisters(r *mb.InputRegistersRequest) ([]uint16, error) {
	return nil, mb.ErrIllegalFunction
}

// TestProbeModbusStores probes simonvetter/modbus's server and checks that
// the answer lands in the database as a probe source with a modbus server
// asset, and that a silent target makes the exit status 1.
func TestProbeModbusStores(t *testing.T) {
	srvL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := srvL.Addr().String()
	srvL.Close()
	srv, err := mb.NewServer(&mb.ServerConfiguration{URL: "tcp://" + addr, Timeout: 10 * time.Second, MaxClients: 2}, regs{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()

	f := testFactory(t)
	err = run(t, f, "modbus", "--unit-ids", "1", "--read", "holding:0-2", "--rate", "50", "--per-host-rate", "20", "--timeout", "300ms", addr, silent.Addr().String())
	if !errors.Is(err, cmdutil.ErrSilent) {
		t.Fatalf("err %v, want exit 1 for the silent target", err)
	}
	out := f.IOStreams.Out.(interface{ String() string }).String()
	errOut := f.IOStreams.ErrOut.(interface{ String() string }).String()
	t.Logf("otzone probe modbus output:\n%s", out)
	if !strings.Contains(out, addr+" unit 1 holding:0-2 = [40 41 42]") || !strings.Contains(out, "timeout") {
		t.Errorf("output:\n%s", out)
	}
	if !strings.Contains(errOut, silent.Addr().String()+": ") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("stderr should be one line naming the silent target:\n%s", errOut)
	}
	st, err := f.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	inv, err := st.Inventory(context.Background(), inventory.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Sources) != 1 || inv.Sources[0].Kind != "probe" || !strings.HasPrefix(inv.Sources[0].Name, "modbus@") {
		t.Errorf("sources %+v", inv.Sources)
	}
	found := false
	for _, a := range inv.Assets {
		for _, s := range a.Services {
			if s.Protocol == "modbus" && s.Role == "server" && len(a.IPs) == 1 && a.IPs[0] == "127.0.0.1" && strings.HasPrefix(s.Source, "probe:modbus@"+addr) {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no modbus server asset from the probe: %+v", inv.Assets)
	}
}
