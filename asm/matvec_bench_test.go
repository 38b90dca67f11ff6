package asm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchMat runs the sigmoid-matvecs on W of H rows of V (shape=VxH, the
// RBM's visible × hidden) and reports the GB/s of W streamed.
func benchMat(b *testing.B, t bool) {
	for _, impl := range matImpls() {
		if impl.t != t || impl.name[:3] == "api" {
			continue
		}
		for _, sh := range [][2]int{{784, 500}, {4096, 4096}} {
			v, h := sh[0], sh[1]
			b.Run(fmt.Sprintf("impl=%s/shape=%dx%d", impl.im.name, v, h), func(b *testing.B) {
				m := newMatCase(rand.New(rand.NewPCG(9, uint64(v))), h, v, v, t, false)
				nout := h
				if t {
					nout = v
				}
				y := make([]float32, nout)
				b.SetBytes(int64(4 * h * v))
				b.ReportAllocs()
				for b.Loop() {
					impl.f(y, m.w, m.ld, m.in, m.bias)
				}
				b.ReportMetric(float64(4*h*v)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// BenchmarkSigmoidMatVec is y = σ(W·x + c), B = 1.
func BenchmarkSigmoidMatVec(b *testing.B) { benchMat(b, false) }

// BenchmarkSigmoidMatTVec is y = σ(Wᵀ·h + b), B = 1.
func BenchmarkSigmoidMatTVec(b *testing.B) { benchMat(b, true) }
