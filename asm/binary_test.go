package asm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/boltzgo/boltz/rng"
)

// binaryCase is one binary product: A (m×k, entries 0 or val) both dense
// and as index lists, B (k×n) packed with a stride of extra floats beyond
// NR·k (odd strides), C with padding.
type binaryCase struct {
	m, n, k, ldc int
	val          float32
	a            []float32
	beg, end     []int32
	idx          []int32
	b            []float32 // packed
	bd           []float32 // packed for the dense form: b with the unselected rows' Inf and NaN cleared
	stride       int
	bias         []float32
}

func newBinaryCase(r *rand.Rand, im *Impl, m, n, k int, density float64, val float32, special bool) *binaryCase {
	_, nr := im.Tile()
	c := &binaryCase{m: m, n: n, k: k, ldc: n + r.IntN(3), val: val,
		a: make([]float32, m*k), beg: make([]int32, m), end: make([]int32, m), bias: make([]float32, n)}
	for i := range m {
		c.beg[i] = int32(len(c.idx)) + int32(r.IntN(3)) // gaps between the rows' lists
		for range int(c.beg[i]) - len(c.idx) {
			c.idx = append(c.idx, int32(k+7)) // never read
		}
		for j := range k {
			if r.Float64() < density {
				c.a[i*k+j] = val
				c.idx = append(c.idx, int32(j))
			}
		}
		c.end[i] = int32(len(c.idx))
	}
	ldb := n + r.IntN(3)
	bm := make([]float32, k*ldb)
	for i := range bm {
		bm[i] = float32(r.NormFloat64())
	}
	bd := bm
	if special && k > 1 && n > 0 {
		// Inf and NaN in B, in a row that no row of A selects (the dense
		// form would give 0·Inf = NaN there: it gets the row cleared) and
		// in a row all of A selects.
		j, j2 := r.IntN(k), r.IntN(k)
		for j2 == j {
			j2 = r.IntN(k)
		}
		bd = append([]float32(nil), bm...)
		bm[j*ldb+r.IntN(n)] = float32(math.Inf(1))
		bm[j*ldb+r.IntN(n)] = float32(math.NaN())
		bm[j2*ldb+r.IntN(n)] = float32(math.Inf(-1))
		copy(bd[j2*ldb:j2*ldb+n], bm[j2*ldb:j2*ldb+n])
		for i := range m {
			c.a[i*k+j], c.a[i*k+j2] = 0, val
		}
		c.rebuild()
	}
	for i := range c.bias {
		c.bias[i] = float32(r.NormFloat64())
	}
	c.stride = nr*k + r.IntN(2)*nr
	c.b = make([]float32, im.GemmPackedBLen(k, n, c.stride))
	im.GemmPackB(c.b, false, bm, ldb, k, n, c.stride)
	c.bd = make([]float32, len(c.b))
	im.GemmPackB(c.bd, false, bd, ldb, k, n, c.stride)
	return c
}

// rebuild makes the lists again from a (contiguous rows).
func (c *binaryCase) rebuild() {
	c.idx = c.idx[:0]
	for i := range c.m {
		c.beg[i] = int32(len(c.idx))
		for j := range c.k {
			if c.a[i*c.k+j] != 0 {
				c.idx = append(c.idx, int32(j))
			}
		}
		c.end[i] = int32(len(c.idx))
	}
}

var binaryStream = rng.Stream{Key: rng.Key(5), Step: 3, Phase: 2}

// dense runs GemmKernel on the dense A with the epilogue ep and returns C
// and S.
func (c *binaryCase) dense(im *Impl, ep GemmEpilogue) ([]float32, []float32) {
	C, S := c.out()
	g := GemmArgs{M: c.m, N: c.n, K: c.k, A: c.a, LDA: max(c.k, 1), B: c.bd, BStride: c.stride,
		C: C, LDC: c.ldc, Alpha: 1, Epilogue: ep, Bias: c.bias, S: S, LDS: c.ldc, Stream: binaryStream, Row0: 3, Col0: 5}
	if c.k == 0 {
		g.A, g.LDA = nil, 0
	}
	if ep == GemmAlphaBeta { // C preset to the bias rows, β = 1
		for i := range c.m {
			copy(C[i*c.ldc:], c.bias)
		}
		g.Beta = 1
	}
	im.GemmKernel(&g)
	return C, S
}

// binary runs BinaryGemm.
func (c *binaryCase) binary(im *Impl, ep GemmEpilogue) ([]float32, []float32) {
	C, S := c.out()
	im.BinaryGemm(&BinaryArgs{N: c.n, K: c.k, Beg: c.beg, End: c.end, Idx: c.idx, Val: c.val,
		B: c.b, BStride: c.stride, C: C, LDC: c.ldc, Epilogue: ep, Bias: c.bias,
		S: S, LDS: c.ldc, Stream: binaryStream, Row0: 3, Col0: 5})
	return C, S
}

func (c *binaryCase) out() ([]float32, []float32) {
	C, S := make([]float32, c.m*c.ldc+1), make([]float32, c.m*c.ldc+1)
	for i := range C {
		C[i], S[i] = -7, -7 // padding must stay
	}
	return C, S
}

func sameBits(x, y []float32) int {
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) && !(x[i] != x[i] && y[i] != y[i]) {
			return i
		}
	}
	return -1
}

// TestBinaryGemmIsDense holds BinaryGemm to GemmKernel on the dense
// operand bit for bit at every level: every small size, ragged strips,
// empty and full rows, Val 1 and not, Inf and NaN in unselected rows of B.
func TestBinaryGemmIsDense(t *testing.T) {
	eachImpl(t, func(t *testing.T, im *Impl) {
		r := rand.New(rand.NewPCG(1, 2))
		ks := []int{0, 1, 3, 16, 17, 40}
		ns := []int{1, 7, 16, 17, 33, 64, 65, 127, 128, 129, 200, 257}
		if testing.Short() {
			ns = []int{1, 17, 65, 129}
		}
		for _, m := range []int{1, 2, 5} {
			for _, k := range ks {
				for _, n := range ns {
					for _, d := range []float64{0, 0.2, 0.6, 1} {
						val := float32(1)
						if r.IntN(3) == 0 {
							val = float32(r.Float64())
						}
						c := newBinaryCase(r, im, m, n, k, d, val, r.IntN(2) == 0)
						for _, ep := range []GemmEpilogue{GemmAlphaBeta, GemmBiasSigmoid, GemmBiasSigmoidSample} {
							c1, s1 := c.dense(im, ep)
							c2, s2 := c.binary(im, ep)
							if i := sameBits(c1, c2); i >= 0 {
								t.Fatalf("m=%d n=%d k=%d d=%g val=%g ep=%d: C[%d] binary %g, dense %g", m, n, k, d, val, ep, i, c2[i], c1[i])
							}
							if ep == GemmBiasSigmoidSample {
								if i := sameBits(s1, s2); i >= 0 {
									t.Fatalf("m=%d n=%d k=%d ep=%d: S[%d] binary %g, dense %g", m, n, k, ep, i, s2[i], s1[i])
								}
							}
						}
					}
				}
			}
		}
	})
}

// TestBinarySumTwin holds each assembly core to its Go twin: bit for bit
// with val = 1 (one rounding either way), within one rounding a term
// otherwise; NaN and Inf in W propagate alike.
func TestBinarySumTwin(t *testing.T) {
	for _, im := range asmImpls() {
		_, nr := im.Tile()
		r := rand.New(rand.NewPCG(3, 4))
		for _, k := range []int{1, 2, 9, 31} {
			for np := 1; np <= binaryPanels; np++ {
				panel := nr*k + r.IntN(3)*nr/2
				w := make([]float32, (np-1)*panel+(k-1)*nr+nr)
				for i := range w {
					w[i] = float32(r.NormFloat64())
				}
				w[r.IntN(len(w))] = float32(math.Inf(-1))
				w[r.IntN(len(w))] = float32(math.NaN())
				for _, val := range []float32{1, 0.3} {
					var idx []int32
					for j := range k {
						if r.IntN(2) == 0 || k < 3 {
							idx = append(idx, int32(j))
						}
					}
					d1, d2 := make([]float32, np*nr), make([]float32, np*nr)
					b1 := binarySumGeneric(d1, w, k, panel, nr, idx, np, val, nr)
					b2 := im.binarySum(d2, w, k, panel, nr, idx, np, val)
					if b1 != 0 || b2 != 0 {
						t.Fatalf("%s: valid indices reported bad", im)
					}
					for i := range d1 {
						x, y := d1[i], d2[i]
						if (x != x) != (y != y) || math.IsInf(float64(x), 0) != math.IsInf(float64(y), 0) {
							t.Fatalf("%s k=%d np=%d: dst[%d] twin %g, asm %g", im, k, np, i, x, y)
						}
						if x != x || math.IsInf(float64(x), 0) {
							continue
						}
						tol := 0.0
						if val != 1 {
							tol = 1e-6 * float64(len(idx)+1) * (1 + math.Abs(float64(x)))
						}
						if math.Abs(float64(x-y)) > tol {
							t.Fatalf("%s k=%d np=%d val=%g: dst[%d] twin %g, asm %g", im, k, np, val, i, x, y)
						}
					}
					// An index out of range stops the core.
					bad := append(append([]int32(nil), idx...), int32(k))
					if im.binarySum(d2, w, k, panel, nr, bad, np, val) != 1 || binarySumGeneric(d1, w, k, panel, nr, bad, np, val, nr) != 1 {
						t.Fatalf("%s: index k not reported", im)
					}
				}
			}
		}
	}
}

