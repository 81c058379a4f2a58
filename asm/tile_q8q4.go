package asm

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/exaone-go/exaone/quant"
)

// Tiled int8 GEMM for batches (prompt processing) of Q8_0 and Q4_0 weights
// with Q8_0 activations.
//
// The activations are prepared once per matmul input (prepTiles) in tiles
// of 8 rows; per tile, block b is tileXBytes bytes:
//
//	[32j, 32j+32)  the 32 int8 values of activation j (j < 8)
//	[256+4j)       int32 correction -128 * (sum of those values)
//	[288+4j)       the scale of activation j as float32
//
// The weights are unpacked 16 rows at a time into a small buffer (L1/L2),
// which is then multiplied with every activation tile; per group, block b
// is tileWBytes bytes:
//
//	[64g+4i, 64g+4i+4)  values 4g..4g+3 of row i plus 128, as unsigned bytes
//	[512+4i)            the scale of row i as float32
//
// so that one VPDPBUSD with an activation's 4 values broadcast adds 4
// products to each of 16 rows, and the float work (convert, scale product,
// FMA) is done once per 16 rows x 32 values instead of once per row.
// Since sum (w+128) x = sum w x + 128 sum x, starting each block's integer
// sum at the correction makes it the exact signed sum. Rows and activation
// rows missing from a last group or tile are padded with zero scales.
const (
	tileRows   = 16
	tileCols   = 8
	tileXBytes = 320
	tileWBytes = 576
	// tileMaxBlocks bounds the blocks of one kernel call (~10 us).
	tileMaxBlocks = 512
)

// tileFunc sets (or with acc, adds to) out[j*ldo+i], for j < 8 and i < 16,
// the sum over nb blocks of the dot of weight row i and activation j, and
// reports whether any of the 128 results is infinite or NaN.
type tileFunc = func(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) (bad bool)

// tileKernelRef is the tile kernel in Go (the reference of the assembly).
func tileKernelRef(out *float32, ldo int, w *byte, x *byte, nb int, acc bool) (bad bool) {
	return tileRef(out, ldo, w, x, nb, acc, tileWBytes, tileXBytes, 288, func(s float32, wk, xk []byte, i, j int, dx float32) float32 {
		sum := int32(le32(xk, 256+4*j))
		for k := range qk {
			sum += int32(wk[64*(k/4)+4*i+k%4]) * int32(int8(xk[32*j+k]))
		}
		dw := math.Float32frombits(le32(wk, 512+4*i))
		return s + float32(sum)*(dw*dx)
	})
}

// tileRef is the frame of the tile kernels in Go: per block (gb bytes of
// the group w, xb of the tile x), activation j and row i the sum s =
// out[j*ldo+i] (with acc; else 0) becomes step(s, ...), dx being the
// activation's scale (the float32 at dxOff+4j of the block). It reports
// whether any result is infinite or NaN.
func tileRef(out *float32, ldo int, w *byte, x *byte, nb int, acc bool, gb, xb, dxOff int,
	step func(s float32, wk, xk []byte, i, j int, dx float32) float32) (bad bool) {
	o := unsafeF32(out, 7*ldo+tileRows)
	ws := unsafeBytes(w, nb*gb)
	xs := unsafeBytes(x, nb*xb)
	var s [tileCols][tileRows]float32
	if acc {
		for j := range tileCols {
			copy(s[j][:], o[j*ldo:j*ldo+tileRows])
		}
	}
	for b := range nb {
		wk := ws[b*gb:][:gb]
		xk := xs[b*xb:][:xb]
		for j := range tileCols {
			dx := math.Float32frombits(le32(xk, dxOff+4*j))
			for i := range tileRows {
				s[j][i] = step(s[j][i], wk, xk, i, j, dx)
			}
		}
	}
	for j := range tileCols {
		copy(o[j*ldo:j*ldo+tileRows], s[j][:])
		for _, v := range s[j] {
			bad = bad || v-v != 0
		}
	}
	return bad
}

