package asm

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"syscall"
	"testing"
	"unsafe"

	"github.com/exaone-go/exaone/quant"
)

// Helpers shared by the package's tests: paths, random data, references
// and checks.

// allSets returns every kernel set this CPU can run: the paths (generic
// included) and the variants that swap in a kernel for a finer feature.
func allSets() []*kernels { return append(sets(), archVariants()...) }

// amxRefSet is the first set with the AMX route run by the Go forms of its
// kernel and repackers, so that the route (the 16-activation tiles that
// Prepare makes, the driver on them) is tested on any machine.
func amxRefSet() *kernels {
	k := *sets()[0]
	k.name = "amx-ref"
	if k.tileK == nil {
		k.tileK = tileKKernelRef
	}
	k.tileKAMX = tileKAMX16Ref
	k.amxOn, k.amxOff = func() {}, func() {}
	k.repackQ4KAMX = repackAMX(repackQ4KTile, q4KBytes, kToAMX)
	k.repackQ5KAMX = repackAMX(repackQ5KTile, q5KBytes, kToAMX)
	return &k
}

// The kernels of the path in use, for the tests of one kernel.
func tileKernel() tileFunc { return table().tile }

func tileKKernel() tileKFunc { return table().tileK }

func tileK6Kernel() tileKFunc { return table().tileK6 }

// forEachPath runs f once per kernel set of allSets (and extra), with the
// set in use, and restores the set in use afterwards.
func forEachPath(t *testing.T, f func(t *testing.T), extra ...*kernels) {
	t.Helper()
	saved := table()
	defer func() { cur.Store(saved) }()
	for _, k := range append(allSets(), extra...) {
		if err := SetPath(k.name); err == nil {
			if Path() != k.name {
				t.Fatalf("SetPath(%q) left Path() = %q", k.name, Path())
			}
		} else {
			cur.Store(k) // a variant, not a path
		}
		t.Run(k.name, f)
	}
}

// funcPC is the code address of f, to tell which kernel a table entry is.
func funcPC(f any) uintptr { return reflect.ValueOf(f).Pointer() }

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// randScale returns a random f16 scale of the sizes quantized tensors have.
func randScale(r *rand.Rand) uint16 {
	v := float32(math.Ldexp(1+r.Float64(), -r.IntN(12)))
	if r.IntN(2) == 0 {
		v = -v
	}
	return quant.F32ToF16(v)
}

// q8Blocks returns nb random Q8_0 blocks; scale(b) gives block b's f16 scale
// and qv() each value.
func q8Blocks(nb int, scale func(b int) uint16, qv func() int8) []byte {
	buf := make([]byte, nb*q8Bytes)
	for b := range nb {
		blk := buf[b*q8Bytes:]
		binary.LittleEndian.PutUint16(blk, scale(b))
		for i := range qk {
			blk[2+i] = byte(qv())
		}
	}
	return buf
}

// q4Blocks returns nb Q4_0 blocks; nib() gives each nibble (0..15).
func q4Blocks(nb int, scale func(b int) uint16, nib func() uint8) []byte {
	buf := make([]byte, nb*q4Bytes)
	for b := range nb {
		blk := buf[b*q4Bytes:]
		binary.LittleEndian.PutUint16(blk, scale(b))
		for i := range qk / 2 {
			blk[2+i] = nib()&15 | nib()<<4
		}
	}
	return buf
}

func q8At(blk []byte, i int) int { return int(int8(blk[2+i])) }

func q4At(blk []byte, i int) int {
	if i < 16 {
		return int(blk[2+i]&15) - 8
	}
	return int(blk[2+i-16]>>4) - 8
}

// absBound returns sum over blocks of |dw*dx| * sum_i |qw_i*qx_i|: the scale
// of the float rounding errors of any summation order.
func absBound(w, x []byte, wb int) float64 {
	var t float64
	for b := range len(x) / q8Bytes {
		wblk, xblk := w[b*wb:], x[b*q8Bytes:]
		s := float64(quant.F16ToF32(binary.LittleEndian.Uint16(wblk))) * float64(quant.F16ToF32(binary.LittleEndian.Uint16(xblk)))
		var a int
		for i := range qk {
			var qw int
			if wb == q8Bytes {
				qw = q8At(wblk, i)
			} else {
				qw = q4At(wblk, i)
			}
			p := qw * q8At(xblk, i)
			a += max(p, -p)
		}
		t += math.Abs(s) * float64(a)
	}
	return t
}

