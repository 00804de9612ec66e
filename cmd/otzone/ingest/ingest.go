// Package ingest is `otzone ingest PATH...`.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/otzone/otzone/cmd/otzone/cmdutil"
	"github.com/otzone/otzone/discovery/source"
	"github.com/otzone/otzone/internal/ingest"
	"github.com/otzone/otzone/internal/store"
)

// IngestOptions is what `otzone ingest` needs.
type IngestOptions struct {
	IO    *cmdutil.IOStreams
	Store func(context.Context) (*store.Store, error)
	Paths []string
	Site  string
	// Library options (tests shorten batches or inject an engine).
	Ingest ingest.Options
}

// NewCmdIngest returns `otzone ingest`.
func NewCmdIngest(f *cmdutil.Factory, runF func(context.Context, *IngestOptions) error) *cobra.Command {
	opts := &IngestOptions{IO: f.IOStreams, Store: f.Store}
	cmd := &cobra.Command{
		Use:   "ingest PATH...",
		Short: "Read pcap, pcapng and gzip'd captures into the inventory",
		Long: `Read capture files (pcap, pcapng, and gzip'd copies of either, recognised by
content) into the database. A directory is walked recursively and its
captures are ingested in name order.

A bad file (not a capture, empty, unsupported link type) is reported on one
line and skipped; the rest are still ingested and the exit status is 1.
A truncated file keeps every frame before the damage, is reported as
"FILE: offset N, frame M: ... truncated" and also makes the exit status 1.

A file whose content (sha256) was already ingested is skipped. Ctrl-C stops
reading, commits what was read and exits; running the same command again
resumes the interrupted file after its last committed frame. A second
Ctrl-C exits at once (committed batches are kept).`,
		Example: `  otzone ingest visit/*.pcapng
  otzone ingest --site north-plant captures/
  otzone --db site.db ingest span-2024-05-01.pcap.gz`,
		Args: cmdutil.MinimumArgs(1, "ingest: at least one capture file or directory is required"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			opts.Ingest.Logger = f.Logger // set by the root's --log-level
			if strings.ContainsAny(opts.Site, "\x00\n\r\t") || len(opts.Site) > 128 {
				return cmdutil.FlagErrorf("--site %q: use a short name without control characters", opts.Site)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runIngest(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Site, "site", "", "tag everything ingested with this site `NAME`")
	return cmd
}

func runIngest(ctx context.Context, opts *IngestOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	iopt := opts.Ingest
	iopt.Site = opts.Site
	var bar *progressBar
	if opts.IO.ShowProgress() {
		bar = &progressBar{w: opts.IO.ErrOut}
		iopt.Progress = bar.update
	}
	sum, runErr := ingest.Files(ctx, st, opts.Paths, iopt)
	bar.clear()

	errOut := opts.IO.ErrOut
	for _, r := range sum.Files {
		name := cmdutil.EscapeTerminal(r.Path)
		var fe *source.FormatError
		switch {
		case r.Skipped:
			fmt.Fprintf(errOut, "%s: already ingested (sha256 %s), skipped\n", name, r.SHA256)
		case errors.As(r.Err, &fe):
			fmt.Fprintf(errOut, "otzone: %s (the %d frames before it were ingested)\n", cmdutil.EscapeTerminal(r.Err.Error()), r.Packets)
		case r.Err != nil:
			fmt.Fprintf(errOut, "otzone: %s\n", cmdutil.EscapeTerminal(fileError(r)))
		case r.Resumed:
			fmt.Fprintf(errOut, "%s: resumed an interrupted ingest after frame %d\n", name, r.ResumedAt)
		}
	}
	writeSummary(opts.IO.Out, &sum)
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			fmt.Fprintln(errOut, "otzone: interrupted: every frame read so far is committed; run the same command again to resume")
			return cmdutil.ErrSilent
		}
		return runErr
	}
	if sum.Failed() > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

// fileError names the file once: errors from the source reader already
// start with the path, others (a stat error) may not.
func fileError(r ingest.FileResult) string {
	msg := r.Err.Error()
	if r.Path != "" && !strings.Contains(msg, r.Path) {
		msg = r.Path + ": " + msg
	}
	return msg
}

func writeSummary(w io.Writer, s *ingest.Summary) {
	files, skipped, failed := len(s.Files), 0, s.Failed()
	for _, r := range s.Files {
		if r.Skipped {
			skipped++
		}
	}
	var extra []string
	if skipped > 0 {
		extra = append(extra, fmt.Sprintf("%d already ingested", skipped))
	}
	if failed > 0 {
		extra = append(extra, fmt.Sprintf("%d failed", failed))
	}
	if s.Interrupted {
		extra = append(extra, "interrupted")
	}
	paren := ""
	if len(extra) > 0 {
		paren = " (" + strings.Join(extra, ", ") + ")"
	}
	fmt.Fprintf(w, "%d %s%s, %d packets, %d malformed, %d assets, %d communications, %s\n",
		files, plural(files, "file", "files"), paren, s.Packets, s.Malformed, s.Assets, s.Communications,
		s.Duration.Round(time.Millisecond))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// progressBar draws one line on stderr, redrawn in place.
type progressBar struct {
	w     io.Writer
	drawn bool
}

func (b *progressBar) update(p ingest.Progress) {
	pct := 0.0
	if p.Total > 0 {
		pct = 100 * float64(p.Read) / float64(p.Total)
	}
	const width = 24
	fill := int(pct / 100 * width)
	if fill > width {
		fill = width
	}
	what := fmt.Sprintf("%d packets", p.Packets)
	if p.Hashing {
		what = "hashing"
	}
	name := cmdutil.EscapeTerminal(filepath.Base(p.File))
	if r := []rune(name); len(r) > 32 {
		name = string(r[:31]) + "…" // cut on a rune: never half a UTF-8 sequence
	}
	fmt.Fprintf(b.w, "\r\x1b[K[%d/%d] %s [%s%s] %5.1f%% %s/%s %s",
		p.FileIndex+1, p.Files, name, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), pct,
		cmdutil.HumanBytes(p.Read), cmdutil.HumanBytes(p.Total), what)
	b.drawn = true
}

func (b *progressBar) clear() {
	if b != nil && b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
	}
}
