// Command otzone reads industrial network traffic into an asset inventory,
// groups it into IEC 62443 zones and conduits, and assesses them.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/cmd/otzone/root"

	_ "github.com/otzone/otzone/discovery/all" // every protocol dissector
)

// Stamped by the Makefile: -ldflags "-X main.version=... -X main.commit=...".
var (
	version = ""
	commit  = ""
)

func main() {
	os.Exit(run())
}

func run() int {
	v, c := buildVersion()
	f := cmdutil.New(v, c)
	defer f.Close()

	// The first SIGINT/SIGTERM cancels ctx: long commands stop reading,
	// commit what they have and return. A second one exits at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		cancel()
		<-sig
		fmt.Fprintln(os.Stderr, "otzone: interrupted twice, exiting without committing")
		os.Exit(cmdutil.ExitError)
	}()

	cmd := root.NewCmdRoot(f)
	err := execute(ctx, cmd)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing database: %w", cerr)
	}
	return cmdutil.ExitCode(err, func(msg string) {
		fmt.Fprintln(f.IOStreams.ErrOut, "otzone: "+cmdutil.EscapeTerminal(msg))
	})
}

// execute runs the command tree. A panic that escapes a command (a bug)
// becomes one error line naming the function and line where it happened,
// exit 1, with the database still closed properly; OTZONE_TRACEBACK=1 also
// prints the stack.
func execute(ctx context.Context, cmd *cobra.Command) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if os.Getenv("OTZONE_TRACEBACK") != "" {
			os.Stderr.Write(debug.Stack())
		}
		err = fmt.Errorf("internal error: %v%s (a bug: please report it with the command and its input; OTZONE_TRACEBACK=1 prints the stack)", p, panicSite())
	}()
	return cmd.ExecuteContext(ctx)
}

// panicSite is " at pkg.Func (file.go:N)" for the innermost otzone frame of
// the panicking goroutine, called from a deferred recover.
func panicSite() string {
	pcs := make([]uintptr, 100)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		fr, more := frames.Next()
		if fn, ok := strings.CutPrefix(fr.Function, "github.com/otzone/otzone/"); ok {
			return fmt.Sprintf(" at %s (%s:%d)", fn, filepath.Base(fr.File), fr.Line)
		}
		if !more {
			return ""
		}
	}
}

// buildVersion prefers the ldflags stamps and falls back on the module
// build information (go install) and its VCS stamp.
func buildVersion() (string, string) {
	v, c := version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	return v, c
}
