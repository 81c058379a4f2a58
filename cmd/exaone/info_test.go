package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/quant"
)

// info shows key and tensor names holding escape sequences or control
// characters quoted, so a file cannot drive the terminal; plain names stay
// as they are.
func TestInfoQuotesNames(t *testing.T) {
	p := filepath.Join(t.TempDir(), "evil.gguf")
	w, err := gguf.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const evilKey, evilTensor = "evil\x1b[2J\x1b]0;pwned\x07", "t\x1b[31mred\rname"
	for _, kv := range []struct {
		k string
		v any
	}{{"general.architecture", "exaone4"}, {evilKey, "v\x1b[0m"}, {"bad utf8 \xff", uint32(1)}} {
		if err := w.SetKV(kv.k, kv.v); err != nil {
			t.Fatal(err)
		}
	}
	names := []string{"plain.weight", evilTensor}
	for _, name := range names {
		if err := w.AddTensor(name, quant.F32, []uint64{4}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range names {
		if err := w.WriteTensor(name, make([]byte, 16)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := exaone(t, "", "info", p)
	r.ok(t)
	if strings.ContainsAny(r.stdout, "\x1b\x07\r\xff") {
		t.Errorf("raw control bytes in the output:\n%q", r.stdout)
	}
	for _, want := range []string{strconv.Quote(evilKey), strconv.Quote(evilTensor), strconv.Quote("bad utf8 \xff"), "\n0  plain.weight ", "general.architecture "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in:\n%s", want, r.stdout)
		}
	}
}

func TestProcessEscapes(t *testing.T) {
	cases := []struct{ in, want string }{
		{`a\nb\tc\\d\'e\"f`, "a\nb\tc\\d'e\"f"},
		{`\x41\x7a\xZZ`, `Az\xZZ`},
		{`\q stays, so does a trailing \`, `\q stays, so does a trailing \`},
		{`\r\a\b\f\v`, "\r\a\b\f\v"},
		{"no escapes", "no escapes"},
	}
	for _, c := range cases {
		if got := processEscapes(c.in); got != c.want {
			t.Errorf("processEscapes(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
