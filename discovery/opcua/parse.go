package opcua

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Errors returned by the parsers. ErrShort means "too few bytes to tell":
// the caller should wait for more.
var (
	ErrShort     = errors.New("opcua: need more bytes")
	ErrNotOPCUA  = errors.New("opcua: not an OPC UA binary message")
	ErrTruncated = errors.New("opcua: message body truncated")
	ErrMalformed = errors.New("opcua: malformed field")
	// ErrNotClear means the body does not start with a known service TypeId:
	// it is encrypted (SignAndEncrypt) or not what the caller expected.
	ErrNotClear = errors.New("opcua: body is not a clear service message")
)

// HeaderLen is the length of the UA Connection Protocol / Secure
// Conversation message header (Part 6, 7.1.2.2).
const HeaderLen = 8

// MaxMessageSize bounds a chunk. The protocol lets peers negotiate larger
// sizes, but no stack we know sends chunks over 16 MiB and an attacker's size
// field must not make the engine buffer more.
const MaxMessageSize = 16 << 20

// MessageType is the three-letter type that opens every message.
type MessageType uint8

// Message types of OPC UA Connection Protocol (HEL, ACK, ERR, RHE) and
// Secure Conversation (OPN, CLO, MSG).
const (
	MsgHello MessageType = iota + 1
	MsgAcknowledge
	MsgError
	MsgReverseHello
	MsgOpen
	MsgClose
	MsgMessage
)

var msgNames = [...]string{"", "HEL", "ACK", "ERR", "RHE", "OPN", "CLO", "MSG"}

func (m MessageType) String() string {
	if int(m) < len(msgNames) && m != 0 {
		return msgNames[m]
	}
	return "type(" + strconv.Itoa(int(m)) + ")"
}

// Secure reports whether m is a Secure Conversation message (OPN/CLO/MSG),
// which carries a secure channel id after the header.
func (m MessageType) Secure() bool { return m == MsgOpen || m == MsgClose || m == MsgMessage }

func messageType(b []byte) MessageType {
	switch string(b[:3]) {
	case "HEL":
		return MsgHello
	case "ACK":
		return MsgAcknowledge
	case "ERR":
		return MsgError
	case "RHE":
		return MsgReverseHello
	case "OPN":
		return MsgOpen
	case "CLO":
		return MsgClose
	case "MSG":
		return MsgMessage
	}
	return 0
}

// ChunkType says whether a chunk is the final one of a message ('F'), an
// intermediate one ('C') or aborts the message ('A').
type ChunkType byte

const (
	ChunkFinal        ChunkType = 'F'
	ChunkIntermediate ChunkType = 'C'
	ChunkAbort        ChunkType = 'A'
)

func (c ChunkType) String() string {
	switch c {
	case ChunkFinal, ChunkIntermediate, ChunkAbort:
		return string(rune(c))
	}
	return "chunk(0x" + strconv.FormatUint(uint64(c), 16) + ")"
}

// Header is the 8-byte message header.
type Header struct {
	Type  MessageType
	Chunk ChunkType
	Size  uint32 // whole message, header included
}

// ParseHeader reads the message header at the start of b. Fewer than 8
// bytes give ErrShort; anything that is not an OPC UA header gives an error
// wrapping ErrNotOPCUA.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, ErrShort
	}
	h := Header{Type: messageType(b), Chunk: ChunkType(b[3]), Size: binary.LittleEndian.Uint32(b[4:])}
	if h.Type == 0 {
		return h, fmt.Errorf("opcua: message type %q: %w", printable(b[:3]), ErrNotOPCUA)
	}
	switch h.Chunk {
	case ChunkFinal:
	case ChunkIntermediate, ChunkAbort:
		if !h.Type.Secure() {
			return h, fmt.Errorf("opcua: %s with chunk type %s: %w", h.Type, h.Chunk, ErrNotOPCUA)
		}
	default:
		return h, fmt.Errorf("opcua: %s chunk type %s: %w", h.Type, h.Chunk, ErrNotOPCUA)
	}
	min := uint32(HeaderLen)
	switch h.Type {
	case MsgHello:
		min = 32
	case MsgAcknowledge:
		min = 28
	case MsgError:
		min = 16
	case MsgReverseHello:
		min = 16
	case MsgOpen:
		min = 12 + 12 + 8
	case MsgClose, MsgMessage:
		min = 16
	}
	if h.Size < min || h.Size > MaxMessageSize {
		return h, fmt.Errorf("opcua: %s size %d out of range [%d, %d]: %w", h.Type, h.Size, min, MaxMessageSize, ErrNotOPCUA)
	}
	return h, nil
}

func printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// Hello is the client's first message (Part 6, 7.1.2.3).
type Hello struct {
	Version           uint32
	ReceiveBufferSize uint32
	SendBufferSize    uint32
	MaxMessageSize    uint32
	MaxChunkCount     uint32
	EndpointURL       string
}

// Acknowledge is the server's answer to Hello (Part 6, 7.1.2.4).
type Acknowledge struct {
	Version           uint32
	ReceiveBufferSize uint32
	SendBufferSize    uint32
	MaxMessageSize    uint32
	MaxChunkCount     uint32
}

// ErrorMessage is an ERR message (Part 6, 7.1.2.5).
type ErrorMessage struct {
	Code   StatusCode
	Reason string
}

// ReverseHello is sent by a server that connects to a client (Part 6, 7.1.2.6).
type ReverseHello struct {
	ServerURI   string
	EndpointURL string
}

// StatusCode is an OPC UA result code; the top two bits give severity.
type StatusCode uint32

// Good reports a Good severity.
func (s StatusCode) Good() bool { return s>>30 == 0 }

func (s StatusCode) String() string { return fmt.Sprintf("0x%08X", uint32(s)) }

// ParseHello decodes a whole HEL message (header included).
func ParseHello(msg []byte) (Hello, error) {
	d := decoder{b: msg, off: HeaderLen}
	h := Hello{Version: d.u32(), ReceiveBufferSize: d.u32(), SendBufferSize: d.u32(), MaxMessageSize: d.u32(), MaxChunkCount: d.u32()}
	h.EndpointURL = d.str()
	if d.err != nil {
		return h, fmt.Errorf("opcua: hello: %w", d.err)
	}
	return h, nil
}

// ParseAcknowledge decodes a whole ACK message.
func ParseAcknowledge(msg []byte) (Acknowledge, error) {
	d := decoder{b: msg, off: HeaderLen}
	a := Acknowledge{Version: d.u32(), ReceiveBufferSize: d.u32(), SendBufferSize: d.u32(), MaxMessageSize: d.u32(), MaxChunkCount: d.u32()}
	if d.err != nil {
		return a, fmt.Errorf("opcua: acknowledge: %w", d.err)
	}
	return a, nil
}

// ParseError decodes a whole ERR message.
func ParseError(msg []byte) (ErrorMessage, error) {
	d := decoder{b: msg, off: HeaderLen}
	e := ErrorMessage{Code: StatusCode(d.u32()), Reason: d.str()}
	if d.err != nil {
		return e, fmt.Errorf("opcua: error message: %w", d.err)
	}
	return e, nil
}

// ParseReverseHello decodes a whole RHE message.
func ParseReverseHello(msg []byte) (ReverseHello, error) {
	d := decoder{b: msg, off: HeaderLen}
	r := ReverseHello{ServerURI: d.str(), EndpointURL: d.str()}
	if d.err != nil {
		return r, fmt.Errorf("opcua: reverse hello: %w", d.err)
	}
	return r, nil
}

// SecurityMode is MessageSecurityMode (Part 4, 7.20).
type SecurityMode uint32

const (
	ModeInvalid        SecurityMode = 0
	ModeNone           SecurityMode = 1
	ModeSign           SecurityMode = 2
	ModeSignAndEncrypt SecurityMode = 3
)

func (m SecurityMode) String() string {
	switch m {
	case ModeInvalid:
		return "Invalid"
	case ModeNone:
		return "None"
	case ModeSign:
		return "Sign"
	case ModeSignAndEncrypt:
		return "SignAndEncrypt"
	}
	return "mode(" + strconv.FormatUint(uint64(m), 10) + ")"
}

