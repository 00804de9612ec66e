package diagram

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/goccy/go-graphviz"
)

// WriteSVG lays g out with Graphviz (dot) compiled to WebAssembly and
// writes the SVG. Labels reach Graphviz as escaped DOT strings and leave
// it as XML-escaped SVG text.
func WriteSVG(ctx context.Context, w io.Writer, g *Graph) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("diagram: svg: graphviz: %v", r)
		}
	}()
	var dot bytes.Buffer
	if err := WriteDOT(&dot, g); err != nil {
		return err
	}
	gv, err := graphviz.New(ctx)
	if err != nil {
		return fmt.Errorf("diagram: svg: %w", err)
	}
	defer gv.Close()
	parsed, err := graphviz.ParseBytes(dot.Bytes())
	if err != nil {
		return fmt.Errorf("diagram: svg: parse dot: %w", err)
	}
	defer parsed.Close()
	var out bytes.Buffer
	if err := gv.Render(ctx, parsed, graphviz.SVG, &out); err != nil {
		return fmt.Errorf("diagram: svg: render: %w", err)
	}
	_, err = w.Write(out.Bytes())
	return err
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
