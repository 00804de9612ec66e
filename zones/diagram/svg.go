package diagram

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Layout constants (pixels).
const (
	svgFont      = 11.0 // zone text
	svgSmall     = 9.5  // asset lines and conduit labels
	svgLineH     = 14.0
	svgSmallH    = 12.5
	svgPadX      = 12.0
	svgPadY      = 8.0
	svgMinBoxW   = 170.0
	svgHGap      = 70.0 // between boxes in a band (long conduits pass here)
	svgMinGap    = 80.0 // between bands
	svgMargin    = 24.0
	svgZoneRunes = 44 // zone lines longer than this are cut (full text in <title>)
	svgAssetRune = 30
	svgLabelRune = 34
	svgLabelMax  = 4 // protocol lines per conduit label
	svgAssetRows = 15
)

// band is the horizontal band of a zone kind (top to bottom), falling back
// to its Purdue level.
func band(z ZoneNode) int {
	switch z.Kind {
	case "enterprise", "external":
		return 0
	case "dmz":
		return 1
	case "operations":
		return 2
	case "supervisory":
		return 3
	case "control", "safety":
		return 4
	case "field":
		return 5
	}
	switch z.Level {
	case "4", "5":
		return 0
	case "3":
		return 2
	case "2":
		return 3
	case "1":
		return 4
	case "0":
		return 5
	}
	return 6
}

// textWidth estimates the rendered width of s at font size px in a
// Helvetica-like face (no font metrics in process; wide runes count double).
func textWidth(s string, px float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case strings.ContainsRune("il.,:;|!'` ()[]/-", r):
			w += 0.32
		case r >= 'A' && r <= 'Z', r == 'm', r == 'w', r == '@', r == '%':
			w += 0.72
		case r < 0x80:
			w += 0.56
		case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) || unicode.Is(unicode.Hiragana, r) ||
			unicode.Is(unicode.Katakana, r) || (r >= 0xFF00 && r <= 0xFFEF) || r >= 0x1F000:
			w += 1.0
		default:
			w += 0.65
		}
	}
	return w * px
}

// cut shortens s to n runes with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

type svgText struct {
	s    string
	sub  string // drawn after s in grey (the asset type)
	size float64
	bold bool
	x, y float64 // relative to the box's top-left; x is the left edge
}

type svgBox struct {
	z          *ZoneNode
	band, idx  int // band index (compressed) and position in it
	x, y, w, h float64
	texts      []svgText
	sepY       float64 // separator between zone text and assets (0 = none)
}

type svgLabel struct {
	lines     []string
	w, h      float64
	x, y      float64 // centre
	gap       int
	row       int
	edgeIndex int
}

type svgPort struct {
	box    int
	bottom bool
	key    float64 // x of the far side, for ordering
	edge   int
	end    int // 0 = From, 1 = To
	x      float64
}

type svgRoute struct {
	e        *Edge
	a, b     int // box indexes, a in the upper (or same) band
	aIsFrom  bool
	same     bool
	cross    []float64 // x where the conduit passes each band strictly between a and b
	pa, pb   *svgPort
	label    *svgLabel
	labelGap int
}

// WriteSVG lays g out in process and writes a standalone SVG: zones as
// rounded boxes in horizontal bands by kind (enterprise at the top, field
// at the bottom), conduits as curves between them, every label as XML-
// escaped text, a <title> per zone and conduit for hover text, no script,
// no event handler and no external reference. The same graph always gives
// the same bytes.
func WriteSVG(ctx context.Context, w io.Writer, g *Graph) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("diagram: svg: %w", err)
	}
	bw := bufio.NewWriter(w)
	l := layoutSVG(g)
	l.write(bw, g)
	return bw.Flush()
}

type svgLayout struct {
	boxes                  []svgBox
	bands                  [][]int // box indexes per band, left to right
	routes                 []svgRoute
	gapH                   []float64 // gap i is above band i; gap len(bands) is the bottom margin
	rowsH                  [][]float64
	minX, minY, maxX, maxY float64
}

