package diagram

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/otzone/otzone/discovery/inventory"
	"github.com/otzone/otzone/zones"
)

// hostile are station names and hostnames as an attacker would set them
// (PROFINET NameOfStation, DHCP hostname, BACnet object name).
var hostile = []string{
	`<script>alert(1)</script>`,
	`"]; evil [shape=box label="pwned`,
	`=cmd|' /C calc'!A0`,
	"line1\nline2\r\n\x1b[31mred",
	`%%{init: {"securityLevel": "loose"}}%%`,
	`end`,
	`a|b]]-->c{{x}}`,
	`back\slash \N \G \l`,
	"bidi\u202egnp.exe",
	`&amp; &lt; ]]> <!-- x -->`,
}

func hostileModel() (*zones.Model, *inventory.Inventory) {
	lvl := func(n int) *int { return &n }
	inv := &inventory.Inventory{}
	m := &zones.Model{Source: "derived"}
	for i, h := range hostile {
		id := fmt.Sprintf("asset-%d", i)
		inv.Assets = append(inv.Assets, inventory.Asset{ID: id, Hostnames: []string{h}, DeviceType: "plc", IPs: []string{fmt.Sprintf("10.0.0.%d", i+1)}})
		m.Zones = append(m.Zones, zones.Zone{ID: "zone-" + h, Name: h, Kind: zones.KindControl, PurdueLevel: lvl(1), Assets: []string{id}})
	}
	m.Zones = append(m.Zones, zones.Zone{ID: "sup", Name: "Supervisory", Kind: zones.KindSupervisory, PurdueLevel: lvl(2)})
	for i, h := range hostile {
		m.Conduits = append(m.Conduits, zones.Conduit{ID: fmt.Sprintf("c-%d", i), Zones: [2]string{"sup", "zone-" + h},
			Protocols: []string{"modbus", h}, Operations: map[string]uint64{"write": 1}})
	}
	return m, inv
}

func render(t *testing.T, format string, g *Graph) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(context.Background(), &b, format, g); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

// wellFormed decodes the whole document with encoding/xml (strict) and
// returns the character data, so that callers can check that hostile text
// came out as text.
func wellFormed(t *testing.T, name string, b []byte) (elements map[string]int, text string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	elements = map[string]int{}
	var sb strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v\n%s", name, err, b)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			elements[strings.ToLower(v.Name.Local)]++
			for _, a := range v.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					t.Errorf("%s: event handler attribute %s", name, a.Name.Local)
				}
				sb.WriteString(a.Value)
				sb.WriteByte('\n')
			}
		case xml.CharData:
			sb.Write(v)
		}
	}
	return elements, sb.String()
}

func TestSVGHostile(t *testing.T) {
	for _, detail := range []string{DetailZones, DetailAssets} {
		m, inv := hostileModel()
		g := Build(m, inv, Options{Detail: detail, Severity: map[string]string{"c-0": "high", "sup": "critical"}})
		b := render(t, "svg", g)
		el, text := wellFormed(t, "svg", b)
		if el["script"] != 0 || el["foreignobject"] != 0 {
			t.Errorf("svg holds active elements: %v", el)
		}
		if el["svg"] != 1 || el["g"] < len(hostile) {
			t.Errorf("svg structure: %v", el)
		}
		// The script tag survives only as text, never as markup.
		if !strings.Contains(text, "<script>alert(1)</script>") {
			t.Errorf("hostile label lost from svg text (detail %s)", detail)
		}
		if bytes.Contains(b, []byte("<script>")) {
			t.Errorf("raw <script> in svg")
		}
	}
}

func TestDOTHostileAcceptedByGraphviz(t *testing.T) {
	m, inv := hostileModel()
	for _, detail := range []string{DetailZones, DetailAssets} {
		b := render(t, "dot", Build(m, inv, Options{Detail: detail}))
		if !bytes.Contains(b, []byte(`\"]; evil`)) {
			t.Fatalf("hostile quote not escaped in DOT:\n%s", b)
		}
		dot, err := exec.LookPath("dot")
		if err != nil {
			t.Skipf("graphviz dot not installed (apt-get install graphviz): %v", err)
		}
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = bytes.NewReader(b)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("dot rejected the graph: %v %s\n%s", err, stderr.String(), b)
		}
		_, text := wellFormed(t, "dot -Tsvg", out)
		// One node per zone (and per asset): nothing injected added nodes.
		if strings.Contains(text, "pwned\"") || strings.Count(string(out), `class="node"`) != countNodes(m, detail) {
			t.Errorf("dot output has %d nodes, want %d", strings.Count(string(out), `class="node"`), countNodes(m, detail))
		}
	}
}

