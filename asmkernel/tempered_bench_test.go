package asmkernel_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/asmkernel"
	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// BenchmarkTempered compares the backend's tempered projections with the
// plain ones on the packed copy of a 784×500 model, 100 chains: the up
// pass (σ and samples of the hidden units) and the down pass, for every
// asm level. Each iteration times one plain and one tempered call (inverse
// temperatures spread over (0, 1]), so that both see the same load:
// plain-µs and tempered-µs are the medians of their times, tempered/plain
// the median of the ratios of each pair.
func BenchmarkTempered(b *testing.B) {
	const R, V, H = 100, 784, 500
	r := rand.New(rand.NewPCG(1, 2))
	mat := func(rows, cols int, f func() float32) kernel.Mat {
		m := kernel.NewMat(rows, cols)
		for i := range m.Data {
			m.Data[i] = f()
		}
		return m
	}
	w := mat(H, V, func() float32 { return float32(r.NormFloat64()) * 0.05 })
	x := mat(R, V, func() float32 { return float32(r.IntN(2)) })
	h := mat(R, H, func() float32 { return float32(r.IntN(2)) })
	c, bv := make([]float32, H), make([]float32, V)
	scale := make([]float32, R)
	for i := range scale {
		scale[i] = float32(i+1) / R
	}
	for _, im := range asm.Supported() {
		if !im.Accelerated() {
			continue
		}
		k := asmkernel.New(im)
		p := k.NewPacked(H, V)
		p.Refresh(w, 0, H)
		pt := p.(kernel.PackedTempered)
		for _, down := range []bool{false, true} {
			name := map[bool]string{false: "up", true: "down"}[down]
			b.Run(fmt.Sprintf("impl=%s/%s", im.Name(), name), func(b *testing.B) {
				N := H
				if down {
					N = V
				}
				out, smp := kernel.NewMat(R, N), kernel.NewMat(R, N)
				s := &kernel.Sample{Dst: smp, Stream: rng.NewStream(1, 2, 3)}
				plain := func() {
					if down {
						p.Down(out, h, 0, bv, kernel.Sigmoid, s)
					} else {
						p.Up(out, x, 0, c, kernel.Sigmoid, s)
					}
				}
				tempered := func() {
					if down {
						pt.DownTempered(out, h, 0, bv, scale, kernel.Sigmoid, s)
					} else {
						pt.UpTempered(out, x, 0, c, scale, kernel.Sigmoid, s)
					}
				}
				tp, tt, ratio := make([]float64, 0, b.N), make([]float64, 0, b.N), make([]float64, 0, b.N)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					st := time.Now()
					plain()
					d0 := time.Since(st).Seconds()
					st = time.Now()
					tempered()
					d1 := time.Since(st).Seconds()
					tp, tt, ratio = append(tp, d0), append(tt, d1), append(ratio, d1/d0)
				}
				med := func(x []float64) float64 { slices.Sort(x); return x[len(x)/2] }
				b.ReportMetric(1e6*med(tp), "plain-µs")
				b.ReportMetric(1e6*med(tt), "tempered-µs")
				b.ReportMetric(med(ratio), "tempered/plain")
			})
		}
	}
}