// same reports whether got matches want within tol*(|want|+bound); NaN
// matches NaN and infinities must match exactly.
func same(got, want float32, bound, tol float64) bool {
	if math.IsNaN(float64(want)) || math.IsNaN(float64(got)) {
		return math.IsNaN(float64(want)) && math.IsNaN(float64(got))
	}
	if math.IsInf(float64(want), 0) || math.IsInf(float64(got), 0) {
		return got == want
	}
	return math.Abs(float64(got)-float64(want)) <= tol*(math.Abs(float64(want))+bound)
}

func dotRef(w, x []byte, wb int) float32 {
	if wb == q8Bytes {
		return quant.DotQ8_0(w, x)
	}
	return quant.DotQ4_0(w, x)
}

func dotCur(w, x []byte, wb int) float32 {
	if wb == q8Bytes {
		return dotQ8_0(w, x)
	}
	return dotQ4_0(w, x)
}

// weights returns nb random weight blocks of the format with wb bytes.
func weights(r *rand.Rand, wb, nb int, scale func(int) uint16) []byte {
	if wb == q8Bytes {
		return q8Blocks(nb, scale, func() int8 { return int8(r.Uint32()) })
	}
	return q4Blocks(nb, scale, func() uint8 { return uint8(r.Uint32()) })
}

func guarded(n, pad int) ([]float32, []float32) {
	buf := make([]float32, n+2*pad)
	for i := range buf {
		buf[i] = guard
	}
	return buf, buf[pad : pad+n]
}

func checkGuards(t *testing.T, buf []float32, pad, n int) {
	t.Helper()
	for i, v := range buf {
		if (i < pad || i >= pad+n) && v != guard {
			t.Fatalf("guard %d of %d overwritten: %v", i, len(buf), v)
		}
	}
}

// odd returns a copy of b at an odd offset inside a larger buffer, so that
// kernels see unaligned inputs.
func odd(b []byte, off int) []byte {
	buf := make([]byte, len(b)+off+3)
	copy(buf[off:], b)
	return buf[off : off+len(b) : off+len(b)]
}

func f32s(r *rand.Rand, n int) []float32 {
	x := make([]float32, n+1)[1:]
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

func absDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) * float64(b[i]))
	}
	return s
}

// kWeights returns nb random super-blocks of the format with wb bytes:
// random packed values and scales, f16 super-block scales from scale(b).
func kWeights(r *rand.Rand, wb, nb int, scale func(b int) uint16) []byte {
	w := make([]byte, nb*wb)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for b := range nb {
		blk := w[b*wb:]
		if wb != q6KBytes {
			binary.LittleEndian.PutUint16(blk, scale(b))
			binary.LittleEndian.PutUint16(blk[2:], scale(b))
		} else {
			binary.LittleEndian.PutUint16(blk[208:], scale(b))
		}
	}
	return w
}

// fixBsums makes the block sums of Q8_K blocks x the sums of their values,
// as quantizeQ8_K writes them.
func fixBsums(x []byte) {
	for b := 0; b+q8KBytes <= len(x); b += q8KBytes {
		blk := x[b:]
		for g := range 16 {
			var s int
			for i := range 16 {
				s += int(int8(blk[4+16*g+i]))
			}
			binary.LittleEndian.PutUint16(blk[260+2*g:], uint16(int16(s)))
		}
	}
}

// kActs returns nb Q8_K blocks of random values (q() each) with d from
// dx(b) and consistent block sums.
func kActs(nb int, dx func(b int) float32, q func() int8) []byte {
	x := make([]byte, nb*q8KBytes)
	for b := range nb {
		blk := x[b*q8KBytes:]
		binary.LittleEndian.PutUint32(blk, math.Float32bits(dx(b)))
		for i := range qkK {
			blk[4+i] = byte(q())
		}
	}
	fixBsums(x)
	return x
}

