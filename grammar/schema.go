package grammar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Limits that keep hostile schemas from costing unbounded time or memory.
const (
	maxSchemaDepth  = 128
	maxCompileDepth = 1000
	maxNodes        = 1 << 16
	maxProperties   = 256
)

// jv is a parsed JSON value that keeps object keys in document order (the
// order properties are emitted in).
type jv struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	keys []string
	vals []*jv
	str  string // string, or a number's text
	b    bool
	idx  map[string]int // keys of large objects ($defs), for lookups
}

func (v *jv) get(k string) *jv {
	if v.idx != nil {
		if i, ok := v.idx[k]; ok {
			return v.vals[i]
		}
		return nil
	}
	for i, key := range v.keys {
		if key == k {
			return v.vals[i]
		}
	}
	return nil
}

func parseJSON(data []byte) (*jv, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the schema")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, depth int) (*jv, error) {
	if depth > maxSchemaDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxSchemaDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jv{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				if v.get(k) != nil {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				if len(v.keys) == 16 {
					v.idx = make(map[string]int)
					for i, k := range v.keys {
						v.idx[k] = i
					}
				}
				if v.idx != nil {
					v.idx[k] = len(v.keys)
				}
				val, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k)
				v.vals = append(v.vals, val)
			}
			_, err := dec.Token()
			return v, err
		case '[':
			v := &jv{kind: 'a'}
			for dec.More() {
				val, err := parseValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.vals = append(v.vals, val)
			}
			_, err := dec.Token()
			return v, err
		}
	case string:
		return &jv{kind: 's', str: t}, nil
	case json.Number:
		return &jv{kind: 'n', str: string(t)}, nil
	case bool:
		return &jv{kind: 'b', b: t}, nil
	case nil:
		return &jv{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// encode writes v compactly, strings without HTML escaping: the one
// spelling of an enum or const value the grammar allows.
func (v *jv) encode(w *bytes.Buffer) {
	switch v.kind {
	case 'o':
		w.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(quote(k))
			w.WriteByte(':')
			v.vals[i].encode(w)
		}
		w.WriteByte('}')
	case 'a':
		w.WriteByte('[')
		for i, e := range v.vals {
			if i > 0 {
				w.WriteByte(',')
			}
			e.encode(w)
		}
		w.WriteByte(']')
	case 's':
		w.WriteString(quote(v.str))
	case 'n':
		w.WriteString(v.str)
	case 'b':
		w.WriteString(strconv.FormatBool(v.b))
	case 'z':
		w.WriteString("null")
	}
}

func quote(s string) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// Keywords by the type they constrain; annotations are ignored.
var (
	objectWords = []string{"properties", "required", "additionalProperties"}
	arrayWords  = []string{"items", "minItems", "maxItems", "uniqueItems"}
	stringWords = []string{"minLength", "maxLength"}
	numberWords = []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
	annotations = []string{"title", "description", "default", "examples", "$comment",
		"$schema", "deprecated", "readOnly", "writeOnly", "$defs", "definitions"}
	typeNames = []string{"object", "array", "string", "number", "integer", "boolean", "null"}
)

type compiler struct {
	g     *Grammar
	root  *jv
	memo  map[*jv]int32
	any   int32
	depth int // of compile calls, bounded so hostile $ref chains stay cheap
}

// CompileSchema compiles a JSON Schema (draft 2020-12 spelling; a subset)
// into a Grammar. Supported: type (one or a list), object (properties,
// required, additionalProperties), array (items, minItems, maxItems),
// string (minLength, maxLength), number and integer (minimum, maximum,
// exclusiveMinimum, exclusiveMaximum), boolean, null, enum, const, anyOf,
// oneOf, a one-element allOf, and $ref to local pointers such as
// "#/$defs/name", recursion included. Alternatives of anyOf and oneOf must
// be told apart by their first byte (a string and an object, not two
// objects); then every document matches exactly one, so oneOf is anyOf.
//
// Any other keyword is refused with a *SchemaError wrapping ErrUnsupported
// that names it and its JSON pointer; malformed or unsatisfiable schemas
// give ErrInvalidSchema.
func CompileSchema(schema []byte) (*Grammar, error) {
	root, err := parseJSON(schema)
	if err != nil {
		return nil, invalid("", "JSON", err.Error())
	}
	c := &compiler{g: &Grammar{}, root: root, memo: map[*jv]int32{}, any: -1}
	c.g.root = c.add(node{kind: kRoot, done: true})
	if root.kind == 'o' {
		if id := root.get("$id"); id != nil && id.kind != 's' {
			return nil, invalid("/$id", "$id", "must be a string")
		}
	}
	child, err := c.compile(root, "")
	if err != nil {
		return nil, err
	}
	c.g.nodes[c.g.root].child = child
	if err := c.prune(); err != nil {
		return nil, err
	}
	for i := range c.g.nodes {
		if _, err := c.firstSet(int32(i)); err != nil {
			return nil, err
		}
	}
	return c.g, nil
}

