//go:build linux

package asm

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"github.com/exaone-go/exaone/quant"
)

// threadTime is the CPU time the calling thread has used, in ns. On a
// shared machine it is steadier than wall time: other processes inflate
// it only through the caches and memory they share.
func threadTime() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// BenchmarkMatmul streams 64 MiB of weights (2048 columns) through Matmul
// against n input rows, in chunks of 128 rows as the decoder splits them.
// rowGB/s is weight bytes times input rows per second (so its ratio to the
// n=1 figure is the speed-up of a batch of n tokens over one); cpu-rowGB/s
// is the same per second of the thread's CPU time.
func BenchmarkMatmul(b *testing.B) {
	bigData()
	bigKData()
	for _, c := range []struct {
		t quant.Type
		w []byte
	}{{quant.Q4_0, bigQ4}, {quant.Q8_0, bigQ8}, {quant.Q4_K, bigQ4K}, {quant.Q5_K, bigQ5K}, {quant.Q6_K, bigQ6K}} {
		const chunk = 128
		rb := benchCols / c.t.BlockSize() * c.t.BlockBytes()
		rows := (64 << 20) / rb / chunk * chunk
		w := c.w[:rows*rb]
		for _, n := range []int{1, 2, 3, 4, 6, 8, 12, 16} {
			x := f32s(newRand(1), n*benchCols)
			out := make([]float32, n*rows)
			var a Activations
			b.Run(fmt.Sprintf("%s/n=%d", c.t, n), func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				t0 := threadTime()
				for b.Loop() {
					a.Set(x, n, benchCols)
					if p := a.Prepare(c.t); p > 0 {
						a.PrepareParts(c.t, 0, p)
					}
					for r := 0; r < rows; r += chunk {
						Matmul(out, rows, c.t, w, rb, &a, r, r+chunk)
					}
				}
				work := float64(len(w)) * float64(n) * float64(b.N)
				b.ReportMetric(work/float64(threadTime()-t0), "cpu-rowGB/s")
				b.ReportMetric(work/float64(b.Elapsed().Nanoseconds()), "rowGB/s")
			})
		}
	}
}
