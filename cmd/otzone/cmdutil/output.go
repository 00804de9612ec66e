package cmdutil

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// WriteOutput runs write on stdout when path is "" or "-", or on a
// temporary file beside path that is renamed over it on success, so a
// failed export never leaves a half-written file.
func WriteOutput(ios *IOStreams, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		bw := bufio.NewWriter(ios.Out)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // name the file the user asked for, not the temporary one
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	bw := bufio.NewWriter(tmp)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// CheckFormat is a usage error unless format is one of allowed.
func CheckFormat(flag, format string, allowed ...string) error {
	if slices.Contains(allowed, format) {
		return nil
	}
	return FlagErrorf("--%s %q: want %s", flag, format, strings.Join(allowed, ", "))
}
