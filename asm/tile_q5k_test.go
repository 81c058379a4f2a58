package asm

import (
	"encoding/binary"
	"testing"

	"github.com/exaone-go/exaone/quant"
)

// TestTileKKernelQ5Range checks the Q4_K tile kernel, which gemmQ5_KTiles
// uses, against tileKKernelRef with values in Q5_K's range 0..31.
func TestTileKKernelQ5Range(t *testing.T) {
	testTileKernel(t, tileKKernel, tileKKernelRef, kWBytes, fillKGroup(32))
}

// TestGemmQ5_KTiles checks gemmQ5_KTiles on every path against
// quant.DotQ5_K bit for bit (see checkGemmKTiles; hostile values go to d
// and dmin), and the same driver with the Go reference kernel on any
// machine.
func TestGemmQ5_KTiles(t *testing.T) {
	testGemmKTiles(t, 43, gemmQ5_KTiles, tileKKernelRef, repackQ5KTile, kWBytes, quant.DotQ5_K, q5KBytes, q5KRows, hostileDMin(q5KBytes))
}

// TestGemmQ5_KTilesExtremes checks gemmQ5_KTiles with every integer sum at
// its limits: all values 0 or 31 (and mixed), all scales and mins at
// their maximum or zero, and activations all -128 or 127.
func TestGemmQ5_KTilesExtremes(t *testing.T) {
	checkKExtremes(t, gemmQ5_KTiles, quant.DotQ5_K, q5KBytes, []byte{0xff, 0x00, 0xf0, 0x0f, 0xaa}, 3, func(blk []byte, fill byte, v int) {
		binary.LittleEndian.PutUint16(blk, 0x3c00)
		binary.LittleEndian.PutUint16(blk[2:], 0x3800)
		for s := range 12 {
			blk[4+s] = [3]byte{0xff, 0x00, fill}[v]
		}
	})
}

// BenchmarkGemmQ5_KTiles compares gemmQ5_KTiles with gemmQ5_K.
func BenchmarkGemmQ5_KTiles(b *testing.B) {
	benchGemmKTiles(b, gemmQ5_KTiles, gemmQ5_K, q5KRows)
}

// TestRepackQ5K checks the group unpacking in use (the assembly on amd64)
// against repackQ5KTile (see checkRepackK).
func TestRepackQ5K(t *testing.T) {
	if tileKKernel() == nil {
		t.Skip("no tile kernel (the unpacking may need its instructions)")
	}
	checkRepackK(t, 61, []int{1, 3, 8, tileKMaxBlocks + 3}, q5KBytes, kWBytes, q5KRows, hostileDMin(q5KBytes), table().repackQ5K, repackQ5KTile)
}