func layoutSVG(g *Graph) *svgLayout {
	l := &svgLayout{}
	// Bands: only the ones in use, in order.
	used := map[int]bool{}
	for _, z := range g.Zones {
		used[band(z)] = true
	}
	bandOf := map[int]int{}
	for b := 0; b <= 6; b++ {
		if used[b] {
			bandOf[b] = len(l.bands)
			l.bands = append(l.bands, nil)
		}
	}
	keyIdx := map[string]int{}
	for i := range g.Zones {
		z := &g.Zones[i]
		b := svgBox{z: z, band: bandOf[band(*z)]}
		b.measure()
		keyIdx[z.Key] = len(l.boxes)
		l.bands[b.band] = append(l.bands[b.band], len(l.boxes))
		l.boxes = append(l.boxes, b)
	}
	// Neighbours, for ordering inside bands (barycentre sweeps).
	nb := make([][]int, len(l.boxes))
	for i := range g.Edges {
		a, ok1 := keyIdx[g.Edges[i].From]
		b, ok2 := keyIdx[g.Edges[i].To]
		if ok1 && ok2 && a != b {
			nb[a] = append(nb[a], b)
			nb[b] = append(nb[b], a)
		}
	}
	l.placeX()
	for sweep := 0; sweep < 4; sweep++ {
		for bi := range l.bands {
			if sweep%2 == 1 {
				bi = len(l.bands) - 1 - bi
			}
			row := l.bands[bi]
			bary := map[int]float64{}
			for _, i := range row {
				sum, n := 0.0, 0
				for _, j := range nb[i] {
					if l.boxes[j].band != bi {
						sum += l.boxes[j].x + l.boxes[j].w/2
						n++
					}
				}
				if n > 0 {
					bary[i] = sum / float64(n)
				} else {
					bary[i] = l.boxes[i].x + l.boxes[i].w/2
				}
			}
			sort.SliceStable(row, func(p, q int) bool { return bary[row[p]] < bary[row[q]] })
			l.placeX()
		}
	}
	// Routes.
	for i := range g.Edges {
		e := &g.Edges[i]
		a, ok1 := keyIdx[e.From]
		b, ok2 := keyIdx[e.To]
		if !ok1 || !ok2 || a == b {
			continue
		}
		r := svgRoute{e: e, a: a, b: b, aIsFrom: true}
		if l.boxes[b].band < l.boxes[a].band {
			r.a, r.b, r.aIsFrom = b, a, false
		}
		ba, bb := l.boxes[r.a].band, l.boxes[r.b].band
		r.same = ba == bb
		if r.same && l.boxes[r.b].x < l.boxes[r.a].x {
			r.a, r.b, r.aIsFrom = r.b, r.a, !r.aIsFrom
		}
		xa, xb := l.boxes[r.a].cx(), l.boxes[r.b].cx()
		for k := ba + 1; k < bb; k++ {
			want := xa + (xb-xa)*float64(k-ba)/float64(bb-ba)
			r.cross = append(r.cross, l.nearestGap(k, want))
		}
		l.routes = append(l.routes, r)
	}
	// Spread conduits that pass through the same gap.
	type gapKey struct {
		band int
		x    float64
	}
	through := map[gapKey][]*float64{}
	var gkeys []gapKey
	for ri := range l.routes {
		r := &l.routes[ri]
		for k := range r.cross {
			gk := gapKey{l.boxes[r.a].band + 1 + k, r.cross[k]}
			if through[gk] == nil {
				gkeys = append(gkeys, gk)
			}
			through[gk] = append(through[gk], &r.cross[k])
		}
	}
	for _, gk := range gkeys {
		ps := through[gk]
		step := (svgHGap - 20) / float64(len(ps))
		if step > 10 {
			step = 10
		}
		for i, p := range ps {
			*p += (float64(i) - float64(len(ps)-1)/2) * step
		}
	}
	// Ports: ends on the same box side are spread along it, ordered by the
	// x of the next point on the way, so that conduits do not cross there.
	var ports []*svgPort
	for ri := range l.routes {
		r := &l.routes[ri]
		nextA, nextB := l.boxes[r.b].cx(), l.boxes[r.a].cx()
		if len(r.cross) > 0 {
			nextA, nextB = r.cross[0], r.cross[len(r.cross)-1]
		}
		r.pa = &svgPort{box: r.a, bottom: !r.same, key: nextA, edge: ri}
		r.pb = &svgPort{box: r.b, bottom: false, key: nextB, edge: ri, end: 1}
		ports = append(ports, r.pa, r.pb)
	}
	sort.SliceStable(ports, func(i, j int) bool {
		p, q := ports[i], ports[j]
		if p.box != q.box {
			return p.box < q.box
		}
		if p.bottom != q.bottom {
			return !p.bottom
		}
		if p.key != q.key {
			return p.key < q.key
		}
		return p.edge < q.edge
	})
	for i := 0; i < len(ports); {
		j := i
		for j < len(ports) && ports[j].box == ports[i].box && ports[j].bottom == ports[i].bottom {
			j++
		}
		bx := l.boxes[ports[i].box]
		n := j - i
		inner := bx.w - 24
		for k := i; k < j; k++ {
			ports[k].x = bx.x + 12 + inner*float64(k-i+1)/float64(n+1)
		}
		i = j
	}
	// Labels: each sits in one gap between bands, the path passes through
	// its centre; labels of a gap are packed into rows so none overlap.
	l.gapH = make([]float64, len(l.bands)+1)
	l.rowsH = make([][]float64, len(l.bands)+1)
	type rowSpan struct{ lo, hi float64 }
	rows := make([][][]rowSpan, len(l.bands)+1)
	var labels []*svgLabel
	for ri := range l.routes {
		r := &l.routes[ri]
		lb := &svgLabel{lines: edgeLines(*r.e), edgeIndex: ri}
		for _, s := range lb.lines {
			if w := textWidth(s, svgSmall); w > lb.w {
				lb.w = w
			}
		}
		lb.w += 10
		lb.h = float64(len(lb.lines))*svgSmallH + 6
		ba, bb := l.boxes[r.a].band, l.boxes[r.b].band
		pts := append([]float64{r.pa.x}, r.cross...)
		pts = append(pts, r.pb.x)
		switch {
		case r.same:
			lb.gap = ba
			lb.x = (r.pa.x + r.pb.x) / 2
		default:
			k := (bb - ba - 1) / 2 // which inter-band gap along the way
			lb.gap = ba + 1 + k
			lb.x = (pts[k] + pts[k+1]) / 2
		}
		r.label, r.labelGap = lb, lb.gap
		labels = append(labels, lb)
	}
	sort.SliceStable(labels, func(i, j int) bool {
		if labels[i].gap != labels[j].gap {
			return labels[i].gap < labels[j].gap
		}
		if labels[i].x != labels[j].x {
			return labels[i].x < labels[j].x
		}
		return labels[i].edgeIndex < labels[j].edgeIndex
	})
	for _, lb := range labels {
		lo, hi := lb.x-lb.w/2-8, lb.x+lb.w/2+8
		placed := false
		for ri, row := range rows[lb.gap] {
			free := true
			for _, s := range row {
				if lo < s.hi && s.lo < hi {
					free = false
					break
				}
			}
			if free {
				rows[lb.gap][ri] = append(rows[lb.gap][ri], rowSpan{lo, hi})
				lb.row = ri
				if lb.h > l.rowsH[lb.gap][ri] {
					l.rowsH[lb.gap][ri] = lb.h
				}
				placed = true
				break
			}
		}
		if !placed {
			lb.row = len(rows[lb.gap])
			rows[lb.gap] = append(rows[lb.gap], []rowSpan{{lo, hi}})
			l.rowsH[lb.gap] = append(l.rowsH[lb.gap], lb.h)
		}
	}
	usedGap := make([]bool, len(l.gapH))
	for _, r := range l.routes {
		lo, hi := l.boxes[r.a].band+1, l.boxes[r.b].band
		if r.same {
			lo = hi
		}
		for gi := lo; gi <= hi; gi++ {
			usedGap[gi] = true
		}
	}
	for gi := range l.gapH {
		h := 0.0
		for _, rh := range l.rowsH[gi] {
			h += rh + 8
		}
		switch {
		case gi == 0:
			l.gapH[gi] = svgMargin + h
			if g.Title != "" {
				l.gapH[gi] += 26
			}
		case gi == len(l.bands):
			l.gapH[gi] = svgMargin
		case !usedGap[gi]:
			l.gapH[gi] = svgMinGap / 2 // no conduit crosses it
		default:
			l.gapH[gi] = max(svgMinGap, h+40)
		}
	}
	// Vertical placement.
	y := 0.0
	bandTop := make([]float64, len(l.bands))
	bandH := make([]float64, len(l.bands))
	for bi, row := range l.bands {
		y += l.gapH[bi]
		bandTop[bi] = y
		for _, i := range row {
			bandH[bi] = max(bandH[bi], l.boxes[i].h)
		}
		for _, i := range row {
			l.boxes[i].y = y
		}
		y += bandH[bi]
	}
	l.maxY = y + l.gapH[len(l.bands)]
	for _, lb := range labels {
		gapTop := 0.0
		if lb.gap > 0 {
			gapTop = bandTop[lb.gap-1] + bandH[lb.gap-1]
		}
		gapBottom := l.maxY
		if lb.gap < len(l.bands) {
			gapBottom = bandTop[lb.gap]
		}
		total := 0.0
		for _, rh := range l.rowsH[lb.gap] {
			total += rh + 8
		}
		start := (gapTop+gapBottom)/2 - total/2
		if lb.gap == 0 {
			start = gapBottom - 20 - total
		}
		for ri := 0; ri < lb.row; ri++ {
			start += l.rowsH[lb.gap][ri] + 8
		}
		lb.y = start + l.rowsH[lb.gap][lb.row]/2 + 4
	}
	// The bounding box.
	l.minX, l.maxX, l.minY = 0, 0, 0
	for _, b := range l.boxes {
		l.maxX = max(l.maxX, b.x+b.w)
	}
	for _, lb := range labels {
		l.minX = min(l.minX, lb.x-lb.w/2)
		l.maxX = max(l.maxX, lb.x+lb.w/2)
		l.minY = min(l.minY, lb.y-lb.h/2-svgMargin)
	}
	l.minX -= svgMargin
	l.maxX += svgMargin
	if g.Title != "" {
		l.maxX = max(l.maxX, l.minX+2*svgMargin+textWidth(cut(g.Title, 120), 14))
	}
	return l
}

