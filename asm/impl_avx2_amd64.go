//go:build amd64 && !purego

package asm

import "github.com/klauspost/cpuid/v2"

// archImpls returns the assembly levels of amd64, best first: avx512, avx2.
func archImpls() []*Impl { return []*Impl{avx512Impl, avx2Impl} }

// avx2Impl is the AVX2/FMA3 level: a 6×16 GEMM tile (12 ymm accumulators)
// and 8-lane sigmoid and matvec kernels. cpuid's AVX2 already requires AVX,
// which requires OSXSAVE and XCR0 to enable the XMM and YMM state; FMA3 is
// checked because every kernel uses VFMADD231PS. TestAsmFeatures holds the
// generated files to these features.
var avx2Impl = &Impl{
	name: "avx2", about: "AVX2+FMA3 assembly", mr: avx2MR, nr: avx2NR,
	supported: cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3),
	why:       "this CPU lacks AVX2+FMA3 with OS support",
	gemm:      gemmKernelAccel,
	pack: packers{
		t8:     gemmPackT8Accel,
		rowsNR: gemmPackRows16Accel,
		rowsMR: gemmPackRows6Accel,
	},
	sigmoid:     sigmoidAccel,
	direct:      sigmoidDirectAccel,
	biasSigmoid: biasSigmoidAccel,
	matVec:      sigmoidMatVecAccel,
	matTVec:     sigmoidMatTVecAccel,
	fma:         fmaPeakAVX2,
	fmaFlops:    FMAPeakFlopsPerIter,
}
