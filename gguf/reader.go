package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"

	"github.com/edsrzf/mmap-go"

	"github.com/exaone-go/exaone/quant"
)

// File is an open GGUF file. Its tensor data are slices of a read-only
// mapping and stay valid until Close.
type File struct {
	Path       string
	Version    uint32
	Alignment  uint64
	KVs        []KV
	Tensors    []TensorInfo
	DataOffset uint64 // start of the data section in the file

	data    []byte // whole file
	mapping mmap.MMap
	kvIndex map[string]int
	tIndex  map[string]int
}

// Open maps the file at path read-only and parses its header. Tensor data
// are neither read nor copied.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("gguf: %s: not a regular file", path)
	}
	if st.Size() < 24 {
		return nil, fmt.Errorf("gguf: %s: file is %d bytes, too small for a GGUF header", path, st.Size())
	}
	m, err := mmap.Map(fd, mmap.RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: mmap: %w", path, err)
	}
	f, err := parse(path, m)
	if err != nil {
		m.Unmap()
		return nil, err
	}
	f.mapping = m
	return f, nil
}

// OpenBytes parses a GGUF image held in memory; name is used in errors.
// The tensor data returned alias b.
func OpenBytes(name string, b []byte) (*File, error) {
	return parse(name, b)
}

// Close releases the mapping. Tensor data slices must not be used after it.
func (f *File) Close() error {
	if f.mapping != nil {
		err := f.mapping.Unmap()
		f.mapping = nil
		f.data = nil
		return err
	}
	return nil
}

// Size is the size of the file in bytes.
func (f *File) Size() int64 { return int64(len(f.data)) }

// Tensor looks a tensor up by name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tIndex[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns the bytes of the named tensor as a slice of the mapping.
func (f *File) TensorData(name string) ([]byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("gguf: %s: no tensor %q", f.Path, name)
	}
	return f.Data(t), nil
}

// Data returns the bytes of a tensor of this file.
func (f *File) Data(t *TensorInfo) []byte {
	start := f.DataOffset + t.Offset
	return f.data[start : start+t.Size : start+t.Size]
}

// errTrunc marks reads past the end of the file.
var errTrunc = errors.New("unexpected end of file")

// decoder walks the header. Every read is bounds-checked; the first error
// sticks and carries the name of the field being read.
type decoder struct {
	path string
	b    []byte
	pos  uint64
}

func (d *decoder) fail(field string, err error) error {
	return fmt.Errorf("gguf: %s: %s (at byte %d): %w", d.path, field, d.pos, err)
}

func (d *decoder) remaining() uint64 { return uint64(len(d.b)) - d.pos }

func (d *decoder) take(n uint64, field string) ([]byte, error) {
	if n > d.remaining() {
		return nil, d.fail(field, errTrunc)
	}
	p := d.b[d.pos : d.pos+n]
	d.pos += n
	return p, nil
}

func (d *decoder) u32(field string) (uint32, error) {
	p, err := d.take(4, field)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(p), nil
}

func (d *decoder) u64(field string) (uint64, error) {
	p, err := d.take(8, field)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(p), nil
}

func (d *decoder) str(field string) (string, error) {
	n, err := d.u64(field + " length")
	if err != nil {
		return "", err
	}
	if n > d.remaining() {
		return "", d.fail(field, fmt.Errorf("string length %d exceeds the %d bytes left in the file", n, d.remaining()))
	}
	p, _ := d.take(n, field)
	return string(p), nil
}

// maxArrayDepth bounds nesting of arrays of arrays so a hostile file cannot
// recurse deeply.
const maxArrayDepth = 4

func (d *decoder) value(t ValueType, field string, depth int) (any, ValueType, error) {
	if sz := t.size(); sz > 0 {
		p, err := d.take(uint64(sz), field)
		if err != nil {
			return nil, 0, err
		}
		return scalar(t, p), 0, nil
	}
	switch t {
	case TypeString:
		s, err := d.str(field)
		return s, 0, err
	case TypeArray:
		if depth >= maxArrayDepth {
			return nil, 0, d.fail(field, fmt.Errorf("arrays nested deeper than %d", maxArrayDepth))
		}
		et, err := d.u32(field + " element type")
		if err != nil {
			return nil, 0, err
		}
		n, err := d.u64(field + " element count")
		if err != nil {
			return nil, 0, err
		}
		v, err := d.array(ValueType(et), n, field, depth)
		return v, ValueType(et), err
	}
	return nil, 0, d.fail(field, fmt.Errorf("unknown value type %d", uint32(t)))
}

