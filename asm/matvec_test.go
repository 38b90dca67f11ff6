package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// matImpl is one implementation of a sigmoid-matvec: W·x (t false) or
// Wᵀ·h (t true).
type matImpl struct {
	name string
	t    bool
	f    func(y, w []float32, ldw int, x, c []float32)
	asm  bool
	im   *Impl // the level (the exported function: Current)
}

// matImpls returns both directions on every supported level and through
// the exported functions.
func matImpls() []matImpl {
	var s []matImpl
	for _, im := range Supported() {
		s = append(s, matImpl{"isa=" + im.name + "/W·x", false, im.matVec, im.Accelerated(), im},
			matImpl{"isa=" + im.name + "/Wᵀ·h", true, im.matTVec, im.Accelerated(), im})
	}
	return append(s, matImpl{"api/W·x", false, SigmoidMatVec, false, Current()},
		matImpl{"api/Wᵀ·h", true, SigmoidMatTVec, false, Current()})
}

// matCase is a matrix of rows rows of cols elements at stride ld, NaN in the
// padding, with its vectors: for W·x, in has cols elements, out and bias
// rows; for Wᵀ·h, in has rows, out and bias cols.
type matCase struct {
	rows, cols, ld int
	w, in, bias    []float32
}

func newMatCase(r *rand.Rand, rows, cols, ld int, t, integer bool) matCase {
	m := matCase{rows: rows, cols: cols, ld: ld}
	val := func() float32 {
		if integer {
			return float32(r.IntN(9)-4) / 64 // products are exact multiples of 2^-12
		}
		return float32(r.Float64()*2 - 1)
	}
	m.w = make([]float32, max(0, (rows-1)*ld+cols))
	for i := range m.w {
		m.w[i] = float32(math.NaN())
	}
	for i := range rows {
		for j := range cols {
			m.w[i*ld+j] = val()
		}
	}
	nin, nout := cols, rows
	if t {
		nin, nout = rows, cols
	}
	m.in = make([]float32, nin)
	for i := range m.in {
		m.in[i] = val()
	}
	m.bias = make([]float32, nout)
	for i := range m.bias {
		m.bias[i] = val()
	}
	return m
}

// ref returns, for output k, the float64 pre-activation and Σ|w||x| + |c|.
func (m matCase) ref(t bool, k int) (s, abs float64) {
	s, abs = float64(m.bias[k]), math.Abs(float64(m.bias[k]))
	if !t {
		for j := range m.cols {
			p := float64(m.w[k*m.ld+j]) * float64(m.in[j])
			s += p
			abs += math.Abs(p)
		}
		return s, abs
	}
	for i := range m.rows {
		p := float64(m.w[i*m.ld+k]) * float64(m.in[i])
		s += p
		abs += math.Abs(p)
	}
	return s, abs
}

const guard = 0x7FA1B2C3 // a NaN payload no kernel produces

// runMat runs impl on m with y surrounded by guard elements and checks
// the guards and the inputs; it returns y.
func runMat(t *testing.T, impl matImpl, m matCase) []float32 {
	t.Helper()
	nout := m.rows
	if impl.t {
		nout = m.cols
	}
	const g = 8
	buf := make([]float32, nout+2*g)
	for i := range buf {
		buf[i] = math.Float32frombits(guard)
	}
	y := buf[g : g+nout]
	w0 := append([]float32(nil), m.w...)
	in0 := append([]float32(nil), m.in...)
	impl.f(y, m.w, m.ld, m.in, m.bias)
	for i := range g {
		if math.Float32bits(buf[i]) != guard || math.Float32bits(buf[g+nout+i]) != guard {
			t.Fatalf("%s %dx%d ld %d: wrote outside y", impl.name, m.rows, m.cols, m.ld)
		}
	}
	for i := range w0 {
		if math.Float32bits(w0[i]) != math.Float32bits(m.w[i]) {
			t.Fatalf("%s: modified w[%d]", impl.name, i)
		}
	}
	for i := range in0 {
		if in0[i] != m.in[i] {
			t.Fatalf("%s: modified its input vector", impl.name)
		}
	}
	return y
}

