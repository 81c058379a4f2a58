package model

import (
	"github.com/exaone-go/exaone/asm"
)

// prepInput makes the forms of the input (s.act) that w reads ready, in
// parallel (prepRows): for a prompt this is ~10% of the work, too much to
// leave to one thread.
func (s *Session) prepInput(w *Matrix) {
	if parts := s.act.Prepare(w.Layout); parts > 0 {
		s.prepLayout = w.Layout
		s.pool.parallel(parts, 1, &s.prepTask)
	}
}

func (s *Session) prepRows(lo, hi int) { s.act.PrepareParts(s.prepLayout, lo, hi) }

// matmulTask splits the rows of up to three weight matrices that read the
// same input (q/k/v, gate/up) across the pool in one dispatch: work unit u
// is one chunk of rows of one matrix.
type matmulTask struct {
	n     int // matrices
	a     *asm.Activations
	out   [3][]float32
	w     [3]*Matrix
	grain [3]int // rows per chunk
	first [4]int // first unit of each matrix
}

func (t *matmulTask) run(lo, hi, _ int) {
	for u := lo; u < hi; u++ {
		k := 0
		for u >= t.first[k+1] {
			k++
		}
		w := t.w[k]
		r0 := (u - t.first[k]) * t.grain[k]
		asm.Matmul(t.out[k], w.Rows, w.Layout, w.Data, w.RowBytes, t.a, r0, min(r0+t.grain[k], w.Rows))
	}
}

// matmul sets out[j*W.Rows+r] = W row r . input row j for the input rows
// (s.act).
func (s *Session) matmul(out []float32, w *Matrix) {
	s.matmuls(out, w, nil, nil, nil, nil)
}

// matmuls runs up to three matmuls on the current input as one parallel
// loop (nil pairs are skipped), saving the dispatches and waits between
// them.
func (s *Session) matmuls(out0 []float32, w0 *Matrix, out1 []float32, w1 *Matrix, out2 []float32, w2 *Matrix) {
	t := &s.mm
	t.n, t.a = 0, &s.act
	for _, p := range [3]struct {
		out []float32
		w   *Matrix
	}{{out0, w0}, {out1, w1}, {out2, w2}} {
		if p.w == nil {
			continue
		}
		k := t.n
		t.out[k], t.w[k] = p.out, p.w
		s.prepInput(p.w)
		// A few chunks per thread balance the load without much
		// handout cost; whole row groups of the kernels.
		g := asm.SplitRows
		t.grain[k] = max(g, p.w.Rows/(s.pool.threads*8)/g*g)
		t.first[k+1] = t.first[k] + (p.w.Rows+t.grain[k]-1)/t.grain[k]
		t.n++
	}
	for k := t.n + 1; k < len(t.first); k++ {
		t.first[k] = t.first[t.n]
	}
	s.pool.parallel(t.first[t.n], 1, t)
}