func randDx(r *rand.Rand) float32 { return float32(math.Ldexp(1+r.Float64(), -r.IntN(12)-5)) }

// sameBits: results must equal the reference exactly (NaN matches NaN).
func sameBits(got, want float32) bool {
	return got == want || math.IsNaN(float64(got)) && math.IsNaN(float64(want))
}

// q4KRows returns n random Q4_K super-blocks (random values and packed
// scales) with random finite f16 d and dmin of either sign.
func q4KRows(r *rand.Rand, n int) []byte {
	w := kWeights(r, q4KBytes, n, func(int) uint16 { return randScale(r) })
	for b := range n {
		binary.LittleEndian.PutUint16(w[b*q4KBytes+2:], randScale(r))
	}
	return w
}

// q8KRows returns nx rows of nb Q8_K super-blocks quantized from random
// floats; row j is scaled by scale(j).
func q8KRows(r *rand.Rand, nx, nb int, scale func(j int) float64) []byte {
	x := make([]byte, nx*nb*q8KBytes)
	for j := range nx {
		v := make([]float32, nb*qkK)
		s := scale(j)
		for i := range v {
			v[i] = float32(r.NormFloat64() * s)
		}
		quant.QuantizeQ8_K(x[j*nb*q8KBytes:][:nb*q8KBytes], v)
	}
	return x
}

// hostileDMin returns the hostile-scale writer of checkGemmKTiles and
// checkRepackK for Q4_K and Q5_K (blocks of blockBytes): the i-th value
// goes to d (i even) or dmin (i odd).
func hostileDMin(blockBytes int) func(w []byte, blk, i int, h uint16) {
	return func(w []byte, blk, i int, h uint16) {
		binary.LittleEndian.PutUint16(w[blk*blockBytes+2*(i%2):], h)
	}
}

// checkRepackK checks the group unpacking repack against its reference ref
// byte for byte, for full and partial groups of nbs super-blocks (of
// blockBytes, unpacked to gBytes; rows from rows), with infinite, NaN and
// subnormal f16 scales (put by hostile) among the random ones.
func checkRepackK(t *testing.T, seed uint64, nbs []int, blockBytes, gBytes int, rows func(r *rand.Rand, n int) []byte,
	hostile func(w []byte, blk, i int, h uint16), repack, ref func(dst, w []byte, rowBytes, rows, nb int)) {
	r := newRand(seed)
	for _, nb := range nbs {
		for nr := 1; nr <= tileRows; nr++ {
			rowBytes := nb * blockBytes
			w := rows(r, nr*nb)
			for i, h := range []uint16{0x7c00, 0xfc00, 0x7e00, 0x0001, 0x83ff} {
				hostile(w, (i*5)%(nr*nb), i, h)
			}
			got := make([]byte, nb*gBytes)
			want := make([]byte, nb*gBytes)
			for i := range got {
				got[i] = byte(i)
			}
			repack(got, w, rowBytes, nr, nb)
			ref(want, w, rowBytes, nr, nb)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("nb=%d rows=%d: byte %d (of super-block %d) = %#x, want %#x", nb, nr, i, i/gBytes, got[i], want[i])
				}
			}
		}
	}
}

// q5KRows returns n random Q5_K super-blocks (random values and packed
// scales) with random finite f16 d and dmin of either sign.
func q5KRows(r *rand.Rand, n int) []byte {
	w := kWeights(r, q5KBytes, n, func(int) uint16 { return randScale(r) })
	for b := range n {
		binary.LittleEndian.PutUint16(w[b*q5KBytes+2:], randScale(r))
	}
	return w
}

// tileGemmFn is the signature of gemmQ4_KTiles and its kin.
type tileGemmFn = func(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int)

// q6KRows returns n random Q6_K super-blocks (random values and int8
// scales) with random finite f16 d of either sign.
func q6KRows(r *rand.Rand, n int) []byte {
	return kWeights(r, q6KBytes, n, func(int) uint16 { return randScale(r) })
}

