package grammar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// genSchema builds a random schema from the supported subset.
func genSchema(r *rand.Rand, depth int) any {
	num := func() any {
		if r.IntN(2) == 0 {
			return r.IntN(2001) - 1000
		}
		return float64(r.IntN(20001)-10000) / 100
	}
	k := r.IntN(13)
	if depth <= 0 {
		k = r.IntN(6)
	}
	switch k {
	case 0:
		s := map[string]any{"type": "string"}
		if r.IntN(2) == 0 {
			s["maxLength"] = r.IntN(6)
			if r.IntN(2) == 0 {
				s["minLength"] = r.IntN(s["maxLength"].(int) + 1)
			}
		}
		return s
	case 1, 2:
		s := map[string]any{"type": []string{"integer", "number"}[k-1]}
		a, b := num(), num()
		if f := func(x any) float64 { v, _ := json.Number(fmt.Sprint(x)).Float64(); return v }; f(a) > f(b) {
			a, b = b, a
		}
		switch r.IntN(4) {
		case 0:
			s["minimum"] = a
		case 1:
			s["exclusiveMaximum"] = b
		case 2:
			s["minimum"], s["maximum"] = a, b
		}
		return s
	case 3:
		return map[string]any{"type": []string{"boolean", "null"}[r.IntN(2)]}
	case 4:
		vals := []any{1, 2.5, -3, "a", "b\"", "é", true, nil, []any{1}, map[string]any{"k": "v"}}
		r.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
		return map[string]any{"enum": vals[:1+r.IntN(4)]}
	case 5:
		return map[string]any{"const": []any{"x", 7, false, nil}[r.IntN(4)]}
	case 6, 7:
		props := map[string]any{}
		var req []string
		for i := range r.IntN(4) {
			name := []string{"a", "b", "ab", "n"}[i]
			props[name] = genSchema(r, depth-1)
			if r.IntN(2) == 0 {
				req = append(req, name)
			}
		}
		s := map[string]any{"type": "object", "properties": props}
		if req != nil {
			s["required"] = req
		}
		if r.IntN(2) == 0 {
			s["additionalProperties"] = false
		}
		return s
	case 8:
		s := map[string]any{"type": "array", "items": genSchema(r, depth-1)}
		if r.IntN(2) == 0 {
			s["minItems"] = r.IntN(3)
		}
		if r.IntN(2) == 0 {
			s["maxItems"] = 2 + r.IntN(3)
		}
		return s
	case 9:
		return map[string]any{"type": "object", "additionalProperties": genSchema(r, depth-1)}
	case 10:
		var alts []any
		for range 2 + r.IntN(2) {
			alts = append(alts, genSchema(r, depth-1))
		}
		return map[string]any{[]string{"anyOf", "oneOf"}[r.IntN(2)]: alts}
	case 11:
		return map[string]any{"$ref": "#/$defs/d"}
	default:
		return map[string]any{}
	}
}

// TestRandomSchemas compiles random schemas of the supported subset and
// validates random walks of each with the real validator.
func TestRandomSchemas(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	compiled, refused := 0, 0
	for range 300 {
		root := genSchema(r, 3).(map[string]any)
		root["$defs"] = map[string]any{"d": genSchema(r, 2)}
		b, _ := json.Marshal(root)
		g, err := CompileSchema(b)
		var se *SchemaError
		if errors.Is(err, ErrUnsupported) || errors.As(err, &se) && se.Feature == "schema" && bytes.Contains(b, []byte(`"$ref"`)) {
			refused++ // overlapping alternatives, or $defs/d needs itself
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		compiled++
		v := validator(t, string(b))
		for i := range 10 {
			doc := walk(t, g, r, 5+i*5)
			if err := validate(v, doc); err != nil {
				t.Fatalf("schema %s: walk produced %q, which does not validate: %v", b, doc, err)
			}
		}
	}
	if compiled < 200 {
		t.Fatalf("only %d of %d random schemas compiled", compiled, compiled+refused)
	}
	t.Logf("%d compiled, %d refused", compiled, refused)
}

// FuzzGeneratedSchema draws schemas of the supported subset from the
// fuzzer's seeds; every walk must validate.
func FuzzGeneratedSchema(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		r := rand.New(rand.NewPCG(a, b))
		root := genSchema(r, 4).(map[string]any)
		root["$defs"] = map[string]any{"d": genSchema(r, 3)}
		s, _ := json.Marshal(root)
		g, err := CompileSchema(s)
		if err != nil {
			return
		}
		v := validator(t, string(s))
		for i := range 5 {
			doc, ok := walkBounded(t, g, r, 5+i*10)
			if !ok && bytes.Contains(s, []byte(`"$ref"`)) {
				return // a recursive schema whose documents may all be endless
			}
			if !ok {
				t.Fatalf("schema %s: walk does not finish: %q", s, doc)
			}
			if err := validate(v, doc); err != nil {
				t.Fatalf("schema %s: walk produced %q, which does not validate: %v", s, doc, err)
			}
		}
	})
}
