package asm

import (
	"encoding/binary"
	"sync"
	"testing"
)

// K-quant benchmarks stream weights from 256 MiB like BenchmarkGemvQ4_0
// (run them together with BenchmarkReadBandwidth and BenchmarkGemvQ4_0 to
// compare in one run).
var (
	bigKOnce               sync.Once
	bigQ4K, bigQ5K, bigQ6K []byte
	benchXK                []byte // Q8_K activations of benchCols
)

func bigKData() {
	bigKOnce.Do(func() {
		nb := benchCols / qkK
		r4, r5, r6 := nb*q4KBytes, nb*q5KBytes, nb*q6KBytes
		bigQ4K = make([]byte, bigBytes/r4*r4)
		bigQ5K = make([]byte, bigBytes/r5*r5)
		bigQ6K = make([]byte, bigBytes/r6*r6)
		fillBlocks(bigQ4K, q4KBytes)
		fillBlocks(bigQ5K, q5KBytes)
		fillBlocks(bigQ6K, q6KBytes)
		// Finite dmin (Q4_K) and d (Q6_K): a non-finite row would be
		// recomputed by the reference.
		for i := 0; i+q4KBytes <= len(bigQ4K); i += q4KBytes {
			binary.LittleEndian.PutUint16(bigQ4K[i+2:], 0x2000+uint16(i/q4KBytes)%0x1000)
		}
		for i := 0; i+q5KBytes <= len(bigQ5K); i += q5KBytes {
			binary.LittleEndian.PutUint16(bigQ5K[i+2:], 0x2000+uint16(i/q5KBytes)%0x1000)
		}
		for i := 0; i+q6KBytes <= len(bigQ6K); i += q6KBytes {
			binary.LittleEndian.PutUint16(bigQ6K[i+208:], 0x2000+uint16(i/q6KBytes)%0x1000)
		}
		x := newRand(17)
		benchXK = make([]byte, nb*q8KBytes)
		quantizeQ8_K(benchXK, f32s(x, benchCols))
	})
}

func BenchmarkGemvK(b *testing.B) {
	bigKData()
	for _, f := range kformats {
		w := bigK(f.wb)
		out := make([]float32, len(w)/(len(benchXK)/q8KBytes*f.wb))
		benchGemvPaths(b, f.name, f.gemv, out, w, benchXK)
	}
}

// BenchmarkGemvKL2 runs on 512 KiB of weights (in L2): the kernels'
// compute rate apart from memory.
func BenchmarkGemvKL2(b *testing.B) {
	bigKData()
	for _, f := range kformats {
		w := bigK(f.wb)
		rb := len(benchXK) / q8KBytes * f.wb
		w = w[:(512<<10)/rb*rb]
		out := make([]float32, len(w)/rb)
		benchGemvPaths(b, f.name, f.gemv, out, w, benchXK)
	}
}

// BenchmarkGemmK multiplies 4 MiB of weights with 32 activation rows (so
// that, as in prompt processing, weights come mostly from L2); bytes are
// weight bytes times rows (a rate of work, not of memory).
func BenchmarkGemmK(b *testing.B) {
	bigKData()
	const nx = 32
	x := make([]byte, 0, nx*len(benchXK))
	for range nx {
		x = append(x, benchXK...)
	}
	for _, f := range kformats {
		w := bigK(f.wb)
		rb := len(benchXK) / q8KBytes * f.wb
		rows := (4 << 20) / rb
		w = w[:rows*rb]
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

func bigK(wb int) []byte {
	switch wb {
	case q5KBytes:
		return bigQ5K
	case q6KBytes:
		return bigQ6K
	}
	return bigQ4K
}
