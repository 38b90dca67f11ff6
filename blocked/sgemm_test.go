package blocked

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/rng"
)

func TestMain(m *testing.M) {
	fmt.Println("blocked: kernels:", asm.Features())
	fmt.Printf("blocked: caches L1 %d L2 %d L3 %d, kcMax %d\n", cacheL1, cacheL2, cacheL3, kcMax)
	m.Run()
}

// goRunner runs the parts on goroutines, splitting [0, n) evenly in
// multiples of grain (parts of different sizes when uneven is set).
type goRunner struct {
	w      int
	uneven bool
	seq    bool // run the parts one after another on the calling goroutine
}

func (g goRunner) Workers() int { return g.w }

func (g goRunner) Run(n, grain int, fn func(part, lo, hi int)) {
	units := (n + grain - 1) / grain
	parts := min(g.w, units)
	if parts <= 1 {
		fn(0, 0, n)
		return
	}
	if g.seq {
		for p := range parts {
			fn(p, g.bound(p, parts, units, n, grain), g.bound(p+1, parts, units, n, grain))
		}
		return
	}
	var wg sync.WaitGroup
	for p := 1; p < parts; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(p, g.bound(p, parts, units, n, grain), g.bound(p+1, parts, units, n, grain))
		}()
	}
	fn(0, g.bound(0, parts, units, n, grain), g.bound(1, parts, units, n, grain))
	wg.Wait()
}

// bound returns the start of part p of parts over units units of grain.
func (g goRunner) bound(p, parts, units, n, grain int) int {
	u := units * p / parts
	if g.uneven && p > 0 && p < parts {
		u = max((units*p/parts+units*(p-1)/parts+1)/2, p)
	}
	return min(n, u*grain)
}

// mat is a row-major test matrix with padding columns filled with NaN.
type mat struct {
	r, c, ld int
	v        []float32
}

func newMat(rnd *rand.Rand, r, c, pad int, integer bool) mat {
	m := mat{r: r, c: c, ld: max(1, c+pad)}
	m.v = make([]float32, max(0, (r-1)*m.ld+c)+pad)
	for i := range m.v {
		m.v[i] = float32(math.NaN())
	}
	for i := range r {
		for j := range c {
			if integer {
				m.v[i*m.ld+j] = float32(rnd.IntN(7) - 3)
			} else {
				m.v[i*m.ld+j] = float32(rnd.NormFloat64())
			}
		}
	}
	return m
}

// opAt returns element (i, j) of op(X) for a matrix stored as x.
func (x mat) opAt(trans bool, i, j int) float32 {
	if trans {
		return x.v[j*x.ld+i]
	}
	return x.v[i*x.ld+j]
}

// gemmProblem is one product with its inputs and a copy of C.
type gemmProblem struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float32
	a, b, c     mat
	c0          []float32
	ep          asm.GemmEpilogue
	bias        []float32
	s           mat
	stream      rng.Stream
	row0, col0  int
	scale       []float32 // the per-row scale (the RowScale entry points), or nil
}

func newProblem(rnd *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float32, integer bool) *gemmProblem {
	p := &gemmProblem{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	pad := func() int { return rnd.IntN(3) }
	if tA {
		p.a = newMat(rnd, k, m, pad(), integer)
	} else {
		p.a = newMat(rnd, m, k, pad(), integer)
	}
	if tB {
		p.b = newMat(rnd, n, k, pad(), integer)
	} else {
		p.b = newMat(rnd, k, n, pad(), integer)
	}
	p.c = newMat(rnd, m, n, pad(), integer)
	if beta == 0 && rnd.IntN(2) == 0 {
		for i := range m { // β = 0 must overwrite NaN
			for j := range n {
				p.c.v[i*p.c.ld+j] = float32(math.NaN())
			}
		}
	}
	p.c0 = append([]float32(nil), p.c.v...)
	p.bias = make([]float32, n)
	for j := range p.bias {
		p.bias[j] = float32(rnd.NormFloat64())
	}
	p.s = newMat(rnd, m, n, pad(), false)
	p.stream = rng.NewStream(rnd.Uint64(), rnd.Uint64N(100), 1)
	p.row0, p.col0 = rnd.IntN(100), rnd.IntN(100)
	return p
}

func (p *gemmProblem) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d α=%g β=%g ep=%d", p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.beta, p.ep)
}

