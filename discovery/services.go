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

// Receiver returns a frame's destination endpoint as facts may name it: the
// destination MAC is the next hop's (a router's, when routed), so an IP
// endpoint keeps only its IP.
func Receiver(e Endpoint) Endpoint {
	if e.IP.IsValid() {
		e.MAC = MAC{}
	}
	return e
}
