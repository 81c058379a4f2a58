package model

import (
	"math"

	"github.com/exaone-go/exaone/quant"
)

// actBuf is the input of the matrix products in flight: n rows of cols f32
// values, and their quantized forms, each made once however many matrices
// read the same input (q/k/v, gate/up).
type actBuf struct {
	src     []float32
	n, cols int
	q8_0    []byte
	q8_0ok  bool
	q8k     []byte
	q8kOK   bool
}

func (a *actBuf) init(rows, maxCols int) {
	a.q8_0 = make([]byte, rows*(maxCols/32+1)*34)
	a.q8k = make([]byte, rows*(maxCols/256+1)*292)
}

// setInput makes x (n rows of cols) the input of the next matmuls.
func (s *Session) setInput(x []float32, n, cols int) {
	s.act = actBuf{src: x[:n*cols], n: n, cols: cols, q8_0: s.act.q8_0, q8k: s.act.q8k}
}

// rows returns the input in activation type t and the byte size of a row.
func (a *actBuf) rows(t quant.Type) ([]byte, int) {
	switch t {
	case quant.Q8_0:
		rb := a.cols / 32 * 34
		if !a.q8_0ok {
			for i := 0; i < a.n; i++ {
				quant.QuantizeQ8_0(a.q8_0[i*rb:(i+1)*rb], a.src[i*a.cols:(i+1)*a.cols])
			}
			a.q8_0ok = true
		}
		return a.q8_0[:a.n*rb], rb
	case quant.Q8_K:
		rb := a.cols / 256 * 292
		if !a.q8kOK {
			for i := 0; i < a.n; i++ {
				quant.QuantizeQ8_K(a.q8k[i*rb:(i+1)*rb], a.src[i*a.cols:(i+1)*a.cols])
			}
			a.q8kOK = true
		}
		return a.q8k[:a.n*rb], rb
	}
	return bytesOf(a.src), a.cols * 4
}

// matmulTask splits the rows of one weight matrix across the pool.
type matmulTask struct {
	out    []float32
	w      *Matrix
	x      []byte
	xb, nx int
}

func (t *matmulTask) run(lo, hi, _ int) {
	w := t.w
	w.kern.gemm(t.out[lo:], w.Rows, w.Data[lo*w.RowBytes:hi*w.RowBytes], w.RowBytes, hi-lo, t.x, t.xb, t.nx)
}

// matmul sets out[j*W.Rows+r] = W row r . input row j for the n input rows.
func (s *Session) matmul(out []float32, w *Matrix, n int) {
	x, xb := s.act.rows(w.kern.act)
	s.mm = matmulTask{out: out, w: w, x: x, xb: xb, nx: n}
	// A few chunks per thread balance the load without much handout cost.
	grain := max(16, w.Rows/(s.pool.threads*8))
	s.pool.parallel(w.Rows, grain, &s.mm)
}

// attnTask computes causal attention for each (token, head) of the batch.
type attnTask struct {
	s     *Session
	layer int
	pos0  int
}

func (t *attnTask) run(lo, hi, worker int) {
	s := t.s
	c := &s.m.Config
	hd, qd := c.HeadDim, c.Heads*c.HeadDim
	group := c.Heads / c.KVHeads
	l := &s.cache.layers[t.layer]
	scale := float32(1 / math.Sqrt(float64(hd)))
	for u := lo; u < hi; u++ {
		i, h := u/c.Heads, u%c.Heads
		p := t.pos0 + i
		kvh := h / group
		q := s.q[i*qd+h*hd : i*qd+(h+1)*hd]
		first := 0
		if c.Sliding[t.layer] {
			first = max(0, p-c.Window+1)
		}
		sc := s.scores[worker][:p-first+1]
		base := kvh * l.slots
		maxv := float32(math.Inf(-1))
		for j := first; j <= p; j++ {
			off := (base + l.slot(j)) * hd
			var dot float32
			if s.cache.f16 {
				dot = dotF16F32(l.k16[off:off+hd], q)
			} else {
				dot = dotF32(l.k32[off:off+hd], q)
			}
			v := dot * scale
			sc[j-first] = v
			maxv = max(maxv, v)
		}
		var sum float32
		for j := range sc {
			e := float32(math.Exp(float64(sc[j] - maxv)))
			sc[j] = e
			sum += e
		}
		out := s.att[i*qd+h*hd : i*qd+(h+1)*hd]
		clear(out)
		inv := 1 / sum
		for j := first; j <= p; j++ {
			off := (base + l.slot(j)) * hd
			w := sc[j-first] * inv
			if s.cache.f16 {
				axpyF16(w, l.v16[off:off+hd], out)
			} else {
				axpyF32(w, l.v32[off:off+hd], out)
			}
		}
	}
}

func dotF16F32(a []uint16, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for i, h := range a {
		s += f16Table[h] * b[i]
	}
	return s
}

func axpyF16(alpha float32, x []uint16, y []float32) {
	y = y[:len(x)]
	for i, h := range x {
		y[i] += alpha * f16Table[h]
	}
}
