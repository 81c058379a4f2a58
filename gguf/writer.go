package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/exaone-go/exaone/quant"
)

// Writer streams a GGUF file: declare metadata and tensors, then write the
// tensors' data one at a time in declaration order. Nothing appears at the
// target path until Close succeeds.
type Writer struct {
	path      string
	tmp       *os.File
	bw        *bufio.Writer
	kvs       []KV
	keys      map[string]bool
	tensors   []TensorInfo
	names     map[string]bool
	alignment uint64
	next      int           // index of the next tensor to write
	open      *TensorWriter // the tensor being written, if any
	started   bool          // header written
	pos       uint64
	err       error
}

// ErrNotRegular is wrapped by Create's error when path exists and is not a
// regular file (a device, FIFO, socket or directory).
var ErrNotRegular = errors.New("not a regular file")

// Create starts a GGUF file that will be renamed to path on Close. The
// temporary file lives in path's directory so the rename is atomic. An
// existing path is replaced only if it is a regular file (or a link to
// one): the rename would otherwise turn a device node or a FIFO into a
// regular file. Callers decide whether replacing a file is wanted.
func Create(path string) (*Writer, error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("gguf: create %s: %w (%s); only a regular file is replaced", path, ErrNotRegular, kindOf(st.Mode()))
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("gguf: create %s: %w", path, err)
	}
	return &Writer{
		path: path, tmp: tmp, bw: bufio.NewWriterSize(tmp, 1<<20),
		keys: map[string]bool{}, names: map[string]bool{}, alignment: DefaultAlignment,
	}, nil
}

// SetKV adds a metadata entry. v must be one of the scalar Go types of KV or
// a slice of them. general.alignment (u32, a power of two) also sets the
// data alignment. Keys must be unique.
func (w *Writer) SetKV(key string, v any) error {
	if w.started {
		return fmt.Errorf("gguf: %s: metadata %s added after tensor data", w.path, key)
	}
	if w.keys[key] {
		return fmt.Errorf("gguf: %s: duplicate metadata key %s", w.path, key)
	}
	t, et, err := typeOf(v)
	if err != nil {
		return fmt.Errorf("gguf: %s: metadata %s: %w", w.path, key, err)
	}
	if key == "general.alignment" {
		a, ok := v.(uint32)
		if !ok || a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("gguf: %s: general.alignment must be a power-of-two uint32, got %v", w.path, v)
		}
		w.alignment = uint64(a)
	}
	w.keys[key] = true
	w.kvs = append(w.kvs, KV{Key: key, Type: t, ElemType: et, Value: v})
	return nil
}

// AddTensor declares a tensor; dims are in ggml order (dims[0] = row length).
func (w *Writer) AddTensor(name string, t quant.Type, dims []uint64) error {
	if w.started {
		return fmt.Errorf("gguf: %s: tensor %s declared after tensor data", w.path, name)
	}
	if w.names[name] {
		return fmt.Errorf("gguf: %s: duplicate tensor %s", w.path, name)
	}
	size, err := tensorSize(t, dims)
	if err != nil {
		return fmt.Errorf("gguf: %s: tensor %s: %w", w.path, name, err)
	}
	w.names[name] = true
	w.tensors = append(w.tensors, TensorInfo{Name: name, Dims: append([]uint64(nil), dims...), Type: t, Size: size})
	return nil
}

