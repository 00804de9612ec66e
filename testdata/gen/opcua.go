package main

import (
	"encoding/binary"
	"math"
	"time"
)

// OPC UA binary (opc.tcp, Part 6) between the supervisory hosts and the
// OPC UA server on scada-opcua:4840, encoded field by field as the
// open62541 and Softing stacks in ../shared/pcaps/opcua send them:
//   - historian discovers the endpoints (GetEndpoints on a None channel),
//     then opens an anonymous session and reads;
//   - ews-1 writes a value and calls a method over a None channel (the
//     cleartext write the assessment should flag);
//   - hmi-1 uses Basic256Sha256 SignAndEncrypt (OPN asymmetric header in
//     clear, bodies encrypted: random-looking bytes).
//
// Certificates are omitted (null ByteStrings): a real Basic256Sha256 server
// would send one in its endpoints and OPN.
func init() {
	register("40-opcua", func(p *Plant) {
		url := "opc.tcp://10.10.20.23:4840"
		app := opcuaApp{uri: "urn:scada-opcua:open62541.server.application", product: "http://open62541.org",
			name: "open62541-based OPC UA Application", typ: 0}

		// 1. discovery: GetEndpoints
		c := p.TCP(Historian, SCADA, 4840)
		e := &opcuaEnc{p: p}
		c.Exchange(opcuaHello(url), opcuaAck())
		c.Exchange(e.opnRequest(), e.opnResponse(11))
		c.Exchange(e.msg(11, 428, e.getEndpointsRequest(url)), e.msg(11, 431, e.getEndpointsResponse(url, app)))
		c.Request(e.clo(11))
		c.Close()
		p.Advance(500)

		// 2. anonymous session, reads
		c = p.TCP(Historian, SCADA, 4840)
		e = &opcuaEnc{p: p}
		client := opcuaApp{uri: "urn:historian:UnifiedAutomation:UaExpert", product: "http://unifiedautomation.com/UaExpert",
			name: "UaExpert@historian", typ: 1}
		c.Exchange(opcuaHello(url), opcuaAck())
		c.Exchange(e.opnRequest(), e.opnResponse(12))
		c.Exchange(e.msg(12, 461, e.createSessionRequest(url, client)), e.msg(12, 464, e.createSessionResponse(url, app)))
		c.Exchange(e.msg(12, 467, e.activateSessionAnonymous()), e.msg(12, 470, e.activateSessionResponse()))
		for i := 0; i < 3; i++ {
			c.Exchange(e.msg(12, 631, e.readRequest(2, uint32(1001+i))), e.msg(12, 634, e.readResponse(42.5+float64(i))))
			p.Advance(1000)
		}
		c.Exchange(e.msg(12, 473, e.closeSessionRequest()), e.msg(12, 476, e.responseHeader()))
		c.Request(e.clo(12))
		c.Close()
		p.Advance(500)

		// 3. engineering workstation writes and calls a method in clear
		c = p.TCP(EWS, SCADA, 4840)
		e = &opcuaEnc{p: p}
		c.Exchange(opcuaHello(url), opcuaAck())
		c.Exchange(e.opnRequest(), e.opnResponse(13))
		c.Exchange(e.msg(13, 461, e.createSessionRequest(url, opcuaApp{uri: "urn:ews-1:opcua:client", product: "urn:opcua:python:client", name: "Pure Python Client", typ: 1})),
			e.msg(13, 464, e.createSessionResponse(url, app)))
		c.Exchange(e.msg(13, 467, e.activateSessionAnonymous()), e.msg(13, 470, e.activateSessionResponse()))
		c.Exchange(e.msg(13, 673, e.writeRequest(2, 1001, 55.0)), e.msg(13, 676, e.writeResponse()))
		c.Exchange(e.msg(13, 712, e.callRequest()), e.msg(13, 715, e.callResponse()))
		c.Request(e.clo(13))
		c.Close()
		p.Advance(500)

		// 4. HMI on Basic256Sha256 SignAndEncrypt: only headers are clear
		c = p.TCP(HMI, SCADA, 4840)
		e = &opcuaEnc{p: p}
		c.Exchange(opcuaHello(url), opcuaAck())
		const policy = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"
		c.Exchange(e.opnAsym(0, policy, 256), e.opnAsym(14, policy, 256))
		for i := 0; i < 4; i++ {
			c.Exchange(e.encrypted(14, 96), e.encrypted(14, 160))
			p.Advance(1000)
		}
		c.Close()
	})
}

