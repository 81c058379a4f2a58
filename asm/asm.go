package asm

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"

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

// kernels is one kernel path: every entry point the checked functions
// (gemvQ8_0, GemmF32, ...) dispatch to. Each architecture builds its sets
// once (archKernels); one of them is in use, through cur. Arguments have
// been validated by those functions before any of these run. The optional
// entries (tiles, attention) are nil where a path has no such kernel, and
// the functions then run the portable fallback named at each.
type kernels struct {
	name string

	// Q8_0 and Q4_0 weights against Q8_0 activations (this file).
	quantQ8 func(dst []byte, x []float32)
	dotQ8   func(w, x []byte) float32
	dotQ4   func(w, x []byte) float32
	gemvQ8  func(out []float32, w, x []byte)
	gemvQ4  func(out []float32, w, x []byte)
	gemmQ8  gemmFunc
	gemmQ4  gemmFunc
	prepQ8  prepFunc // (inside gemvQ8 etc.; here for its test)

	// K-quant weights against Q8_K activations (kquant.go).
	quantQ8K               func(dst []byte, x []float32)
	dotQ4K, dotQ5K, dotQ6K func(w, x []byte) float32
	gemvQ4K, gemvQ5K       func(out []float32, w, x []byte)
	gemvQ6K                func(out []float32, w, x []byte)
	gemmQ4K, gemmQ5K       gemmFunc
	gemmQ6K                gemmFunc

	// Float vector helpers (f32, bf16 and f16 rows).
	dotF32   func(a, b []float32) float32
	axpyF32  func(alpha float32, x, y []float32)
	dotBF16  func(w []uint16, x []float32) float32
	dotF16   func(w []uint16, x []float32) float32
	scaleF32 func(alpha float32, x []float32)
	axpyF16  func(alpha float32, x []uint16, y []float32)
	axpyBF16 func(alpha float32, x []uint16, y []float32)
	toF16    func(dst []uint16, x []float32)

	// Int8 16x8 tiles for batches (tile_q8q4.go, tile_q?k.go; the 4- and
	// 2-activation ones for their last rows and small batches); nil: the
	// *Tiles functions run the row GEMMs above. The repackers unpack a
	// K-chunk of a group of weight rows for them; prefetch (optional)
	// brings the next K-chunk into L1 in pieces between the kernel calls.
	tile               tileFunc
	tile4, tile2       tileFunc // (optional) on 4 and 2 activations
	tileK, tileK6      tileKFunc
	tileK4, tileK2     tileKFunc // (optional) on 4 and 2 activations
	tileK6x4, tileK6x2 tileKFunc
	// (optional) Q4_K and Q5_K on AMX tiles, 16 activations per call
	// (tile_q4k_amx.go): where set, those *Tiles functions run it with
	// its repackers, between amxOn and amxOff, on the 16-activation
	// tiles that Activations.Prepare then makes too.
	tileKAMX                        tileKFunc
	amxOn, amxOff                   func()
	repackQ4KAMX, repackQ5KAMX      repackFunc
	repackQ8, repackQ4              repackFunc
	repackQ4K, repackQ5K, repackQ6K repackFunc
	prefetch                        func(b []byte)

	// Float 4x4 tiles (float_tile.go): whether tileFloat runs on this path,
	// else one dot per output. tileFloat calls the kernels directly: their
	// output is on the caller's stack, which a call through a func value
	// would move to the heap (as kOne does for the K-quant dots).
	floatTiles bool

	// Attention and MLP helpers (attn.go); nil: the Go loops.
	attn *attnKernels

	// Q8_0 KV cache kernels (kvq8.go); kvq8None: the Go loops.
	kvq8 kvq8Path
}

// gemmFunc is the shape of the row GEMMs (see gemmQ8_0).
type gemmFunc = func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int)

// prepFunc is an assembly version of prepX's loop (the Go loop is ~18 ns
// per block, which a caller splitting a GEMM into chunks of a few dozen
// rows would notice).
type prepFunc = func(dst, x *byte, nb int, shift uint64)

// repackFunc unpacks rows (<= 16) weight rows of nb blocks, rowBytes apart,
// into a tile kernel's group layout in dst.
type repackFunc = func(dst, w []byte, rowBytes, rows, nb int)

// attnKernels are the assembly helpers of attention and the MLP, all or
// none (see attn.go for what each does).
type attnKernels struct {
	maxF32  func(x *float32, n int) float32
	expSum  func(x *float32, n int, max, scale float32) float32
	pv4x64  func(out *float32, ldo int, p *float32, ldp int, v *uint16, ldv int, nk int)
	siluMul func(gate, up *float32, n int)
}

