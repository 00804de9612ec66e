package assess

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
)

// Options tune Run.
type Options struct {
	// Now stamps generated_at (default time.Now).
	Now func() time.Time
	// MaxEvidence caps the evidence kept per finding (default 10); the
	// total is still counted.
	MaxEvidence int
}

func (o Options) maxEvidence() int {
	if o.MaxEvidence <= 0 {
		return 10
	}
	return o.MaxEvidence
}

// Run evaluates the enabled finding rules of rs over the classified
// inventory and its zone model, scores every zone and builds the
// compliance matrix. m's zones carry their SL-T (zones.Derive/Compare set
// it from the model, --target-sl or the kind's default).
func Run(inv *inventory.Inventory, m *zones.Model, rs *rules.RuleSet, opt Options) (a *Assessment, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = nil, fmt.Errorf("assess: internal error: %v", r)
		}
	}()
	if inv == nil || m == nil {
		return nil, fmt.Errorf("assess: no inventory or zone model")
	}
	d, err := LoadData()
	if err != nil {
		return nil, err
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	e := newEnv(inv, m, opt)
	a = &Assessment{Schema: Schema, GeneratedAt: now().UTC(), ModelSource: m.Source, Findings: []Finding{}, Zones: []ZoneScore{},
		Conduits: []ConduitRef{}, Assets: []AssetRow{}}
	if a.ModelSource == "" {
		a.ModelSource = "derived"
	}
	finding := rs.ByKind(rules.KindFinding)
	for _, r := range finding {
		ck, ok := checks[r.Check]
		if !ok {
			a.NotEvaluated = append(a.NotEvaluated, NotEvaluated{Rule: r.ID, Reason: fmt.Sprintf("unknown check %q (known: %s)", r.Check, strings.Join(Checks(), ", "))})
			continue
		}
		drafts, ne := ck(e, r)
		if ne != nil {
			a.NotEvaluated = append(a.NotEvaluated, *ne)
		}
		a.Findings = append(a.Findings, merge(e, d, r, drafts, opt.maxEvidence())...)
	}
	sort.SliceStable(a.Findings, func(i, j int) bool {
		x, y := a.Findings[i], a.Findings[j]
		if SeverityRank(x.Severity) != SeverityRank(y.Severity) {
			return SeverityRank(x.Severity) > SeverityRank(y.Severity)
		}
		return x.ID < y.ID
	})
	score(a, e, d, finding)
	a.Compliance = compliance(a, d, finding)
	if rows := assetRows(a, e); rows != nil {
		a.Assets = rows
	}
	if cs := conduitRefs(a, e); cs != nil {
		a.Conduits = cs
	}
	summarise(a, inv, m)
	for _, name := range sortedKeys(d.Sources) {
		a.DataSources = append(a.DataSources, d.Sources[name])
	}
	a.Notes = []string{
		"SL-A is an upper bound: traffic shows missing capabilities, rarely present ones. An FR without a capping finding is 'no gap seen' or 'not observable from traffic', never 'achieved'.",
		"A violated SR/RE counts as a gap only where the zone's SL-T for its FR requires it (min_sl <= SL-T).",
		"Finding-to-requirement selections are analyst judgement (references_unverified); IEC 62443 SL applicability is from public secondary sources: confirm against a licensed copy before claiming conformance.",
		"SP 800-82r3 section numbers marked (unverified) were not confirmed against the PDF.",
		"FIPS 199 impact and IEC 62443 SL-T are different scales; there is no official mapping between them.",
	}
	return a, nil
}