// AsymmetricHeader opens an OPN message: it is always in clear, whatever
// the policy (Part 6, 6.7.2.3).
type AsymmetricHeader struct {
	SecureChannelID    uint32
	SecurityPolicyURI  string
	SenderCertificate  []byte // aliases the message
	ReceiverThumbprint []byte // aliases the message
}

// ParseOpen decodes the secure channel id and asymmetric security header
// of a whole OPN chunk and returns what follows them: the sequence header
// and body, in clear only when the policy is None.
func ParseOpen(msg []byte) (AsymmetricHeader, []byte, error) {
	d := decoder{b: msg, off: HeaderLen}
	var a AsymmetricHeader
	a.SecureChannelID = d.u32()
	a.SecurityPolicyURI = d.str()
	a.SenderCertificate = d.bytes()
	a.ReceiverThumbprint = d.bytes()
	if d.err != nil {
		return a, nil, fmt.Errorf("opcua: open secure channel header: %w", d.err)
	}
	return a, d.rest(), nil
}

// SymmetricHeader opens MSG and CLO chunks (Part 6, 6.7.2.4).
type SymmetricHeader struct {
	SecureChannelID uint32
	TokenID         uint32
}

// ParseSymmetric decodes the secure channel id and token id of a whole MSG
// or CLO chunk and returns what follows (sequence header and body, clear
// unless the channel encrypts).
func ParseSymmetric(msg []byte) (SymmetricHeader, []byte, error) {
	d := decoder{b: msg, off: HeaderLen}
	s := SymmetricHeader{SecureChannelID: d.u32(), TokenID: d.u32()}
	if d.err != nil {
		return s, nil, fmt.Errorf("opcua: symmetric header: %w", d.err)
	}
	return s, d.rest(), nil
}

// SequenceHeader follows the security header (Part 6, 6.7.2.4).
type SequenceHeader struct {
	SequenceNumber uint32
	RequestID      uint32
}

// ParseSequence splits a clear sequence header from the body.
func ParseSequence(b []byte) (SequenceHeader, []byte, error) {
	if len(b) < 8 {
		return SequenceHeader{}, nil, fmt.Errorf("opcua: sequence header: %w", ErrTruncated)
	}
	return SequenceHeader{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])}, b[8:], nil
}

// ServiceOf reads the TypeId that opens a clear message body and returns
// the service and the encoded service structure after it. A body that does
// not start with a numeric namespace-0 NodeId of a known service gives
// ErrNotClear: it is encrypted, or garbage.
func ServiceOf(body []byte) (ServiceID, []byte, error) {
	var id uint32
	switch {
	case len(body) >= 4 && body[0] == 0x01 && body[1] == 0:
		id = uint32(binary.LittleEndian.Uint16(body[2:]))
		body = body[4:]
	case len(body) >= 7 && body[0] == 0x02 && body[1] == 0 && body[2] == 0:
		id = binary.LittleEndian.Uint32(body[3:])
		body = body[7:]
	default:
		return 0, nil, ErrNotClear
	}
	s := ServiceID(id)
	if !s.Known() {
		return s, nil, ErrNotClear
	}
	return s, body, nil
}

// ApplicationType is the kind of application (Part 4, 7.2).
type ApplicationType uint32

