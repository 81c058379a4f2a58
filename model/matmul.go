package model

import (
	"github.com/exaone-go/exaone/asm"

	"github.com/exaone-go/exaone/quant"
)

// actBuf is the input of the matrix products in flight: n rows of cols f32
// values, and their quantized forms, each made once however many matrices
// read the same input (q/k/v, gate/up).
type actBuf struct {
	src     []float32
	n, cols int
	q       [3][]byte // Q8_0, Q8_1, Q8_K forms
	ok      [3]bool
	xt      [3][]byte // the Q8_0 and Q8_K forms prepared for the tiled GEMMs
	xtOK    [3]bool
}

// minTileRows is the fewest input rows for which the tiled GEMM is used
// (it unpacks each group of weight rows once for all of them).
const minTileRows = 8

// tiles returns the input in activation type t prepared for the tiled GEMM
// (asm.PrepTiles for Q8_0, asm.PrepKTiles for Q8_K).
func (a *actBuf) tiles(t quant.Type) []byte {
	k := actKind(t)
	if !a.xtOK[k] {
		a.prep(k, !a.ok[k], true, 0, a.n)
		a.ok[k], a.xtOK[k] = true, true
	}
	return a.xt[k]
}

// tilesBytes is the size of the tiled form of n rows in activation kind k
// (only Q8_0 and Q8_K have one).
func (a *actBuf) tilesBytes(k, n int) int {
	if actTypes[k] == quant.Q8_K {
		return asm.KTilesBytes(n, a.cols)
	}
	return asm.TilesBytes(n, a.cols)
}

var actTypes = [3]quant.Type{quant.Q8_0, quant.Q8_1, quant.Q8_K}

func (a *actBuf) init(rows, maxCols int) {
	for i, t := range actTypes {
		a.q[i] = make([]byte, rows*(maxCols/t.BlockSize()+1)*t.BlockBytes())
	}
}

// setInput makes x (n rows of cols) the input of the next matmuls.
func (s *Session) setInput(x []float32, n, cols int) {
	s.act.src, s.act.n, s.act.cols = x[:n*cols], n, cols
	s.act.ok = [3]bool{}
	s.act.xtOK = [3]bool{}
}

// actKind returns the index of activation type t in actTypes, or -1 (f32).
func actKind(t quant.Type) int {
	for i, at := range actTypes {
		if at == t {
			return i
		}
	}
	return -1
}

// rows returns the input in activation type t and the byte size of a row.
func (a *actBuf) rows(t quant.Type) ([]byte, int) {
	k := actKind(t)
	if k < 0 {
		return bytesOf(a.src), a.cols * 4
	}
	if !a.ok[k] {
		a.prep(k, true, false, 0, a.n)
		a.ok[k] = true
	}
	rb := a.cols / t.BlockSize() * t.BlockBytes()
	return a.q[k][:a.n*rb], rb
}

// prep quantizes input rows [r0, r1) to activation type actTypes[k] (with
// quantize) and prepares them for the tiled GEMM (with tiled; r0 a
// multiple of 8).
func (a *actBuf) prep(k int, quantize, tiled bool, r0, r1 int) {
	t := actTypes[k]
	rb := a.cols / t.BlockSize() * t.BlockBytes()
	for i := r0; i < r1 && quantize; i++ {
		dst, src := a.q[k][i*rb:(i+1)*rb], a.src[i*a.cols:(i+1)*a.cols]
		switch t {
		case quant.Q8_0:
			asm.QuantizeQ8_0(dst, src)
		case quant.Q8_1:
			quant.QuantizeQ8_1(dst, src)
		case quant.Q8_K:
			asm.QuantizeQ8_K(dst, src)
		}
	}
	if tiled {
		size := a.tilesBytes(k, a.n)
		if len(a.xt[k]) < size {
			a.xt[k] = make([]byte, size)
		}
		dst, x := a.xt[k][r0/tileCols*a.tilesBytes(k, tileCols):size], a.q[k][r0*rb:r1*rb]
		if t == quant.Q8_K {
			asm.PrepKTiles(dst, x, r1-r0)
		} else {
			asm.PrepTiles(dst, x, r1-r0)
		}
	}
}

// tileCols is the activation rows per tile of the tiled GEMM.
const tileCols = 8

