package http

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Method is an HTTP request method (RFC 9110 section 9).
type Method uint8

const (
	MethodOther Method = iota
	MethodGET
	MethodHEAD
	MethodPOST
	MethodPUT
	MethodDELETE
	MethodOPTIONS
	MethodPATCH
	MethodCONNECT
	MethodTRACE
)

var methodNames = [...]string{"other", "get", "head", "post", "put", "delete", "options", "patch", "connect", "trace"}

func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return "other"
}

func parseMethod(b []byte) Method {
	for i, n := range methodNames[1:] {
		if len(b) == len(n) && bytes.EqualFold(b, []byte(n)) {
			return Method(i + 1)
		}
	}
	return MethodOther
}

// MaxHeader is the largest header block read; a longer one is an error
// (the flow is then left alone).
const MaxHeader = 16 << 10

// Header is one parsed request or response head. Byte slices alias the input.
type Header struct {
	Request bool
	Method  Method
	Token   []byte // the method as sent
	Target  []byte // request target
	Status  int    // responses
	Minor   int    // HTTP/1.x minor version

	Host, UserAgent, Server, ContentType, ContentEncoding, Authorization, Upgrade []byte
	ContentLength                                                                 int64 // -1 when absent
	Chunked                                                                       bool
	Len                                                                           int // bytes of the head including the blank line
}

// Errors returned by the parser.
var (
	ErrNotHTTP  = errors.New("not an HTTP/1.x message")
	ErrTooLarge = errors.New("header block too large")
	ErrLength   = errors.New("bad Content-Length")
)

// HeadLen returns the length of the header block at the start of b
// including the terminating blank line, 0 when it is not complete yet.
func HeadLen(b []byte) (int, error) {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		if j := bytes.Index(b, []byte("\n\n")); j >= 0 {
			return j + 2, nil
		}
		if len(b) > MaxHeader {
			return 0, fmt.Errorf("http: %d bytes without end of headers: %w", len(b), ErrTooLarge)
		}
		return 0, nil
	}
	if i+4 > MaxHeader {
		return 0, fmt.Errorf("http: header block of %d bytes: %w", i+4, ErrTooLarge)
	}
	return i + 4, nil
}

// StartLine reports whether b begins like an HTTP/1.x request or status
// line: Yes-like true, or needMore when it could still become one.
func StartLine(b []byte) (ok, needMore bool) {
	if bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return true, false
	}
	if len(b) < 7 && bytes.HasPrefix([]byte("HTTP/1."), b) {
		return false, true
	}
	// method token: 1-16 upper-case letters, then SP, target, SP, HTTP/1.x
	i := 0
	for i < len(b) && i < 17 && b[i] >= 'A' && b[i] <= 'Z' {
		i++
	}
	if i == len(b) {
		return false, i < 17
	}
	if i == 0 || i > 16 || b[i] != ' ' {
		return false, false
	}
	eol := bytes.IndexByte(b, '\n')
	if eol < 0 {
		return false, len(b) < 4096
	}
	line := bytes.TrimRight(b[:eol], "\r")
	sp := bytes.LastIndexByte(line, ' ')
	return sp > i && bytes.HasPrefix(line[sp+1:], []byte("HTTP/1.")), false
}

// ParseHeader reads a complete head (b[:HeadLen(b)]).
func ParseHeader(b []byte, h *Header) error {
	*h = Header{ContentLength: -1, Len: len(b)}
	eol := bytes.IndexByte(b, '\n')
	if eol < 0 {
		return fmt.Errorf("http: %w", ErrNotHTTP)
	}
	line := bytes.TrimRight(b[:eol], "\r")
	rest := b[eol+1:]
	if bytes.HasPrefix(line, []byte("HTTP/1.")) {
		// HTTP/1.1 200 OK
		if len(line) < 12 || line[8] != ' ' {
			return fmt.Errorf("http: status line %q: %w", clip(line), ErrNotHTTP)
		}
		h.Minor = int(line[7] - '0')
		st, err := strconv.Atoi(string(line[9:12]))
		if err != nil || st < 100 || st > 999 {
			return fmt.Errorf("http: status %q: %w", clip(line), ErrNotHTTP)
		}
		h.Status = st
	} else {
		sp1 := bytes.IndexByte(line, ' ')
		sp2 := bytes.LastIndexByte(line, ' ')
		if sp1 <= 0 || sp2 <= sp1 || !bytes.HasPrefix(line[sp2+1:], []byte("HTTP/1.")) || len(line) < sp2+9 {
			return fmt.Errorf("http: request line %q: %w", clip(line), ErrNotHTTP)
		}
		h.Request = true
		h.Token, h.Target = line[:sp1], line[sp1+1:sp2]
		h.Method = parseMethod(h.Token)
		h.Minor = int(line[sp2+8] - '0')
	}
	for len(rest) > 0 {
		eol := bytes.IndexByte(rest, '\n')
		if eol < 0 {
			break
		}
		line := bytes.TrimRight(rest[:eol], "\r")
		rest = rest[eol+1:]
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name, val := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case is(name, "host"):
			h.Host = val
		case is(name, "user-agent"):
			h.UserAgent = val
		case is(name, "server"):
			h.Server = val
		case is(name, "content-type"):
			h.ContentType = val
		case is(name, "content-encoding"):
			h.ContentEncoding = val
		case is(name, "authorization"):
			h.Authorization = val
		case is(name, "upgrade"):
			h.Upgrade = val
		case is(name, "transfer-encoding"):
			h.Chunked = bytes.Contains(bytes.ToLower(val), []byte("chunked"))
		case is(name, "content-length"):
			n, err := strconv.ParseInt(string(val), 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("http: content-length %q: %w", clip(val), ErrLength)
			}
			h.ContentLength = n
		}
	}
	return nil
}

// AuthScheme returns the Authorization scheme ("Basic", "Digest", ...).
func (h *Header) AuthScheme() []byte {
	if i := bytes.IndexByte(h.Authorization, ' '); i > 0 {
		return h.Authorization[:i]
	}
	return h.Authorization
}

// Title finds an HTML <title> in b; ok is false when none is complete.
func Title(b []byte) ([]byte, bool) {
	lower := b
	i := indexFold(lower, []byte("<title"))
	if i < 0 {
		return nil, false
	}
	gt := bytes.IndexByte(b[i:], '>')
	if gt < 0 {
		return nil, false
	}
	start := i + gt + 1
	end := indexFold(b[start:], []byte("</title"))
	if end < 0 {
		return nil, false
	}
	return bytes.TrimSpace(b[start : start+end]), true
}

func indexFold(b, sub []byte) int {
	for i := 0; i+len(sub) <= len(b); i++ {
		if bytes.EqualFold(b[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func clip(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// ChunkSize parses a chunk-size line ("1a3;ext=1"); line excludes CRLF.
func ChunkSize(line []byte) (int64, error) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 || len(line) > 15 {
		return 0, fmt.Errorf("http: chunk size %q: %w", clip(line), ErrLength)
	}
	n, err := strconv.ParseInt(string(line), 16, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("http: chunk size %q: %w", clip(line), ErrLength)
	}
	return n, nil
}

// is compares a header name with a lower-case token, ASCII case-insensitively.
func is(name []byte, token string) bool {
	if len(name) != len(token) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i]|0x20 != token[i] && !(token[i] == '-' && name[i] == '-') {
			return false
		}
	}
	return true
}
