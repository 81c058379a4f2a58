package asm

import (
	"fmt"
	"os"
	"slices"

	"github.com/exaone-go/exaone/quant"
)

// Block sizes in bytes of the formats the kernels handle.
const (
	q8Bytes = quant.BlockBytesQ8_0
	q4Bytes = quant.BlockBytesQ4_0
	qk      = quant.QK

	// maxBlocks bounds the blocks per row of one assembly call: Go assembly
	// is not asynchronously preemptible, so each call must stay short.
	maxBlocks = 4096
)

// kernels is one complete kernel set. Arguments have been validated by the
// exported functions before any of these run.
type kernels struct {
	name    string
	quantQ8 func(dst []byte, x []float32)
	dotQ8   func(w, x []byte) float32
	dotQ4   func(w, x []byte) float32
	gemvQ8  func(out []float32, w, x []byte)
	gemvQ4  func(out []float32, w, x []byte)
	gemmQ8  func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int)
	gemmQ4  func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int)
	dotF32  func(a, b []float32) float32
	axpyF32 func(alpha float32, x, y []float32)
	dotBF16 func(w []uint16, x []float32) float32
	dotF16  func(w []uint16, x []float32) float32
	// Attention and normalization helpers.
	scaleF32 func(alpha float32, x []float32)
	axpyF16  func(alpha float32, x []uint16, y []float32)
	axpyBF16 func(alpha float32, x []uint16, y []float32)
	toF16    func(dst []uint16, x []float32)
}

// EnvVar names the environment variable that forces a kernel path.
const EnvVar = "EXAONE_KERNELS"

var (
	cur     *kernels
	initErr error
)

func init() { cur, initErr = initialPath(os.Getenv(EnvVar)) }

// initialPath picks the best set, or the one env names. An env naming a set
// this CPU cannot run never falls back silently: the returned set panics
// with the error in every kernel, and Err reports it for a friendly message
// at start.
func initialPath(env string) (*kernels, error) {
	if env == "" {
		return available()[0], nil
	}
	k, err := find(env)
	if err != nil {
		err = fmt.Errorf("asm: %s=%s: %w", EnvVar, env, err)
		return failing(err), err
	}
	return k, nil
}

// available lists the kernel sets this CPU can run, best first; the generic
// set is always last.
func available() []*kernels {
	return append(archKernels(), genericKernels())
}

// Path returns the name of the kernel set in use: "generic", "avx2",
// "avx512", "neon" or "neon-dotprod".
func Path() string { return cur.name }

// Paths returns the kernel sets this CPU can run, best first; it always ends
// with "generic".
func Paths() []string {
	var names []string
	for _, k := range available() {
		names = append(names, k.name)
	}
	return names
}

// Err reports an invalid EXAONE_KERNELS setting found at start (nil if none).
// While it is non-nil every kernel panics with it, unless SetPath succeeds.
func Err() error { return initErr }

// SetPath forces the kernel set name. It is an error to ask for a set this
// CPU (or this build) cannot run. Not safe to call while kernels run in
// other goroutines.
func SetPath(name string) error {
	k, err := find(name)
	if err != nil {
		return err
	}
	cur, initErr = k, nil
	return nil
}

func find(name string) (*kernels, error) {
	for _, k := range available() {
		if k.name == name {
			return k, nil
		}
	}
	known := []string{"generic", "avx2", "avx512", "neon", "neon-dotprod"}
	if !slices.Contains(known, name) {
		return nil, fmt.Errorf("unknown kernel path %q (known: %v)", name, known)
	}
	return nil, fmt.Errorf("kernel path %q is not supported by this CPU or build (available: %v)", name, Paths())
}

func failing(err error) *kernels {
	p := func() { panic(err) }
	return &kernels{
		name:     "invalid",
		quantQ8:  func([]byte, []float32) { p() },
		dotQ8:    func(_, _ []byte) float32 { p(); return 0 },
		dotQ4:    func(_, _ []byte) float32 { p(); return 0 },
		gemvQ8:   func([]float32, []byte, []byte) { p() },
		gemvQ4:   func([]float32, []byte, []byte) { p() },
		gemmQ8:   func([]float32, int, []byte, int, []byte, int) { p() },
		gemmQ4:   func([]float32, int, []byte, int, []byte, int) { p() },
		dotF32:   func(_, _ []float32) float32 { p(); return 0 },
		axpyF32:  func(float32, []float32, []float32) { p() },
		dotBF16:  func([]uint16, []float32) float32 { p(); return 0 },
		dotF16:   func([]uint16, []float32) float32 { p(); return 0 },
		scaleF32: func(float32, []float32) { p() },
		axpyF16:  func(float32, []uint16, []float32) { p() },
		axpyBF16: func(float32, []uint16, []float32) { p() },
		toF16:    func([]uint16, []float32) { p() },
	}
}

// QuantizeQ8_0 quantizes x into Q8_0 blocks in dst, byte-identical to
// quant.QuantizeQ8_0. len(x) must be a multiple of 32 and len(dst) ==
// len(x)/32*34.
func QuantizeQ8_0(dst []byte, x []float32) {
	if len(x)%qk != 0 || len(dst) != len(x)/qk*q8Bytes {
		panic(fmt.Sprintf("asm.QuantizeQ8_0: len(x)=%d len(dst)=%d", len(x), len(dst)))
	}
	cur.quantQ8(dst, x)
}

// DotQ8_0 returns the dot product of one Q8_0 weight row w with Q8_0
// activations x (len(w) == len(x), a multiple of 34).
func DotQ8_0(w, x []byte) float32 {
	if len(w) != len(x) || len(x)%q8Bytes != 0 {
		panic(fmt.Sprintf("asm.DotQ8_0: len(w)=%d len(x)=%d", len(w), len(x)))
	}
	return cur.dotQ8(w, x)
}