// le16 and le32 read the little-endian int16 and uint32 at b[i:].
func le16(b []byte, i int) int32  { return int32(int16(binary.LittleEndian.Uint16(b[i:]))) }
func le32(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[i:]) }

// hasTiles reports whether the current kernel path has the tiled GEMM;
// if not, gemmQ8_0Tiles and gemmQ4_0Tiles are gemmQ8_0 and gemmQ4_0.
func hasTiles() bool { return table().tile != nil }

// q8TilesBytes is the size of the prepared form of nx activation rows of
// cols values.
func q8TilesBytes(nx, cols int) int { return (nx + tileCols - 1) / tileCols * (cols / qk) * tileXBytes }

// prepTiles prepares nx Q8_0 activation rows x (all the same length) for
// gemmQ8_0Tiles and gemmQ4_0Tiles into dst (q8TilesBytes long).
func prepTiles(dst, x []byte, nx int) {
	if nx <= 0 || len(x)%nx != 0 || len(x)/nx%q8Bytes != 0 || len(dst) < q8TilesBytes(nx, len(x)/nx/q8Bytes*qk) {
		panic(fmt.Sprintf("asm.prepTiles: len(dst)=%d len(x)=%d nx=%d", len(dst), len(x), nx))
	}
	xrow := len(x) / nx
	nb := xrow / q8Bytes
	for t := 0; t < nx; t += tileCols {
		tile := dst[t/tileCols*nb*tileXBytes:][:nb*tileXBytes]
		for j := range tileCols {
			if t+j >= nx {
				for b := range nb {
					blk := tile[b*tileXBytes:]
					clear(blk[32*j : 32*j+32])
					binary.LittleEndian.PutUint32(blk[256+4*j:], 0)
					binary.LittleEndian.PutUint32(blk[288+4*j:], 0)
				}
				continue
			}
			row := x[(t+j)*xrow:][:xrow]
			for b := range nb {
				src := row[b*q8Bytes : (b+1)*q8Bytes]
				blk := tile[b*tileXBytes:]
				copy(blk[32*j:32*j+32], src[2:])
				binary.LittleEndian.PutUint32(blk[256+4*j:], uint32(-128*sumInt8x32(src[2:])))
				binary.LittleEndian.PutUint32(blk[288+4*j:], math.Float32bits(quant.F16ToF32(binary.LittleEndian.Uint16(src))))
			}
		}
	}
}

// sumInt8x32 returns the sum of the 32 int8 values q, 8 at a time: as
// bytes +128 (unsigned) summed in 16-bit lanes, which hold at most
// 8*255 and whose sum a multiply gathers in the top lane (at most
// 32*255: no carry). For a batch of a few rows, preparing the tiles is
// paid once per input on one thread; the byte loop was most of it.
func sumInt8x32(q []byte) int32 {
	const lanes = 0x00ff00ff00ff00ff
	var t uint64
	for i := 0; i < 32; i += 8 {
		v := binary.LittleEndian.Uint64(q[i:]) ^ 0x8080808080808080
		t += v&lanes + v>>8&lanes
	}
	return int32(t*0x0001000100010001>>48) - 32*128
}

// gemmQ8_0Tiles is gemmQ8_0 with the activations x also given prepared
// (xt, from prepTiles(xt, x, nx)).
func gemmQ8_0Tiles(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
	k := table()
	gemmQ8Type("gemmQ8_0Tiles", k, k.repackQ8, k.gemmQ8, quant.DotQ8_0, q8Bytes, out, ldo, w, nrows, x, xt, nx)
}

// gemmQ4_0Tiles is gemmQ8_0Tiles for Q4_0 weights.
func gemmQ4_0Tiles(out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
	k := table()
	gemmQ8Type("gemmQ4_0Tiles", k, k.repackQ4, k.gemmQ4, quant.DotQ4_0, q4Bytes, out, ldo, w, nrows, x, xt, nx)
}

