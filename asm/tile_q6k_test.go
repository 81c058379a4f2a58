package asm

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// TestTileK6Kernel checks the Q6_K tile kernel of each path that has one
// against tileK6KernelRef on random groups in the kernel's value ranges.
func TestTileK6Kernel(t *testing.T) {
	testTileKernel(t, tileK6Kernel, tileK6KernelRef, k6WBytes, fillK6Group)
}

// fillK6Group is a checkTileKernel fill for Q6_K groups: values 0..63,
// random int8 scales and their offset pairs, random d.
func fillK6Group(r *rand.Rand, blk []byte) {
	for i := range 4096 {
		blk[i] = byte(r.IntN(64))
	}
	for i := range 256 {
		sc := int32(int8(r.Uint32()))
		binary.LittleEndian.PutUint32(blk[4096+4*i:], uint32(sc))
	}
	for i := range 128 {
		lo, hi := int16(-32*int8(r.Uint32())), int16(-32*int8(r.Uint32()))
		binary.LittleEndian.PutUint32(blk[5120+4*i:], uint32(uint16(lo))|uint32(uint16(hi))<<16)
	}
	for i := range 16 {
		binary.LittleEndian.PutUint32(blk[5632+4*i:], math.Float32bits(float32(r.NormFloat64())))
	}
}

// TestGemmQ6_KTiles checks gemmQ6_KTiles on every path against
// quant.DotQ6_K bit for bit (see checkGemmKTiles), and the same driver
// with the Go reference kernel on any machine.
func TestGemmQ6_KTiles(t *testing.T) {
	testGemmKTiles(t, 43, gemmQ6_KTiles, tileK6KernelRef, repackQ6KTile, k6WBytes, quant.DotQ6_K, q6KBytes, q6KRows, hostileQ6KD)
}

// TestGemmQ6_KTilesExtremes checks gemmQ6_KTiles with every integer sum at
// its limits: all values 0 or 63 (and mixed), scales -128, 127 or 0, and
// activations all -128 or 127.
func TestGemmQ6_KTilesExtremes(t *testing.T) {
	checkKExtremes(t, gemmQ6_KTiles, quant.DotQ6_K, q6KBytes, []byte{0xff, 0x00, 0xf0, 0x0f, 0xaa}, 4, func(blk []byte, _ byte, v int) {
		for s := range 16 {
			blk[192+s] = byte([4]int8{-128, 127, 0, -1}[v])
		}
		binary.LittleEndian.PutUint16(blk[208:], 0x3c00)
	})
}

// BenchmarkGemmQ6_KTiles compares gemmQ6_KTiles with gemmQ6_K.
func BenchmarkGemmQ6_KTiles(b *testing.B) {
	benchGemmKTiles(b, gemmQ6_KTiles, gemmQ6_K, q6KRows)
}

// TestRepackQ6K checks the group unpacking in use (the assembly on amd64)
// against repackQ6KTile (see checkRepackK).
func TestRepackQ6K(t *testing.T) {
	if tileK6Kernel() == nil {
		t.Skip("no tile kernel (the unpacking may need its instructions)")
	}
	checkRepackK(t, 59, []int{1, 3, 8, tileKMaxBlocks + 3}, q6KBytes, k6WBytes, q6KRows, hostileQ6KD, table().repackQ6K, repackQ6KTile)
}
