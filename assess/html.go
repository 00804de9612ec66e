package assess

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/otzone/otzone/zones/diagram"
)

//go:embed templates/report.html.tmpl
var templateFS embed.FS

var reportTmpl = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"statusClass": func(s string) string {
		switch s {
		case CompGap:
			return StatusGap
		case CompNoGapSeen:
			return StatusMeetsSeen
		}
		return StatusNotObservable
	},
}).ParseFS(templateFS, "templates/report.html.tmpl"))

const reportCSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#111827;background:#f9fafb}
header{background:#111827;color:#f9fafb;padding:16px 24px}header h1{margin:0 0 4px;font-size:22px}
header .meta{margin:0 0 8px;color:#d1d5db;font-size:12px;word-break:break-all}header nav a{color:#93c5fd;margin-right:14px}
main{padding:8px 24px 48px;max-width:1400px}section{margin-top:24px}h2{border-bottom:2px solid #e5e7eb;padding-bottom:4px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 16px;min-width:90px;text-align:center}
.card b{display:block;font-size:22px}
table{border-collapse:collapse;background:#fff;margin:8px 0;font-size:13px}th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}table.sortable th{cursor:pointer}table.sortable th:hover{background:#e5e7eb}
td.st-gap,.st-gap{background:#fecaca;font-weight:600}td.st-no_gap_seen,.st-no_gap_seen{background:#dcfce7}
td.st-not_observable,.st-not_observable{background:#f3f4f6;color:#6b7280}td.st-not_required{background:#fff;color:#9ca3af}
.finding{background:#fff;border:1px solid #e5e7eb;border-left:6px solid #6b7280;border-radius:6px;padding:4px 16px;margin:12px 0}
.finding h3{margin:10px 0 4px;font-size:16px}.fid{color:#4b5563;margin:0;word-break:break-all}
.badge{display:inline-block;border-radius:4px;padding:1px 6px;color:#fff;font-size:12px;text-transform:uppercase;background:#6b7280}
.sev-critical{border-left-color:#7f1d1d}.badge.sev-critical{background:#7f1d1d}.sev-high{border-left-color:#dc2626}.badge.sev-high{background:#dc2626}
.sev-medium{border-left-color:#d97706}.badge.sev-medium{background:#d97706}.sev-low{border-left-color:#2563eb}.badge.sev-low{background:#2563eb}
.card.sev-critical b{color:#7f1d1d}.card.sev-high b{color:#dc2626}.card.sev-medium b{color:#d97706}.card.sev-low b{color:#2563eb}
.evidence li{word-break:break-all}code{background:#f3f4f6;border-radius:3px;padding:0 3px;font-size:12px}
.diagram{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:8px;overflow:auto}.diagram svg{max-width:100%;height:auto}
.legend,.fp{color:#4b5563}.warn{color:#b91c1c}details{margin:6px 0}summary{cursor:pointer}
input[type=search]{padding:4px 8px;width:280px;border:1px solid #d1d5db;border-radius:4px}tr.hidden{display:none}
`

// reportJS filters the asset table with the text box and sorts tables by a
// clicked header. It touches only textContent and classes, never HTML.
const reportJS = `
(function(){
  "use strict";
  var box=document.getElementById("asset-filter"),table=document.getElementById("asset-table"),count=document.getElementById("asset-count");
  function filter(){
    if(!box||!table){return;}
    var q=box.value.toLowerCase(),rows=table.tBodies[0].rows,shown=0;
    for(var i=0;i<rows.length;i++){
      var hit=rows[i].textContent.toLowerCase().indexOf(q)>=0;
      rows[i].classList.toggle("hidden",!hit);
      if(hit){shown++;}
    }
    if(count){count.textContent=shown+" of "+rows.length+" shown";}
  }
  if(box){box.addEventListener("input",filter);filter();}
  var tables=document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables,function(t){
    var ths=t.tHead?t.tHead.rows[0].cells:[];
    Array.prototype.forEach.call(ths,function(th,col){
      th.addEventListener("click",function(){
        var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),asc=th.getAttribute("data-sort")!=="asc";
        Array.prototype.forEach.call(ths,function(o){o.removeAttribute("data-sort");});
        th.setAttribute("data-sort",asc?"asc":"desc");
        rows.sort(function(a,b){
          var x=(a.cells[col]||{}).textContent||"",y=(b.cells[col]||{}).textContent||"";
          var nx=parseFloat(x),ny=parseFloat(y),c;
          if(!isNaN(nx)&&!isNaN(ny)&&String(nx)===x.trim()&&String(ny)===y.trim()){c=nx-ny;}else{c=x.localeCompare(y);}
          return asc?c:-c;
        });
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  });
  document.documentElement.setAttribute("data-otzone-ready","1");
})();
`

func cspHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}

type htmlFramework struct {
	Name               string
	Rows               []ComplianceRow
	Gaps, Seen, NotObs int
	MinSL, Open        bool
}

type htmlData struct {
	A            *Assessment
	CSP          string
	CSS          template.CSS
	JS           template.JS
	SVG          template.HTML
	DiagramError string
	FRs          []named
	Frameworks   []htmlFramework
	MinSLCol     bool
}

// WriteHTML writes the self-contained HTML report: no external resource,
// inline CSS and script allowed by a Content-Security-Policy with their
// SHA-256 hashes, every string escaped by html/template, and the zone
// diagram as inline SVG (checked to contain no script or event handler).
func WriteHTML(ctx context.Context, w io.Writer, a *Assessment, g *diagram.Graph) error {
	d, err := LoadData()
	if err != nil {
		return err
	}
	data := htmlData{A: a, CSS: template.CSS(reportCSS), JS: template.JS(reportJS), FRs: d.FRs}
	data.CSP = "default-src 'none'; img-src data:; style-src " + cspHash(reportCSS) + "; script-src " + cspHash(reportJS) + "; base-uri 'none'; form-action 'none'"
	if g != nil {
		var svg bytes.Buffer
		if err := diagram.WriteSVG(ctx, &svg, g); err != nil {
			data.DiagramError = err.Error()
		} else if clean, err := inlineSVG(svg.Bytes()); err != nil {
			data.DiagramError = err.Error()
		} else {
			data.SVG = template.HTML(clean)
		}
	}
	fw := func(name string, rows []ComplianceRow, minSL, open bool) htmlFramework {
		f := htmlFramework{Name: name, Rows: rows, MinSL: minSL, Open: open}
		for _, r := range rows {
			switch r.Status {
			case CompGap:
				f.Gaps++
			case CompNoGapSeen:
				f.Seen++
			default:
				f.NotObs++
			}
		}
		return f
	}
	c := a.Compliance
	data.Frameworks = []htmlFramework{
		fw("IEC 62443-3-3 system requirements", c.IEC62443_3_3, true, true),
		fw("IEC 62443-3-2 zone and conduit requirements", c.IEC62443_3_2, false, false),
		fw("NIST SP 800-82r3 sections", c.NIST800_82r3, false, false),
		fw("NIST CSF 2.0 subcategories", c.CSF2_0, false, false),
		fw("NIST SP 800-53r5 controls", c.NIST800_53r5, false, false),
		fw("MITRE ATT&CK for ICS techniques", c.AttackICS, false, false),
	}
	var buf bytes.Buffer
	if err := reportTmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("assess: html report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// inlineSVG strips the XML prolog and doctype Graphviz writes, and refuses
// an SVG that holds anything active (script, foreignObject, on* handlers,
// javascript: links, style attributes the CSP would block).
func inlineSVG(b []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("diagram: svg not well-formed: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n := strings.ToLower(se.Name.Local)
			if n == "script" || n == "foreignobject" || n == "iframe" {
				return "", fmt.Errorf("diagram: svg holds a %s element", n)
			}
			for _, at := range se.Attr {
				k, v := strings.ToLower(at.Name.Local), strings.ToLower(strings.TrimSpace(at.Value))
				if strings.HasPrefix(k, "on") || ((k == "href") && strings.HasPrefix(v, "javascript:")) {
					return "", fmt.Errorf("diagram: svg holds an active attribute %s", k)
				}
			}
		}
	}
	s := string(b)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return s, nil
}