// gemmQ8Type is gemmQ8_0Tiles and gemmQ4_0Tiles (name) on path k: the
// arguments checked, the tile kernels with repack or, if the path has
// none, the row GEMM gemm; dot serves rows with non-finite results.
func gemmQ8Type(name string, k *kernels, repack repackFunc, gemm gemmFunc, dot func(w, x []byte) float32, wb int,
	out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
	checkGemm(name, out, ldo, len(w), nrows, len(x), nx, q8Bytes, wb)
	if k.tile == nil {
		gemm(out, ldo, w, nrows, x, nx)
		return
	}
	gemmTiles(&q8TileShape, tileSet{k.tile, k.tile4, k.tile2}, k.prefetch, repack, dot, wb, tileWBytes, out, ldo, w, nrows, x, xt, nx)
}

// padTile zeroes the scales of the rows past rows of a group.
func padTile(dst []byte, rows, nb int) {
	for i := rows; i < tileRows; i++ {
		for b := range nb {
			binary.LittleEndian.PutUint32(dst[b*tileWBytes+512+4*i:], 0)
		}
	}
}

// tileScratch is a tile GEMM's scratch: the unpacked K-chunk of a set of
// weight groups, the outputs of the partial tiles (kept from K-chunk to
// K-chunk) and, per activation tile and group, whether it is whole and
// whether a result was non-finite. Pooled, so that a GEMM allocates
// nothing once the pool holds one per thread large enough (tmp, passed to
// a kernel through a func value, would escape from the stack).
type tileScratch struct {
	buf  []byte
	tmp  []float32 // 8 x 16 per activation tile and group
	bad  []bool    // per activation tile and group
	full []bool
}

var tilePool = sync.Pool{New: func() any { return new(tileScratch) }}

// tileShape is what the tile driver needs to know of a family.
type tileShape struct {
	xb        int // bytes of an activation block (Q8_0 or Q8_K)
	xtBytes   int // prepared activation bytes per block of an 8-row tile
	maxBlocks int // blocks per kernel call
	chunk     int // blocks of the K-chunk whose weights stay in cache
	groups    int // groups of weight rows per pass over the activations
	tileBlock int // activation tiles per group in a row (L1)
	cols      int // activations per tile (tileCols, or 16 for AMX)
}

// The driver walks a set of tileGroups groups of weight rows in K-chunks
// of 1024 values and, per K-chunk, blocks of tileBlock activation tiles:
// each group multiplies the whole block before the next group does. So
// the unpacked K-chunk of a group (18 KB for Q8_0/Q4_0, 21 KB for Q4_K)
// stays in L1 for the tiles of a block, the block's activations (10 KB
// per tile for Q8_0, 9 KB for Q8_K) stay in L1/L2 for the set's groups,
// and each activation is read from L3 or memory once per set rather than
// once per group: for a long prompt on many cores that traffic was more
// than the cores' share of L3 delivered.
const (
	tileGroups = 4
	tileBlock  = 4
)

var (
	q8TileShape = tileShape{q8Bytes, tileXBytes, tileMaxBlocks, 1024 / qk, tileGroups, tileBlock, tileCols}
	kTileShape  = tileShape{q8KBytes, kXBytes, tileKMaxBlocks, 1024 / qkK, tileGroups, tileBlock, tileCols}
	// An AMX group takes 8.6 KB per 256 values: K-chunks of 512 keep its
	// chunk in L1 with a block of 4 tiles of 16 activations (9 KB each).
	kAMXTileShape = tileShape{q8KBytes, kXBytes16, tileKMaxBlocks, 512 / qkK, tileGroups, tileBlock, 16}
)

// tileSet is a family's tile kernels: for a tile's 8 activations and,
// optionally, for its first 4 and 2 (nil: the 8-wide kernel runs on the
// zero-padded tile). All give the same result for an activation.
type tileSet [3]tileFunc

// pick returns the narrowest kernel of s for nj activations, and its width
// (cols for s[0]).
func (s *tileSet) pick(nj, cols int) (tileFunc, int) {
	switch {
	case nj <= 2 && s[2] != nil:
		return s[2], 2
	case nj <= 4 && s[1] != nil:
		return s[1], 4
	}
	return s[0], cols
}