// DotQ4_0 returns the dot product of one Q4_0 weight row w (len(w)/18
// blocks) with Q8_0 activations x (len(x)/34 blocks, the same number).
func DotQ4_0(w, x []byte) float32 {
	if len(x)%q8Bytes != 0 || len(w) != len(x)/q8Bytes*q4Bytes {
		panic(fmt.Sprintf("asm.DotQ4_0: len(w)=%d len(x)=%d", len(w), len(x)))
	}
	return cur.dotQ4(w, x)
}

// GemvQ8_0 sets out[r] = DotQ8_0(row r of w, x) for r < len(out); rows are
// len(x) bytes and len(w) == len(out)*len(x).
func GemvQ8_0(out []float32, w []byte, x []byte) {
	if len(x)%q8Bytes != 0 || len(w) != len(out)*len(x) {
		panic(fmt.Sprintf("asm.GemvQ8_0: len(out)=%d len(w)=%d len(x)=%d", len(out), len(w), len(x)))
	}
	cur.gemvQ8(out, w, x)
}

// GemvQ4_0 sets out[r] = DotQ4_0(row r of w, x) for r < len(out); rows are
// len(x)/34*18 bytes and len(w) == len(out) rows.
func GemvQ4_0(out []float32, w []byte, x []byte) {
	if len(x)%q8Bytes != 0 || len(w) != len(out)*(len(x)/q8Bytes*q4Bytes) {
		panic(fmt.Sprintf("asm.GemvQ4_0: len(out)=%d len(w)=%d len(x)=%d", len(out), len(w), len(x)))
	}
	cur.gemvQ4(out, w, x)
}

// GemmQ8_0 sets out[j*ldo+r] = DotQ8_0(row r of w, activation row j of x)
// for r < nrows and j < nx. x holds nx activation rows of len(x)/nx bytes
// each; w holds nrows rows of the same length.
func GemmQ8_0(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
	checkGemm("GemmQ8_0", out, ldo, len(w), nrows, len(x), nx, q8Bytes)
	cur.gemmQ8(out, ldo, w, nrows, x, nx)
}

// GemmQ4_0 is GemmQ8_0 for Q4_0 weights: nrows rows of len(x)/nx/34*18
// bytes.
func GemmQ4_0(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
	checkGemm("GemmQ4_0", out, ldo, len(w), nrows, len(x), nx, q4Bytes)
	cur.gemmQ4(out, ldo, w, nrows, x, nx)
}

func checkGemm(fn string, out []float32, ldo, lw, nrows, lx, nx, wb int) {
	ok := nrows >= 0 && nx >= 0
	if ok && nx > 0 {
		xrow := lx / nx
		ok = lx%nx == 0 && xrow%q8Bytes == 0 && lw == nrows*(xrow/q8Bytes*wb) &&
			ldo >= nrows && (nrows == 0 || len(out) >= (nx-1)*ldo+nrows)
	} else if ok {
		ok = lx == 0
	}
	if !ok {
		panic(fmt.Sprintf("asm.%s: len(out)=%d ldo=%d len(w)=%d nrows=%d len(x)=%d nx=%d",
			fn, len(out), ldo, lw, nrows, lx, nx))
	}
}

// DotF32 returns the dot product of a and b (len(a) == len(b)).
func DotF32(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("asm.DotF32: len(a)=%d len(b)=%d", len(a), len(b)))
	}
	return cur.dotF32(a, b)
}

// AxpyF32 sets y += alpha*x (len(x) == len(y)).
func AxpyF32(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("asm.AxpyF32: len(x)=%d len(y)=%d", len(x), len(y)))
	}
	cur.axpyF32(alpha, x, y)
}

// DotBF16 returns the dot product of bf16 weights w (widened exactly) with
// x (len(w) == len(x)).
func DotBF16(w []uint16, x []float32) float32 {
	if len(w) != len(x) {
		panic(fmt.Sprintf("asm.DotBF16: len(w)=%d len(x)=%d", len(w), len(x)))
	}
	return cur.dotBF16(w, x)
}

// DotF16 returns the dot product of f16 weights w (widened exactly) with x
// (len(w) == len(x)).
func DotF16(w []uint16, x []float32) float32 {
	if len(w) != len(x) {
		panic(fmt.Sprintf("asm.DotF16: len(w)=%d len(x)=%d", len(w), len(x)))
	}
	return cur.dotF16(w, x)
}

// ScaleF32 sets x *= alpha.
func ScaleF32(alpha float32, x []float32) { cur.scaleF32(alpha, x) }

// AxpyF16 sets y += alpha*x for f16 x widened exactly (len(x) == len(y)),
// e.g. the value rows of an f16 KV cache.
func AxpyF16(alpha float32, x []uint16, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("asm.AxpyF16: len(x)=%d len(y)=%d", len(x), len(y)))
	}
	cur.axpyF16(alpha, x, y)
}

// ToF16 sets dst[i] = quant.F32ToF16(x[i]) (len(dst) == len(x)): round to
// nearest even, as storing keys and values in an f16 KV cache does.
func ToF16(dst []uint16, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("asm.ToF16: len(dst)=%d len(x)=%d", len(dst), len(x)))
	}
	cur.toF16(dst, x)
}

// AxpyBF16 sets y += alpha*x for bf16 x widened exactly (len(x) == len(y)).
func AxpyBF16(alpha float32, x []uint16, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("asm.AxpyBF16: len(x)=%d len(y)=%d", len(x), len(y)))
	}
	cur.axpyBF16(alpha, x, y)
}
