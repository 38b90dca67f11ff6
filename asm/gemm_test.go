package asm

import (
	"fmt"
	"github.com/boltzgo/boltz/internal/floats"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/boltzgo/boltz/rng"
)

// gemmCase is a block of work: op(A) m×k and B k×n as plain row-major
// float32 matrices, packed for the kernel, and C inside a larger buffer with
// guard elements around it.
type gemmCase struct {
	im          *Impl // the level whose layouts the operands are packed in
	m, n, k     int
	a, b        []float32 // row-major m×k, k×n
	pa, pb      []float32 // packed
	lda         int       // > 0: the kernel reads A row-major from ra
	ra          []float32 // A with leading dimension lda, NaN between the rows
	bstride     int
	ldc, off    int
	c0          []float32 // initial C buffer (with guards)
	bias        []float32
	lds         int
	stream      rng.Stream
	row0, col0  int
	alpha, beta float32
	ep          GemmEpilogue
	w0, w       []float32 // GemmUpdate's W buffer (with guards): initial, after the last run
	ldw, woff   int
	decay       float32
	wp0, wp     []float32 // GemmUpdate's packed copy of W (NaN where not written), or nil
	wpstride    int
	scale       []float32 // the per-row scale of the write-back (GemmArgs.Scale), or nil
}

// gemmEpilogues is the number of GemmEpilogue values.
const gemmEpilogues = 4

const gemmGuardPad = 3 // extra columns of guard after each row of C

func newGemmCase(r *rand.Rand, im *Impl, m, n, k int, ep GemmEpilogue, alpha, beta float32, cInit float32) *gemmCase {
	g := &gemmCase{im: im, m: m, n: n, k: k, ep: ep, alpha: alpha, beta: beta}
	tw := im.Twin() // packs with the Go code, in im's layout
	_, NR := im.Tile()
	g.a = gemmRandSlice(r, m*k)
	g.b = gemmRandSlice(r, k*n)
	g.pa = make([]float32, m*k)
	tw.GemmPackA(g.pa, false, g.a, max(k, 1), m, k)
	if r.IntN(2) == 0 {
		g.lda = max(k+r.IntN(3), 1)
		g.ra = make([]float32, m*g.lda)
		for i := range g.ra {
			g.ra[i] = float32(math.NaN())
		}
		for i := range m {
			copy(g.ra[i*g.lda:], g.a[i*k:(i+1)*k])
		}
		g.ra = g.ra[:max((m-1)*g.lda+k, 0)]
	}
	g.bstride = NR*k + NR*r.IntN(2) // sometimes a larger stride
	if g.bstride == 0 {
		g.bstride = NR
	}
	g.pb = make([]float32, im.GemmPackedBLen(k, n, g.bstride)+r.IntN(5))
	for i := range g.pb {
		g.pb[i] = float32(math.NaN()) // the stride gap and the tail are never read
	}
	tw.GemmPackB(g.pb, false, g.b, max(n, 1), k, n, g.bstride)
	g.ldc = n + gemmGuardPad
	g.off = g.ldc + 1
	g.c0 = make([]float32, (m+2)*g.ldc)
	for i := range g.c0 {
		g.c0[i] = float32(math.NaN())
	}
	for i := range m {
		for j := range n {
			v := cInit
			if cInit == 0 {
				v = float32(r.NormFloat64())
			}
			g.c0[g.off+i*g.ldc+j] = v
		}
	}
	g.bias = gemmRandSlice(r, n)
	g.lds = n + 1
	g.stream = rng.NewStream(r.Uint64(), r.Uint64N(1000), r.Uint32N(4))
	g.row0 = r.IntN(1000)
	g.col0 = r.IntN(40)
	g.ldw = n + 5
	g.woff = g.ldw + 2
	g.w0 = make([]float32, (m+2)*g.ldw)
	for i := range g.w0 {
		g.w0[i] = float32(math.NaN())
	}
	for i := range m {
		for j := range n {
			g.w0[g.woff+i*g.ldw+j] = float32(r.NormFloat64())
		}
	}
	g.decay = r.Float32() * 0.1
	g.w = append([]float32(nil), g.w0...)
	if r.IntN(2) == 0 && m > 0 && n > 0 {
		g.wpstride = NR*m + NR*r.IntN(2)
		g.wp0 = make([]float32, (n-1)/NR*g.wpstride+NR*m+r.IntN(5))
		for i := range g.wp0 {
			g.wp0[i] = float32(math.NaN())
		}
		g.wp = append([]float32(nil), g.wp0...)
	}
	return g
}