// checkTileKernel checks a tile kernel f against its Go reference ref on
// random groups (gBytes per super-block, from fill) and random prepared
// activations, bit for bit, with and without acc; the guard values around
// the tile stay.
func checkTileKernel(t *testing.T, f, ref tileKFunc, gBytes int, fill func(r *rand.Rand, blk []byte)) {
	r := newRand(41)
	for _, nb := range []int{1, 2, 5} {
		w := make([]byte, nb*gBytes)
		x := make([]byte, nb*kXBytes)
		for i := range x {
			x[i] = byte(r.Uint32())
		}
		for b := range nb {
			fill(r, w[b*gBytes:][:gBytes])
			for j := range tileCols {
				binary.LittleEndian.PutUint32(x[b*kXBytes+2304+4*j:], math.Float32bits(float32(r.NormFloat64())))
			}
		}
		for _, acc := range []bool{false, true} {
			got, want := tileOuts()
			const ldo = tileLdo
			f(&got[1], ldo, &w[0], &x[0], nb, acc)
			ref(&want[1], ldo, &w[0], &x[0], nb, acc)
			for i := range got {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("nb=%d acc=%v: out[%d] = %g, want %g", nb, acc, i, got[i], want[i])
				}
			}
		}
	}
}

// checkGemmKTiles checks gemm against dot (the reference) bit for bit, with
// odd sizes, a row stride larger than the rows, guard values, rows longer
// than one kernel call (nbs), and hostile f16 scales (infinite, NaN and
// huge; hostile(w, blk, i) puts the i-th of them into super-block blk)
// with activations large enough to overflow: some results must be
// infinite and some NaN.
func checkGemmKTiles(t *testing.T, seed uint64, gemm tileGemmFn, dot func(w, x []byte) float32, wBlock int,
	rows func(r *rand.Rand, n int) []byte, hostile func(w []byte, blk, i int, h uint16), nbs []int) {
	r := newRand(seed)
	var nInf, nNaN int
	for _, nb := range nbs {
		// (70 rows: two sets of groups, the second's partial; 41
		// activations: a block of 4 tiles and a partial one.)
		for _, nrows := range []int{1, 15, 16, 17, 48, 70} {
			for _, nx := range []int{1, 7, 8, 9, 24, 41} {
				for _, hot := range []bool{false, true} {
					rowBytes := nb * wBlock
					w := rows(r, nrows*nb)
					x := q8KRows(r, nx, nb, func(j int) float64 {
						if hot && j == nx-1 && nx > 1 {
							return 1e37
						}
						return 1
					})
					if hot {
						for i, h := range []uint16{0x7c00, 0xfc00, 0x7e00, 0x7bff, 0xfbff} {
							hostile(w, (i*7+3)%(nrows*nb), i, h)
						}
					}
					xt := make([]byte, kTilesBytes(nx, nb*qkK))
					prepKTiles(xt, x, nx)
					runGuarded(t, gemm, w, nrows, x, xt, nx, func(j, rr int, v float32) {
						want := dot(w[rr*rowBytes:][:rowBytes], x[j*nb*q8KBytes:][:nb*q8KBytes])
						if math.IsInf(float64(want), 0) {
							nInf++
						} else if math.IsNaN(float64(want)) {
							nNaN++
						}
						if !sameBits(v, want) {
							t.Fatalf("nb=%d nrows=%d nx=%d hostile=%v: out[%d][%d] = %g, want %g",
								nb, nrows, nx, hot, j, rr, v, want)
						}
					})
				}
			}
		}
	}
	if nInf == 0 || nNaN == 0 {
		t.Fatalf("hostile scales gave %d infinite and %d NaN results; want some of each", nInf, nNaN)
	}
}

// hostileQ6KD is the hostile-scale writer of checkGemmKTiles and
// checkRepackK for Q6_K: the value goes to d.
func hostileQ6KD(w []byte, blk, _ int, h uint16) {
	binary.LittleEndian.PutUint16(w[blk*q6KBytes+208:], h)
}

