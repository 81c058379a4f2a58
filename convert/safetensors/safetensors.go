// Package safetensors reads Hugging Face safetensors checkpoints, single
// files or sharded through model.safetensors.index.json, one tensor at a
// time. Headers are treated as hostile: every length, shape and offset is
// checked against the file before anything is allocated or read.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"path"
	"sort"
	"strings"
)

// MaxHeaderBytes bounds the JSON header; the reference implementation uses
// the same 100 MB limit, far above what any real checkpoint needs.
const MaxHeaderBytes = 100 << 20

// maxDims bounds the rank of a tensor; real checkpoints use at most 5.
const maxDims = 8

// DType is a safetensors element type name ("BF16", "F16", "F32", ...).
type DType string

// Element types that Float32s can convert.
const (
	BF16 DType = "BF16"
	F16  DType = "F16"
	F32  DType = "F32"
)

// dtypeSizes lists every dtype of the safetensors format with its element
// size, so that headers of checkpoints holding other types still parse;
// the converter refuses them when it needs their values.
var dtypeSizes = map[DType]int64{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// Size returns the byte size of one element, or 0 for an unknown dtype.
func (d DType) Size() int64 { return dtypeSizes[d] }

// TensorInfo describes one tensor of a safetensors file.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int64 // PyTorch order: last dimension contiguous
	// Begin and End are byte offsets relative to the start of the data
	// section (after the header), as in the file.
	Begin, End int64
}

// NumElements returns the product of the shape (1 for a scalar).
func (t *TensorInfo) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Header is a parsed, validated safetensors header.
type Header struct {
	Tensors  []TensorInfo // sorted by Begin
	Metadata map[string]string
}

// ParseHeader parses the JSON header of a file whose data section holds
// dataSize bytes. It checks that every tensor has a known dtype, a sane
// shape, offsets inside the data whose length matches shape and dtype, and
// that tensors neither overlap nor leave holes (as the format requires).
func ParseHeader(js []byte, dataSize int64) (*Header, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	h := &Header{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("header: expected a tensor name, got %v", tok)
		}
		if seen[name] {
			return nil, fmt.Errorf("header: tensor %q appears twice", name)
		}
		seen[name] = true
		if name == "__metadata__" {
			var md map[string]string
			if err := dec.Decode(&md); err != nil {
				return nil, fmt.Errorf("header: __metadata__: must map strings to strings: %w", err)
			}
			h.Metadata = md
			continue
		}
		var raw struct {
			DType       *string       `json:"dtype"`
			Shape       []json.Number `json:"shape"`
			DataOffsets []json.Number `json:"data_offsets"`
		}
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("header: tensor %q: %w", name, err)
		}
		t, err := checkTensor(name, raw.DType, raw.Shape, raw.DataOffsets, dataSize)
		if err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		h.Tensors = append(h.Tensors, t)
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	// Only padding may follow the object (writers pad with spaces).
	rest := js[dec.InputOffset():]
	if len(bytes.Trim(rest, " \t\r\n\x00")) != 0 {
		return nil, errors.New("header: trailing bytes after the JSON object")
	}
	sort.SliceStable(h.Tensors, func(i, j int) bool {
		a, b := &h.Tensors[i], &h.Tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.End < b.End
	})
	// Tensors must tile the data section exactly: an overlap would let two
	// names alias the same bytes and a hole means the header lies.
	pos := int64(0)
	for i := range h.Tensors {
		t := &h.Tensors[i]
		if t.Begin < pos {
			return nil, fmt.Errorf("header: tensor %q: data_offsets [%d, %d] overlap tensor %q", t.Name, t.Begin, t.End, h.Tensors[i-1].Name)
		}
		if t.Begin > pos {
			return nil, fmt.Errorf("header: tensor %q: data_offsets begin %d leaves a hole after offset %d", t.Name, t.Begin, pos)
		}
		pos = t.End
	}
	if pos != dataSize {
		return nil, fmt.Errorf("header: tensors cover %d bytes of a %d-byte data section", pos, dataSize)
	}
	return h, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("expected %q, got %v", d, tok)
	}
	return nil
}

func parseInt(n json.Number) (int64, bool) {
	v, err := n.Int64()
	return v, err == nil && v >= 0
}

