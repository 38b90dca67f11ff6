package asm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

type sigImpl struct {
	name string
	f    func(dst, src []float32)
	asm  bool
}

type biasSigImpl struct {
	name string
	f    func(dst, src, bias []float32)
	asm  bool
}

// sigmoidImpls returns the sigmoid of every supported level, the
// line-by-line transcription of Sigmoid1 of the assembly levels, and the
// exported function (whichever level this machine runs).
func sigmoidImpls() []sigImpl {
	var s []sigImpl
	for _, im := range Supported() {
		s = append(s, sigImpl{im.name, im.sigmoid, im.Accelerated()})
		if im.Accelerated() {
			s = append(s, sigImpl{im.name + "-direct", im.direct, true})
		}
	}
	return append(s, sigImpl{"api", Sigmoid, Accelerated()})
}

func biasSigmoidImpls() []biasSigImpl {
	var s []biasSigImpl
	for _, im := range Supported() {
		s = append(s, biasSigImpl{im.name, im.biasSigmoid, im.Accelerated()})
	}
	return append(s, biasSigImpl{"api", BiasSigmoid, Accelerated()})
}

// sigmoidSpecials are the inputs where a sigmoid goes wrong first.
var sigmoidSpecials = []float32{
	0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), -float32(math.NaN()),
	88, -88, 87.3, -87.3, 104, -104, 103.99, -103.99, 104.01, -104.01, 150, -150, 1000, -1000,
	16.6, -16.6, 17, -17, 1, -1, 0.5, -0.5, 1e-7, -1e-7,
	math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-40, -1e-40,
	0x1p-126, -0x1p-126, math.MaxFloat32, -math.MaxFloat32,
}

// sigmoidInput returns n test inputs: mostly uniform in [-110, 110] with
// some specials, a few random bit patterns.
func sigmoidInput(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch r.IntN(16) {
		case 0:
			x[i] = sigmoidSpecials[r.IntN(len(sigmoidSpecials))]
		case 1:
			x[i] = math.Float32frombits(r.Uint32())
		default:
			x[i] = float32(r.Float64()*220 - 110)
		}
	}
	return x
}

// sigmoidOK reports whether got is an acceptable σ(x): within 4 ulp of the
// float64 reference and within maxTwin ulp of Sigmoid1 (exactly Sigmoid1
// where that is 0, 1/2, 1 or NaN).
func sigmoidOK(x, got float32, maxTwin int64) bool {
	twin := Sigmoid1(x)
	if twin != twin || got != got {
		return twin != twin && got != got
	}
	if twin == 0 || twin == 0.5 || twin == 1 {
		return got == twin
	}
	return ulps(got, twin) <= maxTwin && ulps(got, sigmoidRef(x)) <= 4
}

// maxTwin is how far an implementation may be from Sigmoid1: 0 for the Go
// twin itself, 2 ulp for the assembly (FMA rounding).
func maxTwin(asm bool) int64 {
	if asm {
		return 2
	}
	return 0
}

const guardBits = 0x7FA5A5A5 // a NaN payload no kernel produces

// guarded returns a slice of n elements at offset off inside a buffer whose
// other elements hold guardBits, and a function that checks them.
func guarded(n, off int) ([]float32, func() bool) {
	const g = 8
	buf := make([]float32, g+off+n+g)
	for i := range buf {
		buf[i] = math.Float32frombits(guardBits)
	}
	return buf[g+off : g+off+n], func() bool {
		for i, v := range buf {
			if (i < g+off || i >= g+off+n) && math.Float32bits(v) != guardBits {
				return false
			}
		}
		return true
	}
}

func TestSigmoidLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	lengths := []int{1031, 4099, 1<<16 + 13} // the last crosses sigmoidChunk
	for n := 0; n <= 1024; n++ {
		lengths = append(lengths, n)
	}
	offs := 8
	if testing.Short() {
		offs = 2
	}
	for _, impl := range sigmoidImpls() {
		t.Run("impl="+impl.name, func(t *testing.T) {
			for _, n := range lengths {
				for off := range offs {
					in := sigmoidInput(r, n+off)[off:]
					src := append([]float32(nil), in...)
					dst, ok := guarded(n, (off*5)%8)
					impl.f(dst, src)
					if !ok() {
						t.Fatalf("n=%d off=%d: wrote outside dst", n, off)
					}
					for i, x := range src {
						if math.Float32bits(x) != math.Float32bits(in[i]) {
							t.Fatalf("n=%d: modified src[%d]", n, i)
						}
						if !sigmoidOK(x, dst[i], maxTwin(impl.asm)) {
							t.Fatalf("n=%d off=%d: σ(%g) = %g, Sigmoid1 %g, exact %g", n, off, x, dst[i], Sigmoid1(x), sigmoidRef(x))
						}
					}
				}
				if n%97 == 0 || n > 1024 { // in place
					x := sigmoidInput(r, n)
					want := make([]float32, n)
					impl.f(want, x)
					impl.f(x, x)
					for i := range x {
						if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
							t.Fatalf("n=%d in place: %g, want %g", n, x[i], want[i])
						}
					}
				}
			}
		})
	}
}

func TestBiasSigmoidLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	lengths := []int{1031, 4099, 1<<16 + 13}
	for n := 0; n <= 1024; n++ {
		lengths = append(lengths, n)
	}
	offs := 8
	if testing.Short() {
		offs = 2
	}
	for _, impl := range biasSigmoidImpls() {
		t.Run("impl="+impl.name, func(t *testing.T) {
			for _, n := range lengths {
				for off := range offs {
					src := sigmoidInput(r, n+off)[off:]
					bias := sigmoidInput(r, n+7-off)[7-off:]
					dst, ok := guarded(n, (off*3)%8)
					impl.f(dst, src, bias)
					if !ok() {
						t.Fatalf("n=%d off=%d: wrote outside dst", n, off)
					}
					for i, x := range src {
						if !sigmoidOK(x+bias[i], dst[i], maxTwin(impl.asm)) {
							t.Fatalf("n=%d off=%d: σ(%g+%g) = %g, Sigmoid1 %g", n, off, x, bias[i], dst[i], Sigmoid1(x+bias[i]))
						}
					}
				}
			}
		})
	}
}

// TestSigmoidSpecial puts every special value at every position of a
// 41-element vector (the main loop, the one-vector loop and the masked
// tail).
func TestSigmoidSpecial(t *testing.T) {
	for _, impl := range sigmoidImpls() {
		for _, x := range sigmoidSpecials {
			for pos := range 41 {
				src := make([]float32, 41)
				for i := range src {
					src[i] = float32(i) - 20
				}
				src[pos] = x
				dst := make([]float32, 41)
				impl.f(dst, src)
				for i := range src {
					if !sigmoidOK(src[i], dst[i], maxTwin(impl.asm)) {
						t.Fatalf("%s: σ(%g) at %d = %g, Sigmoid1 %g", impl.name, src[i], i, dst[i], Sigmoid1(src[i]))
					}
				}
			}
		}
	}
	for _, impl := range biasSigmoidImpls() {
		for _, x := range sigmoidSpecials {
			for _, b := range sigmoidSpecials {
				src, bias, dst := []float32{x, 1, 2, 3, 4, 5, 6, 7, x}, []float32{b, 0, 0, 0, 0, 0, 0, 0, b}, make([]float32, 9)
				impl.f(dst, src, bias)
				for _, i := range []int{0, 8} {
					if !sigmoidOK(x+b, dst[i], maxTwin(impl.asm)) {
						t.Fatalf("%s: σ(%g+%g) = %g, Sigmoid1 %g", impl.name, x, b, dst[i], Sigmoid1(x+b))
					}
				}
			}
		}
	}
}

// TestSigmoidAsmAccuracy checks each assembly level on 10M+1 points evenly
// spread over [-90, 90]: within 4 ulp of the exact value, 2 of Sigmoid1.
func TestSigmoidAsmAccuracy(t *testing.T) {
	for _, im := range asmImpls() {
		t.Run("isa="+im.name, func(t *testing.T) { testSigmoidAccuracy(t, im) })
	}
}

func testSigmoidAccuracy(t *testing.T, im *Impl) {
	const n = 10_000_000
	src := make([]float32, n+1)
	for i := range src {
		src[i] = float32(-90 + 180*float64(i)/n)
	}
	dst := make([]float32, len(src))
	im.sigmoid(dst, src)
	var worst, worstTwin int64
	var worstX, worstTwinX float32
	for i, x := range src {
		if d := ulps(dst[i], sigmoidRef(x)); d > worst {
			worst, worstX = d, x
		}
		if d := ulps(dst[i], Sigmoid1(x)); d > worstTwin {
			worstTwin, worstTwinX = d, x
		}
	}
	if worst > 4 || worstTwin > 2 {
		t.Errorf("max error %d ulp at x=%g (want <= 4), %d ulp from Sigmoid1 at x=%g (want <= 2)", worst, worstX, worstTwin, worstTwinX)
	}
	t.Logf("max error %d ulp at x=%g; %d ulp from Sigmoid1 at x=%g; over %d points in [-90,90]", worst, worstX, worstTwin, worstTwinX, n+1)
}

