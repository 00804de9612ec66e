package rules

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// CheckSchema checks a decoded YAML or JSON document (maps, slices,
// strings, numbers, booleans) against the subset of JSON Schema that otzone's
// own schemas use: type, properties, additionalProperties (false or a
// schema), patternProperties, required, items, enum, oneOf, $ref to
// #/$defs/NAME, minimum/maximum, minItems/maxItems, minProperties/
// maxProperties and pattern. It exists so that tests can prove the shipped
// schemas accept the shipped files; it is not a general validator.
func CheckSchema(schema []byte, doc any) ([]string, error) {
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	c := &schemaChecker{root: root}
	c.check(root, normalize(doc), "$")
	return c.errs, nil
}

type schemaChecker struct {
	root map[string]any
	errs []string
}

func (c *schemaChecker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, path+": "+fmt.Sprintf(format, args...))
}

// normalize turns YAML's map[string]any / []any / int into JSON-like values.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			out[k] = normalize(x)
		}
		return out
	case map[any]any:
		out := map[string]any{}
		for k, x := range t {
			out[fmt.Sprint(k)] = normalize(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = normalize(x)
		}
		return out
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return v
}

func (c *schemaChecker) resolve(s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		defs, _ := c.root["$defs"].(map[string]any)
		d, found := defs[name].(map[string]any)
		if !ok || !found {
			c.fail("$ref", "unresolvable %q", ref)
			return map[string]any{}
		}
		s = d
	}
}

func (c *schemaChecker) check(s map[string]any, v any, path string) {
	s = c.resolve(s)
	if alts, ok := s["oneOf"].([]any); ok {
		n := 0
		for _, a := range alts {
			sub := &schemaChecker{root: c.root}
			sub.check(a.(map[string]any), v, path)
			if len(sub.errs) == 0 {
				n++
			}
		}
		if n != 1 {
			c.fail(path, "matches %d of the oneOf alternatives, want exactly 1", n)
		}
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			c.fail(path, "%v is not one of %v", v, enum)
		}
	}
	if t, ok := s["type"].(string); ok && !typeOK(t, v) {
		c.fail(path, "want %s, got %T", t, v)
		return
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		pats, _ := s["patternProperties"].(map[string]any)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				c.check(ps, x[k], path+"."+k)
				continue
			}
			matched := false
			for p, ps := range pats {
				if regexp.MustCompile(p).MatchString(k) {
					matched = true
					c.check(ps.(map[string]any), x[k], path+"."+k)
				}
			}
			if matched {
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					c.fail(path, "unknown property %q", k)
				}
			case map[string]any:
				c.check(ap, x[k], path+"."+k)
			}
		}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := x[r.(string)]; !ok {
					c.fail(path, "missing required %q", r)
				}
			}
		}
		if n, ok := s["minProperties"].(float64); ok && float64(len(x)) < n {
			c.fail(path, "fewer than %v properties", n)
		}
		if n, ok := s["maxProperties"].(float64); ok && float64(len(x)) > n {
			c.fail(path, "more than %v properties", n)
		}
	case []any:
		if n, ok := s["minItems"].(float64); ok && float64(len(x)) < n {
			c.fail(path, "fewer than %v items", n)
		}
		if n, ok := s["maxItems"].(float64); ok && float64(len(x)) > n {
			c.fail(path, "more than %v items", n)
		}
		if it, ok := s["items"].(map[string]any); ok {
			for i, e := range x {
				c.check(it, e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case float64:
		if n, ok := s["minimum"].(float64); ok && x < n {
			c.fail(path, "%v below minimum %v", x, n)
		}
		if n, ok := s["maximum"].(float64); ok && x > n {
			c.fail(path, "%v above maximum %v", x, n)
		}
		if n, ok := s["exclusiveMinimum"].(float64); ok && x <= n {
			c.fail(path, "%v not above %v", x, n)
		}
	case string:
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			c.fail(path, "%q does not match %s", x, p)
		}
	}
}

func typeOK(t string, v any) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	return true
}