func checkTensor(name string, dtype *string, shape, offs []json.Number, dataSize int64) (TensorInfo, error) {
	t := TensorInfo{Name: name}
	if dtype == nil {
		return t, fmt.Errorf("tensor %q: field dtype is missing", name)
	}
	t.DType = DType(*dtype)
	size := t.DType.Size()
	if size == 0 {
		return t, fmt.Errorf("tensor %q: unknown dtype %q", name, *dtype)
	}
	if shape == nil {
		return t, fmt.Errorf("tensor %q: field shape is missing", name)
	}
	if len(shape) > maxDims {
		return t, fmt.Errorf("tensor %q: shape has %d dimensions (at most %d)", name, len(shape), maxDims)
	}
	// The product is bounded by the data size, so an absurd shape fails
	// here instead of overflowing later.
	n := uint64(1)
	overflow := false
	for i, s := range shape {
		d, ok := parseInt(s)
		if !ok {
			return t, fmt.Errorf("tensor %q: shape[%d] = %s is not a non-negative integer", name, i, s)
		}
		t.Shape = append(t.Shape, d)
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			overflow = true
		}
		n = lo
	}
	if len(offs) != 2 {
		return t, fmt.Errorf("tensor %q: field data_offsets must hold 2 integers, has %d", name, len(offs))
	}
	var ok1, ok2 bool
	t.Begin, ok1 = parseInt(offs[0])
	t.End, ok2 = parseInt(offs[1])
	if !ok1 || !ok2 {
		return t, fmt.Errorf("tensor %q: data_offsets %v are not non-negative integers", name, offs)
	}
	if t.Begin > t.End || t.End > dataSize {
		return t, fmt.Errorf("tensor %q: data_offsets [%d, %d] outside the %d-byte data section", name, t.Begin, t.End, dataSize)
	}
	hi, want := bits.Mul64(n, uint64(size))
	if overflow || hi != 0 || want != uint64(t.End-t.Begin) {
		return t, fmt.Errorf("tensor %q: shape %v of %s needs %s bytes but data_offsets [%d, %d] hold %d", name, t.Shape, t.DType, byteCount(overflow || hi != 0, want), t.Begin, t.End, t.End-t.Begin)
	}
	return t, nil
}

func byteCount(overflow bool, n uint64) string {
	if overflow {
		return "more than 2^64"
	}
	return fmt.Sprint(n)
}

// File is one open safetensors file.
type File struct {
	Name string // path within its file system, for error messages
	Header
	size      int64
	dataStart int64
	r         io.ReaderAt
	c         io.Closer
	byName    map[string]int
}

// readerAt adapts an fs.File that can only seek; embed.FS and os files
// implement io.ReaderAt directly.
type seekReaderAt struct{ rs io.ReadSeeker }

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(s.rs, p)
}

// Open opens and validates the safetensors file name in fsys.
func Open(fsys fs.FS, name string) (*File, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors %s: %w", name, err)
	}
	var r io.ReaderAt
	switch v := f.(type) {
	case io.ReaderAt:
		r = v
	case io.ReadSeeker:
		r = &seekReaderAt{v}
	default:
		f.Close()
		return nil, fmt.Errorf("safetensors %s: file system gives neither ReadAt nor Seek", name)
	}
	sf, err := NewFile(r, st.Size(), name)
	if err != nil {
		f.Close()
		return nil, err
	}
	sf.c = f
	return sf, nil
}

// NewFile reads and validates the header of a safetensors file of the
// given size read through r. name is used in error messages.
func NewFile(r io.ReaderAt, size int64, name string) (*File, error) {
	var lb [8]byte
	if size < 8 {
		return nil, fmt.Errorf("safetensors %s: file of %d bytes is too short for the 8-byte header length", name, size)
	}
	if _, err := r.ReadAt(lb[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors %s: reading header length: %w", name, err)
	}
	hl := binary.LittleEndian.Uint64(lb[:])
	if hl > MaxHeaderBytes {
		return nil, fmt.Errorf("safetensors %s: header length %d exceeds the %d-byte limit", name, hl, MaxHeaderBytes)
	}
	if hl > uint64(size-8) {
		return nil, fmt.Errorf("safetensors %s: header length %d exceeds the %d bytes after it in the file", name, hl, size-8)
	}
	js := make([]byte, hl)
	if _, err := r.ReadAt(js, 8); err != nil {
		return nil, fmt.Errorf("safetensors %s: reading header: %w", name, err)
	}
	dataStart := 8 + int64(hl)
	h, err := ParseHeader(js, size-dataStart)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", name, err)
	}
	f := &File{Name: name, Header: *h, size: size, dataStart: dataStart, r: r, byName: map[string]int{}}
	for i, t := range f.Tensors {
		f.byName[t.Name] = i
	}
	return f, nil
}