// gemmTiles is the driver of every tile GEMM: it walks the weight rows
// (blocks of wb bytes) in sets of sh.groups groups of 16 and K-chunks
// (sh.chunk blocks) of them; each group's K-chunk is unpacked once (gBytes
// per block) and multiplied with every activation tile, in blocks of
// sh.tileBlock tiles that every group of the set takes in turn. A kernel
// call that reports a non-finite result has those recomputed by ref.
func gemmTiles(sh *tileShape, fs tileSet, prefetch func([]byte), repack repackFunc, ref func(w, x []byte) float32,
	wb, gBytes int, out []float32, ldo int, w []byte, nrows int, x, xt []byte, nx int) {
	if nx == 0 || nrows == 0 {
		return
	}
	xrow := len(x) / nx
	nb := xrow / sh.xb
	if nb == 0 {
		for j := range nx {
			clear(out[j*ldo : j*ldo+nrows])
		}
		return
	}
	cols := sh.cols
	ntiles := (nx + cols - 1) / cols
	if need := ntiles * nb * sh.xtBytes; len(xt) < need {
		panic(fmt.Sprintf("asm: prepared activations too short: %d < %d", len(xt), need))
	}
	rowBytes := nb * wb
	chunk := min(sh.chunk, sh.maxBlocks, nb)
	ng := min(sh.groups, (nrows+tileRows-1)/tileRows)
	sc := tilePool.Get().(*tileScratch)
	if cap(sc.buf) < ng*chunk*gBytes {
		sc.buf = make([]byte, ng*chunk*gBytes)
	}
	if cap(sc.bad) < ntiles*ng || len(sc.tmp) < ntiles*ng*cols*tileRows {
		sc.tmp = make([]float32, ntiles*ng*cols*tileRows)
		sc.bad, sc.full = make([]bool, ntiles*ng), make([]bool, ntiles*ng)
	}
	buf, tmp, bad, full := sc.buf[:ng*chunk*gBytes], sc.tmp, sc.bad[:ntiles*ng], sc.full[:ntiles*ng]
	wc := w[:cap(w)]
	for r0 := 0; r0 < nrows; r0 += ng * tileRows {
		gs := min(ng, (nrows-r0+tileRows-1)/tileRows)
		for b := 0; b < nb; b += chunk {
			n := min(chunk, nb-b)
			for g := range gs {
				r := r0 + g*tileRows
				repack(buf[g*chunk*gBytes:], w[r*rowBytes+b*wb:], rowBytes, min(tileRows, nrows-r), n)
			}
			// The set's next K-chunk (or the next set's first) is asked
			// for (into L1), a few rows at a time between the kernel
			// calls, so that it arrives while this one is multiplied:
			// unpacking waited on it (the K-quant unpackers' gathers wait
			// for each line; one burst of prefetches per group, into L2,
			// did not help).
			pr0, pb, pn := r0, b+n, min(chunk, nb-b-n)
			if pn == 0 {
				pr0, pb, pn = r0+ng*tileRows, 0, chunk
			}
			// (Past nrows, w's capacity may hold the matrix's next rows,
			// which a later call multiplies.)
			prows := 0
			if prefetch != nil {
				prows = ng * tileRows
			}
			for t0 := 0; t0 < ntiles; t0 += sh.tileBlock {
				t1 := min(t0+sh.tileBlock, ntiles)
				for pr := prows * t0 / ntiles; pr < prows*t1/ntiles; pr++ {
					if o := (pr0+pr)*rowBytes + pb*wb; o+pn*wb <= len(wc) {
						prefetch(wc[o : o+pn*wb])
					}
				}
				for g := range gs {
					r := r0 + g*tileRows
					for ti := t0; ti < t1; ti++ {
						t := ti * cols
						nj := min(cols, nx-t)
						u := ti*ng + g
						f, width := fs.pick(nj, cols)
						if b == 0 {
							full[u] = nrows-r >= tileRows && nj == width
							bad[u] = false
						}
						// (checkGemm: out holds the cols x 16 outputs at ldo)
						dst, ld := &out[t*ldo+r], ldo
						if !full[u] {
							dst, ld = &tmp[u*cols*tileRows], tileRows
						}
						if f(dst, ld, &buf[g*chunk*gBytes], &xt[(ti*nb+b)*sh.xtBytes], n, b > 0) {
							bad[u] = true
						}
					}
				}
			}
		}
		for ti := range ntiles {
			t := ti * cols
			nj := min(cols, nx-t)
			for g := range gs {
				r := r0 + g*tileRows
				m := min(tileRows, nrows-r)
				u := ti*ng + g
				if !full[u] {
					for j := range nj {
						copy(out[(t+j)*ldo+r:][:m], tmp[(u*cols+j)*tileRows:][:m])
					}
				}
				if bad[u] {
					// Results that are infinite or NaN (from such a
					// block scale) are the reference's.
					for j := t; j < t+nj; j++ {
						o := out[j*ldo+r:][:m]
						for i, v := range o {
							if v-v != 0 {
								o[i] = ref(w[(r+i)*rowBytes:][:rowBytes], x[j*xrow:][:xrow])
							}
						}
					}
				}
			}
		}
	}
	tilePool.Put(sc)
}