func (c *compiler) add(n node) int32 {
	c.g.nodes = append(c.g.nodes, n)
	return int32(len(c.g.nodes) - 1)
}

func (c *compiler) compile(s *jv, ptr string) (int32, error) {
	if len(c.g.nodes) > maxNodes {
		return 0, unsupported(ptr, "size", fmt.Sprintf("more than %d automaton nodes", maxNodes))
	}
	switch s.kind {
	case 'b':
		if s.b {
			return c.anyValue(), nil
		}
		return 0, invalid(ptr, "false", "no value satisfies the false schema")
	case 'o':
	default:
		return 0, invalid(ptr, "schema", "must be an object or a boolean")
	}
	if id, ok := c.memo[s]; ok {
		return id, nil
	}
	if c.depth >= maxCompileDepth {
		return 0, unsupported(ptr, "$ref", fmt.Sprintf("subschemas nested or chained through $ref more than %d deep", maxCompileDepth))
	}
	c.depth++
	defer func() { c.depth-- }()
	// Reserve the node first so $ref cycles resolve to it.
	id := c.add(node{kind: kUnion, ptr: ptr})
	c.memo[s] = id
	n, err := c.build(s, ptr)
	if err != nil {
		return 0, err
	}
	if n.ptr == "" { // anyOf and oneOf point at their keyword
		n.ptr = ptr
	}
	n.done = true
	c.g.nodes[id] = n
	return id, nil
}

func has(s *jv, words []string) string {
	for _, w := range words {
		if s.get(w) != nil {
			return w
		}
	}
	return ""
}