// verifyMat compares y with the float64 reference: the pre-activation may be
// off by k·Σ|w||x|·2^-23 (k the length of the sums plus a few roundings),
// which the sigmoid shrinks by its Lipschitz constant 1/4, plus the
// sigmoid's own 4 ulp.
func verifyMat(t *testing.T, impl matImpl, m matCase, y []float32) {
	t.Helper()
	n := m.cols
	if impl.t {
		n = m.rows
	}
	k := float64(n + 4)
	for o, got := range y {
		s, abs := m.ref(impl.t, o)
		want := 1 / (1 + math.Exp(-s))
		tol := 0.25*k*abs*0x1p-23 + 4*0x1p-24*want + 0x1p-149
		if !(math.Abs(float64(got)-want) <= tol) {
			t.Fatalf("%s %dx%d ld %d: y[%d] = %g, want %g ± %g", impl.name, m.rows, m.cols, m.ld, o, got, want, tol)
		}
	}
}

func TestSigmoidMatVecShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, impl := range matImpls() {
		t.Run(impl.name, func(t *testing.T) {
			for rows := 0; rows <= 33; rows++ {
				for cols := 0; cols <= 33; cols++ {
					for _, pad := range []int{0, 1, 7} {
						m := newMatCase(r, rows, cols, cols+pad, impl.t, false)
						verifyMat(t, impl, m, runMat(t, impl, m))
					}
				}
			}
			shapes := [][2]int{{500, 784}, {784, 500}, {37, 1031}, {1031, 37}, {129, 4099}, {9, 100003}}
			if testing.Short() {
				shapes = shapes[:4]
			}
			for _, sh := range shapes {
				for _, pad := range []int{0, 3} {
					m := newMatCase(r, sh[0], sh[1], sh[1]+pad, impl.t, false)
					verifyMat(t, impl, m, runMat(t, impl, m))
				}
			}
		})
	}
}

// TestSigmoidMatVecExact uses data whose sums are exact in float32, so each
// assembly level must give exactly BiasSigmoid of the exact sums, whatever its
// order of summation: it checks every row and column edge bit for bit.
func TestSigmoidMatVecExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, impl := range matImpls() {
		if !impl.asm {
			continue
		}
		for _, rows := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 24, 25, 63, 64, 65, 784} {
			for _, cols := range []int{0, 1, 5, 7, 8, 9, 16, 23, 31, 32, 33, 39, 40, 41, 63, 64, 65, 500, 4099} {
				m := newMatCase(r, rows, cols, cols+r.IntN(3), impl.t, true)
				y := runMat(t, impl, m)
				pre := make([]float32, len(y))
				for o := range pre {
					s, _ := m.ref(impl.t, o)
					pre[o] = float32(s - float64(m.bias[o])) // exact
				}
				want := make([]float32, len(y))
				impl.im.biasSigmoid(want, pre, m.bias)
				for o := range y {
					if math.Float32bits(y[o]) != math.Float32bits(want[o]) {
						t.Fatalf("%s %dx%d: y[%d] = %g, want %g", impl.name, rows, cols, o, y[o], want[o])
					}
				}
			}
		}
	}
}

// TestSigmoidMatVecChunks makes the blocks of the assembly calls small so
// that every block boundary is crossed.
func TestSigmoidMatVecChunks(t *testing.T) {
	defer func(a, b, c, d int) { matChunk, matChunkCols, matTChunkCols, sigmoidChunk = a, b, c, d }(matChunk, matChunkCols, matTChunkCols, sigmoidChunk)
	matChunk, matChunkCols, matTChunkCols, sigmoidChunk = 200, 24, 16, 40
	r := rand.New(rand.NewPCG(7, 8))
	for _, impl := range matImpls() {
		if !impl.asm {
			continue
		}
		for _, sh := range [][2]int{{1, 1}, {7, 9}, {9, 7}, {33, 65}, {65, 33}, {100, 257}, {257, 100}} {
			m := newMatCase(r, sh[0], sh[1], sh[1]+1, impl.t, true)
			y := runMat(t, impl, m)
			pre := make([]float32, len(y))
			for o := range pre {
				s, _ := m.ref(impl.t, o)
				pre[o] = float32(s - float64(m.bias[o]))
			}
			want := make([]float32, len(y))
			impl.im.biasSigmoid(want, pre, m.bias)
			for o := range y {
				if math.Float32bits(y[o]) != math.Float32bits(want[o]) {
					t.Fatalf("%s %dx%d: y[%d] = %g, want %g", impl.name, sh[0], sh[1], o, y[o], want[o])
				}
			}
		}
	}
}