type opcuaApp struct {
	uri, product, name string
	typ                uint32
}

// opcuaEnc writes OPC UA binary encoding; seq and req number the chunks.
type opcuaEnc struct {
	p        *Plant
	seq, req uint32
	rnd      uint32
}

func opcuaHeader(typ string, body []byte) []byte {
	b := make([]byte, 8, 8+len(body))
	copy(b, typ)
	binary.LittleEndian.PutUint32(b[4:], uint32(8+len(body)))
	return append(b, body...)
}

func opcuaU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

func opcuaStr(b []byte, s string) []byte {
	b = opcuaU32(b, uint32(len(s)))
	return append(b, s...)
}

func opcuaNull(b []byte) []byte { return opcuaU32(b, 0xffffffff) }

func opcuaHello(url string) []byte {
	b := opcuaU32(nil, 0)
	for _, v := range []uint32{65536, 65536, 16777216, 0} {
		b = opcuaU32(b, v)
	}
	return opcuaHeader("HELF", opcuaStr(b, url))
}

func opcuaAck() []byte {
	b := opcuaU32(nil, 0)
	for _, v := range []uint32{65536, 65536, 16777216, 0} {
		b = opcuaU32(b, v)
	}
	return opcuaHeader("ACKF", b)
}

func (e *opcuaEnc) dateTime(b []byte) []byte {
	// 100 ns ticks since 1601-01-01
	t := e.p.now.Sub(time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC))
	return binary.LittleEndian.AppendUint64(b, uint64(t/100))
}

func (e *opcuaEnc) requestHeader() []byte {
	e.req++
	b := []byte{0x00, 0x00} // authentication token: null NodeId
	b = e.dateTime(b)
	b = opcuaU32(b, e.req)
	b = opcuaU32(b, 0)
	b = opcuaNull(b)
	b = opcuaU32(b, 10000)
	return append(b, 0x00, 0x00, 0x00) // additional header: empty ExtensionObject
}

func (e *opcuaEnc) responseHeader() []byte {
	b := e.dateTime(nil)
	b = opcuaU32(b, e.req)
	b = opcuaU32(b, 0) // Good
	b = append(b, 0x00)
	b = opcuaNull(b)
	return append(b, 0x00, 0x00, 0x00)
}

func (e *opcuaEnc) seqHeader(b []byte) []byte {
	e.seq++
	b = opcuaU32(b, e.seq)
	return opcuaU32(b, e.req)
}

func opcuaTypeID(id uint16) []byte { return []byte{0x01, 0x00, byte(id), byte(id >> 8)} }

func (e *opcuaEnc) opnRequest() []byte {
	b := opcuaU32(nil, 0)
	b = opcuaStr(b, "http://opcfoundation.org/UA/SecurityPolicy#None")
	b = opcuaNull(b)
	b = opcuaNull(b)
	body := append(opcuaTypeID(446), e.requestHeader()...)
	body = opcuaU32(body, 0)        // client protocol version
	body = opcuaU32(body, 0)        // issue
	body = opcuaU32(body, 1)        // MessageSecurityMode None
	body = append(body, 0, 0, 0, 0) // empty client nonce
	body = opcuaU32(body, 600000)   // requested lifetime
	return opcuaHeader("OPNF", append(e.seqHeader(b), body...))
}

func (e *opcuaEnc) opnResponse(channel uint32) []byte {
	b := opcuaU32(nil, channel)
	b = opcuaStr(b, "http://opcfoundation.org/UA/SecurityPolicy#None")
	b = opcuaNull(b)
	b = opcuaNull(b)
	body := append(opcuaTypeID(449), e.responseHeader()...)
	body = opcuaU32(body, 0)
	body = opcuaU32(body, channel)
	body = opcuaU32(body, 1)
	body = e.dateTime(body)
	body = opcuaU32(body, 600000)
	body = append(body, 0, 0, 0, 0)
	return opcuaHeader("OPNF", append(e.seqHeader(b), body...))
}

