package grammar_test

import (
	"errors"
	"fmt"

	"github.com/exaone-go/exaone/grammar"
)

// A sampler masks the logits with Mask before its other stages, draws a
// token and feeds it back with AcceptToken, until it draws the
// end-of-sequence token, which Mask allows only once the document is
// complete.
func Example() {
	g, err := grammar.CompileSchema([]byte(`{
		"type": "object",
		"properties": {"answer": {"enum": ["yes", "no"]}},
		"required": ["answer"],
		"additionalProperties": false
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	tokens := [][]byte{[]byte(`{"`), []byte(`answer`), []byte(`":`), []byte(` "`),
		[]byte(`yes`), []byte(`no`), []byte(`"}`), []byte(`maybe`), nil /* [|endofturn|] */}
	const eos = 8
	v := grammar.NewVocab(tokens, eos) // once per tokenizer

	st := g.Start() // once per generation
	var mask []uint64
	for {
		mask = st.Mask(v, mask)
		var allowed []int
		for id := range tokens {
			if mask[id/64]>>(id%64)&1 != 0 {
				allowed = append(allowed, id)
			}
		}
		fmt.Println("allowed:", allowed)
		id := allowed[len(allowed)-1] // a real sampler draws from the logits
		if err := st.AcceptToken(v, id); err != nil {
			fmt.Println(err)
			return
		}
		if id == eos {
			break
		}
	}
	// Output:
	// allowed: [0]
	// allowed: [1]
	// allowed: [2]
	// allowed: [3]
	// allowed: [4 5]
	// allowed: [6]
	// allowed: [8]
}

func ExampleCompileSchema_unsupported() {
	_, err := grammar.CompileSchema([]byte(`{"properties": {"when": {"type": "string", "format": "date-time"}}}`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, grammar.ErrUnsupported))
	// Output:
	// grammar: unsupported schema feature "format" at /properties/when
	// true
}

func ExampleState_Accept() {
	st := grammar.JSON().Start()
	fmt.Println(st.Accept([]byte(`{"a": [1, 2`)), st.CanEnd())
	fmt.Println(st.Accept([]byte(`]}`)), st.Done())
	fmt.Println(st.Accept([]byte(` `)))
	// Output:
	// <nil> false
	// <nil> true
	// grammar: not allowed by the grammar: byte ' ' at offset 0
}