// prepTask quantizes (and prepares for the tiled GEMM) the input in
// parallel, 8 rows per unit: for a prompt this is ~10% of the work, too
// much to leave to one thread.
type prepTask struct {
	a               *actBuf
	k               int
	quantize, tiled bool
}

func (t *prepTask) run(lo, hi, _ int) {
	t.a.prep(t.k, t.quantize, t.tiled, lo*tileCols, min(hi*tileCols, t.a.n))
}

// prepInput makes the input's form of activation type at (and its tiled
// form, with tiled) ready, in parallel when there are many rows.
func (s *Session) prepInput(at quant.Type, tiled bool) {
	a := &s.act
	k := actKind(at)
	if k < 0 || a.n < 2*tileCols {
		return
	}
	tiled = tiled && !a.xtOK[k]
	if a.ok[k] && !tiled {
		return
	}
	if size := a.tilesBytes(k, a.n); tiled && len(a.xt[k]) < size {
		a.xt[k] = make([]byte, size)
	}
	s.prep = prepTask{a: a, k: k, quantize: !a.ok[k], tiled: tiled}
	s.pool.parallel((a.n+tileCols-1)/tileCols, 1, &s.prep)
	a.ok[k] = true
	a.xtOK[k] = a.xtOK[k] || tiled
}

// matmulTask splits the rows of up to three weight matrices that read the
// same input (q/k/v, gate/up) across the pool in one dispatch: work unit u
// is one chunk of rows of one matrix.
type matmulTask struct {
	n     int // matrices
	out   [3][]float32
	w     [3]*Matrix
	x     [3][]byte
	xt    [3][]byte // tiled input, if the tiled GEMM is used
	xb    [3]int
	grain [3]int // rows per chunk
	first [4]int // first unit of each matrix
	nx    int
}

func (t *matmulTask) run(lo, hi, _ int) {
	for u := lo; u < hi; u++ {
		k := 0
		for u >= t.first[k+1] {
			k++
		}
		w := t.w[k]
		r0 := (u - t.first[k]) * t.grain[k]
		r1 := min(r0+t.grain[k], w.Rows)
		if t.xt[k] != nil {
			w.kern.tiles(t.out[k][r0:], w.Rows, w.Data[r0*w.RowBytes:r1*w.RowBytes], r1-r0, t.x[k][:t.nx*t.xb[k]], t.xt[k], t.nx)
			continue
		}
		w.kern.gemm(t.out[k][r0:], w.Rows, w.Data[r0*w.RowBytes:r1*w.RowBytes], w.RowBytes, r1-r0, t.x[k], t.xb[k], t.nx)
	}
}

// matmul sets out[j*W.Rows+r] = W row r . input row j for the n input rows.
func (s *Session) matmul(out []float32, w *Matrix, n int) {
	s.matmuls(n, out, w, nil, nil, nil, nil)
}

// matmuls runs up to three matmuls on the current input as one parallel
// loop (nil pairs are skipped), saving the dispatches and waits between
// them.
func (s *Session) matmuls(n int, out0 []float32, w0 *Matrix, out1 []float32, w1 *Matrix, out2 []float32, w2 *Matrix) {
	t := &s.mm
	t.n, t.nx = 0, n
	for _, p := range [3]struct {
		out []float32
		w   *Matrix
	}{{out0, w0}, {out1, w1}, {out2, w2}} {
		if p.w == nil {
			continue
		}
		k := t.n
		t.out[k], t.w[k] = p.out, p.w
		tiled := p.w.kern.tiles != nil && n >= minTileRows && asm.HasTiles()
		s.prepInput(p.w.kern.act, tiled)
		t.x[k], t.xb[k] = s.act.rows(p.w.kern.act)
		t.xt[k] = nil
		if tiled {
			t.xt[k] = s.act.tiles(p.w.kern.act)
		}
		// A few chunks per thread balance the load without much
		// handout cost; whole groups of 16 rows (the tile height).
		t.grain[k] = max(16, p.w.Rows/(s.pool.threads*8)&^15)
		t.first[k+1] = t.first[k] + (p.w.Rows+t.grain[k]-1)/t.grain[k]
		t.n++
	}
	for k := t.n + 1; k < len(t.first); k++ {
		t.first[k] = t.first[t.n]
	}
	s.pool.parallel(t.first[t.n], 1, t)
}