// Close closes the underlying file.
func (f *File) Close() error {
	if f.c == nil {
		return nil
	}
	return f.c.Close()
}

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.byName[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// ReadRaw reads the bytes of t (a tensor of f) into dst, which must hold
// exactly End-Begin bytes.
func (f *File) ReadRaw(t *TensorInfo, dst []byte) error {
	if int64(len(dst)) != t.End-t.Begin {
		return fmt.Errorf("safetensors %s: tensor %q: buffer of %d bytes for %d bytes of data", f.Name, t.Name, len(dst), t.End-t.Begin)
	}
	n, err := f.r.ReadAt(dst, f.dataStart+t.Begin)
	if n == len(dst) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("safetensors %s: tensor %q: reading %d bytes at offset %d: %w", f.Name, t.Name, len(dst), f.dataStart+t.Begin, err)
}

// ReadFloat32 reads t (BF16, F16 or F32) into dst, converting to float32
// exactly, and fails with ErrNonFinite if a value is NaN or infinite;
// len(dst) must equal the element count. buf is scratch space
// reused between calls (may be nil); the possibly grown buffer is returned.
func (f *File) ReadFloat32(t *TensorInfo, dst []float32, buf []byte) ([]byte, error) {
	if int64(len(dst)) != t.NumElements() {
		return buf, fmt.Errorf("safetensors %s: tensor %q: %d floats for %d elements", f.Name, t.Name, len(dst), t.NumElements())
	}
	return f.ReadFloat32At(t, 0, dst, buf)
}

// ReadFloat32At reads elements [first, first+len(dst)) of t, so that a big
// tensor can be streamed in pieces. See ReadFloat32.
func (f *File) ReadFloat32At(t *TensorInfo, first int64, dst []float32, buf []byte) ([]byte, error) {
	size := t.DType.Size()
	if t.DType != BF16 && t.DType != F16 && t.DType != F32 {
		return buf, fmt.Errorf("safetensors %s: tensor %q: dtype %s is not supported (BF16, F16, F32 are)", f.Name, t.Name, t.DType)
	}
	if first < 0 || first > t.NumElements() || int64(len(dst)) > t.NumElements()-first {
		return buf, fmt.Errorf("safetensors %s: tensor %q: elements [%d, %d) out of range", f.Name, t.Name, first, first+int64(len(dst)))
	}
	nb := len(dst) * int(size)
	if cap(buf) < nb {
		buf = make([]byte, nb)
	}
	buf = buf[:nb]
	off := f.dataStart + t.Begin + first*size
	n, err := f.r.ReadAt(buf, off)
	if n != nb {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return buf, fmt.Errorf("safetensors %s: tensor %q: reading %d bytes at offset %d: %w", f.Name, t.Name, nb, off, err)
	}
	// Adding one to the exponent field carries into the bit above it only
	// for an all-ones exponent (NaN, Inf): OR-ing those sums checks every
	// value without a branch in the loop.
	var carry uint32
	switch t.DType {
	case BF16:
		for i := range dst {
			u := uint32(binary.LittleEndian.Uint16(buf[2*i:]))
			carry |= u&0x7f80 + 0x80
			dst[i] = math.Float32frombits(u << 16)
		}
		carry &= 0x8000
	case F16:
		for i := range dst {
			u := binary.LittleEndian.Uint16(buf[2*i:])
			carry |= uint32(u&0x7c00) + 0x400
			dst[i] = f16ToF32(u)
		}
		carry &= 0x8000
	case F32:
		for i := range dst {
			u := binary.LittleEndian.Uint32(buf[4*i:])
			carry |= u&0x7f800000>>1 + 0x400000
			dst[i] = math.Float32frombits(u)
		}
		carry &= 0x40000000
	}
	if carry != 0 {
		for i, v := range dst {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return buf, fmt.Errorf("safetensors %s: tensor %q: element %d is %v: %w", f.Name, t.Name, first+int64(i), v, ErrNonFinite)
			}
		}
	}
	return buf, nil
}

