package grammar

import (
	"math/rand/v2"
	"testing"
)

// syntheticVocab pads the test tokenizer's tokens to the 102,400 ids of
// EXAONE 4 with random tokens shaped like a byte-level BPE vocabulary:
// ASCII words with and without a leading space, Hangul syllables, digit
// runs, punctuation with quotes and brackets, and partial UTF-8 pieces.
func syntheticVocab(t testing.TB) ([][]byte, int) {
	real, eos := realTokens(t)
	tokens := append([][]byte(nil), real...)
	rng := rand.New(rand.NewPCG(7, 7))
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	const punct = "\"{}[],:.-_()'!?;\\/ \n"
	for len(tokens) < 102400 {
		var b []byte
		switch k := rng.IntN(10); {
		case k < 5: // word
			if rng.IntN(2) == 0 {
				b = append(b, ' ')
			}
			for range 1 + rng.IntN(10) {
				b = append(b, letters[rng.IntN(len(letters))])
			}
		case k < 8: // Hangul syllables
			if rng.IntN(3) == 0 {
				b = append(b, ' ')
			}
			for range 1 + rng.IntN(3) {
				b = append(b, string(rune(0xAC00+rng.IntN(11172)))...)
			}
		case k == 8: // digits and punctuation
			for range 1 + rng.IntN(4) {
				if rng.IntN(2) == 0 {
					b = append(b, byte('0'+rng.IntN(10)))
				} else {
					b = append(b, punct[rng.IntN(len(punct))])
				}
			}
		default: // a piece of a multi-byte character
			s := string(rune(0x80 + rng.IntN(0x10000-0x80)))
			b = append(b, s[:1+rng.IntN(len(s))]...)
		}
		tokens = append(tokens, b)
	}
	return tokens, eos
}

// BenchmarkMask times one mask over 102,400 tokens at typical states.
func BenchmarkMask(b *testing.B) {
	tokens, eos := syntheticVocab(b)
	v := NewVocab(tokens, eos)
	person, err := CompileSchema([]byte(testSchemas["person"]))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		g      *Grammar
		prefix string
	}{
		{"json/start", JSON(), ``},
		{"json/in-string", JSON(), `{"text": "The quick brown fox`},
		{"json/after-value", JSON(), `[1, "a"`},
		{"json/in-number", JSON(), `{"x": [12`},
		{"schema/object-start", person, `{`},
		{"schema/in-key", person, `{"name":"Al","a`},
		{"schema/in-string-maxLength", person, `{"name":"Al`},
		{"schema/in-integer", person, `{"name":"Al","age":1`},
		{"schema/in-enum", person, `{"name":"Al","age":1,"tags":["b`},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := c.g.Start()
			if err := s.Accept([]byte(c.prefix)); err != nil {
				b.Fatal(err)
			}
			m := s.Mask(v, nil)
			n := len(maskIDs(m))
			b.ResetTimer()
			for b.Loop() {
				m = s.Mask(v, m)
			}
			b.ReportMetric(float64(n), "allowed")
		})
	}
}

func BenchmarkNewVocab(b *testing.B) {
	tokens, eos := syntheticVocab(b)
	for b.Loop() {
		NewVocab(tokens, eos)
	}
}