func (c *compiler) build(s *jv, ptr string) (node, error) {
	known := slices.Concat(objectWords, arrayWords, stringWords, numberWords, annotations,
		[]string{"type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref"})
	for _, k := range s.keys {
		if k == "$id" && s == c.root {
			continue
		}
		if !slices.Contains(known, k) {
			return node{}, unsupported(ptr, k, "")
		}
	}
	constraints := slices.Concat(objectWords, arrayWords, stringWords, numberWords)
	for _, k := range []string{"$ref", "anyOf", "oneOf", "allOf"} {
		v := s.get(k)
		if v == nil {
			continue
		}
		for _, other := range append(constraints, "type", "enum", "const", "$ref", "anyOf", "oneOf", "allOf") {
			if other != k && s.get(other) != nil {
				return node{}, unsupported(ptr, k, fmt.Sprintf("alongside %q", other))
			}
		}
		p := ptr + "/" + escape(k)
		switch k {
		case "$ref":
			if v.kind != 's' {
				return node{}, invalid(p, k, "must be a string")
			}
			target, err := c.resolve(v.str, p)
			if err != nil {
				return node{}, err
			}
			t, err := c.compile(target, refPtr(v.str))
			if err != nil {
				return node{}, err
			}
			return node{kind: kUnion, alts: []int32{t}}, nil
		case "allOf":
			if v.kind != 'a' || len(v.vals) != 1 {
				return node{}, unsupported(p, k, "only a one-element allOf")
			}
			t, err := c.compile(v.vals[0], p+"/0")
			if err != nil {
				return node{}, err
			}
			return node{kind: kUnion, alts: []int32{t}}, nil
		default:
			if v.kind != 'a' || len(v.vals) == 0 {
				return node{}, invalid(p, k, "must be a non-empty array")
			}
			var alts []int32
			for i, a := range v.vals {
				t, err := c.compile(a, fmt.Sprintf("%s/%d", p, i))
				if err != nil {
					return node{}, err
				}
				alts = append(alts, t)
			}
			n, err := c.union(alts, k == "oneOf", p)
			n.ptr = p
			return n, err
		}
	}

	types, err := typesOf(s, ptr)
	if err != nil {
		return node{}, err
	}
	if e, cv := s.get("enum"), s.get("const"); e != nil || cv != nil {
		if w := has(s, constraints); w != "" {
			return node{}, unsupported(ptr, "enum", fmt.Sprintf("alongside %q", w))
		}
		var vals []*jv
		if cv != nil {
			if e != nil {
				return node{}, unsupported(ptr, "enum", `alongside "const"`)
			}
			vals = []*jv{cv}
		} else if e.kind != 'a' || len(e.vals) == 0 {
			return node{}, invalid(ptr+"/enum", "enum", "must be a non-empty array")
		} else {
			vals = e.vals
		}
		var lits []string
		for _, v := range vals {
			if types == nil || slices.Contains(types, kindType(v)) ||
				kindType(v) == "integer" && slices.Contains(types, "number") {
				var b bytes.Buffer
				v.encode(&b)
				lits = append(lits, b.String())
			}
		}
		if len(lits) == 0 {
			return node{}, invalid(ptr, "enum", "no value has the schema's type")
		}
		return literal(lits, nil), nil
	}
	if types == nil {
		// Infer the type from the keywords present; none means any value.
		for _, t := range []struct {
			name  string
			words []string
		}{{"object", objectWords}, {"array", arrayWords}, {"string", stringWords}, {"number", numberWords}} {
			if has(s, t.words) != "" {
				types = append(types, t.name)
			}
		}
		if types == nil {
			return node{kind: kUnion, alts: []int32{c.anyValue()}}, nil
		}
	}
	var alts []int32
	for _, t := range types {
		n, err := c.typed(s, ptr, t)
		if err != nil {
			return node{}, err
		}
		alts = append(alts, c.add(n))
	}
	return c.union(alts, false, ptr)
}

func kindType(v *jv) string {
	switch v.kind {
	case 'o':
		return "object"
	case 'a':
		return "array"
	case 's':
		return "string"
	case 'n':
		if f, err := strconv.ParseFloat(v.str, 64); err == nil && f == math.Trunc(f) {
			return "integer"
		}
		return "number"
	case 'b':
		return "boolean"
	}
	return "null"
}

func typesOf(s *jv, ptr string) ([]string, error) {
	t := s.get("type")
	if t == nil {
		return nil, nil
	}
	var names []*jv
	switch t.kind {
	case 's':
		names = []*jv{t}
	case 'a':
		names = t.vals
	}
	if len(names) == 0 {
		return nil, invalid(ptr+"/type", "type", "must be a type name or a non-empty array of them")
	}
	var out []string
	for _, n := range names {
		if n.kind != 's' || !slices.Contains(typeNames, n.str) {
			return nil, invalid(ptr+"/type", "type", "unknown type")
		}
		if !slices.Contains(out, n.str) {
			out = append(out, n.str)
		}
	}
	return out, nil
}

func literal(lits []string, vals []int32) node {
	if vals == nil {
		vals = make([]int32, len(lits))
	}
	idx := make([]int, len(lits))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(lits[a], lits[b]) })
	n := node{kind: kLiteral, done: true}
	for _, i := range idx {
		if len(n.lits) > 0 && n.lits[len(n.lits)-1] == lits[i] {
			continue
		}
		n.lits = append(n.lits, lits[i])
		n.litVal = append(n.litVal, vals[i])
	}
	return n
}