// wpIndex returns where element (i, j) of W goes in the packed copy.
func (g *gemmCase) wpIndex(i, j int) int {
	_, NR := g.im.Tile()
	return j/NR*g.wpstride + i*NR + j%NR
}

func gemmRandSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// run runs impl on a copy of the case's C (and W, left in g.w) and returns
// the C buffer and S.
func (g *gemmCase) run(impl func(*GemmArgs)) (c, s []float32) {
	c = append([]float32(nil), g.c0...)
	g.w = append(g.w[:0], g.w0...)
	g.wp = append(g.wp[:0], g.wp0...)
	s = make([]float32, max(g.m*g.lds, 1)+1)
	for i := range s {
		s[i] = -1
	}
	impl(g.argsA(c, s))
	return c, s
}

func (g *gemmCase) args(c, s []float32) *GemmArgs {
	return &GemmArgs{
		M: g.m, N: g.n, K: g.k,
		A: g.pa, B: g.pb, BStride: g.bstride,
		C: c[g.off:], LDC: g.ldc,
		Alpha: g.alpha, Beta: g.beta, Epilogue: g.ep,
		Bias: g.bias, S: s, LDS: g.lds,
		Stream: g.stream, Row0: g.row0, Col0: g.col0,
		W: g.w[g.woff:], LDW: g.ldw, Decay: g.decay,
		WP: g.wp, WPStride: g.wpstride,
		Scale: g.scale,
	}
}

// argsA is args with A as the case gives it: packed or row-major.
func (g *gemmCase) argsA(c, s []float32) *GemmArgs {
	a := g.args(c, s)
	if g.lda > 0 {
		a.A, a.LDA = g.ra, g.lda
	}
	return a
}

// ref returns the float64 reference of element (i, j) and its error bound.
func (g *gemmCase) ref(i, j int) (ref, tol float64) {
	var sum, abs float64
	for p := range g.k {
		x := float64(g.a[i*g.k+p]) * float64(g.b[p*g.n+j])
		sum += x
		abs += math.Abs(x)
	}
	c := float64(g.c0[g.off+i*g.ldc+j])
	x := float64(g.alpha) * sum
	e := math.Abs(float64(g.alpha)) * abs
	if g.beta != 0 {
		x += float64(g.beta) * c
		e += math.Abs(float64(g.beta) * c)
	}
	tol = 2 * float64(g.k+3) * 0x1p-23 * e
	sc := 1.0
	if g.scale != nil {
		sc = float64(g.scale[i])
	}
	switch g.ep {
	case GemmAlphaBeta:
		if g.scale != nil {
			return x * sc, math.Abs(sc)*tol + 0x1p-23*math.Abs(x*sc)
		}
		return x, tol
	case GemmUpdate:
		d := float64(g.decay) * float64(g.w0[g.woff+i*g.ldw+j])
		return x - d, tol + 0x1p-23*(math.Abs(d)+math.Abs(x-d))
	}
	x += float64(g.bias[j])
	tol += 0x1p-23 * math.Abs(x)
	if g.scale != nil {
		x *= sc
		tol = math.Abs(sc)*tol + 0x1p-23*math.Abs(x)
	}
	s := 1 / (1 + math.Exp(-x))
	return s, s*(1-s)*tol + 8*gemmULP(s)
}

func gemmULP(x float64) float64 {
	f := float32(math.Abs(x))
	return math.Max(float64(math.Nextafter32(f, float32(math.Inf(1)))-f), 0x1p-149)
}

