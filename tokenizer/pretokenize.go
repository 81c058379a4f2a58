package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// The GPT-2 split pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// needs look-ahead, which Go's regexp lacks, so it is written out as a
// scanner. Alternatives are tried in order like the regex (Oniguruma in
// `tokenizers`), whose \s is the Unicode White_Space set that
// unicode.IsSpace implements. Bytes that are not valid UTF-8 cannot reach
// `tokenizers` (Rust strings are valid); here each one counts as a symbol, so
// it joins the [^\s\p{L}\p{N}] class like U+FFFD would, and byte-level BPE
// still encodes it losslessly.

type charClass uint8

const (
	classOther charClass = iota
	classLetter
	classNumber
	classSpace
)

var asciiClass [128]charClass

func init() {
	for c := 0; c < 128; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			asciiClass[c] = classLetter
		case c >= '0' && c <= '9':
			asciiClass[c] = classNumber
		case unicode.IsSpace(rune(c)):
			asciiClass[c] = classSpace
		default:
			asciiClass[c] = classOther
		}
	}
}

// classAt returns the class of the character at s[i] and its length in bytes.
func classAt(s string, i int) (charClass, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && n <= 1:
		return classOther, 1
	case unicode.IsLetter(r):
		return classLetter, n
	case unicode.IsNumber(r):
		return classNumber, n
	case unicode.IsSpace(r):
		return classSpace, n
	}
	return classOther, n
}

// pieceEnd returns the end of the pre-token that starts at s[i] (i < len(s)).
func pieceEnd(s string, i int) int {
	if s[i] == '\'' && i+1 < len(s) {
		switch s[i+1] {
		case 's', 't', 'm', 'd':
			return i + 2
		case 'r':
			if i+2 < len(s) && s[i+2] == 'e' {
				return i + 3
			}
		case 'v':
			if i+2 < len(s) && s[i+2] == 'e' {
				return i + 3
			}
		case 'l':
			if i+2 < len(s) && s[i+2] == 'l' {
				return i + 3
			}
		}
	}
	cls, n := classAt(s, i)
	j := i
	if s[i] == ' ' && i+1 < len(s) {
		// " ?" takes the space only if the next character starts a
		// letter, number or symbol run; before whitespace it is part of a
		// whitespace run instead.
		if c2, n2 := classAt(s, i+1); c2 != classSpace {
			j, cls, n = i+1, c2, n2
		}
	}
	if cls != classSpace {
		j += n
		for j < len(s) {
			c, m := classAt(s, j)
			if c != cls {
				break
			}
			j += m
		}
		return j
	}
	// \s+(?!\S) and \s+: take the whole whitespace run if it reaches the end
	// of the text, otherwise leave its last character to start the next
	// piece (so " word" keeps its space), unless the run is one character.
	last := i
	for j < len(s) {
		c, m := classAt(s, j)
		if c != classSpace {
			break
		}
		last = j
		j += m
	}
	if j == len(s) || last == i {
		return j
	}
	return last
}
