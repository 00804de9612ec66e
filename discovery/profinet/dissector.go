package profinet

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/otzone/otzone/discovery"
)

func init() {
	discovery.Register("profinet_dcp", func() discovery.Dissector { return NewFrames() })
	discovery.Register("profinet_io", func() discovery.Dissector { return NewRPC() })
}

// maxPairs bounds the set of (source, destination, frame class) pairs a
// frame dissector remembers so that cyclic traffic (thousands of frames a
// second) yields one service observation per provider/consumer pair.
const maxPairs = 4096

type pairKey struct {
	src, dst discovery.MAC
	class    FrameClass
}

// Frames dissects EtherType 0x8892: DCP, cyclic RT data, alarms and PTCP.
type Frames struct {
	seen map[pairKey]struct{}
}

// NewFrames returns the layer-2 PROFINET dissector.
func NewFrames() *Frames { return &Frames{seen: make(map[pairKey]struct{}, 64)} }

// Name is the CONTRACT protocol name of its main facts; RT frames are
// reported as profinet_rt and PTCP as profinet_ptcp.
func (*Frames) Name() string { return "profinet_dcp" }

// Ports: none; PROFINET real-time is layer 2.
func (*Frames) Ports() []discovery.Port { return nil }

// Frames claims EtherType 0x8892.
func (*Frames) Frames() []discovery.FrameMatch {
	return []discovery.FrameMatch{{EtherType: EtherType}}
}

// Frame handles one PROFINET real-time frame (data starts at the FrameID).
func (f *Frames) Frame(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("profinet: internal error while parsing (recovered)")
		}
	}()
	if len(data) < 2 {
		return ErrShort
	}
	id := FrameID(uint16(data[0])<<8 | uint16(data[1]))
	switch c := id.Class(); c {
	case ClassDCP:
		return f.dcp(data, pkt, emit)
	case ClassCyclic, ClassAlarm, ClassAcyclic, ClassFragment:
		f.provider(pkt, emit, "profinet_rt", c)
	case ClassPTCP:
		f.provider(pkt, emit, "profinet_ptcp", c)
	}
	return nil
}

// provider emits, once per (source, destination, class), the source as
// publisher and a unicast destination as subscriber.
func (f *Frames) provider(pkt *discovery.PacketInfo, emit discovery.Emit, proto string, c FrameClass) {
	k := pairKey{pkt.Src.MAC, pkt.Dst.MAC, c}
	if _, ok := f.seen[k]; ok {
		return
	}
	if len(f.seen) >= maxPairs {
		clear(f.seen)
	}
	f.seen[k] = struct{}{}
	if pkt.Src.MAC.IsUnicast() {
		o := pkt.Obs(discovery.KindService, discovery.Endpoint{MAC: pkt.Src.MAC})
		o.Protocol, o.Transport, o.Role = proto, "eth", "publisher"
		emit(o)
	}
	if pkt.Dst.MAC.IsUnicast() && c != ClassPTCP {
		o := pkt.Obs(discovery.KindService, discovery.Endpoint{MAC: pkt.Dst.MAC})
		o.Protocol, o.Transport, o.Role = proto, "eth", "subscriber"
		emit(o)
	}
}