// fenced returns a slice of n bytes that starts or ends exactly at an
// inaccessible page, so a kernel reading outside its arguments faults.
func fenced(t *testing.T, n int, atEnd bool) []byte {
	t.Helper()
	ps := syscall.Getpagesize()
	data := (n + ps - 1) / ps * ps
	mem, err := syscall.Mmap(-1, 0, data+2*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[:ps], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	if err := syscall.Mprotect(mem[ps+data:], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	if atEnd {
		return mem[ps+data-n : ps+data : ps+data]
	}
	return mem[ps : ps+n : ps+n]
}

func putF32(b []byte, v float32) {
	*(*float32)(unsafe.Pointer(&b[0])) = v
}

// bytesF32 and bytesU16 view a page-aligned byte slice as float32/uint16.
func bytesF32(b []byte) []float32 { return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4) }

func bytesU16(b []byte) []uint16 { return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2) }

// fillKGroup returns a checkTileKernel fill for Q4_K/Q5_K groups: values
// below maxv (16 for Q4_K, 32 for Q5_K), random scales and mins, random
// d and dmin.
func fillKGroup(maxv int) func(r *rand.Rand, blk []byte) {
	return func(r *rand.Rand, blk []byte) {
		for i := range 4096 {
			blk[i] = byte(r.IntN(maxv))
		}
		for i := range 128 {
			m := uint32(r.IntN(64))
			binary.LittleEndian.PutUint32(blk[4096+4*i:], uint32(r.IntN(64)))
			binary.LittleEndian.PutUint32(blk[4608+4*i:], m|m<<16)
		}
		for i := range 32 {
			binary.LittleEndian.PutUint32(blk[5120+4*i:], math.Float32bits(float32(r.NormFloat64())))
		}
	}
}

// testTileKernel runs checkTileKernel on the tile kernel of each path that
// has one.
func testTileKernel(t *testing.T, kernel func() tileKFunc, ref tileKFunc, gBytes int, fill func(r *rand.Rand, blk []byte)) {
	forEachPath(t, func(t *testing.T) {
		f := kernel()
		if f == nil {
			t.Skip("no tile kernel")
		}
		checkTileKernel(t, f, ref, gBytes, fill)
	})
}

// testGemmKTiles checks gemm on every path against dot bit for bit (see
// checkGemmKTiles; hostile values go to the block scales), and the tile
// driver with the Go reference kernel kref on any machine.
func testGemmKTiles(t *testing.T, seed uint64, gemm tileGemmFn, kref tileKFunc, repack repackFunc, gBytes int,
	dot func(w, x []byte) float32, wBlock int, rows func(r *rand.Rand, n int) []byte, hostile func(w []byte, blk, i int, h uint16)) {
	nbs := []int{1, 3, 8, 11, tileKMaxBlocks + 3}
	forEachPath(t, func(t *testing.T) {
		checkGemmKTiles(t, seed, gemm, dot, wBlock, rows, hostile, nbs)
	})
	t.Run("ref", func(t *testing.T) {
		checkGemmKTiles(t, seed, func(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
			gemmKTiles(&kTileShape, [3]tileKFunc{kref}, nil, repack, wBlock, gBytes, out, ldo, w, nrows, x, xt, nx)
		}, dot, wBlock, rows, hostile, nbs[:4])
	})
}

// eachGemmOut calls check(j, i, k) for each result out[k] (activation j,
// row i) of a GEMM of rows rows, nx activations and row stride ldo, after
// checking that the padding between the rows still holds guard.
func eachGemmOut(t *testing.T, name string, out []float32, rows, nx, ldo int, check func(j, i, k int)) {
	t.Helper()
	n := (nx-1)*ldo + rows
	for j := range nx {
		for i := range ldo {
			k := j*ldo + i
			if k >= n {
				break
			}
			if i >= rows {
				if out[k] != guard {
					t.Fatalf("%s: padding out[%d] written", name, k)
				}
				continue
			}
			check(j, i, k)
		}
	}
}

// bitsToFloats reads n float32 bit patterns from data.
func bitsToFloats(data []byte, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return x
}