// run runs the product on fresh copies of C and S and returns them.
func (p *gemmProblem) run(r Runner) (c, s []float32) {
	c = append([]float32(nil), p.c0...)
	s = append([]float32(nil), p.s.v...)
	if p.scale != nil {
		p.runScaled(r, c, s)
		return c, s
	}
	switch p.ep {
	case asm.GemmAlphaBeta:
		Sgemm(r, p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a.v, p.a.ld, p.b.v, p.b.ld, p.beta, c, p.c.ld)
	case asm.GemmBiasSigmoid:
		SgemmBiasSigmoid(r, p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a.v, p.a.ld, p.b.v, p.b.ld, p.bias, c, p.c.ld)
	case asm.GemmBiasSigmoidSample:
		SgemmBiasSigmoidSample(r, p.tA, p.tB, p.m, p.n, p.k, p.alpha, p.a.v, p.a.ld, p.b.v, p.b.ld, p.bias, c, p.c.ld,
			s, p.s.ld, p.stream, p.row0, p.col0)
	}
	return c, s
}

// ref returns the float64 reference for C[i,j] and the error bound
// c·k·2⁻²³·Σ|a||b| (plus the terms of α, β and the epilogue).
func (p *gemmProblem) ref(i, j int) (float64, float64) {
	var sum, abs float64
	if p.alpha != 0 {
		for q := range p.k {
			x := float64(p.a.opAt(p.tA, i, q)) * float64(p.b.opAt(p.tB, q, j))
			sum += x
			abs += math.Abs(x)
		}
	}
	x := float64(p.alpha) * sum
	e := math.Abs(float64(p.alpha)) * abs
	if p.ep == asm.GemmAlphaBeta && p.beta != 0 {
		c := float64(p.c0[i*p.c.ld+j])
		x += float64(p.beta) * c
		e += math.Abs(float64(p.beta) * c)
	}
	tol := 2 * float64(p.k+2) * 0x1p-23 * e
	sc := 1.0
	if p.scale != nil {
		sc = float64(p.scale[i])
	}
	if p.ep == asm.GemmAlphaBeta {
		if p.scale != nil {
			return x * sc, math.Abs(sc)*tol + 0x1p-23*math.Abs(x*sc)
		}
		return x, tol
	}
	x += float64(p.bias[j])
	tol += 0x1p-23 * math.Abs(x)
	if p.scale != nil {
		x *= sc
		tol = math.Abs(sc)*tol + 0x1p-23*math.Abs(x)
	}
	s := 1 / (1 + math.Exp(-x))
	return s, s*(1-s)*tol + 8*ulp32(s)
}

func ulp32(x float64) float64 {
	f := float32(math.Abs(x))
	return math.Max(float64(math.Nextafter32(f, float32(math.Inf(1)))-f), 0x1p-149)
}

