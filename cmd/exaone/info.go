package main

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/exaone-go/exaone/asm"
	"github.com/exaone-go/exaone/gguf"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:      "info",
		Usage:     "show the metadata and tensors of a GGUF file, like gguf-dump",
		ArgsUsage: "file.gguf",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "array-items", Value: 8, Usage: "show at most `N` items of each array (0: all)"},
			&cli.BoolFlag{Name: "no-tensors", Usage: "metadata only"},
		},
		Action: runInfo,
	})
}

func runInfo(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("info: want one GGUF file, got %d arguments", c.NArg())
	}
	path := c.Args().First()
	if err := checkInputFile(path, "info:", false); err != nil {
		return err
	}
	f, err := gguf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return writeInfo(c.App.Writer, f, c.Int("array-items"), !c.Bool("no-tensors"))
}

func writeInfo(out io.Writer, f *gguf.File, items int, tensors bool) error {
	var total uint64
	for _, t := range f.Tensors {
		total += t.Size
	}
	fmt.Fprintf(out, "%s: GGUF v%d, %d metadata entries, %d tensors (%s of data), alignment %d\n\n",
		safeName(f.Path), f.Version, len(f.KVs), len(f.Tensors), formatBytes(int64(total)), f.Alignment)
	fmt.Fprintf(out, "kernels: %s (the CPU code path this machine uses)\n\n", asm.Path())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tTYPE\tVALUE")
	for _, kv := range f.KVs {
		typ := kv.Type.String()
		if kv.Type == gguf.TypeArray {
			typ = fmt.Sprintf("[%d]%s", reflect.ValueOf(kv.Value).Len(), kv.ElemType)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", safeName(kv.Key), typ, formatValue(kv.Value, items))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !tensors {
		return nil
	}
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tNAME\tTYPE\tSHAPE\tBYTES\tOFFSET")
	for i, t := range f.Tensors {
		dims := make([]string, len(t.Dims))
		for j, d := range t.Dims {
			dims[j] = strconv.FormatUint(d, 10)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\n", i, safeName(t.Name), t.Type, strings.Join(dims, " x "), t.Size, t.Offset)
	}
	return tw.Flush()
}

// formatValue renders a metadata value on one line; arrays show their
// first items, strings are quoted and cut at 80 characters.
func formatValue(v any, items int) string {
	switch x := v.(type) {
	case string:
		return quoteCut(x, 80)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return fmt.Sprint(v)
	}
	n := rv.Len()
	shown := n
	if items > 0 && n > items {
		shown = items
	}
	parts := make([]string, 0, shown+1)
	for i := range shown {
		parts = append(parts, formatValue(rv.Index(i).Interface(), items))
	}
	if shown < n {
		parts = append(parts, fmt.Sprintf("... %d more", n-shown))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func quoteCut(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("... (%d bytes)", len(s))
}

// safeName shows a key or tensor name as it is when it is plain text, and
// quoted (Go syntax) when it holds anything a terminal would interpret or
// that would break the table: control bytes, escape sequences, spaces,
// invalid UTF-8.
func safeName(s string) string {
	if s == "" || !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) || r == '"' {
			return strconv.Quote(s)
		}
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xc0 != 0x80 }