// check compares an implementation's output with the reference, checks the
// guard elements of C and the samples.
func (g *gemmCase) check(t *testing.T, name string, c, s []float32) {
	t.Helper()
	for idx, v := range c {
		r := idx - g.off
		i, j := r/g.ldc, r%g.ldc
		if r < 0 || i >= g.m || j >= g.n {
			if math.Float32bits(v) != math.Float32bits(g.c0[idx]) {
				t.Fatalf("%s %s: guard C[%d] changed to %g", name, g, idx, v)
			}
			continue
		}
		ref, tol := g.ref(i, j)
		if d := math.Abs(float64(v) - ref); !(d <= tol) {
			t.Fatalf("%s %s: C[%d,%d] = %g, want %g ± %g", name, g, i, j, v, ref, tol)
		}
	}
	// W: GemmUpdate adds the new C to it, one float32 addition an element;
	// nothing else changes (the guards and every other epilogue's W).
	for idx, v := range g.w {
		want := g.w0[idx]
		r := idx - g.woff
		if i, j := r/g.ldw, r%g.ldw; g.ep == GemmUpdate && r >= 0 && i < g.m && j < g.n {
			want += c[g.off+i*g.ldc+j]
		}
		if math.Float32bits(v) != math.Float32bits(want) {
			t.Fatalf("%s %s: W[%d] = %g, want %g", name, g, idx, v, want)
		}
	}
	// The packed copy holds the new W of the block (GemmUpdate) and nothing
	// else changes.
	want := append([]float32(nil), g.wp0...)
	if g.ep == GemmUpdate && g.wp != nil {
		for i := range g.m {
			for j := range g.n {
				want[g.wpIndex(i, j)] = g.w[g.woff+i*g.ldw+j]
			}
		}
	}
	for idx, v := range g.wp {
		if math.Float32bits(v) != math.Float32bits(want[idx]) {
			t.Fatalf("%s %s: WP[%d] = %g, want %g", name, g, idx, v, want[idx])
		}
	}
	for idx, v := range s {
		i, j := idx/g.lds, idx%g.lds
		if g.ep != GemmBiasSigmoidSample || i >= g.m || j >= g.n {
			if v != -1 {
				t.Fatalf("%s %s: guard S[%d] changed to %g", name, g, idx, v)
			}
			continue
		}
		p := c[g.off+i*g.ldc+j]
		want := float32(0)
		if rng.Uniform(g.stream.Uint32(g.row0+i, g.col0+j)) < p {
			want = 1
		}
		if v != want {
			t.Fatalf("%s %s: S[%d,%d] = %g, want %g (p = %g)", name, g, i, j, v, want, p)
		}
	}
}

func (g *gemmCase) String() string {
	return fmt.Sprintf("m=%d n=%d k=%d lda=%d ep=%d α=%g β=%g row0=%d col0=%d scaled=%v", g.m, g.n, g.k, g.lda, g.ep, g.alpha, g.beta, g.row0, g.col0, g.scale != nil)
}

// TestGemmKernelShapes runs every MR variant (m = 1..13: one or two panels),
// every column edge (n = 1..17, 31..33, and up to 79 for the wide tiles of 1
// and 2 rows), k = 0..40, 256, 257 through every
// epilogue, against the float64 reference, with guards around C and S.
func TestGemmKernelShapes(t *testing.T) { eachImpl(t, testGemmKernelShapes) }

func testGemmKernelShapes(t *testing.T, im *Impl) {
	r := rand.New(rand.NewPCG(1, 2))
	MR, NR := im.Tile()
	ks := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 40, 256, 257}
	if !testing.Short() {
		ks = append(ks, 6, 10, 11, 12, 13, 14, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 32, 33, 34, 35, 36, 37, 38, 39)
	}
	ns := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 31, 32, 33}
	n := 0
	ns = append(ns, NR-1, NR, NR+1, 2*NR-1, 2*NR+1)
	for m := 1; m <= 2*MR+1; m++ {
		nsm := ns
		if m%MR == 1 || m%MR == 2 { // the wide tiles of 1 and 2 rows (64 and 32 columns in avx2)
			nsm = append(nsm, 47, 48, 49, 50, 63, 64, 65, 79, 4*NR-1, 4*NR+1)
		}
		for _, nn := range nsm {
			for _, k := range ks {
				if k > 40 && (m+nn)%5 != 0 {
					continue
				}
				ep := GemmEpilogue(n % gemmEpilogues)
				alpha := []float32{1, 0.7, -1.5}[n%3]
				beta := []float32{0, 1, 0.7, 0}[n/gemmEpilogues%4]
				n++
				g := newGemmCase(r, im, m, nn, k, ep, alpha, beta, 0)
				if beta == 0 && n%8 == 0 {
					g = newGemmCase(r, im, m, nn, k, ep, alpha, beta, float32(math.NaN()))
				}
				c, s := g.run(im.gemmRaw)
				g.check(t, im.name, c, s)
			}
		}
	}
}

// TestGemmKernelSample checks the samples bit for bit against the rng
// package over many rows, columns and offsets, both Philox paths (col0
// aligned to 4 units or not) and counters near 2^32.
func TestGemmKernelSample(t *testing.T) { eachImpl(t, testGemmKernelSample) }