// check compares C and S with the reference (exactly when exact), checks
// that the padding of C and S is untouched and that A and B are unchanged.
func (p *gemmProblem) check(t *testing.T, c, s []float32, exact bool) {
	t.Helper()
	for idx := range c {
		i, j := idx/p.c.ld, idx%p.c.ld
		if i >= p.m || j >= p.n {
			if math.Float32bits(c[idx]) != math.Float32bits(p.c0[idx]) {
				t.Fatalf("%s: padding C[%d] changed to %g", p, idx, c[idx])
			}
			continue
		}
		ref, tol := p.ref(i, j)
		if exact {
			tol = 0
		}
		if d := math.Abs(float64(c[idx]) - ref); !(d <= tol) {
			t.Fatalf("%s: C[%d,%d] = %g, want %g ± %g", p, i, j, c[idx], ref, tol)
		}
	}
	for idx := range s {
		i, j := idx/p.s.ld, idx%p.s.ld
		if p.ep != asm.GemmBiasSigmoidSample || i >= p.m || j >= p.n {
			if math.Float32bits(s[idx]) != math.Float32bits(p.s.v[idx]) {
				t.Fatalf("%s: S[%d] changed to %g", p, idx, s[idx])
			}
			continue
		}
		want := float32(0)
		if rng.Uniform(p.stream.Uint32(p.row0+i, p.col0+j)) < c[i*p.c.ld+j] {
			want = 1
		}
		if s[idx] != want {
			t.Fatalf("%s: S[%d,%d] = %g, want %g", p, i, j, s[idx], want)
		}
	}
	p.checkInputs(t)
}

func (p *gemmProblem) checkInputs(t *testing.T) {
	t.Helper()
	a, b := p.a, p.b
	for i, v := range a.v {
		if r, c := i/a.ld, i%a.ld; (r < a.r && c < a.c) != (v == v) {
			t.Fatalf("%s: A changed at %d", p, i)
		}
	}
	for i, v := range b.v {
		if r, c := i/b.ld, i%b.ld; (r < b.r && c < b.c) != (v == v) {
			t.Fatalf("%s: B changed at %d", p, i)
		}
	}
}

// withBlocks runs f with small blocking parameters (kc, nc, mc) so that
// the K split, the column blocks and the row blocks are exercised by small
// matrices; zero keeps a parameter.
func withBlocks(kc, nc, mc int, f func()) {
	k0, n0, m0 := kcMax, ncBlock, mcBlock
	defer func() { kcMax, ncBlock, mcBlock = k0, n0, m0 }()
	if kc > 0 {
		kcMax = kc
	}
	if nc > 0 {
		ncBlock = func(int) int { return nc }
	}
	if mc > 0 {
		mcBlock = func(int) int { return mc }
	}
	f()
}

var bools = []bool{false, true}

// TestSgemmGrid is gonum's grid: m, n ∈ {0, 1, 2, 5, 10, …} around the
// register tile (MR±1, NR±1) and the blocks (KC±1, nc±1, mc±1 with small
// blocks), k ∈ {0, 1, 2, 7, 11, …}, all transposes, α, β ∈ {0, 1, 0.7},
// padded leading dimensions filled with NaN, against a float64 reference.
func TestSgemmGrid(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	scalars := []float32{0, 1, 0.7}
	sizes := []int{0, 1, 2, 5, 6, 7, 10, 15, 16, 17, 23}
	ks := []int{0, 1, 2, 7, 11, 16, 33}
	withBlocks(16, 32, 12, func() { // KC = 16, nc = 32, mc = 12
		n := 0
		for _, tA := range bools {
			for _, tB := range bools {
				for _, m := range append(sizes, 11, 12, 13) {
					for _, nn := range append(sizes, 31, 32, 33) {
						for _, k := range append(ks, 15, 17, 32) {
							alpha, beta := scalars[n%3], scalars[n/3%3]
							n++
							if (m+nn+k)%3 != 0 && m > 2 && nn > 2 {
								continue // a third of the larger shapes
							}
							p := newProblem(rnd, tA, tB, m, nn, k, alpha, beta, false)
							c, s := p.run(nil)
							p.check(t, c, s, false)
						}
					}
				}
			}
		}
	})
	// Default blocks, sizes around 6·k and 16·k and a k beyond kcMax.
	for _, sh := range [][3]int{{11, 13, 12}, {12, 16, 40}, {13, 48, 100}, {100, 50, 78}, {37, 35, kcMax + 1}} {
		for _, tA := range bools {
			for _, tB := range bools {
				p := newProblem(rnd, tA, tB, sh[0], sh[1], sh[2], 0.7, 0.7, false)
				c, s := p.run(nil)
				p.check(t, c, s, false)
			}
		}
	}
}