// union merges literal alternatives into one set and, for anyOf, drops
// integers where an unbounded number is also allowed; alternatives still
// compiling (through $ref) are kept as they are. For oneOf (exclusive) a
// value two alternatives share would fail validation, so overlaps are
// refused instead of merged.
func (c *compiler) union(alts []int32, exclusive bool, ptr string) (node, error) {
	var flat []int32
	for _, a := range alts {
		n := &c.g.nodes[a]
		if n.done && n.kind == kUnion && len(n.alts) > 0 {
			flat = append(flat, n.alts...)
		} else {
			flat = append(flat, a)
		}
	}
	number := false
	for _, a := range flat {
		n := &c.g.nodes[a]
		if n.done && n.kind == kNumber && !n.integer && !n.bounded && !exclusive {
			number = true
		}
	}
	var lits []string
	for _, a := range flat {
		n := &c.g.nodes[a]
		if n.done && n.kind == kLiteral {
			for _, l := range n.lits {
				if number && (l[0] == '-' || l[0] >= '0' && l[0] <= '9') {
					continue // the number alternative writes it
				}
				if exclusive && slices.Contains(lits, l) {
					return node{}, unsupported(ptr, "oneOf", fmt.Sprintf("alternatives that both accept %s", l))
				}
				lits = append(lits, l)
			}
		}
	}
	var out []int32
	merged := false
	for _, a := range flat {
		n := &c.g.nodes[a]
		switch {
		case n.done && n.kind == kLiteral:
			if !merged && len(lits) > 0 {
				out = append(out, c.add(literal(lits, nil)))
				merged = true
			}
		case n.done && n.kind == kNumber && n.integer && number:
		case slices.Contains(out, a):
			if exclusive {
				return node{}, unsupported(ptr, "oneOf", "the same alternative twice")
			}
		default:
			out = append(out, a)
		}
	}
	return node{kind: kUnion, alts: out}, nil
}

func (c *compiler) anyValue() int32 {
	if c.any >= 0 {
		return c.any
	}
	c.any = c.add(node{kind: kUnion, ptr: "", done: true})
	str := c.add(node{kind: kString, maxN: -1, done: true})
	obj := c.add(node{kind: kObject, isMap: true, mapKey: str, mapVal: c.any, done: true})
	arr := c.add(node{kind: kArray, item: c.any, maxN: -1, done: true})
	num := c.add(node{kind: kNumber, done: true})
	lit := literal([]string{"true", "false", "null"}, nil)
	lit.done = true
	c.g.nodes[c.any].alts = []int32{obj, arr, str, num, c.add(lit)}
	return c.any
}

func count(s *jv, k, ptr string, def int32) (int32, error) {
	v := s.get(k)
	if v == nil {
		return def, nil
	}
	f, err := strconv.ParseFloat(v.str, 64)
	if v.kind != 'n' || err != nil || f < 0 || f != math.Trunc(f) {
		return 0, invalid(ptr+"/"+k, k, "must be a non-negative integer")
	}
	return int32(min(f, math.MaxInt32)), nil
}

func (c *compiler) typed(s *jv, ptr, t string) (node, error) {
	n := node{kind: kNumber, done: true, ptr: ptr}
	switch t {
	case "boolean":
		n = literal([]string{"false", "true"}, nil)
	case "null":
		n = literal([]string{"null"}, nil)
	case "string":
		n.kind = kString
		var err error
		if n.minN, err = count(s, "minLength", ptr, 0); err != nil {
			return n, err
		}
		if n.maxN, err = count(s, "maxLength", ptr, -1); err != nil {
			return n, err
		}
		if n.maxN >= 0 && n.minN > n.maxN {
			return n, invalid(ptr, "minLength", "greater than maxLength")
		}
	case "array":
		return c.array(s, ptr)
	case "object":
		return c.object(s, ptr)
	default:
		return number(s, ptr, t == "integer")
	}
	n.done, n.ptr = true, ptr
	return n, nil
}