func (f *Frames) dcp(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) error {
	d, err := ParseDCP(data)
	if err != nil {
		return err
	}
	src := discovery.Endpoint{MAC: pkt.Src.MAC}
	var dst discovery.Endpoint
	if pkt.Dst.MAC.IsUnicast() {
		dst.MAC = pkt.Dst.MAC
	}
	switch {
	case (d.Service == DCPIdentify || d.Service == DCPGet) && d.ServiceType == DCPResponseSuccess,
		d.Service == DCPHello && !d.Response():
		// The station describes itself.
		id := d.Identity()
		if id.IP.IsValid() && !id.IP.IsUnspecified() {
			src.IP = id.IP
			h := pkt.Obs(discovery.KindHost, src)
			h.Protocol, h.Confidence = "profinet_dcp", 0.9
			emit(h)
		}
		f.once(pkt, emit, src, "server")
		identity(pkt, emit, src, id, 0.95)
	case d.Service == DCPSet && !d.Response():
		f.once(pkt, emit, src, "client")
		// Who set what on whom: a configuration change of the target.
		id := d.Identity()
		o := pkt.Obs(discovery.KindOperation, src)
		o.Peer, o.Protocol, o.Transport = dst, "profinet_dcp", "eth"
		o.Op = setOperation(&d)
		emit(o)
		if !dst.IsZero() {
			// Requested values: the device may refuse them.
			identity(pkt, emit, dst, Identity{StationName: id.StationName, IP: id.IP}, 0.6)
		}
	case !d.Response():
		f.once(pkt, emit, src, "client")
		o := pkt.Obs(discovery.KindOperation, src)
		o.Peer, o.Protocol, o.Transport = dst, "profinet_dcp", "eth"
		o.Op = discovery.Operation{Code: int(d.Service), Name: d.Service.String(), Class: discovery.OpDiscovery}
		emit(o)
	}
	return nil
}

func (f *Frames) once(pkt *discovery.PacketInfo, emit discovery.Emit, ep discovery.Endpoint, role string) {
	c := ClassDCP
	if role == "client" {
		c = ClassUnknown // separate key space from the responder
	}
	k := pairKey{src: ep.MAC, class: c}
	if _, ok := f.seen[k]; ok {
		return
	}
	if len(f.seen) >= maxPairs {
		clear(f.seen)
	}
	f.seen[k] = struct{}{}
	o := pkt.Obs(discovery.KindService, ep)
	o.Protocol, o.Transport, o.Role = "profinet_dcp", "eth", role
	emit(o)
}

// setOperation names a DCP Set by what it changes. Setting a name or an
// address, or resetting to factory, is configuration; Signal (flash the
// LED) is diagnostic.
func setOperation(d *DCP) discovery.Operation {
	op := discovery.Operation{Code: int(DCPSet), Name: "set", Class: discovery.OpConfig}
	var names []string
	for _, b := range d.Blocks {
		n := ""
		switch {
		case b.Option == OptDevice && b.Suboption == SubNameOfStation:
			n = "set_name_of_station"
		case b.Option == OptIP:
			n = "set_ip"
		case b.Option == OptDHCP:
			n = "set_dhcp"
		case b.Option == OptControl && (b.Suboption == SubFactoryReset || b.Suboption == SubResetToFactory):
			n = "reset_to_factory"
		case b.Option == OptControl && b.Suboption == SubControlSignal:
			n = "signal"
		}
		if n != "" {
			names = append(names, n)
		}
	}
	switch {
	case len(names) == 1 && names[0] == "signal":
		op.Name, op.Class = "signal", discovery.OpDiagnostic
	case len(names) >= 1:
		for _, n := range names {
			if n != "signal" {
				op.Name = n
				break
			}
		}
	}
	return op
}

func identity(pkt *discovery.PacketInfo, emit discovery.Emit, ep discovery.Endpoint, id Identity, conf float32) {
	attr := func(key, value string, c float32) {
		value = sanitize(value)
		if value == "" {
			return
		}
		o := pkt.Obs(discovery.KindAttribute, ep)
		o.Protocol, o.Key, o.Value, o.Confidence = "profinet_dcp", key, value, c
		emit(o)
	}
	attr("profinet.station_name", id.StationName, conf)
	attr("profinet.type_of_station", id.TypeOfStation, conf)
	attr("profinet.alias_name", id.AliasName, conf)
	if id.HasDeviceID {
		attr("profinet.vendor_id", strconv.Itoa(int(id.VendorID)), conf)
		attr("profinet.device_id", strconv.Itoa(int(id.DeviceID)), conf)
		if n, ok := VendorName(id.VendorID); ok {
			attr("profinet.vendor_name", n, 0.7)
		}
	}
	if id.HasRole {
		attr("profinet.device_role", id.Role.String(), conf)
	}
	if id.IP.IsValid() && !id.IP.IsUnspecified() {
		attr("profinet.ip", id.IP.String(), conf)
		if id.Mask.IsValid() {
			attr("profinet.netmask", id.Mask.String(), conf)
		}
		if id.GW.IsValid() && !id.GW.IsUnspecified() {
			attr("profinet.gateway", id.GW.String(), conf)
		}
	}
}