func (d *decoder) array(et ValueType, n uint64, field string, depth int) (any, error) {
	// The smallest encoding of one element bounds how many can fit.
	min := uint64(et.size())
	switch et {
	case TypeString, TypeArray:
		min = 8
		if et == TypeArray {
			min = 12
		}
	default:
		if min == 0 {
			return nil, d.fail(field, fmt.Errorf("unknown array element type %d", uint32(et)))
		}
	}
	if n > d.remaining()/min {
		return nil, d.fail(field, fmt.Errorf("array of %d %s elements exceeds the %d bytes left in the file", n, et, d.remaining()))
	}
	if sz := et.size(); sz > 0 {
		p, _ := d.take(n*uint64(sz), field)
		return scalarArray(et, p, int(n)), nil
	}
	if et == TypeString {
		out := make([]string, n)
		for i := range out {
			s, err := d.str(fmt.Sprintf("%s[%d]", field, i))
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	out := make([]any, n)
	for i := range out {
		v, _, err := d.value(TypeArray, fmt.Sprintf("%s[%d]", field, i), depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func scalar(t ValueType, p []byte) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return p[0]
	case TypeInt8:
		return int8(p[0])
	case TypeBool:
		return p[0] != 0
	case TypeUint16:
		return le.Uint16(p)
	case TypeInt16:
		return int16(le.Uint16(p))
	case TypeUint32:
		return le.Uint32(p)
	case TypeInt32:
		return int32(le.Uint32(p))
	case TypeFloat32:
		return math.Float32frombits(le.Uint32(p))
	case TypeUint64:
		return le.Uint64(p)
	case TypeInt64:
		return int64(le.Uint64(p))
	case TypeFloat64:
		return math.Float64frombits(le.Uint64(p))
	}
	panic("unreachable")
}

func scalarArray(t ValueType, p []byte, n int) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return append([]uint8(nil), p...)
	case TypeInt8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(p[i])
		}
		return out
	case TypeBool:
		out := make([]bool, n)
		for i := range out {
			out[i] = p[i] != 0
		}
		return out
	case TypeUint16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = le.Uint16(p[2*i:])
		}
		return out
	case TypeInt16:
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(le.Uint16(p[2*i:]))
		}
		return out
	case TypeUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = le.Uint32(p[4*i:])
		}
		return out
	case TypeInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(le.Uint32(p[4*i:]))
		}
		return out
	case TypeFloat32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(p[4*i:]))
		}
		return out
	case TypeUint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = le.Uint64(p[8*i:])
		}
		return out
	case TypeInt64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(p[8*i:]))
		}
		return out
	case TypeFloat64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(p[8*i:]))
		}
		return out
	}
	panic("unreachable")
}

