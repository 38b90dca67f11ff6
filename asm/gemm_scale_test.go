package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/boltzgo/boltz/internal/floats"
)

// The per-row scale of the write-back (GemmArgs.Scale): every level against
// the float64 reference and its Go twin, bit for bit across levels, a scale
// of 1 equal to no scale, chunking, and special values.

// scaledEpilogues are the epilogues that take a Scale.
var scaledEpilogues = []GemmEpilogue{GemmAlphaBeta, GemmBiasSigmoid, GemmBiasSigmoidSample}

// randScale returns m per-row scales: mostly inverse temperatures in
// (0, 1], with 0, 1, negative and large ones mixed in.
func randScale(r *rand.Rand, m int) []float32 {
	s := make([]float32, m)
	for i := range s {
		switch r.IntN(8) {
		case 0:
			s[i] = 0
		case 1:
			s[i] = 1
		case 2:
			s[i] = -r.Float32() * 2
		case 3:
			s[i] = 1 + r.Float32()*3
		default:
			s[i] = r.Float32()
		}
	}
	return s
}

// TestGemmScaleShapes runs every MR variant, column edge and a range of k
// through the scaled epilogues, packed and row-major A, against the float64
// reference, with guards around C and S.
func TestGemmScaleShapes(t *testing.T) { eachImpl(t, testGemmScaleShapes) }

func testGemmScaleShapes(t *testing.T, im *Impl) {
	r := rand.New(rand.NewPCG(31, 32))
	MR, NR := im.Tile()
	ks := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 257}
	ns := []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, NR - 1, NR, NR + 1, 2*NR - 1, 2*NR + 1}
	n := 0
	for m := 1; m <= 2*MR+1; m++ {
		nsm := ns
		if m%MR == 1 || m%MR == 2 { // the wide tiles of 1 and 2 rows
			nsm = append(nsm, 47, 49, 63, 65, 4*NR-1, 4*NR+1)
		}
		for _, nn := range nsm {
			for _, k := range ks {
				if k > 40 && (m+nn)%5 != 0 {
					continue
				}
				ep := scaledEpilogues[n%len(scaledEpilogues)]
				alpha := []float32{1, 0.7, -1.5}[n%3]
				beta := []float32{0, 1, 0.7, 0}[n/len(scaledEpilogues)%4]
				n++
				g := newGemmCase(r, im, m, nn, k, ep, alpha, beta, 0)
				g.scale = randScale(r, m)
				c, s := g.run(im.gemmRaw)
				g.check(t, im.name, c, s)
			}
		}
	}
}

// TestGemmScaleOne checks that a scale of 1 on every row gives the
// unscaled kernel's output and samples bit for bit.
func TestGemmScaleOne(t *testing.T) { eachImpl(t, testGemmScaleOne) }

func testGemmScaleOne(t *testing.T, im *Impl) {
	r := rand.New(rand.NewPCG(33, 34))
	MR, NR := im.Tile()
	for _, sh := range [][3]int{{1, 1, 1}, {MR, NR, 7}, {MR + 1, 2*NR + 3, 16}, {2*MR - 1, 4*NR + 1, 33}, {37, 70, 100}} {
		for _, ep := range scaledEpilogues {
			for _, beta := range []float32{0, 1} {
				g := newGemmCase(r, im, sh[0], sh[1], sh[2], ep, 1, beta, 0)
				c1, s1 := g.run(im.gemmRaw)
				g.scale = make([]float32, g.m)
				for i := range g.scale {
					g.scale[i] = 1
				}
				c2, s2 := g.run(im.gemmRaw)
				if !floats.SameBits(c1, c2) || !floats.SameBits(s1, s2) {
					t.Fatalf("%s %s: scale 1 differs from no scale", im.name, g)
				}
			}
		}
	}
}

// TestGemmScaleLevelsAgree holds every assembly level to the others bit
// for bit with the scale, whatever its tile, and each to the reference.
func TestGemmScaleLevelsAgree(t *testing.T) {
	levels := asmImpls()
	if len(levels) < 2 {
		t.Skipf("one assembly level here (%v): nothing to compare", levels)
	}
	seed := uint64(0)
	for m := 1; m <= 40; m += 1 + m%2 {
		for n := 1; n <= 80; n += 1 + m%3 + n%2 {
			seed++
			k := int(seed*7) % 71
			ep := scaledEpilogues[seed%3]
			beta := []float32{0, 1, 0.7}[seed/3%3]
			var rc, rs []float32
			var rname string
			for _, im := range levels {
				r := rand.New(rand.NewPCG(seed, 19))
				g := newGemmCase(r, im, m, n, k, ep, 1, beta, 0)
				g.scale = randScale(r, m)
				c, s := g.run(im.gemmRaw)
				g.check(t, im.name, c, s)
				if rc == nil {
					rc, rs, rname = c, s, im.name
					continue
				}
				if !floats.SameBits(c, rc) || !floats.SameBits(s, rs) {
					t.Fatalf("%s against %s: %s: C or S differ", im.name, rname, g)
				}
			}
		}
	}
}

// TestGemmScaleTwin compares each assembly level with its Go twin on
// scaled blocks: within the FMA rounding of the product, the samples from
// each one's own probabilities.
func TestGemmScaleTwin(t *testing.T) {
	for _, im := range asmImpls() {
		for seed := range uint64(60) {
			fuzzGemmScaled(t, im, uint8(seed*7), uint8(seed*13), uint8(seed*5), seed, 1, []float32{0, 1, 0.5}[seed%3], uint8(seed), uint8(seed*3))
		}
	}
}