// ErrNonFinite reports a NaN or infinite value in a tensor: no trained
// weight holds one, and quantizers would silently turn it into a finite
// number. ReadFloat32At still fills dst when it returns it.
var ErrNonFinite = errors.New("value is not finite")

// f16ToF32 widens an IEEE half exactly (every half is a float32).
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, nan
		return math.Float32frombits(sign | 0xff<<23 | man<<13)
	case exp == 0 && man == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: value = man * 2^-24
		v := float32(man) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// ReadFileLimit reads a small file (JSON) of fsys, refusing one larger than
// limit bytes before reading it, so a hostile file cannot make us allocate
// its size.
func ReadFileLimit(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes is more than the %d this file may have", name, st.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: more than the %d bytes this file may have", name, limit)
	}
	return b, nil
}

// Model is a checkpoint made of one or more safetensors files.
type Model struct {
	Files   []*File
	tensors map[string]modelTensor
	names   []string
}

type modelTensor struct {
	file *File
	info *TensorInfo
}

// IndexName is the file listing the shards of a sharded checkpoint.
const IndexName = "model.safetensors.index.json"

// OpenModel opens the checkpoint in directory dir of fsys: the shards
// listed by model.safetensors.index.json if present, else
// model.safetensors. Every tensor the index names must be in the shard it
// names; a tensor present in two shards is an error.
func OpenModel(fsys fs.FS, dir string) (*Model, error) {
	idxPath := path.Join(dir, IndexName)
	var shards []string
	var weightMap map[string]string
	idx, err := ReadFileLimit(fsys, idxPath, 64<<20)
	switch {
	case err == nil:
		var ix struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(idx, &ix); err != nil {
			return nil, fmt.Errorf("safetensors index %s: %w", idxPath, err)
		}
		if len(ix.WeightMap) == 0 {
			return nil, fmt.Errorf("safetensors index %s: field weight_map is missing or empty", idxPath)
		}
		weightMap = ix.WeightMap
		seen := map[string]bool{}
		for _, s := range weightMap {
			if !fs.ValidPath(s) || strings.Contains(s, "/") {
				return nil, fmt.Errorf("safetensors index %s: weight_map names shard %q, which is not a file name in the directory", idxPath, s)
			}
			if !seen[s] {
				seen[s] = true
				shards = append(shards, s)
			}
		}
		sort.Strings(shards)
	case errors.Is(err, fs.ErrNotExist):
		shards = []string{"model.safetensors"}
	default:
		return nil, fmt.Errorf("safetensors index %s: %w", idxPath, err)
	}
	m := &Model{tensors: map[string]modelTensor{}}
	for _, s := range shards {
		f, err := Open(fsys, path.Join(dir, s))
		if err != nil {
			m.Close()
			if errors.Is(err, fs.ErrNotExist) && weightMap != nil {
				return nil, fmt.Errorf("safetensors: shard %s listed in %s is missing: %w", s, idxPath, err)
			}
			return nil, err
		}
		m.Files = append(m.Files, f)
		for i := range f.Tensors {
			t := &f.Tensors[i]
			if weightMap != nil && weightMap[t.Name] != s {
				m.Close()
				return nil, fmt.Errorf("safetensors: tensor %q is in %s but %s maps it to %q", t.Name, f.Name, idxPath, weightMap[t.Name])
			}
			if prev, dup := m.tensors[t.Name]; dup {
				m.Close()
				return nil, fmt.Errorf("safetensors: tensor %q is in both %s and %s", t.Name, prev.file.Name, f.Name)
			}
			m.tensors[t.Name] = modelTensor{f, t}
			m.names = append(m.names, t.Name)
		}
	}
	for name, s := range weightMap {
		if _, ok := m.tensors[name]; !ok {
			m.Close()
			return nil, fmt.Errorf("safetensors: tensor %q listed in %s is not in shard %s", name, idxPath, s)
		}
	}
	sort.Strings(m.names)
	return m, nil
}

// Names returns the names of all tensors, sorted.
func (m *Model) Names() []string { return m.names }

// Tensor returns the tensor called name and the file holding it.
func (m *Model) Tensor(name string) (*File, *TensorInfo, bool) {
	t, ok := m.tensors[name]
	return t.file, t.info, ok
}

// Close closes every shard.
func (m *Model) Close() error {
	var first error
	for _, f := range m.Files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	m.Files = nil
	return first
}