func (c *compiler) array(s *jv, ptr string) (node, error) {
	n := node{kind: kArray, done: true, ptr: ptr}
	var err error
	if n.minN, err = count(s, "minItems", ptr, 0); err != nil {
		return n, err
	}
	if n.maxN, err = count(s, "maxItems", ptr, -1); err != nil {
		return n, err
	}
	if n.maxN >= 0 && n.minN > n.maxN {
		return n, invalid(ptr, "minItems", "greater than maxItems")
	}
	if u := s.get("uniqueItems"); u != nil && (u.kind != 'b' || u.b) {
		return n, unsupported(ptr+"/uniqueItems", "uniqueItems", "")
	}
	items := s.get("items")
	switch {
	case items == nil:
		n.item = c.anyValue()
	case items.kind == 'b' && !items.b:
		if n.minN > 0 {
			return n, invalid(ptr+"/items", "items", "false with minItems > 0")
		}
		n.maxN = 0
		n.item = c.anyValue()
	case items.kind == 'a':
		return n, unsupported(ptr+"/items", "items", "an array of schemas (use prefixItems... which is not supported either)")
	default:
		if n.item, err = c.compile(items, ptr+"/items"); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (c *compiler) object(s *jv, ptr string) (node, error) {
	n := node{kind: kObject, done: true, ptr: ptr}
	props := s.get("properties")
	if props != nil && props.kind != 'o' {
		return n, invalid(ptr+"/properties", "properties", "must be an object")
	}
	var required []string
	if r := s.get("required"); r != nil {
		if r.kind != 'a' {
			return n, invalid(ptr+"/required", "required", "must be an array of strings")
		}
		for _, e := range r.vals {
			if e.kind != 's' {
				return n, invalid(ptr+"/required", "required", "must be an array of strings")
			}
			required = append(required, e.str)
		}
	}
	add := s.get("additionalProperties")
	if props == nil && required == nil && (add == nil || add.kind != 'b' || add.b) {
		// No declared properties: a map from any key to additionalProperties.
		n.isMap = true
		n.mapKey = c.add(node{kind: kString, maxN: -1, done: true})
		n.mapVal = c.anyValue()
		if add != nil && add.kind != 'b' {
			var err error
			if n.mapVal, err = c.compile(add, ptr+"/additionalProperties"); err != nil {
				return n, err
			}
		}
		return n, nil
	}
	// Declared properties only, in the schema's order; extra properties
	// are never written even where additionalProperties allows them.
	if props != nil {
		for i, k := range props.keys {
			p := ptr + "/properties/" + escape(k)
			sub := props.vals[i]
			req := slices.Contains(required, k)
			if sub.kind == 'b' && !sub.b {
				if req {
					return n, invalid(p, "required", "a required property's schema is false")
				}
				continue
			}
			id, err := c.compile(sub, p)
			if err != nil {
				return n, err
			}
			n.props = append(n.props, prop{name: k, node: id, required: req})
		}
	}
	for _, r := range required {
		if props == nil || props.get(r) == nil {
			if add != nil && add.kind == 'b' && !add.b {
				return n, invalid(ptr+"/required", "required", fmt.Sprintf("%q is required but additionalProperties is false", r))
			}
			if !slices.ContainsFunc(n.props, func(p prop) bool { return p.name == r }) {
				n.props = append(n.props, prop{name: r, node: c.anyValue(), required: true})
			}
		}
	}
	if len(n.props) > maxProperties {
		return n, unsupported(ptr+"/properties", "properties", fmt.Sprintf("more than %d", maxProperties))
	}
	return n, nil
}

// prune finds the nodes some finite document satisfies and removes the
// rest from every choice (union alternatives, optional properties, array
// items, map entries), so a generation never enters a branch it cannot
// finish. It then builds each object's key sets.
func (c *compiler) prune() error {
	nodes := c.g.nodes
	prod := make([]bool, len(nodes))
	c.propagate(func(i int32) bool {
		n := &nodes[i]
		p := true
		switch n.kind {
		case kRoot:
			p = prod[n.child]
		case kArray:
			p = n.minN == 0 || prod[n.item]
		case kObject:
			for _, pr := range n.props {
				p = p && (!pr.required || prod[pr.node])
			}
		case kUnion:
			p = slices.ContainsFunc(n.alts, func(a int32) bool { return prod[a] })
		}
		if p && !prod[i] {
			prod[i] = true
			return true
		}
		return false
	})
	if !prod[c.g.root] {
		return invalid("", "schema", "no finite document satisfies it (required recursion)")
	}
	for i := range len(c.g.nodes) {
		n := &c.g.nodes[i]
		switch n.kind {
		case kUnion:
			n.alts = slices.DeleteFunc(n.alts, func(a int32) bool { return !prod[a] })
		case kArray:
			if !prod[n.item] {
				n.maxN = 0
			}
		case kObject:
			if n.isMap {
				if prod[n.mapVal] {
					continue
				}
				n.isMap = false // only {}
			}
			n.props = slices.DeleteFunc(n.props, func(p prop) bool { return !prod[p.node] })
			c.buildKeys(int32(i))
		}
	}
	for i := range len(c.g.nodes) {
		if c.g.nodes[i].kind == kUnion {
			if err := c.tagObjects(int32(i)); err != nil {
				return err
			}
		}
	}
	return c.heights()
}

// propagate runs eval on every node, and again on the nodes that depend on
// one whenever eval reports that it changed, until nothing changes: a
// fixpoint in time linear in the edges times the changes, where repeated
// passes over all nodes would be quadratic on long $ref chains.
func (c *compiler) propagate(eval func(i int32) bool) {
	nodes := c.g.nodes
	users := make([][]int32, len(nodes))
	for i := range nodes {
		n := &nodes[i]
		var deps []int32
		switch n.kind {
		case kRoot:
			deps = []int32{n.child}
		case kArray:
			deps = []int32{n.item}
		case kObject:
			deps = n.alts
			if !n.isMap {
				for _, p := range n.props {
					deps = append(deps[:len(deps):len(deps)], p.node)
				}
			}
		case kUnion:
			deps = n.alts
		}
		for _, d := range deps {
			users[d] = append(users[d], int32(i))
		}
	}
	queue := make([]int32, len(nodes))
	queued := make([]bool, len(nodes))
	for i := range queue {
		queue[i] = int32(i) // referenced nodes tend to come later: pop them first
		queued[i] = true
	}
	for len(queue) > 0 {
		i := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		queued[i] = false
		if eval(i) {
			for _, u := range users[i] {
				if !queued[u] {
					queued[u] = true
					queue = append(queue, u)
				}
			}
		}
	}
}

// heights computes each node's height (a fixpoint: they only fall) and
// the value heights of object keys, and refuses a schema whose documents
// all nest deeper than MaxDepth.
func (c *compiler) heights() error {
	const inf = MaxDepth + 2
	nodes := c.g.nodes
	for i := range nodes {
		nodes[i].height = inf
	}
	c.propagate(func(i int32) bool {
		n := &nodes[i]
		h := int32(1)
		switch n.kind {
		case kRoot:
			h = nodes[n.child].height
		case kArray:
			if n.minN > 0 {
				h = 1 + nodes[n.item].height
			}
		case kObject:
			if n.tagged {
				for _, a := range n.alts {
					h = max(h, nodes[a].height)
				}
			} else if !n.isMap {
				for _, p := range n.props {
					if p.required {
						h = max(h, 1+nodes[p.node].height)
					}
				}
			}
		case kUnion:
			h = inf
			for _, a := range n.alts {
				h = min(h, nodes[a].height)
			}
		}
		if h = min(h, inf); h < n.height {
			n.height = h
			return true
		}
		return false
	})
	for i := range nodes {
		n := &nodes[i]
		if n.kind != kObject || n.isMap {
			continue
		}
		for _, k := range n.keys {
			key := &nodes[k]
			key.need = make([]int32, len(key.litVal))
			for j, v := range key.litVal {
				key.need[j] = nodes[n.props[v].node].height
			}
		}
	}
	if nodes[c.g.root].height > MaxDepth {
		return unsupported("", "schema", fmt.Sprintf("every document nests deeper than %d levels", MaxDepth))
	}
	return nil
}

// unionWord names the keyword a union came from.
func unionWord(ptr string) string {
	for _, k := range []string{"anyOf", "oneOf"} {
		if strings.HasSuffix(ptr, "/"+k) {
			return k
		}
	}
	return "type"
}

// through follows single-alternative unions ($ref, allOf) to the node
// that reads bytes.
func (c *compiler) through(id int32) int32 {
	for range len(c.g.nodes) {
		n := &c.g.nodes[id]
		if n.kind != kUnion || len(n.alts) != 1 {
			break
		}
		id = n.alts[0]
	}
	return id
}

// tagObjects replaces the declared-object alternatives of union id, which
// all start with '{', by one object that reads their common first property
// and then continues as the alternative its value names: the shape of
// tool calls ({"name": "f", "arguments": {...}}) and of discriminated
// unions.
func (c *compiler) tagObjects(id int32) error {
	var objs []int32
	for _, a := range c.g.nodes[id].alts {
		if t := c.through(a); c.g.nodes[t].kind == kObject && !c.g.nodes[t].isMap {
			objs = append(objs, t)
		}
	}
	if len(objs) < 2 {
		return nil
	}
	ptr := c.g.nodes[id].ptr
	refuse := func(detail string) error {
		return unsupported(ptr, unionWord(ptr), "object alternatives must begin with the same required property, a const or enum whose values differ: "+detail)
	}
	var lits []string
	var vals []int32
	first := c.g.nodes[objs[0]]
	for j, o := range objs {
		n := &c.g.nodes[o]
		if len(n.props) == 0 || !n.props[0].required || n.props[0].name != first.props[0].name {
			return refuse(fmt.Sprintf("alternative at %s does not", n.ptr))
		}
		t := &c.g.nodes[c.through(n.props[0].node)]
		if t.kind != kLiteral {
			return refuse(fmt.Sprintf("%q at %s is not a const or enum", n.props[0].name, n.ptr))
		}
		for _, l := range t.lits {
			if slices.Contains(lits, l) {
				return refuse(fmt.Sprintf("%s is in two of them", l))
			}
			lits = append(lits, l)
			vals = append(vals, int32(j))
		}
	}
	tag := c.add(literal(lits, vals))
	obj := c.add(node{kind: kObject, done: true, ptr: ptr, tagged: true, alts: objs,
		props:  []prop{{name: first.props[0].name, node: tag, required: true}},
		keys:   first.keys[:1],
		canEnd: []bool{false, false}})
	n := &c.g.nodes[id]
	alts := []int32{obj}
	for _, a := range n.alts {
		if !slices.Contains(objs, c.through(a)) {
			alts = append(alts, a)
		}
	}
	n.alts = alts
	return nil
}

// buildKeys fills in the key sets and ends of declared object id.
func (c *compiler) buildKeys(id int32) {
	n := &c.g.nodes[id]
	np := len(n.props)
	canEnd := make([]bool, np+1)
	canEnd[np] = true
	for i := np - 1; i >= 0; i-- {
		canEnd[i] = canEnd[i+1] && !n.props[i].required
	}
	// The keys allowed at position i: the optional ones up to and
	// including the next required one.
	keys := make([]int32, np)
	for i := range np {
		var lits []string
		var vals []int32
		for j := i; j < np; j++ {
			p := c.g.nodes[id].props[j]
			lits = append(lits, quote(p.name))
			vals = append(vals, int32(j))
			if p.required {
				break
			}
		}
		l := literal(lits, vals)
		l.done = true
		keys[i] = c.add(l) // may move c.g.nodes
	}
	n = &c.g.nodes[id]
	n.canEnd, n.keys = canEnd, keys
}

func number(s *jv, ptr string, integer bool) (node, error) {
	n := node{kind: kNumber, integer: integer, done: true, ptr: ptr, scale: 1}
	if !integer {
		n.frac, n.scale = maxBoundedFrac, pow10[maxBoundedFrac]
	}
	limit := new(big.Int).Mul(big.NewInt(pow10[n.frac]), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.intDigits())), nil))
	limit.Sub(limit, big.NewInt(1))
	var lo, hi *big.Int
	for _, k := range numberWords {
		v := s.get(k)
		if v == nil {
			continue
		}
		if v.kind == 'b' {
			return n, unsupported(ptr+"/"+k, k, "the boolean (draft 4) form")
		}
		r, ok := new(big.Rat).SetString(v.str)
		if v.kind != 'n' || !ok {
			return n, invalid(ptr+"/"+k, k, "must be a number")
		}
		// Scale, then round inwards to an inclusive bound.
		r.Mul(r, new(big.Rat).SetInt64(n.scale))
		q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int)) // q = floor
		exact := m.Sign() == 0
		switch k {
		case "minimum", "exclusiveMinimum":
			if k == "exclusiveMinimum" || !exact {
				q.Add(q, big.NewInt(1))
			}
			if lo == nil || q.Cmp(lo) > 0 {
				lo = q
			}
		default:
			if k == "exclusiveMaximum" && exact {
				q.Sub(q, big.NewInt(1))
			}
			if hi == nil || q.Cmp(hi) < 0 {
				hi = q
			}
		}
	}
	if lo == nil && hi == nil {
		return n, nil
	}
	n.bounded = true
	neg := new(big.Int).Neg(limit)
	if lo == nil || lo.Cmp(neg) < 0 {
		lo = neg
	}
	if hi == nil || hi.Cmp(limit) > 0 {
		hi = limit
	}
	if lo.Cmp(limit) > 0 || hi.Cmp(neg) < 0 {
		return n, unsupported(ptr, "minimum", fmt.Sprintf("bounds beyond the %d integer digits the grammar writes", n.intDigits()))
	}
	if lo.Cmp(hi) > 0 {
		if integer {
			return n, invalid(ptr, "minimum", "no integer lies within the bounds")
		}
		return n, unsupported(ptr, "minimum", fmt.Sprintf("no number with %d fraction digits lies within the bounds", n.frac))
	}
	n.lo, n.hi = lo.Int64(), hi.Int64()
	return n, nil
}

