package kerneltest

import (
	"fmt"
	"github.com/boltzgo/boltz/internal/floats"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// Shapes are the (rows, in, out) triples Run tries: every small size, the
// edges of 6×16 and 8×8 register tiles, and a CD-sized case.
var Shapes = func() [][3]int {
	var s [][3]int
	for _, r := range []int{1, 2, 3, 5, 6, 7, 13} {
		for _, k := range []int{1, 2, 7, 16, 17, 33} {
			for _, n := range []int{1, 5, 8, 15, 16, 17, 31, 33} {
				s = append(s, [3]int{r, k, n})
			}
		}
	}
	return append(s, [3]int{0, 5, 5}, [3]int{4, 0, 7}, [3]int{100, 784, 64}, [3]int{12, 300, 130}, [3]int{7, 1100, 40})
}()

// Run runs the conformance suite on k.
func Run(t *testing.T, k kernel.Kernel) {
	t.Run("Up", func(t *testing.T) { testProject(t, k, false) })
	t.Run("Down", func(t *testing.T) { testProject(t, k, true) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, k) })
	t.Run("Splits", func(t *testing.T) { testSplits(t, k) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, k) })
	t.Run("Special", func(t *testing.T) { testSpecial(t, k) })
	t.Run("Geometry", func(t *testing.T) { testGeometry(t, k) })
	if pk, ok := k.(kernel.Packer); ok {
		t.Run("Packed", func(t *testing.T) { testPacked(t, k, pk) })
	}
	if up, ok := k.(kernel.UnitsProjector); ok {
		t.Run("Units", func(t *testing.T) { testUnits(t, k, up) })
	}
	if pk, ok := k.(kernel.Packer); ok {
		t.Run("PackedUnits", func(t *testing.T) { testPackedUnits(t, k, pk) })
	}
	if tp, ok := k.(kernel.TemperedProjector); ok {
		t.Run("Tempered", func(t *testing.T) {
			testTempered(t, k, tp)
			testTemperedExact(t, k, tp)
			testTemperedSpecial(t, k, tp)
		})
		if pk, ok := k.(kernel.Packer); ok {
			t.Run("PackedTempered", func(t *testing.T) { testPackedTempered(t, k, pk, tp) })
		}
	}
	if hasBinary(k) {
		t.Run("Binary", func(t *testing.T) { testBinary(t, k) })
	}
	if fu, ok := k.(kernel.FusedUpdater); ok {
		t.Run("UpdateFused", func(t *testing.T) { testFused(t, k, fu) })
	}
	if d, ok := k.(kernel.Describer); ok {
		t.Run("Describer", func(t *testing.T) { testDescriber(t, k, d) })
	}
	if b, ok := k.(kernel.Bencher); ok {
		t.Run("Bencher", func(t *testing.T) { testBencher(t, k, b) })
	}
}

// padded returns a rows×cols matrix with stride cols+pad whose padding (and
// a guard after the end) holds NaN.
func padded(r *rand.Rand, rows, cols, pad int, fill func(*rand.Rand) float32) kernel.Mat {
	stride := cols + pad
	data := make([]float32, rows*stride+pad)
	for i := range data {
		data[i] = float32(math.NaN())
	}
	m := kernel.Mat{Rows: rows, Cols: cols, Stride: stride, Data: data}
	for i := 0; i < rows; i++ {
		row := m.Row(i)
		for j := range row {
			row[j] = fill(r)
		}
	}
	return m
}

func normal(r *rand.Rand) float32 { return float32(r.NormFloat64()) }
func binary(r *rand.Rand) float32 {
	if r.IntN(2) == 0 {
		return 0
	}
	return 1
}
func unit(r *rand.Rand) float32 { return r.Float32() }

// checkPadding fails when any element outside the view is not NaN.
func checkPadding(t *testing.T, what string, m kernel.Mat) {
	t.Helper()
	for i, x := range m.Data {
		r, c := i/m.Stride, i%m.Stride
		inside := r < m.Rows && c < m.Cols
		if !inside && x == x {
			t.Fatalf("%s: element %d outside the view (row %d, col %d) was written: %v", what, i, r, c, x)
		}
	}
}

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// tol is the float32 tolerance of a k-term dot product with magnitude sum s:
// c·k·2⁻²³·Σ|a||b| plus an absolute floor for the sigmoid.
func tol(k int, s float64) float64 { return 4*float64(k+2)*0x1p-23*s + 1e-6 }