// TestSgemmInteger uses small integers, whose products and sums are exact
// in float32, so that every tiling must give the exact result.
func TestSgemmInteger(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, blocks := range [][3]int{{0, 0, 0}, {8, 16, 6}, {9, 48, 18}, {17, 32, 12}} {
		withBlocks(blocks[0], blocks[1], blocks[2], func() {
			for iter := range 40 {
				m, n, k := 1+rnd.IntN(40), 1+rnd.IntN(70), rnd.IntN(60)
				tA, tB := iter%2 == 1, iter/2%2 == 1
				beta := float32(iter / 4 % 2)
				p := newProblem(rnd, tA, tB, m, n, k, 1, beta, true)
				for _, r := range []Runner{nil, goRunner{w: 3}} {
					c, s := p.run(r)
					p.check(t, c, s, true)
				}
			}
		})
	}
}

// TestSgemmFused checks the bias-sigmoid and sampling epilogues, including
// the K split (the epilogue applies once, on the last block).
func TestSgemmFused(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, blocks := range [][3]int{{0, 0, 0}, {8, 32, 12}} {
		withBlocks(blocks[0], blocks[1], blocks[2], func() {
			for iter := range 60 {
				m, n, k := rnd.IntN(30), rnd.IntN(60), rnd.IntN(40)
				p := newProblem(rnd, iter%2 == 1, iter/2%2 == 1, m, n, k, []float32{1, 0.5, 0}[iter%3], 0, false)
				p.ep = asm.GemmEpilogue(1 + iter%2)
				if iter%5 == 0 {
					p.col0 = rnd.IntN(4) // aligned and unaligned sampling
				}
				c, s := p.run(nil)
				p.check(t, c, s, false)
			}
		})
	}
}

// TestSgemmWorkers checks that the results are bitwise the same for 1, 2,
// 3 and 7 workers, with even and uneven parts.
func TestSgemmWorkers(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	shapes := [][3]int{{100, 50, 78}, {7, 300, 20}, {300, 7, 20}, {61, 97, 33}, {13, 13, 1100}}
	for _, blocks := range [][3]int{{0, 0, 0}, {16, 32, 12}} {
		withBlocks(blocks[0], blocks[1], blocks[2], func() {
			for si, sh := range shapes {
				for ep := range asm.GemmEpilogue(3) {
					p := newProblem(rnd, si%2 == 0, si%3 == 0, sh[0], sh[1], sh[2], 0.7, 0.7, false)
					p.ep = ep
					c1, s1 := p.run(nil)
					for _, r := range []Runner{goRunner{w: 2}, goRunner{w: 3}, goRunner{w: 7}, goRunner{w: 3, uneven: true}, goRunner{w: 1}} {
						c2, s2 := p.run(r)
						for i := range c1 {
							if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
								t.Fatalf("%s %+v: C[%d] = %g, serial %g", p, r, i, c2[i], c1[i])
							}
						}
						for i := range s1 {
							if math.Float32bits(s1[i]) != math.Float32bits(s2[i]) {
								t.Fatalf("%s %+v: S[%d] = %g, serial %g", p, r, i, s2[i], s1[i])
							}
						}
					}
				}
			}
		})
	}
}

