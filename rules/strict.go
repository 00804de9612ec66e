package rules

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// PosError is an error at a line and column of an input file; Error() is
// "FILE:LINE:COL: message", the form editors and compilers use.
type PosError struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *PosError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg)
	}
	return e.Msg
}

// Errorf builds a PosError at node n.
func Errorf(n *yaml.Node, format string, args ...any) *PosError {
	e := &PosError{Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// ErrorList is several positioned errors; Error() joins them one per line.
type ErrorList []*PosError

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// SetFile names the file on every error that has none.
func (l ErrorList) SetFile(name string) {
	for _, e := range l {
		if e.File == "" {
			e.File = name
		}
	}
}

// Err returns nil for an empty list, the list otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// AsErrorList turns any error into positioned errors: a PosError or
// ErrorList as is, a yaml.v3 syntax error ("yaml: line 3: ...") with its
// line, anything else without a position.
func AsErrorList(err error) ErrorList {
	if err == nil {
		return nil
	}
	var l ErrorList
	if errors.As(err, &l) {
		return l
	}
	var p *PosError
	if errors.As(err, &p) {
		return ErrorList{p}
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if num, tail, ok := strings.Cut(rest, ":"); ok {
			if n, e := strconv.Atoi(num); e == nil {
				return ErrorList{{Line: n, Column: 1, Msg: strings.TrimSpace(tail)}}
			}
		}
	}
	return ErrorList{{Msg: strings.TrimPrefix(msg, "yaml: ")}}
}

// yamlUnmarshaler is yaml.v3's node unmarshaler interface.
type yamlUnmarshaler interface {
	UnmarshalYAML(*yaml.Node) error
}

// DecodeStrict decodes node n into out (a pointer) like yaml.v3's Decode
// with KnownFields, but reports every unknown or duplicate key and every
// type mismatch with its line and column, and accepts a single scalar where
// a list of scalars is wanted ("protocol: modbus" for [modbus]).
//
// Supported targets: structs (by `yaml` tag; "-" is skipped), pointers,
// slices, map[string]T, string, bool, ints, floats, yaml.Node, and any type
// with UnmarshalYAML(*yaml.Node) error.
func DecodeStrict(n *yaml.Node, out any) ErrorList {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return ErrorList{{Msg: "decode: want a non-nil pointer"}}
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	st := &decState{}
	decodeValue(n, v.Elem(), "", st)
	return st.errs
}

// maxDecodeNodes bounds the nodes one document may expand to: YAML aliases
// can make a small file expand exponentially ("billion laughs").
const maxDecodeNodes = 200_000

type decState struct {
	errs  ErrorList
	nodes int
	over  bool
}

var nodeType = reflect.TypeOf(yaml.Node{})

func decodeValue(n *yaml.Node, v reflect.Value, path string, st *decState) {
	errs := &st.errs
	st.nodes++
	if st.nodes > maxDecodeNodes {
		if !st.over {
			st.over = true
			*errs = append(*errs, Errorf(n, "document too large: more than %d values after expanding aliases", maxDecodeNodes))
		}
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*n))
		return
	}
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(yamlUnmarshaler); ok {
			if err := u.UnmarshalYAML(n); err != nil {
				msg := err.Error()
				// Strip yaml.v3 style "line N: " prefixes: the position is ours.
				if strings.HasPrefix(msg, "line ") {
					if _, rest, ok := strings.Cut(msg, ": "); ok {
						msg = rest
					}
				}
				var pe *PosError
				if errors.As(err, &pe) && pe.Line > 0 {
					*errs = append(*errs, &PosError{Line: pe.Line, Column: pe.Column, Msg: withPath(path, pe.Msg)})
				} else {
					*errs = append(*errs, Errorf(n, "%s", withPath(path, msg)))
				}
			}
			return
		}
	}
	isNull := n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	switch v.Kind() {
	case reflect.Pointer:
		if isNull {
			return
		}
		nv := reflect.New(v.Type().Elem())
		decodeValue(n, nv.Elem(), path, st)
		v.Set(nv)
	case reflect.Struct:
		if isNull {
			return
		}
		if n.Kind != yaml.MappingNode {
			*errs = append(*errs, Errorf(n, "%s: want a mapping, got %s", pathOr(path, "value"), describe(n)))
			return
		}
		fields := structFields(v.Type())
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			name := k.Value
			idx, ok := fields[name]
			if !ok {
				*errs = append(*errs, Errorf(k, "unknown field %q%s (known: %s)", name, inPath(path), strings.Join(sortedKeys(fields), ", ")))
				continue
			}
			if seen[name] {
				*errs = append(*errs, Errorf(k, "field %q given twice%s", name, inPath(path)))
				continue
			}
			seen[name] = true
			decodeValue(val, v.FieldByIndex(idx), joinPath(path, name), st)
		}
	case reflect.Slice:
		if isNull {
			return
		}
		elem := v.Type().Elem()
		if n.Kind != yaml.SequenceNode {
			// One scalar where a list of scalars is wanted.
			if n.Kind == yaml.ScalarNode && isScalarKind(elem) {
				ev := reflect.New(elem).Elem()
				decodeValue(n, ev, path, st)
				v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), ev))
				return
			}
			*errs = append(*errs, Errorf(n, "%s: want a list, got %s", pathOr(path, "value"), describe(n)))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			decodeValue(c, s.Index(i), path+"["+strconv.Itoa(i)+"]", st)
		}
		v.Set(s)
	case reflect.Map:
		if isNull {
			return
		}
		if n.Kind != yaml.MappingNode {
			*errs = append(*errs, Errorf(n, "%s: want a mapping, got %s", pathOr(path, "value"), describe(n)))
			return
		}
		if v.Type().Key().Kind() != reflect.String {
			*errs = append(*errs, Errorf(n, "%s: unsupported map key type", pathOr(path, "value")))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kv := reflect.ValueOf(k.Value).Convert(v.Type().Key())
			if m.MapIndex(kv).IsValid() {
				*errs = append(*errs, Errorf(k, "key %q given twice%s", k.Value, inPath(path)))
				continue
			}
			ev := reflect.New(v.Type().Elem()).Elem()
			decodeValue(val, ev, joinPath(path, k.Value), st)
			m.SetMapIndex(kv, ev)
		}
		v.Set(m)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || isNull {
			*errs = append(*errs, Errorf(n, "%s: want a string, got %s", pathOr(path, "value"), describe(n)))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			*errs = append(*errs, Errorf(n, "%s: want true or false, got %s", pathOr(path, "value"), describe(n)))
			return
		}
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			*errs = append(*errs, Errorf(n, "%s: want an integer, got %s", pathOr(path, "value"), describe(n)))
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, v.Type().Bits())
		if err != nil {
			*errs = append(*errs, Errorf(n, "%s: integer %q out of range", pathOr(path, "value"), n.Value))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			*errs = append(*errs, Errorf(n, "%s: want a non-negative integer, got %s", pathOr(path, "value"), describe(n)))
			return
		}
		u, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, v.Type().Bits())
		if err != nil {
			*errs = append(*errs, Errorf(n, "%s: want a non-negative integer, got %q", pathOr(path, "value"), n.Value))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
			*errs = append(*errs, Errorf(n, "%s: want a number, got %s", pathOr(path, "value"), describe(n)))
			return
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			*errs = append(*errs, Errorf(n, "%s: bad number %q", pathOr(path, "value"), n.Value))
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			*errs = append(*errs, Errorf(n, "%s: %v", pathOr(path, "value"), err))
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		*errs = append(*errs, Errorf(n, "%s: unsupported type %s", pathOr(path, "value"), v.Type()))
	}
}

func isScalarKind(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// structFields maps yaml names to field index paths (exported fields only).
func structFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, ok := YAMLName(f)
		if !ok {
			continue
		}
		out[name] = f.Index
	}
	return out
}

// YAMLName is the key a struct field is read from ("" and false when the
// field is skipped with `yaml:"-"`). Exported for the schema drift tests.
func YAMLName(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return "", false
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, true
}

func sortedKeys(m map[string][]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return strconv.Quote(v)
	}
	return "unexpected node"
}

func joinPath(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

func pathOr(p, def string) string {
	if p == "" {
		return def
	}
	return p
}

func inPath(p string) string {
	if p == "" {
		return ""
	}
	return " in " + p
}

func withPath(p, msg string) string {
	if p == "" {
		return msg
	}
	return p + ": " + msg
}
