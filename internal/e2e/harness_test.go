package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// otzone builds the binary once per test run and returns its path.
func otzone(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: builds the binary; skipped with -short")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "otzone-e2e")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "otzone")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/otzone")
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			binErr = errors.New("go build: " + err.Error() + ": " + out.String())
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// result is one run of the binary.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string { return "otzone " + strings.Join(r.args, " ") }

// run runs otzone with args (stdout and stderr are pipes: not a terminal).
func run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(otzone(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OTZONE_DB=", "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return result{args: args, stdout: out.String(), stderr: errb.String(), code: exitCode(t, err)}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// runTTY runs otzone with stdout and stderr on a pseudo-terminal (output
// post-processing off, so every byte seen is a byte written) 200 columns
// wide; stdout and stderr arrive mixed in result.stdout.
func runTTY(t *testing.T, dir string, args ...string) result {
	t.Helper()
	master, slave, err := openPTY(200, 50)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	cmd := exec.Command(otzone(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OTZONE_DB=", "TERM=xterm")
	cmd.Stdout, cmd.Stderr = slave, slave
	if err := cmd.Start(); err != nil {
		slave.Close()
		t.Fatal(err)
	}
	slave.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, master) // ends with EIO when the child closes the terminal
		close(done)
	}()
	werr := cmd.Wait()
	<-done
	return result{args: args, stdout: out.String(), code: exitCode(t, werr)}
}
