package cmdutil

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the three standard streams plus what the commands need to
// know about them (is it a terminal, may we use colour), so that tests can
// swap them for buffers (GitHub CLI pkg/iostreams).
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY bool
	stderrTTY bool
	colour    bool
	width     int
	// Quiet silences progress output (--quiet).
	Quiet bool
}

// System returns the process's streams, detecting terminals.
func System() *IOStreams {
	out := term.IsTerminal(int(os.Stdout.Fd()))
	errTTY := term.IsTerminal(int(os.Stderr.Fd()))
	colour := out && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, stdoutTTY: out, stderrTTY: errTTY, colour: colour}
}

// Test returns streams backed by buffers: stdin, stdout, stderr. Neither
// output is a terminal until SetStdoutTTY/SetStderrTTY say so.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStdoutTTY reports whether standard output is a terminal (table output).
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal (progress bars).
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdoutTTY overrides terminal detection (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides terminal detection (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// ColorEnabled reports whether output may carry ANSI colour.
func (s *IOStreams) ColorEnabled() bool { return s.colour }

// SetColorEnabled turns colour on or off (--no-color).
func (s *IOStreams) SetColorEnabled(v bool) { s.colour = v }

// ShowProgress reports whether a progress bar may be drawn on stderr: only
// on a terminal and never with --quiet.
func (s *IOStreams) ShowProgress() bool { return s.stderrTTY && !s.Quiet }

// SetTerminalWidth fixes the width tables are fitted to (tests).
func (s *IOStreams) SetTerminalWidth(w int) { s.width = w }

// TerminalWidth is stdout's width, 80 when unknown.
func (s *IOStreams) TerminalWidth() int {
	if s.width > 0 {
		return s.width
	}
	if f, ok := s.Out.(*os.File); ok && s.stdoutTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 80
}
