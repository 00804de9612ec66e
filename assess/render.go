package assess

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/rules"
	"github.com/otzone/otzone/zones"
	"github.com/otzone/otzone/zones/diagram"
)

// WriteJSON writes the otzone.assessment/v1 document.
func WriteJSON(w io.Writer, a *Assessment) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}

// Severity maps every zone and conduit id to its worst finding severity,
// for diagrams.
func (a *Assessment) Severity() map[string]string {
	m := map[string]string{}
	for _, z := range a.Zones {
		if z.MaxSeverity != "" {
			m[z.Zone] = z.MaxSeverity
		}
	}
	for _, c := range a.Conduits {
		if c.MaxSeverity != "" {
			m[c.ID] = c.MaxSeverity
		}
	}
	return m
}

// Diagram builds the zone diagram of a, coloured by finding severity.
func Diagram(a *Assessment, m *zones.Model, inv *inventory.Inventory, detail string) *diagram.Graph {
	return diagram.Build(m, inv, diagram.Options{Detail: detail, Severity: a.Severity()})
}

// mdEscape escapes s for Markdown text and table cells: Markdown
// punctuation gets a backslash, HTML-significant characters become
// entities, line breaks become spaces.
func mdEscape(s string) string {
	s = diagram.Clean(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '+', '!', '|', '~', '=', '"', '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Cell is a gap-table cell's short text.
func (c FRScore) Cell() string {
	switch c.Status {
	case StatusGap:
		return fmt.Sprintf("GAP %d (T%d, A≤%d)", c.Gap, c.Target, *c.Achieved)
	case StatusMeetsSeen:
		if c.Achieved != nil {
			return fmt.Sprintf("ok (T%d, A≤%d)", c.Target, *c.Achieved)
		}
		return fmt.Sprintf("no gap seen (T%d)", c.Target)
	case StatusNotRequired:
		return "T0"
	}
	return fmt.Sprintf("not observable (T%d)", c.Target)
}

// WriteMarkdown writes the report as Markdown for tickets and wikis, with
// the zone diagram as a Mermaid block.
func WriteMarkdown(w io.Writer, a *Assessment, g *diagram.Graph) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("# otzone assessment\n\n")
	p("Generated %s from %s; model: %s.\n\n", a.GeneratedAt.Format("2006-01-02 15:04 UTC"), mdEscape(strings.Join(a.Summary.Sources, ", ")), mdEscape(a.ModelSource))
	p("| assets | communications | zones | conduits | findings | critical | high | medium | low | zones with gaps |\n|---|---|---|---|---|---|---|---|---|---|\n")
	s := a.Summary
	p("| %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n\n", s.Assets, s.Communications, s.Zones, s.Conduits, s.Findings,
		s.BySeverity["critical"], s.BySeverity["high"], s.BySeverity["medium"], s.BySeverity["low"], s.ZonesWithGaps)
	if g != nil {
		p("## Zones and conduits\n\n```mermaid\n")
		bw.Flush()
		var mb bytes.Buffer
		if err := diagram.WriteMermaid(&mb, g); err != nil {
			return err
		}
		bw.Write(mb.Bytes())
		p("```\n\n")
	}
	p("## Gap table (SL-T vs SL-A per foundational requirement)\n\n")
	p("T = SL-T, A≤ = the most traffic allows (an upper bound). GAP n = SL-T minus that bound.\n\n")
	p("| zone | kind | SL-T | FR1 IAC | FR2 UC | FR3 SI | FR4 DC | FR5 RDF | FR6 TRE | FR7 RA | FIPS 199 → 800-53B |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, z := range a.Zones {
		p("| %s | %s | %s |", mdEscape(z.Zone), z.Kind, z.SLTarget.Compact())
		for _, c := range z.FR {
			p(" %s |", c.Cell())
		}
		if z.FIPS199 != nil {
			p(" %s → %s |\n", z.FIPS199.HighWater, z.FIPS199.Baseline)
		} else {
			p(" – |\n")
		}
	}
	p("\n## Findings (%d)\n\n", len(a.Findings))
	for _, f := range a.Findings {
		p("### [%s] %s\n\n", strings.ToUpper(f.Severity), mdEscape(f.Title))
		p("- **id:** %s\n", codeSpan(f.ID))
		if f.Zone != "" {
			p("- **zone:** %s\n", mdEscape(f.Zone))
		}
		if f.Conduit != "" {
			p("- **conduit:** %s\n", mdEscape(f.Conduit))
		}
		p("- **because:** %s\n", mdEscape(f.Because))
		var names []string
		for _, n := range f.AssetNames {
			names = append(names, mdEscape(n))
		}
		p("- **assets:** %s\n", strings.Join(names, ", "))
		p("- **evidence** (%d of %d):\n", len(f.Evidence), f.EvidenceTotal)
		for _, ev := range f.Evidence {
			p("  - %s: %s\n", codeSpan(ev.Source), mdEscape(ev.Detail))
		}
		p("- **references%s:**\n", map[bool]string{true: " (requirement selection is analyst judgement)", false: ""}[f.ReferencesUnverified])
		for _, fw := range refFrameworks(f.References) {
			p("  - %s: %s\n", fw.name, mdEscape(strings.Join(fw.ids, ", ")))
		}
		p("- **remediation:** %s\n", mdEscape(f.Remediation))
		if f.FalsePositives != "" {
			p("- **false positives:** %s\n", mdEscape(f.FalsePositives))
		}
		p("\n")
	}
	if len(a.NotEvaluated) > 0 {
		p("## Rules not evaluated\n\n")
		for _, n := range a.NotEvaluated {
			p("- `%s`: %s\n", n.Rule, mdEscape(n.Reason))
		}
		p("\n")
	}
	p("## IEC 62443-3-3 requirements with findings or checks\n\n| SR/RE | title | min SL | status | findings |\n|---|---|---|---|---|\n")
	for _, r := range a.Compliance.IEC62443_3_3 {
		if r.Status == CompNotObservable {
			continue
		}
		p("| %s | %s | %d | %s | %s |\n", r.ID, mdEscape(r.Title), r.MinSL, r.Status, mdEscape(strings.Join(r.Findings, ", ")))
	}
	p("\n%d of %d requirements are not observable from traffic (see the HTML or JSON report).\n\n", countStatus(a.Compliance.IEC62443_3_3, CompNotObservable), len(a.Compliance.IEC62443_3_3))
	p("## Notes\n\n")
	for _, n := range a.Notes {
		p("- %s\n", mdEscape(n))
	}
	return bw.Flush()
}

// codeSpan puts s in a Markdown code span, where nothing is interpreted;
// backticks, which would end it, become quotes.
func codeSpan(s string) string {
	return "`" + strings.ReplaceAll(diagram.Clean(s), "`", "'") + "`"
}

func countStatus(rows []ComplianceRow, st string) int {
	n := 0
	for _, r := range rows {
		if r.Status == st {
			n++
		}
	}
	return n
}

type fwRefs struct {
	name string
	ids  []string
}

// refFrameworks lists a finding's references per framework, in the
// CONTRACT.md key order, with display names.
func refFrameworks(r rules.References) []fwRefs {
	var out []fwRefs
	for _, f := range []fwRefs{
		{"IEC 62443-3-3", r.IEC62443_3_3}, {"IEC 62443-3-2", r.IEC62443_3_2}, {"NIST SP 800-82r3", r.NIST800_82r3},
		{"NIST SP 800-53r5", r.NIST800_53r5}, {"NIST CSF 2.0", r.CSF2_0}, {"MITRE ATT&CK for ICS", r.AttackICS},
	} {
		if len(f.ids) > 0 {
			out = append(out, f)
		}
	}
	return out
}