func testGemmKernelSample(t *testing.T, im *Impl) {
	r := rand.New(rand.NewPCG(3, 4))
	// Every column offset modulo 16 with every width up to 40 columns.
	for col0 := range 16 {
		for n := 1; n <= 40; n++ {
			g := newGemmCase(r, im, 1+(n+col0)%8, n, 1+n%3, GemmBiasSigmoidSample, 1, 0, 0)
			g.col0 = col0 + 16*r.IntN(1000)
			c, s := g.run(im.gemmRaw)
			g.check(t, im.name, c, s)
		}
	}
	for iter := range 200 {
		m := 1 + r.IntN(20)
		n := 1 + r.IntN(70)
		k := r.IntN(12)
		g := newGemmCase(r, im, m, n, k, GemmBiasSigmoidSample, 1, 0, 0)
		g.col0 = iter % 8
		if iter%3 == 0 {
			g.col0 = r.IntN(1 << 20)
		}
		if iter%7 == 0 && strconv.IntSize == 64 {
			big1, big2 := uint64(1<<32-3), uint64(1<<34-8) // counters that wrap in 32 bits
			g.row0 = int(big1) + r.IntN(3)
			g.col0 = int(big2) + r.IntN(8)
		}
		for j := range n { // probabilities spread over (0, 1)
			g.bias[j] = float32(r.NormFloat64() * 2)
		}
		c, s := g.run(im.gemmRaw)
		g.check(t, im.name, c, s)
	}
}

// TestGemmKernelSplit checks that computing a block in pieces (any row split,
// column splits at multiples of NR) gives bitwise the same C and S as one
// call, for each level.
func TestGemmKernelSplit(t *testing.T) { eachImpl(t, testGemmKernelSplit) }

func testGemmKernelSplit(t *testing.T, im *Impl) {
	r := rand.New(rand.NewPCG(5, 6))
	_, NR := im.Tile()
	for iter := range 60 {
		m, n, k := 1+r.IntN(30), 1+r.IntN(80), r.IntN(50)
		ep := GemmEpilogue(iter % gemmEpilogues)
		g := newGemmCase(r, im, m, n, k, ep, 0.9, float32(iter/gemmEpilogues%2), 0)
		impl := struct {
			name string
			run  func(*GemmArgs)
		}{im.name, im.gemmRaw}
		{
			c, s := g.run(impl.run)
			w := append([]float32(nil), g.w...)
			w2 := append([]float32(nil), g.w0...)
			wpOne := append([]float32(nil), g.wp...)
			wp2 := append([]float32(nil), g.wp0...)
			c2 := append([]float32(nil), g.c0...)
			s2 := make([]float32, len(s))
			for i := range s2 {
				s2[i] = -1
			}
			i1 := r.IntN(m + 1)
			j1 := NR * r.IntN((n+NR-1)/NR+1)
			j1 = min(j1, n)
			for _, rr := range [][2]int{{0, i1}, {i1, m}} {
				for _, cc := range [][2]int{{0, j1}, {j1, n}} {
					if rr[0] == rr[1] || cc[0] == cc[1] {
						continue
					}
					ga := g.args(c2, s2)
					pa := make([]float32, (rr[1]-rr[0])*k)
					im.Twin().GemmPackA(pa, false, g.a[rr[0]*k:], max(k, 1), rr[1]-rr[0], k)
					ga.A = pa
					if g.lda > 0 {
						ga.A, ga.LDA = g.ra[rr[0]*g.lda:], g.lda
					}
					ga.M, ga.N = rr[1]-rr[0], cc[1]-cc[0]
					ga.B = g.pb[cc[0]/NR*g.bstride:]
					ga.C = c2[g.off+rr[0]*g.ldc+cc[0]:]
					ga.Bias = g.bias[cc[0]:]
					ga.S = s2[rr[0]*g.lds+cc[0]:]
					ga.W = w2[g.woff+rr[0]*g.ldw+cc[0]:]
					if g.wp != nil {
						ga.WP = wp2[g.wpIndex(rr[0], cc[0]):]
					}
					ga.Row0, ga.Col0 = g.row0+rr[0], g.col0+cc[0]
					impl.run(ga)
				}
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(c2[i]) {
					t.Fatalf("%s %s split at %d,%d: C[%d] = %g, one call %g", impl.name, g, i1, j1, i, c2[i], c[i])
				}
			}
			for i := range s {
				if s[i] != s2[i] {
					t.Fatalf("%s %s split at %d,%d: S[%d] = %g, one call %g", impl.name, g, i1, j1, i, s2[i], s[i])
				}
			}
			for i := range w {
				if math.Float32bits(w[i]) != math.Float32bits(w2[i]) {
					t.Fatalf("%s %s split at %d,%d: W[%d] = %g, one call %g", impl.name, g, i1, j1, i, w2[i], w[i])
				}
			}
			for i := range wpOne {
				if math.Float32bits(wpOne[i]) != math.Float32bits(wp2[i]) {
					t.Fatalf("%s %s split at %d,%d: WP[%d] = %g, one call %g", impl.name, g, i1, j1, i, wp2[i], wpOne[i])
				}
			}
		}
	}
}

