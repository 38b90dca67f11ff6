package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// mathExpSigmoid is the baseline: the sigmoid through float64 math.Exp.
func mathExpSigmoid(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = float32(1 / (1 + math.Exp(-float64(x))))
	}
}

// BenchmarkSigmoid compares the implementations at n elements, inputs
// uniform in [-10, 10]; ns/elem is the time per element.
func BenchmarkSigmoid(b *testing.B) {
	type impl struct {
		name string
		f    func(dst, src []float32)
	}
	var impls []impl
	for _, im := range Supported() {
		impls = append(impls, impl{im.name, im.sigmoid})
	}
	for _, impl := range append(impls, impl{"mathexp", mathExpSigmoid}) {
		for _, n := range []int{256, 4096, 65536} {
			b.Run(fmt.Sprintf("impl=%s/n=%d", impl.name, n), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, uint64(n)))
				src := make([]float32, n)
				for i := range src {
					src[i] = float32(r.Float64()*20 - 10)
				}
				dst := make([]float32, n)
				b.SetBytes(int64(4 * n))
				b.ReportAllocs()
				for b.Loop() {
					impl.f(dst, src)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
			})
		}
	}
}

// BenchmarkBiasSigmoid is BiasSigmoid at 4096 elements.
func BenchmarkBiasSigmoid(b *testing.B) {
	const n = 4096
	for _, impl := range Supported() {
		b.Run(fmt.Sprintf("impl=%s/n=%d", impl.name, n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(2, n))
			src, bias := make([]float32, n), make([]float32, n)
			for i := range src {
				src[i] = float32(r.Float64()*20 - 10)
				bias[i] = float32(r.Float64()*2 - 1)
			}
			dst := make([]float32, n)
			b.SetBytes(int64(4 * n))
			b.ReportAllocs()
			for b.Loop() {
				impl.biasSigmoid(dst, src, bias)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
		})
	}
}
