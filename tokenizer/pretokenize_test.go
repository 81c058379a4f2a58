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

func TestByteLevel(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	enc := ByteLevelEncode(all)
	if got := ByteLevelDecode(enc); !slices.Equal(got, all) {
		t.Errorf("byte-level round trip of all bytes failed: %q", got)
	}
	// GPT-2's well-known forms: space Ġ, newline Ċ, tab ĉ, NBSP ł, soft hyphen Ń.
	for b, want := range map[byte]rune{' ': 'Ġ', '\n': 'Ċ', '\t': 'ĉ', 0xa0: 'ł', 0xad: 'Ń', 'a': 'a', 0xe9: 'é'} {
		if got := ByteLevelEncode([]byte{b}); got != string(want) {
			t.Errorf("ByteLevelEncode(%#x) = %q, want %q", b, got, want)
		}
	}
}