// EnvVar names the environment variable that forces a kernel path.
const EnvVar = "EXAONE_KERNELS"

// cur is the set in use; nil until Init (or the first kernel call) runs.
var cur atomic.Pointer[kernels]

var (
	initOnce sync.Once
	initErr  error
)

// table returns the kernel set in use, choosing it on first use.
func table() *kernels {
	if k := cur.Load(); k != nil {
		return k
	}
	Init()
	return cur.Load()
}

// Init chooses the kernel path once: the best this CPU runs, or the one
// EXAONE_KERNELS names. It returns an error (the same on every call) if
// the variable names a path that is unknown or that this CPU or build
// cannot run; the best path is then used, so nothing panics, and callers
// that must not run on another path than asked (model.Open) refuse with
// the error. Kernel calls run Init themselves if nothing has; a SetPath
// before Init is kept.
func Init() error {
	initOnce.Do(func() {
		k, err := initialPath(os.Getenv(EnvVar))
		cur.CompareAndSwap(nil, k)
		initErr = err
	})
	return initErr
}

// initialPath picks the best set, or the one env names; an env naming a
// set this CPU cannot run gives the best set and an error.
func initialPath(env string) (*kernels, error) {
	best := sets()[0]
	if env == "" {
		return best, nil
	}
	k, err := find(env)
	if err != nil {
		return best, fmt.Errorf("asm: %s=%s: %w", EnvVar, env, err)
	}
	return k, nil
}

// sets lists the kernel sets this CPU can run, best first, built once; the
// generic set is always last.
var sets = sync.OnceValue(func() []*kernels {
	return append(archKernels(), genericKernels())
})

// Path returns the name of the kernel set in use: "generic", "avx2",
// "avx512", "neon" or "neon-dotprod".
func Path() string { return table().name }

// Paths returns the kernel sets this CPU can run, best first; it always ends
// with "generic".
func Paths() []string {
	var names []string
	for _, k := range sets() {
		names = append(names, k.name)
	}
	return names
}

// Err reports an invalid EXAONE_KERNELS setting (nil if none): what Init
// returns, until SetPath succeeds.
func Err() error { return Init() }

// SetPath forces the kernel set name. It is an error to ask for a set this
// CPU (or this build) cannot run. Not safe to call while kernels run in
// other goroutines.
func SetPath(name string) error {
	Init()
	k, err := find(name)
	if err != nil {
		return err
	}
	cur.Store(k)
	initErr = nil
	return nil
}

