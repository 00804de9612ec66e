package fox

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Errors returned by the parsers; callers use errors.Is.
var (
	ErrShort  = errors.New("fox: short frame")
	ErrHeader = errors.New("fox: not a Fox frame")
	ErrSize   = errors.New("fox: frame over 64 KiB")
)

// MaxFrame is Niagara's pre-authentication frame size limit.
const MaxFrame = 65536

var (
	magic  = []byte("fox ")
	footer = []byte(";;\n")
)

// FrameLen returns the length of the frame at the start of b (footer
// included): 0 when more bytes are needed, an error when b is not Fox or the
// frame exceeds MaxFrame.
func FrameLen(b []byte) (int, error) {
	m := min(len(b), len(magic))
	if !bytes.Equal(b[:m], magic[:m]) {
		return 0, ErrHeader
	}
	if i := bytes.Index(b, footer); i >= 0 {
		if i+len(footer) > MaxFrame {
			return 0, ErrSize
		}
		return i + len(footer), nil
	}
	if len(b) >= MaxFrame {
		return 0, ErrSize
	}
	return 0, nil
}

// Frame is one Fox frame.
type Frame struct {
	Type     byte
	Sequence int
	ReplyTo  int
	Channel  string
	Command  string
	// Fields are the body's top-level key=type:value pairs, in order.
	Fields []Field
}

// Field is one body entry.
type Field struct {
	Key, Type, Value string
}

// Get returns the value of key.
func (f Frame) Get(key string) string {
	for _, x := range f.Fields {
		if x.Key == key {
			return x.Value
		}
	}
	return ""
}

// ParseFrame decodes a whole frame (as framed by FrameLen).
func ParseFrame(b []byte) (Frame, error) {
	var f Frame
	n, err := FrameLen(b)
	if err != nil {
		return f, err
	}
	if n == 0 || n > len(b) {
		return f, ErrShort
	}
	b = b[:n-len(footer)]
	nl := bytes.IndexByte(b, '\n')
	head := b
	var body []byte
	if nl >= 0 {
		head, body = b[:nl], b[nl+1:]
	}
	parts := bytes.Fields(head)
	if len(parts) != 6 || len(parts[1]) != 1 {
		return f, fmt.Errorf("%w: header %q", ErrHeader, clean(head, 80))
	}
	f.Type = parts[1][0]
	if f.Sequence, err = strconv.Atoi(string(parts[2])); err != nil {
		return f, fmt.Errorf("%w: sequence: %v", ErrHeader, err)
	}
	if f.ReplyTo, err = strconv.Atoi(string(parts[3])); err != nil {
		return f, fmt.Errorf("%w: reply number: %v", ErrHeader, err)
	}
	f.Channel, f.Command = clean(parts[4], 64), clean(parts[5], 64)
	depth := 0
	for _, line := range bytes.Split(body, []byte{'\n'}) {
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0:
			continue
		case line[0] == '{':
			depth++
			continue
		case line[0] == '}':
			depth--
			continue
		}
		if depth != 1 || len(f.Fields) >= 64 {
			continue
		}
		eq := bytes.IndexByte(line, '=')
		if eq <= 0 {
			continue
		}
		key, rest := line[:eq], line[eq+1:]
		typ := ""
		if c := bytes.IndexByte(rest, ':'); c >= 0 && c <= 2 {
			typ, rest = string(rest[:c]), rest[c+1:]
		}
		if bytes.HasSuffix(rest, []byte("{")) { // a nested object: its lines are skipped
			depth++
			continue
		}
		f.Fields = append(f.Fields, Field{Key: clean(key, 64), Type: typ, Value: clean(rest, 256)})
	}
	return f, nil
}

// clean copies printable bytes, capped.
func clean(b []byte, max int) string {
	out := make([]byte, 0, min(len(b), max))
	for _, c := range b {
		if c >= 0x20 && c != 0x7f && len(out) < max {
			out = append(out, c)
		}
	}
	return string(bytes.TrimSpace(out))
}