func countNodes(m *zones.Model, detail string) int {
	n := len(m.Zones)
	if detail == DetailAssets {
		for _, z := range m.Zones {
			n += len(z.Assets)
		}
	}
	return n
}

func TestDrawIOHostile(t *testing.T) {
	m, inv := hostileModel()
	b := render(t, "drawio", Build(m, inv, Options{Detail: DetailAssets}))
	type cell struct {
		ID     string `xml:"id,attr"`
		Value  string `xml:"value,attr"`
		Parent string `xml:"parent,attr"`
		Vertex string `xml:"vertex,attr"`
		Edge   string `xml:"edge,attr"`
		Source string `xml:"source,attr"`
		Target string `xml:"target,attr"`
	}
	var doc struct {
		XMLName xml.Name `xml:"mxfile"`
		Diagram struct {
			Model struct {
				Cells []cell `xml:"root>mxCell"`
			} `xml:"mxGraphModel"`
		} `xml:"diagram"`
	}
	wellFormed(t, "drawio", b)
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string]cell{}
	for _, c := range doc.Diagram.Model.Cells {
		if _, dup := ids[c.ID]; dup {
			t.Errorf("duplicate cell id %s", c.ID)
		}
		ids[c.ID] = c
	}
	zonesN, assets, edges := 0, 0, 0
	for _, c := range doc.Diagram.Model.Cells {
		if c.ID != "0" {
			if _, ok := ids[c.Parent]; !ok {
				t.Errorf("cell %s: parent %q does not exist", c.ID, c.Parent)
			}
		}
		switch {
		case c.Edge == "1":
			edges++
			if ids[c.Source].Vertex != "1" || ids[c.Target].Vertex != "1" {
				t.Errorf("edge %s ends are not vertices", c.ID)
			}
		case c.Vertex == "1" && c.Parent == "1":
			zonesN++
		case c.Vertex == "1":
			assets++
		}
	}
	if zonesN != len(m.Zones) || assets != len(hostile) || edges != len(m.Conduits) {
		t.Errorf("drawio: %d zones, %d assets, %d edges; want %d, %d, %d", zonesN, assets, edges, len(m.Zones), len(hostile), len(m.Conduits))
	}
	var found bool
	for _, c := range doc.Diagram.Model.Cells {
		if strings.Contains(c.Value, "<script>alert(1)</script>") {
			found = true
		}
	}
	if !found {
		t.Error("hostile label not preserved as text in a value attribute")
	}
}

func TestMermaidHostile(t *testing.T) {
	m, inv := hostileModel()
	b := render(t, "mermaid", Build(m, inv, Options{Detail: DetailAssets}))
	s := string(b)
	for _, bad := range []string{"<script", "%%{", "evil [", "|b]", "\x1b", "\u202e"} {
		if strings.Contains(s, bad) {
			t.Errorf("mermaid output contains %q:\n%s", bad, s)
		}
	}
	// Structure: every line is a known statement; labels are quoted.
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		l := strings.TrimSpace(line)
		ok := l == "flowchart TB" || l == "end" || mermaidNode.MatchString(l) || mermaidEdge.MatchString(l) ||
			mermaidStyle.MatchString(l) || strings.HasPrefix(l, "linkStyle ")
		if !ok {
			t.Errorf("unexpected mermaid line %q", l)
		}
	}
	if got := strings.Count(s, "subgraph "); got != len(hostile) {
		t.Errorf("%d subgraphs, want %d (a hostile 'end' closed one early?)", got, len(hostile))
	}
	if strings.Count(s, "\n  end\n") != len(hostile) {
		t.Errorf("end statements: %d", strings.Count(s, "\n  end\n"))
	}
}

