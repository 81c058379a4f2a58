//go:build unix

package gguf

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// Create never replaces what is not a regular file: the rename would turn
// a FIFO (or /dev/full) into a regular file. A regular file is replaced.
func TestCreateRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.gguf")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFO here:", err)
	}
	sub := filepath.Join(dir, "d.gguf")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, sub} {
		w, err := Create(p)
		if !errors.Is(err, ErrNotRegular) {
			if w != nil {
				w.Abort()
			}
			t.Errorf("Create(%s): %v, want ErrNotRegular", p, err)
		}
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", st.Mode(), err)
	}
	reg := filepath.Join(dir, "r.gguf")
	os.WriteFile(reg, []byte("old"), 0o644)
	w, err := Create(reg)
	if err != nil {
		t.Fatal(err)
	}
	w.AddTensor("t", quant.F32, []uint64{4})
	if err := w.WriteTensor("t", make([]byte, 16)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if f, err := Open(reg); err != nil {
		t.Errorf("the regular file was not replaced by the GGUF: %v", err)
	} else {
		f.Close()
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Errorf("files in the directory: %v (a temp file left?)", ents)
	}
}