// TestSgemmPacked checks that a PackedB gives bitwise the results of the
// same product with B, and the PackedB methods.
func TestSgemmPacked(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	for _, blocks := range [][3]int{{0, 0, 0}, {16, 32, 12}} {
		withBlocks(blocks[0], blocks[1], blocks[2], func() {
			for iter := range 30 {
				m, n, k := rnd.IntN(40), rnd.IntN(70), rnd.IntN(50)
				p := newProblem(rnd, iter%2 == 1, iter/2%2 == 1, m, n, k, 0.7, float32(iter%3)/2, false)
				pb := NewPackedB(k, n)
				var r Runner
				if iter%3 == 0 {
					r = goRunner{w: 3}
				}
				pb.Repack(r, p.tB, p.b.v, p.b.ld)
				for i := range k {
					for j := range n {
						if pb.At(i, j) != p.b.opAt(p.tB, i, j) {
							t.Fatalf("%s: At(%d, %d) = %g, want %g", p, i, j, pb.At(i, j), p.b.opAt(p.tB, i, j))
						}
					}
				}
				for ep := range asm.GemmEpilogue(3) {
					p.ep = ep
					c1, s1 := p.run(r)
					c2 := append([]float32(nil), p.c0...)
					s2 := append([]float32(nil), p.s.v...)
					switch ep {
					case asm.GemmAlphaBeta:
						SgemmPacked(r, p.tA, m, p.alpha, p.a.v, p.a.ld, pb, p.beta, c2, p.c.ld)
					case asm.GemmBiasSigmoid:
						SgemmPackedBiasSigmoid(r, p.tA, m, p.alpha, p.a.v, p.a.ld, pb, p.bias, c2, p.c.ld)
					case asm.GemmBiasSigmoidSample:
						SgemmPackedBiasSigmoidSample(r, p.tA, m, p.alpha, p.a.v, p.a.ld, pb, p.bias, c2, p.c.ld,
							s2, p.s.ld, p.stream, p.row0, p.col0)
					}
					for i := range c1 {
						if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
							t.Fatalf("%s: packed C[%d] = %g, want %g", p, i, c2[i], c1[i])
						}
					}
					for i := range s1 {
						if s1[i] != s2[i] && s1[i] == s1[i] {
							t.Fatalf("%s: packed S[%d] = %g, want %g", p, i, s2[i], s1[i])
						}
					}
				}
				// Modify B, repack a column range, check the unpacked operand.
				if n > 0 && k > 0 {
					j0 := rnd.IntN(n)
					j1 := j0 + rnd.IntN(n-j0+1)
					for i := range k {
						for j := j0; j < j1; j++ {
							if p.tB {
								p.b.v[j*p.b.ld+i] += 1
							} else {
								p.b.v[i*p.b.ld+j] += 1
							}
						}
					}
					pb.RepackCols(nil, p.tB, p.b.v, p.b.ld, j0, j1)
					u := make([]float32, k*n)
					pb.Unpack(false, u, n)
					for i := range k {
						for j := range n {
							if u[i*n+j] != p.b.opAt(p.tB, i, j) {
								t.Fatalf("%s: after RepackCols(%d, %d): (%d, %d) = %g, want %g", p, j0, j1, i, j, u[i*n+j], p.b.opAt(p.tB, i, j))
							}
						}
					}
					pb.Set(k-1, n-1, 42)
					if pb.At(k-1, n-1) != 42 {
						t.Fatal("Set/At")
					}
				}
			}
		})
	}
}

// TestSgemmAlphaZero checks that α = 0 never reads A or B (Inf and NaN in
// them do not leak) and that β = 0 overwrites NaN in C.
func TestSgemmAlphaZero(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	for _, beta := range []float32{0, 1, 0.7} {
		p := newProblem(rnd, false, true, 9, 20, 7, 0, beta, false)
		for i := range p.a.v {
			p.a.v[i] = float32(math.Inf(1))
		}
		for i := range p.b.v {
			p.b.v[i] = float32(math.NaN())
		}
		c, _ := p.run(nil)
		for i := range p.m {
			for j := range p.n {
				want := beta * p.c0[i*p.c.ld+j]
				if beta == 0 {
					want = 0
				}
				if got := c[i*p.c.ld+j]; got != want && !(beta == 1 && got != got && want != want) {
					t.Fatalf("β=%g: C[%d,%d] = %g, want %g", beta, i, j, got, want)
				}
			}
		}
	}
}