// TestSigmoidAsmDirect checks that each assembly sigmoid's rearranged steps
// (in sigmoidAVX2: the clamp at 104, E/(E+2^64)) give the same bits as the
// line-by-line transcription of Sigmoid1, on a sample of all float32 bit
// patterns.
func TestSigmoidAsmDirect(t *testing.T) {
	for _, im := range asmImpls() {
		t.Run("isa="+im.name, func(t *testing.T) { testSigmoidDirect(t, im) })
	}
}

func testSigmoidDirect(t *testing.T, im *Impl) {
	step := uint32(97)
	if testing.Short() {
		step = 4099
	}
	const chunk = 1 << 16
	src := make([]float32, 0, chunk)
	a, b := make([]float32, chunk), make([]float32, chunk)
	check := func() {
		im.sigmoid(a, src)
		im.direct(b, src)
		for i, x := range src {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
				t.Fatalf("%s: σ(%g = %#x) = %g, direct %g", im.name, x, math.Float32bits(x), a[i], b[i])
			}
		}
		src = src[:0]
	}
	for u := uint64(0); u < 1<<32; u += uint64(step) {
		if src = append(src, math.Float32frombits(uint32(u))); len(src) == chunk {
			check()
		}
	}
	check()
}

func TestSigmoidPanics(t *testing.T) {
	v3, v4 := make([]float32, 3), make([]float32, 4)
	for _, c := range []struct {
		f   func()
		msg string
	}{
		{func() { Sigmoid(v3, v4) }, "asm: Sigmoid: len(dst) < len(src)"},
		{func() { BiasSigmoid(v3, v4, v4) }, "asm: BiasSigmoid: len(dst) < len(src)"},
		{func() { BiasSigmoid(v4, v4, v3) }, "asm: BiasSigmoid: len(bias) < len(src)"},
	} {
		func() {
			defer func() {
				if got := fmt.Sprint(recover()); got != c.msg {
					t.Errorf("panic %q, want %q", got, c.msg)
				}
			}()
			c.f()
		}()
	}
	Sigmoid(v4, v3) // a longer dst is fine
}

func TestSigmoidAllocs(t *testing.T) {
	x := sigmoidInput(rand.New(rand.NewPCG(1, 1)), 1000)
	y := make([]float32, 1000)
	if n := testing.AllocsPerRun(10, func() { Sigmoid(y, x); BiasSigmoid(y, x, x) }); n != 0 {
		t.Errorf("Sigmoid allocates %v times", n)
	}
}

// FuzzSigmoid compares every level with Sigmoid1 (and the assembly with its
// direct transcription) on float32 bit patterns
// taken from the input, at an offset of data[0]%8 elements.
func FuzzSigmoid(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff, 0, 0, 0xc0, 0x7f, 0, 0, 0xd0, 0xc2})
	f.Add(make([]byte, 4*37+1))
	f.Fuzz(func(t *testing.T, data []byte) {
		off := 0
		if len(data) > 0 {
			off, data = int(data[0]%8), data[1:]
		}
		src := make([]float32, off+len(data)/4)[off:]
		for i := range src {
			src[i] = math.Float32frombits(uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24)
		}
		for _, im := range Supported() {
			dst, ok := guarded(len(src), off)
			im.sigmoid(dst, src)
			if !ok() {
				t.Fatalf("%s: wrote outside dst", im.name)
			}
			direct := make([]float32, len(src))
			im.direct(direct, src)
			for i, x := range src {
				if !sigmoidOK(x, dst[i], maxTwin(im.Accelerated())) {
					t.Fatalf("%s: σ(%g) = %g, Sigmoid1 %g, exact %g", im.name, x, dst[i], Sigmoid1(x), sigmoidRef(x))
				}
				if math.Float32bits(dst[i]) != math.Float32bits(direct[i]) && dst[i] == dst[i] {
					t.Fatalf("%s: σ(%g) = %g, direct %g", im.name, x, dst[i], direct[i])
				}
			}
		}
	})
}
