package rng

import (
	"math"
	"testing"
)

// Known-answer vectors from Random123's kat_vectors (philox4x32_10).
func TestPhiloxKAT(t *testing.T) {
	cases := []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff}, [4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0}, [4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, c := range cases {
		if got := Block(c.ctr, c.key); got != c.want {
			t.Errorf("Block(%x, %x) = %x, want %x", c.ctr, c.key, got, c.want)
		}
	}
}

func TestBernoulliMatchesScalar(t *testing.T) {
	s := NewStream(42, 7, 3)
	p := make([]float32, 37)
	for i := range p {
		p[i] = float32(i) / 37
	}
	for unit0 := 0; unit0 < 6; unit0++ {
		dst := make([]float32, len(p))
		s.Bernoulli(dst, p, 5, unit0)
		u := make([]float32, len(p))
		s.Uniforms(u, 5, unit0)
		for j := range p {
			want := float32(0)
			if Uniform(s.Uint32(5, unit0+j)) < p[j] {
				want = 1
			}
			if dst[j] != want || u[j] != Uniform(s.Uint32(5, unit0+j)) {
				t.Fatalf("unit0=%d j=%d: got %v want %v", unit0, j, dst[j], want)
			}
		}
	}
}

func TestUniformMoments(t *testing.T) {
	s := NewStream(1, 0, 0)
	const n = 200000
	var sum, sum2 float64
	for i := 0; i < n; i++ {
		u := float64(Uniform(s.Uint32(i/1000, i%1000)))
		if u < 0 || u >= 1 {
			t.Fatalf("uniform out of range: %v", u)
		}
		sum += u
		sum2 += u * u
	}
	mean, vr := sum/n, sum2/n-(sum/n)*(sum/n)
	if math.Abs(mean-0.5) > 0.005 || math.Abs(vr-1.0/12) > 0.003 {
		t.Errorf("mean %v var %v, want 0.5 and 1/12", mean, vr)
	}
	var nsum, nsum2 float64
	for i := 0; i < n; i++ {
		z := s.Normal(i, 3)
		nsum += z
		nsum2 += z * z
	}
	if math.Abs(nsum/n) > 0.01 || math.Abs(nsum2/n-1) > 0.02 {
		t.Errorf("normal mean %v var %v", nsum/n, nsum2/n)
	}
}

func TestGaussianShift(t *testing.T) {
	s := NewStream(7, 3, 11)
	const n = 20000
	mu, sigma, dst := make([]float32, n), make([]float32, n), make([]float32, n)
	for j := range mu {
		mu[j], sigma[j] = 2, 0.5
	}
	s.GaussianShift(dst, mu, sigma, 4, 0)
	var m, v float64
	for _, x := range dst {
		m += float64(x)
	}
	m /= n
	for _, x := range dst {
		v += (float64(x) - m) * (float64(x) - m)
	}
	v /= n
	if math.Abs(m-2) > 0.02 || math.Abs(v-0.25) > 0.01 {
		t.Fatalf("mean %v variance %v, want 2 and 0.25", m, v)
	}
	// Each value depends on its (row, unit) alone: a shifted view agrees.
	part := make([]float32, 5)
	s.GaussianShift(part, mu[100:105], sigma[100:105], 4, 100)
	for j, x := range part {
		if x != dst[100+j] {
			t.Fatalf("unit %d: %v in a view, %v in the whole", 100+j, x, dst[100+j])
		}
	}
}