func escape(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

func refPtr(ref string) string {
	p, _ := strings.CutPrefix(ref, "#")
	return p
}

// resolve follows a local JSON pointer reference.
func (c *compiler) resolve(ref, ptr string) (*jv, error) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, unsupported(ptr, "$ref", fmt.Sprintf("only local references (#/...), not %q", ref))
	}
	frag, err := url.PathUnescape(frag)
	if err != nil {
		return nil, invalid(ptr, "$ref", err.Error())
	}
	v := c.root
	if frag == "" {
		return v, nil
	}
	if frag[0] != '/' {
		return nil, unsupported(ptr, "$ref", fmt.Sprintf("anchors (%q)", ref))
	}
	for _, part := range strings.Split(frag[1:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch v.kind {
		case 'o':
			v = v.get(part)
		case 'a':
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v.vals) {
				v = nil
			} else {
				v = v.vals[i]
			}
		default:
			v = nil
		}
		if v == nil {
			return nil, invalid(ptr, "$ref", fmt.Sprintf("%q points at nothing", ref))
		}
	}
	return v, nil
}

// firstSet computes the bytes a node's value can start with, builds the
// dispatch table of each union and refuses alternatives that overlap or
// reference themselves before reading a byte.
func (c *compiler) firstSet(id int32) ([4]uint64, error) {
	n := &c.g.nodes[id]
	if n.firstDone {
		return n.first, nil
	}
	if n.firstOn {
		return n.first, unsupported(n.ptr, "$ref", "a reference cycle that reads no byte")
	}
	var set [4]uint64
	addB := func(b byte) { set[b>>6] |= 1 << (b & 63) }
	switch n.kind {
	case kRoot:
	case kObject:
		addB('{')
	case kArray:
		addB('[')
	case kString:
		addB('"')
	case kNumber:
		addB('-')
		for b := byte('0'); b <= '9'; b++ {
			addB(b)
		}
	case kLiteral:
		for _, l := range n.lits {
			addB(l[0])
		}
	case kUnion:
		n.firstOn = true
		d := new([256]int16)
		for i := range d {
			d[i] = -1
		}
		for ai, a := range n.alts {
			fs, err := c.firstSet(a)
			n = &c.g.nodes[id]
			if err != nil {
				return set, err
			}
			for b := range 256 {
				if fs[b>>6]>>(b&63)&1 == 0 {
					continue
				}
				if d[b] >= 0 {
					return set, unsupported(n.ptr, unionWord(n.ptr), fmt.Sprintf("alternatives %d and %d can both start with %q; alternatives must differ in their first byte", d[b], ai, rune(b)))
				}
				d[b] = int16(ai)
				addB(byte(b))
			}
		}
		n.dispatch = d
		n.firstOn = false
	}
	n.first, n.firstDone = set, true
	return set, nil
}
