package asm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemmScale compares the scaled epilogues (GemmArgs.Scale, the
// tempered projections) with the unscaled ones on the products of a CD step
// of MNIST (batch 100, 784 visible, 500 hidden: up m=100 n=512 k=784, down
// m=100 n=784 k=512), A row-major as the backend reads the batch, in
// GFLOP/s (2·m·n·k flops a call), for every supported assembly level:
// scale=no runs the kernel as Up and Down do, scale=yes with one inverse
// temperature a row.
func BenchmarkGemmScale(b *testing.B) {
	shapes := []struct {
		name    string
		m, n, k int
	}{{"up", 100, 512, 784}, {"down", 100, 784, 512}}
	eps := []struct {
		name string
		ep   GemmEpilogue
	}{{"ab", GemmAlphaBeta}, {"sigmoid", GemmBiasSigmoid}, {"sample", GemmBiasSigmoidSample}}
	for _, impl := range asmImpls() {
		for _, s := range shapes {
			for _, e := range eps {
				for _, scaled := range []bool{false, true} {
					name := fmt.Sprintf("impl=%s/%s/ep=%s/scale=%v", impl.name, s.name, e.name, map[bool]string{false: "no", true: "yes"}[scaled])
					b.Run(name, func(b *testing.B) {
						r := rand.New(rand.NewPCG(1, 2))
						g := newGemmCase(r, impl, s.m, s.n, s.k, e.ep, 1, 0, 0)
						for g.lda == 0 { // row-major A, as the backend's projections
							g = newGemmCase(r, impl, s.m, s.n, s.k, e.ep, 1, 0, 0)
						}
						g.col0 = 0
						if scaled {
							g.scale = make([]float32, s.m)
							for i := range g.scale {
								g.scale[i] = float32(i+1) / float32(s.m)
							}
						}
						c, sv := g.run(impl.gemmRaw)
						args := g.argsA(c, sv)
						b.ReportAllocs()
						b.ResetTimer()
						for range b.N {
							impl.gemmRaw(args)
						}
						b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				}
			}
		}
	}
}