// WriteTensor writes the data of the next declared tensor, which must be
// name, and pads it to the alignment.
func (w *Writer) WriteTensor(name string, data []byte) error {
	tw, err := w.BeginTensor(name)
	if err != nil {
		return err
	}
	if uint64(len(data)) != tw.t.Size {
		// Checked before any byte is written so that the message is the
		// same whole-tensor one as ever.
		return w.setErr(fmt.Errorf("gguf: %s: tensor %s: %d bytes of data, want %d", w.path, name, len(data), tw.t.Size))
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	return tw.Close()
}

// TensorWriter takes the data of one tensor in pieces of any size, so that
// a tensor larger than memory can be produced a block of rows at a time.
// It is obtained from BeginTensor and must be closed before the next tensor
// is begun or the Writer is closed.
type TensorWriter struct {
	w *Writer
	t *TensorInfo
	n uint64 // bytes written so far
}

// BeginTensor starts the data of the next declared tensor, which must be
// name. Its bytes are then given to the TensorWriter's Write, in order, and
// its Close checks that exactly the declared size came and pads to the
// alignment. Any error, here or in the TensorWriter, fails the whole file:
// Close then removes the temporary file.
func (w *Writer) BeginTensor(name string) (*TensorWriter, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.open != nil {
		return nil, w.setErr(fmt.Errorf("gguf: %s: tensor %s begun before tensor %s was finished", w.path, name, w.open.t.Name))
	}
	if !w.started {
		if err := w.writeHeader(); err != nil {
			return nil, w.setErr(err)
		}
	}
	if w.next >= len(w.tensors) {
		return nil, w.setErr(fmt.Errorf("gguf: %s: tensor %s was not declared (or written twice)", w.path, name))
	}
	t := &w.tensors[w.next]
	if t.Name != name {
		return nil, w.setErr(fmt.Errorf("gguf: %s: tensor %s written out of order (expected %s)", w.path, name, t.Name))
	}
	w.open = &TensorWriter{w: w, t: t}
	return w.open, nil
}

// Write appends p to the tensor's data. More bytes than the tensor's
// declared size are refused (and nothing of p is written).
func (tw *TensorWriter) Write(p []byte) (int, error) {
	w := tw.w
	if w.err != nil {
		return 0, w.err
	}
	if w.open != tw {
		return 0, w.setErr(fmt.Errorf("gguf: %s: tensor %s written after its Close", w.path, tw.t.Name))
	}
	if uint64(len(p)) > tw.t.Size-tw.n {
		return 0, w.setErr(fmt.Errorf("gguf: %s: tensor %s: %d bytes of data, more than the %d declared", w.path, tw.t.Name, tw.n+uint64(len(p)), tw.t.Size))
	}
	if _, err := w.bw.Write(p); err != nil {
		return 0, w.setErr(fmt.Errorf("gguf: write %s: %w", w.path, err))
	}
	tw.n += uint64(len(p))
	w.pos += uint64(len(p))
	return len(p), nil
}

// Close ends the tensor: it fails if fewer bytes than the declared size
// were written, and pads the data to the alignment.
func (tw *TensorWriter) Close() error {
	w := tw.w
	if w.err != nil {
		return w.err
	}
	if w.open != tw {
		return w.setErr(fmt.Errorf("gguf: %s: tensor %s closed twice", w.path, tw.t.Name))
	}
	if tw.n != tw.t.Size {
		return w.setErr(fmt.Errorf("gguf: %s: tensor %s: %d bytes of data, want %d", w.path, tw.t.Name, tw.n, tw.t.Size))
	}
	if err := w.pad(); err != nil {
		return w.setErr(err)
	}
	w.open = nil
	w.next++
	return nil
}

// WriteTensorFrom writes the data of the next declared tensor, which must
// be name, from r, which must hold exactly the tensor's size: it is copied
// through a small buffer, never held whole.
func (w *Writer) WriteTensorFrom(name string, r io.Reader) error {
	tw, err := w.BeginTensor(name)
	if err != nil {
		return err
	}
	buf := make([]byte, min(max(tw.t.Size, 1), 1<<20)) // CopyBuffer refuses an empty buffer
	n, err := io.CopyBuffer(tw, io.LimitReader(r, int64(tw.t.Size)), buf)
	if w.err != nil {
		return w.err
	}
	if err != nil {
		return w.setErr(fmt.Errorf("gguf: %s: tensor %s: reading its data: %v", w.path, name, err))
	}
	if uint64(n) < tw.t.Size {
		return w.setErr(fmt.Errorf("gguf: %s: tensor %s: the data ends after %d of %d bytes", w.path, name, n, tw.t.Size))
	}
	// One byte more tells that the reader held more than the tensor.
	var extra [1]byte
	if k, _ := io.ReadFull(r, extra[:]); k > 0 {
		return w.setErr(fmt.Errorf("gguf: %s: tensor %s: the data is longer than the %d bytes declared", w.path, name, tw.t.Size))
	}
	return tw.Close()
}

// Close finishes the file: it checks every tensor was written, flushes,
// fsyncs and renames the temporary file over the target path. On any error
// the temporary file is removed.
func (w *Writer) Close() error {
	if w.err != nil {
		w.Abort()
		return w.err
	}
	if !w.started {
		if err := w.writeHeader(); err != nil {
			w.Abort()
			return err
		}
	}
	if w.open != nil {
		w.Abort()
		return fmt.Errorf("gguf: %s: tensor %s: only %d of %d bytes written", w.path, w.open.t.Name, w.open.n, w.open.t.Size)
	}
	if w.next != len(w.tensors) {
		w.Abort()
		return fmt.Errorf("gguf: %s: only %d of %d tensors written", w.path, w.next, len(w.tensors))
	}
	err := w.bw.Flush()
	if err == nil {
		// CreateTemp makes the file 0600; a model file is as readable as
		// any other file the user writes.
		err = w.tmp.Chmod(os.FileMode(0o644 &^ procUmask))
	}
	if err == nil {
		err = w.tmp.Sync()
	}
	if cerr := w.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmp.Name(), w.path)
	}
	if err != nil {
		os.Remove(w.tmp.Name())
		return fmt.Errorf("gguf: write %s: %w", w.path, err)
	}
	w.err = errors.New("gguf: writer closed")
	return nil
}

// Abort discards the temporary file. It is safe to call after Close.
func (w *Writer) Abort() {
	if w.tmp != nil {
		w.tmp.Close()
		os.Remove(w.tmp.Name())
		w.tmp = nil
	}
	if w.err == nil {
		w.err = errors.New("gguf: writer aborted")
	}
}

