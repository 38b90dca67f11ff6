package blocked

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/rng"
)

// spinRunner is a persistent pool of goroutines that spin (yielding) while
// they wait for the next Run, a Runner that neither allocates nor pays a
// futex wake-up per Run (the engine's pool spins for a while, then parks).
// Close stops the goroutines.
type spinRunner struct {
	w     int
	seq   atomic.Uint64 // Run number
	done  atomic.Int64  // workers finished with the current Run
	quit  atomic.Bool
	fn    func(part, lo, hi int)
	n     int
	grain int
	parts int
}

func newSpinRunner(w int) *spinRunner {
	p := &spinRunner{w: w}
	for i := 1; i < w; i++ {
		go p.worker(i)
	}
	return p
}

func (p *spinRunner) worker(i int) {
	for last := uint64(1); ; last++ {
		for p.seq.Load() < last {
			if p.quit.Load() {
				return
			}
			runtime.Gosched()
		}
		if i < p.parts {
			p.fn(i, p.bound(i), p.bound(i+1))
		}
		p.done.Add(1)
	}
}

func (p *spinRunner) bound(i int) int {
	units := (p.n + p.grain - 1) / p.grain
	return min(p.n, units*i/p.parts*p.grain)
}

func (p *spinRunner) Close()       { p.quit.Store(true) }
func (p *spinRunner) Workers() int { return p.w }

func (p *spinRunner) Run(n, grain int, fn func(part, lo, hi int)) {
	p.fn, p.n, p.grain = fn, n, grain
	p.parts = max(1, min(p.w, (n+grain-1)/grain))
	p.done.Store(0)
	p.seq.Add(1)
	fn(0, 0, p.bound(1))
	for p.done.Load() < int64(p.w-1) {
		runtime.Gosched()
	}
}

// BenchmarkSgemm measures Sgemm at the CD-1 shapes (m×n×k and layout) and
// 1024³, on 1 and 2 workers, in GFLOP/s (2·m·n·k flops an op). b=packed
// runs the same product with op(B) kept in a PackedB (the engine's hot
// path); ep=sigmoid and ep=sample the fused epilogues.
func BenchmarkSgemm(b *testing.B) {
	type shape struct {
		m, n, k int
		tA, tB  bool
	}
	layout := func(s shape) string {
		a, bb := "A", "B"
		if s.tA {
			a = "At"
		}
		if s.tB {
			bb = "Bt"
		}
		return a + bb
	}
	shapes := []shape{
		{100, 784, 500, false, true},
		{100, 500, 784, false, false},
		{500, 784, 200, true, false},
		{256, 784, 500, false, true},
		{1024, 1024, 1024, false, false},
	}
	for _, s := range shapes {
		for _, variant := range []string{"plain", "packed", "sample"} {
			if variant != "plain" && s.m == 1024 {
				continue
			}
			for _, w := range []int{1, 2} {
				name := fmt.Sprintf("shape=%dx%dx%d/layout=%s/b=%s/workers=%d", s.m, s.n, s.k, layout(s), variant, w)
				b.Run(name, func(b *testing.B) {
					rnd := rand.New(rand.NewPCG(1, 2))
					p := newProblem(rnd, s.tA, s.tB, s.m, s.n, s.k, 1, 0, false)
					c := append([]float32(nil), p.c0...)
					sv := append([]float32(nil), p.s.v...)
					var r Runner
					if w > 1 {
						pr := newSpinRunner(w)
						defer pr.Close()
						r = pr
					}
					pb := NewPackedB(s.k, s.n)
					pb.Repack(nil, s.tB, p.b.v, p.b.ld)
					st := rng.NewStream(1, 2, 3)
					run := func() {
						switch variant {
						case "plain":
							Sgemm(r, s.tA, s.tB, s.m, s.n, s.k, 1, p.a.v, p.a.ld, p.b.v, p.b.ld, 0, c, p.c.ld)
						case "packed":
							SgemmPacked(r, s.tA, s.m, 1, p.a.v, p.a.ld, pb, 0, c, p.c.ld)
						case "sample":
							SgemmPackedBiasSigmoidSample(r, s.tA, s.m, 1, p.a.v, p.a.ld, pb, p.bias, c, p.c.ld, sv, p.s.ld, st, 0, 0)
						}
					}
					benchFlops(b, r, 2*float64(s.m)*float64(s.n)*float64(s.k), run)
				})
			}
		}
	}
}

// benchFlops times run (flops floating-point operations) b.N times and
// reports GFLOP/s and peak%: the median over the iterations of the time of
// asm.FMALoop doing the same flops on r's workers right after run, divided
// by the time of run. On a machine shared with other work, peak% (relative
// to the FMA peak of the cores used) is far steadier than GFLOP/s.
func benchFlops(b *testing.B, r Runner, flops float64, run func()) {
	run()
	ratios := make([]float64, 0, b.N)
	w := workers(r)
	iters := int(flops) / asm.FMAPeakFlopsPerIter / w
	fma := func(int, int, int) { asm.FMALoop(iters) }
	var total time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		st := time.Now()
		run()
		d := time.Since(st)
		total += d
		b.StopTimer()
		st = time.Now()
		if r == nil {
			fma(0, 0, 1)
		} else {
			r.Run(w, 1, fma)
		}
		ratios = append(ratios, time.Since(st).Seconds()/d.Seconds())
		b.StartTimer()
	}
	b.ReportMetric(flops*float64(b.N)/total.Seconds()/1e9, "GFLOP/s")
	slices.Sort(ratios)
	b.ReportMetric(100*ratios[len(ratios)/2], "peak%")
}

// BenchmarkPackedBRepack measures repacking a 500×784 weight matrix (both
// orientations), the cost paid once per update when W is kept packed.
func BenchmarkPackedBRepack(b *testing.B) {
	rnd := rand.New(rand.NewPCG(1, 2))
	w := newMat(rnd, 500, 784, 0, false)
	for _, tB := range []bool{false, true} {
		b.Run(fmt.Sprintf("tB=%v", tB), func(b *testing.B) {
			k, n := 500, 784
			if tB {
				k, n = 784, 500
			}
			pb := NewPackedB(k, n)
			b.ReportAllocs()
			b.SetBytes(int64(4 * k * n))
			for range b.N {
				pb.Repack(nil, tB, w.v, w.ld)
			}
		})
	}
}
