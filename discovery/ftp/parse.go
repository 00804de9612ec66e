package ftp

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// MaxLine bounds a control line.
const MaxLine = 2048

// ErrLine is returned for a line longer than MaxLine.
var ErrLine = errors.New("control line too long")

// LineLen returns the length of the line at the start of b with its LF, 0 when incomplete.
func LineLen(b []byte) (int, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(b) > MaxLine {
			return 0, fmt.Errorf("ftp: %d bytes without end of line: %w", len(b), ErrLine)
		}
		return 0, nil
	}
	return i + 1, nil
}

// Reply is a parsed reply line: Code 0 for a continuation line of a multi-line reply.
type Reply struct {
	Code  int
	Multi bool // "ddd-": more lines follow
	Text  []byte
}

// ParseReply reads "ddd text", "ddd-text" or a continuation line.
func ParseReply(line []byte, r *Reply) {
	*r = Reply{}
	line = bytes.TrimRight(line, "\r\n")
	if len(line) >= 3 && isDigit(line[0]) && isDigit(line[1]) && isDigit(line[2]) && (len(line) == 3 || line[3] == ' ' || line[3] == '-') {
		r.Code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
		if len(line) > 3 {
			r.Multi, r.Text = line[3] == '-', line[4:]
		}
		return
	}
	r.Text = line
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Command is an FTP command verb.
type Command uint8

// Commands the dissector names, with their operation class in dissector.go.
const (
	CmdOther Command = iota
	CmdUSER
	CmdPASS
	CmdAUTH
	CmdQUIT
	CmdRETR
	CmdLIST
	CmdNLST
	CmdMLSD
	CmdMLST
	CmdSIZE
	CmdMDTM
	CmdCWD
	CmdPWD
	CmdSTOR
	CmdSTOU
	CmdAPPE
	CmdDELE
	CmdRMD
	CmdMKD
	CmdRNFR
	CmdRNTO
	CmdSITE
	CmdSYST
)

var cmdNames = [...]string{"other", "user", "pass", "auth", "quit", "retr", "list", "nlst", "mlsd", "mlst", "size", "mdtm",
	"cwd", "pwd", "stor", "stou", "appe", "dele", "rmd", "mkd", "rnfr", "rnto", "site", "syst"}

var verbs = func() map[string]Command {
	m := map[string]Command{}
	for i, n := range cmdNames[1:] {
		m[strings.ToUpper(n)] = Command(i + 1)
	}
	return m
}()

func (c Command) String() string {
	if int(c) < len(cmdNames) {
		return cmdNames[c]
	}
	return "other"
}

// ParseCommand returns the verb of a command line; ok is false when the line
// does not start with a 3-4 letter verb.
func ParseCommand(line []byte) (Command, bool) {
	line = bytes.TrimRight(line, "\r\n")
	verb := line
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		verb = line[:i]
	}
	if len(verb) < 3 || len(verb) > 4 {
		return CmdOther, false
	}
	var up [4]byte
	for i, c := range verb {
		switch {
		case c >= 'a' && c <= 'z':
			up[i] = c - 32
		case c >= 'A' && c <= 'Z':
			up[i] = c
		default:
			return CmdOther, false
		}
	}
	if c, ok := verbs[string(up[:len(verb)])]; ok {
		return c, true
	}
	return CmdOther, true
}