// TestSgemmPanics checks the argument checks.
func TestSgemmPanics(t *testing.T) {
	a, b, c := make([]float32, 100), make([]float32, 100), make([]float32, 100)
	cases := []struct {
		msg  string
		call func()
	}{
		{"blocked: m < 0", func() { Sgemm(nil, false, false, -1, 2, 2, 1, a, 2, b, 2, 0, c, 2) }},
		{"blocked: n < 0", func() { Sgemm(nil, false, false, 2, -1, 2, 1, a, 2, b, 2, 0, c, 2) }},
		{"blocked: k < 0", func() { Sgemm(nil, false, false, 2, 2, -1, 1, a, 2, b, 2, 0, c, 2) }},
		{"blocked: bad leading dimension of A", func() { Sgemm(nil, false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2) }},
		{"blocked: bad leading dimension of A", func() { Sgemm(nil, true, false, 3, 2, 2, 1, a, 2, b, 2, 0, c, 2) }},
		{"blocked: bad leading dimension of B", func() { Sgemm(nil, false, false, 2, 3, 2, 1, a, 2, b, 2, 0, c, 3) }},
		{"blocked: bad leading dimension of B", func() { Sgemm(nil, false, true, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2) }},
		{"blocked: bad leading dimension of C", func() { Sgemm(nil, false, false, 2, 3, 2, 1, a, 2, b, 3, 0, c, 2) }},
		{"blocked: insufficient length of a", func() { Sgemm(nil, false, false, 51, 2, 2, 1, a, 2, b, 2, 0, c, 2) }},
		{"blocked: insufficient length of b", func() { Sgemm(nil, false, false, 1, 2, 51, 1, a, 51, b, 2, 0, c, 2) }},
		{"blocked: insufficient length of c", func() { Sgemm(nil, false, false, 51, 2, 1, 1, a, 1, b, 2, 0, c, 2) }},
		{"blocked: insufficient length of bias", func() { SgemmBiasSigmoid(nil, false, false, 2, 2, 2, 1, a, 2, b, 2, a[:1], c, 2) }},
		{"blocked: bad leading dimension of S", func() {
			SgemmBiasSigmoidSample(nil, false, false, 2, 2, 2, 1, a, 2, b, 2, a, c, 2, c, 1, rng.Stream{}, 0, 0)
		}},
		{"blocked: insufficient length of s", func() {
			SgemmBiasSigmoidSample(nil, false, false, 2, 2, 2, 1, a, 2, b, 2, a, c, 2, c[:3], 2, rng.Stream{}, 0, 0)
		}},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				if r := recover(); r != tc.msg {
					t.Errorf("got panic %v, want %q", r, tc.msg)
				}
			}()
			tc.call()
		}()
	}
}

// TestSgemmAllocs checks that the steady state does not allocate, serially
// and with several parts.
func TestSgemmAllocs(t *testing.T) {
	if raceOn {
		t.Skip("sync.Pool drops items under the race detector")
	}
	rnd := rand.New(rand.NewPCG(13, 14))
	p := newProblem(rnd, false, true, 50, 70, 40, 1, 0, false)
	p.ep = asm.GemmBiasSigmoidSample
	c := append([]float32(nil), p.c0...)
	s := append([]float32(nil), p.s.v...)
	pb := NewPackedB(40, 70)
	pb.Repack(nil, true, p.b.v, p.b.ld)
	b2 := make([]float32, 50*70)
	for _, r := range []Runner{nil, goRunner{w: 3, seq: true}} {
		f := func() {
			Sgemm(r, false, true, 50, 70, 40, 1, p.a.v, p.a.ld, p.b.v, p.b.ld, 0, c, p.c.ld)
			SgemmBiasSigmoidSample(r, true, false, 40, 70, 50, 1, p.a.v, p.a.ld, b2, 70, p.bias, c, p.c.ld, s, p.s.ld, p.stream, 0, 0)
			SgemmPacked(r, false, 50, 1, p.a.v, p.a.ld, pb, 0.5, c, p.c.ld)
			pb.Repack(r, true, p.b.v, p.b.ld)
		}
		f()
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("runner %v: %v allocs per run", r, n)
		}
	}
}
