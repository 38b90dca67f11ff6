//go:build amd64 && !purego

package asm

import "golang.org/x/sys/cpu"

// avx512MR and avx512NR are the register tile of the AVX-512 GEMM kernels:
// 24 zmm accumulators.
const (
	avx512MR = 12
	avx512NR = 32
)

// avx512Gemm is the AVX512 level's GEMM kernel family; its sampling
// epilogue is the sigmoid kernel followed by the AVX2 Bernoulli pass.
var avx512Gemm = asmGemm{mr: avx512MR, nr: avx512NR,
	plain: gemmKernelAVX512, sigmoid: gemmSigmoidAVX512, update: gemmUpdateAVX512,
	plainScale: gemmKernelScaleAVX512, sigmoidScale: gemmSigmoidScaleAVX512}

// hasAVX512 reports whether the CPU and the OS run the AVX512 level: AVX-512
// F, BW, DQ and VL (x/sys/cpu checks that XCR0 enables the opmask and zmm
// state, and on macOS that the kernel preserves them), and the AVX2, FMA and
// BMI2 its code also uses.
var hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL &&
	cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasBMI2

// avx512Impl is the AVX512 level: a 12×32 GEMM tile in 32 zmm registers
// with opmask tails, 16-lane sigmoids and row packing, the FMA peak loop on
// zmm; the matvec and the packing transposes of AVX2 (8-lane kernels, which
// run on these CPUs).
var avx512Impl = &Impl{
	name: "avx512", about: "AVX-512 F+BW+DQ+VL assembly (12×32 GEMM tile; AVX2 matvec)",
	mr: avx512MR, nr: avx512NR,
	supported: hasAVX512,
	why:       "this CPU lacks AVX-512 F+BW+DQ+VL (with OS support), AVX2, FMA or BMI2",
	gemm:      func(ga GemmArgs) { avx512Gemm.run(&ga) },
	pack: packers{
		t8:     gemmPackT8Accel,
		rowsNR: gemmPackRows32Accel,
		rowsMR: gemmPackRows12Accel,
	},
	sigmoid:     sigmoidAccel512,
	direct:      sigmoidDirectAccel, // AVX2's transcription of Sigmoid1: the AVX512 kernels match it bit for bit
	biasSigmoid: biasSigmoidAccel512,
	matVec:      sigmoidMatVecAccel,
	matTVec:     sigmoidMatTVecAccel,
	fma:         fmaPeakAVX512,
	fmaFlops:    12 * 16 * 2,
}

// sigmoidAccel512 is sigmoidAVX512 in calls of at most sigmoidChunk
// elements. The caller checks len(dst) >= len(src).
func sigmoidAccel512(dst, src []float32) {
	raceRead(src)
	raceWrite(dst[:len(src)])
	for len(src) > sigmoidChunk {
		sigmoidAVX512(dst, src[:sigmoidChunk])
		dst, src = dst[sigmoidChunk:], src[sigmoidChunk:]
	}
	sigmoidAVX512(dst, src)
}

// biasSigmoidAccel512 is biasSigmoidAVX512 in calls of at most sigmoidChunk
// elements. The caller checks that dst and bias are at least as long as src.
func biasSigmoidAccel512(dst, src, bias []float32) {
	raceRead(src)
	raceRead(bias[:len(src)])
	raceWrite(dst[:len(src)])
	for len(src) > sigmoidChunk {
		biasSigmoidAVX512(dst, src[:sigmoidChunk], bias)
		dst, src, bias = dst[sigmoidChunk:], src[sigmoidChunk:], bias[sigmoidChunk:]
	}
	biasSigmoidAVX512(dst, src, bias)
}

// gemmPackRows32Accel is gemmPackRows32AVX512 with the race announcements
// (panel by panel, as gemmPackRows16Accel).
func gemmPackRows32Accel(dst, src []float32, ld, k, panels, tail, stride int) {
	racePackRows(dst, src, ld, k, panels, tail, stride, avx512NR)
	gemmPackRows32AVX512(dst, src, ld, k, panels, tail, stride)
}

// gemmPackRows12Accel is gemmPackRows12AVX512 with the race announcements.
func gemmPackRows12Accel(dst, src []float32, ld, k, panels, stride int) {
	racePackRows(dst, src, ld, k, panels, 0, stride, avx512MR)
	gemmPackRows12AVX512(dst, src, ld, k, panels, stride)
}
