package quant

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Type is a ggml tensor type id, as stored in GGUF tensor infos.
type Type uint32

// The ggml types this package knows the layout of.
const (
	F32  Type = 0
	F16  Type = 1
	Q4_0 Type = 2
	Q4_1 Type = 3
	Q5_0 Type = 6
	Q5_1 Type = 7
	Q8_0 Type = 8
	Q8_1 Type = 9
	Q2_K Type = 10
	Q3_K Type = 11
	Q4_K Type = 12
	Q5_K Type = 13
	Q6_K Type = 14
	Q8_K Type = 15
	BF16 Type = 30
)

// Block sizes in elements.
const (
	QK   = 32  // legacy quants (Q4_0 ... Q8_1)
	QK_K = 256 // K-quants
)

// Block sizes in bytes.
const (
	BlockBytesQ4_0 = 18
	BlockBytesQ4_1 = 20
	BlockBytesQ5_0 = 22
	BlockBytesQ5_1 = 24
	BlockBytesQ8_0 = 34
	BlockBytesQ8_1 = 36
	BlockBytesQ2_K = 84
	BlockBytesQ3_K = 110
	BlockBytesQ4_K = 144
	BlockBytesQ5_K = 176
	BlockBytesQ6_K = 210
	BlockBytesQ8_K = 292
)

type typeInfo struct {
	name       string
	blockSize  int
	blockBytes int
}

// known holds the layouts of the types in the table; other ids only get a
// name (ggml's) so that errors about them are readable.
var known = map[Type]typeInfo{
	F32:  {"F32", 1, 4},
	F16:  {"F16", 1, 2},
	BF16: {"BF16", 1, 2},
	Q4_0: {"Q4_0", QK, BlockBytesQ4_0},
	Q4_1: {"Q4_1", QK, BlockBytesQ4_1},
	Q5_0: {"Q5_0", QK, BlockBytesQ5_0},
	Q5_1: {"Q5_1", QK, BlockBytesQ5_1},
	Q8_0: {"Q8_0", QK, BlockBytesQ8_0},
	Q8_1: {"Q8_1", QK, BlockBytesQ8_1},
	Q2_K: {"Q2_K", QK_K, BlockBytesQ2_K},
	Q3_K: {"Q3_K", QK_K, BlockBytesQ3_K},
	Q4_K: {"Q4_K", QK_K, BlockBytesQ4_K},
	Q5_K: {"Q5_K", QK_K, BlockBytesQ5_K},
	Q6_K: {"Q6_K", QK_K, BlockBytesQ6_K},
	Q8_K: {"Q8_K", QK_K, BlockBytesQ8_K},
}

// otherNames are ggml type ids this package cannot handle, named so that a
// file using them is refused with a message a user understands. Ids 4, 5 and
// 31-33, 36-38 were removed from ggml.
var otherNames = map[Type]string{
	16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL",
	21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32",
	27: "I64", 28: "F64", 29: "IQ1_M", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
}

// String returns the ggml name of t ("Q4_K", "BF16", ...), or "type(N)".
func (t Type) String() string {
	if i, ok := known[t]; ok {
		return i.name
	}
	if s, ok := otherNames[t]; ok {
		return s
	}
	return "type(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// ParseType parses a type name case-insensitively ("q4_k", "bf16", "Q8_0").
// Only the types in the table (Known) are accepted.
func ParseType(s string) (Type, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for t, i := range known {
		if i.name == u {
			return t, nil
		}
	}
	for _, n := range otherNames {
		if n == u {
			return 0, fmt.Errorf("quant: type %s is not supported", n)
		}
	}
	return 0, fmt.Errorf("quant: unknown type %q", s)
}

// Known reports whether t is one of the types whose layout this package knows.
func (t Type) Known() bool {
	_, ok := known[t]
	return ok
}

// BlockSize returns the number of elements per block (1 for F32, F16, BF16),
// or 0 if t is unknown.
func (t Type) BlockSize() int { return known[t].blockSize }

// BlockBytes returns the number of bytes per block, or 0 if t is unknown.
func (t Type) BlockBytes() int { return known[t].blockBytes }

// RowBytes returns the number of bytes n elements of type t take.
func RowBytes(t Type, n int64) (int64, error) {
	i, ok := known[t]
	if !ok {
		return 0, fmt.Errorf("quant: unsupported type %s", t)
	}
	if n < 0 {
		return 0, fmt.Errorf("quant: negative element count %d", n)
	}
	bs := int64(i.blockSize)
	if n%bs != 0 {
		return 0, fmt.Errorf("quant: %d elements is not a multiple of the %s block size %d", n, t, bs)
	}
	blocks := n / bs
	if blocks > math.MaxInt64/int64(i.blockBytes) {
		return 0, fmt.Errorf("quant: %d elements of %s overflow the byte count", n, t)
	}
	return blocks * int64(i.blockBytes), nil
}

// VecDotType returns the type activations are quantized to before a dot
// product with weights of type t (llama.cpp's vec_dot_type). Float weights
// are multiplied with F32 activations: we keep activations in f32 there for
// exactness. Q8_1 and Q8_K map to themselves; types not in the table return
// t itself (check Known first).
func VecDotType(t Type) Type {
	switch t {
	case Q4_0, Q5_0, Q8_0:
		return Q8_0
	case Q4_1, Q5_1, Q8_1:
		return Q8_1
	case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K:
		return Q8_K
	case F32, F16, BF16:
		return F32
	}
	return t
}
