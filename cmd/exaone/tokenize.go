package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/exaone-go/exaone/defaultmodel"
	"github.com/exaone-go/exaone/gguf"
	"github.com/exaone-go/exaone/tokenizer"
)

func init() {
	commands = append(commands, &cli.Command{
		Name:      "tokenize",
		Usage:     "print the token ids of a text, like llama-tokenize",
		ArgsUsage: " ",
		Description: "The model is a GGUF file, a tokenizer.json or a Hugging Face model directory\n" +
			"(default: the bundled tiny-hybrid-kjv, as for run).\n" +
			"Special tokens written in the text (e.g. [|endofturn|]) are matched unless --no-parse-special.\n" +
			"No BOS is added.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "`FILE` (.gguf or tokenizer.json) or HF model directory (default: the bundled tiny-hybrid-kjv)"},
			&cli.StringFlag{Name: "prompt", Aliases: []string{"p"}, Usage: "`TEXT` to tokenize"},
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "read the text from `FILE` (- for standard input)"},
			&cli.BoolFlag{Name: "ids", Usage: "print only the ids, as a JSON list"},
			&cli.BoolFlag{Name: "no-parse-special", Usage: "treat special-token texts as plain text"},
		},
		Action: runTokenize,
	})
}

func runTokenize(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("tokenize: unexpected argument %q (give the text with -p or -f)", c.Args().First())
	}
	text, err := tokenizeInput(c)
	if err != nil {
		return err
	}
	path := c.String("model")
	if path == "" {
		if path, err = defaultmodel.Path(); err != nil {
			return err
		}
	}
	tk, err := loadTokenizer(path)
	if err != nil {
		return err
	}
	ids := tk.Encode(text, !c.Bool("no-parse-special"))
	w := bufio.NewWriter(c.App.Writer)
	if c.Bool("ids") {
		w.WriteByte('[')
		for i, id := range ids {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString(strconv.Itoa(id))
		}
		w.WriteString("]\n")
	} else {
		for _, id := range ids {
			// Raw bytes, as llama-tokenize prints them: a piece may be
			// part of a UTF-8 character.
			fmt.Fprintf(w, "%6d -> '%s'\n", id, tk.TokenBytes(id))
		}
	}
	return w.Flush()
}

func tokenizeInput(c *cli.Context) (string, error) {
	p, f := c.IsSet("prompt"), c.IsSet("file")
	switch {
	case p && f:
		return "", errors.New("tokenize: give either -p or -f, not both")
	case p:
		return c.String("prompt"), nil
	case f:
		name := c.String("file")
		if name == "-" {
			b, err := readLimited(c.App.Reader, "standard input")
			return string(b), err
		}
		f, err := os.Open(name)
		if err != nil {
			return "", fmt.Errorf("tokenize: %w", err)
		}
		defer f.Close()
		b, err := readLimited(f, name)
		return string(b), err
	}
	return "", errors.New("tokenize: no text: give -p TEXT or -f FILE")
}

// loadTokenizer opens a GGUF (recognised by its magic, whatever its name) or
// a Hugging Face tokenizer.json / model directory.
func loadTokenizer(path string) (*tokenizer.Tokenizer, error) {
	if err := checkInputFile(path, "model", true); err != nil {
		return nil, err
	}
	if isGGUF(path) {
		f, err := gguf.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close() // the tokenizer copies what it keeps
		return tokenizer.FromGGUF(f)
	}
	return tokenizer.FromFile(path)
}

func isGGUF(path string) bool {
	fd, err := os.Open(path)
	if err != nil {
		return strings.HasSuffix(strings.ToLower(path), ".gguf") // let gguf.Open report it
	}
	defer fd.Close()
	var magic [4]byte
	_, err = io.ReadFull(fd, magic[:])
	return err == nil && bytes.Equal(magic[:], []byte("GGUF"))
}
