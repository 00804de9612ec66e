package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otzone/otzone/discovery"
	"github.com/otzone/otzone/discovery/modbus"
	"github.com/otzone/otzone/discovery/probe"
)

// DefaultUnitIDs are asked in this order when the user gives none: 0 and
// 255 address the TCP device itself (Modbus/TCP implementation guide
// 4.4.1.3), 1 is what most devices answer on. With the default list the
// probe stops at the first unit id that returns an identity.
var DefaultUnitIDs = []uint8{0, 255, 1}

// DefaultTimeout bounds a connect and each request.
const DefaultTimeout = 3 * time.Second

// Limits on the replies the probe follows.
const (
	maxMoreFollows = 16 // replies per stream access
	maxIndividual  = 7  // objects 0x00-0x06 read one by one
)

// ReadSpec is one --read range.
type ReadSpec struct {
	Function modbus.FunctionCode
	Start    uint16
	Count    int
}

func (r ReadSpec) String() string {
	return fmt.Sprintf("%s:%d-%d", readKinds[r.Function], r.Start, int(r.Start)+r.Count-1)
}

var readKinds = map[modbus.FunctionCode]string{
	modbus.FCReadCoils: "coils", modbus.FCReadDiscreteInputs: "discrete",
	modbus.FCReadHoldingRegisters: "holding", modbus.FCReadInputRegisters: "input",
}

// maxReadSpan bounds one range: ten requests' worth.
const maxReadSpan = 10

// ParseReads reads "holding:0-9,input:100-109,coils:0-15,discrete:0-7"
// (a single address "holding:5" reads one).
func ParseReads(s string) ([]ReadSpec, error) {
	var out []ReadSpec
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kind, rng, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("--read %q: want KIND:FROM-TO (holding, input, coils, discrete)", part)
		}
		var fc modbus.FunctionCode
		for f, k := range readKinds {
			if k == kind {
				fc = f
			}
		}
		if fc == 0 {
			return nil, fmt.Errorf("--read %q: unknown kind %q (holding, input, coils, discrete)", part, kind)
		}
		from, to, isRange := strings.Cut(rng, "-")
		if !isRange {
			to = from
		}
		a, err1 := strconv.ParseUint(from, 10, 16)
		b, err2 := strconv.ParseUint(to, 10, 16)
		if err1 != nil || err2 != nil || b < a {
			return nil, fmt.Errorf("--read %q: bad address range %q", part, rng)
		}
		per := MaxRegisters
		if fc == modbus.FCReadCoils || fc == modbus.FCReadDiscreteInputs {
			per = MaxBits
		}
		n := int(b-a) + 1
		if n > per*maxReadSpan {
			return nil, fmt.Errorf("--read %q: %d addresses, at most %d per range", part, n, per*maxReadSpan)
		}
		for n > 0 {
			c := min(n, per)
			out = append(out, ReadSpec{Function: fc, Start: uint16(a), Count: c})
			a += uint64(c)
			n -= c
		}
	}
	return out, nil
}

