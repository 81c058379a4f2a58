//go:build (amd64 || arm64) && !noasm

package asm

import (
	"encoding/binary"
	"math"
	"sync"

	"github.com/exaone-go/exaone/quant"
)

// Prepared activations: multi-row kernels read each Q8_0 activation block
// once per row, so whatever can be computed once per block is, before the
// rows are walked. A prepared block is prepBytes bytes:
//
//	[0:32)  the 32 int8 values
//	[32:64) 8 int32 lane corrections c[l] = -(x[4l]+x[4l+1]+x[4l+2]+x[4l+3]) << shift
//	[64:68) the scale d as float32
//
// The VNNI kernels multiply unsigned bytes by signed bytes: Q4_0 nibbles q
// are used as they are (sum (q-8)x = sum qx - 8 sum x, shift 3) and Q8_0
// weights as w+128 (sum wx = sum (w+128)x - 128 sum x, shift 7). Starting
// each lane's accumulator at c[l] makes it the exact signed partial sum.
const prepBytes = 72

var prepPool = sync.Pool{New: func() any { return new([]byte) }}

// tmpPool holds gemmP's two-row results (a decode step of several
// sequences calls it for every matrix: it must not allocate).
var tmpPool = sync.Pool{New: func() any { return new([]float32) }}

// prepX prepares the nb blocks of x into a pooled buffer, with prepAsm if
// it is not nil; put the buffer back with prepPool.Put when done.
func prepX(prepAsm prepFunc, x []byte, nb int, shift uint) *[]byte {
	bp := prepPool.Get().(*[]byte)
	if cap(*bp) < nb*prepBytes {
		*bp = make([]byte, nb*prepBytes)
	}
	p := (*bp)[:nb*prepBytes]
	*bp = p
	if prepAsm != nil && nb > 0 {
		prepAsm(&p[0], &x[0], nb, uint64(shift))
		return bp
	}
	for b := range nb {
		xb := x[b*q8Bytes : (b+1)*q8Bytes]
		pb := p[b*prepBytes : (b+1)*prepBytes]
		copy(pb[:32], xb[2:])
		for l := range 8 {
			q := xb[2+4*l : 6+4*l]
			s := int32(int8(q[0])) + int32(int8(q[1])) + int32(int8(q[2])) + int32(int8(q[3]))
			binary.LittleEndian.PutUint32(pb[32+4*l:], uint32(-(s << shift)))
		}
		d := quant.F16ToF32(binary.LittleEndian.Uint16(xb))
		binary.LittleEndian.PutUint32(pb[64:], math.Float32bits(d))
	}
	return bp
}

// f16tab maps every f16 bit pattern to its float32 value; kernels look the
// weight block scales up here (two loads, no vector ALU work).
var f16tab = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = quant.F16ToF32(uint16(i))
	}
	return &t
}()

// maxWork bounds the block-rows of one multi-row call (at most ~40 us of work)
// so that goroutine preemption is never delayed for long.
const maxWork = 1 << 15

// gemvP computes out with a multi-row kernel fP on prepared activations for
// the rows in multiples of 4, and with the 1-row kernel f1 for the rest.
func gemvP(prep prepFunc, fP, fP8 gemvPFunc,
	f1 func(w, x *byte, n int) float32, ref func(w, x []byte) float32,
	out []float32, w, x []byte, wb int, shift uint) {
	nb := len(x) / q8Bytes
	if nb == 0 {
		clear(out)
		return
	}
	rowBytes := nb * wb
	rows4 := len(out) &^ 3
	if rows4 > 0 {
		bp := prepX(prep, x, nb, shift)
		runP(fP, fP8, out[:rows4], w, rowBytes, *bp, nb, wb)
		prepPool.Put(bp)
		for r := range rows4 {
			if !isFinite(out[r]) {
				out[r] = ref(w[r*rowBytes:][:rowBytes], x)
			}
		}
	}
	for r := rows4; r < len(out); r++ {
		out[r] = dotQ(f1, ref, w[r*rowBytes:][:rowBytes], x, wb)
	}
}

// gemvPFunc is the signature of the multi-row kernels (see lowKernels).
type gemvPFunc = func(out *float32, w *byte, stride, rows int, xp *byte, nb int, tab *[1 << 16]float32)

