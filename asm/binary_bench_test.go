package asm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkBinaryGemm sweeps the density of the 0/1 operand of the CD
// products (M=100 rows; up: K=784, N=500; down: K=500, N=784; and a
// 4096-wide pair) for the binary form against the dense GEMM on the same
// packed operand, sigmoid epilogue: the crossover the engine's thresholds
// come from (one core; ns/op).
func BenchmarkBinaryGemm(b *testing.B) {
	im := Current()
	for _, sh := range [][3]int{{100, 784, 500}, {100, 500, 784}, {100, 1024, 256}} {
		M, K, N := sh[0], sh[1], sh[2]
		for _, d := range []float64{0.02, 0.05, 0.1, 0.13, 0.2, 0.3, 0.4, 0.5, 0.7} {
			c := newBinaryCase(rand.New(rand.NewPCG(1, 1)), im, M, N, K, d, 1, false)
			for _, form := range []string{"binary", "dense"} {
				b.Run(fmt.Sprintf("M=%d/K=%d/N=%d/density=%g/form=%s", M, K, N, d, form), func(b *testing.B) {
					C, S := c.out()
					if form == "dense" {
						g := GemmArgs{M: M, N: N, K: K, A: c.a, LDA: K, B: c.bd, BStride: c.stride,
							C: C, LDC: c.ldc, Alpha: 1, Epilogue: GemmBiasSigmoid, Bias: c.bias, S: S, LDS: c.ldc}
						for b.Loop() {
							im.GemmKernel(&g)
						}
						return
					}
					g := BinaryArgs{N: N, K: K, Beg: c.beg, End: c.end, Idx: c.idx, Val: 1, B: c.b, BStride: c.stride,
						C: C, LDC: c.ldc, Epilogue: GemmBiasSigmoid, Bias: c.bias}
					for b.Loop() {
						im.BinaryGemm(&g)
					}
				})
			}
		}
	}
}
