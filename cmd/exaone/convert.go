package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/exaone-go/exaone/convert"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:      "convert",
		Usage:     "convert a Hugging Face EXAONE 4.0 checkpoint to GGUF",
		ArgsUsage: "<hf-dir> -o out.gguf [--type TYPE] [--force]",
		Description: "Reads config.json, the safetensors weights (sharded or not) and the tokenizer files of\n" +
			"<hf-dir> and writes a GGUF file llama.cpp can load. TYPE is one of " + strings.Join(convert.Presets(), ", ") + ";\n" +
			"the presets follow llama-quantize (norms stay F32, the LM head gets Q6_K in the quantized presets).",
		// Parsed by hand so that flags may follow the directory, as in the
		// documented usage (urfave/cli v2 stops at the first argument).
		SkipFlagParsing: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the GGUF to `FILE`"},
			&cli.StringFlag{Name: "type", Aliases: []string{"t"}, Value: "bf16", Usage: "tensor `TYPE` preset"},
			&cli.StringFlag{Name: "name", Usage: "general.name (default: the directory name)"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "overwrite an existing output file"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		},
		Action: runConvert,
	})
}

type convertArgs struct {
	dir, out, typ, name string
	force, quiet, help  bool
}

// parseConvertArgs accepts flags before and after the directory.
func parseConvertArgs(args []string) (*convertArgs, error) {
	a := &convertArgs{}
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, n := range []string{"o", "output"} {
		fs.StringVar(&a.out, n, "", "")
	}
	for _, n := range []string{"t", "type"} {
		fs.StringVar(&a.typ, n, "bf16", "")
	}
	fs.StringVar(&a.name, "name", "", "")
	for _, n := range []string{"f", "force"} {
		fs.BoolVar(&a.force, n, false, "")
	}
	for _, n := range []string{"q", "quiet"} {
		fs.BoolVar(&a.quiet, n, false, "")
	}
	for _, n := range []string{"h", "help"} {
		fs.BoolVar(&a.help, n, false, "")
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("convert: %w (see 'exaone convert --help')", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if a.help {
		return a, nil
	}
	switch {
	case len(pos) == 0:
		return nil, errors.New("convert: missing <hf-dir> (usage: exaone convert <hf-dir> -o out.gguf [--type TYPE] [--force])")
	case len(pos) > 1:
		return nil, fmt.Errorf("convert: unexpected argument %q", pos[1])
	case a.out == "":
		return nil, errors.New("convert: missing -o out.gguf")
	}
	a.dir = pos[0]
	return a, nil
}

func runConvert(c *cli.Context) error {
	a, err := parseConvertArgs(c.Args().Slice())
	if err != nil {
		return err
	}
	if a.help {
		return cli.ShowSubcommandHelp(c)
	}
	if err := checkOutputFile(a.out, a.force, "--force"); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	sc := catchSignals()
	defer sc.stop()
	opts := convert.Options{Type: a.typ, Name: a.name, Force: a.force, Context: sc.ctx}
	var bar *progressBar
	if !a.quiet && isTerminal(os.Stderr) {
		bar = &progressBar{w: os.Stderr, start: time.Now()}
	}
	opts.Progress = func(p convert.Progress) {
		if bar != nil {
			bar.update(p)
		}
		step()
	}
	start := time.Now()
	err = convert.ConvertDir(a.dir, a.out, opts)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		return sc.result("convert", err)
	}
	if !a.quiet {
		st, err := os.Stat(a.out)
		if err == nil {
			fmt.Fprintf(os.Stderr, "wrote %s (%s, %s) in %.1fs\n", a.out, strings.ToLower(a.typ), formatBytes(st.Size()), time.Since(start).Seconds())
		}
	}
	return nil
}

// isTerminal reports whether f is a terminal. (Not just a character
// device: /dev/zero on standard input is not someone typing.)
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// progressBar draws one self-overwriting line: bar, percentage, bytes,
// rate and the tensor being written.
type progressBar struct {
	w     io.Writer
	start time.Time
	last  time.Time
	drawn bool
}

func (b *progressBar) update(p convert.Progress) {
	now := time.Now()
	if now.Sub(b.last) < 100*time.Millisecond && p.Done < p.Total {
		return
	}
	b.last = now
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
	}
	const width = 30
	n := int(frac * width)
	rate := float64(p.Done) / max(now.Sub(b.start).Seconds(), 1e-3)
	name := p.Tensor
	if len(name) > 32 {
		name = name[:32]
	}
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %s / %s %s/s %d/%d %-32s",
		strings.Repeat("#", n), strings.Repeat(".", width-n), 100*frac,
		formatBytes(p.Done), formatBytes(p.Total), formatBytes(int64(rate)), p.Index+1, p.Count, name)
	b.drawn = true
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
