//go:build amd64 && !purego

package asm

// avx2MR and avx2NR are the register tile of the AVX2 GEMM kernels.
const (
	avx2MR = 6
	avx2NR = 16
)

// gemmPackRows16Accel is gemmPackRows16AVX2 with the race announcements.
func gemmPackRows16Accel(dst, src []float32, ld, k, panels, tail, stride int) {
	racePackRows(dst, src, ld, k, panels, tail, stride, avx2NR)
	gemmPackRows16AVX2(dst, src, ld, k, panels, tail, stride)
}

// gemmPackRows6Accel is gemmPackRows6AVX2 with the race announcements.
func gemmPackRows6Accel(dst, src []float32, ld, k, panels, stride int) {
	racePackRows(dst, src, ld, k, panels, 0, stride, avx2MR)
	gemmPackRows6AVX2(dst, src, ld, k, panels, stride)
}

// avx2Gemm is the AVX2 level's GEMM kernel family.
var avx2Gemm = asmGemm{mr: avx2MR, nr: avx2NR,
	plain: gemmKernelAVX2, sigmoid: gemmSigmoidAVX2, sample: gemmSampleAVX2, update: gemmUpdateAVX2,
	plainScale: gemmKernelScaleAVX2, sigmoidScale: gemmSigmoidScaleAVX2, sampleScale: gemmSampleScaleAVX2}

// gemmKernelAccel runs the block g (checked by the caller) through the AVX2
// assembly.
func gemmKernelAccel(ga GemmArgs) { avx2Gemm.run(&ga) }

// gemmPackT8Accel is gemmPackT8AVX2 with the race announcements; the caller
// checks the lengths.
func gemmPackT8Accel(dst, src []float32, ld, rows, stride, kc int) {
	if gemmRace && kc > 0 {
		raceReadMatrix(src, ld, max(rows, 1), kc)
		raceWrite(dst[:(kc-1)*stride+8])
	}
	gemmPackT8AVX2(dst, src, ld, rows, stride, kc)
}