// TestGemmKernelChunks checks that the assembly wrapper's splitting into
// calls of at most gemmChunkFlops does not change the results, on each
// assembly level.
func TestGemmKernelChunks(t *testing.T) {
	for _, im := range asmImpls() {
		t.Run("isa="+im.name, func(t *testing.T) { testGemmKernelChunks(t, im) })
	}
}

func testGemmKernelChunks(t *testing.T, im *Impl) {
	r := rand.New(rand.NewPCG(7, 8))
	MR, NR := im.Tile()
	defer func(v int) { gemmChunkFlops = v }(gemmChunkFlops)
	for _, ep := range []GemmEpilogue{GemmBiasSigmoidSample, GemmUpdate} {
		gemmChunkFlops = 1 << 25
		g := newGemmCase(r, im, 37, 70, 33, ep, 1, 0.5, 0)
		g.col0 = 5
		if ep == GemmUpdate && g.wp == nil { // with the packed copy
			g.wpstride = NR * g.m
			g.wp0 = make([]float32, (g.n-1)/NR*g.wpstride+NR*g.m)
		}
		c, s := g.run(im.gemmRaw)
		w := append([]float32(nil), g.w...)
		wp := append([]float32(nil), g.wp...)
		for _, f := range []int{1, 2 * MR * NR * 33 * 3, 20000} {
			gemmChunkFlops = f
			c2, s2 := g.run(im.gemmRaw)
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(c2[i]) {
					t.Fatalf("ep %d chunk %d: C[%d] = %g, want %g", ep, f, i, c2[i], c[i])
				}
			}
			for i := range w {
				if math.Float32bits(w[i]) != math.Float32bits(g.w[i]) {
					t.Fatalf("ep %d chunk %d: W[%d] = %g, want %g", ep, f, i, g.w[i], w[i])
				}
			}
			for i := range wp {
				if math.Float32bits(wp[i]) != math.Float32bits(g.wp[i]) {
					t.Fatalf("ep %d chunk %d: WP[%d] = %g, want %g", ep, f, i, g.wp[i], wp[i])
				}
			}
			for i := range s {
				if s[i] != s2[i] {
					t.Fatalf("ep %d chunk %d: S[%d] = %g, want %g", ep, f, i, s2[i], s[i])
				}
			}
		}
	}
}

// onesByRow returns the packed operands of a K = 1 product whose every row
// is vals: A = m ones, B = the row vals.
// They are packed for level im (BStride NR).
func onesByRow(im *Impl, m int, vals []float32) (a, pb []float32) {
	a = make([]float32, m)
	for i := range a {
		a[i] = 1
	}
	n := len(vals)
	_, NR := im.Tile()
	pb = make([]float32, im.GemmPackedBLen(1, n, NR))
	im.Twin().GemmPackB(pb, false, vals, n, 1, n, NR)
	return a, pb
}

// TestGemmKernelSpecial checks special values: NaN and Inf in the operands
// propagate as in the Go twin, β = 0 overwrites NaN, and the sigmoid
// epilogue handles ±0, ±88, ±104, ±Inf and NaN pre-activations like Sigmoid1.
func TestGemmKernelSpecial(t *testing.T) { eachImpl(t, testGemmKernelSpecial) }

