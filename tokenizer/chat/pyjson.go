package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// The official template serializes tools, tool-call arguments and tool
// results with transformers' `tojson`, which is Python's
// json.dumps(x, ensure_ascii=False): ", " and ": " separators, keys in their
// original order, non-ASCII kept, Python's float repr. appendPyJSON
// reproduces that from JSON text.

// node is a parsed JSON value that keeps object key order.
type node struct {
	kind  byte // '{', '[', '"', '0' (number), 'l' (literal true/false/null)
	text  string
	keys  []string
	items []node
}

func parseJSON(raw []byte) (node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := parseNode(dec)
	if err != nil {
		return node{}, err
	}
	if _, err := dec.Token(); err == nil {
		return node{}, fmt.Errorf("trailing data after JSON value")
	}
	return n, nil
}

func parseNode(dec *json.Decoder) (node, error) {
	tok, err := dec.Token()
	if err != nil {
		return node{}, err
	}
	switch v := tok.(type) {
	case json.Delim:
		n := node{kind: byte(v)}
		for dec.More() {
			var key string
			if v == '{' {
				kt, err := dec.Token()
				if err != nil {
					return node{}, err
				}
				k, ok := kt.(string)
				if !ok {
					return node{}, fmt.Errorf("object key %v is not a string", kt)
				}
				key = k
			}
			item, err := parseNode(dec)
			if err != nil {
				return node{}, err
			}
			if v == '{' {
				// A repeated key keeps its first place and its last
				// value, like a Python dict.
				if i := indexOf(n.keys, key); i >= 0 {
					n.items[i] = item
					continue
				}
				n.keys = append(n.keys, key)
			}
			n.items = append(n.items, item)
		}
		if _, err := dec.Token(); err != nil { // closing delimiter
			return node{}, err
		}
		return n, nil
	case string:
		return node{kind: '"', text: v}, nil
	case json.Number:
		return node{kind: '0', text: string(v)}, nil
	case bool:
		return node{kind: 'l', text: strconv.FormatBool(v)}, nil
	case nil:
		return node{kind: 'l', text: "null"}, nil
	}
	return node{}, fmt.Errorf("unexpected JSON token %v", tok)
}

func indexOf(keys []string, k string) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return -1
}

func appendNode(b []byte, n node) []byte {
	switch n.kind {
	case '{', '[':
		b = append(b, n.kind)
		for i, item := range n.items {
			if i > 0 {
				b = append(b, ", "...)
			}
			if n.kind == '{' {
				b = appendPyString(b, n.keys[i])
				b = append(b, ": "...)
			}
			b = appendNode(b, item)
		}
		return append(b, n.kind+2) // '{'+2 == '}', '['+2 == ']'
	case '"':
		return appendPyString(b, n.text)
	case '0':
		return append(b, pyNumber(n.text)...)
	}
	return append(b, n.text...)
}

// appendPyJSON appends raw JSON re-serialized the way Python's json.dumps
// writes it.
func appendPyJSON(b, raw []byte) ([]byte, error) {
	n, err := parseJSON(raw)
	if err != nil {
		return b, err
	}
	return appendNode(b, n), nil
}

// appendPyString writes s as json.dumps(s, ensure_ascii=False) does.
func appendPyString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// pyNumber renders a JSON number as Python prints the int or float that
// json.loads makes of it.
func pyNumber(lit string) string {
	if !strings.ContainsAny(lit, ".eE") {
		if strings.Trim(lit, "-0") == "" {
			return "0" // Python has no negative integer zero
		}
		return lit
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !math.IsInf(f, 0) {
		return lit
	}
	return pyFloat(f)
}

// pyFloat is Python's repr(float): shortest round-trip digits, positional
// unless the exponent is below -4 or at least 16, always with a '.' or 'e'.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±XX
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	digits := strings.Replace(mant, ".", "", 1)
	if f == 0 {
		e = 0
	}
	decpt := e + 1 // digits before the decimal point
	switch {
	case decpt > 16 || decpt < -3:
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := strconv.Itoa(abs(e))
		if len(es) < 2 {
			es = "0" + es
		}
		if e < 0 {
			return sign + m + "e-" + es
		}
		return sign + m + "e+" + es
	case decpt <= 0:
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	case decpt >= len(digits):
		return sign + digits + strings.Repeat("0", decpt-len(digits)) + ".0"
	}
	return sign + digits[:decpt] + "." + digits[decpt:]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// pyStrip is Python's str.strip(): Unicode whitespace plus the
// information separators U+001C..U+001F, which Python also counts.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
	})
}
