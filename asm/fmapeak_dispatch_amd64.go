//go:build amd64 && !purego

package asm

func fmaPeak(n int) {
	if accelerated {
		fmaPeakAVX2(n)
		return
	}
	fmaPeakGeneric(n)
}
