//go:build amd64 && !purego

package asm

// binarySumAsm runs level im's binary-product core and reports whether it
// has one (generic has not). Direct calls, so that dst can stay on the
// caller's stack.
func binarySumAsm(im *Impl, dst, w []float32, k, panel, ld int, idx []int32, np int, val float32) (int, bool) {
	switch im {
	case avx512Impl:
		raceWrite(dst)
		return binarySumAVX512(dst, w, k, panel, ld, idx, np, val), true
	case avx2Impl:
		raceWrite(dst)
		return binarySumAVX2(dst, w, k, panel, ld, idx, np, val), true
	}
	return 0, false
}