// repackQ8Tile unpacks rows (<= 16) Q8_0 rows of nb blocks into a group.
func repackQ8Tile(dst, w []byte, rowBytes, rows, nb int) {
	repackRows(dst, w, rowBytes, rows, nb, q8Bytes, tileWBytes, zeroTileScale, func(blk, src []byte, i int) {
		putTileScale(blk, src, i)
		for g := range 8 {
			v := binary.LittleEndian.Uint32(src[2+4*g:]) ^ 0x80808080
			binary.LittleEndian.PutUint32(blk[64*g+4*i:], v)
		}
	})
}

// repackRows is the frame of the Go group unpackers: in each block of the
// group dst (gb bytes) row i >= rows gets missing(blk, i), row i < rows
// unpack(blk, src, i) with src its block (wb bytes) in w.
func repackRows(dst, w []byte, rowBytes, rows, nb, wb, gb int, missing func(blk []byte, i int), unpack func(blk, src []byte, i int)) {
	for i := range tileRows {
		for b := range nb {
			blk := dst[b*gb:][:gb]
			if i >= rows {
				missing(blk, i)
			} else {
				unpack(blk, w[i*rowBytes+b*wb:][:wb], i)
			}
		}
	}
}

// zeroTileScale and putTileScale zero or set the scale of row i in the
// Q8_0/Q4_0 group block blk (from the block src).
func zeroTileScale(blk []byte, i int) { binary.LittleEndian.PutUint32(blk[512+4*i:], 0) }
func putTileScale(blk, src []byte, i int) {
	binary.LittleEndian.PutUint32(blk[512+4*i:], math.Float32bits(quant.F16ToF32(binary.LittleEndian.Uint16(src))))
}

// repackQ4Tile unpacks rows (<= 16) Q4_0 rows of nb blocks into a group:
// nibble q becomes the unsigned byte q-8+128.
func repackQ4Tile(dst, w []byte, rowBytes, rows, nb int) {
	const m4, off = 0x0f0f0f0f0f0f0f0f, 0x7878787878787878
	repackRows(dst, w, rowBytes, rows, nb, q4Bytes, tileWBytes, zeroTileScale, func(blk, src []byte, i int) {
		putTileScale(blk, src, i)
		lo := binary.LittleEndian.Uint64(src[2:])
		hi := binary.LittleEndian.Uint64(src[10:])
		l0, l1 := lo&m4+off, hi&m4+off
		h0, h1 := (lo>>4)&m4+off, (hi>>4)&m4+off
		for g, v := range [4]uint64{l0, l1, h0, h1} {
			binary.LittleEndian.PutUint32(blk[128*g+4*i:], uint32(v))
			binary.LittleEndian.PutUint32(blk[128*g+64+4*i:], uint32(v>>32))
		}
	})
}

func unsafeF32(p *float32, n int) []float32 { return unsafe.Slice(p, n) }
func unsafeBytes(p *byte, n int) []byte     { return unsafe.Slice(p, n) }