// kindOf names what a non-regular file is, for messages.
func kindOf(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

func (w *Writer) setErr(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

func (w *Writer) pad() error {
	n := alignUp(w.pos, w.alignment) - w.pos
	var zero [64]byte
	for n > 0 {
		k := min(n, uint64(len(zero)))
		if _, err := w.bw.Write(zero[:k]); err != nil {
			return fmt.Errorf("gguf: write %s: %w", w.path, err)
		}
		n -= k
		w.pos += k
	}
	return nil
}

// writeHeader writes everything before the data section; tensor offsets are
// the running sum of aligned sizes, which is what llama.cpp requires.
func (w *Writer) writeHeader() error {
	w.started = true
	e := &encoder{}
	e.b = append(e.b, Magic...)
	e.u32(Version)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.kvs)))
	for _, kv := range w.kvs {
		e.str(kv.Key)
		e.u32(uint32(kv.Type))
		e.value(kv.Value)
	}
	off := uint64(0)
	for i := range w.tensors {
		t := &w.tensors[i]
		t.Offset = off
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(t.Offset)
		off = alignUp(off+t.Size, w.alignment)
	}
	if _, err := w.bw.Write(e.b); err != nil {
		return fmt.Errorf("gguf: write %s: %w", w.path, err)
	}
	w.pos = uint64(len(e.b))
	if err := w.pad(); err != nil {
		return err
	}
	// Offsets count from the start of the data section.
	w.pos = 0
	return nil
}

// typeOf maps a Go value to its GGUF value type (and element type for
// slices).
func typeOf(v any) (ValueType, ValueType, error) {
	switch x := v.(type) {
	case uint8:
		return TypeUint8, 0, nil
	case int8:
		return TypeInt8, 0, nil
	case uint16:
		return TypeUint16, 0, nil
	case int16:
		return TypeInt16, 0, nil
	case uint32:
		return TypeUint32, 0, nil
	case int32:
		return TypeInt32, 0, nil
	case float32:
		return TypeFloat32, 0, nil
	case bool:
		return TypeBool, 0, nil
	case string:
		return TypeString, 0, nil
	case uint64:
		return TypeUint64, 0, nil
	case int64:
		return TypeInt64, 0, nil
	case float64:
		return TypeFloat64, 0, nil
	case []uint8:
		return TypeArray, TypeUint8, nil
	case []int8:
		return TypeArray, TypeInt8, nil
	case []uint16:
		return TypeArray, TypeUint16, nil
	case []int16:
		return TypeArray, TypeInt16, nil
	case []uint32:
		return TypeArray, TypeUint32, nil
	case []int32:
		return TypeArray, TypeInt32, nil
	case []float32:
		return TypeArray, TypeFloat32, nil
	case []bool:
		return TypeArray, TypeBool, nil
	case []string:
		return TypeArray, TypeString, nil
	case []uint64:
		return TypeArray, TypeUint64, nil
	case []int64:
		return TypeArray, TypeInt64, nil
	case []float64:
		return TypeArray, TypeFloat64, nil
	case []any:
		for i, el := range x {
			if t, _, err := typeOf(el); err != nil || t != TypeArray {
				return 0, 0, fmt.Errorf("element %d of []any must be an array", i)
			}
		}
		return TypeArray, TypeArray, nil
	}
	return 0, 0, fmt.Errorf("unsupported value type %T", v)
}

type encoder struct{ b []byte }

func (e *encoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) str(s string) { e.u64(uint64(len(s))); e.b = append(e.b, s...) }

func (e *encoder) value(v any) {
	le := binary.LittleEndian
	switch x := v.(type) {
	case uint8:
		e.b = append(e.b, x)
	case int8:
		e.b = append(e.b, byte(x))
	case bool:
		e.b = append(e.b, b2u(x))
	case uint16:
		e.b = le.AppendUint16(e.b, x)
	case int16:
		e.b = le.AppendUint16(e.b, uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case string:
		e.str(x)
	default:
		_, et, _ := typeOf(v)
		e.u32(uint32(et))
		switch s := v.(type) {
		case []uint8:
			e.u64(uint64(len(s)))
			e.b = append(e.b, s...)
		case []int8:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.value(y)
			}
		case []uint16:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.value(y)
			}
		case []int16:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.value(y)
			}
		case []uint32:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.value(y)
			}
		case []int32:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.value(y)
			}
		case []float32:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.value(y)
			}
		case []bool:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.value(y)
			}
		case []string:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.str(y)
			}
		case []uint64:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.value(y)
			}
		case []int64:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.value(y)
			}
		case []float64:
			e.u64(uint64(len(s)))
			for _, y := range s {
				e.value(y)
			}
		case []any:
			e.u64(uint64(len(s)))
			for _, y := range s {
				// Nested arrays repeat their element type and count.
				e.value(y)
			}
		}
	}
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// procUmask is read once at start, before other goroutines create files,
// because reading it means setting it.
var procUmask = umask()