// merge dedupes one rule's drafts by key into findings.
func merge(e *env, d *Data, r *rules.Rule, drafts []draft, maxEv int) []Finding {
	byKey := map[string]*draft{}
	var order []string
	for i := range drafts {
		dr := &drafts[i]
		g := byKey[dr.key]
		if g == nil {
			cp := *dr
			cp.evidence, cp.assets, cp.because, cp.affected = nil, nil, nil, nil
			g = &cp
			byKey[dr.key] = g
			order = append(order, dr.key)
		}
		g.assets = append(g.assets, dr.assets...)
		g.affected = append(g.affected, dr.affected...)
		g.evidence = append(g.evidence, dr.evidence...)
		g.because = append(g.because, dr.because...)
		if SeverityRank(dr.severity) > SeverityRank(g.severity) {
			g.severity = dr.severity
		}
	}
	sort.Strings(order)
	refs, details, unver := references(d, r)
	var out []Finding
	for _, k := range order {
		g := byKey[k]
		sev := r.Severity
		if g.severity != "" && SeverityRank(g.severity) > SeverityRank(sev) {
			sev = g.severity
		}
		ev := dedupeEvidence(g.evidence)
		f := Finding{ID: r.ID + "@" + k, Rule: r.ID, Severity: sev, Title: r.Title, Zone: g.zone, Conduit: g.conduit,
			Assets: uniq(g.assets), EvidenceTotal: len(ev), References: refs, ReferenceDetails: details, ReferencesUnverified: unver,
			Remediation: strings.TrimSpace(r.Remediation), FalsePositives: strings.TrimSpace(r.FalsePositives), Rationale: strings.TrimSpace(r.Rationale),
			AffectedZones: uniq(g.affected)}
		if len(ev) > maxEv {
			ev = ev[:maxEv]
		}
		f.Evidence = ev
		for _, id := range f.Assets {
			f.AssetNames = append(f.AssetNames, e.name(id))
		}
		f.Because = becauseText(g.because)
		out = append(out, f)
	}
	return out
}

func becauseText(l []string) string {
	seen := map[string]bool{}
	var parts []string
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	const max = 6
	if len(parts) > max {
		return strings.Join(parts[:max], "; ") + fmt.Sprintf("; and %d more", len(parts)-max)
	}
	return strings.Join(parts, "; ")
}

func dedupeEvidence(l []Evidence) []Evidence {
	seen := map[Evidence]bool{}
	var out []Evidence
	for _, ev := range l {
		if !seen[ev] {
			seen[ev] = true
			out = append(out, ev)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return frameLess(out[i].Source, out[j].Source) })
	return out
}

// frameLess orders "pcap:F#frame=N" sources by file then frame number.
func frameLess(a, b string) bool {
	fa, na := splitFrame(a)
	fb, nb := splitFrame(b)
	if fa != fb {
		return fa < fb
	}
	return na < nb
}

