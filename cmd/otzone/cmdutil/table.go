package cmdutil

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// TablePrinter prints rows as an aligned table on a terminal and as
// tab-separated values when piped (GitHub CLI internal/tableprinter). Every
// cell is escaped for the terminal: wire strings cannot inject escape
// sequences, tabs or newlines.
type TablePrinter struct {
	out     io.Writer
	isTTY   bool
	maxW    int
	header  []string
	rows    [][]string
	current []string
	fixed   map[int]bool
}

// Fixed marks columns (0-based) that are never truncated to fit the
// terminal: identifiers a person copies (ids, addresses).
func (t *TablePrinter) Fixed(cols ...int) {
	if t.fixed == nil {
		t.fixed = map[int]bool{}
	}
	for _, c := range cols {
		t.fixed[c] = true
	}
}

// NewTablePrinter returns a printer for ios.Out.
func NewTablePrinter(ios *IOStreams) *TablePrinter {
	return &TablePrinter{out: ios.Out, isTTY: ios.IsStdoutTTY(), maxW: ios.TerminalWidth()}
}

// Header sets the column titles (printed on a terminal only, as in gh).
func (t *TablePrinter) Header(cols ...string) { t.header = cols }

// AddField adds a cell to the current row.
func (t *TablePrinter) AddField(s string) { t.current = append(t.current, EscapeTerminal(s)) }

// EndRow finishes the current row.
func (t *TablePrinter) EndRow() {
	t.rows = append(t.rows, t.current)
	t.current = nil
}

// Render writes the table.
func (t *TablePrinter) Render() error {
	if len(t.current) > 0 {
		t.EndRow()
	}
	if !t.isTTY {
		for _, r := range t.rows {
			if _, err := fmt.Fprintln(t.out, strings.Join(r, "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	rows := t.rows
	if len(t.header) > 0 {
		rows = append([][]string{t.header}, rows...)
	}
	ncol := 0
	for _, r := range rows {
		ncol = max(ncol, len(r))
	}
	widths := make([]int, ncol)
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	// Shrink the widest columns until the table fits the terminal
	// (two spaces between columns), never below 10 characters.
	total := func() int {
		n := 2 * (ncol - 1)
		for _, w := range widths {
			n += w
		}
		return n
	}
	for total() > t.maxW {
		wi := -1
		for i, w := range widths {
			if !t.fixed[i] && (wi < 0 || w > widths[wi]) {
				wi = i
			}
		}
		if wi < 0 || widths[wi] <= 10 {
			break
		}
		widths[wi]--
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		for i, c := range r {
			c = truncate(c, widths[i])
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		if _, err := fmt.Fprintln(t.out, strings.TrimRight(b.String(), " ")); err != nil {
			return err
		}
	}
	return nil
}

func truncate(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	if w <= 1 {
		return string([]rune(s)[:w])
	}
	return string([]rune(s)[:w-1]) + "…"
}