func (b *svgBox) cx() float64 { return b.x + b.w/2 }

// placeX puts the boxes of every band side by side, each band centred on
// the widest.
func (l *svgLayout) placeX() {
	widths := make([]float64, len(l.bands))
	widest := 0.0
	for bi, row := range l.bands {
		for k, i := range row {
			if k > 0 {
				widths[bi] += svgHGap
			}
			widths[bi] += l.boxes[i].w
		}
		widest = max(widest, widths[bi])
	}
	for bi, row := range l.bands {
		x := (widest - widths[bi]) / 2
		for k, i := range row {
			l.boxes[i].x, l.boxes[i].idx = x, k
			x += l.boxes[i].w + svgHGap
		}
	}
}

// nearestGap is the x of the free vertical corridor in band bi (left of,
// between or right of its boxes) closest to want.
func (l *svgLayout) nearestGap(bi int, want float64) float64 {
	row := l.bands[bi]
	first := l.boxes[row[0]]
	best := first.x - svgHGap/2
	for _, i := range row {
		c := l.boxes[i].x + l.boxes[i].w + svgHGap/2
		if abs(c-want) < abs(best-want) {
			best = c
		}
	}
	return best
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// measure sets the box's text lines and size.
func (b *svgBox) measure() {
	z := b.z
	y := svgPadY
	w := 0.0
	for i, s := range zoneText(*z) {
		s = cut(s, svgZoneRunes)
		y += svgLineH
		b.texts = append(b.texts, svgText{s: s, size: svgFont, bold: i == 0, y: y - 3.5})
		tw := textWidth(s, svgFont)
		if i == 0 {
			tw *= 1.08 // bold
		}
		w = max(w, tw)
	}
	b.w = max(svgMinBoxW, w+2*svgPadX)
	if len(z.Members) > 0 || z.More > 0 {
		y += 6
		b.sepY = y
		y += 2
		lines := make([]string, 0, len(z.Members)+1)
		subs := make([]string, 0, len(z.Members)+1)
		for _, a := range z.Members {
			lines = append(lines, cut(a.Label, svgAssetRune))
			subs = append(subs, cut(a.Type, 24))
		}
		if z.More > 0 {
			lines = append(lines, fmt.Sprintf("+%d more", z.More))
			subs = append(subs, "")
		}
		cols := (len(lines) + svgAssetRows - 1) / svgAssetRows
		per := (len(lines) + cols - 1) / cols
		colW := make([]float64, cols)
		for i, s := range lines {
			colW[i/per] = max(colW[i/per], textWidth(s+"  "+subs[i], svgSmall))
		}
		x := svgPadX
		for c := 0; c < cols; c++ {
			for r := 0; r < per && c*per+r < len(lines); r++ {
				s := lines[c*per+r]
				b.texts = append(b.texts, svgText{s: s, sub: subs[c*per+r], size: svgSmall, x: x, y: y + float64(r+1)*svgSmallH - 3})
			}
			x += colW[c] + 16
		}
		y += float64(per) * svgSmallH
		b.w = max(b.w, x-16+svgPadX)
	}
	b.h = y + svgPadY
	// Centre the zone lines when there is no asset list.
	for i := range b.texts {
		if b.texts[i].x == 0 {
			b.texts[i].x = -1 // marker: centred
		}
	}
}

// edgeLines wraps a conduit label: protocols over at most svgLabelMax
// lines, then the flags.
func edgeLines(e Edge) []string {
	var lines []string
	cur := ""
	for i, p := range e.Protocols {
		p = cut(p, svgLabelRune)
		if cur != "" && utf8.RuneCountInString(cur)+2+utf8.RuneCountInString(p) > svgLabelRune {
			if len(lines) == svgLabelMax-1 {
				cur += fmt.Sprintf(", +%d more", len(e.Protocols)-i)
				break
			}
			lines = append(lines, cur+",")
			cur = ""
		}
		if cur != "" {
			cur += ", "
		}
		cur += p
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	if len(e.Flags) > 0 {
		lines = append(lines, "["+strings.Join(e.Flags, ", ")+"]")
	}
	if len(lines) == 0 {
		lines = []string{"(no protocol)"}
	}
	return lines
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// esc writes s as XML character data (encoding/xml.EscapeText: < > & ' "
// and line breaks become references, invalid runes U+FFFD).
func esc(w *bufio.Writer, s string) {
	xml.EscapeText(w, []byte(Clean(s)))
}

func (l *svgLayout) write(w *bufio.Writer, g *Graph) {
	width, height := l.maxX-l.minX, l.maxY-l.minY
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="%s %s %s %s" font-family="Helvetica, Arial, sans-serif" role="img">`+"\n",
		f1(width), f1(height), f1(l.minX), f1(l.minY), f1(width), f1(height))
	w.WriteString("<title>")
	esc(w, orDefault(g.Title, "Zones and conduits"))
	w.WriteString("</title>\n")
	fmt.Fprintf(w, `<rect x="%s" y="%s" width="%s" height="%s" fill="#ffffff"/>`+"\n", f1(l.minX), f1(l.minY), f1(width), f1(height))
	if g.Title != "" {
		fmt.Fprintf(w, `<text x="%s" y="%s" font-size="14" font-weight="bold" fill="#111827">`, f1(l.minX+svgMargin), f1(svgMargin+8))
		esc(w, cut(g.Title, 120))
		w.WriteString("</text>\n")
	}
	// Zones.
	for _, b := range l.boxes {
		z := b.z
		pen, pw := SeverityColor(z.Severity), "1.2"
		if z.Severity != "" {
			pw = "3"
		}
		w.WriteString(`<g class="node zone">` + "\n<title>")
		esc(w, strings.Join(zoneText(*z), "\n"))
		for _, a := range z.Members {
			w.WriteString("\n")
			esc(w, a.Label+" ("+a.Type+")")
		}
		if z.More > 0 {
			fmt.Fprintf(w, "\n+%d more", z.More)
		}
		w.WriteString("</title>\n")
		fmt.Fprintf(w, `<rect x="%s" y="%s" width="%s" height="%s" rx="10" ry="10" fill="%s" stroke="%s" stroke-width="%s"/>`+"\n",
			f1(b.x), f1(b.y), f1(b.w), f1(b.h), KindColor(z.Kind), pen, pw)
		if b.sepY > 0 {
			fmt.Fprintf(w, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-opacity="0.35"/>`+"\n", f1(b.x+8), f1(b.y+b.sepY), f1(b.x+b.w-8), f1(b.y+b.sepY), pen)
		}
		for _, t := range b.texts {
			attrs := fmt.Sprintf(`x="%s" y="%s" font-size="%s"`, f1(b.x+t.x), f1(b.y+t.y), f1(t.size))
			if t.x < 0 {
				attrs = fmt.Sprintf(`x="%s" y="%s" font-size="%s" text-anchor="middle"`, f1(b.cx()), f1(b.y+t.y), f1(t.size))
			}
			if t.bold {
				attrs += ` font-weight="bold"`
			}
			fmt.Fprintf(w, `<text %s fill="#111827">`, attrs)
			esc(w, t.s)
			if t.sub != "" {
				w.WriteString(`<tspan dx="6" fill="#6b7280">`)
				esc(w, t.sub)
				w.WriteString("</tspan>")
			}
			w.WriteString("</text>\n")
		}
		w.WriteString("</g>\n")
	}
	// Conduits, then their labels on top.
	for ri := range l.routes {
		r := &l.routes[ri]
		l.writeEdge(w, r)
	}
	w.WriteString("</svg>\n")
}

