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
