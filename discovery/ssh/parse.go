package ssh

import (
	"bytes"
	"errors"
	"fmt"
)

// MaxLine is the longest identification line (RFC 4253 4.2: 255 bytes with CR LF).
const MaxLine = 255

// ErrLine is returned for a line longer than MaxLine.
var ErrLine = errors.New("identification line too long")

// LineLen returns the length of the line at the start of b including its
// LF, 0 when incomplete.
func LineLen(b []byte) (int, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(b) > MaxLine {
			return 0, fmt.Errorf("ssh: %d bytes without end of line: %w", len(b), ErrLine)
		}
		return 0, nil
	}
	if i+1 > MaxLine+2 { // tolerate a little over the limit before failing
		return 0, fmt.Errorf("ssh: line of %d bytes: %w", i+1, ErrLine)
	}
	return i + 1, nil
}

// Ident is a parsed identification string; slices alias the line.
type Ident struct {
	ProtoVersion    []byte // "2.0"
	SoftwareVersion []byte // "OpenSSH_8.9p1"
	Comments        []byte // "Ubuntu-3ubuntu0.6"
	Text            []byte // the whole line after "SSH-", without CR LF
}

// ParseIdent reads "SSH-protoversion-softwareversion SP comments CR LF";
// ok is false for other lines.
func ParseIdent(line []byte, id *Ident) bool {
	*id = Ident{}
	line = bytes.TrimRight(line, "\r\n")
	rest, ok := bytes.CutPrefix(line, []byte("SSH-"))
	if !ok {
		return false
	}
	id.Text = rest
	dash := bytes.IndexByte(rest, '-')
	if dash <= 0 {
		return false
	}
	id.ProtoVersion = rest[:dash]
	sw := rest[dash+1:]
	if sp := bytes.IndexByte(sw, ' '); sp >= 0 {
		sw, id.Comments = sw[:sp], sw[sp+1:]
	}
	id.SoftwareVersion = sw
	return true
}
