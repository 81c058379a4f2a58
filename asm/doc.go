// Package asm holds the CPU kernels of the decoder's hot loops: Q8_0,
// Q4_0 and K-quant dot products, matrix-vector and small matrix-matrix
// products against Q8_0/Q8_K activations, activation quantization, f32/
// bf16/f16 dot, axpy, scale and conversion helpers, and for prompt batches
// on avx512 the int8 16x8 tile GEMMs (tile_q8q4.go for Q8_0/Q4_0, tile_q?k.go for
// Q4_K/Q5_K/Q6_K, bit-exact to the K-quant references), the float tile
// GEMMs (float_tile.go) and the attention helpers (attn.go).
//
// # Paths
//
// Every kernel has a pure-Go path ("generic", built on the references in
// package quant) and, on amd64 and arm64, Go assembly paths:
//
//   - "avx2" (AVX2, FMA, F16C);
//   - "avx512" (AVX-512 F/BW/VL + VNNI: VPDPBUSD on 256-bit vectors, a
//     block being 256 bits and Zen 4 splitting 512-bit ops anyway; GFNI,
//     where present, unpacks Q4_0 nibbles);
//   - "neon-dotprod" (SDOT) and "neon" (SMULL/SADALP).
//
// The best path is chosen once at start from klauspost/cpuid; the
// environment variable EXAONE_KERNELS forces one, as does SetPath. Asking
// for a path the CPU cannot run is an error, never a silent fallback: Err
// reports it and every kernel panics with it. The build tag noasm leaves
// only the generic path.
//
// # Results
//
// Per-block integer sums are exact on every path, for every int8 value
// (-128 included). The float part differs from the reference only in
// summation order on amd64, where block scales are applied to 8 int32 lanes
// of partial sums: |got-want| <= 1e-6*(|want| + T) on the tests' data and
// at most (nb+16)*2^-23*T for any data (the fuzz targets' bound), where T =
// sum over blocks of |dw*dx| * sum_i |qw_i*qx_i|. The NEON paths reduce
// each block to its int32 sum and scale in block order, so within one call
// (up to 4096 blocks) they equal the reference bit for bit. A block scale
// that is inf or NaN makes a SIMD result non-finite; that row is then
// recomputed by the reference, so non-finite results are exactly the
// reference's. QuantizeQ8_0 is byte-identical to quant.QuantizeQ8_0.
//
// # Layout and conventions
//
// One .s file per architecture and kernel family, each with a Go file of
// //go:noescape stubs whose doc comments give the Go loop they replace.
// Go assembly is not asynchronously preemptible, so the Go wrappers split
// the work into calls of bounded length (at most 4096 blocks per row and
// about 32K block-rows per call). The multi-row kernels read activations
// prepared once per call (values, per-lane correction sums, f32 scale),
// walk 4 or 8 rows at a time and prefetch the rows 16 ahead.
//
// # Testing
//
// go test ./asm/ runs every path the CPU can run against the reference.
// For arm64 on an x86 machine, with qemu-user-static:
//
//	GOARCH=arm64 go test -exec qemu-aarch64-static ./asm/   # with QEMU_CPU=cortex-a76 (dotprod)
//	                                                         # and QEMU_CPU=cortex-a53 (plain NEON)
//
// Benchmarks (go test -run xxx -bench . ./asm/) stream a 256 MiB weight
// matrix and report GB/s next to BenchmarkReadBandwidth, a plain read sweep
// in the same run.
package asm
