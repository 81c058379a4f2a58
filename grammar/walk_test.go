package grammar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// testSchemas cover every supported keyword; the walks below check the
// automaton against a real JSON Schema validator on each.
var testSchemas = map[string]string{
	"any": `true`,
	"person": `{
		"type": "object",
		"properties": {
			"name": {"type": "string", "maxLength": 10},
			"age": {"type": "integer", "minimum": 0, "maximum": 150},
			"nick": {"anyOf": [{"type": "string", "minLength": 2}, {"type": "null"}]},
			"tags": {"type": "array", "items": {"enum": ["a", "bc", "b"]}, "minItems": 1, "maxItems": 3},
			"address": {"$ref": "#/$defs/address"},
			"score": {"type": "number", "minimum": -1.5, "exclusiveMaximum": 2.5},
			"active": {"type": "boolean"},
			"extra": {}
		},
		"required": ["name", "age", "tags"],
		"additionalProperties": false,
		"$defs": {"address": {"type": "object", "properties": {
			"street": {"type": "string"},
			"zip": {"type": "string", "minLength": 5, "maxLength": 5, "description": "digits"}
		}, "required": ["zip"]}}
	}`,
	"tree": `{
		"$ref": "#/$defs/node",
		"$defs": {"node": {"type": "object", "properties": {
			"value": {"type": "integer", "exclusiveMinimum": -20, "maximum": 1000000},
			"children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}
		}, "required": ["value"]}}
	}`,
	"enum":  `{"enum": [1, 12, 1.5, "a", "a\"b", "한", null, true, [1, 2], {"x": 1}]}`,
	"types": `{"type": ["string", "integer", "null"], "maxLength": 3, "minimum": -5, "exclusiveMaximum": 100}`,
	"map":   `{"type": "object", "additionalProperties": {"type": "number", "exclusiveMinimum": 0, "maximum": 10}}`,
	"oneOf": `{"oneOf": [
		{"type": "object", "properties": {"k": {"const": "v"}}, "required": ["k"]},
		{"type": "array", "items": {"type": "number"}, "maxItems": 4},
		{"const": "x"}, {"type": "boolean"}
	]}`,
	"tools": `{"oneOf": [
		{"type": "object", "properties": {
			"name": {"const": "get_weather"},
			"arguments": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}
		}, "required": ["name", "arguments"], "additionalProperties": false},
		{"type": "object", "properties": {"name": {"const": "add"}, "arguments": {"$ref": "#/$defs/nums"}}, "required": ["name", "arguments"]},
		{"$ref": "#/$defs/noop"},
		{"type": "string"}
	], "$defs": {
		"nums": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]},
		"noop": {"type": "object", "properties": {"name": {"enum": ["noop", "nothing", 1]}, "why": {"type": "string"}}, "required": ["name"]}
	}}`,
	"short":    `{"type": "string", "minLength": 2, "maxLength": 4}`,
	"int":      `{"type": "integer", "minimum": 10, "maximum": 250}`,
	"negative": `{"type": "integer", "minimum": -1234, "maximum": -7}`,
	"empty":    `{"type": "object", "additionalProperties": false}`,
	"numbers":  `{"anyOf": [{"type": "integer"}, {"type": "number"}, {"enum": [1, "x"]}, {"const": "x"}]}`,
	"strings":  `{"type": "array", "items": {"type": "string"}, "minItems": 2}`,
}