// quantizeOnSets checks that quantize (an exported quantizer) gives ref's
// bytes (refName) for x, blocks of bs values into ob bytes, on every
// kernel set.
func quantizeOnSets(t *testing.T, x []float32, bs, ob int, ref, quantize func(dst []byte, x []float32), refName string) {
	t.Helper()
	want := make([]byte, len(x)/bs*ob)
	ref(want, x)
	saved := table()
	defer func() { cur.Store(saved) }()
	for _, k := range allSets() {
		cur.Store(k)
		got := make([]byte, len(want))
		quantize(got, x)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: quantization differs from %s", k.name, refName)
		}
	}
}

// quantizeGuarded runs quantize into n bytes with guard bytes on both
// sides, checks that they stay and returns the n bytes.
func quantizeGuarded(t *testing.T, n int, quantize func(dst []byte)) []byte {
	t.Helper()
	buf := make([]byte, n+6)
	for i := range buf {
		buf[i] = 0xa5
	}
	got := buf[3 : 3+n]
	quantize(got)
	for i, v := range buf {
		if (i < 3 || i >= 3+n) && v != 0xa5 {
			t.Fatalf("guard byte %d overwritten", i)
		}
	}
	return got
}

// runGuarded runs gemm into an output of nx rows of ldo = nrows+5 values
// filled with guards, checks that the guards around the nx x nrows
// results stay and calls check with each result v of activation j and
// row rr.
func runGuarded(t *testing.T, gemm tileGemmFn, w []byte, nrows int, x, xt []byte, nx int, check func(j, rr int, v float32)) {
	t.Helper()
	ldo := nrows + 5
	out := make([]float32, nx*ldo+7)
	for i := range out {
		out[i] = -7.25
	}
	gemm(out, ldo, w, nrows, x, xt, nx)
	for i, v := range out {
		if j, rr := i/ldo, i%ldo; j < nx && rr < nrows {
			check(j, rr, v)
		} else if v != -7.25 {
			t.Fatalf("nrows=%d nx=%d (%d bytes of weights): guard out[%d] = %g", nrows, nx, len(w), i, v)
		}
	}
}

// tileLdo is the row stride of the tile kernels' test outputs.
const tileLdo = 21

// tileOuts returns two equal outputs for a tile kernel writing at index 1
// and its reference: 8 rows of tileLdo and guards, each value tileOut of
// its index, so that acc and stray writes show.
func tileOuts() (got, want []float32) {
	got = make([]float32, 8*tileLdo+3)
	want = make([]float32, len(got))
	for i := range got {
		got[i] = tileOut(i)
		want[i] = got[i]
	}
	return got, want
}

func tileOut(i int) float32 { return float32(i) + 0.5 }

// randQ8Tile returns nb blocks of a random Q8_0/Q4_0 tile group and tiled
// activations (tileKernelRef's layouts) with finite weight and activation
// scales and int16-range correction sums.
func randQ8Tile(r *rand.Rand, nb int) (w, x []byte) {
	w = make([]byte, nb*tileWBytes)
	x = make([]byte, nb*tileXBytes)
	for i := range w {
		w[i] = byte(r.IntN(256))
	}
	for i := range x {
		x[i] = byte(r.IntN(256))
	}
	for b := range nb {
		for i := range tileRows {
			binary.LittleEndian.PutUint32(w[b*tileWBytes+512+4*i:], math.Float32bits(float32(r.NormFloat64())))
		}
		for j := range tileCols {
			binary.LittleEndian.PutUint32(x[b*tileXBytes+256+4*j:], uint32(int32(r.IntN(1<<16)-1<<15)))
			binary.LittleEndian.PutUint32(x[b*tileXBytes+288+4*j:], math.Float32bits(float32(r.NormFloat64())))
		}
	}
	return w, x
}

// infScale returns a copy of the nb-block tile group w with an infinite
// weight scale in its last block.
func infScale(w []byte, nb int) []byte {
	w2 := append([]byte(nil), w...)
	binary.LittleEndian.PutUint32(w2[(nb-1)*tileWBytes+512+4*3:], math.Float32bits(float32(math.Inf(1))))
	return w2
}