func (l *svgLayout) writeEdge(w *bufio.Writer, r *svgRoute) {
	e := r.e
	col := SeverityColor(e.Severity)
	sw := "1.3"
	if e.Severity != "" {
		sw = "2.2"
	}
	dash := ""
	if !e.Encrypted {
		dash = ` stroke-dasharray="6 4"`
	}
	A, B := &l.boxes[r.a], &l.boxes[r.b]
	lb := r.label
	var d strings.Builder
	ax, ay := r.pa.x, A.y+A.h
	bx, by := r.pb.x, B.y
	if r.same {
		ay = A.y
		// Up from A's top, across at the label, down into B's top.
		fmt.Fprintf(&d, "M%s,%s C%s,%s %s,%s %s,%s C%s,%s %s,%s %s,%s",
			f1(ax), f1(ay), f1(ax), f1(lb.y), f1((ax+lb.x)/2), f1(lb.y), f1(lb.x), f1(lb.y),
			f1((lb.x+bx)/2), f1(lb.y), f1(bx), f1(lb.y), f1(bx), f1(by))
	} else {
		// Waypoints: A's port, the corridors through intermediate bands
		// (top and bottom of each), B's port; the label centre is added in
		// its gap. Every segment leaves and arrives vertically.
		type pt struct{ x, y float64 }
		pts := []pt{{ax, ay}}
		for k, cx := range r.cross {
			bi := A.band + 1 + k
			top, bot := l.bandSpan(bi)
			if A.band+1+k == r.labelGap {
				pts = append(pts, pt{lb.x, lb.y})
			}
			pts = append(pts, pt{cx, top}, pt{cx, bot})
		}
		if r.labelGap == B.band {
			pts = append(pts, pt{lb.x, lb.y})
		}
		pts = append(pts, pt{bx, by})
		fmt.Fprintf(&d, "M%s,%s", f1(pts[0].x), f1(pts[0].y))
		for i := 1; i < len(pts); i++ {
			p, q := pts[i-1], pts[i]
			if p.x == q.x {
				fmt.Fprintf(&d, " L%s,%s", f1(q.x), f1(q.y))
				continue
			}
			my := (q.y - p.y) / 2
			fmt.Fprintf(&d, " C%s,%s %s,%s %s,%s", f1(p.x), f1(p.y+my), f1(q.x), f1(q.y-my), f1(q.x), f1(q.y))
		}
	}
	w.WriteString(`<g class="edge conduit">` + "\n<title>")
	esc(w, e.ID+": "+e.Label())
	if e.Severity != "" {
		esc(w, " (worst finding: "+e.Severity+")")
	}
	w.WriteString("</title>\n")
	fmt.Fprintf(w, `<path d="%s" fill="none" stroke="%s" stroke-width="%s"%s/>`+"\n", d.String(), col, sw, dash)
	// Arrowheads at the initiated-to end(s), pointing into the box.
	arrowA, arrowB := e.ArrowFrom, e.ArrowTo
	if !r.aIsFrom {
		arrowA, arrowB = e.ArrowTo, e.ArrowFrom
	}
	if arrowA {
		dir := 1.0 // A's port is on its bottom: the arrow points up into A
		if r.same {
			dir = -1
		}
		arrow(w, ax, ay, dir, col)
	}
	if arrowB {
		arrow(w, bx, by, -1, col)
	}
	// Label.
	fmt.Fprintf(w, `<rect x="%s" y="%s" width="%s" height="%s" rx="3" fill="#ffffff" fill-opacity="0.92" stroke="%s" stroke-width="0.6"/>`+"\n",
		f1(lb.x-lb.w/2), f1(lb.y-lb.h/2), f1(lb.w), f1(lb.h), col)
	for i, s := range lb.lines {
		fmt.Fprintf(w, `<text x="%s" y="%s" font-size="%s" text-anchor="middle" fill="#1f2937">`, f1(lb.x), f1(lb.y-lb.h/2+3+float64(i+1)*svgSmallH-3), f1(svgSmall))
		esc(w, s)
		w.WriteString("</text>\n")
	}
	w.WriteString("</g>\n")
}

