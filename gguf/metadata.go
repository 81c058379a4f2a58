package gguf

import (
	"fmt"
	"math"
)

// Get returns the metadata entry for key.
func (f *File) Get(key string) (KV, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return KV{}, false
	}
	return f.KVs[i], true
}

// Has reports whether the metadata holds key.
func (f *File) Has(key string) bool {
	_, ok := f.kvIndex[key]
	return ok
}

func (f *File) lookup(key string) (KV, error) {
	kv, ok := f.Get(key)
	if !ok {
		return KV{}, fmt.Errorf("gguf: %s: missing metadata key %s", f.Path, key)
	}
	return kv, nil
}

func (f *File) typeErr(kv KV, want string) error {
	got := kv.Type.String()
	if kv.Type == TypeArray {
		got = "array of " + kv.ElemType.String()
	}
	return fmt.Errorf("gguf: %s: metadata key %s has type %s, want %s", f.Path, kv.Key, got, want)
}

// asInt64 widens any integer scalar; ok is false for other types and for
// u64 values above MaxInt64.
func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Uint32 returns an integer value that fits in a uint32, whatever integer
// type the file used (writers disagree on u32/i32/u64).
func (f *File) Uint32(key string) (uint32, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	n, ok := asInt64(kv.Value)
	if !ok {
		return 0, f.typeErr(kv, "an integer")
	}
	if n < 0 || n > math.MaxUint32 {
		return 0, fmt.Errorf("gguf: %s: metadata key %s: value %d out of range for u32", f.Path, key, n)
	}
	return uint32(n), nil
}

// Int returns an integer value of any integer type as an int64.
func (f *File) Int(key string) (int64, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	n, ok := asInt64(kv.Value)
	if !ok {
		return 0, f.typeErr(kv, "an integer")
	}
	return n, nil
}

// Float32 returns a floating-point value (f32, or f64 narrowed).
func (f *File) Float32(key string) (float32, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	switch x := kv.Value.(type) {
	case float32:
		return x, nil
	case float64:
		return float32(x), nil
	}
	return 0, f.typeErr(kv, "f32")
}

// Bool returns a boolean value.
func (f *File) Bool(key string) (bool, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return false, err
	}
	b, ok := kv.Value.(bool)
	if !ok {
		return false, f.typeErr(kv, "bool")
	}
	return b, nil
}

// String returns a string value.
func (f *File) String(key string) (string, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return "", err
	}
	s, ok := kv.Value.(string)
	if !ok {
		return "", f.typeErr(kv, "string")
	}
	return s, nil
}

// Strings returns an array of strings.
func (f *File) Strings(key string) ([]string, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	s, ok := kv.Value.([]string)
	if !ok {
		return nil, f.typeErr(kv, "array of string")
	}
	return s, nil
}

// Bools returns an array of booleans.
func (f *File) Bools(key string) ([]bool, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	s, ok := kv.Value.([]bool)
	if !ok {
		return nil, f.typeErr(kv, "array of bool")
	}
	return s, nil
}

// Int32s returns an array of integers of any integer element type that fit
// in an int32.
func (f *File) Int32s(key string) ([]int32, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	if s, ok := kv.Value.([]int32); ok {
		return s, nil
	}
	if kv.Type != TypeArray {
		return nil, f.typeErr(kv, "array of i32")
	}
	var out []int32
	switch s := kv.Value.(type) {
	case []uint32:
		out = make([]int32, len(s))
		for i, v := range s {
			if v > math.MaxInt32 {
				return nil, fmt.Errorf("gguf: %s: metadata key %s[%d]: %d out of range for i32", f.Path, key, i, v)
			}
			out[i] = int32(v)
		}
	case []int8:
		out = make([]int32, len(s))
		for i, v := range s {
			out[i] = int32(v)
		}
	case []uint8:
		out = make([]int32, len(s))
		for i, v := range s {
			out[i] = int32(v)
		}
	case []int16:
		out = make([]int32, len(s))
		for i, v := range s {
			out[i] = int32(v)
		}
	case []uint16:
		out = make([]int32, len(s))
		for i, v := range s {
			out[i] = int32(v)
		}
	default:
		return nil, f.typeErr(kv, "array of i32")
	}
	return out, nil
}

// Float32s returns an array of floating-point values.
func (f *File) Float32s(key string) ([]float32, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	switch s := kv.Value.(type) {
	case []float32:
		return s, nil
	case []float64:
		out := make([]float32, len(s))
		for i, v := range s {
			out[i] = float32(v)
		}
		return out, nil
	}
	return nil, f.typeErr(kv, "array of f32")
}