// TestBinaryGemmBad checks the panics on inconsistent arguments.
func TestBinaryGemmBad(t *testing.T) {
	im := Current()
	c := newBinaryCase(rand.New(rand.NewPCG(1, 1)), im, 3, 20, 10, 0.5, 1, false)
	for name, mod := range map[string]func(*BinaryArgs){
		"index":  func(g *BinaryArgs) { g.Idx = append([]int32{10}, g.Idx...); g.End[0]++ },
		"short":  func(g *BinaryArgs) { g.C = g.C[:10] },
		"list":   func(g *BinaryArgs) { g.End[2] = int32(len(g.Idx) + 1) },
		"bias":   func(g *BinaryArgs) { g.Bias = g.Bias[:3] },
		"update": func(g *BinaryArgs) { g.Epilogue = GemmUpdate },
	} {
		C, _ := c.out()
		g := BinaryArgs{N: c.n, K: c.k, Beg: append([]int32(nil), c.beg...), End: append([]int32(nil), c.end...),
			Idx: append([]int32(nil), c.idx...), Val: 1, B: c.b, BStride: c.stride, C: C, LDC: c.ldc, Bias: c.bias}
		mod(&g)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			im.BinaryGemm(&g)
		}()
	}
}

// TestBinaryGemmAllocs checks that BinaryGemm does not allocate (without
// the race detector).
func TestBinaryGemmAllocs(t *testing.T) {
	if binaryRace {
		t.Skip("the race build allocates the scratch row")
	}
	im := Current()
	c := newBinaryCase(rand.New(rand.NewPCG(1, 1)), im, 4, 130, 30, 0.3, 1, false)
	C, S := c.out()
	g := BinaryArgs{N: c.n, K: c.k, Beg: c.beg, End: c.end, Idx: c.idx, Val: 1, B: c.b, BStride: c.stride,
		C: C, LDC: c.ldc, Bias: c.bias, Epilogue: GemmBiasSigmoidSample, S: S, LDS: c.ldc, Stream: binaryStream}
	if n := testing.AllocsPerRun(10, func() { im.BinaryGemm(&g) }); n != 0 {
		t.Fatalf("%g allocations", n)
	}
}

func FuzzBinaryGemm(f *testing.F) {
	f.Add(uint8(3), uint8(40), uint8(20), uint64(1), uint8(50), false)
	f.Fuzz(func(t *testing.T, m, n, k uint8, seed uint64, dens uint8, one bool) {
		for _, im := range Supported() {
			r := rand.New(rand.NewPCG(seed, 7))
			val := float32(1)
			if !one {
				val = float32(r.Float64() * 2)
			}
			c := newBinaryCase(r, im, int(m%20), int(n%150)+1, int(k%70), float64(dens)/255, val, seed%2 == 0)
			for _, ep := range []GemmEpilogue{GemmAlphaBeta, GemmBiasSigmoidSample} {
				c1, s1 := c.dense(im, ep)
				c2, s2 := c.binary(im, ep)
				if i := sameBits(c1, c2); i >= 0 {
					t.Fatalf("%s: C[%d] binary %g, dense %g", im, i, c2[i], c1[i])
				}
				if i := sameBits(s1, s2); ep == GemmBiasSigmoidSample && i >= 0 {
					t.Fatalf("%s: S[%d] binary %g, dense %g", im, i, s2[i], s1[i])
				}
			}
		}
	})
}
