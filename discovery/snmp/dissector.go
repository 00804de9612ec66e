package snmp

import (
	"bytes"
	"encoding/hex"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/internal/wirestr"
)

// Ports: agents listen on 161, notification receivers on 162.
const (
	AgentPort = 161
	TrapPort  = 162
)

func init() {
	discovery.Register("snmp", func() discovery.Dissector { return New() })
}

// BER contents of the system group OIDs read for identity (RFC 1213 / RFC 3418).
var (
	oidSysDescr    = []byte{0x2b, 6, 1, 2, 1, 1, 1, 0}
	oidSysObjectID = []byte{0x2b, 6, 1, 2, 1, 1, 2, 0}
	oidSysName     = []byte{0x2b, 6, 1, 2, 1, 1, 5, 0}
	oidSysLocation = []byte{0x2b, 6, 1, 2, 1, 1, 6, 0}
)

// Dissector reads SNMP on UDP 161 and 162.
type Dissector struct {
	msg Message
}

// New returns an SNMP dissector.
func New() *Dissector { return &Dissector{} }

func (d *Dissector) Name() string { return "snmp" }
func (d *Dissector) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: AgentPort}, {Transport: discovery.UDP, Number: TrapPort}}
}

// Detect checks for a BER SEQUENCE starting with version 0, 1 or 3.
func (d *Dissector) Detect(data []byte, _ *discovery.PacketInfo) discovery.Verdict {
	_, body, _, err := tlv(data)
	if err != nil || data[0] != 0x30 {
		return discovery.No
	}
	v, _, err := expectInt(body)
	if err != nil || (v != 0 && v != 1 && v != 3) {
		return discovery.No
	}
	return discovery.Yes
}

// flowState tracks what a flow has already reported.
type flowState struct {
	client, server, comm, version, defaultComm, defaultAttr, engine bool
	level                                                           byte // v3 msgFlags auth/priv last reported
	// identity hashes the system-group values last reported, so that a
	// manager polling every minute does not repeat them.
	identity uint64
}

func defaultCommunity(c []byte) bool {
	return bytes.Equal(c, []byte("public")) || bytes.Equal(c, []byte("private"))
}