func splitFrame(s string) (string, int) {
	i := strings.LastIndex(s, "#frame=")
	if i < 0 {
		return s, 0
	}
	n := 0
	for _, c := range s[i+7:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return s[:i], n
}

// references builds a finding's references: the ids the rule gives, 800-82
// sections marked "(unverified)" unless verified, and each id's title,
// basis (from the crosswalk family the rule names in params.crosswalk) and
// verification.
func references(d *Data, r *rules.Rule) (rules.References, []RefDetail, bool) {
	var refs rules.References
	if r.References != nil {
		refs = *r.References
	}
	cw := d.Crosswalk[r.Params["crosswalk"]]
	basis := func(list []edge, id string) string {
		for _, e := range list {
			if e.ID == id {
				return e.Basis
			}
		}
		return "ANALYST"
	}
	var det []RefDetail
	out := rules.References{}
	for _, id := range refs.IEC62443_3_3 {
		rd := RefDetail{Framework: "iec62443_3_3", ID: id, Basis: "ANALYST", Unverified: true}
		if q := d.Requirement(id); q != nil {
			rd.Title, rd.MinSL = q.Title, q.MinSL
		}
		out.IEC62443_3_3 = append(out.IEC62443_3_3, id)
		det = append(det, rd)
	}
	for _, id := range refs.IEC62443_3_2 {
		rd := RefDetail{Framework: "iec62443_3_2", ID: id, Basis: "ANALYST", Unverified: true}
		if z := d.zcr[id]; z != nil {
			rd.Title = z.Title
		}
		out.IEC62443_3_2 = append(out.IEC62443_3_2, id)
		det = append(det, rd)
	}
	for _, id := range refs.NIST800_82r3 {
		rd := RefDetail{Framework: "nist_800_82r3", ID: d.Section82(id), Basis: "ANALYST", Unverified: true}
		if s := d.section[id]; s != nil {
			rd.Title, rd.Unverified = s.Title, s.Unverified
		}
		out.NIST800_82r3 = append(out.NIST800_82r3, d.Section82(id))
		det = append(det, rd)
	}
	for _, id := range refs.NIST800_53r5 {
		rd := RefDetail{Framework: "nist_800_53r5", ID: id, Basis: "ANALYST"}
		if cw != nil {
			rd.Basis = basis(cw.NIST53, id)
		}
		rd.Unverified = rd.Basis == "ANALYST"
		if c := d.control[id]; c != nil {
			rd.Title = c.Title
		}
		out.NIST800_53r5 = append(out.NIST800_53r5, id)
		det = append(det, rd)
	}
	for _, id := range refs.CSF2_0 {
		rd := RefDetail{Framework: "csf_2_0", ID: id, Basis: "ANALYST"}
		if cw != nil {
			rd.Basis = basis(cw.CSF, id)
		}
		rd.Unverified = rd.Basis == "ANALYST"
		if c := d.csf[id]; c != nil {
			rd.Title = c.Text
		}
		out.CSF2_0 = append(out.CSF2_0, id)
		det = append(det, rd)
	}
	for _, id := range refs.AttackICS {
		rd := RefDetail{Framework: "attack_ics", ID: id, Basis: "ATTACK"}
		if t := d.tech[id]; t != nil {
			rd.Title = t.Name
		} else {
			rd.Unverified = true
		}
		out.AttackICS = append(out.AttackICS, id)
		det = append(det, rd)
	}
	unver := cw == nil || cw.Unverified
	return out, det, unver
}

// score fills each zone's SL-T/SL-A/gap row.
func score(a *Assessment, e *env, d *Data, finding []*rules.Rule) {
	// Which FRs (and the lowest min_sl per FR) each enabled rule can observe.
	observable := map[int]int{} // FR → lowest min_sl any rule checks
	for _, r := range finding {
		if r.References == nil {
			continue
		}
		for _, id := range r.References.IEC62443_3_3 {
			fr := FROf(id)
			q := d.Requirement(id)
			if fr == 0 || q == nil {
				continue
			}
			if cur, ok := observable[fr]; !ok || q.MinSL < cur {
				observable[fr] = q.MinSL
			}
		}
	}
	byZone := map[string][]*Finding{}
	for i := range a.Findings {
		for _, z := range a.Findings[i].AffectedZones {
			byZone[z] = append(byZone[z], &a.Findings[i])
		}
	}
	for _, z := range e.model.Zones {
		zs := ZoneScore{Zone: z.ID, Name: z.Name, Kind: z.Kind.String(), PurdueLevel: z.PurdueLevel, Assets: len(z.Assets), Declared: z.Declared,
			SLTarget: z.SLTarget, SLTargetSource: z.SLSource, SLAchieved: map[string]int{}, Gap: map[string]int{}, Findings: []string{}}
		for _, f := range byZone[z.ID] {
			zs.Findings = append(zs.Findings, f.ID)
			if SeverityRank(f.Severity) > SeverityRank(zs.MaxSeverity) {
				zs.MaxSeverity = f.Severity
			}
		}
		for _, fr := range zones.FoundationalRequirements {
			target := int(z.SLTarget.Get(fr))
			cell := FRScore{FR: fr.String(), Target: target}
			hits := map[string]*ReqHit{}
			fids := map[string]bool{}
			for _, f := range byZone[z.ID] {
				for _, id := range f.References.IEC62443_3_3 {
					if FROf(id) != int(fr) {
						continue
					}
					q := d.Requirement(id)
					if q == nil {
						continue
					}
					if hits[id] == nil {
						hits[id] = &ReqHit{ID: id, MinSL: q.MinSL, Gap: q.MinSL <= target}
					}
					fids[f.ID] = true
				}
			}
			cap := -1
			for _, h := range hits {
				if c := h.MinSL - 1; cap < 0 || c < cap {
					cap = c
				}
			}
			for _, id := range sortedKeys(hits) {
				cell.Requirements = append(cell.Requirements, *hits[id])
			}
			cell.Findings = sortedKeys(fids)
			switch {
			case cap >= 0:
				v := cap
				cell.Achieved = &v
				zs.SLAchieved[fr.String()] = cap
				if cap < target {
					cell.Gap = target - cap
					cell.Status = StatusGap
					zs.Gap[fr.String()] = cell.Gap
				} else {
					cell.Status = StatusMeetsSeen
				}
			case target == 0:
				cell.Status = StatusNotRequired
			default:
				if ms, ok := observable[int(fr)]; ok && ms <= target {
					cell.Status = StatusMeetsSeen
				} else {
					cell.Status = StatusNotObservable
				}
			}
			zs.FR = append(zs.FR, cell)
		}
		if z.FIPS199 != nil && !z.FIPS199.IsZero() {
			hw := z.FIPS199.HighWater().String()
			zs.FIPS199 = &FIPS199Score{Confidentiality: z.FIPS199.Confidentiality.String(), Integrity: z.FIPS199.Integrity.String(),
				Availability: z.FIPS199.Availability.String(), HighWater: hw, Baseline: d.Baseline(hw)}
		}
		a.Zones = append(a.Zones, zs)
	}
}

// compliance builds the per-framework matrix.
func compliance(a *Assessment, d *Data, finding []*rules.Rule) Compliance {
	type obs struct {
		rules    map[string]bool
		findings map[string]bool
		gap      bool
		evidence []string
	}
	gather := func(get func(*rules.References) []string, inFinding func(*Finding) []string, isGap func(f *Finding, id string) bool) map[string]*obs {
		m := map[string]*obs{}
		at := func(id string) *obs {
			o := m[id]
			if o == nil {
				o = &obs{rules: map[string]bool{}, findings: map[string]bool{}}
				m[id] = o
			}
			return o
		}
		for _, r := range finding {
			if r.References != nil {
				for _, id := range get(r.References) {
					at(id).rules[r.ID] = true
				}
			}
		}
		for i := range a.Findings {
			f := &a.Findings[i]
			for _, id := range inFinding(f) {
				o := at(id)
				o.findings[f.ID] = true
				if isGap(f, id) {
					o.gap = true
				}
				for _, ev := range f.Evidence {
					if len(o.evidence) < 5 {
						o.evidence = append(o.evidence, ev.Source)
					}
				}
			}
		}
		return m
	}
	status := func(o *obs) string {
		switch {
		case o == nil || len(o.rules) == 0:
			return CompNotObservable
		case o.gap:
			return CompGap
		}
		return CompNoGapSeen
	}
	row := func(o *obs, r ComplianceRow) ComplianceRow {
		r.Status = status(o)
		if o != nil {
			r.Rules, r.Findings, r.Evidence = sortedKeys(o.rules), sortedKeys(o.findings), uniq(o.evidence)
		}
		return r
	}
	// 62443-3-3: a gap only where some affected zone's SL-T for the FR requires it.
	target := map[string]zones.SLVector{}
	for _, z := range a.Zones {
		target[z.Zone] = z.SLTarget
	}
	srGap := func(f *Finding, id string) bool {
		q := d.Requirement(id)
		fr := FROf(id)
		if q == nil || fr == 0 {
			return false
		}
		for _, z := range f.AffectedZones {
			if q.MinSL <= int(target[z].Get(zones.FoundationalRequirement(fr))) {
				return true
			}
		}
		return false
	}
	always := func(*Finding, string) bool { return true }
	var c Compliance
	m33 := gather(func(r *rules.References) []string { return r.IEC62443_3_3 }, func(f *Finding) []string { return f.References.IEC62443_3_3 }, srGap)
	for _, q := range d.Requirements {
		r := row(m33[q.ID], ComplianceRow{ID: q.ID, Title: q.Title, MinSL: q.MinSL, Unverified: q.Unverified})
		if o := m33[q.ID]; o != nil && len(o.findings) > 0 && !o.gap && len(o.rules) > 0 {
			r.Status = CompNoGapSeen // violated only above every affected zone's SL-T
		}
		c.IEC62443_3_3 = append(c.IEC62443_3_3, r)
	}
	m32 := gather(func(r *rules.References) []string { return r.IEC62443_3_2 }, func(f *Finding) []string { return f.References.IEC62443_3_2 }, always)
	for _, z := range d.ZCR {
		c.IEC62443_3_2 = append(c.IEC62443_3_2, row(m32[z.ID], ComplianceRow{ID: z.ID, Title: z.Title, Unverified: z.Unver}))
	}
	// 800-82: findings hold the display form ("6.2.3 (unverified)"); map back.
	m82 := gather(func(r *rules.References) []string { return r.NIST800_82r3 }, func(f *Finding) []string {
		var out []string
		for _, s := range f.References.NIST800_82r3 {
			out = append(out, strings.TrimSuffix(s, " (unverified)"))
		}
		return out
	}, always)
	for _, s := range d.Sections {
		id := d.Section82(s.ID)
		c.NIST800_82r3 = append(c.NIST800_82r3, row(m82[s.ID], ComplianceRow{ID: id, Title: s.Title, Unverified: s.Unverified}))
	}
	m53 := gather(func(r *rules.References) []string { return r.NIST800_53r5 }, func(f *Finding) []string { return f.References.NIST800_53r5 }, always)
	for _, ct := range d.Controls {
		c.NIST800_53r5 = append(c.NIST800_53r5, row(m53[ct.ID], ComplianceRow{ID: ct.ID, Title: ct.Title}))
	}
	mcsf := gather(func(r *rules.References) []string { return r.CSF2_0 }, func(f *Finding) []string { return f.References.CSF2_0 }, always)
	for _, s := range d.CSF {
		c.CSF2_0 = append(c.CSF2_0, row(mcsf[s.ID], ComplianceRow{ID: s.ID, Title: s.Text}))
	}
	matt := gather(func(r *rules.References) []string { return r.AttackICS }, func(f *Finding) []string { return f.References.AttackICS }, always)
	for _, t := range d.Techniques {
		if matt[t.ID] == nil {
			continue // only the techniques the rules relate to; the rest is not a traffic question
		}
		c.AttackICS = append(c.AttackICS, row(matt[t.ID], ComplianceRow{ID: t.ID, Title: t.Name}))
	}
	return c
}

func assetRows(a *Assessment, e *env) []AssetRow {
	count := map[string]int{}
	for _, f := range a.Findings {
		for _, id := range f.Assets {
			count[id]++
		}
	}
	var out []AssetRow
	for i := range e.inv.Assets {
		as := &e.inv.Assets[i]
		protos := map[string]bool{}
		for _, s := range as.Services {
			protos[s.Protocol] = true
		}
		out = append(out, AssetRow{ID: as.ID, Name: Name(as), IPs: as.IPs, MACs: as.MACs, Vendor: as.Vendor, Model: as.Model, Firmware: as.Firmware,
			DeviceType: as.DeviceType, PurdueLevel: as.PurdueLevel, Zone: e.zoneOf[as.ID], Protocols: sortedKeys(protos), Findings: count[as.ID]})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Zone != out[j].Zone {
			return out[i].Zone < out[j].Zone
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func conduitRefs(a *Assessment, e *env) []ConduitRef {
	by := map[string][]*Finding{}
	for i := range a.Findings {
		if c := a.Findings[i].Conduit; c != "" {
			by[c] = append(by[c], &a.Findings[i])
		}
	}
	var out []ConduitRef
	for _, c := range e.model.Conduits {
		cr := ConduitRef{ID: c.ID, Zones: []string{c.Zones[0], c.Zones[1]}, Protocols: c.Protocols, Encrypted: c.Encrypted, Declared: c.Declared}
		cr.Flags = ConduitFlags(&c)
		for _, f := range by[c.ID] {
			cr.Findings = append(cr.Findings, f.ID)
			if SeverityRank(f.Severity) > SeverityRank(cr.MaxSeverity) {
				cr.MaxSeverity = f.Severity
			}
		}
		out = append(out, cr)
	}
	return out
}

// ConduitFlags are the short labels a conduit shows on diagrams:
// cleartext-write, program, control, undeclared.
func ConduitFlags(c *zones.Conduit) []string {
	var f []string
	if !c.Encrypted && c.Operations["write"] > 0 {
		f = append(f, "cleartext-write")
	}
	if c.Operations["program"] > 0 {
		f = append(f, "program")
	}
	if c.Operations["control"] > 0 {
		f = append(f, "control")
	}
	return f
}

func summarise(a *Assessment, inv *inventory.Inventory, m *zones.Model) {
	s := Summary{Assets: len(inv.Assets), Communications: len(inv.Communications), Zones: len(m.Zones), Conduits: len(m.Conduits),
		Findings: len(a.Findings), BySeverity: map[string]int{}}
	for _, f := range a.Findings {
		s.BySeverity[f.Severity]++
	}
	for _, z := range a.Zones {
		if len(z.Gap) > 0 {
			s.ZonesWithGaps++
		}
	}
	for _, src := range inv.Sources {
		s.Sources = append(s.Sources, src.Name)
	}
	if st, en, ok := captureSpan(inv); ok {
		s.CaptureStart, s.CaptureEnd = &st, &en
	}
	a.Summary = s
}

func captureSpan(inv *inventory.Inventory) (time.Time, time.Time, bool) {
	var st, en time.Time
	for _, s := range inv.Sources {
		if !s.FirstSeen.IsZero() && (st.IsZero() || s.FirstSeen.Before(st)) {
			st = s.FirstSeen
		}
		if s.LastSeen.After(en) {
			en = s.LastSeen
		}
	}
	return st, en, !st.IsZero() && !en.IsZero()
}