// arrow draws a head with its tip at (x, y); dir -1 points down, 1 up.
func arrow(w *bufio.Writer, x, y, dir float64, col string) {
	fmt.Fprintf(w, `<path d="M%s,%s L%s,%s L%s,%s Z" fill="%s"/>`+"\n",
		f1(x), f1(y), f1(x-4.5), f1(y+dir*9), f1(x+4.5), f1(y+dir*9), col)
}

// bandSpan is the top and bottom y of band bi.
func (l *svgLayout) bandSpan(bi int) (top, bottom float64) {
	top = l.boxes[l.bands[bi][0]].y
	bottom = top
	for _, i := range l.bands[bi] {
		bottom = max(bottom, l.boxes[i].y+l.boxes[i].h)
	}
	return top, bottom
}

// Write renders the model in format (svg, dot, mermaid, drawio).
func Write(ctx context.Context, w io.Writer, format string, g *Graph) error {
	switch format {
	case "svg":
		return WriteSVG(ctx, w, g)
	case "dot":
		return WriteDOT(w, g)
	case "mermaid":
		return WriteMermaid(w, g)
	case "drawio":
		return WriteDrawIO(w, g)
	}
	return fmt.Errorf("diagram: unknown format %q: want svg, dot, mermaid or drawio", format)
}