func find(name string) (*kernels, error) {
	for _, k := range sets() {
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

// QuantizeQ8_0 quantizes x into Q8_0 blocks in dst (the KV cache stores
// keys and values so), byte-identical to
// quant.QuantizeQ8_0. len(x) must be a multiple of 32 and len(dst) ==
// len(x)/32*34.
func QuantizeQ8_0(dst []byte, x []float32) {
	if len(x)%qk != 0 || len(dst) != len(x)/qk*q8Bytes {
		panic(fmt.Sprintf("asm.QuantizeQ8_0: len(x)=%d len(dst)=%d", len(x), len(dst)))
	}
	table().quantQ8(dst, x)
}

// dotQ8_0 returns the dot product of one Q8_0 weight row w with Q8_0
// activations x (len(w) == len(x), a multiple of 34).
func dotQ8_0(w, x []byte) float32 {
	if len(w) != len(x) || len(x)%q8Bytes != 0 {
		panic(fmt.Sprintf("asm.dotQ8_0: len(w)=%d len(x)=%d", len(w), len(x)))
	}
	return table().dotQ8(w, x)
}

// dotQ4_0 returns the dot product of one Q4_0 weight row w (len(w)/18
// blocks) with Q8_0 activations x (len(x)/34 blocks, the same number).
func dotQ4_0(w, x []byte) float32 {
	if len(x)%q8Bytes != 0 || len(w) != len(x)/q8Bytes*q4Bytes {
		panic(fmt.Sprintf("asm.dotQ4_0: len(w)=%d len(x)=%d", len(w), len(x)))
	}
	return table().dotQ4(w, x)
}

// gemvQ8_0 sets out[r] = quant.DotQ8_0(row r of w, x) for r < len(out); rows are
// len(x) bytes and len(w) == len(out)*len(x).
func gemvQ8_0(out []float32, w []byte, x []byte) {
	if len(x)%q8Bytes != 0 || len(w) != len(out)*len(x) {
		panic(fmt.Sprintf("asm.gemvQ8_0: len(out)=%d len(w)=%d len(x)=%d", len(out), len(w), len(x)))
	}
	table().gemvQ8(out, w, x)
}

// gemvQ4_0 sets out[r] = quant.DotQ4_0(row r of w, x) for r < len(out); rows are
// len(x)/34*18 bytes and len(w) == len(out) rows.
func gemvQ4_0(out []float32, w []byte, x []byte) {
	if len(x)%q8Bytes != 0 || len(w) != len(out)*(len(x)/q8Bytes*q4Bytes) {
		panic(fmt.Sprintf("asm.gemvQ4_0: len(out)=%d len(w)=%d len(x)=%d", len(out), len(w), len(x)))
	}
	table().gemvQ4(out, w, x)
}

// gemmQ8_0 sets out[j*ldo+r] = quant.DotQ8_0(row r of w, activation row j of x)
// for r < nrows and j < nx. x holds nx activation rows of len(x)/nx bytes
// each; w holds nrows rows of the same length.
func gemmQ8_0(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
	checkGemm("gemmQ8_0", out, ldo, len(w), nrows, len(x), nx, q8Bytes, q8Bytes)
	table().gemmQ8(out, ldo, w, nrows, x, nx)
}

// gemmQ4_0 is gemmQ8_0 for Q4_0 weights: nrows rows of len(x)/nx/34*18
// bytes.
func gemmQ4_0(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
	checkGemm("gemmQ4_0", out, ldo, len(w), nrows, len(x), nx, q8Bytes, q4Bytes)
	table().gemmQ4(out, ldo, w, nrows, x, nx)
}

// checkGemm panics unless the GEMM arguments fit: xb and wb are the
// activation and weight block sizes.
func checkGemm(fn string, out []float32, ldo, lw, nrows, lx, nx, xb, wb int) {
	ok := nrows >= 0 && nx >= 0
	if ok && nx > 0 {
		xrow := lx / nx
		ok = lx%nx == 0 && xrow%xb == 0 && lw == nrows*(xrow/xb*wb) &&
			ldo >= nrows && (nrows == 0 || len(out) >= (nx-1)*ldo+nrows)
	} else if ok {
		ok = lx == 0
	}
	if !ok {
		panic(fmt.Sprintf("asm.%s: len(out)=%d ldo=%d len(w)=%d nrows=%d len(x)=%d nx=%d",
			fn, len(out), ldo, lw, nrows, lx, nx))
	}
}

// dotF32 returns the dot product of a and b (len(a) == len(b)).
func dotF32(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("asm.dotF32: len(a)=%d len(b)=%d", len(a), len(b)))
	}
	return table().dotF32(a, b)
}

// AxpyF32 sets y += alpha*x (len(x) == len(y)).
func AxpyF32(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("asm.AxpyF32: len(x)=%d len(y)=%d", len(x), len(y)))
	}
	table().axpyF32(alpha, x, y)
}

// dotBF16 returns the dot product of bf16 weights w (widened exactly) with
// x (len(w) == len(x)).
func dotBF16(w []uint16, x []float32) float32 {
	if len(w) != len(x) {
		panic(fmt.Sprintf("asm.dotBF16: len(w)=%d len(x)=%d", len(w), len(x)))
	}
	return table().dotBF16(w, x)
}

// dotF16 returns the dot product of f16 weights w (widened exactly) with x
// (len(w) == len(x)).
func dotF16(w []uint16, x []float32) float32 {
	if len(w) != len(x) {
		panic(fmt.Sprintf("asm.dotF16: len(w)=%d len(x)=%d", len(w), len(x)))
	}
	return table().dotF16(w, x)
}

// scaleF32 sets x *= alpha.
func scaleF32(alpha float32, x []float32) { table().scaleF32(alpha, x) }

// axpyF16 sets y += alpha*x for f16 x widened exactly (len(x) == len(y)),
// e.g. the value rows of an f16 KV cache.
func axpyF16(alpha float32, x []uint16, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("asm.axpyF16: len(x)=%d len(y)=%d", len(x), len(y)))
	}
	table().axpyF16(alpha, x, y)
}

// ToF16 sets dst[i] = quant.F32ToF16(x[i]) (len(dst) == len(x)): round to
// nearest even, as storing keys and values in an f16 KV cache does.
func ToF16(dst []uint16, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("asm.ToF16: len(dst)=%d len(x)=%d", len(dst), len(x)))
	}
	table().toF16(dst, x)
}

// axpyBF16 sets y += alpha*x for bf16 x widened exactly (len(x) == len(y)).
func axpyBF16(alpha float32, x []uint16, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("asm.axpyBF16: len(x)=%d len(y)=%d", len(x), len(y)))
	}
	table().axpyBF16(alpha, x, y)
}
