//go:build !amd64 || purego

package asm

// Without the assembly the GEMM kernels are their Go twins; the *Accel
// functions exist only so that the tests build everywhere (they run only
// when Accelerated() is true, which it never is here).

func gemmKernel(g *GemmArgs)      { gemmKernelGo(g) }
func gemmKernelAccel(g *GemmArgs) { gemmKernelGo(g) }

func gemmPackT8(dst, src []float32, ld, rows, stride, kc int) {
	gemmPackT8Generic(dst, src, ld, rows, stride, kc)
}

func gemmPackT8Accel(dst, src []float32, ld, rows, stride, kc int) {
	gemmPackT8Generic(dst, src, ld, rows, stride, kc)
}

func gemmPackRows16(dst, src []float32, ld, k, panels, tail, stride int) {
	gemmPackRows16Generic(dst, src, ld, k, panels, tail, stride)
}

func gemmPackRows6(dst, src []float32, ld, k, panels, stride int) {
	gemmPackRows6Generic(dst, src, ld, k, panels, stride)
}
