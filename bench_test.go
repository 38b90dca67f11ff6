// Package boltz_test holds the repository-wide benchmarks: the CD step and
// the GEMM shapes it is made of, for every kernel this machine runs.
package boltz_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/boltzgo/boltz/engine"
)

// BenchmarkCDStep times one CD-1 training step (10·B·V·H flops) for each
// kernel and shape, and reports GFLOP/s and allocations (0 in steady state).
func BenchmarkCDStep(b *testing.B) {
	shapes := []struct{ V, H, B int }{
		{784, 100, 1}, {784, 100, 16}, {784, 100, 100}, {784, 100, 256},
		{784, 500, 1}, {784, 500, 16}, {784, 500, 100}, {784, 500, 256},
		{4096, 4096, 256},
	}
	for _, name := range engine.Kernels() {
		for _, s := range shapes {
			b.Run(fmt.Sprintf("kernel=%s/V=%d/H=%d/B=%d", name, s.V, s.H, s.B), func(b *testing.B) {
				eng, err := engine.New(engine.WithKernelName(name))
				if err != nil {
					b.Fatal(err)
				}
				defer eng.Close()
				m, err := engine.NewRBM(s.V, s.H, 0.01, 1)
				if err != nil {
					b.Fatal(err)
				}
				m.SetEngine(eng)
				cfg := engine.DefaultConfig()
				cfg.BatchSize = s.B
				tr, err := engine.NewTrainer(m, cfg)
				if err != nil {
					b.Fatal(err)
				}
				r := rand.New(rand.NewPCG(1, 2))
				batch := make([]float32, s.B*s.V)
				for i := range batch {
					if r.Float32() < 0.13 {
						batch[i] = 1
					}
				}
				tr.Step(batch)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := tr.Step(batch); err != nil {
						b.Fatal(err)
					}
				}
				flops := 10 * float64(s.B) * float64(s.V) * float64(s.H)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
