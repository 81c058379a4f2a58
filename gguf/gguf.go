// Package gguf reads and writes GGUF version 3 files, the container llama.cpp
// uses for models: a header, typed metadata, tensor descriptions and the
// aligned tensor data.
//
// Open maps a file read-only and hands out tensor bytes as slices of the
// mapping, so opening a multi-gigabyte model reads only its header. Every
// count, length, dimension and offset in the header is treated as hostile and
// checked against the file size before anything is allocated or sliced.
//
// Create writes a file tensor by tensor into a temporary file in the target
// directory and renames it into place only when complete, so a failed
// conversion never leaves a partial model behind.
package gguf

import (
	"fmt"

	"github.com/exaone-go/exaone/quant"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// Version is the format version this package writes (and the newest it reads).
const Version = 3

// DefaultAlignment applies when a file has no general.alignment key.
const DefaultAlignment = 32

// MaxDims is the largest tensor rank ggml supports.
const MaxDims = 4

// ValueType is the type tag of a metadata value.
type ValueType uint32

// Metadata value types, as numbered by the format.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"}

func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("valuetype(%d)", uint32(t))
}

// size is the encoded size of a fixed-size scalar, or 0 for strings, arrays
// and unknown tags.
func (t ValueType) size() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// KV is one metadata entry. Value holds the Go type matching Type: uint8,
// int8, uint16, int16, uint32, int32, float32, bool, string, uint64, int64 or
// float64; arrays are typed slices ([]uint32, []string, []bool, ...) and
// arrays of arrays are []any. ElemType is the element type of an array.
type KV struct {
	Key      string
	Type     ValueType
	ElemType ValueType
	Value    any
}

// TensorInfo describes one tensor. Dims are in ggml order: Dims[0] is the
// length of a row (the fastest-varying index). Offset is relative to the
// start of the data section; Size is the byte size of the tensor's data.
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   quant.Type
	Offset uint64
	Size   uint64
}

// Elements is the number of values in the tensor.
func (t *TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Rows is the number of rows (all dimensions but the first).
func (t *TensorInfo) Rows() uint64 {
	n := uint64(1)
	for _, d := range t.Dims[1:] {
		n *= d
	}
	return n
}

// tensorSize computes the data size of a tensor of the given type and
// dimensions, rejecting unknown types, rows that do not fill whole blocks and
// sizes that overflow.
func tensorSize(t quant.Type, dims []uint64) (uint64, error) {
	if !t.Known() {
		return 0, fmt.Errorf("unsupported tensor type %s", t)
	}
	if len(dims) == 0 || len(dims) > MaxDims {
		return 0, fmt.Errorf("%d dimensions (want 1..%d)", len(dims), MaxDims)
	}
	const limit = 1 << 62
	if dims[0] > limit {
		return 0, fmt.Errorf("dimension 0 is %d", dims[0])
	}
	row, err := quant.RowBytes(t, int64(dims[0]))
	if err != nil {
		return 0, err
	}
	size := uint64(row)
	for i, d := range dims[1:] {
		if d != 0 && size > limit/d {
			return 0, fmt.Errorf("dimension %d (%d) makes the size overflow", i+1, d)
		}
		size *= d
	}
	return size, nil
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }
