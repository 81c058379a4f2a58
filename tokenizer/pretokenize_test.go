package tokenizer

import (
	"slices"
	"testing"
)

func split(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := pieceEnd(s, i)
		out = append(out, s[i:j])
		i = j
	}
	return out
}

// Splits worked out by hand from the regex's semantics (alternatives tried
// in order, greedy runs, \s+(?!\S) giving back one character), for cases
// the reference strings touch only in passing.
func TestSplitPattern(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"a  b", []string{"a", " ", " b"}},
		{"a \n b", []string{"a", " \n", " b"}},
		{"x\u3000y", []string{"x", "\u3000", "y"}},
		{"x \u3000y", []string{"x", " ", "\u3000", "y"}},
		{"\t\tword", []string{"\t", "\t", "word"}},
		{"end  ", []string{"end", "  "}},
		{"  \n", []string{"  \n"}},
		{" ", []string{" "}},
		{"'S", []string{"'", "S"}},
		{"'ss", []string{"'s", "s"}},
		{"'rex", []string{"'re", "x"}},
		{"'r", []string{"'", "r"}},
		{" 'll", []string{" '", "ll"}},
		{"don't", []string{"don", "'t"}},
		{"x'", []string{"x", "'"}},
		{"!'s", []string{"!'", "s"}},
		{" 123abc", []string{" 123", "abc"}},
		{"½x٣", []string{"½", "x", "٣"}},
		{"a\u0085b", []string{"a", "\u0085", "b"}},
		{"e\u0301 x", []string{"e", "\u0301", " x"}},
		{"🇰🇷!", []string{"🇰🇷!"}},
		{"\xffabc", []string{"\xff", "abc"}},
		{"a\xff\xfe!", []string{"a", "\xff\xfe!"}},
		{" \xff", []string{" \xff"}},
		{"a\u200bb", []string{"a", "\u200b", "b"}},
		{"한국어 텍스트", []string{"한국어", " 텍스트"}},
	}
	for _, c := range cases {
		if got := split(c.in); !slices.Equal(got, c.want) {
			t.Errorf("split(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