var (
	mermaidNode  = regexp.MustCompile(`^(subgraph )?[az][0-9]+(_box|_more)?\["[^"\]\[|]*"\]$`)
	mermaidEdge  = regexp.MustCompile(`^z[0-9]+ (-\.-|---)\|"[^"|]*"\| z[0-9]+$`)
	mermaidStyle = regexp.MustCompile(`^style z[0-9]+(_box)? fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6},stroke-width:[0-9]px$`)
)

func TestMermaidText(t *testing.T) {
	for in, want := range map[string]string{
		"plc-1":        "plc-1",
		`a"b`:          "a#34;b",
		"<x>":          "#60;x#62;",
		"%%{init}":     "#37;#37;#123;init#125;",
		"end":          "end",
		"tab\there":    "tab here",
		"Ünïcödé 10.1": "#220;n#239;c#246;d#233; 10.1",
	} {
		if got := MermaidText(in); got != want {
			t.Errorf("MermaidText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDOTQuote(t *testing.T) {
	for in, want := range map[string]string{
		`plc`:        `"plc"`,
		`a"b`:        `"a\"b"`,
		`c:\N`:       `"c:\\N"`,
		"two\nlines": `"two lines"`,
	} {
		if got := DOTQuote(in); got != want {
			t.Errorf("DOTQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFlagsAndColours(t *testing.T) {
	m := &zones.Model{Source: "zones.yaml", Zones: []zones.Zone{{ID: "a", Kind: zones.KindEnterprise}, {ID: "b", Kind: zones.KindControl}},
		Conduits: []zones.Conduit{{ID: "a--b", Zones: [2]string{"a", "b"}, Protocols: []string{"s7comm"}, Operations: map[string]uint64{"write": 2, "program": 1}}}}
	g := Build(m, nil, Options{Severity: map[string]string{"a--b": "critical"}})
	if len(g.Edges) != 1 || g.Edges[0].Label() != "s7comm [cleartext-write, program, undeclared]" {
		t.Fatalf("edge: %+v", g.Edges)
	}
	dot := string(render(t, "dot", g))
	if !strings.Contains(dot, SeverityColor("critical")) || !strings.Contains(dot, KindColor("enterprise")) || !strings.Contains(dot, "style=dashed") {
		t.Errorf("dot lacks severity/kind colour or dashed cleartext edge:\n%s", dot)
	}
	m.Conduits[0].Encrypted = true
	m.Conduits[0].Declared = true
	if l := Build(m, nil, Options{}).Edges[0].Label(); l != "s7comm [program]" {
		t.Errorf("encrypted declared conduit label %q", l)
	}
}

// synthetic builds a plant of n assets in zones of 50.
func synthetic(n int) (*zones.Model, *inventory.Inventory) {
	inv := &inventory.Inventory{}
	m := &zones.Model{Source: "derived"}
	kinds := []zones.ZoneKind{zones.KindControl, zones.KindSupervisory, zones.KindField, zones.KindOperations}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("a%05d", i)
		inv.Assets = append(inv.Assets, inventory.Asset{ID: id, IPs: []string{fmt.Sprintf("10.%d.%d.%d", i/65536, (i/256)%256, i%256)}, DeviceType: "plc"})
		zi := i / 50
		if zi >= len(m.Zones) {
			m.Zones = append(m.Zones, zones.Zone{ID: fmt.Sprintf("zone-%03d", zi), Kind: kinds[zi%len(kinds)]})
		}
		m.Zones[zi].Assets = append(m.Zones[zi].Assets, id)
	}
	for i := 1; i < len(m.Zones); i++ {
		m.Conduits = append(m.Conduits, zones.Conduit{ID: fmt.Sprintf("c%d", i), Zones: [2]string{m.Zones[0].ID, m.Zones[i].ID}, Protocols: []string{"modbus"}})
		if i%3 == 0 {
			m.Conduits = append(m.Conduits, zones.Conduit{ID: fmt.Sprintf("d%d", i), Zones: [2]string{m.Zones[i-1].ID, m.Zones[i].ID}, Protocols: []string{"s7comm"}})
		}
	}
	return m, inv
}

// BenchmarkSVG2000 renders a synthetic 2,000-asset plant (40 zones) at both
// detail levels.
func BenchmarkSVG2000(b *testing.B) {
	m, inv := synthetic(2000)
	for _, detail := range []string{DetailZones, DetailAssets} {
		g := Build(m, inv, Options{Detail: detail})
		b.Run(detail, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := WriteSVG(context.Background(), io.Discard, g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkText2000(b *testing.B) {
	m, inv := synthetic(2000)
	g := Build(m, inv, Options{Detail: DetailAssets})
	for _, f := range []string{"dot", "mermaid", "drawio"} {
		b.Run(f, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := Write(context.Background(), io.Discard, f, g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// svgElements is every element the SVG writer may emit: nothing active
// (script, foreignObject, a, image, use, style) and nothing that can
// reference another document.
var svgElements = map[string]bool{"svg": true, "title": true, "g": true, "rect": true, "line": true, "path": true, "text": true, "tspan": true}

// safeAttr matches every attribute value the writer emits: numbers,
// colours, path data, fixed keywords; never text from the model.
var safeAttr = regexp.MustCompile(`^[-#0-9a-zA-Z .,/:]*$`)

func TestSVGHostileAttributesAndElements(t *testing.T) {
	m, inv := hostileModel()
	for _, detail := range []string{DetailZones, DetailAssets} {
		g := Build(m, inv, Options{Detail: detail, Title: `</title><script>x</script>`})
		b := render(t, "svg", g)
		dec := xml.NewDecoder(bytes.NewReader(b))
		dec.Strict = true
		var stack []string
		titles := map[string]int{}
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("not well-formed: %v", err)
			}
			switch v := tok.(type) {
			case xml.StartElement:
				if !svgElements[v.Name.Local] {
					t.Errorf("unexpected element <%s>", v.Name.Local)
				}
				for _, a := range v.Attr {
					if a.Name.Local == "href" || a.Name.Space != "" && a.Name.Space != "http://www.w3.org/2000/svg" {
						t.Errorf("attribute %s:%s", a.Name.Space, a.Name.Local)
					}
					if a.Name.Local != "xmlns" && !safeAttr.MatchString(a.Value) || strings.Contains(a.Value, "url(") {
						t.Errorf("attribute %s=%q is not a fixed value", a.Name.Local, a.Value)
					}
				}
				if v.Name.Local == "title" && len(stack) > 0 {
					titles[stack[len(stack)-1]]++
				}
				name := v.Name.Local
				for _, a := range v.Attr {
					if a.Name.Local == "class" {
						name += "." + strings.Fields(a.Value)[0]
					}
				}
				stack = append(stack, name)
			case xml.EndElement:
				stack = stack[:len(stack)-1]
			}
		}
		// A hover title per zone and per conduit.
		if titles["g.node"] != len(m.Zones) || titles["g.edge"] != len(m.Conduits) {
			t.Errorf("detail %s: titles %v, want %d zones and %d conduits", detail, titles, len(m.Zones), len(m.Conduits))
		}
		if bytes.Contains(b, []byte("\x1b")) || bytes.Contains(b, []byte("\u202e")) {
			t.Error("control or bidi character in svg")
		}
	}
}

func TestSVGDeterministic(t *testing.T) {
	m, inv := synthetic(700)
	m2, inv2 := hostileModel()
	for _, c := range []struct {
		m   *zones.Model
		inv *inventory.Inventory
	}{{m, inv}, {m2, inv2}} {
		for _, detail := range []string{DetailZones, DetailAssets} {
			first := render(t, "svg", Build(c.m, c.inv, Options{Detail: detail}))
			for i := 0; i < 5; i++ {
				if again := render(t, "svg", Build(c.m, c.inv, Options{Detail: detail})); !bytes.Equal(first, again) {
					t.Fatalf("detail %s: run %d gives different bytes", detail, i)
				}
			}
		}
	}
}

// TestSVGLayout checks the drawing itself: bands top to bottom by kind,
// the asset cap, dashed cleartext conduits, and an arrowhead at the
// initiated-to zone only.
func TestSVGLayout(t *testing.T) {
	lvl := func(n int) *int { return &n }
	inv := &inventory.Inventory{}
	var ctl []string
	for i := 0; i < 45; i++ {
		id := fmt.Sprintf("plc-%02d", i)
		ctl = append(ctl, id)
		inv.Assets = append(inv.Assets, inventory.Asset{ID: id, IPs: []string{fmt.Sprintf("10.0.1.%d", i+1)}, DeviceType: "plc"})
	}
	m := &zones.Model{Source: "derived", Zones: []zones.Zone{
		{ID: "field", Kind: zones.KindField, PurdueLevel: lvl(0)},
		{ID: "control", Kind: zones.KindControl, PurdueLevel: lvl(1), Assets: ctl},
		{ID: "enterprise", Kind: zones.KindEnterprise, PurdueLevel: lvl(4)},
	}, Conduits: []zones.Conduit{
		{ID: "control--enterprise", Zones: [2]string{"control", "enterprise"}, Protocols: []string{"ntp"}, Direction: zones.DirectionAtoB},
		{ID: "control--field", Zones: [2]string{"control", "field"}, Protocols: []string{"profinet_io"}, Encrypted: true},
	}}
	g := Build(m, inv, Options{Detail: DetailAssets})
	l := layoutSVG(g)
	y := map[string]float64{}
	for _, b := range l.boxes {
		y[b.z.ID] = b.y
	}
	if !(y["enterprise"] < y["control"] && y["control"] < y["field"]) {
		t.Errorf("bands out of order: %v", y)
	}
	s := string(render(t, "svg", g))
	if strings.Count(s, "10.0.1.") != 2*40 || !strings.Contains(s, ">+5 more<") { // each drawn asset: a text line and a title line
		t.Errorf("asset cap: %d asset lines, +5 more present %v", strings.Count(s, "10.0.1."), strings.Contains(s, "+5 more"))
	}
	edges := strings.Split(s, `<g class="edge conduit">`)[1:]
	if len(edges) != 2 {
		t.Fatalf("%d conduits drawn", len(edges))
	}
	// control--enterprise: cleartext (dashed), one arrowhead, at the
	// enterprise box's bottom edge.
	if !strings.Contains(edges[0], "stroke-dasharray") || strings.Count(edges[0], " Z\"") != 1 {
		t.Errorf("control--enterprise conduit: %s", edges[0])
	}
	ent := l.boxes[2]
	if !strings.Contains(edges[0], fmt.Sprintf(",%s L", f1(ent.y+ent.h))) {
		t.Errorf("arrowhead not at the enterprise box bottom (y %s): %s", f1(ent.y+ent.h), edges[0])
	}
	// control--field: encrypted (solid), direction unknown (no arrowhead).
	if strings.Contains(edges[1], "stroke-dasharray") || strings.Contains(edges[1], " Z\"") {
		t.Errorf("control--field conduit: %s", edges[1])
	}
}

func TestEdgeLines(t *testing.T) {
	e := Edge{Protocols: strings.Split("ads,bacnet,bsap,c37118,cip,dnp3,enip,fins,fox,ftp,hart_ip,iec104,knxip,mms,modbus,ntp,s7comm,slmp,snmp,tls,opcua,http", ","), Flags: []string{"cleartext-write"}}
	lines := edgeLines(e)
	if len(lines) != svgLabelMax+1 || lines[len(lines)-1] != "[cleartext-write]" {
		t.Fatalf("lines %q", lines)
	}
	var shown int
	for _, l := range lines[:svgLabelMax] {
		if utf8.RuneCountInString(l) > svgLabelRune+12 {
			t.Errorf("line too long: %q", l)
		}
		shown += len(strings.Split(strings.TrimSuffix(l, ","), ", "))
	}
	var more int
	fmt.Sscanf(lines[svgLabelMax-1][strings.LastIndex(lines[svgLabelMax-1], "+"):], "+%d more", &more)
	if shown-1+more != len(e.Protocols) {
		t.Errorf("%d shown + %d more != %d protocols: %q", shown-1, more, len(e.Protocols), lines)
	}
}
