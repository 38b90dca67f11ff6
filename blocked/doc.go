// Package blocked is a BLIS-style single-precision GEMM for row-major
// matrices, built on the micro-kernels of package asm, with fused epilogues
// (bias + sigmoid, and Bernoulli sampling with the counter-based rng), a B
// operand that can stay packed across many products (PackedB), parallel
// execution over output blocks through a Runner, and a gonum BLAS wrapper
// (Blas).
//
// # Algorithm
//
// op(A) is m×k, op(B) is k×n, C is m×n. The driver splits the OUTPUT among
// the Runner's workers, by columns (multiples of NR) or rows (multiples of
// MR), MR×NR being the register tile of the running asm level (asm.Current,
// 6×16 for avx2); K is never split between workers. Each worker then runs
//
//	for pc := 0; pc < k; pc += kc {                   // kc = k unless k > KC
//		pack its rows of op(A)[:, pc:pc+kc] into MR-row panels (A~)
//		for jc := range its columns, step nc {        // kc×nc of B~: a quarter of L2
//			pack op(B)[pc:pc+kc, jc:jc+nc] into NR-column panels (B~),
//			  or point into a PackedB
//			asm.GemmKernel(A~, B~, C[:, jc:jc+nc])    // rows outer (A panel in L1),
//		}                                             //   columns inner (B~ from L2)
//	}
//
// with β for the first k block and 1 for the others, and the fused epilogue
// on the last one. KC is chosen so that an MR×kc A panel fills three quarters
// of the L1 data cache (1024 for 32 KiB), and nc so that B~ fills a quarter
// of L2, from the sizes cpuid reports (32 KiB, 512 KiB and 4 MiB when
// unknown); A~ is packed by blocks of at most a quarter of L3 (MC rows).
// Packing uses the assembly of package asm: 8×8 in-lane transposes for A and
// Bᵀ, row-order copies for B and Aᵀ.
//
// # Reproducibility
//
// Every element of C is the same float32 FMA chain over k followed by the
// same epilogue whatever tile, block or worker computes it, and samples are
// pure functions of (stream, row, column): the results are bitwise identical
// for any Runner and worker count. Assembly (AVX2/FMA3) and the pure-Go
// fallback (other architectures, the purego build tag, BOLTZ_ISA=generic) differ
// by FMA rounding only.
//
// # Semantics
//
// As in BLAS: β = 0 overwrites C without reading it (NaN in C does not leak),
// α = 0 or k = 0 never reads A or B, and α = 0 or k = 0 with β = 1 returns
// at once. The entry points panic on bad arguments with gonum's messages
// ("blas: …" for Blas, "blocked: …" otherwise), and do not allocate in the
// steady state (packing buffers come from a sync.Pool).
package blocked