// RPC dissects PROFINET IO context management: DCE/RPC connectionless over
// UDP (port 34964 for the first request; the reply and later requests use
// ephemeral ports, so the dissector is heuristic on the PNIO interface UUID).
type RPC struct {
	// the strings of the last few numbers and the last station name (as
	// on the wire and sanitized), so that repeated Connect requests
	// allocate nothing
	nums [4]struct {
		n int
		s string
	}
	next uint8
	raw  string
	name string
}

// NewRPC returns the PN-IO CM dissector.
func NewRPC() *RPC { return &RPC{} }

// itoa is strconv.Itoa through a small cache.
func (r *RPC) itoa(n int) string {
	for i := range r.nums {
		if c := &r.nums[i]; c.n == n && c.s != "" {
			return c.s
		}
	}
	s := strconv.Itoa(n)
	c := &r.nums[r.next%uint8(len(r.nums))]
	r.next++
	c.n, c.s = n, s
	return s
}

// str returns b as a sanitized string, the previous one when b is the
// same as last time.
func (r *RPC) str(b []byte) string {
	if string(b) != r.raw { // compiled without a conversion
		r.raw = string(b)
		r.name = sanitize(r.raw)
	}
	return r.name
}

// Name is the protocol name used for PN-IO CM (an extension of CONTRACT.md's list).
func (*RPC) Name() string { return "profinet_io" }

// Port is the PNIO-CM RPC endpoint mapper port.
const Port = 34964

// Ports claims UDP 34964.
func (*RPC) Ports() []discovery.Port {
	return []discovery.Port{{Transport: discovery.UDP, Number: Port}}
}

// Heuristic: a DCE/RPC v4 header naming a PNIO interface UUID
// (DEA0000x-6C97-11D1-8271-00A02442DF7D) is unambiguous on any port.
func (*RPC) Heuristic() bool { return true }

// Detect checks the RPC header and the PNIO interface.
func (*RPC) Detect(data []byte, pkt *discovery.PacketInfo) discovery.Verdict {
	if len(data) < RPCHeaderLen || data[0] != 4 || data[1] > 10 {
		return discovery.No // what ParseRPC refuses, without building its error
	}
	h, _, err := ParseRPC(data)
	if err != nil || h.Interface.PNIOInterface() == 0 {
		return discovery.No
	}
	return discovery.Yes
}

type rpcFlow struct {
	services bool
}

// flowState returns the per-flow state (a fresh one when there is no flow).
func flowState(f *discovery.Flow) *rpcFlow {
	return discovery.StateOf[rpcFlow](f, nil)
}