func testProject(t *testing.T, k kernel.Kernel, down bool) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sh := range Shapes {
		R, K, N := sh[0], sh[1], sh[2]
		for _, act := range []kernel.Act{kernel.Linear, kernel.Sigmoid} {
			for _, sample := range []bool{false, true} {
				if sample && act != kernel.Sigmoid {
					continue
				}
				in := padded(r, R, K, 3, binary)
				if !down {
					in = padded(r, R, K, 3, unit)
				}
				var w kernel.Mat
				if down {
					w = padded(r, K, N, 5, normal) // H×V block
				} else {
					w = padded(r, N, K, 5, normal) // rows of W
				}
				bias := make([]float32, N)
				for i := range bias {
					bias[i] = normal(r)
				}
				out := padded(r, R, N, 2, func(*rand.Rand) float32 { return float32(math.NaN()) })
				var s *kernel.Sample
				if sample {
					s = &kernel.Sample{Dst: padded(r, R, N, 1, func(*rand.Rand) float32 { return 7 }),
						Stream: rng.NewStream(uint64(R*1000+N), 3, 9), Row0: 5, Col0: 11}
				}
				inCopy, wCopy := append([]float32(nil), in.Data...), append([]float32(nil), w.Data...)
				if down {
					k.Down(out, in, w, bias, act, s)
				} else {
					k.Up(out, in, w, bias, act, s)
				}
				what := fmt.Sprintf("%s down=%v R=%d K=%d N=%d act=%d sample=%v", k.Name(), down, R, K, N, act, sample)
				if !floats.SameBits(in.Data, inCopy) || !floats.SameBits(w.Data, wCopy) {
					t.Fatalf("%s: inputs modified", what)
				}
				checkPadding(t, what+" out", out)
				for i := 0; i < R; i++ {
					for j := 0; j < N; j++ {
						ref, mag := float64(bias[j]), math.Abs(float64(bias[j]))
						for p := 0; p < K; p++ {
							var a, b float64
							if down {
								a, b = float64(in.Row(i)[p]), float64(w.Row(p)[j])
							} else {
								a, b = float64(in.Row(i)[p]), float64(w.Row(j)[p])
							}
							ref += a * b
							mag += math.Abs(a * b)
						}
						e := tol(K, mag)
						if act == kernel.Sigmoid {
							ref = sigmoid64(ref)
							e = e/4 + 4*0x1p-24
						}
						got := float64(out.Row(i)[j])
						if !(math.Abs(got-ref) <= e) {
							t.Fatalf("%s: out[%d,%d] = %v, reference %v (tolerance %.3g)", what, i, j, got, ref, e)
						}
						if sample {
							want := float32(0)
							if rng.Uniform(s.Stream.Uint32(s.Row0+i, s.Col0+j)) < out.Row(i)[j] {
								want = 1
							}
							if s.Dst.Row(i)[j] != want {
								t.Fatalf("%s: sample[%d,%d] = %v, the stream gives %v for p=%v", what, i, j, s.Dst.Row(i)[j], want, out.Row(i)[j])
							}
						}
					}
				}
				if sample {
					checkPadding(t, what+" samples", s.Dst)
				}
			}
		}
	}
}

