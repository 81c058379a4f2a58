// Package asm holds the CPU kernels of the decoder's hot loops: Q8_0, Q4_0
// and K-quant dot products, matrix-vector and small matrix-matrix products
// against Q8_0/Q8_K activations, activation quantization, f32/bf16/f16
// dot, axpy, scale and conversion helpers, and for prompt batches on
// avx512 the int8 16x8 tile GEMMs (tile_q8q4.go for Q8_0/Q4_0, tile_q?k.go
// for Q4_K/Q5_K/Q6_K, bit-exact to the K-quant references), the float tile
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
//   - "avx512-amx" (avx512 with Intel AMX-INT8 where Linux grants the tile
//     state): the Q4_K/Q5_K prompt GEMMs on tile multiplies, 16 weight
//     rows x 16 activations per kernel call (tile_q4k_amx.go), the rest as
//     avx512;
//   - "neon-dotprod" (SDOT) and "neon" (SMULL/SADALP).
//
// A path is one kernels struct (asm.go): every entry point the exported
// functions dispatch to. The one table of which assembly each path runs is
// the architecture's table file (paths_amd64.go, paths_arm64.go;
// paths_generic.go, with no SIMD set, for other targets and the noasm
// build): archKernels builds the sets the CPU can run (klauspost/cpuid),
// best first, once; the generic set (ref.go) comes last, and the set in
// use sits behind one atomic pointer. Init chooses it, the first time a
// kernel runs if nobody called it: the best path, or the one the
// environment variable EXAONE_KERNELS names; SetPath forces one later.
// Asking for a path the CPU cannot run is an error, never a silent choice:
// Init and Err return it (model.Open refuses to load), and the best path
// runs meanwhile, so no kernel panics over it. The build tag noasm leaves
// only the generic path. There is no init function in the package.
//
// # Matmul
//
// The model's matrix products go through two things. An Activations owns
// the f32 input (Set: n rows of cols values) and the forms kernels read:
// its quantized rows (Q8_0, Q8_1 or Q8_K, after the weight type) and
// their tiled layout, each made once however many matrices read the same
// input. Prepare(t) makes what weights of type t read; work worth
// spreading over threads it leaves to the caller, which runs
// PrepareParts(t, lo, hi) over [0, parts) on its pool before any Matmul.
// Matmul(out, ldo, t, w, rowBytes, act, r0, r1) then multiplies weight
// rows [r0, r1) with every input row and chooses the kernels itself
// (route): the one-row GEMV, the row GEMMs, or the tile GEMMs where the
// path has them and the batch is large enough. The caller splits rows
// across threads only in multiples of SplitRows, so that no row group of
// a kernel is cut and results do not depend on the split.
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
// reference's. The activation quantizers are byte-identical to package
// quant's on every path: QuantizeQ8_0 (also the KV cache's) to
// quant.QuantizeQ8_0 and the Q8_K one of the K-quants to
// quant.QuantizeQ8_K; Q8_1 rows are quant.QuantizeQ8_1's own.
//
// # Layout and conventions
//
// Files are named <family>_<op>[_<arch>].s and .go: families q8q4 (Q8_0
// and Q4_0 weights), kquant (Q4_K/Q5_K/Q6_K), float (f32/bf16/f16 vectors
// and 4x4 tiles), tile (the int8 16x8 GEMMs and their repackers, the op
// being the weight format: tile_q8q4, tile_q4k, tile_q5k, tile_q6k), kvq8
// (the Q8_0 KV cache), attn and sweep; ops gemv, gemm, quant, prep, vec.
// The file without an arch holds the Go side (wrappers, references,
// layouts); a .s file comes with a Go file of //go:noescape stubs whose doc
// comments give the Go loop they replace; a _generic.go file (or
// kvq8_other.go) holds what a build without that assembly needs instead.
// asm.go holds the kernels struct and the exported entry points, matmul.go
// Activations and Matmul, ref.go the generic set, paths_*.go the table.
// The K-quant amd64 kernels are split by op: kquant_gemv_amd64.s (1- and
// 4-row GEMVs) and kquant_gemm_amd64.s (4- and 8-activation GEMMs), with
// the layouts and the constants and macros both use in kquant_amd64.h.
//
// Kernels that differ only in an unpack or load step, a block size or a
// row or activation count are one macro with those as parameters (GEMV4K,
// GEMVP, TILEK, Q8TILE, SCORES, PV, DOT1, DOT16, TILE4X4, ...), so each
// TEXT symbol is a line or two. Shared pieces live once per architecture:
// const_amd64.s holds the constants more than one file loads, as global
// symbols (·bytes0f, ·ones16, ...) sized for their widest load (a <>
// symbol is private to its file); macros_amd64.h the macros several files
// use (DATA16/DATA32 for tables that repeat a qword per lane, HSUM8,
// HMAX8); tile_amd64.h those of the tile kernels. vet reads a .s file as
// text and checks each FP reference against the TEXT above it, so a macro
// that loads arguments sits before any TEXT or in a header (checked
// against none: the kernel tests catch a wrong offset) or after a TEXT
// with the same frame.
//
// A change to the assembly that should not change the code is checked per
// TEXT symbol: go tool asm -S on the old and the new files prints each
// symbol's bytes and relocations, which must match (relocations up to a
// renamed constant); go tool objdump cannot decode every EVEX instruction.
//
// Go assembly is not asynchronously preemptible, so the Go wrappers split
// the work into calls of bounded length (at most 4096 blocks per row and
// about 32K block-rows per call). The multi-row kernels read activations
// prepared once per call (values, per-lane correction sums, f32 scale),
// walk 4 or 8 rows at a time and prefetch the rows 16 ahead.
//
// # Adding a path
//
// Write its kernels (.s and stubs), add a constructor to the
// architecture's table file and list it in archKernels in preference
// order (its CPU features checked there), add its name to find's list in
// asm.go, and add it to the expectations of TestTable (table_test.go) if
// it has optional entries (tiles, attention). Entries left nil or generic
// fall back as the kernels struct says. The tests then run every kernel of
// the new path against the reference (forEachPath); a set that differs
// from a path only by a finer CPU feature goes in archVariants so that it
// is tested too.
//
// # Adding a weight type
//
// Give it a weightKernels value in matmul.go and return it from
// weightKind: the activation form it reads (an act* constant; a new form
// needs its quantizer in Activations.prepare) and its kernels (gemv, gemm,
// optional tiles; or float for a float type). Kernels that differ by path
// are entries of the kernels struct: the reference in genericKernels
// (ref.go; for K-quants setGenericK), the SIMD ones in each table file,
// behind a function that checks lengths and calls table().entry. The
// model loads every type MatmulSupports reports (model/kernels.go) without
// naming it.
//
// # Testing
//
// go test ./asm/ runs every path the CPU can run against the reference.
// The helpers the tests share (forEachPath, the random weights and
// activations, checkTileKernel, checkGemmKTiles, ...) are in
// helpers_test.go.
// For arm64 on an x86 machine, with qemu-user-static:
//
//	GOARCH=arm64 go test -exec qemu-aarch64-static ./asm/   # with QEMU_CPU=cortex-a76 (dotprod)
//	                                                         # and QEMU_CPU=cortex-a53 (plain NEON)
//
// Benchmarks (go test -run xxx -bench . ./asm/) stream a 256 MiB weight
// matrix and report GB/s next to BenchmarkReadBandwidth, a plain read sweep
// in the same run.
package asm
