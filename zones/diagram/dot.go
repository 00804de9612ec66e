package diagram

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// DOTQuote writes s as a DOT double-quoted string: backslashes and quotes
// escaped (so no \N, \G or \l escapes survive), and line breaks as \n.
func DOTQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range Clean(s) {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func dotLines(lines []string) string {
	q := make([]string, len(lines))
	for i, l := range lines {
		s := DOTQuote(l)
		q[i] = s[1 : len(s)-1]
	}
	return `"` + strings.Join(q, `\n`) + `"`
}

// WriteDOT writes g as a Graphviz digraph.
func WriteDOT(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph otzone {")
	fmt.Fprintln(bw, `  graph [rankdir=TB, compound=true, fontname="Helvetica", fontsize=11, nodesep=0.5, ranksep=0.8];`)
	fmt.Fprintln(bw, `  node [fontname="Helvetica", fontsize=10];`)
	fmt.Fprintln(bw, `  edge [fontname="Helvetica", fontsize=9];`)
	if g.Title != "" {
		fmt.Fprintf(bw, "  label=%s; labelloc=t;\n", DOTQuote(g.Title))
	}
	for _, z := range g.Zones {
		pen, width := SeverityColor(z.Severity), 1
		if z.Severity != "" {
			width = 3
		}
		attrs := fmt.Sprintf(`shape=box, style="rounded,filled", fillcolor=%s, color=%s, penwidth=%d`, DOTQuote(KindColor(z.Kind)), DOTQuote(pen), width)
		if len(z.Members) == 0 && z.More == 0 {
			fmt.Fprintf(bw, "  %s [label=%s, %s];\n", z.Key, dotLines(zoneText(z)), attrs)
			continue
		}
		fmt.Fprintf(bw, "  subgraph cluster_%s {\n", z.Key)
		fmt.Fprintf(bw, "    label=%s; style=\"rounded,filled\"; fillcolor=%s; color=%s; penwidth=%d;\n", dotLines(zoneText(z)[:1]), DOTQuote(KindColor(z.Kind)), DOTQuote(pen), width)
		fmt.Fprintf(bw, "    %s [label=%s, shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\"];\n", z.Key, dotLines(zoneText(z)[1:]))
		for _, a := range z.Members {
			fmt.Fprintf(bw, "    %s [label=%s, shape=box, style=filled, fillcolor=\"#ffffff\"];\n", a.Key, dotLines([]string{a.Label, a.Type}))
			fmt.Fprintf(bw, "    %s -> %s [style=invis];\n", z.Key, a.Key)
		}
		if z.More > 0 {
			fmt.Fprintf(bw, "    %s_more [label=%s, shape=plaintext];\n", z.Key, DOTQuote(fmt.Sprintf("+%d more", z.More)))
		}
		fmt.Fprintln(bw, "  }")
	}
	for _, e := range g.Edges {
		style := "solid"
		if !e.Encrypted {
			style = "dashed"
		}
		pen := 1
		if e.Severity != "" {
			pen = 2
		}
		fmt.Fprintf(bw, "  %s -> %s [label=%s, dir=both, arrowhead=none, arrowtail=none, style=%s, color=%s, penwidth=%d];\n",
			e.From, e.To, DOTQuote(e.Label()), style, DOTQuote(SeverityColor(e.Severity)), pen)
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}