func testUpdate(t *testing.T, k kernel.Kernel) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][4]int{{1, 1, 1, 1}, {3, 7, 5, 2}, {17, 33, 6, 9}, {64, 100, 10, 10}, {13, 16, 1, 16}, {40, 50, 20, 0}, {9, 18, 0, 3}, {5, 20, 0, 0}} {
		H, V, B, C := sh[0], sh[1], sh[2], sh[3]
		w := padded(r, H, V, 3, normal)
		vel := padded(r, H, V, 1, normal)
		u := &kernel.Update{
			PosH: padded(r, B, H, 2, unit), PosV: padded(r, B, V, 2, binary),
			NegH: padded(r, C, H, 1, unit), NegV: padded(r, C, V, 4, unit),
			PosScale: 0.01, NegScale: 0.02, Momentum: 0.7, Decay: 0.001, Vel: vel,
		}
		w0, v0 := append([]float32(nil), w.Data...), append([]float32(nil), vel.Data...)
		i0, i1 := H/3, H-H/4
		k.Update(w, u, i0, i1)
		what := fmt.Sprintf("%s H=%d V=%d B=%d C=%d", k.Name(), H, V, B, C)
		checkPadding(t, what+" W", w)
		checkPadding(t, what+" vel", vel)
		for i := 0; i < H; i++ {
			for j := 0; j < V; j++ {
				oldW, oldV := float64(w0[i*w.Stride+j]), float64(v0[i*vel.Stride+j])
				if i < i0 || i >= i1 {
					if float64(w.Row(i)[j]) != oldW || float64(vel.Row(i)[j]) != oldV {
						t.Fatalf("%s: row %d outside [%d,%d) changed", what, i, i0, i1)
					}
					continue
				}
				g, mag := 0.0, 0.0
				for rr := 0; rr < B; rr++ {
					x := float64(u.PosScale) * float64(u.PosH.Row(rr)[i]) * float64(u.PosV.Row(rr)[j])
					g += x
					mag += math.Abs(x)
				}
				for rr := 0; rr < C; rr++ {
					x := float64(u.NegScale) * float64(u.NegH.Row(rr)[i]) * float64(u.NegV.Row(rr)[j])
					g -= x
					mag += math.Abs(x)
				}
				nv := float64(u.Momentum)*oldV + g - float64(u.Decay)*oldW
				mag += math.Abs(float64(u.Momentum)*oldV) + math.Abs(float64(u.Decay)*oldW)
				e := tol(B+C+2, mag)
				if got := float64(vel.Row(i)[j]); math.Abs(got-nv) > e {
					t.Fatalf("%s: vel[%d,%d] = %v, reference %v", what, i, j, got, nv)
				}
				if got := float64(w.Row(i)[j]); math.Abs(got-(oldW+nv)) > e+4*0x1p-24*math.Abs(oldW) {
					t.Fatalf("%s: W[%d,%d] = %v, reference %v", what, i, j, got, oldW+nv)
				}
			}
		}
	}
}

// testSplits checks that splitting a projection into row or column views,
// as the engine's pool does, gives bitwise the same outputs and samples as
// one call, and likewise an update split into hidden-unit ranges.
func testSplits(t *testing.T, k kernel.Kernel) {
	for _, V := range []int{70, 1100} { // 1100: deeper than one packed block
		testSplitsV(t, k, V)
	}
}

