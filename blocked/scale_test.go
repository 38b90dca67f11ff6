package blocked

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/internal/floats"
)

// runScaled runs the product through the RowScale entry points.
func (p *gemmProblem) runScaled(r Runner, c, s []float32) {
	switch p.ep {
	case asm.GemmAlphaBeta:
		SgemmRowScale(r, p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a.v, p.a.ld, p.b.v, p.b.ld, p.beta, c, p.c.ld, p.scale)
	case asm.GemmBiasSigmoid:
		SgemmBiasSigmoidRowScale(r, p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a.v, p.a.ld, p.b.v, p.b.ld, p.bias, c, p.c.ld, p.scale)
	case asm.GemmBiasSigmoidSample:
		SgemmBiasSigmoidSampleRowScale(r, p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a.v, p.a.ld, p.b.v, p.b.ld, p.bias, c, p.c.ld,
			s, p.s.ld, p.stream, p.row0, p.col0, p.scale)
	}
}

// rowScales returns m scales in [-0.5, 2), with 0 and 1 among them.
func rowScales(rnd *rand.Rand, m int) []float32 {
	s := make([]float32, m)
	for i := range s {
		switch rnd.IntN(6) {
		case 0:
			s[i] = 0
		case 1:
			s[i] = 1
		default:
			s[i] = rnd.Float32()*2.5 - 0.5
		}
	}
	return s
}

// TestSgemmRowScale checks the scaled products against the float64
// reference for every epilogue and transpose, with small blocks (so that
// the K split, whose last block alone is scaled, and the row blocks are
// exercised), and bitwise the same for any worker count.
func TestSgemmRowScale(t *testing.T) {
	rnd := rand.New(rand.NewPCG(41, 42))
	for _, blocks := range [][3]int{{0, 0, 0}, {8, 32, 12}} {
		withBlocks(blocks[0], blocks[1], blocks[2], func() {
			for iter := range 72 {
				m, n, k := rnd.IntN(40), rnd.IntN(70), rnd.IntN(45)
				if iter%9 == 0 {
					k = 0
				}
				alpha := []float32{1, 0.5, 0}[iter%3]
				ep := asm.GemmEpilogue(iter / 3 % 3)
				beta := float32(0)
				if ep == asm.GemmAlphaBeta {
					beta = []float32{0, 1, 0.7}[iter/9%3]
				}
				p := newProblem(rnd, iter%2 == 1, iter/2%2 == 1, m, n, k, alpha, beta, false)
				p.ep = ep
				p.scale = rowScales(rnd, m)
				c, s := p.run(nil)
				p.check(t, c, s, false)
				for _, r := range []Runner{goRunner{w: 2}, goRunner{w: 3, uneven: true}} {
					c2, s2 := p.run(r)
					if !floats.SameBits(c, c2) || !floats.SameBits(s, s2) {
						t.Fatalf("%s %+v: differs from the serial result", p, r)
					}
				}
			}
		})
	}
}

// TestSgemmRowScaleExact checks that a scale of 1 gives the unscaled
// products bit for bit, and that the scaled linear product is the unscaled
// one times the row's scale, one float32 multiplication.
func TestSgemmRowScaleExact(t *testing.T) {
	rnd := rand.New(rand.NewPCG(43, 44))
	for _, blocks := range [][3]int{{0, 0, 0}, {16, 32, 12}} {
		withBlocks(blocks[0], blocks[1], blocks[2], func() {
			for _, sh := range [][3]int{{1, 1, 1}, {13, 70, 33}, {61, 97, 40}, {7, 20, 1100}} {
				for ep := range asm.GemmEpilogue(3) {
					p := newProblem(rnd, false, sh[0]%2 == 1, sh[0], sh[1], sh[2], 1, 0.7, false)
					p.ep = ep
					if ep != asm.GemmAlphaBeta {
						p.beta = 0
					}
					c1, s1 := p.run(goRunner{w: 3})
					p.scale = make([]float32, p.m)
					for i := range p.scale {
						p.scale[i] = 1
					}
					c2, s2 := p.run(goRunner{w: 3})
					if !floats.SameBits(c1, c2) || !floats.SameBits(s1, s2) {
						t.Fatalf("%s: scale 1 differs from no scale", p)
					}
					if ep != asm.GemmAlphaBeta {
						continue
					}
					p.scale = rowScales(rnd, p.m)
					c3, _ := p.run(goRunner{w: 3})
					for i := range p.m {
						for j := range p.n {
							idx := i*p.c.ld + j
							if want := c1[idx] * p.scale[i]; math.Float32bits(c3[idx]) != math.Float32bits(want) {
								t.Fatalf("%s: C[%d,%d] = %g, want %g·%g = %g", p, i, j, c3[idx], c1[idx], p.scale[i], want)
							}
						}
					}
				}
			}
		})
	}
}

// TestSgemmRowScalePanics checks that a short scale is refused.
func TestSgemmRowScalePanics(t *testing.T) {
	a, b, c := make([]float32, 6), make([]float32, 6), make([]float32, 9)
	defer func() {
		if r := recover(); r != "blocked: insufficient length of scale" {
			t.Fatalf("panic %v", r)
		}
	}()
	SgemmBiasSigmoidRowScale(nil, false, false, 3, 3, 2, 1, a, 2, b, 3, make([]float32, 3), c, 3, make([]float32, 2))
}
