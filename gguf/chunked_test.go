package gguf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/exaone-go/exaone/quant"
)

// writeSampleWith writes the sample file like writeSample, giving each
// tensor's data to put instead of WriteTensor.
func writeSampleWith(t *testing.T, path string, put func(w *Writer, name string, data []byte) error) {
	t.Helper()
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range sampleKVs() {
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range sampleTensors {
		if err := w.AddTensor(st.name, st.typ, st.dims); err != nil {
			t.Fatal(err)
		}
	}
	for i, st := range sampleTensors {
		size, _ := tensorSize(st.typ, st.dims)
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(j*7 + i) // writeSample's pattern
		}
		if err := put(w, st.name, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// Data given in pieces of any size, or read from a reader that returns a
// byte at a time, makes the same file as whole-tensor writes.
func TestChunkedWritesMatchWhole(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.gguf")
	writeSample(t, whole)
	want, _ := os.ReadFile(whole)
	for _, piece := range []int{1, 3, 7, 32, 1000} {
		path := filepath.Join(dir, "chunked.gguf")
		writeSampleWith(t, path, func(w *Writer, name string, data []byte) error {
			tw, err := w.BeginTensor(name)
			if err != nil {
				return err
			}
			if _, err := tw.Write(nil); err != nil { // an empty piece is no piece
				return err
			}
			for len(data) > 0 {
				k := min(piece, len(data))
				if n, err := tw.Write(data[:k]); err != nil || n != k {
					return errors.Join(err, io.ErrShortWrite)
				}
				data = data[k:]
			}
			return tw.Close()
		})
		if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
			t.Errorf("pieces of %d bytes: the file differs from whole-tensor writes", piece)
		}
	}
	path := filepath.Join(dir, "reader.gguf")
	writeSampleWith(t, path, func(w *Writer, name string, data []byte) error {
		return w.WriteTensorFrom(name, iotest.OneByteReader(bytes.NewReader(data)))
	})
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Error("WriteTensorFrom: the file differs from whole-tensor writes")
	}
}

// Too much or too little data, a failing reader, or a tensor left open
// fails the file with an error naming the file and the tensor, and
// leaves nothing behind.
func TestChunkedWriteErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	start := func() *Writer {
		t.Helper()
		w, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w.AddTensor("t1", quant.F32, []uint64{4})
		w.AddTensor("t2", quant.F32, []uint64{4})
		return w
	}
	for _, c := range []struct {
		name string
		want string // in the first error
		do   func(w *Writer) error
	}{
		{"long", "20 bytes of data, more than the 16 declared", func(w *Writer) error {
			tw, _ := w.BeginTensor("t1")
			if _, err := tw.Write(make([]byte, 12)); err != nil {
				return errors.New("unexpected: " + err.Error())
			}
			_, err := tw.Write(make([]byte, 8))
			return err
		}},
		{"short", "12 bytes of data, want 16", func(w *Writer) error {
			tw, _ := w.BeginTensor("t1")
			tw.Write(make([]byte, 12))
			return tw.Close()
		}},
		{"next before close", "tensor t2 begun before tensor t1 was finished", func(w *Writer) error {
			tw, _ := w.BeginTensor("t1")
			tw.Write(make([]byte, 16))
			_, err := w.BeginTensor("t2")
			return err
		}},
		{"whole while open", "tensor t2 begun before tensor t1 was finished", func(w *Writer) error {
			w.BeginTensor("t1")
			return w.WriteTensor("t2", make([]byte, 16))
		}},
		{"write after close", "tensor t1 written after its Close", func(w *Writer) error {
			tw, _ := w.BeginTensor("t1")
			tw.Write(make([]byte, 16))
			tw.Close()
			_, err := tw.Write(make([]byte, 1))
			return err
		}},
		{"close twice", "tensor t1 closed twice", func(w *Writer) error {
			tw, _ := w.BeginTensor("t1")
			tw.Write(make([]byte, 16))
			tw.Close()
			return tw.Close()
		}},
		{"open at Close", "tensor t1: only 4 of 16 bytes written", func(w *Writer) error {
			tw, _ := w.BeginTensor("t1")
			tw.Write(make([]byte, 4))
			return nil // Writer.Close reports it
		}},
		{"reader short", "tensor t1: the data ends after 15 of 16 bytes", func(w *Writer) error {
			return w.WriteTensorFrom("t1", bytes.NewReader(make([]byte, 15)))
		}},
		{"reader long", "tensor t1: the data is longer than the 16 bytes declared", func(w *Writer) error {
			return w.WriteTensorFrom("t1", bytes.NewReader(make([]byte, 17)))
		}},
		{"reader fails", "tensor t1: reading its data: boom", func(w *Writer) error {
			return w.WriteTensorFrom("t1", io.MultiReader(bytes.NewReader(make([]byte, 8)), iotest.ErrReader(errors.New("boom"))))
		}},
		{"out of order", "tensor t2 written out of order (expected t1)", func(w *Writer) error {
			_, err := w.BeginTensor("t2")
			return err
		}},
	} {
		w := start()
		err := c.do(w)
		cerr := w.Close()
		if err == nil {
			err = cerr
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line naming %s and %q", c.name, err, path, c.want)
		}
		if cerr == nil {
			t.Errorf("%s: Close succeeded", c.name)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%s: files left behind: %v", c.name, ents)
		}
	}
}
