package tls

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// ContentType is a TLS record content type (RFC 8446 B.1, RFC 5246 6.2.1).
type ContentType uint8

const (
	ChangeCipherSpec ContentType = 20
	Alert            ContentType = 21
	Handshake        ContentType = 22
	ApplicationData  ContentType = 23
	Heartbeat        ContentType = 24
)

func (c ContentType) String() string {
	switch c {
	case ChangeCipherSpec:
		return "change_cipher_spec"
	case Alert:
		return "alert"
	case Handshake:
		return "handshake"
	case ApplicationData:
		return "application_data"
	case Heartbeat:
		return "heartbeat"
	}
	return fmt.Sprintf("content_type(%d)", uint8(c))
}

// Version is a protocol version number.
type Version uint16

const (
	SSL30 Version = 0x0300
	TLS10 Version = 0x0301
	TLS11 Version = 0x0302
	TLS12 Version = 0x0303
	TLS13 Version = 0x0304
)

func (v Version) String() string {
	switch v {
	case SSL30:
		return "SSL 3.0"
	case TLS10:
		return "TLS 1.0"
	case TLS11:
		return "TLS 1.1"
	case TLS12:
		return "TLS 1.2"
	case TLS13:
		return "TLS 1.3"
	}
	return fmt.Sprintf("0x%04x", uint16(v))
}

// HandshakeType is a handshake message type.
type HandshakeType uint8

const (
	ClientHello HandshakeType = 1
	ServerHello HandshakeType = 2
	Certificate HandshakeType = 11
)

// RecordHeaderLen is the size of a record header; MaxRecord the largest
// record length accepted (2^14 plus expansion, RFC 5246 6.2.3).
const (
	RecordHeaderLen = 5
	MaxRecord       = 1<<14 + 2048
)

// Errors returned by the parser.
var (
	ErrNotTLS = errors.New("not a TLS record")
	ErrShort  = errors.New("truncated handshake message")
)

// RecordLen returns the length of the record at the start of b (header
// included), 0 when the header is incomplete.
func RecordLen(b []byte) (int, error) {
	if len(b) < RecordHeaderLen {
		return 0, nil
	}
	ct := ContentType(b[0])
	if ct < ChangeCipherSpec || ct > Heartbeat || b[1] != 3 || b[2] > 4 {
		return 0, fmt.Errorf("tls: record header % x: %w", b[:3], ErrNotTLS)
	}
	n := int(binary.BigEndian.Uint16(b[3:]))
	if n > MaxRecord {
		return 0, fmt.Errorf("tls: record length %d: %w", n, ErrNotTLS)
	}
	return RecordHeaderLen + n, nil
}

// Hello is what the dissector reads from a ClientHello or ServerHello.
// Byte slices alias the message.
type Hello struct {
	Version     Version // legacy_version
	SNI         []byte  // ClientHello server_name (host_name)
	Selected    Version // ServerHello supported_versions (TLS 1.3), else 0
	CipherSuite uint16  // ServerHello
	// JA3 is the ClientHello's JA3 string (Salesforce, 2017): version,
	// cipher suites, extension types, supported groups and EC point
	// formats in the order sent, GREASE values (RFC 8701) left out;
	// JA3Hash its MD5. A client's software, not its identity.
	JA3     string
	JA3Hash string
	// JA3S is the ServerHello's JA3S string (Salesforce, 2018): version,
	// chosen cipher suite and extension types in the order sent (GREASE
	// left out, as in JA3); JA3SHash its MD5. With JA3 it tells server
	// software apart, not hosts.
	JA3S     string
	JA3SHash string
	// ALPN lists the ClientHello's application protocols (RFC 7301), at
	// most four.
	ALPN [][]byte
}

// grease reports an RFC 8701 GREASE value (0x0a0a, 0x1a1a, ... 0xfafa).
func grease(v int) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// ja3List appends the non-GREASE 16-bit values of b, '-'-separated.
func ja3List(dst []byte, b []byte, width int) []byte {
	first := true
	for len(b) >= width {
		v := int(b[0])
		if width == 2 {
			v = int(binary.BigEndian.Uint16(b))
		}
		b = b[width:]
		if width == 2 && grease(v) {
			continue
		}
		if !first {
			dst = append(dst, '-')
		}
		first = false
		dst = strconv.AppendInt(dst, int64(v), 10)
	}
	return dst
}

// Negotiated is the version a ServerHello settles on.
func (h *Hello) Negotiated() Version {
	if h.Selected != 0 {
		return h.Selected
	}
	return h.Version
}

