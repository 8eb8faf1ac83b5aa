// Package scenes reads Thingyard's scene files, holds the built-in scenes,
// and turns a scenario (a scene and the actions taken in it) into a share
// link and back.
//
// A scene is a YAML file whose fields are those of sim.Spec plus a few of
// its own (seed, seconds, try). Every problem in a file is reported with its
// file:line:col, the field, and what would be valid.
package scenes

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/thingyard/thingyard/sim"
)

// Scene is a scene file: a world, the lesson it teaches and how to run it.
type Scene struct {
	sim.Spec `yaml:",inline"`
	// Seed drives the world's randomness (default 1).
	Seed uint64 `json:"seed,omitempty" yaml:"seed,omitempty"`
	// Seconds is how long the scene's story runs (default 60).
	Seconds int `json:"seconds,omitempty" yaml:"seconds,omitempty"`
	// Try lists what a person should try, one sentence each.
	Try []string `json:"try,omitempty" yaml:"try,omitempty"`
}

// MaxFileSize is the largest scene file Parse reads.
const MaxFileSize = 1 << 20

// ErrTooLarge is returned for a scene file over MaxFileSize.
var ErrTooLarge = errors.New("scenes: file too large")

// Error is one problem in a scene file.
type Error struct {
	File      string
	Line, Col int // 1-based; 0 when unknown
	Field     string
	Msg       string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, in order of position.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Parse reads a scene file. name is used in error messages (a file name).
// All problems are reported at once, as Errors.
func Parse(name string, data []byte) (*Scene, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, at most %d", ErrTooLarge, name, len(data), MaxFileSize)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{yamlError(name, err)}
	}
	if len(root.Content) == 0 {
		return nil, Errors{{File: name, Line: 1, Col: 1, Msg: "the file is empty: a scene needs at least devices"}}
	}
	doc := root.Content[0]
	var es Errors
	checkFields(name, doc, reflect.TypeOf(Scene{}), nil, &es)
	var sc Scene
	if err := doc.Decode(&sc); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				es = append(es, typeError(name, m))
			}
		} else {
			es = append(es, yamlError(name, err))
		}
	}
	if len(es) == 0 {
		if err := sc.Validate(); err != nil {
			es = append(es, locate(name, doc, err)...)
		}
	}
	if len(es) > 0 {
		sort.SliceStable(es, func(i, j int) bool {
			if es[i].Line != es[j].Line {
				return es[i].Line < es[j].Line
			}
			return es[i].Col < es[j].Col
		})
		return nil, es
	}
	if sc.Seed == 0 {
		sc.Seed = 1
	}
	if sc.Seconds == 0 {
		sc.Seconds = 60
	}
	return &sc, nil
}

// Validate checks the scene's own fields and its world.
func (sc *Scene) Validate() error {
	var es sim.Errors
	if sc.Seconds < 0 || sc.Seconds > 3600 {
		es = append(es, &sim.FieldError{Path: "seconds", Msg: fmt.Sprintf("%d is out of range (0..3600)", sc.Seconds)})
	}
	if err := sc.Spec.Validate(); err != nil {
		var se sim.Errors
		if errors.As(err, &se) {
			es = append(es, se...)
		} else {
			es = append(es, &sim.FieldError{Msg: err.Error()})
		}
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func yamlError(name string, err error) *Error {
	return typeError(name, err.Error())
}

func typeError(name, msg string) *Error {
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Msg: friendlier(m[2])}
	}
	return &Error{File: name, Msg: friendlier(strings.TrimPrefix(msg, "yaml: "))}
}

// friendlier rewrites the YAML library's Go type names into the words a
// scene author uses.
func friendlier(msg string) string {
	r := strings.NewReplacer("!!str", "text", "!!int", "a number", "!!float", "a number", "!!bool", "true/false",
		"!!seq", "a list", "!!map", "a mapping", "into int32", "into a whole number", "into int", "into a whole number",
		"into uint64", "into a whole number", "into float64", "into a number", "into bool", "into true/false",
		"into string", "into text", "into []string", "into a list of text")
	return r.Replace(msg)
}

// checkFields reports every mapping key that the Go type does not have, at
// its position, with the keys that would be valid. The path to a key is
// spelled out only for a key it reports: a scene of thousands of nodes is
// checked without formatting a path for each.
func checkFields(file string, n *yaml.Node, t reflect.Type, path *fieldPath, es *Errors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				*es = append(*es, &Error{File: file, Line: k.Line, Col: k.Column, Field: path.key(k.Value).String(),
					Msg: fmt.Sprintf("unknown field %q (valid: %s)", k.Value, strings.Join(sortedKeys(fields), ", "))})
				continue
			}
			checkFields(file, v, ft, path.key(k.Value), es)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			checkFields(file, c, t.Elem(), path.index(i), es)
		}
	}
}

// fieldPath is where a node is in a scene, as "links[2].members": a key
// or an index under its parent (nil at the top).
type fieldPath struct {
	parent *fieldPath
	name   string // a mapping's key, or "" under a sequence
	i      int    // the index under a sequence
}

func (p *fieldPath) key(name string) *fieldPath { return &fieldPath{parent: p, name: name} }
func (p *fieldPath) index(i int) *fieldPath     { return &fieldPath{parent: p, i: i} }

func (p *fieldPath) String() string {
	if p == nil {
		return ""
	}
	up := p.parent.String()
	switch {
	case p.name == "":
		return up + "[" + strconv.Itoa(p.i) + "]"
	case up == "":
		return p.name
	}
	return up + "." + p.name
}

// fieldsOf caches yamlFields by type.
var fieldsOf sync.Map // reflect.Type -> map[string]reflect.Type

// yamlFields maps the YAML keys of a struct (inline fields included) to
// their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldsOf.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	fieldsOf.Store(t, out)
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var pathPart = regexp.MustCompile(`([A-Za-z_]+)|\[(\d+)\]`)

// locate turns the world's field errors (paths like devices[2].kind) into
// errors at the position of that field in the file.
func locate(file string, doc *yaml.Node, err error) Errors {
	var se sim.Errors
	if !errors.As(err, &se) {
		return Errors{{File: file, Msg: err.Error()}}
	}
	out := make(Errors, 0, len(se))
	for _, fe := range se {
		e := &Error{File: file, Field: fe.Path, Msg: fe.Msg}
		if n := find(doc, fe.Path); n != nil {
			e.Line, e.Col = n.Line, n.Column
		}
		out = append(out, e)
	}
	return out
}

// find walks a path such as devices[2].kind through the YAML tree and
// returns the deepest node it reaches.
func find(n *yaml.Node, path string) *yaml.Node {
	cur := n
	for _, m := range pathPart.FindAllStringSubmatch(path, -1) {
		switch {
		case m[1] != "" && cur.Kind == yaml.MappingNode:
			next := (*yaml.Node)(nil)
			for i := 0; i+1 < len(cur.Content); i += 2 {
				if cur.Content[i].Value == m[1] {
					next = cur.Content[i+1]
					break
				}
			}
			if next == nil {
				return cur
			}
			cur = next
		case m[2] != "" && cur.Kind == yaml.SequenceNode:
			i, _ := strconv.Atoi(m[2])
			if i >= len(cur.Content) {
				return cur
			}
			cur = cur.Content[i]
		default:
			return cur
		}
	}
	return cur
}

// Marshal writes a scene as YAML, for the scene editor and folded logs.
func Marshal(sc *Scene) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(sc); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}
