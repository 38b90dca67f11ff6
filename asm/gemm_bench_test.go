package asm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// BenchmarkGemmKernel measures the micro-kernels on blocks whose operands
// stay in L1 (one 6×16 tile at k = 256: A 6 KiB, B 16 KiB; 6×64 at k = 128)
// or L2 (up to 0.5 MiB of A and B at k = 200..1024), in GFLOP/s (2·m·n·k
// flops a call), for every supported level (impl=generic, the Go twin; impl=avx2, ...),
// with the three epilogues (ab: α·AB + β·C; sigmoid; sample). peak% is the
// median over the iterations of the time FMALoop takes for the same flops
// right after a call divided by the time of the call: the fraction of this
// core's FMA peak, steady on a machine shared with other work.
func BenchmarkGemmKernel(b *testing.B) {
	type shape struct{ m, n, k int }
	shapes := []shape{{1, 256, 256}, {2, 256, 256}, {4, 256, 256}, {6, 16, 256}, {6, 64, 128}, {96, 128, 256}, {96, 160, 784}, {100, 160, 784}, {120, 128, 1024}, {96, 512, 200}}
	eps := []struct {
		name string
		ep   GemmEpilogue
	}{{"ab", GemmAlphaBeta}, {"sigmoid", GemmBiasSigmoid}, {"sample", GemmBiasSigmoidSample}}
	for _, impl := range Supported() {
		for _, e := range eps {
			for _, s := range shapes {
				if e.ep != GemmAlphaBeta && s.m < 96 || !impl.Accelerated() && s.k > 256 {
					continue
				}
				name := fmt.Sprintf("impl=%s/ep=%s/m=%03d/n=%03d/k=%04d", impl.name, e.name, s.m, s.n, s.k)
				b.Run(name, func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 2))
					g := newGemmCase(r, impl, s.m, s.n, s.k, e.ep, 1, 0, 0)
					g.col0 = 0
					c, sv := g.run(impl.gemmRaw)
					args := g.args(c, sv)
					flops := 2 * float64(s.m*s.n*s.k)
					// Repeat small blocks to about 20 µs a timed unit.
					reps := max(1, int(2e6/flops))
					fmaIters := int(flops) * reps / impl.fmaFlops
					ratios := make([]float64, 0, b.N)
					var total time.Duration
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						st := time.Now()
						for range reps {
							impl.gemmRaw(args)
						}
						d := time.Since(st)
						total += d
						b.StopTimer()
						st = time.Now()
						impl.FMALoop(fmaIters)
						ratios = append(ratios, time.Since(st).Seconds()/d.Seconds())
						b.StartTimer()
					}
					b.ReportMetric(flops*float64(reps)*float64(b.N)/total.Seconds()/1e9, "GFLOP/s")
					slices.Sort(ratios)
					b.ReportMetric(100*ratios[len(ratios)/2], "peak%")
				})
			}
		}
	}
}