func TestSigmoidMatVecPanics(t *testing.T) {
	w := make([]float32, 20)
	v4, v3, v5 := make([]float32, 4), make([]float32, 3), make([]float32, 5)
	cases := []struct {
		name string
		f    func()
		msg  string
	}{
		{"ldw", func() { SigmoidMatVec(v4, w, 4, v5, v4) }, "asm: SigmoidMatVec: ldw < len(x)"},
		{"c", func() { SigmoidMatVec(v4, w, 5, v5, v3) }, "asm: SigmoidMatVec: len(c) < len(y)"},
		{"w", func() { SigmoidMatVec(v5, w, 5, v5, v5) }, "asm: SigmoidMatVec: len(w) < (len(y)-1)*ldw+len(x)"},
		{"overflow", func() { SigmoidMatVec(v4, w, math.MaxInt/2, v3, v4) }, "asm: SigmoidMatVec: len(w) < (len(y)-1)*ldw+len(x)"},
		{"tldw", func() { SigmoidMatTVec(v5, w, 4, v4, v5) }, "asm: SigmoidMatTVec: ldw < len(y)"},
		{"tb", func() { SigmoidMatTVec(v5, w, 5, v4, v4) }, "asm: SigmoidMatTVec: len(b) < len(y)"},
		{"tw", func() { SigmoidMatTVec(v5, w, 5, v5, v5) }, "asm: SigmoidMatTVec: len(w) < (len(h)-1)*ldw+len(y)"},
		{"generic", func() { SigmoidMatVecGeneric(v5, w, 5, v5, v5) }, "asm: SigmoidMatVec: len(w) < (len(y)-1)*ldw+len(x)"},
	}
	for _, c := range cases {
		func() {
			defer func() {
				if got := fmt.Sprint(recover()); got != c.msg {
					t.Errorf("%s: panic %q, want %q", c.name, got, c.msg)
				}
			}()
			c.f()
		}()
	}
	// Exactly long enough: no panic.
	SigmoidMatVec(v4, w[:20], 5, v5, v4)
	SigmoidMatTVec(v5, w[:20], 5, v4, v5)
	SigmoidMatVec(v4, nil, 0, nil, v4) // no columns: y = σ(c)
	SigmoidMatTVec(v5, nil, 5, nil, v5)
}

func TestSigmoidMatVecAllocs(t *testing.T) {
	m := newMatCase(rand.New(rand.NewPCG(1, 1)), 50, 70, 72, false, false)
	y := make([]float32, 50)
	if n := testing.AllocsPerRun(10, func() { SigmoidMatVec(y, m.w, m.ld, m.in, m.bias) }); n != 0 {
		t.Errorf("SigmoidMatVec allocates %v times", n)
	}
}

// FuzzSigmoidMatVec compares the assembly sigmoid-matvecs with the float64
// reference and with their Go twins. data[0..3] give the rows (< 34), the
// columns (< 34), the padding of the stride (< 4) and the direction; the
// rest, two bytes an element, the values of W, the input and the bias (as
// int16/4096, in [-8, 8)), zero once data runs out.
func FuzzSigmoidMatVec(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{9, 17, 1, 0, 0x00, 0x10, 0x00, 0xf0, 0xff, 0x7f, 0x00, 0x80, 0x34, 0x12})
	f.Add([]byte{33, 33, 3, 1, 0x01, 0x00, 0x00, 0x08, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		hdr := make([]byte, 4)
		n := copy(hdr, data)
		data = data[n:]
		rows, cols, pad, tr := int(hdr[0]%34), int(hdr[1]%34), int(hdr[2]%4), hdr[3]&1 == 1
		next := func() float32 {
			if len(data) < 2 {
				return 0
			}
			v := int16(uint16(data[0]) | uint16(data[1])<<8)
			data = data[2:]
			return float32(v) / 4096
		}
		m := newMatCase(rand.New(rand.NewPCG(0, 0)), rows, cols, cols+pad, tr, false)
		for i := range rows {
			for j := range cols {
				m.w[i*m.ld+j] = next()
			}
		}
		for i := range m.in {
			m.in[i] = next()
		}
		for i := range m.bias {
			m.bias[i] = next()
		}
		for _, impl := range matImpls() {
			if impl.t == tr && impl.name[:3] != "api" {
				verifyMat(t, impl, m, runMat(t, impl, m))
			}
		}
	})
}