func testSplitsV(t *testing.T, k kernel.Kernel, V int) {
	r := rand.New(rand.NewPCG(5, 6))
	const R, H = 23, 53
	x := padded(r, R, V, 0, unit)
	h := padded(r, R, H, 0, binary)
	w := padded(r, H, V, 0, normal)
	c, b := make([]float32, H), make([]float32, V)
	for _, down := range []bool{false, true} {
		N, in := H, x
		bias := c
		if down {
			N, in, bias = V, h, b
		}
		whole, ws := kernel.NewMat(R, N), kernel.NewMat(R, N)
		s := rng.NewStream(1, 2, 3)
		call := func(out, in, wv kernel.Mat, bias []float32, smp kernel.Mat, r0, c0 int) {
			sp := &kernel.Sample{Dst: smp, Stream: s, Row0: r0, Col0: c0}
			if down {
				k.Down(out, in, wv, bias, kernel.Sigmoid, sp)
			} else {
				k.Up(out, in, wv, bias, kernel.Sigmoid, sp)
			}
		}
		call(whole, in, w, bias, ws, 0, 0)
		for _, cut := range []int{1, 5, 11} { // row splits
			parts, ps := kernel.NewMat(R, N), kernel.NewMat(R, N)
			call(parts.RowSlice(0, cut), in.RowSlice(0, cut), w, bias, ps.RowSlice(0, cut), 0, 0)
			call(parts.RowSlice(cut, R), in.RowSlice(cut, R), w, bias, ps.RowSlice(cut, R), cut, 0)
			if !floats.SameBits(parts.Data, whole.Data) || !floats.SameBits(ps.Data, ws.Data) {
				t.Fatalf("%s down=%v: row split at %d changes the result", k.Name(), down, cut)
			}
		}
		for _, cut := range colCuts(k, N) { // column splits
			parts, ps := kernel.NewMat(R, N), kernel.NewMat(R, N)
			var wa, wb kernel.Mat
			if down {
				wa, wb = w.ColSlice(0, cut), w.ColSlice(cut, N)
			} else {
				wa, wb = w.RowSlice(0, cut), w.RowSlice(cut, N)
			}
			call(parts.ColSlice(0, cut), in, wa, bias[:cut], ps.ColSlice(0, cut), 0, 0)
			call(parts.ColSlice(cut, N), in, wb, bias[cut:], ps.ColSlice(cut, N), 0, cut)
			if !floats.SameBits(parts.Data, whole.Data) || !floats.SameBits(ps.Data, ws.Data) {
				t.Fatalf("%s down=%v: column split at %d changes the result", k.Name(), down, cut)
			}
		}
	}
	// Update split into hidden ranges equals one call.
	mk := func() (kernel.Mat, *kernel.Update) {
		rr := rand.New(rand.NewPCG(7, 8))
		w := padded(rr, H, V, 0, normal)
		return w, &kernel.Update{PosH: padded(rr, R, H, 0, unit), PosV: padded(rr, R, V, 0, binary),
			NegH: padded(rr, R, H, 0, unit), NegV: padded(rr, R, V, 0, unit),
			PosScale: 0.1, NegScale: 0.1, Momentum: 0.5, Decay: 0.01, Vel: padded(rr, H, V, 0, normal)}
	}
	w1, u1 := mk()
	k.Update(w1, u1, 0, H)
	w2, u2 := mk()
	for _, rg := range [][2]int{{0, 7}, {7, 16}, {16, 48}, {48, H}} {
		k.Update(w2, u2, rg[0], rg[1])
	}
	if !floats.SameBits(w1.Data, w2.Data) || !floats.SameBits(u1.Vel.Data, u2.Vel.Data) {
		t.Fatalf("%s: splitting Update over hidden ranges changes the result", k.Name())
	}
}

// testConcurrent runs disjoint views of one projection from several
// goroutines at once (run it under -race) and compares with a serial call.
func testConcurrent(t *testing.T, k kernel.Kernel) {
	r := rand.New(rand.NewPCG(9, 10))
	const R, V, H = 64, 100, 48
	x := padded(r, R, V, 0, unit)
	w := padded(r, H, V, 0, normal)
	c := make([]float32, H)
	serial, par := kernel.NewMat(R, H), kernel.NewMat(R, H)
	k.Up(serial, x, w, c, kernel.Sigmoid, nil)
	var wg sync.WaitGroup
	for p := 0; p < 8; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			lo, hi := p*R/8, (p+1)*R/8
			k.Up(par.RowSlice(lo, hi), x.RowSlice(lo, hi), w, c, kernel.Sigmoid, nil)
		}(p)
	}
	wg.Wait()
	if !floats.SameBits(serial.Data, par.Data) {
		t.Fatalf("%s: concurrent calls on disjoint views differ from a serial call", k.Name())
	}
}

// testSpecial checks NaN and Inf propagation and saturation.
func testSpecial(t *testing.T, k kernel.Kernel) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	x := kernel.Mat{Rows: 1, Cols: 3, Stride: 3, Data: []float32{1, 1, 1}}
	w := kernel.Mat{Rows: 4, Cols: 3, Stride: 3, Data: []float32{
		nan, 0, 0,
		inf, 0, 0,
		-inf, 0, 0,
		100, 0, 0}}
	out := kernel.NewMat(1, 4)
	k.Up(out, x, w, make([]float32, 4), kernel.Sigmoid, nil)
	o := out.Row(0)
	if o[0] == o[0] || o[1] != 1 || o[2] != 0 || o[3] != 1 {
		t.Errorf("%s: σ of NaN, +Inf, −Inf, 100 = %v, want NaN 1 0 1", k.Name(), o)
	}
	k.Up(out, x, w, make([]float32, 4), kernel.Linear, nil)
	if o := out.Row(0); o[0] == o[0] || o[1] != inf || o[2] != -inf || o[3] != 100 {
		t.Errorf("%s: linear NaN, +Inf, −Inf, 100 = %v", k.Name(), o)
	}
}
