package diagram

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// MermaidText escapes s for a Mermaid quoted label: every character that
// is not a letter, digit, space or one of ".,:/()-_" becomes an entity
// code (#34; for a quote), so brackets, pipes, "%%{init}", "end", "<" and
// "&" cannot change the chart's structure or inject HTML.
func MermaidText(s string) string {
	var b strings.Builder
	for _, r := range Clean(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ', r == '.', r == ',', r == ':', r == '/', r == '(', r == ')', r == '-', r == '_':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "#%d;", r)
		}
	}
	return b.String()
}

func mermaidLines(lines []string) string {
	q := make([]string, len(lines))
	for i, l := range lines {
		q[i] = MermaidText(l)
	}
	return `"` + strings.Join(q, "<br/>") + `"`
}

// WriteMermaid writes g as a Mermaid flowchart (for Markdown: wrap it in a
// ```mermaid fence).
func WriteMermaid(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "flowchart TB")
	for _, z := range g.Zones {
		if len(z.Members) == 0 && z.More == 0 {
			fmt.Fprintf(bw, "  %s[%s]\n", z.Key, mermaidLines(zoneText(z)))
			continue
		}
		fmt.Fprintf(bw, "  subgraph %s_box[%s]\n", z.Key, mermaidLines(zoneText(z)[:1]))
		fmt.Fprintf(bw, "    %s[%s]\n", z.Key, mermaidLines(zoneText(z)[1:]))
		for _, a := range z.Members {
			fmt.Fprintf(bw, "    %s[%s]\n", a.Key, mermaidLines([]string{a.Label, a.Type}))
		}
		if z.More > 0 {
			fmt.Fprintf(bw, "    %s_more[%s]\n", z.Key, mermaidLines([]string{fmt.Sprintf("+%d more", z.More)}))
		}
		fmt.Fprintln(bw, "  end")
	}
	for _, e := range g.Edges {
		arrow := "-.-"
		if e.Encrypted {
			arrow = "---"
		}
		fmt.Fprintf(bw, "  %s %s|%s| %s\n", e.From, arrow, mermaidLines([]string{e.Label()}), e.To)
	}
	for _, z := range g.Zones {
		stroke := SeverityColor(z.Severity)
		width := "1px"
		if z.Severity != "" {
			width = "3px"
		}
		fmt.Fprintf(bw, "  style %s fill:%s,stroke:%s,stroke-width:%s\n", z.Key, KindColor(z.Kind), stroke, width)
		if len(z.Members) > 0 || z.More > 0 {
			fmt.Fprintf(bw, "  style %s_box fill:%s,stroke:%s,stroke-width:%s\n", z.Key, KindColor(z.Kind), stroke, width)
		}
	}
	for i, e := range g.Edges {
		if e.Severity != "" {
			fmt.Fprintf(bw, "  linkStyle %d stroke:%s,stroke-width:2px\n", i, SeverityColor(e.Severity))
		}
	}
	return bw.Flush()
}
