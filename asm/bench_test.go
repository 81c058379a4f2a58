package asm

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"
)

// Benchmarks stream weights from a 256 MiB matrix (far beyond the caches)
// and report GB/s of weights; BenchmarkReadBandwidth measures the plain
// single-thread read bandwidth in the same run so the two can be compared as
// a ratio.
const (
	bigBytes  = 256 << 20
	benchCols = 2048
)

var (
	bigOnce sync.Once
	bigQ8   []byte // Q8_0 rows of benchCols
	bigQ4   []byte // Q4_0 rows of benchCols
	benchX  []byte // Q8_0 activations of benchCols
)

// fill writes a cheap pseudo-random pattern and then valid block scales.
func fillBlocks(b []byte, blockBytes int) {
	s := uint64(0x9e3779b97f4a7c15)
	for i := 0; i+8 <= len(b); i += 8 {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		binary.LittleEndian.PutUint64(b[i:], s)
	}
	for i := 0; i+blockBytes <= len(b); i += blockBytes {
		binary.LittleEndian.PutUint16(b[i:], 0x2000+uint16(i/blockBytes)%0x1000)
	}
}

func bigData() {
	bigOnce.Do(func() {
		q8row, q4row := benchCols/qk*q8Bytes, benchCols/qk*q4Bytes
		bigQ8 = make([]byte, bigBytes/q8row*q8row)
		bigQ4 = make([]byte, bigBytes/q4row*q4row)
		benchX = make([]byte, q8row)
		fillBlocks(bigQ8, q8Bytes)
		fillBlocks(bigQ4, q4Bytes)
		fillBlocks(benchX, q8Bytes)
	})
}

func benchPaths(b *testing.B, f func(b *testing.B)) {
	saved := table()
	defer func() { cur.Store(saved) }()
	for _, name := range Paths() {
		if err := SetPath(name); err != nil {
			b.Fatal(err)
		}
		b.Run(name, f)
	}
}

// benchGemvPaths runs gemv(out, w, x) on every path (benchPaths) as the
// sub-benchmark name, at the bytes of w per call.
func benchGemvPaths(b *testing.B, name string, gemv func(out []float32, w, x []byte), out []float32, w, x []byte) {
	b.Run(name, func(b *testing.B) {
		benchPaths(b, func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				gemv(out, w, x)
			}
		})
	})
}

func BenchmarkReadBandwidth(b *testing.B) {
	bigData()
	b.SetBytes(int64(len(bigQ8)))
	var s uint64
	for b.Loop() {
		s += readSweep(bigQ8)
	}
	if s == 1 {
		b.Log(s)
	}
}

func BenchmarkGemvQ8_0(b *testing.B) {
	bigData()
	out := make([]float32, len(bigQ8)/len(benchX))
	benchPaths(b, func(b *testing.B) {
		b.SetBytes(int64(len(bigQ8)))
		for b.Loop() {
			gemvQ8_0(out, bigQ8, benchX)
		}
	})
}

func BenchmarkGemvQ4_0(b *testing.B) {
	bigData()
	out := make([]float32, len(bigQ4)/(len(benchX)/q8Bytes*q4Bytes))
	benchPaths(b, func(b *testing.B) {
		b.SetBytes(int64(len(bigQ4)))
		for b.Loop() {
			gemvQ4_0(out, bigQ4, benchX)
		}
	})
}

// BenchmarkGemm multiplies a 4 MiB slice of the matrix with 8 activation
// rows (prompt processing); bytes are weight bytes times activation rows,
// so GB/s here is a rate of multiply work, not of memory.
func BenchmarkGemm(b *testing.B) {
	bigData()
	const nx = 8
	x := make([]byte, nx*len(benchX))
	for j := range nx {
		copy(x[j*len(benchX):], benchX)
	}
	for _, f := range []struct {
		name string
		w    []byte
		gemm func([]float32, int, []byte, int, []byte, int)
		wb   int
	}{{"Q8_0", bigQ8, gemmQ8_0, q8Bytes}, {"Q4_0", bigQ4, gemmQ4_0, q4Bytes}} {
		rowBytes := benchCols / qk * f.wb
		rows := (4 << 20) / rowBytes
		w := f.w[:rows*rowBytes]
		out := make([]float32, nx*rows)
		b.Run(f.name, func(b *testing.B) {
			benchPaths(b, func(b *testing.B) {
				b.SetBytes(int64(len(w) * nx))
				for b.Loop() {
					f.gemm(out, rows, w, rows, x, nx)
				}
			})
		})
	}
}