// Options configure a probe run. The zero value plus targets is a valid,
// safe run (defaults below).
type Options struct {
	// UnitIDs to ask; empty means DefaultUnitIDs, stopping at the first
	// identity. An explicit list is asked in full (a gateway's units).
	UnitIDs        []uint8
	ReportServerID bool
	Reads          []ReadSpec
	// Timeout bounds connect and each request (default 3 s).
	Timeout time.Duration
	// Retries per request after a timeout or broken connection (default 0:
	// a host is given up after its first failure).
	Retries int
	// Rate and PerHostRate in requests/s (defaults 10 and 2).
	Rate, PerHostRate float64
	// Parallel hosts probed at once (default 4); each host has at most one
	// connection at a time.
	Parallel int
	// Dial replaces net.Dialer.DialContext (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Now is the clock of the observations (default time.Now).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Rate == 0 {
		o.Rate = probe.DefaultRate
	}
	if o.PerHostRate == 0 {
		o.PerHostRate = probe.DefaultPerHostRate
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Dial == nil {
		var d net.Dialer
		o.Dial = d.DialContext
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// UnitResult is what one unit id answered.
type UnitResult struct {
	Unit uint8
	// Objects are the identification objects, cleaned, by object id.
	Objects    map[modbus.ObjectID]string
	Conformity modbus.ConformityLevel
	// Sub is set when the identity is a device behind the target (a
	// gateway's unit), see discovery/modbus doc.go.
	Sub      bool
	ServerID string
	// Exceptions lists the exception replies, "function: exception".
	Exceptions []string
	Reads      []ReadResult
}

// ReadResult is one --read request's answer.
type ReadResult struct {
	Spec   ReadSpec
	Values []uint16 // registers, or bits as 0/1
	Err    string
}

// Result is one target's outcome.
type Result struct {
	Target    probe.Target
	IP        netip.Addr
	Connected bool
	// Answered is set when any valid Modbus reply (an exception too) came back.
	Answered bool
	Requests int
	Units    []UnitResult
	// Err is why the probe of this target stopped early.
	Err error
}

// Run probes every target and emits observations as each target finishes.
// emit is called from one goroutine at a time. It returns when all targets
// are done or ctx ends.
func Run(ctx context.Context, targets []probe.Target, opt Options, emit discovery.Emit) ([]Result, error) {
	opt.defaults()
	if opt.Retries < 0 || opt.Retries > 5 {
		return nil, fmt.Errorf("retries %d: want 0..5", opt.Retries)
	}
	pacer, err := probe.NewPacer(opt.Rate, opt.PerHostRate)
	if err != nil {
		return nil, err
	}
	// One worker per host name: two ports of one host are probed one
	// after the other, never at once.
	byHost := map[string][]int{}
	var hosts []string
	for i, t := range targets {
		if _, ok := byHost[t.Host]; !ok {
			hosts = append(hosts, t.Host)
		}
		byHost[t.Host] = append(byHost[t.Host], i)
	}
	results := make([]Result, len(targets))
	var emitMu sync.Mutex
	lockedEmit := func(o discovery.Observation) {
		emitMu.Lock()
		defer emitMu.Unlock()
		emit(o)
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < min(opt.Parallel, len(hosts)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range work {
				for _, i := range byHost[h] {
					p := &hostProbe{opt: &opt, pacer: pacer, target: targets[i]}
					results[i] = p.run(ctx)
					p.observe(&results[i], lockedEmit)
				}
			}
		}()
	}
	for _, h := range hosts {
		select {
		case work <- h:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	return results, ctx.Err()
}

type hostProbe struct {
	opt    *Options
	pacer  *probe.Pacer
	target probe.Target
	c      *conn
	res    Result
	// identities are the merged identity replies, emitted by observe.
	identities []identity
}

// errStop wraps a failure that ends the probe of a host.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }
func (e errStop) Unwrap() error { return e.err }

func (p *hostProbe) connect(ctx context.Context) error {
	c, err := dial(ctx, p.opt.Dial, p.target.Addr(), p.opt.Timeout)
	if err != nil {
		return err
	}
	p.c = c
	p.res.Connected = true
	if ta, ok := c.c.RemoteAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			p.res.IP = ip.Unmap()
		}
	}
	return nil
}

// send paces, sends and reads one request, retrying (with a new
// connection) after a network failure when Retries allows. Any error that
// is not an *ExceptionError ends the host.
func (p *hostProbe) send(ctx context.Context, unit uint8, r Request) (modbus.ADU, error) {
	var last error
	for attempt := 0; attempt <= p.opt.Retries; attempt++ {
		if err := ctx.Err(); err != nil {
			return modbus.ADU{}, errStop{err}
		}
		if p.c == nil {
			if err := p.connect(ctx); err != nil {
				last = fmt.Errorf("connect %s: %w", p.target.Addr(), err)
				continue
			}
		}
		if err := p.pacer.Wait(ctx, p.target.Host); err != nil {
			return modbus.ADU{}, errStop{err}
		}
		p.res.Requests++
		a, err := p.c.do(ctx, unit, r)
		var ex *ExceptionError
		if err == nil || errors.As(err, &ex) {
			p.res.Answered = true
			return a, err
		}
		last = fmt.Errorf("%s unit %d: %w", p.target.Addr(), unit, err)
		p.c.Close()
		p.c = nil
	}
	return modbus.ADU{}, errStop{last}
}

func (p *hostProbe) run(ctx context.Context) Result {
	p.res = Result{Target: p.target}
	if ip, err := netip.ParseAddr(p.target.Host); err == nil {
		p.res.IP = ip
	}
	defer func() {
		if p.c != nil {
			p.c.Close()
		}
	}()
	// Connect first so that an unreachable host costs one attempt.
	var err error
	for attempt := 0; attempt <= p.opt.Retries; attempt++ {
		if err = p.connect(ctx); err == nil {
			break
		}
	}
	if err != nil {
		p.res.Err = fmt.Errorf("connect %s: %w", p.target.Addr(), err)
		return p.res
	}
	units, stopAtIdentity := p.opt.UnitIDs, false
	if len(units) == 0 {
		units, stopAtIdentity = DefaultUnitIDs, true
	}
	var router modbus.UnitRouter
	for _, u := range units {
		ur, err := p.unit(ctx, u, &router)
		if ur != nil {
			p.res.Units = append(p.res.Units, *ur)
		}
		if err != nil {
			p.res.Err = err
			return p.res
		}
		if stopAtIdentity && ur != nil && len(ur.Objects) > 0 {
			break
		}
	}
	return p.res
}

// unit asks one unit id for its identity, then FC 17 and the reads.
func (p *hostProbe) unit(ctx context.Context, u uint8, router *modbus.UnitRouter) (*UnitResult, error) {
	ur := &UnitResult{Unit: u, Objects: map[modbus.ObjectID]string{}}
	var merged modbus.DeviceIDResponse
	note := func(err error) (stop error) {
		var ex *ExceptionError
		if errors.As(err, &ex) {
			name := ex.Function.String()
			if ex.Function == modbus.FCEncapsulatedInterface {
				name = "read_device_identification"
			}
			ur.Exceptions = append(ur.Exceptions, name+": "+ex.Code.String())
			return nil
		}
		return err
	}

	conf, err := p.stream(ctx, u, modbus.DevIDBasic, 0, &merged)
	var ex *ExceptionError
	switch {
	case errors.As(err, &ex) && ex.Gateway():
		// Nothing behind the gateway at this unit id: no FC 17, no reads.
		note(err)
		return ur, nil
	case errors.As(err, &ex):
		note(err)
		if err := p.individual(ctx, u, &merged, note); err != nil {
			return ur, err
		}
	case err != nil:
		return ur, err
	default:
		if conf&0x7f >= 2 {
			if _, err := p.stream(ctx, u, modbus.DevIDRegular, modbus.ObjVendorURL, &merged); note(err) != nil {
				return ur, err
			}
		}
		if conf&0x7f >= 3 {
			if _, err := p.stream(ctx, u, modbus.DevIDExtended, 0x80, &merged); note(err) != nil {
				return ur, err
			}
		}
	}
	merged.Conformity = conf
	ur.Conformity = conf
	for _, o := range merged.Objects {
		if v := modbus.CleanString(o.Value); v != "" {
			ur.Objects[o.ID] = v
		}
	}
	if len(merged.Objects) > 0 {
		ur.Sub = router.Sub(u, &merged)
		p.identities = append(p.identities, identity{unit: u, sub: ur.Sub, resp: merged})
	}

	if p.opt.ReportServerID {
		r, err := ReportServerID()
		if err != nil {
			return ur, err
		}
		a, err := p.send(ctx, u, r)
		if note(err) != nil {
			return ur, err
		}
		if err == nil && len(a.Data) >= 1 {
			n := int(a.Data[0])
			if n > 0 && len(a.Data) >= 1+n {
				ur.ServerID = modbus.ServerIDString(a.Data[1 : 1+n])
			}
		}
	}
	for _, spec := range p.opt.Reads {
		r, err := Read(spec.Function, spec.Start, uint16(spec.Count))
		if err != nil {
			return ur, err
		}
		a, err := p.send(ctx, u, r)
		rr := ReadResult{Spec: spec}
		if err != nil {
			if note(err) != nil {
				return ur, err
			}
			rr.Err = err.Error()
		} else {
			rr.Values = decodeRead(spec, a.Data)
		}
		ur.Reads = append(ur.Reads, rr)
	}
	return ur, nil
}

func decodeRead(spec ReadSpec, data []byte) []uint16 {
	if len(data) < 1 {
		return nil
	}
	n := min(int(data[0]), len(data)-1)
	b := data[1 : 1+n]
	var out []uint16
	if spec.Function == modbus.FCReadCoils || spec.Function == modbus.FCReadDiscreteInputs {
		for i := 0; i < spec.Count && i/8 < len(b); i++ {
			out = append(out, uint16(b[i/8]>>(i%8)&1))
		}
		return out
	}
	for i := 0; i+1 < len(b) && len(out) < spec.Count; i += 2 {
		out = append(out, uint16(b[i])<<8|uint16(b[i+1]))
	}
	return out
}

// stream reads one stream access category, following "more follows".
func (p *hostProbe) stream(ctx context.Context, u uint8, code modbus.ReadDevIDCode, from modbus.ObjectID, merged *modbus.DeviceIDResponse) (modbus.ConformityLevel, error) {
	obj := from
	var conf modbus.ConformityLevel
	for i := 0; i < maxMoreFollows; i++ {
		r, err := DeviceID(code, obj)
		if err != nil {
			return conf, err
		}
		a, err := p.send(ctx, u, r)
		if err != nil {
			return conf, err
		}
		resp, err := modbus.ParseDeviceIDResponse(a.Data)
		merged.Objects = append(merged.Objects, resp.Objects...)
		if err != nil {
			return conf, nil // keep what decoded; a broken reply ends the stream
		}
		conf = resp.Conformity
		// Follow only when the next object moves forward.
		if !resp.MoreFollows || resp.NextObjectID <= obj {
			return conf, nil
		}
		obj = resp.NextObjectID
	}
	return conf, nil
}

// individual reads objects 0x00-0x06 one by one (access code 4) after
// stream access was refused; it gives up at the first object that is
// refused with "illegal function" (no FC 43 at all).
func (p *hostProbe) individual(ctx context.Context, u uint8, merged *modbus.DeviceIDResponse, note func(error) error) error {
	for obj := modbus.ObjectID(0); obj < maxIndividual; obj++ {
		r, err := DeviceID(modbus.DevIDIndividual, obj)
		if err != nil {
			return err
		}
		a, err := p.send(ctx, u, r)
		var ex *ExceptionError
		if errors.As(err, &ex) {
			note(err)
			if ex.Code == modbus.ExIllegalFunction || ex.Gateway() {
				return nil
			}
			continue
		}
		if err != nil {
			return err
		}
		resp, err := modbus.ParseDeviceIDResponse(a.Data)
		merged.Objects = append(merged.Objects, resp.Objects...)
		if err == nil && merged.Conformity == 0 {
			merged.Conformity = resp.Conformity
		}
	}
	return nil
}

type identity struct {
	unit uint8
	sub  bool
	resp modbus.DeviceIDResponse
}

// observe turns a finished target into observations.
func (p *hostProbe) observe(r *Result, emit discovery.Emit) {
	if !r.Answered || !r.IP.IsValid() {
		return
	}
	ep := discovery.Endpoint{IP: r.IP}
	// The same fact from several unit ids (a device answering on 0, 1 and
	// 255 alike) is stated once.
	seen := map[string]bool{}
	inner := emit
	emit = func(o discovery.Observation) {
		k := fmt.Sprintf("%d|%s|%s|%s", o.Kind, o.Asset.Sub, o.Key, o.Value)
		if !seen[k] {
			seen[k] = true
			inner(o)
		}
	}
	base := discovery.Observation{
		Time:     p.opt.Now(),
		Evidence: discovery.Evidence{Kind: "probe", Name: "modbus@" + r.Target.Addr()},
		Asset:    ep,
		Protocol: "modbus",
	}
	o := base
	o.Kind, o.Transport, o.Port, o.Role = discovery.KindService, "tcp", r.Target.Port, "server"
	emit(o)
	attr := func(ep discovery.Endpoint, key, value string, conf float32) {
		o := base
		o.Kind, o.Asset, o.Key, o.Value, o.Confidence = discovery.KindAttribute, ep, key, value, conf
		emit(o)
	}
	gateway := false
	for _, u := range r.Units {
		answered := len(u.Objects) > 0 || u.ServerID != "" || len(u.Reads) > 0
		for _, e := range u.Exceptions {
			if strings.HasSuffix(e, modbus.ExGatewayPathUnavailable.String()) || strings.HasSuffix(e, modbus.ExGatewayTargetNoResponse.String()) {
				gateway = true
			} else {
				answered = true
			}
		}
		if answered {
			attr(ep, "modbus.unit_id", strconv.Itoa(int(u.Unit)), modbus.ConfUnitID)
		}
		if u.ServerID != "" {
			attr(ep, "modbus.server_id", u.ServerID, modbus.ConfServerID)
		}
	}
	if gateway {
		attr(ep, "modbus.gateway", "true", 0.7)
	}
	for i := range p.identities {
		id := &p.identities[i]
		id.resp.Objects = dedupeObjects(id.resp.Objects)
		modbus.EmitIdentity(base, id.unit, id.sub, &id.resp, emit)
	}
}

// dedupeObjects keeps the first value of each object id, in id order.
func dedupeObjects(objs []modbus.DeviceObject) []modbus.DeviceObject {
	seen := map[modbus.ObjectID]bool{}
	out := objs[:0:0]
	for _, o := range objs {
		if !seen[o.ID] {
			seen[o.ID] = true
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