type reader struct {
	b   []byte
	bad bool
}

func (r *reader) n(k int) []byte {
	if r.bad || len(r.b) < k {
		r.bad = true
		return nil
	}
	v := r.b[:k]
	r.b = r.b[k:]
	return v
}
func (r *reader) u8() int {
	v := r.n(1)
	if v == nil {
		return 0
	}
	return int(v[0])
}
func (r *reader) u16() int {
	v := r.n(2)
	if v == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(v))
}
func (r *reader) u24() int {
	v := r.n(3)
	if v == nil {
		return 0
	}
	return int(v[0])<<16 | int(v[1])<<8 | int(v[2])
}

// ParseHello reads a ClientHello or ServerHello body (after the 4-byte
// handshake header).
func ParseHello(typ HandshakeType, body []byte, h *Hello) error {
	*h = Hello{}
	r := reader{b: body}
	h.Version = Version(r.u16())
	r.n(32)     // random
	r.n(r.u8()) // session id
	var ciphers []byte
	if typ == ClientHello {
		ciphers = r.n(r.u16())
		r.n(r.u8()) // compression methods
	} else {
		h.CipherSuite = uint16(r.u16())
		r.n(1) // compression method
	}
	if r.bad {
		return fmt.Errorf("tls: hello of %d bytes: %w", len(body), ErrShort)
	}
	var exts, groups, points []byte
	defer func() {
		if r.bad {
			return
		}
		j := strconv.AppendInt(nil, int64(h.Version), 10)
		if typ == ClientHello {
			j = ja3List(append(j, ','), ciphers, 2)
		} else {
			j = strconv.AppendInt(append(j, ','), int64(h.CipherSuite), 10)
		}
		j = ja3List(append(j, ','), exts, 2)
		sum := md5.Sum(j)
		if typ != ClientHello {
			h.JA3S, h.JA3SHash = string(j), hex.EncodeToString(sum[:])
			return
		}
		j = ja3List(append(j, ','), groups, 2)
		j = ja3List(append(j, ','), points, 1)
		h.JA3 = string(j)
		sum = md5.Sum(j)
		h.JA3Hash = hex.EncodeToString(sum[:])
	}()
	if len(r.b) == 0 {
		return nil // no extensions (SSL 3.0, old clients)
	}
	ext := reader{b: r.n(r.u16())}
	if r.bad {
		return fmt.Errorf("tls: hello extensions: %w", ErrShort)
	}
	for len(ext.b) >= 4 {
		typ2, data := ext.u16(), ext.n(ext.u16())
		if ext.bad {
			return fmt.Errorf("tls: extension %d: %w", typ2, ErrShort)
		}
		exts = binary.BigEndian.AppendUint16(exts, uint16(typ2))
		switch {
		case typ2 == 10 && typ == ClientHello && len(data) >= 2: // supported_groups
			groups = data[2:min(len(data), 2+int(binary.BigEndian.Uint16(data)))]
		case typ2 == 11 && typ == ClientHello && len(data) >= 1: // ec_point_formats
			points = data[1:min(len(data), 1+int(data[0]))]
		case typ2 == 16 && typ == ClientHello && len(data) >= 2: // ALPN
			list := reader{b: data[2:min(len(data), 2+int(binary.BigEndian.Uint16(data)))]}
			for len(list.b) > 0 && len(h.ALPN) < 4 {
				p := list.n(list.u8())
				if list.bad {
					break
				}
				h.ALPN = append(h.ALPN, p)
			}
		case typ2 == 0 && typ == ClientHello: // server_name (RFC 6066 3)
			list := reader{b: data}
			names := reader{b: list.n(list.u16())}
			for len(names.b) >= 3 && !names.bad {
				nt, name := names.u8(), names.n(names.u16())
				if nt == 0 && !names.bad {
					h.SNI = name
					break
				}
			}
		case typ2 == 43 && typ == ServerHello && len(data) == 2: // supported_versions
			h.Selected = Version(binary.BigEndian.Uint16(data))
		}
	}
	return nil
}

// FirstCertificate returns the DER of the leaf certificate of a TLS ≤1.2
// Certificate message body.
func FirstCertificate(body []byte) ([]byte, error) {
	r := reader{b: body}
	list := reader{b: r.n(r.u24())}
	der := list.n(list.u24())
	if r.bad || list.bad || len(der) == 0 {
		return nil, fmt.Errorf("tls: certificate list: %w", ErrShort)
	}
	return der, nil
}
