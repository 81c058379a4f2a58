package asm

import (
	"fmt"
	"unsafe"

	"github.com/exaone-go/exaone/quant"
)

// The matmul entry: Matmul multiplies a range of weight rows with every row
// of an Activations. Callers know three things: the input (Activations.Set),
// which forms of it to make before the products run (Prepare, with the
// parallel part left to them through PrepareParts), and that weight rows
// are split across threads in multiples of SplitRows. Everything else
// (which activation form a weight type pairs with, whether the rows, the
// tiled or a small-batch kernel runs for this many activation rows on this
// path) is decided here, by route, from the weight type's weightKernels.
//
// A weight type plugs in with a weightKernels value returned by
// weightKind: its activation form (one of the act* forms, or actF32 for the
// f32 rows themselves) and its kernels. A path plugs in through the kernels
// struct: route picks the tiled kernels where the path has them (tile,
// and for small batches tile2) and the input is large enough. A new
// activation form is an act* constant with its quantizer in
// Activations.prepare (and, if it has a tiled layout, its size in
// tilesBytes and its preparation in prepare too).

// SplitRows is the multiple of weight rows in which to split one Matmul
// across threads: the kernels walk weight rows in groups of up to this
// many, so with such splits the results do not depend on the split (and no
// group is cut in two).
const SplitRows = 16

// The row groups of the kernels (4 or 8 rows, a tile's 16) divide it.
var _ [0]struct{} = [SplitRows % tileRows]struct{}{}

// The activation forms: quantized rows of the types the weight kinds pair
// with (llama.cpp's vec_dot_type).
const (
	actQ8_0 = iota
	actQ8_1
	actQ8_K
	nActs

	actF32 = -1 // the f32 rows themselves (float weights)
)

var actTypes = [nActs]quant.Type{quant.Q8_0, quant.Q8_1, quant.Q8_K}

// Activations is the input of Matmul: n rows of cols float32 values, and
// the forms of it that kernels read (quantized rows, their tiled layout),
// each made once however many matrices read the same input (q/k/v,
// gate/up). Its buffers grow to the largest input seen and are reused, so
// in steady state it allocates nothing. The zero value is ready to use.
type Activations struct {
	x       []float32
	n, cols int
	forms   [nActs]actForm
}

// actForm is one quantized form of the input: its rows, and their tiled
// layout for the tile kernels. The ok flags are set when a form is made,
// or promised by Prepare to the caller's PrepareParts; pending says what
// those parts make.
type actForm struct {
	rows, tiles         []byte
	rowsOK, tilesOK     bool
	pendRows, pendTiles bool
	rowBytes            int
}

// Set makes the n rows of cols values at x the input of the next Matmuls.
// x is read, not copied: it must not change until the next Set.
func (a *Activations) Set(x []float32, n, cols int) {
	if n < 0 || cols < 0 || len(x) < n*cols {
		panic(fmt.Sprintf("asm.Activations.Set: len(x)=%d n=%d cols=%d", len(x), n, cols))
	}
	a.x, a.n, a.cols = x[:n*cols], n, cols
	for i := range a.forms {
		f := &a.forms[i]
		f.rowsOK, f.tilesOK = false, false
	}
}

// prepRows is the fewest input rows whose preparation is split into
// parts for the caller's threads; fewer are prepared by Prepare itself.
const prepRows = 2 * tileCols