// Datagram handles one RPC datagram.
func (r *RPC) Datagram(data []byte, pkt *discovery.PacketInfo, emit discovery.Emit) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			err = errors.New("profinet: internal error while parsing rpc (recovered)")
		}
	}()
	h, body, err := ParseRPC(data)
	if err != nil {
		return err
	}
	iface := h.Interface.PNIOInterface()
	if iface == 0 {
		return ErrNotPNIO
	}
	if pkt.Flow != nil {
		pkt.Flow.Protocol = "profinet_io"
	}
	if op := Opnum(h.Opnum); h.PacketType == RPCResponse && (op == OpRead || op == OpReadImplicit) && iface == IfaceDevice && h.FragNum == 0 && h.Flags1&0x04 == 0 {
		r.readResponse(h, body, pkt, emit)
		return nil
	}
	if h.PacketType != RPCRequest || h.FragNum != 0 {
		return nil
	}
	// The RPC requester is the client whatever the flow's port order.
	client, server := pkt.Src, pkt.Dst
	if st := flowState(pkt.Flow); !st.services {
		st.services = true
		discovery.EmitServiceRoles(emit, pkt, "profinet_io", "udp", pkt.DstPort, server, client)
	}
	op := Opnum(h.Opnum)
	o := pkt.Obs(discovery.KindOperation, client)
	o.Peer, o.Protocol, o.Transport, o.Port = server, "profinet_io", "udp", pkt.DstPort
	o.Op = discovery.Operation{Code: int(op), Name: op.String(), Class: opClass(op)}
	if op == OpControl {
		o.Op.Name = controlName(iface, body)
	}
	emit(o)

	// One attribute observation, re-aimed for each fact (emit copies
	// it). The values are numbers, names from the vendor table, literals
	// and the station name that str sanitized: all as sanitize leaves them.
	a := pkt.Obs(discovery.KindAttribute, discovery.Endpoint{})
	a.Protocol = "profinet_io"
	attr := func(ep discovery.Endpoint, key, value string, c float32) {
		if value == "" {
			return
		}
		a.Asset, a.Key, a.Value, a.Confidence = ep, key, value, c
		emit(a)
	}
	// The object UUID of a request to the device interface names the
	// device: vendor id, device id, instance.
	if iface == IfaceDevice && op == OpConnect {
		if v, d, _, ok := h.Object.PNIOObject(); ok {
			attr(server, "profinet.vendor_id", r.itoa(int(v)), 0.85)
			attr(server, "profinet.device_id", r.itoa(int(d)), 0.85)
			if n, ok := VendorName(v); ok {
				attr(server, "profinet.vendor_name", n, 0.7)
			}
			attr(server, "profinet.device_role", "io-device", 0.8)
		}
	}
	if op == OpConnect && iface == IfaceDevice {
		ar, name, err := parseConnectRequest(body)
		if err != nil {
			return err
		}
		ar.StationName = r.str(name)
		ini := client
		if m := discovery.MACFromBytes(ar.InitiatorMAC[:]); m.IsUnicast() && ini.MAC.IsZero() {
			ini.MAC = m
		}
		attr(ini, "profinet.station_name", ar.StationName, 0.9)
		if v, d, _, ok := ar.InitiatorObject.PNIOObject(); ok {
			attr(ini, "profinet.vendor_id", r.itoa(int(v)), 0.85)
			attr(ini, "profinet.device_id", r.itoa(int(d)), 0.85)
			if n, ok := VendorName(v); ok {
				attr(ini, "profinet.vendor_name", n, 0.7)
			}
		}
		switch ar.ARType {
		case 0x0001, 0x0010, 0x0020:
			attr(ini, "profinet.device_role", "io-controller", 0.8)
		case 0x0006:
			attr(ini, "profinet.device_role", "io-supervisor", 0.8)
		}
	}
	return nil
}