// runP calls fP over len(out) rows (a multiple of 4) in bounded pieces, or
// fP8 (if not nil) over the multiples of 8 and fP over a last 4; rows longer
// than maxBlocks are split into column chunks whose partial sums are added.
func runP(fP, fP8 gemvPFunc, out []float32, w []byte, rowBytes int, xp []byte, nb, wb int) {
	var tmp []float32
	for b := 0; b < nb; b += maxBlocks {
		n := min(maxBlocks, nb-b)
		step := max(8, maxWork/n&^7)
		for r := 0; r < len(out); r += step {
			m := min(step, len(out)-r)
			dst := out[r : r+m]
			if b > 0 {
				if len(tmp) < m {
					tmp = make([]float32, m)
				}
				dst = tmp[:m]
			}
			m8 := 0
			if fP8 != nil {
				m8 = m &^ 7
			}
			if m8 > 0 {
				fP8(&dst[0], &w[r*rowBytes+b*wb], rowBytes, m8, &xp[b*prepBytes], n, f16tab)
			}
			if m8 < m {
				fP(&dst[m8], &w[(r+m8)*rowBytes+b*wb], rowBytes, m-m8, &xp[b*prepBytes], n, f16tab)
			}
			if b > 0 {
				for i, v := range dst {
					out[r+i] += v
				}
			}
		}
	}
}

// gemmP is GemmQ with a multi-row kernel: all activation rows are prepared
// once, then weight rows are taken in groups that fit in L2 and each group
// is multiplied with every activation row while it is cached.
func gemmP(prep prepFunc, fP, fP8 gemvPFunc, fT gemmTFunc,
	f1 func(w, x *byte, n int) float32, ref func(w, x []byte) float32,
	out []float32, ldo int, w []byte, nrows int, x []byte, nx int, wb int, shift uint) {
	if nx == 0 || nrows == 0 {
		return
	}
	xrow := len(x) / nx
	nb := xrow / q8Bytes
	if nb == 0 {
		for j := range nx {
			clear(out[j*ldo : j*ldo+nrows])
		}
		return
	}
	rowBytes := nb * wb
	rows4 := nrows &^ 3
	if rows4 > 0 {
		bp := prepX(prep, x, nb*nx, shift)
		xp := *bp
		group := max(8, (256<<10)/rowBytes&^7)
		var tmp []float32
		if fT != nil && nx >= 2 {
			tp := tmpPool.Get().(*[]float32)
			defer tmpPool.Put(tp)
			if cap(*tp) < 2*min(group, rows4) {
				*tp = make([]float32, 2*min(group, rows4))
			}
			tmp = (*tp)[:2*min(group, rows4)]
		}
		for r := 0; r < rows4; r += group {
			m := min(group, rows4-r)
			j := 0
			for ; fT != nil && j+2 <= nx; j += 2 {
				runT(fT, out[j*ldo+r:][:m], out[(j+1)*ldo+r:][:m], w[r*rowBytes:], rowBytes,
					xp[j*nb*prepBytes:], nb*prepBytes, nb, wb, tmp)
			}
			for ; j < nx; j++ {
				runP(fP, fP8, out[j*ldo+r:j*ldo+r+m], w[r*rowBytes:], rowBytes, xp[j*nb*prepBytes:], nb, wb)
			}
		}
		prepPool.Put(bp)
		for j := range nx {
			for r := range rows4 {
				if v := out[j*ldo+r]; !isFinite(v) {
					out[j*ldo+r] = ref(w[r*rowBytes:][:rowBytes], x[j*xrow:][:xrow])
				}
			}
		}
	}
	for r := rows4; r < nrows; r++ {
		for j := range nx {
			out[j*ldo+r] = dotQ(f1, ref, w[r*rowBytes:][:rowBytes], x[j*xrow:][:xrow], wb)
		}
	}
}

// gemmTFunc is the signature of the GEMM tile kernels (4 weight rows x 2
// activation rows; see gemm42Q8VNNI).
type gemmTFunc = func(out *float32, w *byte, stride, rows int, xp *byte, xstride, nb int, tab *[1 << 16]float32)

// runT sets out0[i] and out1[i] to the dots of row i of w (len(out0) rows,
// a multiple of 4) with the prepared activations at xp and xp+xstride, in
// bounded tile calls; tmp holds 2*len(out0) floats.
func runT(fT gemmTFunc, out0, out1 []float32, w []byte, rowBytes int, xp []byte, xstride, nb, wb int, tmp []float32) {
	m := len(out0)
	for b := 0; b < nb; b += maxBlocks {
		n := min(maxBlocks, nb-b)
		step := max(4, maxWork/(2*n)&^3)
		for r := 0; r < m; r += step {
			k := min(step, m-r)
			t := tmp[:2*k]
			fT(&t[0], &w[r*rowBytes+b*wb], rowBytes, k, &xp[b*prepBytes], xstride, n, f16tab)
			o0, o1 := out0[r:r+k], out1[r:r+k]
			for g := 0; g < k; g += 4 {
				for i := range 4 {
					v0, v1 := t[2*g+i], t[2*g+4+i]
					if b > 0 {
						v0 += o0[g+i]
						v1 += o1[g+i]
					}
					o0[g+i], o1[g+i] = v0, v1
				}
			}
		}
	}
}