// FuzzGemmKernelScaled compares each level with its Go twin on random
// scaled blocks.
func FuzzGemmKernelScaled(f *testing.F) {
	f.Add(uint8(6), uint8(16), uint8(8), uint64(1), float32(1), float32(0), uint8(1), uint8(0))
	f.Fuzz(func(t *testing.T, m, n, k uint8, seed uint64, alpha, beta float32, ep, col0 uint8) {
		for _, im := range Supported() {
			fuzzGemmScaled(t, im, m, n, k, seed, alpha, beta, ep, col0)
		}
	})
}

func fuzzGemmScaled(t *testing.T, im *Impl, m, n, k uint8, seed uint64, alpha, beta float32, ep, col0 uint8) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 98))
	g := newGemmCase(r, im, int(m%40), int(n%70), int(k%70), scaledEpilogues[int(ep)%len(scaledEpilogues)], alpha, beta, 0)
	g.col0 = int(col0)
	g.scale = randScale(r, g.m)
	c1, _ := g.run(im.Twin().gemmRaw)
	c2, s2 := g.run(im.gemmRaw)
	for i := range c1 {
		x, y := c1[i], c2[i]
		if x != x || y != y {
			if (x != x) != (y != y) {
				t.Fatalf("%s %s: C[%d]: twin %g, level %g", im.name, g, i, x, y)
			}
			continue
		}
		if x == y {
			continue
		}
		ri := i - g.off
		ref, tol := g.ref(ri/g.ldc, ri%g.ldc)
		if math.IsInf(ref, 0) || math.Abs(ref) > 1e37 {
			continue
		}
		if math.Abs(float64(x)-float64(y)) > 2*tol {
			t.Fatalf("%s %s: C[%d]: twin %g, level %g (ref %g ± %g)", im.name, g, i, x, y, ref, tol)
		}
	}
	g.check(t, im.name, c2, s2) // the reference, the guards and the samples
}

// TestGemmScaleChunks checks that the calls of at most gemmChunkFlops give
// the result of one call with the scale (each chunk reads its rows' scales).
func TestGemmScaleChunks(t *testing.T) {
	for _, im := range asmImpls() {
		t.Run("isa="+im.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(35, 36))
			MR, NR := im.Tile()
			defer func(v int) { gemmChunkFlops = v }(gemmChunkFlops)
			for _, ep := range scaledEpilogues {
				gemmChunkFlops = 1 << 25
				g := newGemmCase(r, im, 37, 70, 33, ep, 1, 0.5, 0)
				g.col0 = 5
				g.scale = randScale(r, g.m)
				c, s := g.run(im.gemmRaw)
				for _, f := range []int{1, 2 * MR * NR * 33 * 3, 20000} {
					gemmChunkFlops = f
					c2, s2 := g.run(im.gemmRaw)
					if !floats.SameBits(c, c2) || !floats.SameBits(s, s2) {
						t.Fatalf("ep %d chunk %d: the result differs from one call", ep, f)
					}
				}
			}
		})
	}
}

// TestGemmScaleSpecial checks the scale on special values: pre-activations
// ±0, ±88, ±Inf, NaN, huge and tiny, times scales 0, 1, −1, 0.5, 3, NaN and
// ±Inf, give (x·s) and Sigmoid1(x·s) of float32 arithmetic (0·Inf and NaN
// scales give NaN), on every row of every MR variant.
func TestGemmScaleSpecial(t *testing.T) { eachImpl(t, testGemmScaleSpecial) }

func testGemmScaleSpecial(t *testing.T, im *Impl) {
	MR, NR := im.Tile()
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 88, -88, 104, -104, 200, -200,
		inf, -inf, nan, 1e-40, -1e-40, 3e38, -3e38}
	scales := []float32{0, 1, -1, 0.5, 3, nan, inf, -inf, 1e-30}
	n := len(vals)
	for _, ep := range []GemmEpilogue{GemmAlphaBeta, GemmBiasSigmoid} {
		for m := 1; m <= MR+1; m++ {
			a, pb := onesByRow(im, m, vals)
			for s0 := range scales {
				sc := make([]float32, m)
				for i := range sc {
					sc[i] = scales[(s0+i)%len(scales)]
				}
				c := make([]float32, m*n)
				for i := range c {
					c[i] = nan
				}
				im.gemmRaw(&GemmArgs{M: m, N: n, K: 1, A: a, B: pb, BStride: NR, C: c, LDC: n,
					Alpha: 1, Beta: 0, Epilogue: ep, Bias: make([]float32, n), Scale: sc})
				for i := range m {
					for j, x := range vals {
						want := x * sc[i]
						if ep == GemmBiasSigmoid {
							want = Sigmoid1((x + 0) * sc[i]) // the bias, 0, added first
						}
						got := c[i*n+j]
						what := fmt.Sprintf("%s ep=%d m=%d: x=%g scale=%g", im.name, ep, m, x, sc[i])
						if (got != got) != (want != want) {
							t.Fatalf("%s: got %g, want %g", what, got, want)
						}
						if got == got && got != want && (ep == GemmAlphaBeta || math.Abs(float64(got-want)) > 4*gemmULP(float64(want))) {
							t.Fatalf("%s: got %g, want %g", what, got, want)
						}
					}
				}
			}
		}
	}
}