func parse(path string, b []byte) (*File, error) {
	d := &decoder{path: path, b: b}
	magic, err := d.take(4, "magic")
	if err != nil {
		return nil, err
	}
	if string(magic) != Magic {
		return nil, fmt.Errorf("gguf: %s: not a GGUF file (magic %q)", path, magic)
	}
	f := &File{Path: path, data: b, Alignment: DefaultAlignment}
	if f.Version, err = d.u32("version"); err != nil {
		return nil, err
	}
	if f.Version < 2 || f.Version > Version {
		return nil, fmt.Errorf("gguf: %s: unsupported GGUF version %d (want 2 or 3)", path, f.Version)
	}
	nTensors, err := d.u64("tensor count")
	if err != nil {
		return nil, err
	}
	nKV, err := d.u64("metadata count")
	if err != nil {
		return nil, err
	}
	// A metadata entry takes at least 8+4+1 bytes and a tensor info at least
	// 8+4+8+4+8, which bounds both counts by the file size.
	if nKV > d.remaining()/13 {
		return nil, d.fail("metadata count", fmt.Errorf("%d entries cannot fit in %d bytes", nKV, d.remaining()))
	}
	if nTensors > d.remaining()/32 {
		return nil, d.fail("tensor count", fmt.Errorf("%d tensors cannot fit in %d bytes", nTensors, d.remaining()))
	}

	f.KVs = make([]KV, 0, nKV)
	f.kvIndex = make(map[string]int, nKV)
	for i := uint64(0); i < nKV; i++ {
		key, err := d.str(fmt.Sprintf("metadata[%d] key", i))
		if err != nil {
			return nil, err
		}
		field := fmt.Sprintf("metadata %q", key)
		if _, dup := f.kvIndex[key]; dup {
			return nil, d.fail(field, errors.New("duplicate key"))
		}
		t, err := d.u32(field + " type")
		if err != nil {
			return nil, err
		}
		v, et, err := d.value(ValueType(t), field, 0)
		if err != nil {
			return nil, err
		}
		f.kvIndex[key] = len(f.KVs)
		f.KVs = append(f.KVs, KV{Key: key, Type: ValueType(t), ElemType: et, Value: v})
	}
	if kv, ok := f.Get("general.alignment"); ok {
		a, isU32 := kv.Value.(uint32)
		if !isU32 {
			return nil, fmt.Errorf("gguf: %s: general.alignment: type %s, want u32", path, kv.Type)
		}
		if a == 0 || a&(a-1) != 0 {
			return nil, fmt.Errorf("gguf: %s: general.alignment: %d is not a power of two", path, a)
		}
		f.Alignment = uint64(a)
	}

	f.Tensors = make([]TensorInfo, 0, nTensors)
	f.tIndex = make(map[string]int, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		name, err := d.str(fmt.Sprintf("tensor[%d] name", i))
		if err != nil {
			return nil, err
		}
		field := fmt.Sprintf("tensor %q", name)
		if _, dup := f.tIndex[name]; dup {
			return nil, d.fail(field, errors.New("duplicate tensor name"))
		}
		nd, err := d.u32(field + " dimension count")
		if err != nil {
			return nil, err
		}
		if nd == 0 || nd > MaxDims {
			return nil, d.fail(field, fmt.Errorf("%d dimensions (want 1..%d)", nd, MaxDims))
		}
		dims := make([]uint64, nd)
		for j := range dims {
			if dims[j], err = d.u64(fmt.Sprintf("%s dimension %d", field, j)); err != nil {
				return nil, err
			}
		}
		t, err := d.u32(field + " type")
		if err != nil {
			return nil, err
		}
		off, err := d.u64(field + " offset")
		if err != nil {
			return nil, err
		}
		size, err := tensorSize(quant.Type(t), dims)
		if err != nil {
			return nil, fmt.Errorf("gguf: %s: %s: %w", path, field, err)
		}
		f.tIndex[name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, TensorInfo{Name: name, Dims: dims, Type: quant.Type(t), Offset: off, Size: size})
	}

	f.DataOffset = alignUp(d.pos, f.Alignment)
	if f.DataOffset > uint64(len(b)) && len(f.Tensors) > 0 {
		return nil, fmt.Errorf("gguf: %s: data section starts at %d, past the end of the %d-byte file", path, f.DataOffset, len(b))
	}
	dataLen := uint64(0)
	if f.DataOffset < uint64(len(b)) {
		dataLen = uint64(len(b)) - f.DataOffset
	}
	// Check each tensor lies inside the data section, is aligned and does
	// not overlap the next one.
	order := make([]int, len(f.Tensors))
	for i := range order {
		order[i] = i
	}
	for _, i := range order {
		t := &f.Tensors[i]
		if t.Offset%f.Alignment != 0 {
			return nil, fmt.Errorf("gguf: %s: tensor %q: offset %d is not a multiple of the alignment %d", path, t.Name, t.Offset, f.Alignment)
		}
		if t.Offset > dataLen || t.Size > dataLen-t.Offset {
			return nil, fmt.Errorf("gguf: %s: tensor %q: data [%d, +%d) runs past the end of the file (data section holds %d bytes)", path, t.Name, t.Offset, t.Size, dataLen)
		}
	}
	sort.Slice(order, func(a, b int) bool { return f.Tensors[order[a]].Offset < f.Tensors[order[b]].Offset })
	for k := 1; k < len(order); k++ {
		prev, cur := &f.Tensors[order[k-1]], &f.Tensors[order[k]]
		if prev.Offset+prev.Size > cur.Offset {
			return nil, fmt.Errorf("gguf: %s: tensor %q overlaps tensor %q", path, cur.Name, prev.Name)
		}
	}
	return f, nil
}