// Prepare makes ready the forms of the input that Matmul reads for weights
// of type t. Work worth spreading over threads is left to the caller:
// Prepare then returns parts > 0, and the caller must run PrepareParts(t,
// lo, hi) over all of [0, parts), split as it likes and concurrently,
// before any Matmul on this input. Prepare itself must not run
// concurrently with anything else on a.
func (a *Activations) Prepare(t quant.Type) (parts int) {
	wk := weightKind(t)
	if wk == nil {
		panic(fmt.Sprintf("asm.Activations.Prepare: weight type %s", t))
	}
	act, tiled := route(table(), wk, a.n)
	if act == actF32 || a.n == 0 {
		return 0
	}
	f := &a.forms[act]
	quantize, tiled := !f.rowsOK, tiled && !f.tilesOK
	if !quantize && !tiled {
		return 0
	}
	at := actTypes[act]
	if a.cols%at.BlockSize() != 0 {
		panic(fmt.Sprintf("asm.Activations.Prepare: %d columns for %s activations", a.cols, at))
	}
	f.rowBytes = a.cols / at.BlockSize() * at.BlockBytes()
	if quantize {
		f.rows = grow(f.rows, a.n*f.rowBytes)
	}
	if tiled {
		f.tiles = grow(f.tiles, tilesBytes(act, a.n, a.cols))
	}
	f.pendRows, f.pendTiles = quantize, tiled
	f.rowsOK, f.tilesOK = true, f.tilesOK || tiled
	if a.n < prepRows {
		a.prepare(act, 0, a.n)
		return 0
	}
	return (a.n + tileCols - 1) / tileCols
}

// PrepareParts makes parts [lo, hi) of the forms Prepare(t) left to the
// caller (a part is up to 8 input rows).
func (a *Activations) PrepareParts(t quant.Type, lo, hi int) {
	wk := weightKind(t)
	if wk == nil || wk.act == actF32 || lo < 0 || hi > (a.n+tileCols-1)/tileCols {
		panic(fmt.Sprintf("asm.Activations.PrepareParts: type %s, parts [%d, %d) of %d rows", t, lo, hi, a.n))
	}
	a.prepare(wk.act, lo*tileCols, min(hi*tileCols, a.n))
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// prepare makes input rows [r0, r1) of form act (r0 a multiple of 8):
// what its pending flags say.
func (a *Activations) prepare(act, r0, r1 int) {
	f := &a.forms[act]
	rb := f.rowBytes
	if f.pendRows {
		for i := r0; i < r1; i++ {
			dst, src := f.rows[i*rb:(i+1)*rb], a.x[i*a.cols:(i+1)*a.cols]
			switch act {
			case actQ8_0:
				QuantizeQ8_0(dst, src)
			case actQ8_1:
				quant.QuantizeQ8_1(dst, src)
			case actQ8_K:
				quantizeQ8_K(dst, src)
			}
		}
	}
	if f.pendTiles {
		x := f.rows[r0*rb : r1*rb]
		if act == actQ8_K {
			end := kTilesBytes(a.n, a.cols)
			prepKTiles(f.tiles[kTilesBytes(r0, a.cols):end], x, r1-r0)
			if len(f.tiles) > end {
				prepKTiles16(f.tiles[end:], x, r0, r1, a.n)
			}
		} else {
			prepTiles(f.tiles[q8TilesBytes(r0, a.cols):], x, r1-r0)
		}
	}
}

// tilesBytes is the size of the tiled form act (Q8_0 or Q8_K) of n rows:
// for Q8_K on a path with the AMX kernel, the tiles of 8 activations
// followed by those of 16.
func tilesBytes(act, n, cols int) int {
	if act == actQ8_K {
		if table().tileKAMX != nil {
			return kTilesBytes(n, cols) + kTiles16Bytes(n, cols)
		}
		return kTilesBytes(n, cols)
	}
	return q8TilesBytes(n, cols)
}

// weightKernels are what Matmul runs for one weight type.
type weightKernels struct {
	// act is the activation form the kernels read.
	act int
	// The kernels of a quantized type: gemv for one activation row,
	// gemm for more, tiles (optional) for enough of them on a path with
	// tile kernels.
	gemv  func(out []float32, w, x []byte)
	gemm  func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int)
	tiles func(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int)
	// float is the kernel of a float type (act == actF32), on rows of
	// rowBytes.
	float func(out []float32, ldo int, w []byte, rowBytes, nrows int, x []float32, nx int)
	// block and blockBytes are the type's block size in values and bytes.
	block, blockBytes int
}

