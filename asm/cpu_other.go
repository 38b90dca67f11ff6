//go:build !amd64 || purego

package asm

import "runtime"

// Without the assembly (another GOARCH, or the purego tag) every kernel is
// its pure-Go twin. The *Accel functions exist only so that the tests build
// everywhere: they run when Accelerated() is true, which it never is here.

const accelerated = false

var features = "generic Go (purego build or no assembly for GOARCH=" + runtime.GOARCH + ")"

func sigmoid(dst, src []float32)           { SigmoidGeneric(dst, src) }
func biasSigmoid(dst, src, bias []float32) { BiasSigmoidGeneric(dst, src, bias) }

func sigmoidMatVec(y, w []float32, ldw int, x, c []float32) {
	SigmoidMatVecGeneric(y, w, ldw, x, c)
}

func sigmoidMatTVec(y, w []float32, ldw int, h, b []float32) {
	SigmoidMatTVecGeneric(y, w, ldw, h, b)
}

func fmaPeak(n int) { fmaPeakGeneric(n) }

func sigmoidAccel(dst, src []float32)           { SigmoidGeneric(dst, src) }
func biasSigmoidAccel(dst, src, bias []float32) { BiasSigmoidGeneric(dst, src, bias) }
func sigmoidDirectAccel(dst, src []float32)     { SigmoidGeneric(dst, src) }

func sigmoidMatVecAccel(y, w []float32, ldw int, x, c []float32) {
	SigmoidMatVecGeneric(y, w, ldw, x, c)
}

func sigmoidMatTVecAccel(y, w []float32, ldw int, h, b []float32) {
	SigmoidMatTVecGeneric(y, w, ldw, h, b)
}