func BenchmarkDotInCache(b *testing.B) {
	bigData()
	w8, w4 := bigQ8[:len(benchX)], bigQ4[:len(benchX)/q8Bytes*q4Bytes]
	benchPaths(b, func(b *testing.B) {
		b.Run("Q8_0", func(b *testing.B) {
			b.SetBytes(int64(len(w8)))
			for b.Loop() {
				dotQ8_0(w8, benchX)
			}
		})
		b.Run("Q4_0", func(b *testing.B) {
			b.SetBytes(int64(len(w4)))
			for b.Loop() {
				dotQ4_0(w4, benchX)
			}
		})
	})
}

func BenchmarkF32(b *testing.B) {
	const n = 4096
	x, y := make([]float32, n), make([]float32, n)
	w := make([]uint16, n)
	for i := range x {
		x[i], y[i], w[i] = float32(i%7), float32(i%5), uint16(0x3c00+i%64)
	}
	q := make([]byte, n/qk*q8Bytes)
	benchPaths(b, func(b *testing.B) {
		for _, k := range []struct {
			name  string
			bytes int
			f     func()
		}{
			{"dotF32", 8 * n, func() { dotF32(x, y) }},
			{"AxpyF32", 8 * n, func() { AxpyF32(0.5, x, y) }},
			{"dotBF16", 6 * n, func() { dotBF16(w, x) }},
			{"dotF16", 6 * n, func() { dotF16(w, x) }},
			{"quantizeQ8_0", 4 * n, func() { QuantizeQ8_0(q, x) }},
		} {
			b.Run(k.name, func(b *testing.B) {
				b.SetBytes(int64(k.bytes))
				for b.Loop() {
					k.f()
				}
			})
		}
	})
}

// BenchmarkGemvL2 runs the GEMV kernels on 512 KiB of weights (in L2), which
// shows their compute rate apart from memory.
func BenchmarkGemvL2(b *testing.B) {
	bigData()
	for _, f := range []struct {
		name string
		w    []byte
		gemv func([]float32, []byte, []byte)
		wb   int
	}{{"Q8_0", bigQ8, gemvQ8_0, q8Bytes}, {"Q4_0", bigQ4, gemvQ4_0, q4Bytes}} {
		rowBytes := benchCols / qk * f.wb
		rows := (512 << 10) / rowBytes
		w := f.w[:rows*rowBytes]
		out := make([]float32, rows)
		benchGemvPaths(b, f.name, f.gemv, out, w, benchX)
	}
}

// BenchmarkStreamRatio interleaves a read sweep and a GEMV over the same
// 256 MiB in every iteration and reports both rates and their ratio
// (gemv/read), which is robust to the bandwidth drifting during a run.
func BenchmarkStreamRatio(b *testing.B) {
	bigData()
	o8 := make([]float32, len(bigQ8)/len(benchX))
	o4 := make([]float32, len(bigQ4)/(len(benchX)/q8Bytes*q4Bytes))
	for _, f := range []struct {
		name string
		w    []byte
		run  func()
	}{
		{"Q8_0", bigQ8, func() { gemvQ8_0(o8, bigQ8, benchX) }},
		{"Q4_0", bigQ4, func() { gemvQ4_0(o4, bigQ4, benchX) }},
	} {
		b.Run(f.name, func(b *testing.B) {
			benchPaths(b, func(b *testing.B) {
				if Path() == "generic" {
					b.Skip("compute bound")
				}
				var tr, tg time.Duration
				var s uint64
				for b.Loop() {
					t0 := time.Now()
					s += readSweep(f.w)
					t1 := time.Now()
					f.run()
					tg += time.Since(t1)
					tr += t1.Sub(t0)
				}
				n := float64(b.N) * float64(len(f.w)) / 1e9
				b.ReportMetric(n/tr.Seconds(), "read-GB/s")
				b.ReportMetric(n/tg.Seconds(), "gemv-GB/s")
				b.ReportMetric(tr.Seconds()/tg.Seconds(), "gemv/read")
				if s == 1 {
					b.Log(s)
				}
			})
		})
	}
}