var (
	kindsQ8_0 = weightKernels{act: actQ8_0, gemv: gemvQ8_0, gemm: gemmQ8_0, tiles: gemmQ8_0Tiles, block: qk, blockBytes: q8Bytes}
	kindsQ4_0 = weightKernels{act: actQ8_0, gemv: gemvQ4_0, gemm: gemmQ4_0, tiles: gemmQ4_0Tiles, block: qk, blockBytes: q4Bytes}
	kindsQ4_K = weightKernels{act: actQ8_K, gemv: gemvQ4_K, gemm: gemmQ4_K, tiles: gemmQ4_KTiles, block: qkK, blockBytes: q4KBytes}
	kindsQ5_K = weightKernels{act: actQ8_K, gemv: gemvQ5_K, gemm: gemmQ5_K, tiles: gemmQ5_KTiles, block: qkK, blockBytes: q5KBytes}
	kindsQ6_K = weightKernels{act: actQ8_K, gemv: gemvQ6_K, gemm: gemmQ6_K, tiles: gemmQ6_KTiles, block: qkK, blockBytes: q6KBytes}
	// Only llama.cpp's shape fallbacks use Q4_1 and Q5_1 (never for
	// real EXAONE sizes): they run on the quant references.
	kindsQ4_1 = weightKernels{act: actQ8_1, gemm: gemmDot(quant.DotQ4_1, quant.BlockBytesQ4_1), block: qk, blockBytes: quant.BlockBytesQ4_1}
	kindsQ5_1 = weightKernels{act: actQ8_1, gemm: gemmDot(quant.DotQ5_1, quant.BlockBytesQ5_1), block: qk, blockBytes: quant.BlockBytesQ5_1}
	// Float weights multiply the f32 activations (not rounded to the
	// weight type, so float files stay as exact as transformers).
	kindsF32  = weightKernels{act: actF32, float: matmulF32, block: 1, blockBytes: 4}
	kindsBF16 = weightKernels{act: actF32, float: matmulBF16, block: 1, blockBytes: 2}
	kindsF16  = weightKernels{act: actF32, float: matmulF16, block: 1, blockBytes: 2}
)

// weightKind returns the kernels of weight type t, or nil if Matmul does
// not multiply t.
func weightKind(t quant.Type) *weightKernels {
	switch t {
	case quant.Q8_0:
		return &kindsQ8_0
	case quant.Q4_0:
		return &kindsQ4_0
	case quant.Q4_K:
		return &kindsQ4_K
	case quant.Q5_K:
		return &kindsQ5_K
	case quant.Q6_K:
		return &kindsQ6_K
	case quant.Q4_1:
		return &kindsQ4_1
	case quant.Q5_1:
		return &kindsQ5_1
	case quant.F32:
		return &kindsF32
	case quant.BF16:
		return &kindsBF16
	case quant.F16:
		return &kindsF16
	}
	return nil
}

// MatmulSupports reports whether Matmul multiplies weights of type t.
func MatmulSupports(t quant.Type) bool { return weightKind(t) != nil }

// minTileRows is the fewest activation rows for which the tiled GEMM runs
// (it unpacks each group of weight rows once for all of them), and
// minTileRowsQ8 the fewest for Q8_0 and Q4_0 weights on a path with the
// narrow tile kernels (tile4, tile2) and their transposing unpackers: from
// 2 rows they beat the row kernels (gemm42 and kin).
const (
	minTileRows   = 8
	minTileRowsQ8 = 2
)

// route returns the activation form the kernels of wk read for n input
// rows on path k, and whether they read its tiled form too.
func route(k *kernels, wk *weightKernels, n int) (act int, tiled bool) {
	least := minTileRows
	if wk.act == actQ8_0 && k.tile2 != nil {
		least = minTileRowsQ8
	}

	return wk.act, wk.tiles != nil && k.tile != nil && n >= least
}