// opnAsym is an OPN with a real policy: the asymmetric header is clear, the
// rest (sequence header, body, padding, signature) is RSA-encrypted.
func (e *opcuaEnc) opnAsym(channel uint32, policy string, n int) []byte {
	b := opcuaU32(nil, channel)
	b = opcuaStr(b, policy)
	b = opcuaNull(b) // a real peer sends its DER certificate here
	b = opcuaNull(b)
	return opcuaHeader("OPNF", append(b, e.random(n)...))
}

func (e *opcuaEnc) encrypted(channel uint32, n int) []byte {
	b := opcuaU32(nil, channel)
	b = opcuaU32(b, 1)
	return opcuaHeader("MSGF", append(b, e.random(n)...))
}

func (e *opcuaEnc) random(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		e.rnd = e.rnd*1664525 + 1013904223
		out[i] = byte(e.rnd >> 24)
	}
	return out
}

func (e *opcuaEnc) msg(channel uint32, typ uint16, body []byte) []byte {
	b := opcuaU32(nil, channel)
	b = opcuaU32(b, 1) // token id
	b = e.seqHeader(b)
	b = append(b, opcuaTypeID(typ)...)
	return opcuaHeader("MSGF", append(b, body...))
}

func (e *opcuaEnc) clo(channel uint32) []byte {
	b := opcuaU32(nil, channel)
	b = opcuaU32(b, 1)
	b = e.seqHeader(b)
	b = append(b, opcuaTypeID(452)...)
	return opcuaHeader("CLOF", append(b, e.requestHeader()...))
}

func (e *opcuaEnc) getEndpointsRequest(url string) []byte {
	b := opcuaStr(e.requestHeader(), url)
	b = opcuaNull(b)
	return opcuaNull(b)
}

func opcuaAppDesc(b []byte, a opcuaApp, discoveryURL string) []byte {
	b = opcuaStr(b, a.uri)
	b = opcuaStr(b, a.product)
	b = append(b, 0x02)
	b = opcuaStr(b, a.name)
	b = opcuaU32(b, a.typ)
	b = opcuaNull(b)
	b = opcuaNull(b)
	if discoveryURL == "" {
		return opcuaU32(b, 0)
	}
	b = opcuaU32(b, 1)
	return opcuaStr(b, discoveryURL)
}

func opcuaEndpoints(b []byte, url string, a opcuaApp) []byte {
	type ep struct {
		mode   uint32
		policy string
		level  byte
	}
	eps := []ep{{1, "None", 0}, {2, "Basic256Sha256", 65}, {3, "Basic256Sha256", 115}}
	b = opcuaU32(b, uint32(len(eps)))
	for _, x := range eps {
		b = opcuaStr(b, url)
		b = opcuaAppDesc(b, a, url)
		b = opcuaNull(b) // server certificate
		b = opcuaU32(b, x.mode)
		b = opcuaStr(b, "http://opcfoundation.org/UA/SecurityPolicy#"+x.policy)
		b = opcuaU32(b, 2)
		b = opcuaStr(b, "open62541-anonymous-policy")
		b = opcuaU32(b, 0)
		b = opcuaNull(b)
		b = opcuaNull(b)
		b = opcuaNull(b)
		b = opcuaStr(b, "open62541-username-policy")
		b = opcuaU32(b, 1)
		b = opcuaNull(b)
		b = opcuaNull(b)
		b = opcuaStr(b, "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256")
		b = opcuaStr(b, "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary")
		b = append(b, x.level)
	}
	return b
}

func (e *opcuaEnc) getEndpointsResponse(url string, a opcuaApp) []byte {
	return opcuaEndpoints(e.responseHeader(), url, a)
}

func (e *opcuaEnc) createSessionRequest(url string, client opcuaApp) []byte {
	b := opcuaAppDesc(e.requestHeader(), client, "")
	b = opcuaNull(b)
	b = opcuaStr(b, url)
	b = opcuaStr(b, client.name+" session")
	b = opcuaU32(b, 32)
	b = append(b, e.random(32)...)
	b = opcuaNull(b) // client certificate
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(1200000))
	return opcuaU32(b, 16777216)
}