// benchGemmKTiles reports multiply-adds per second of tiles (preparation
// excluded) and of gemm on the same 2048 x 2048 matrix (rows from rows)
// and 512 activation rows, one thread.
func benchGemmKTiles(b *testing.B, tiles tileGemmFn, gemm func(out []float32, ldo int, w []byte, nrows int, x []byte, nx int),
	rows func(r *rand.Rand, n int) []byte) {
	const nrows, cols, nx = 2048, 2048, 512
	nb := cols / qkK
	r := newRand(31)
	w := rows(r, nrows*nb)
	x := q8KRows(r, nx, nb, func(int) float64 { return 1 })
	xt := make([]byte, kTilesBytes(nx, cols))
	prepKTiles(xt, x, nx)
	out := make([]float32, nx*nrows)
	b.Run("tiles", func(b *testing.B) {
		for b.Loop() {
			tiles(out, nrows, w, nrows, x, xt, nx)
		}
		b.ReportMetric(float64(b.N)*nrows*nx*cols/b.Elapsed().Seconds()/1e9, "GMAC/s")
	})
	b.Run("gemm", func(b *testing.B) {
		for b.Loop() {
			gemm(out, nrows, w, nrows, x, nx)
		}
		b.ReportMetric(float64(b.N)*nrows*nx*cols/b.Elapsed().Seconds()/1e9, "GMAC/s")
	})
}

// checkKExtremes checks gemm against dot bit for bit with every integer
// sum at its limits: activations all -128 or 127, and weights (2 super-
// blocks of wb bytes per row) all fill, each super-block then given its
// scales by block(blk, fill, v) for the nv variants v.
func checkKExtremes(t *testing.T, gemm tileGemmFn, dot func(w, x []byte) float32, wb int, fills []byte, nv int,
	block func(blk []byte, fill byte, v int)) {
	const nb, nrows, nx = 2, 17, 9
	one := func(int) float32 { return 1 }
	forEachPath(t, func(t *testing.T) {
		for _, xq := range []int8{-128, 127} {
			x := kActs(nx*nb, one, func() int8 { return xq })
			for _, fill := range fills {
				for v := range nv {
					w := make([]byte, nrows*nb*wb)
					for i := range w {
						w[i] = fill
					}
					for b := range nrows * nb {
						block(w[b*wb:][:wb], fill, v)
					}
					xt := make([]byte, kTilesBytes(nx, nb*qkK))
					prepKTiles(xt, x, nx)
					out := make([]float32, nx*nrows)
					gemm(out, nrows, w, nrows, x, xt, nx)
					rowBytes := nb * wb
					for j := range nx {
						for rr := range nrows {
							want := dot(w[rr*rowBytes:][:rowBytes], x[j*nb*q8KBytes:][:nb*q8KBytes])
							if got := out[j*nrows+rr]; !sameBits(got, want) {
								t.Fatalf("x=%d fill=%#x variant %d: out[%d][%d] = %g, want %g", xq, fill, v, j, rr, got, want)
							}
						}
					}
				}
			}
		}
	})
}

// checkPV checks a PV result out (head h's dim values at h*ldo) against
// want within 1e-6 of the magnitude mag(h, d) of the terms of value d;
// the values past dim in each row are guards, which must stay.
func checkPV(t *testing.T, out, want []float32, ldo, dim int, what string, mag func(h, d int) float64) {
	t.Helper()
	for i := range out {
		h, d := i/ldo, i%ldo
		if d >= dim {
			if out[i] != want[i] {
				t.Fatalf("%s: guard out[%d] changed", what, i)
			}
			continue
		}
		if dd := math.Abs(float64(out[i] - want[i])); dd > 1e-6*(mag(h, d)+1) {
			t.Fatalf("%s: out[%d][%d] = %g, want %g", what, h, d, out[i], want[i])
		}
	}
}

// randPV returns a PV test's output (heads rows of ldo, normal values) and
// probabilities p (heads rows of ldp, in [0, 1)).
func randPV(r *rand.Rand, heads, ldo, ldp int) (out, p []float32) {
	out = make([]float32, heads*ldo)
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	p = make([]float32, heads*ldp)
	for i := range p {
		p[i] = float32(r.Float64())
	}
	return out, p
}
