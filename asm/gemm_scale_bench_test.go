package asm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// BenchmarkGemmScale compares the scaled epilogues (GemmArgs.Scale, the
// tempered projections) with the unscaled ones on the products of a CD step
// of MNIST (batch 100, 784 visible, 500 hidden: up m=100 n=512 k=784, down
// m=100 n=784 k=512), A row-major as the backend reads the batch, for every
// supported assembly level. Each iteration times one unscaled call and one
// scaled call of the same block (one inverse temperature a row), so that
// both see the same load on a shared machine: plain-µs and scaled-µs are
// the medians of their times, scaled/plain the median of the ratios of
// each pair, GFLOP/s that of the unscaled calls (2·m·n·k flops a call).
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
				b.Run(fmt.Sprintf("impl=%s/%s/ep=%s", impl.name, s.name, e.name), func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 2))
					g := newGemmCase(r, impl, s.m, s.n, s.k, e.ep, 1, 0, 0)
					for g.lda == 0 { // row-major A, as the backend's projections
						g = newGemmCase(r, impl, s.m, s.n, s.k, e.ep, 1, 0, 0)
					}
					g.col0 = 0
					c, sv := g.run(impl.gemmRaw)
					plain := g.argsA(c, sv)
					scaled := *plain
					scaled.Scale = make([]float32, s.m)
					for i := range scaled.Scale {
						scaled.Scale[i] = float32(i+1) / float32(s.m)
					}
					tp, ts, ratio := make([]float64, 0, b.N), make([]float64, 0, b.N), make([]float64, 0, b.N)
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						st := time.Now()
						impl.gemmRaw(plain)
						d0 := time.Since(st).Seconds()
						st = time.Now()
						impl.gemmRaw(&scaled)
						d1 := time.Since(st).Seconds()
						tp, ts, ratio = append(tp, d0), append(ts, d1), append(ratio, d1/d0)
					}
					med := func(x []float64) float64 { slices.Sort(x); return x[len(x)/2] }
					b.ReportMetric(1e6*med(tp), "plain-µs")
					b.ReportMetric(1e6*med(ts), "scaled-µs")
					b.ReportMetric(med(ratio), "scaled/plain")
					b.ReportMetric(2*float64(s.m*s.n*s.k)/med(tp)/1e9, "GFLOP/s")
				})
			}
		}
	}
}
