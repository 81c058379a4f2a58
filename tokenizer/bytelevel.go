package tokenizer

import "unicode/utf8"

// GPT-2 byte-level BPE stores every byte as a printable rune so that vocab
// entries are valid text: printable Latin-1 bytes stand for themselves and the
// rest (controls, space, NBSP, soft hyphen...) are shifted to U+0100 and up in
// byte order.
var (
	byteToRune [256]rune
	runeToByte = make(map[rune]byte, 256)
)

func init() {
	next := rune(256)
	for b := 0; b < 256; b++ {
		if (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = next
			next++
		}
		runeToByte[byteToRune[b]] = byte(b)
	}
}

// ByteLevelEncode maps raw bytes to their byte-level token form (e.g. " the"
// becomes "Ġthe").
func ByteLevelEncode(b []byte) string {
	out := make([]rune, len(b))
	for i, c := range b {
		out[i] = byteToRune[c]
	}
	return string(out)
}

// ByteLevelDecode maps a byte-level token string back to raw bytes. A rune
// outside the byte alphabet cannot come from the byte-level pre-tokenizer
// (only hand-added tokens hold one), so it is kept as its own UTF-8 bytes.
func ByteLevelDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if b, ok := runeToByte[r]; ok {
			out = append(out, b)
		} else {
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}
