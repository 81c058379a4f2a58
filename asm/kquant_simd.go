//go:build (amd64 || arm64) && !noasm

package asm

import (
	"math"
	"sync"

	"github.com/exaone-go/exaone/quant"
)

// kgemvFunc is the shape of the K-quant assembly kernels: for i < rows,
//
//	s := out[i]
//	for b := 0; b < nb; b++ {
//		s = step(s, super-block b of row w+i*stride, super-block b of x)
//	}
//	out[i] = s
//
// where step is the reference's float update for one super-block
// (quant.DotQ4_K, DotQ5_K, DotQ6_K). Taking the running sum from out lets
// long rows be split into bounded calls without changing the result.
// nb <= kMaxBlocks and rows*nb <= kMaxWork.
type kgemvFunc func(out *float32, w *byte, stride, rows int, x *byte, nb int)

// kgemm4Func is kgemvFunc for 4 activation rows at once: for a < 4 it
// does what kgemvFunc does with x+a*xstride into out+a*ldo.
// rows*nb <= kMaxWork/4.
type kgemm4Func func(out *float32, ldo int, w *byte, stride, rows int, x *byte, xstride, nb int)

// kpair is a format's kernels: one for any number of rows, optionally one
// for multiples of 4 rows (faster: shared activations, reductions and
// float steps) and one for 4 activation rows (each weight block unpacked
// once). All give the reference's results, so they can be mixed.
type kpair struct {
	one, four kgemvFunc
	gemm4     kgemm4Func
	// gemm8 (optional) is gemm4 for 8 activation rows.
	gemm8 kgemm4Func
	// permX: gemm4 reads activations permuted by permQ8K.
	permX bool
	// id names one for kOne (a direct call keeps a dot product's sum on
	// the stack; through a func value it would escape).
	id int
}

// setSimdK fills k's K-quant entries from assembly kernels; nil kernels
// (quant8, q5.one) leave the generic ones in place.
func setSimdK(k *kernels, quant8 func(dst *byte, x *float32, nb int), q4, q5, q6 kpair) {
	setGenericK(k)
	if quant8 != nil {
		k.quantQ8K = func(dst []byte, x []float32) {
			nb := len(x) / qkK
			for b := 0; b < nb; b += kMaxBlocks {
				quant8(&dst[b*q8KBytes], &x[b*qkK], min(kMaxBlocks, nb-b))
			}
		}
	}
	k.dotQ4K, k.gemvQ4K, k.gemmQ4K = kFuncs(q4, quant.DotQ4_K, q4KBytes)
	k.dotQ6K, k.gemvQ6K, k.gemmQ6K = kFuncs(q6, quant.DotQ6_K, q6KBytes)
	if q5.one != nil {
		k.dotQ5K, k.gemvQ5K, k.gemmQ5K = kFuncs(q5, quant.DotQ5_K, q5KBytes)
	}
}

func kFuncs(f kpair, ref func(w, x []byte) float32, wb int) (
	dot func(w, x []byte) float32,
	gemv func(out []float32, w, x []byte),
	gemm func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int)) {
	dot = func(w, x []byte) float32 { return kDot(f.id, ref, w, x, wb) }
	gemv = func(out []float32, w, x []byte) { kGemv(f, ref, out, w, x, wb) }
	gemm = func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int) {
		kGemm(f, ref, out, ldo, w, nrows, x, nx, wb)
	}
	return dot, gemv, gemm
}

// kDot is the dot product of one row with the 1-row kernel id.
func kDot(id int, ref func(w, x []byte) float32, w, x []byte, wb int) float32 {
	nb := len(x) / q8KBytes
	var s float32
	for b := 0; b < nb; b += kMaxBlocks {
		kOne(id, &s, &w[b*wb], &x[b*q8KBytes], min(kMaxBlocks, nb-b))
	}
	if !kFinite(s) {
		return ref(w, x)
	}
	return s
}

// kGemv sets out[r] = dot(row r of w, x) with f in bounded calls. The
// kernels follow the reference's float steps, so a non-finite result is
// already the reference's; recomputing it keeps NaN payloads identical too.
func kGemv(f kpair, ref func(w, x []byte) float32, out []float32, w, x []byte, wb int) {
	clear(out)
	nb := len(x) / q8KBytes
	if nb == 0 || len(out) == 0 {
		return
	}
	rowBytes := nb * wb
	rows4 := 0
	if f.four != nil {
		rows4 = len(out) &^ 3
	}
	for b := 0; b < nb; b += kMaxBlocks {
		n := min(kMaxBlocks, nb-b)
		step := max(4, kMaxWork/n&^3)
		for _, p := range [2]struct {
			k      kgemvFunc
			lo, hi int
		}{{f.four, 0, rows4}, {f.one, rows4, len(out)}} {
			for r := p.lo; r < p.hi; r += step {
				m := min(step, p.hi-r)
				p.k(&out[r], &w[r*rowBytes+b*wb], rowBytes, m, &x[b*q8KBytes], n)
			}
		}
	}
	for r, v := range out {
		if !kFinite(v) {
			out[r] = ref(w[r*rowBytes:][:rowBytes], x)
		}
	}
}