func validator(t testing.TB, schema string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validate checks doc with encoding/json and the validator.
func validate(s *jsonschema.Schema, doc []byte) error {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// allowedBytes lists the bytes the state takes next.
func allowedBytes(s *State) []byte {
	var out []byte
	n0 := len(s.m.ar)
	for c := range 256 {
		if s.m.step(s.top, byte(c)) >= 0 {
			out = append(out, byte(c))
		}
		s.m.ar = s.m.ar[:n0]
	}
	return out
}

// pick chooses a random allowed byte; past the budget it prefers bytes
// that close values, so walks finish: inside a string the closing quote
// (string bytes such as ']' would only make it longer), outside one a
// closing bracket before a quote (a quote there opens a key or a string).
func pick(rng *rand.Rand, allowed []byte, over, inString bool) byte {
	if over {
		prefs := []string{"]}", `"`, "0123456789aeflnrstu"}
		if inString {
			prefs = []string{`"`, "0123456789aeflnrstu"}
		}
		for _, pref := range prefs {
			var c []byte
			for _, b := range allowed {
				if strings.IndexByte(pref, b) >= 0 {
					c = append(c, b)
				}
			}
			if len(c) > 0 {
				return c[rng.IntN(len(c))]
			}
		}
		var c []byte
		for _, b := range allowed {
			if !isWS(b) && b != '[' && b != '{' && b != ',' {
				c = append(c, b)
			}
		}
		if len(c) > 0 {
			return c[rng.IntN(len(c))]
		}
	}
	return allowed[rng.IntN(len(allowed))]
}

// walk produces one random document the grammar accepts.
func walk(t testing.TB, g *Grammar, rng *rand.Rand, budget int) []byte {
	t.Helper()
	doc, ok := walkBounded(t, g, rng, budget)
	if !ok {
		t.Fatalf("walk does not finish: %q", doc)
	}
	return doc
}

// walkBounded is walk that reports, instead of failing, a walk that grows
// past its bound: a recursive schema may admit only endless documents
// (every array needs an item that needs an array, ...).
func walkBounded(t testing.TB, g *Grammar, rng *rand.Rand, budget int) (doc []byte, finished bool) {
	t.Helper()
	s := g.Start()
	inString, escaped := false, false
	for {
		if s.CanEnd() && (len(doc) > budget || rng.IntN(8) == 0) {
			return doc, true
		}
		allowed := allowedBytes(s)
		if len(allowed) == 0 && s.CanEnd() {
			return doc, true
		}
		if len(allowed) == 0 {
			t.Fatalf("dead end after %q", doc)
		}
		if len(doc) > 50*budget+20000 {
			return doc, false
		}
		c := pick(rng, allowed, len(doc) > budget, inString && !escaped)
		if err := s.Accept([]byte{c}); err != nil {
			t.Fatalf("allowed byte %q rejected after %q: %v", c, doc, err)
		}
		doc = append(doc, c)
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		}
	}
}

func TestWalksValidate(t *testing.T) {
	for name, schema := range testSchemas {
		t.Run(name, func(t *testing.T) {
			g, err := CompileSchema([]byte(schema))
			if err != nil {
				t.Fatal(err)
			}
			v := validator(t, schema)
			rng := rand.New(rand.NewPCG(1, uint64(len(name))))
			for i := range 300 {
				doc := walk(t, g, rng, 10+i%60)
				if err := validate(v, doc); err != nil {
					t.Fatalf("walk produced %q, which does not validate: %v", doc, err)
				}
			}
		})
	}
}

// Byte strings near valid documents (mutations of walks) are accepted by
// the automaton only if they validate, and invalid documents are rejected.
func TestMutationsRejected(t *testing.T) {
	for name, schema := range testSchemas {
		t.Run(name, func(t *testing.T) {
			g, err := CompileSchema([]byte(schema))
			if err != nil {
				t.Fatal(err)
			}
			v := validator(t, schema)
			rng := rand.New(rand.NewPCG(2, uint64(len(name))))
			const alphabet = "{}[],:\" \\0123456789-+.eEtrufalsn\x01\xc3\xa9abcdekuvxyz"
			accepted, rejected := 0, 0
			for i := range 300 {
				doc := walk(t, g, rng, 5+i%30)
				for range 10 {
					m := bytes.Clone(doc)
					switch k := rng.IntN(3); {
					case k == 0 && len(m) > 0:
						m = append(m[:rng.IntN(len(m))], m[rng.IntN(len(m))+1:]...)
					case k == 1 && len(m) > 0:
						m[rng.IntN(len(m))] = alphabet[rng.IntN(len(alphabet))]
					default:
						j := rng.IntN(len(m) + 1)
						m = append(m[:j], append([]byte{alphabet[rng.IntN(len(alphabet))]}, m[j:]...)...)
					}
					s := g.Start()
					if s.Accept(m) == nil && s.CanEnd() {
						accepted++
						if err := validate(v, m); err != nil {
							t.Fatalf("automaton accepts %q (mutated from %q), which does not validate: %v", m, doc, err)
						}
					} else {
						rejected++
						if json.Valid(m) && validate(v, m) != nil {
							continue // a true negative
						}
					}
				}
			}
			if rejected == 0 {
				t.Fatalf("no mutation rejected out of %d", accepted)
			}
		})
	}
}

func TestRejects(t *testing.T) {
	cases := []struct{ schema, doc string }{
		{"person", `{"name":"Al","age":3}`},                         // tags missing
		{"person", `{"name":"Al","age":151,"tags":["a"]}`},          // above maximum
		{"person", `{"name":"Alexander the","age":1,"tags":["a"]}`}, // too long
		{"person", `{"name":"Al","age":1,"tags":[]}`},               // minItems
		{"person", `{"name":"Al","age":1,"tags":["a","b","a","b"]}`},
		{"person", `{"name":"Al","age":1,"tags":["c"]}`},
		{"person", `{"name":"Al","age":1,"tags":["a"],"other":1}`},
		{"person", `{"name":"Al","age":1,"tags":["a"],"score":2.5}`},
		{"person", `{"name":"Al","age":1,"tags":["a"],"nick":"x"}`},
		{"person", `{"name":"Al","age":1.5,"tags":["a"]}`},
		{"person", `{"age":1,"name":"Al","tags":["a"]}`}, // out of order: not reachable, still valid JSON
		{"int", `9`}, {"int", `251`}, {"int", `0`}, {"int", `-10`},
		{"negative", `-6`}, {"negative", `-1235`}, {"negative", `7`},
		{"short", `"a"`}, {"short", `"abcde"`}, {"short", `"\ud83d\ude00x"`},
		{"any", `{"a":1,}`}, {"any", `[1 2]`}, {"any", `01`}, {"any", `"\x"`}, {"any", "\"\xff\""},
		{"any", `1e999`}, {"any", ` 1`}, {"any", `{} `}, {"any", `nul`},
		{"enum", `2`}, {"enum", `1.0`}, {"enum", `[1,2,3]`},
		{"oneOf", `{"k":"w"}`}, {"oneOf", `"y"`}, {"oneOf", `[1,2,3,4,5]`},
		{"empty", `{"a":1}`}, {"map", `{"a":0}`}, {"map", `{"a":10.5}`}, {"map", `{"a":10.000001}`}, {"map", `{"a":1e1}`},
		{"tools", `{"name":"add","arguments":{"city":"Seoul"}}`}, {"tools", `{"name":"get_weather","arguments":{"city":"Seoul"},"why":""}`},
		{"tools", `{"name":"noop","arguments":{}}`}, {"tools", `{"arguments":{},"name":"add"}`},
		{"types", `"abcd"`}, {"types", `100`}, {"types", `-6`}, {"types", `true`},
	}
	for _, c := range cases {
		g, err := CompileSchema([]byte(testSchemas[c.schema]))
		if err != nil {
			t.Fatal(err)
		}
		s := g.Start()
		if s.Accept([]byte(c.doc)) == nil && s.CanEnd() {
			t.Errorf("%s: %s accepted", c.schema, c.doc)
		}
	}
	accepts := []struct{ schema, doc string }{
		{"person", "{\n  \"name\": \"Al\",\n  \"age\": 150,\n  \"tags\": [\"bc\"],\n  \"active\": false\n}"},
		{"person", `{"name":"Ünïcødé 한국","age":0,"nick":null,"tags":["a","b"],"address":{"zip":"12345"},"score":-1.5}`},
		{"int", `10`}, {"int", `250`}, {"negative", `-7`}, {"negative", `-1234`},
		{"any", `[{"a":[true,false,null,-0.5e+10,"\u00e9\n"]}]`}, {"any", `1`}, {"any", `12.5E-3`},
		{"enum", `1`}, {"enum", `12`}, {"enum", `"a\"b"`}, {"enum", `{"x":1}`},
		{"map", `{"a":0.000001,"a":10}`}, {"types", `99`}, {"types", `"abc"`}, {"types", `null`},
		{"tools", `{"name":"add","arguments":{"a":1,"b":2.5}}`}, {"tools", `{"name": 1}`}, {"tools", `"x"`},
		{"tools", `{"name":"nothing","why":""}`}, {"tools", `{"name":"get_weather","arguments":{"city":"Seoul"}}`},
		{"tree", `{"value":-19,"children":[{"value":1000000},{"value":0,"children":[]}]}`},
	}
	for _, c := range accepts {
		g, _ := CompileSchema([]byte(testSchemas[c.schema]))
		s := g.Start()
		if err := s.Accept([]byte(c.doc)); err != nil || !s.CanEnd() {
			t.Errorf("%s: %s rejected: %v", c.schema, c.doc, err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		schema  string
		want    error
		feature string
		ptr     string
	}{
		{`{"type":"string","pattern":"^a"}`, ErrUnsupported, "pattern", ""},
		{`{"properties":{"d":{"type":"string","format":"date"}}}`, ErrUnsupported, "format", "/properties/d"},
		{`{"if":{},"then":{}}`, ErrUnsupported, "if", ""},
		{`{"type":"object","patternProperties":{}}`, ErrUnsupported, "patternProperties", ""},
		{`{"anyOf":[{"type":"object"},{"type":"object","properties":{"a":{}}}]}`, ErrUnsupported, "anyOf", "/anyOf"},
		{`{"$ref":"http://example.com/s"}`, ErrUnsupported, "$ref", "/$ref"},
		{`{"$ref":"#"}`, ErrInvalidSchema, "schema", ""},
		{`{"anyOf":[{"$ref":"#"},{"type":"null"}]}`, ErrUnsupported, "$ref", "/anyOf"},
		{`{"type":["number","integer"],"minimum":1}`, ErrUnsupported, "type", ""},
		{`{"$defs":{"n":{"type":"object","properties":{"c":{"$ref":"#/$defs/n"}},"required":["c"]}},"$ref":"#/$defs/n"}`, ErrInvalidSchema, "schema", ""},
		{`{"type":"number","multipleOf":2}`, ErrUnsupported, "multipleOf", ""},
		{`{"type":"array","uniqueItems":true}`, ErrUnsupported, "uniqueItems", "/uniqueItems"},
		{`{"oneOf":[{"type":"number"},{"type":"integer"}]}`, ErrUnsupported, "oneOf", "/oneOf"},
		{`{"oneOf":[{"enum":[1,2]},{"const":2}]}`, ErrUnsupported, "oneOf", "/oneOf"},
		{`{"oneOf":[{"type":"boolean"},{"const":true}]}`, ErrUnsupported, "oneOf", "/oneOf"},
		{`{"anyOf":[{"type":"object","properties":{"k":{"const":1}},"required":["k"]},{"type":"object","properties":{"k":{"enum":[2,1]}},"required":["k"]}]}`, ErrUnsupported, "anyOf", "/anyOf"},
		{`{"anyOf":[{"type":"object","properties":{"k":{"const":1}},"required":["k"]},{"type":"object","properties":{"j":{"const":2}},"required":["j"]}]}`, ErrUnsupported, "anyOf", "/anyOf"},
		{`{"type":"strin"}`, ErrInvalidSchema, "type", "/type"},
		{`{"type":"string","maxLength":-1}`, ErrInvalidSchema, "maxLength", "/maxLength"},
		{`{"type":"integer","minimum":5,"maximum":4}`, ErrInvalidSchema, "minimum", ""},
		{`{"$ref":"#/$defs/missing"}`, ErrInvalidSchema, "$ref", "/$ref"},
		{`{"type":`, ErrInvalidSchema, "JSON", ""},
		{`false`, ErrInvalidSchema, "false", ""},
		{`[1]`, ErrInvalidSchema, "schema", ""},
		{`{"properties":{"a":false},"required":["a"]}`, ErrInvalidSchema, "required", "/properties/a"},
	}
	for _, c := range cases {
		_, err := CompileSchema([]byte(c.schema))
		var se *SchemaError
		if !errors.Is(err, c.want) || !errors.As(err, &se) || se.Feature != c.feature || se.Pointer != c.ptr {
			t.Errorf("%s: got %v (%#v), want %v naming %q at %q", c.schema, err, se, c.want, c.feature, c.ptr)
		}
	}
}

func TestDepthBounded(t *testing.T) {
	s := JSON().Start()
	deep := bytes.Repeat([]byte("["), MaxDepth)
	if err := s.Accept(deep); err != nil {
		t.Fatalf("%d nested arrays rejected: %v", MaxDepth, err)
	}
	if err := s.Accept([]byte("[")); !errors.Is(err, ErrRejected) {
		t.Fatalf("array %d deep accepted: %v", MaxDepth+1, err)
	}
	if err := s.Accept(bytes.Repeat([]byte("]"), MaxDepth)); err != nil || !s.Done() {
		t.Fatalf("closing: %v, done %v", err, s.Done())
	}
}

func TestWhitespaceBounded(t *testing.T) {
	s := JSON().Start()
	if err := s.Accept([]byte("[" + strings.Repeat(" ", MaxWhitespace))); err != nil {
		t.Fatal(err)
	}
	if err := s.Accept([]byte(" ")); !errors.Is(err, ErrRejected) {
		t.Fatalf("whitespace run of %d accepted", MaxWhitespace+1)
	}
	if err := s.Accept([]byte("1,\n" + strings.Repeat(" ", MaxWhitespace-1) + "2]")); err != nil || !s.Done() {
		t.Fatalf("%v, done %v", err, s.Done())
	}
}

func TestAcceptAtomic(t *testing.T) {
	s := JSON().Start()
	if err := s.Accept([]byte(`{"a":[1,}`)); !errors.Is(err, ErrRejected) {
		t.Fatalf("got %v", err)
	}
	if err := s.Accept([]byte(`{"a":[1]}`)); err != nil || !s.Done() {
		t.Fatalf("state changed by a rejected Accept: %v", err)
	}
}

// Branches no finite document can finish are never entered.
func TestUnfinishableBranchesPruned(t *testing.T) {
	g, err := CompileSchema([]byte(`{
		"$defs": {"loop": {"type": "object", "properties": {"next": {"$ref": "#/$defs/loop"}}, "required": ["next"]}},
		"type": "object",
		"properties": {
			"a": {"anyOf": [{"$ref": "#/$defs/loop"}, {"type": "string"}]},
			"b": {"$ref": "#/$defs/loop"},
			"c": {"type": "array", "items": {"$ref": "#/$defs/loop"}},
			"d": {"type": "object", "additionalProperties": {"$ref": "#/$defs/loop"}}
		}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{`{"a":{`, `{"b"`, `{"c":[{`, `{"d":{"`} {
		if err := g.Start().Accept([]byte(doc)); !errors.Is(err, ErrRejected) {
			t.Errorf("%s: got %v, want rejected", doc, err)
		}
	}
	for _, doc := range []string{`{"a":"x","c":[],"d":{}}`, `{}`} {
		if s := g.Start(); s.Accept([]byte(doc)) != nil || !s.Done() {
			t.Errorf("%s rejected", doc)
		}
	}
}

// Near MaxDepth only values that can still be closed are begun.
func TestDepthNeverDeadEnds(t *testing.T) {
	g, err := CompileSchema([]byte(`{"$ref": "#/$defs/n", "$defs": {"n": {"type": "object",
		"properties": {"next": {"$ref": "#/$defs/n"}, "v": {"type": "array", "items": {"type": "integer"}, "minItems": 1}},
		"required": ["v"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := g.Start()
	depth := 0
	for s.Accept([]byte(`{"next":`)) == nil {
		depth++
	}
	// An object needs 3 levels (itself, "v", an integer), so one at depth
	// MaxDepth-2 can be finished but may not take "next".
	if want := MaxDepth - 3; depth != want {
		t.Fatalf("%d objects opened, want %d", depth, want)
	}
	if err := s.Accept([]byte(`{"v":[1]`)); err != nil {
		t.Fatalf("the deepest object cannot be finished: %v", err)
	}
	if _, err := CompileSchema([]byte(`{"$ref": "#/$defs/n", "$defs": {"n": {"type": "object",
		"properties": {"next": {"$ref": "#/$defs/n"}, "x": {"$ref": "#/$defs/m"}}, "required": ["x"]},
		"m": {"type": "array", "items": {"type": "array", "items": {"$ref": "#/$defs/m2"}, "minItems": 1}, "minItems": 1},
		"m2": ` + strings.Repeat(`{"type": "array", "minItems": 1, "items": `, 70) + `{"type": "null"}` + strings.Repeat("}", 70) + `}}`)); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("a schema nesting every document 70 deep: got %v, want ErrUnsupported", err)
	}
}

// Long $ref chains compile when short enough and are refused beyond the
// compile depth bound (they would otherwise cost time quadratic in length).
func TestRefChains(t *testing.T) {
	chain := func(n, minItems int) []byte {
		var b strings.Builder
		b.WriteString(`{"$ref":"#/$defs/d0","$defs":{`)
		for i := range n {
			fmt.Fprintf(&b, `"d%d":{"type":"array","items":{"$ref":"#/$defs/d%d"},"minItems":%d},`, i, i+1, minItems)
		}
		fmt.Fprintf(&b, `"d%d":{"type":"null"}}}`, n)
		return []byte(b.String())
	}
	if _, err := CompileSchema(chain(300, 0)); err != nil {
		t.Fatalf("300 optional levels: %v", err)
	}
	if _, err := CompileSchema(chain(100, 1)); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("100 required levels: got %v, want ErrUnsupported (deeper than MaxDepth)", err)
	}
	if _, err := CompileSchema(chain(3000, 0)); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("3000 levels: got %v, want ErrUnsupported", err)
	}
}