// readResponse reports what a device says about itself in a PDRealData
// record: its NameOfStation and IP as configured on the interface, and the
// neighbours each port sees (LLDP), as "profinet.neighbor" attributes
// ("port-001 -> siemens-x208-switch port-004 00:0e:8c:ef:75:c5"). The
// neighbour itself gets no observation: it may never appear in the capture,
// and an asset is made only from what is seen or said by the asset itself.
func (r *RPC) readResponse(h RPCHeader, body []byte, pkt *discovery.PacketInfo, emit discovery.Emit) {
	index, rec, err := ParseReadResponse(body, h.LittleEndian)
	if err != nil || (index != IndexPDRealData && index != IndexIM0 && index != IndexIM1 && index != IndexIM2 && index != IndexIM3) {
		return
	}
	dev := pkt.Src
	attr := func(ep discovery.Endpoint, key, value string, c float32) {
		value = sanitize(value)
		if value == "" || ep.IsZero() {
			return
		}
		a := pkt.Obs(discovery.KindAttribute, ep)
		a.Protocol, a.Key, a.Value, a.Confidence = "profinet_io", key, value, c
		emit(a)
	}
	if index == IndexIM0 {
		im, err := ParseIM0(rec)
		if err != nil {
			return
		}
		// The device's own nameplate: order number, serial, revisions.
		attr(dev, "profinet.order_id", im.OrderID, 0.95)
		attr(dev, "profinet.serial_number", im.SerialNumber, 0.95)
		attr(dev, "profinet.software_revision", im.SoftwareRevision, 0.95)
		attr(dev, "profinet.hardware_revision", strconv.Itoa(int(im.HardwareRevision)), 0.95)
		if name, ok := VendorName(im.VendorID); ok {
			attr(dev, "profinet.vendor_name", name, 0.7)
		}
		attr(dev, "profinet.vendor_id", strconv.Itoa(int(im.VendorID)), 0.95)
		return
	}
	if index != IndexPDRealData {
		// I&M1-3: the plant's own tags, written at commissioning.
		im, err := ParseIMText(index, rec)
		if err != nil {
			return
		}
		attr(dev, "profinet.tag_function", im.TagFunction, 0.9)
		attr(dev, "profinet.tag_location", im.TagLocation, 0.9)
		attr(dev, "profinet.installation_date", im.Date, 0.9)
		attr(dev, "profinet.descriptor", im.Descriptor, 0.9)
		return
	}
	pd, err := ParsePDRealData(rec)
	if err != nil {
		return
	}
	if f := pd.Interface; f != nil {
		attr(dev, "profinet.station_name", f.ChassisID, 0.9)
		if f.IP.IsValid() && !f.IP.IsUnspecified() {
			attr(dev, "profinet.ip", f.IP.String(), 0.9)
		}
	}
	for _, p := range pd.Ports {
		for _, pe := range p.Peers {
			m := discovery.MACFromBytes(pe.MAC[:])
			attr(dev, "profinet.neighbor", sanitize(p.PortID)+" -> "+sanitize(pe.ChassisID)+" "+sanitize(pe.PortID)+" "+m.String(), 0.9)
		}
	}
}

// controlName names a Control (opnum 4) request by its ControlCommand, but
// only when the command and the interface agree: PrmEnd and PrmBegin are
// the controller's IODControlReq to the device interface (DEA00001);
// ApplicationReady, ReadyForCompanion and ReadyForRTC3 are the device's
// IOXControlReq to the controller interface (DEA00002). Anything else
// (an unreadable block, several bits, a mismatch) stays "control".
func controlName(iface int, body []byte) string {
	c, err := ParseControlRequest(body)
	if err != nil {
		return OpControl.String()
	}
	switch {
	case iface == IfaceDevice && (c.Command == CtrlPrmEnd || c.Command == CtrlPrmBegin) && (c.BlockType == 0x0110 || c.BlockType == 0x0118):
	case iface == IfaceController && (c.Command == CtrlApplicationReady || c.Command == CtrlReadyForCompanion || c.Command == CtrlReadyForRTC3) && (c.BlockType == 0x0112 || c.BlockType == 0x0116 || c.BlockType == 0x0117):
	default:
		return OpControl.String()
	}
	return c.Command.String()
}

// opClass: Connect establishes an application relation and parameterises
// the device (config); Release ends it and Control drives its state
// machine (PrmEnd, ApplicationReady) (control); Read/ReadImplicit read
// records; Write writes records (parameters) (write).
func opClass(op Opnum) discovery.OpClass {
	switch op {
	case OpConnect:
		return discovery.OpConfig
	case OpRelease, OpControl:
		return discovery.OpControl
	case OpRead, OpReadImplicit:
		return discovery.OpRead
	case OpWrite:
		return discovery.OpWrite
	}
	return discovery.OpOther
}

// maxValue bounds a stored wire string (bytes).
const maxValue = 256

// sanitize makes a wire string safe to store (see opcua.sanitize). The
// strings it gets are already copies (parse.go), so one that is printable
// ASCII without surrounding blanks, which the loop below would copy
// unchanged, is returned as is.
func sanitize(s string) string {
	if plain(s) {
		return s
	}
	return sanitizeRunes(s)
}

func sanitizeRunes(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			r = ' '
		}
		if b.Len()+utf8.RuneLen(r) > maxValue {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// plain reports whether sanitize would return s unchanged: at most
// maxValue bytes of printable ASCII (0x20-0x7e), not starting or ending
// with a space (the only white space TrimSpace finds there).
func plain(s string) bool {
	if len(s) > maxValue {
		return false
	}
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
