package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/exaone-go/exaone/defaultmodel"
	"github.com/exaone-go/exaone/generate"
	"github.com/exaone-go/exaone/model"
	"github.com/exaone-go/exaone/tokenizer"
)

// loadedModel is a model file opened for evaluation with its tokenizer.
type loadedModel struct {
	path     string
	gm       *generate.Model
	m        *model.Model
	tk       *tokenizer.Tokenizer
	loadTime time.Duration
}

func (l *loadedModel) Close() { l.gm.Close() }

// loadModel opens path, or the embedded default model when path is empty,
// and checks up front what would otherwise fail deep inside the loader with
// a less helpful message.
func loadModel(path string) (*loadedModel, error) {
	start := time.Now()
	if path == "" {
		p, err := defaultmodel.Path()
		if err != nil {
			return nil, err
		}
		path = p
	}
	if err := checkInputFile(path, "model", false); err != nil {
		return nil, err
	}
	if !isGGUF(path) {
		return nil, fmt.Errorf("model %s is not a GGUF file", path)
	}
	gm, err := generate.Load(path)
	if err != nil {
		return nil, err
	}
	return &loadedModel{path: path, gm: gm, m: gm.Decoder(), tk: gm.Tokenizer(), loadTime: time.Since(start)}, nil
}

// oneLine keeps an error to a single line, as the command's whole report.
func oneLine(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	if !strings.ContainsAny(s, "\r\n") {
		return err
	}
	return errors.New(strings.Join(strings.Fields(s), " "))
}

// readText reads a prompt or evaluation text and refuses what cannot be
// text: a model that reads NUL bytes or broken UTF-8 produces garbage
// silently, so say so instead.
func readText(r io.Reader, name string) (string, error) {
	b, err := readLimited(r, name)
	if err != nil {
		return "", err
	}
	if err := checkText(b, name); err != nil {
		return "", err
	}
	return string(b), nil
}

func readTextFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: no such file", name)
		}
		return "", err
	}
	defer f.Close()
	return readText(f, name)
}

func checkText(b []byte, name string) error {
	switch {
	case len(strings.TrimSpace(string(b))) == 0:
		return fmt.Errorf("%s is empty", name)
	case strings.IndexByte(string(b), 0) >= 0:
		return fmt.Errorf("%s is binary (it holds NUL bytes), not text", name)
	case !utf8.Valid(b):
		return fmt.Errorf("%s is not valid UTF-8 text", name)
	}
	return nil
}