// Datagram parses one message and emits roles, the operation, the
// communication's security facts, and system-group identity from responses.
func (d *Dissector) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	m := &d.msg
	if err := Parse(data, m); err != nil {
		return err
	}
	var st *flowState
	if pkt.Flow != nil {
		st, _ = pkt.Flow.State.(*flowState)
		if st == nil {
			st = &flowState{}
			pkt.Flow.State = st
		}
	} else {
		st = &flowState{}
	}
	client, server := pkt.Client(), pkt.Server()
	port := uint16(AgentPort)
	if pkt.Flow != nil && pkt.Flow.ServerPort == TrapPort {
		port = TrapPort
	}
	base := func(kind discovery.Kind, e discovery.Endpoint) discovery.Observation {
		o := pkt.Obs(kind, e)
		o.Protocol, o.Transport, o.Port = "snmp", "udp", port
		return o
	}
	// Roles: the sender of a request (or, on 162, of a notification) is the client.
	if !st.client && pkt.Dir == discovery.ToServer && usable(client) {
		st.client = true
		o := base(discovery.KindService, client)
		o.Role = "client"
		emit(o)
	}
	if !st.server && pkt.Dir == discovery.ToClient && usable(server) {
		st.server = true
		o := base(discovery.KindService, server)
		o.Role = "server"
		emit(o)
	}
	comm := func(key, value string) {
		o := base(discovery.KindCommAttribute, client)
		o.Peer, o.Key, o.Value = server, key, value
		emit(o)
	}
	// v3 engine discovery (RFC 3414 section 4: a noAuthNoPriv request with an
	// empty authoritative engine id, answered by a Report) says nothing about
	// the security of the exchange that follows it.
	discovery3 := m.Version == V3 && m.MsgFlags&(FlagAuth|FlagPriv) == 0 && (len(m.EngineID) == 0 || m.PDU == Report)
	if m.Version == V3 && !discovery3 && usable(client) && usable(server) && (!st.comm || st.level != m.MsgFlags&(FlagAuth|FlagPriv)) {
		st.comm, st.level = true, m.MsgFlags&(FlagAuth|FlagPriv)
		comm("snmp.version", "v3")
		comm("snmp.security_level", m.SecurityLevel())
		comm("encrypted", boolString(m.MsgFlags&FlagPriv != 0))
		comm("authenticated", boolString(m.MsgFlags&FlagAuth != 0))
	}
	if m.Version != V3 && !st.comm && usable(client) && usable(server) {
		st.comm = true
		comm("snmp.version", m.Version.String())
		comm("encrypted", "false")
		comm("authenticated", "false")
		comm("cleartext_credentials", "true") // the community string travels in clear
	}
	if m.Version != V3 && defaultCommunity(m.Community) && !st.defaultComm && usable(client) && usable(server) {
		st.defaultComm = true
		comm("snmp.community_default", "true")
	}
	// Operations: requests on 161 and notifications on 162, issued by the flow's client.
	if pkt.Dir == discovery.ToServer && usable(client) {
		op := discovery.Operation{Code: int(m.PDU), Name: m.PDU.String(), Class: discovery.OpOther}
		switch m.PDU {
		case GetRequest, GetNextRequest, GetBulkRequest:
			op.Class = discovery.OpRead
		case SetRequest:
			op.Class = discovery.OpWrite
		}
		o := base(discovery.KindOperation, client)
		o.Peer, o.Op = server, op
		emit(o)
	}
	// Identity from the agent's own answers.
	if pkt.Dir != discovery.ToClient || !usable(server) || port != AgentPort {
		return nil
	}
	attr := func(key, value string, conf float32) {
		if value == "" {
			return
		}
		o := base(discovery.KindAttribute, server)
		o.Key, o.Value, o.Confidence = key, value, conf
		emit(o)
	}
	if !st.version {
		st.version = true
		attr("snmp.version", m.Version.String(), 0.9)
	}
	if m.Version == V3 && len(m.EngineID) > 0 && !st.engine {
		// Reports and responses carry the agent's authoritative engine id.
		st.engine = true
		attr("snmp.engine_id", hex.EncodeToString(m.EngineID[:min(len(m.EngineID), 32)]), 0.9)
	}
	if m.PDU != Response || m.ErrorStatus != 0 {
		return nil
	}
	if m.Version != V3 && defaultCommunity(m.Community) && !st.defaultAttr {
		// The agent answered a request made with a well-known community.
		st.defaultAttr = true
		attr("snmp.community_default", "true", 0.9)
	}
	h := uint64(14695981039346656037)
	for _, vb := range m.VarBinds[:m.NumVarBinds] {
		if identityOID(vb.Name) {
			for _, part := range [][]byte{vb.Name, {vb.ValueTag}, vb.Value} {
				for _, c := range part {
					h ^= uint64(c)
					h *= 1099511628211
				}
			}
		}
	}
	if h == st.identity {
		return nil
	}
	st.identity = h
	for _, vb := range m.VarBinds[:m.NumVarBinds] {
		switch {
		case bytes.Equal(vb.Name, oidSysDescr) && vb.ValueTag == 0x04:
			attr("snmp.sys_descr", wirestr.Clean(vb.Value), 0.95)
		case bytes.Equal(vb.Name, oidSysName) && vb.ValueTag == 0x04:
			attr("snmp.sys_name", wirestr.Clean(vb.Value), 0.95)
		case bytes.Equal(vb.Name, oidSysLocation) && vb.ValueTag == 0x04:
			attr("snmp.sys_location", wirestr.Clean(vb.Value), 0.95)
		case bytes.Equal(vb.Name, oidSysObjectID) && vb.ValueTag == 0x06:
			if s, ok := OIDString(vb.Value); ok {
				attr("snmp.sys_object_id", s, 0.95)
			}
		}
	}
	return nil
}

func usable(e discovery.Endpoint) bool {
	return e.IP.IsValid() && (e.IP.IsGlobalUnicast() || e.IP.IsLinkLocalUnicast() || e.IP.IsLoopback())
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func identityOID(name []byte) bool {
	return bytes.Equal(name, oidSysDescr) || bytes.Equal(name, oidSysName) || bytes.Equal(name, oidSysLocation) || bytes.Equal(name, oidSysObjectID)
}