// Matmul sets out[j*ldo+r] = (weight row r) . (input row j) for the rows r
// in [r0, r1) of the weight matrix w and every input row j of a. w holds
// rows of rowBytes bytes of type t (MatmulSupports), each a.cols values
// long. a must have been prepared for t (Prepare) since its last Set.
// Matmuls on disjoint row ranges may run concurrently.
func Matmul(out []float32, ldo int, t quant.Type, w []byte, rowBytes int, a *Activations, r0, r1 int) {
	wk := weightKind(t)
	n := a.n
	if wk == nil || rowBytes <= 0 || len(w)%rowBytes != 0 || a.cols%wk.block != 0 ||
		rowBytes != a.cols/wk.block*wk.blockBytes || r0 < 0 || r0 > r1 || r1 > len(w)/rowBytes ||
		ldo < r1 || (n > 0 && r1 > r0 && len(out) < (n-1)*ldo+r1) {
		panic(fmt.Sprintf("asm.Matmul: type %s, len(out)=%d ldo=%d len(w)=%d rowBytes=%d rows [%d, %d), %d x %d input",
			t, len(out), ldo, len(w), rowBytes, r0, r1, n, a.cols))
	}
	if n == 0 || r0 == r1 {
		return
	}
	nrows := r1 - r0
	// (Its capacity reaches the end of the matrix: kernels may prefetch
	// the rows after r1, which the same thread usually takes next.)
	wr := w[r0*rowBytes : r1*rowBytes : len(w)]
	act, tiled := route(table(), wk, n)
	if act == actF32 {
		wk.float(out[r0:], ldo, wr, rowBytes, nrows, a.x, n)
		return
	}
	f := &a.forms[act]
	if !f.rowsOK || tiled && !f.tilesOK {
		panic(fmt.Sprintf("asm.Matmul: input not prepared for %s weights", t))
	}
	x := f.rows[:n*f.rowBytes]
	switch {
	case n == 1 && wk.gemv != nil:
		wk.gemv(out[r0:r1], wr, x)
	case tiled:
		wk.tiles(out[r0:], ldo, wr, nrows, x, f.tiles, n)
	default:
		wk.gemm(out[r0:], ldo, wr, nrows, x, n)
	}
}

// gemmDot lifts a one-row dot product (weight blocks of wb bytes, Q8_1
// activations) to the gemm form.
func gemmDot(dot func(w, x []byte) float32, wb int) func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
	return func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
		xb := len(x) / nx
		rb := xb / quant.BlockBytesQ8_1 * wb
		for r := range nrows {
			row := w[r*rb : (r+1)*rb]
			for j := range nx {
				out[j*ldo+r] = dot(row, x[j*xb:(j+1)*xb])
			}
		}
	}
}

func matmulF32(out []float32, ldo int, w []byte, _, nrows int, x []float32, nx int) {
	GemmF32(out, ldo, f32View(w), nrows, x, nx)
}

func matmulBF16(out []float32, ldo int, w []byte, _, nrows int, x []float32, nx int) {
	gemmBF16(out, ldo, u16View(w), nrows, x, nx)
}

// matmulF16 takes one dot per output, as the decoder always has for f16
// weight files.
func matmulF16(out []float32, ldo int, w []byte, rowBytes, nrows int, x []float32, nx int) {
	cols := rowBytes / 2
	for r := range nrows {
		row := u16View(w[r*rowBytes : (r+1)*rowBytes])
		for j := range nx {
			out[j*ldo+r] = dotF16(row, x[j*cols:(j+1)*cols])
		}
	}
}

// f32View views bytes holding float32 values as a []float32.
func f32View(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}

// u16View views bytes holding 16-bit values as a []uint16.
func u16View(b []byte) []uint16 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/2)
}
