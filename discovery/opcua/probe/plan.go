package probe

import (
	"github.com/gopcua/opcua/ua"

	"github.com/otzone/otzone/discovery/opcua"
	"github.com/otzone/otzone/discovery/probe"
)

// Plan lists, per target, every chunk a run would send, encoded exactly as
// the run encodes it except for what the server assigns (secure channel and
// token ids are 0, the session's authentication token is null, the
// anonymous policy id is a placeholder) and the request timestamps (the
// plan's are the moment it was made). Every planned chunk passes the same
// allow-list check as the real ones.
func Plan(targets []Target, opts Options) ([]probe.Planned, error) {
	opts.defaults()
	var out []probe.Planned
	for _, t := range targets {
		c := &client{url: t.URL, timeout: opts.Timeout, seq: 1}
		pt := probe.Target{Host: t.Host, Port: t.Port}
		add := func(b []byte, what, cond string) error {
			if err := checkChunk(b); err != nil {
				return err
			}
			out = append(out, probe.Planned{Protocol: "opcua", Target: pt, Wire: b, What: what, Condition: cond})
			return nil
		}
		if err := add(c.helloChunk(), "hello "+t.URL, ""); err != nil {
			return nil, err
		}
		opn, err := c.openChunk()
		if err != nil {
			return nil, err
		}
		if err := add(opn, "open_secure_channel SecurityPolicy#None mode None", ""); err != nil {
			return nil, err
		}
		type step struct {
			id   opcua.ServiceID
			req  func() any
			what string
			cond string
		}
		const cond = "the server offers an anonymous SecurityPolicy#None endpoint on this port"
		steps := []step{
			{422, func() any { return &ua.FindServersRequest{RequestHeader: c.header(), EndpointURL: t.URL} }, "find_servers", ""},
			{428, func() any { return &ua.GetEndpointsRequest{RequestHeader: c.header(), EndpointURL: t.URL} }, "get_endpoints", ""},
		}
		if !opts.NoSession {
			steps = append(steps,
				step{461, func() any { return createSessionRequest(c, t) }, "create_session (no client certificate)", cond},
				step{467, func() any { return activateSessionRequest(c, "<anonymous policy id from the endpoint>") }, "activate_session anonymous", cond},
				step{631, func() any { return readRequest(c) }, "read ServerStatus.StartTime/State and BuildInfo (ns=0;i=2257,2259,2261-2266)", cond},
				step{473, func() any { return closeSessionRequest(c) }, "close_session", cond})
		}
		steps = append(steps, step{452, func() any { return &ua.CloseSecureChannelRequest{RequestHeader: c.header()} }, "close_secure_channel", ""})
		for _, s := range steps {
			b, err := c.msgChunk(s.id, s.req())
			if err != nil {
				return nil, err
			}
			if err := add(b, s.what, s.cond); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
