package diagram

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// xmlAttr escapes s for an XML attribute value (quotes, <, &, and line
// breaks as character references so they survive attribute normalisation).
func xmlAttr(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	out := b.String()
	out = strings.ReplaceAll(out, `"`, "&#34;")
	out = strings.ReplaceAll(out, `'`, "&#39;")
	return out
}

// WriteDrawIO writes g as a draw.io (diagrams.net) file: one mxGraphModel
// whose root holds cell 0, layer 1, a container cell per zone (assets are
// its children with DetailAssets) and an edge cell per conduit. Labels are
// plain text (html=0), so nothing in them is interpreted as markup.
func WriteDrawIO(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, `<?xml version="1.0" encoding="UTF-8"?>`)
	fmt.Fprintln(bw, `<mxfile host="otzone" type="device">`)
	fmt.Fprintf(bw, "  <diagram id=\"otzone-zones\" name=\"%s\">\n", xmlAttr(orDefault(g.Title, "Zones and conduits")))
	fmt.Fprintln(bw, `    <mxGraphModel dx="1200" dy="800" grid="1" gridSize="10" guides="1" tooltips="1" connect="1" arrows="1" fold="1" page="1" pageScale="1" pageWidth="1169" pageHeight="827" math="0" shadow="0">`)
	fmt.Fprintln(bw, "      <root>")
	fmt.Fprintln(bw, `        <mxCell id="0"/>`)
	fmt.Fprintln(bw, `        <mxCell id="1" parent="0"/>`)
	// Layout: zones grouped in rows by Purdue level (highest first), left to right.
	rows := map[string]int{}
	var order []string
	for _, z := range g.Zones {
		if _, ok := rows[z.Level]; !ok {
			rows[z.Level] = len(order)
			order = append(order, z.Level)
		}
	}
	colInRow := map[string]int{}
	const colW, gap = 260, 40
	rowH := 140
	for _, z := range g.Zones {
		if n := len(z.Members); n > 0 {
			if h := 70 + 36*((n+1)/2) + 20; h > rowH {
				rowH = h
			}
		}
	}
	for _, z := range g.Zones {
		col := colInRow[z.Level]
		colInRow[z.Level]++
		x, y := 40+col*(colW+gap), 40+rows[z.Level]*(rowH+gap)
		h := 100
		if len(z.Members) > 0 || z.More > 0 {
			h = rowH
		}
		stroke := SeverityColor(z.Severity)
		sw := 1
		if z.Severity != "" {
			sw = 3
		}
		style := fmt.Sprintf("swimlane;container=1;collapsible=0;html=0;whiteSpace=wrap;rounded=1;fillColor=%s;strokeColor=%s;strokeWidth=%d;startSize=50;", KindColor(z.Kind), stroke, sw)
		fmt.Fprintf(bw, "        <mxCell id=\"%s\" value=\"%s\" style=\"%s\" vertex=\"1\" parent=\"1\">\n", z.Key, xmlAttr(strings.Join(zoneText(z), "\n")), style)
		fmt.Fprintf(bw, "          <mxGeometry x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" as=\"geometry\"/>\n        </mxCell>\n", x, y, colW, h)
		for i, a := range z.Members {
			ax, ay := 10+(i%2)*120, 60+(i/2)*36
			fmt.Fprintf(bw, "        <mxCell id=\"%s\" value=\"%s\" style=\"rounded=0;html=0;whiteSpace=wrap;fillColor=#ffffff;fontSize=9;\" vertex=\"1\" parent=\"%s\">\n", a.Key, xmlAttr(a.Label+"\n"+a.Type), z.Key)
			fmt.Fprintf(bw, "          <mxGeometry x=\"%d\" y=\"%d\" width=\"110\" height=\"30\" as=\"geometry\"/>\n        </mxCell>\n", ax, ay)
		}
		if z.More > 0 {
			fmt.Fprintf(bw, "        <mxCell id=\"%s_more\" value=\"%s\" style=\"text;html=0;\" vertex=\"1\" parent=\"%s\">\n", z.Key, xmlAttr(fmt.Sprintf("+%d more", z.More)), z.Key)
			fmt.Fprintf(bw, "          <mxGeometry x=\"10\" y=\"%d\" width=\"110\" height=\"20\" as=\"geometry\"/>\n        </mxCell>\n", h-24)
		}
	}
	for _, e := range g.Edges {
		dash := 1
		if e.Encrypted {
			dash = 0
		}
		style := fmt.Sprintf("endArrow=none;html=0;rounded=0;dashed=%d;strokeColor=%s;strokeWidth=%d;labelBackgroundColor=#ffffff;", dash, SeverityColor(e.Severity), 1+boolInt(e.Severity != ""))
		fmt.Fprintf(bw, "        <mxCell id=\"%s\" value=\"%s\" style=\"%s\" edge=\"1\" parent=\"1\" source=\"%s\" target=\"%s\">\n", e.Key, xmlAttr(e.Label()), style, e.From, e.To)
		fmt.Fprintln(bw, "          <mxGeometry relative=\"1\" as=\"geometry\"/>\n        </mxCell>")
	}
	fmt.Fprintln(bw, "      </root>")
	fmt.Fprintln(bw, "    </mxGraphModel>")
	fmt.Fprintln(bw, "  </diagram>")
	fmt.Fprintln(bw, "</mxfile>")
	return bw.Flush()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
