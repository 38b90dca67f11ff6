// Package boltz_test holds the repository-wide benchmarks: the CD step and
// the GEMM shapes it is made of, for every kernel this machine runs.
package boltz_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/blocked"
	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/gonumkernel"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkCDStep times one CD-1 training step (10·B·V·H flops) for each
// kernel and shape, and reports GFLOP/s and allocations (0 in steady state
// for the built-in kernels). kernel=gonum is the gonum peer: the engine on a
// Kernel over gonum's pure-Go Sgemm.
func BenchmarkCDStep(b *testing.B) {
	shapes := []struct{ V, H, B int }{
		{784, 100, 1}, {784, 100, 16}, {784, 100, 100}, {784, 100, 256},
		{784, 500, 1}, {784, 500, 16}, {784, 500, 100}, {784, 500, 256},
		{4096, 4096, 256},
	}
	kernels := map[string]func() (*engine.Engine, error){
		// The gonum peer: a Kernel on gonum's pure-Go BLAS (gonumkernel).
		"gonum": func() (*engine.Engine, error) {
			return engine.New(engine.WithKernel(gonumkernel.Kernel{Impl: gonum.Implementation{}}))
		},
	}
	names := []string{}
	for _, name := range engine.Kernels() {
		if kernels[name] == nil {
			kernels[name] = func() (*engine.Engine, error) { return engine.New(engine.WithKernelName(name)) }
		}
		names = append(names, name)
	}
	for _, l := range engine.Levels() { // asm at each level: kernel=asm-avx2, kernel=asm-generic
		name := "asm/" + l
		kernels[name] = func() (*engine.Engine, error) { return engine.New(engine.WithKernelName(name)) }
		names = append(names, name)
	}
	for _, name := range names {
		for _, s := range shapes {
			b.Run(fmt.Sprintf("kernel=%s/V=%d/H=%d/B=%d", strings.ReplaceAll(name, "/", "-"), s.V, s.H, s.B), func(b *testing.B) {
				eng, err := kernels[name]()
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

// BenchmarkSgemm times blocked.Sgemm, the public cache-blocked GEMM, at the
// products of a CD step (m×n×k: batch×hidden×visible and its layouts, see
// below) and at 1024³, on 1 and 2 workers of an engine pool, and gonum's
// pure-Go Sgemm (the gonum peer) at the same shapes; it reports GFLOP/s
// (2·m·n·k an op) and allocations (0 for boltz). blocked's own
// BenchmarkSgemm adds the packed-B and fused-epilogue variants and the
// fraction of the measured FMA peak.
func BenchmarkSgemm(b *testing.B) {
	shapes := []struct {
		m, n, k int
		tA, tB  bool
		what    string
	}{
		{100, 784, 500, false, false, "down"}, // P_v = H·W
		{100, 500, 784, false, true, "up"},    // P_h = V·Wᵀ
		{500, 784, 200, true, false, "grad"},  // ΔW = [P_h0;−P_h1]ᵀ·[V0;V1]
		{256, 784, 500, false, false, "down"}, // B = 256
		{1024, 1024, 1024, false, false, "cube"},
	}
	for _, s := range shapes {
		for _, w := range []int{1, 2, 0} { // 0: gonum's own Sgemm (GOMAXPROCS goroutines)
			impl := fmt.Sprintf("boltz/workers=%d", w)
			if w == 0 {
				impl = "gonum"
			}
			b.Run(fmt.Sprintf("shape=%dx%dx%d/%s/%s", s.m, s.n, s.k, s.what, impl), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				fill := func(n int) []float32 {
					x := make([]float32, n)
					for i := range x {
						x[i] = r.Float32() - 0.5
					}
					return x
				}
				a, bb, c := fill(s.m*s.k), fill(s.k*s.n), make([]float32, s.m*s.n)
				lda, ldb := s.k, s.n
				if s.tA {
					lda = s.m
				}
				if s.tB {
					ldb = s.k
				}
				tr := func(t bool) blas.Transpose {
					if t {
						return blas.Trans
					}
					return blas.NoTrans
				}
				run := func() {
					gonum.Implementation{}.Sgemm(tr(s.tA), tr(s.tB), s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				if w > 0 {
					pool := engine.NewPool(w)
					defer pool.Close()
					run = func() {
						blocked.Sgemm(pool, s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
					}
				}
				run()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					run()
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
