package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes (CONTRACT.md): 0 success, 1 failure, 2 usage error.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// FlagError is a usage error: a bad flag, a missing argument. It exits 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a usage error.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ErrSilent means the command already reported its errors on stderr (one
// line per bad file, say) and only the exit status 1 remains to be given.
var ErrSilent = errors.New("silent error")

// ExitCode is the one place errors become exit codes; it also prints the
// error (one line on stderr) unless it was already printed.
func ExitCode(err error, printErr func(string)) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, ErrSilent) {
		return ExitError
	}
	var fe *FlagError
	if errors.As(err, &fe) || isCobraUsageError(err) {
		printErr(err.Error())
		return ExitUsage
	}
	if errors.Is(err, context.Canceled) {
		printErr("interrupted")
		return ExitError
	}
	printErr(err.Error())
	return ExitError
}

// isCobraUsageError recognises the usage errors cobra builds itself (an
// unknown subcommand) that cannot be intercepted with a hook.
func isCobraUsageError(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command ") || strings.HasPrefix(s, "unknown flag") ||
		strings.HasPrefix(s, "unknown shorthand flag") || strings.HasPrefix(s, "flag needs an argument") ||
		strings.HasPrefix(s, "invalid argument ")
}

// FlagErrorFunc makes cobra's flag-parsing errors usage errors (exit 2).
func FlagErrorFunc(_ *cobra.Command, err error) error {
	return &FlagError{Err: err}
}

// MinimumArgs is cobra.MinimumNArgs returning a usage error with a message.
func MinimumArgs(n int, msg string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return FlagErrorf("%s", msg)
		}
		return nil
	}
}

// ExactArgs is cobra.ExactArgs returning a usage error with a message.
func ExactArgs(n int, msg string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return FlagErrorf("%s", msg)
		}
		return nil
	}
}

// NoArgs rejects positional arguments with a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unexpected argument %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}