func (t ApplicationType) String() string {
	switch t {
	case 0:
		return "server"
	case 1:
		return "client"
	case 2:
		return "client_and_server"
	case 3:
		return "discovery_server"
	}
	return "type(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// ApplicationDescription (Part 4, 7.2).
type ApplicationDescription struct {
	ApplicationURI      string
	ProductURI          string
	ApplicationName     string
	ApplicationType     ApplicationType
	GatewayServerURI    string
	DiscoveryProfileURI string
	DiscoveryURLs       []string
}

// UserTokenType is the kind of user identity (Part 4, 7.43).
type UserTokenType uint32

const (
	TokenAnonymous   UserTokenType = 0
	TokenUserName    UserTokenType = 1
	TokenCertificate UserTokenType = 2
	TokenIssued      UserTokenType = 3
)

func (t UserTokenType) String() string {
	switch t {
	case TokenAnonymous:
		return "anonymous"
	case TokenUserName:
		return "username"
	case TokenCertificate:
		return "certificate"
	case TokenIssued:
		return "issued"
	}
	return "token(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// UserTokenPolicy (Part 4, 7.42).
type UserTokenPolicy struct {
	PolicyID          string
	TokenType         UserTokenType
	IssuedTokenType   string
	IssuerEndpointURL string
	SecurityPolicyURI string
}

// EndpointDescription (Part 4, 7.14).
type EndpointDescription struct {
	EndpointURL         string
	Server              ApplicationDescription
	ServerCertificate   []byte // aliases the message
	SecurityMode        SecurityMode
	SecurityPolicyURI   string
	UserIdentityTokens  []UserTokenPolicy
	TransportProfileURI string
	SecurityLevel       uint8
}

// OpenSecureChannelRequest is the clear body of an OPN request on a
// SecurityPolicy#None channel (Part 4, 5.5.2).
type OpenSecureChannelRequest struct {
	ClientProtocolVersion uint32
	RequestType           uint32 // 0 issue, 1 renew
	SecurityMode          SecurityMode
	RequestedLifetime     uint32
}

// ParseOpenSecureChannelRequest decodes the structure after the TypeId.
func ParseOpenSecureChannelRequest(b []byte) (OpenSecureChannelRequest, error) {
	d := decoder{b: b}
	d.requestHeader()
	r := OpenSecureChannelRequest{ClientProtocolVersion: d.u32(), RequestType: d.u32(), SecurityMode: SecurityMode(d.u32())}
	d.bytes() // client nonce
	r.RequestedLifetime = d.u32()
	if d.err != nil {
		return r, fmt.Errorf("opcua: open secure channel request: %w", d.err)
	}
	return r, nil
}

// maxList bounds decoded arrays: endpoint and server lists are short in
// practice, and each element costs allocations.
const maxList = 256

// ParseGetEndpointsResponse decodes the structure after the TypeId.
func ParseGetEndpointsResponse(b []byte) ([]EndpointDescription, StatusCode, error) {
	d := decoder{b: b}
	st := d.responseHeader()
	eps := d.endpoints()
	if d.err != nil {
		return eps, st, fmt.Errorf("opcua: get endpoints response: %w", d.err)
	}
	return eps, st, nil
}

// ParseFindServersResponse decodes the structure after the TypeId.
func ParseFindServersResponse(b []byte) ([]ApplicationDescription, StatusCode, error) {
	d := decoder{b: b}
	st := d.responseHeader()
	n := d.arrayLen(4 + 4 + 1 + 4 + 4 + 4 + 4)
	var out []ApplicationDescription
	for i := 0; i < n && d.err == nil; i++ {
		a := d.application()
		if len(out) < maxList {
			out = append(out, a)
		}
	}
	if d.err != nil {
		return out, st, fmt.Errorf("opcua: find servers response: %w", d.err)
	}
	return out, st, nil
}

// CreateSessionRequestBody is the part of CreateSessionRequest (Part 4,
// 5.6.2) that identifies the client.
type CreateSessionRequestBody struct {
	Client            ApplicationDescription
	ServerURI         string
	EndpointURL       string
	SessionName       string
	ClientCertificate []byte // aliases the message
}

// ParseCreateSessionRequest decodes the structure after the TypeId.
func ParseCreateSessionRequest(b []byte) (CreateSessionRequestBody, error) {
	d := decoder{b: b}
	d.requestHeader()
	var r CreateSessionRequestBody
	r.Client = d.application()
	r.ServerURI = d.str()
	r.EndpointURL = d.str()
	r.SessionName = d.str()
	d.bytes() // client nonce
	r.ClientCertificate = d.bytes()
	if d.err != nil {
		return r, fmt.Errorf("opcua: create session request: %w", d.err)
	}
	return r, nil
}

// CreateSessionResponseBody is the part of CreateSessionResponse that
// identifies the server.
type CreateSessionResponseBody struct {
	Result            StatusCode
	ServerCertificate []byte // aliases the message
	Endpoints         []EndpointDescription
}

// ParseCreateSessionResponse decodes the structure after the TypeId.
func ParseCreateSessionResponse(b []byte) (CreateSessionResponseBody, error) {
	d := decoder{b: b}
	var r CreateSessionResponseBody
	r.Result = d.responseHeader()
	d.nodeID() // session id
	d.nodeID() // authentication token
	d.skip(8)  // revised session timeout (Double)
	d.bytes()  // server nonce
	r.ServerCertificate = d.bytes()
	r.Endpoints = d.endpoints()
	if d.err != nil {
		return r, fmt.Errorf("opcua: create session response: %w", d.err)
	}
	return r, nil
}

// Identity token encodings (DefaultBinary) in ActivateSession.
const (
	anonymousIdentityToken = 321
	userNameIdentityToken  = 324
	x509IdentityToken      = 327
	issuedIdentityToken    = 940
)

// ParseActivateSessionRequest returns the kind of user identity token the
// client presents. Nothing of the token's content (user name, encrypted
// password) is returned.
func ParseActivateSessionRequest(b []byte) (UserTokenType, error) {
	d := decoder{b: b}
	d.requestHeader()
	d.str()   // client signature algorithm
	d.bytes() // client signature
	n := d.arrayLen(8)
	for i := 0; i < n && d.err == nil; i++ {
		d.bytes()
		d.bytes()
	}
	n = d.arrayLen(4)
	for i := 0; i < n && d.err == nil; i++ {
		d.skipStr()
	}
	_, id, _ := d.nodeID()
	if d.err != nil {
		return 0, fmt.Errorf("opcua: activate session request: %w", d.err)
	}
	switch id {
	case anonymousIdentityToken:
		return TokenAnonymous, nil
	case userNameIdentityToken:
		return TokenUserName, nil
	case x509IdentityToken:
		return TokenCertificate, nil
	case issuedIdentityToken:
		return TokenIssued, nil
	}
	return 0, fmt.Errorf("opcua: activate session request: identity token type %d: %w", id, ErrMalformed)
}

// decoder reads OPC UA binary encoding (Part 6, 5.2). The first error
// sticks; every read after it returns zero values.
type decoder struct {
	b     []byte
	off   int
	err   error
	depth int
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b)-d.off < n {
		d.err = ErrTruncated
		return nil
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s
}

func (d *decoder) rest() []byte {
	if d.err != nil {
		return nil
	}
	return d.b[d.off:]
}

func (d *decoder) skip(n int) { d.take(n) }

func (d *decoder) u8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if b := d.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// bytes reads a ByteString; null (-1) and empty give nil. The result
// aliases the input.
func (d *decoder) bytes() []byte {
	n := int32(d.u32())
	if d.err != nil || n <= 0 {
		if n < -1 {
			d.fail()
		}
		return nil
	}
	return d.take(int(n))
}

// str reads a String and copies it.
func (d *decoder) str() string {
	b := d.bytes()
	if len(b) == 0 {
		return ""
	}
	return string(b)
}

func (d *decoder) skipStr() { d.bytes() }

func (d *decoder) fail() {
	if d.err == nil {
		d.err = ErrMalformed
	}
}

// arrayLen reads an array length; -1 (null) is 0. min is the smallest
// encoded element size, so a count the remaining bytes cannot hold fails
// before anything is allocated.
func (d *decoder) arrayLen(min int) int {
	n := int32(d.u32())
	if d.err != nil {
		return 0
	}
	if n < -1 {
		d.fail()
		return 0
	}
	if n <= 0 {
		return 0
	}
	if int64(n)*int64(min) > int64(len(d.b)-d.off) {
		d.err = ErrTruncated
		return 0
	}
	return int(n)
}

// nodeID reads a NodeId or ExpandedNodeId and returns its namespace and,
// for numeric ids, the identifier.
func (d *decoder) nodeID() (ns uint16, id uint32, numeric bool) {
	enc := d.u8()
	if d.err != nil {
		return
	}
	switch enc & 0x0f {
	case 0:
		id, numeric = uint32(d.u8()), true
	case 1:
		ns, id, numeric = uint16(d.u8()), uint32(d.u16()), true
	case 2:
		ns, id, numeric = d.u16(), d.u32(), true
	case 3:
		ns = d.u16()
		d.skipStr()
	case 4:
		ns = d.u16()
		d.skip(16)
	case 5:
		ns = d.u16()
		d.bytes()
	default:
		d.fail()
		return
	}
	if enc&0x80 != 0 {
		d.skipStr() // namespace URI
	}
	if enc&0x40 != 0 {
		d.skip(4) // server index
	}
	return
}

func (d *decoder) localizedText() string {
	mask := d.u8()
	if mask&0x01 != 0 {
		d.skipStr()
	}
	if mask&0x02 != 0 {
		return d.str()
	}
	return ""
}

func (d *decoder) extensionObject() {
	d.nodeID()
	switch d.u8() {
	case 0:
	case 1, 2:
		d.bytes()
	default:
		d.fail()
	}
}

func (d *decoder) diagnosticInfo() {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > 8 {
		d.fail()
		return
	}
	mask := d.u8()
	for _, bit := range []uint8{0x01, 0x02, 0x04, 0x08} {
		if mask&bit != 0 {
			d.skip(4)
		}
	}
	if mask&0x10 != 0 {
		d.skipStr()
	}
	if mask&0x20 != 0 {
		d.skip(4)
	}
	if mask&0x40 != 0 {
		d.diagnosticInfo()
	}
}

func (d *decoder) requestHeader() {
	d.nodeID() // authentication token
	d.skip(8)  // timestamp
	d.skip(4)  // request handle
	d.skip(4)  // return diagnostics
	d.skipStr()
	d.skip(4) // timeout hint
	d.extensionObject()
}

func (d *decoder) responseHeader() StatusCode {
	d.skip(8) // timestamp
	d.skip(4) // request handle
	st := StatusCode(d.u32())
	d.diagnosticInfo()
	n := d.arrayLen(4)
	for i := 0; i < n && d.err == nil; i++ {
		d.skipStr()
	}
	d.extensionObject()
	return st
}

func (d *decoder) application() ApplicationDescription {
	var a ApplicationDescription
	a.ApplicationURI = d.str()
	a.ProductURI = d.str()
	a.ApplicationName = d.localizedText()
	a.ApplicationType = ApplicationType(d.u32())
	a.GatewayServerURI = d.str()
	a.DiscoveryProfileURI = d.str()
	n := d.arrayLen(4)
	for i := 0; i < n && d.err == nil; i++ {
		s := d.str()
		if len(a.DiscoveryURLs) < 16 {
			a.DiscoveryURLs = append(a.DiscoveryURLs, s)
		}
	}
	return a
}

func (d *decoder) endpoints() []EndpointDescription {
	n := d.arrayLen(4 + 4 + 4 + 1 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 1)
	var out []EndpointDescription
	for i := 0; i < n && d.err == nil; i++ {
		var e EndpointDescription
		e.EndpointURL = d.str()
		e.Server = d.application()
		e.ServerCertificate = d.bytes()
		e.SecurityMode = SecurityMode(d.u32())
		e.SecurityPolicyURI = d.str()
		m := d.arrayLen(4 + 4 + 4 + 4 + 4)
		for j := 0; j < m && d.err == nil; j++ {
			p := UserTokenPolicy{PolicyID: d.str(), TokenType: UserTokenType(d.u32()), IssuedTokenType: d.str(),
				IssuerEndpointURL: d.str(), SecurityPolicyURI: d.str()}
			if len(e.UserIdentityTokens) < 16 {
				e.UserIdentityTokens = append(e.UserIdentityTokens, p)
			}
		}
		e.TransportProfileURI = d.str()
		e.SecurityLevel = d.u8()
		if d.err == nil && len(out) < maxList {
			out = append(out, e)
		}
	}
	return out
}