func (e *opcuaEnc) createSessionResponse(url string, a opcuaApp) []byte {
	b := e.responseHeader()
	b = append(b, 0x01, 0x01, 0x10, 0x27) // session id ns=1;i=10000
	b = append(b, 0x05, 0x00, 0x00)       // authentication token: opaque ByteString NodeId
	b = opcuaU32(b, 16)
	b = append(b, e.random(16)...)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(1200000))
	b = opcuaU32(b, 32)
	b = append(b, e.random(32)...)
	b = opcuaNull(b) // server certificate
	b = opcuaEndpoints(b, url, a)
	b = opcuaU32(b, 0) // server software certificates
	b = opcuaNull(b)   // signature algorithm
	b = opcuaNull(b)   // signature
	return opcuaU32(b, 0)
}

func (e *opcuaEnc) activateSessionAnonymous() []byte {
	b := e.requestHeader()
	b = opcuaNull(b)
	b = opcuaNull(b)
	b = opcuaU32(b, 0) // client software certificates
	b = opcuaU32(b, 1)
	b = opcuaStr(b, "en")
	b = append(b, 0x01, 0x00, 0x41, 0x01, 0x01) // AnonymousIdentityToken (321), binary body
	tok := opcuaStr(nil, "open62541-anonymous-policy")
	b = opcuaU32(b, uint32(len(tok)))
	b = append(b, tok...)
	b = opcuaNull(b)
	return opcuaNull(b)
}

func (e *opcuaEnc) activateSessionResponse() []byte {
	b := e.responseHeader()
	b = opcuaU32(b, 32)
	b = append(b, e.random(32)...)
	b = opcuaU32(b, 0)
	return opcuaU32(b, 0)
}

func (e *opcuaEnc) readRequest(ns uint8, id uint32) []byte {
	b := e.requestHeader()
	b = binary.LittleEndian.AppendUint64(b, 0) // max age 0
	b = opcuaU32(b, 2)                         // timestamps: both
	b = opcuaU32(b, 1)
	b = append(b, 0x01, ns, byte(id), byte(id>>8))
	b = opcuaU32(b, 13) // Value
	b = opcuaNull(b)
	b = append(b, 0x00, 0x00)
	return opcuaNull(b)
}

func (e *opcuaEnc) readResponse(v float64) []byte {
	b := e.responseHeader()
	b = opcuaU32(b, 1)
	b = append(b, 0x01, 0x0b) // DataValue with value: Double
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	return opcuaU32(b, 0)
}

func (e *opcuaEnc) writeRequest(ns uint8, id uint32, v float64) []byte {
	b := e.requestHeader()
	b = opcuaU32(b, 1)
	b = append(b, 0x01, ns, byte(id), byte(id>>8))
	b = opcuaU32(b, 13)
	b = opcuaNull(b)
	b = append(b, 0x01, 0x0b)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func (e *opcuaEnc) writeResponse() []byte {
	b := e.responseHeader()
	b = opcuaU32(b, 1)
	b = opcuaU32(b, 0)
	return opcuaU32(b, 0)
}

func (e *opcuaEnc) callRequest() []byte {
	b := e.requestHeader()
	b = opcuaU32(b, 1)
	b = append(b, 0x01, 0x02, 0xe8, 0x03) // object ns=2;i=1000
	b = append(b, 0x01, 0x02, 0xe9, 0x03) // method ns=2;i=1001 (e.g. StartPump)
	return opcuaU32(b, 0)
}

func (e *opcuaEnc) callResponse() []byte {
	b := e.responseHeader()
	b = opcuaU32(b, 1)
	b = opcuaU32(b, 0)
	b = opcuaU32(b, 0)
	b = opcuaU32(b, 0)
	b = opcuaU32(b, 0)
	return opcuaU32(b, 0)
}

func (e *opcuaEnc) closeSessionRequest() []byte { return append(e.requestHeader(), 0x01) }
