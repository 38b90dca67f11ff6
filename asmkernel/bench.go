package asmkernel

import (
	"fmt"
	"math/rand/v2"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/kernel"
)

// BenchCases implements kernel.Bencher: the level's FMA peak loop (a tiny
// loop of independent FMAs on registers, no memory), the vector sigmoid, the
// sigmoid-matvec at 784×500 (B = 1 inference) and the GEMM micro-kernel with
// its operands in L1/L2 (an MR·16×256 block of A, 256×512 of B).
func (k *Kernel) BenchCases() []kernel.BenchCase {
	im := k.im
	const iters = 1 << 14
	x, y := randSlice(4096), make([]float32, 4096)
	const V, H = 784, 500
	w, v, c, out := randSlice(H*V), randSlice(V), make([]float32, H), make([]float32, H)
	M, K, N := k.mr*16, 256, 512
	a, b := make([]float32, M*K), make([]float32, im.GemmPackedBLen(K, N, k.nr*K))
	im.GemmPackA(a, false, randSlice(M*K), K, M, K)
	im.GemmPackB(b, false, randSlice(K*N), N, K, N, k.nr*K)
	g := asm.GemmArgs{M: M, N: N, K: K, A: a, B: b, BStride: k.nr * K, C: make([]float32, M*N), LDC: N, Alpha: 1}
	peakName := im.Name() + " FMA peak loop"
	if !im.Accelerated() {
		peakName += " (scalar Go: not the hardware peak)"
	}
	return []kernel.BenchCase{
		{Name: peakName, Unit: "flop", Work: float64(iters * im.FMAFlopsPerIter()), Peak: true, Flops: true,
			Run: func() { im.FMALoop(iters) }},
		{Name: "sigmoid (n=4096)", Unit: "element", Work: 4096, Run: func() { im.Sigmoid(y, x) }},
		{Name: "sigmoid-matvec W·x (784×500)", Unit: "byte", Work: 4 * H * V,
			Run: func() { im.SigmoidMatVec(out, w, V, v, c) }},
		{Name: fmt.Sprintf("gemm micro-kernel %d×%d (in cache)", k.mr, k.nr), Unit: "flop", Work: float64(2 * M * N * K),
			Flops: true, Run: func() { im.GemmKernel(&g) }},
	}
}

func randSlice(n int) []float32 {
	r := rand.New(rand.NewPCG(uint64(n), 3))
	x := make([]float32, n)
	for i := range x {
		x[i] = r.Float32() - 0.5
	}
	return x
}