func testGemmKernelSpecial(t *testing.T, im *Impl) {
	MR, NR := im.Tile()
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 88, -88, 87.5, -87.5, 104, -104, 105, -105,
		inf, -inf, nan, 1e-40, -1e-40, 3e38, -3e38}
	// K = 1, A = 1: the pre-activation of column j is B[j] (+ bias 0).
	n := len(vals)
	for _, ep := range []GemmEpilogue{GemmAlphaBeta, GemmBiasSigmoid} {
		for m := 1; m <= MR; m++ {
			a, pb := onesByRow(im, m, vals)
			{
				impl := im
				c := make([]float32, m*n)
				for i := range c {
					c[i] = nan
				}
				impl.gemmRaw(&GemmArgs{M: m, N: n, K: 1, A: a, B: pb, BStride: NR, C: c, LDC: n,
					Alpha: 1, Beta: 0, Epilogue: ep, Bias: make([]float32, n)})
				for i := range m {
					for j, x := range vals {
						want := x
						if ep == GemmBiasSigmoid {
							want = Sigmoid1(x)
						}
						got := c[i*n+j]
						if got != want && !(got != got && want != want) {
							if ep == GemmAlphaBeta || math.Abs(float64(got-want)) > 4*gemmULP(float64(want)) {
								t.Errorf("%s ep=%d m=%d: x=%g: got %g, want %g", impl.name, ep, m, x, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestGemmKernelSpecialUpdate checks GemmUpdate on special values: NaN and
// Inf in the product or in W propagate into the velocity and W as the
// formulas say, and β = 0 overwrites a NaN velocity.
func TestGemmKernelSpecialUpdate(t *testing.T) { eachImpl(t, testGemmKernelSpecialUpdate) }

func testGemmKernelSpecialUpdate(t *testing.T, im *Impl) {
	MR, NR := im.Tile()
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	vals := []float32{0, 1, -1, 3e38, -3e38, inf, -inf, nan, 1e-40}
	n := len(vals)
	for m := 1; m <= MR; m++ {
		a, pb := onesByRow(im, m, vals)
		{
			impl := im
			for _, wv := range vals {
				c := make([]float32, m*n)
				w := make([]float32, m*n)
				for i := range c {
					c[i], w[i] = nan, wv
				}
				const decay = 0.5
				impl.gemmRaw(&GemmArgs{M: m, N: n, K: 1, A: a, B: pb, BStride: NR, C: c, LDC: n,
					Alpha: 1, Beta: 0, Epilogue: GemmUpdate, W: w, LDW: n, Decay: decay})
				for i := range m {
					for j, x := range vals {
						vel := x - decay*wv // exact product: one rounding as in the FMA
						same := func(got, want float32) bool { return got == want || got != got && want != want }
						if got := c[i*n+j]; !same(got, vel) {
							t.Errorf("%s m=%d x=%g W=%g: vel %g, want %g", impl.name, m, x, wv, got, vel)
						}
						if got, want := w[i*n+j], wv+c[i*n+j]; !same(got, want) {
							t.Errorf("%s m=%d x=%g W=%g: W %g, want %g", impl.name, m, x, wv, got, want)
						}
					}
				}
			}
		}
	}
}

// TestGemmPack checks the packing routines (assembly and Go) against the
// definition of the layouts, with NaN guards after the packed data.
func TestGemmPack(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	type packer struct {
		name string
		a    func(dst []float32, trans bool, a []float32, lda, m, k int)
		b    func(dst []float32, trans bool, b []float32, ldb, k, n, stride int)
		im   *Impl
	}
	var packers []packer
	for _, im := range Supported() {
		packers = append(packers, packer{"isa=" + im.name, im.GemmPackA, im.GemmPackB, im})
	}
	packers = append(packers, packer{"api", GemmPackA, GemmPackB, Current()})
	nan := float32(math.NaN())
	for _, pk := range packers {
		GemmMR, GemmNR := pk.im.Tile()
		for rows := 0; rows <= 35; rows++ {
			for _, cols := range []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 40, 63, 64, 65} {
				for _, trans := range []bool{false, true} {
					sr, sc := rows, cols
					if trans {
						sr, sc = cols, rows
					}
					ld := sc + r.IntN(3)
					src := make([]float32, max(sr*ld, 1))
					for i := range src {
						src[i] = float32(r.NormFloat64())
					}
					at := func(i, p int) float32 { // op(X)[i, p], rows×cols
						if trans {
							return src[p*ld+i]
						}
						return src[i*ld+p]
					}
					// A: rows×cols.
					dst := make([]float32, rows*cols+8)
					for i := range dst {
						dst[i] = nan
					}
					pk.a(dst, trans, src, max(ld, 1), rows, cols)
					for i0 := 0; i0 < rows; i0 += GemmMR {
						mr := min(GemmMR, rows-i0)
						for p := range cols {
							for i := range mr {
								if got, want := dst[i0*cols+p*mr+i], at(i0+i, p); got != want {
									t.Fatalf("%s PackA trans=%v %d×%d: panel %d (%d,%d) = %g, want %g", pk.name, trans, rows, cols, i0, i, p, got, want)
								}
							}
						}
					}
					for i := rows * cols; i < len(dst); i++ {
						if dst[i] == dst[i] {
							t.Fatalf("%s PackA trans=%v %d×%d: wrote past the end", pk.name, trans, rows, cols)
						}
					}
					// B: op(B) is rows(k)×cols(n).
					k, n := rows, cols
					stride := GemmNR*k + GemmNR*r.IntN(2)
					dst = make([]float32, pk.im.GemmPackedBLen(k, n, stride)+8)
					for i := range dst {
						dst[i] = nan
					}
					pk.b(dst, trans, src, max(ld, 1), k, n, stride)
					if k == 0 {
						continue
					}
					for j0 := 0; j0 < n; j0 += GemmNR {
						for p := range k {
							for j := range GemmNR {
								want := float32(0)
								if j0+j < n {
									want = at(p, j0+j)
								}
								if got := dst[j0/GemmNR*stride+p*GemmNR+j]; got != want {
									t.Fatalf("%s PackB trans=%v %d×%d: panel %d (%d,%d) = %g, want %g", pk.name, trans, k, n, j0, p, j, got, want)
								}
							}
						}
					}
					for i := pk.im.GemmPackedBLen(k, n, stride); i < len(dst); i++ {
						if dst[i] == dst[i] {
							t.Fatalf("%s PackB trans=%v %d×%d: wrote past the end", pk.name, trans, k, n)
						}
					}
				}
			}
		}
	}
}

// TestGemmKernelPanics checks the argument checks.
func TestGemmKernelPanics(t *testing.T) {
	_, nr := Current().Tile()
	bLen := 16/nr*3*nr + 3*nr // (N-1)/NR·BStride + NR·K
	wpLen := 16/nr*7*nr + 7*nr
	ok := func() GemmArgs {
		return GemmArgs{M: 7, N: 17, K: 3, A: make([]float32, 21), B: make([]float32, bLen), BStride: 3 * nr,
			C: make([]float32, 6*20+17), LDC: 20, Bias: make([]float32, 17), S: make([]float32, 7*17), LDS: 17,
			Epilogue: GemmBiasSigmoidSample}
	}
	g := ok()
	GemmKernel(&g)
	for i, f := range []func(*GemmArgs){
		func(g *GemmArgs) { g.M = -1 },
		func(g *GemmArgs) { g.LDC = 16 },
		func(g *GemmArgs) { g.C = g.C[:len(g.C)-1] },
		func(g *GemmArgs) { g.A = g.A[:20] },
		func(g *GemmArgs) { g.BStride = 3*nr - 1 },
		func(g *GemmArgs) { g.B = g.B[:bLen-1] },
		func(g *GemmArgs) { g.Bias = g.Bias[:16] },
		func(g *GemmArgs) { g.LDS = 16 },
		func(g *GemmArgs) { g.S = g.S[:7*17-1] },
		func(g *GemmArgs) { g.Epilogue = gemmEpilogues },
		func(g *GemmArgs) { g.LDA = -1 },
		func(g *GemmArgs) { g.LDA = 2 },
		func(g *GemmArgs) { g.LDA, g.A = 4, make([]float32, 6*4+2) },
		func(g *GemmArgs) { g.Epilogue, g.W, g.LDW = GemmUpdate, make([]float32, 6*20+17), 16 },
		func(g *GemmArgs) { g.Epilogue, g.W, g.LDW = GemmUpdate, make([]float32, 6*20+16), 20 },
		func(g *GemmArgs) {
			g.Epilogue, g.W, g.LDW, g.WP, g.WPStride = GemmUpdate, make([]float32, 6*20+17), 20, make([]float32, 1000), nr*7-1
		},
		func(g *GemmArgs) {
			g.Epilogue, g.W, g.LDW, g.WP, g.WPStride = GemmUpdate, make([]float32, 6*20+17), 20, make([]float32, wpLen-1), nr*7
		},
		func(g *GemmArgs) { g.Scale = make([]float32, 6) },
		func(g *GemmArgs) {
			g.Epilogue, g.W, g.LDW, g.Scale = GemmUpdate, make([]float32, 6*20+17), 20, make([]float32, 7)
		},
	} {
		g := ok()
		f(&g)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("case %d: no panic", i)
				}
			}()
			GemmKernel(&g)
		}()
	}
}

// TestGemmKernelAllocs checks that the kernel and the packs do not allocate.
func TestGemmKernelAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	g := newGemmCase(r, Current(), 13, 40, 20, GemmBiasSigmoidSample, 1, 0, 0)
	c, s := g.run(GemmKernel)
	args := g.args(c, s)
	dst := make([]float32, 13*20)
	if n := testing.AllocsPerRun(10, func() {
		GemmKernel(args)
		GemmPackA(dst, false, g.a, 20, 13, 20)
	}); n != 0 {
		t.Errorf("%v allocs per run", n)
	}
}

// FuzzGemmKernel compares each level with its Go twin on random blocks (on
// a machine without assembly, the twin with itself).
func FuzzGemmKernel(f *testing.F) {
	f.Add(uint8(6), uint8(16), uint8(8), uint64(1), float32(1), float32(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, m, n, k uint8, seed uint64, alpha, beta float32, ep, col0 uint8) {
		for _, im := range Supported() {
			fuzzGemmKernel(t, im, m, n, k, seed, alpha, beta, ep, col0)
		}
	})
}

func fuzzGemmKernel(t *testing.T, im *Impl, m, n, k uint8, seed uint64, alpha, beta float32, ep, col0 uint8) {
	{
		r := rand.New(rand.NewPCG(seed, 99))
		g := newGemmCase(r, im, int(m%40), int(n%70), int(k%70), GemmEpilogue(ep%gemmEpilogues), alpha, beta, 0)
		g.col0 = int(col0)
		c1, s1 := g.run(im.Twin().gemmRaw)
		w1 := append([]float32(nil), g.w...)
		c2, s2 := g.run(im.gemmRaw)
		for i := range w1 { // W moves by each implementation's own C
			want := g.w0[i]
			if ri := i - g.woff; g.ep == GemmUpdate && ri >= 0 && ri/g.ldw < g.m && ri%g.ldw < g.n {
				want += c2[g.off+ri/g.ldw*g.ldc+ri%g.ldw]
			}
			if math.Float32bits(g.w[i]) != math.Float32bits(want) {
				t.Fatalf("%s %s: W[%d]: %g, want %g (twin %g)", im.name, g, i, g.w[i], want, w1[i])
			}
		}
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
			if math.IsInf(ref, 0) || math.Abs(ref) > 1e37 { // overflow: either may saturate
				continue
			}
			if math.Abs(float64(x)-float64(y)) > 2*tol {
				t.Fatalf("%s %s: C[%d]: twin %g, level %g (ref %g ± %g)", im.name, g, i, x, y, ref, tol)
			}
		}
		if g.ep == GemmBiasSigmoidSample {
			// Samples follow each implementation's own probabilities.
			for i := range g.m {
				for j := range g.n {
					p := c2[g.off+i*g.ldc+j]
					want := float32(0)
					if rng.Uniform(g.stream.Uint32(g.row0+i, g.col0+j)) < p {
						want = 1
					}
					if s2[i*g.lds+j] != want {
						t.Fatalf("%s: S[%d,%d] = %g, want %g", g, i, j, s2[i*g.lds+j], want)
					}
				}
			}
			_ = s1
		}
	}
}

// TestGemmLevelsAgree checks every assembly level against the float64
// reference and that each computes bit for bit what the others do, whatever
// its tile: each output element is the same
// FMA chain over k in the same order and the same epilogue. The cases cover
// every row edge of a 12-row tile (m 1-40), every tail width of a 32-column
// one (n 1-80) and k 0-70, all epilogues, β = 0, 1 and 0.7, and the packed
// copy of W (compared element by element, as its layout follows the tile).
func TestGemmLevelsAgree(t *testing.T) {
	levels := asmImpls()
	if len(levels) < 2 {
		t.Skipf("one assembly level here (%v): nothing to compare", levels)
	}
	seed := uint64(0)
	for m := 1; m <= 40; m++ {
		for n := 1; n <= 80; n += 1 + m%3 {
			seed++
			k := int(seed*7) % 71
			ep := GemmEpilogue(seed % gemmEpilogues)
			beta := []float32{0, 1, 0.7}[seed%3]
			var ref *gemmCase
			var rc, rs []float32
			for _, im := range levels {
				g := newGemmCase(rand.New(rand.NewPCG(seed, 17)), im, m, n, k, ep, 1, beta, 0)
				c, s := g.run(im.gemmRaw)
				g.check(t, im.name, c, s) // and each against the float64 reference
				if ref == nil {
					ref, rc, rs = g, c, s
					continue
				}
				what := fmt.Sprintf("%s against %s: %s", im.name, ref.im.name, g)
				if !floats.SameBits(c, rc) || !floats.SameBits(s, rs) || !floats.SameBits(g.w, ref.w) {
					t.Fatalf("%s: C, S or W differ", what)
				}
				if g.wp != nil {
					for i := range m {
						for j := range n {
							if a, b := g.wp[g.wpIndex(i, j)], ref.wp[ref.wpIndex(i, j)]; math.Float32bits(a) != math.Float32bits(b) {
								t.Fatalf("%s: packed W(%d,%d) = %g, %g", what, i, j, a, b)
							}
						}
					}
				}
			}
		}
	}
}