// kGemm walks the weight rows in groups that stay in L2 and multiplies
// each group with every activation row.
func kGemm(f kpair, ref func(w, x []byte) float32, out []float32, ldo int, w []byte, nrows int, x []byte, nx int, wb int) {
	if nx == 0 || nrows == 0 {
		return
	}
	xrow := len(x) / nx
	rowBytes := xrow / q8KBytes * wb
	if rowBytes == 0 {
		for j := range nx {
			clear(out[j*ldo : j*ldo+nrows])
		}
		return
	}
	nx8, nx4 := 0, 0
	if f.gemm8 != nil {
		nx8 = nx &^ 7
	}
	nx4 = nx8
	if f.gemm4 != nil {
		nx4 = nx8 + (nx-nx8)&^3
	}
	xk := x
	if f.permX && nx4 > 0 {
		bp := permPool.Get().(*[]byte)
		defer permPool.Put(bp)
		if cap(*bp) < nx4*xrow {
			*bp = make([]byte, nx4*xrow)
		}
		xk = (*bp)[:nx4*xrow]
		permQ8K(xk, x[:nx4*xrow])
	}
	group := max(1, (256<<10)/rowBytes)
	for r := 0; r < nrows; r += group {
		m := min(group, nrows-r)
		wg := w[r*rowBytes : (r+m)*rowBytes]
		for j := 0; j < nx8; j += 8 {
			kGemmN(f.gemm8, 8, ref, out[j*ldo+r:], ldo, wg, m, x[j*xrow:(j+8)*xrow], xk[j*xrow:(j+8)*xrow], xrow, wb)
		}
		for j := nx8; j < nx4; j += 4 {
			kGemmN(f.gemm4, 4, ref, out[j*ldo+r:], ldo, wg, m, x[j*xrow:(j+4)*xrow], xk[j*xrow:(j+4)*xrow], xrow, wb)
		}
		for j := nx4; j < nx; j++ {
			kGemv(f, ref, out[j*ldo+r:j*ldo+r+m], wg, x[j*xrow:][:xrow], wb)
		}
	}
}

// kGemmN sets out[a*ldo+i] = dot(row i of w, activation row a of x) for
// a < na and i < rows with g (a kernel for na activation rows) in bounded
// calls; the kernel reads xk (x or its permutation).
func kGemmN(g kgemm4Func, na int, ref func(w, x []byte) float32, out []float32, ldo int, w []byte, rows int, x, xk []byte, xrow, wb int) {
	nb := xrow / q8KBytes
	rowBytes := nb * wb
	for a := range na {
		clear(out[a*ldo : a*ldo+rows])
	}
	for b := 0; b < nb; b += kMaxBlocks {
		n := min(kMaxBlocks, nb-b)
		step := max(1, kMaxWork/na/n)
		for i := 0; i < rows; i += step {
			m := min(step, rows-i)
			g(&out[i], ldo, &w[i*rowBytes+b*wb], rowBytes, m, &xk[b*q8KBytes], xrow, n)
		}
	}
	for a := range na {
		for i := range rows {
			if !kFinite(out[a*ldo+i]) {
				out[a*ldo+i] = ref(w[i*rowBytes:][:rowBytes], x[a*xrow:][:xrow])
			}
		}
	}
}

// kFinite reports whether f is neither infinite nor NaN (one bit test: the
// result checks run over every output of a GEMM).
func kFinite(f float32) bool { return math.Float32bits(f)&0x7f800000 != 0x7f800000 }

var permPool = sync.Pool{New: func() any { return new([]byte) }}

// permQ8K copies Q8_K blocks from src to dst with the 256 values reordered
// for gemm4Q4KPERM: 64-byte round r = 0..3 holds values 8r..8r+7 of
// sub-blocks (32 values) 0, 2, 4, 6, 1, 3, 5, 7. Scale and block sums stay.
func permQ8K(dst, src []byte) {
	for b := 0; b+q8KBytes <= len(src); b += q8KBytes {
		s := (*[q8KBytes]byte)(src[b : b+q8KBytes])
		d := (*[q8KBytes]byte)(dst[b : b+q8KBytes])
		*(*[4]byte)(d[:4]) = *(*[4]byte)(s[:4])
		*(*[32]byte)(d[260:]) = *(*[32]byte)(s[260:])
		for r := 0; r < 32; r += 8 {
			q := (*[64]byte)(d[4+8*r:])
			// q[8p:8p+8] = values r..r+7 of sub-block 0, 2, 4, 6, 1, 3, 5, 7.
			*(*[8]byte)(q[0:]) = *(*[8]byte)(s[4+0*32+r:])
			*(*[8]byte)(q[8:]) = *(*[8]byte)(s[4+2*32+r:])
			*(*[8]byte)(q[16:]) = *(*[8]byte)(s[4+4*32+r:])
			*(*[8]byte)(q[24:]) = *(*[8]byte)(s[4+6*32+r:])
			*(*[8]byte)(q[32:]) = *(*[8]byte)(s[4+1*32+r:])
			*(*[8]byte)(q[40:]) = *(*[8]byte)(s[4+3*32+r:])
			*(*[8]byte)(q[48:]) = *(*[8]byte)(s[4+5*32+r:])
			*(*[8]byte)(q[56:]) = *(*[8]byte)(s[4+7*32+r:])
		}
	}
}
