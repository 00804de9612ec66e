package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileLiveCapture replays the hostile capture onto the loopback
// interface of a private network namespace (unshare -n) while otzone
// captures it: the capture's stats and summary lines and the inventory it
// commits stay escaped. Root only, with unshare, ip and tcpreplay.
func TestHostileLiveCapture(t *testing.T) {
	bin := otzone(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace and a raw socket")
	}
	for _, tool := range []string{"unshare", "ip", "tcpreplay"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	dir := t.TempDir()
	writeHostileCapture(t, filepath.Join(dir, "h.pcapng"))
	db := filepath.Join(dir, "live.db")
	script := `ip link set lo up || exit 97
"$0" --db "$1" capture -i lo --duration 4s > "$2/cap.out" 2> "$2/cap.err" &
pid=$!
sleep 1.5
tcpreplay -q -i lo --topspeed "$2/h.pcapng" > /dev/null 2>&1 || exit 98
wait $pid`
	cmd := exec.Command("unshare", "-n", "sh", "-c", script, bin, db, dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok && (ee.ExitCode() == 97 || ee.ExitCode() == 98) {
			t.Skipf("no usable namespace loopback or tcpreplay: %s", out.String())
		}
		capErr, _ := os.ReadFile(filepath.Join(dir, "cap.err"))
		t.Fatalf("capture: %v: %s %s", err, out.String(), capErr)
	}
	for _, f := range []string{"cap.out", "cap.err"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if s := terminalUnsafe(string(b), false); s != "" {
			t.Errorf("capture %s: %s", f, s)
		}
		if f == "cap.out" && !strings.Contains(string(b), "captured") {
			t.Errorf("capture printed no summary: %q", b)
		}
	}
	r := run(t, dir, "--db", db, "assets")
	if !strings.Contains(r.stdout, "PWNED") {
		t.Fatalf("%s: the live capture did not reach the inventory:\n%s", r, r.stdout)
	}
	if s := terminalUnsafe(r.stdout, true); s != "" {
		t.Errorf("%s: %s", r, s)
	}
	tr := runTTY(t, dir, "--db", db, "assets")
	if s := terminalUnsafe(tr.stdout, true); s != "" {
		t.Errorf("%s (terminal): %s", tr, s)
	}
}
