package testutil

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

var netnsSeq atomic.Int64

// Run runs a command and fails the test with its output if it fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// VethNamespace makes a network namespace of its own (named prefix-PID-N)
// holding a veth pair a <-> b, both up with MTU 9000, IPv6 off before the
// links exist (so they never send ND/MLD) and no addresses, and removes it
// when the test ends, failed or not. It skips the test, saying why, when
// not root or when ip (iproute2) is missing or a namespace cannot be made;
// tools lists further commands the caller needs (tcpreplay, ...).
func VethNamespace(t testing.TB, prefix, a, b string, tools ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("not root: this test needs a network namespace and AF_PACKET")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: this test needs it", tool)
		}
	}
	ns := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), netnsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace (%v: %s)", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("removing namespace %s: %v %s", ns, err, out)
		}
	})
	in := func(args ...string) { Run(t, "ip", append([]string{"netns", "exec", ns}, args...)...) }
	in("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
	in("sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1")
	in("ip", "link", "add", a, "mtu", "9000", "type", "veth", "peer", "name", b, "mtu", "9000")
	in("ip", "link", "set", a, "up")
	in("ip", "link", "set", b, "up")
	return ns
}
