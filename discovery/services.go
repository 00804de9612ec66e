package discovery

// EmitServiceRoles emits the two service observations of a client/server
// exchange: server then client, each with protocol, transport and port
// (the server's port). Dissectors call it once per flow.
func EmitServiceRoles(emit Emit, pkt *PacketInfo, protocol, transport string, port uint16, server, client Endpoint) {
	o := pkt.Obs(KindService, server)
	o.Protocol, o.Transport, o.Port, o.Role = protocol, transport, port, "server"
	emit(o)
	o = pkt.Obs(KindService, client)
	o.Protocol, o.Transport, o.Port, o.Role = protocol, transport, port, "client"
	emit(o)
}
