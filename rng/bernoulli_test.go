package rng

import (
	"math"
	"testing"
)

// TestBernoulliSpecial checks Bernoulli against the definition
// Uniform(Uint32(row, unit)) < p with the float comparison, for every lane
// offset and for probabilities that are special values (±0, NaN of either
// sign, ±Inf, negative, above 1, tiny) or spread over [0, 1).
func TestBernoulliSpecial(t *testing.T) {
	s := NewStream(1, 2, 3)
	vals := []float32{0, 1, 0.5, -0.0, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -1, 2, 1e-30, -float32(math.NaN()), 0.999999}
	p := make([]float32, 5000)
	for i := range p {
		if i < len(vals) {
			p[i] = vals[i]
		} else {
			p[i] = float32(i%1000) / 1000
		}
	}
	a := make([]float32, len(p))
	ones := 0
	for off := 0; off < 4; off++ {
		s.Bernoulli(a[:len(p)-off], p[off:], 7, off)
		for i := range len(p) - off {
			want := float32(0)
			if Uniform(s.Uint32(7, off+i)) < p[off+i] {
				want = 1
			}
			if a[i] != want {
				t.Fatalf("offset %d unit %d: p = %g, got %g, want %g", off, i, p[off+i], a[i], want)
			}
			ones += int(want)
		}
	}
	if ones < 9000 || ones > 11000 { // 20,000 draws, mean p near 1/2
		t.Errorf("%d ones in %d draws", ones, 4*len(p))
	}
}

// BenchmarkBernoulli draws 500 states with probabilities spread over [0, 1).
func BenchmarkBernoulli(b *testing.B) {
	s := NewStream(1, 2, 3)
	p := make([]float32, 500)
	for i := range p {
		p[i] = float32(i%100) / 100
	}
	d := make([]float32, 500)
	for i := 0; i < b.N; i++ {
		s.Bernoulli(d, p, i, 0)
	}
}
