package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/boltzgo/boltz/internal/floats"
	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// Tempered projections (kernel.TemperedProjector, kernel.PackedTempered):
// the float64 reference, bitwise equality with Up and Down at a scale of
// 1, splits, special values and the packed copies.

// temperedScales returns n per-row scales: inverse temperatures in (0, 1]
// with 0, 1, negative and larger ones mixed in.
func temperedScales(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		switch r.IntN(7) {
		case 0:
			s[i] = 0
		case 1:
			s[i] = 1
		case 2:
			s[i] = -r.Float32()
		case 3:
			s[i] = 1 + 2*r.Float32()
		default:
			s[i] = r.Float32()
		}
	}
	return s
}

// tempered calls the tempered projection of direction down.
func tempered(tp kernel.TemperedProjector, down bool, out, in, w kernel.Mat, bias, scale []float32, act kernel.Act, s *kernel.Sample) {
	if down {
		tp.DownTempered(out, in, w, bias, scale, act, s)
	} else {
		tp.UpTempered(out, in, w, bias, scale, act, s)
	}
}

// plain calls Up or Down.
func plain(k kernel.Kernel, down bool, out, in, w kernel.Mat, bias []float32, act kernel.Act, s *kernel.Sample) {
	if down {
		k.Down(out, in, w, bias, act, s)
	} else {
		k.Up(out, in, w, bias, act, s)
	}
}

// projInputs returns padded inputs of a projection of R rows from K to N
// units: in (binary for Down), w (H×V: N×K for Up, K×N for Down), the bias.
func projInputs(r *rand.Rand, down bool, R, K, N int) (in, w kernel.Mat, bias []float32) {
	if down {
		in, w = padded(r, R, K, 3, binary), padded(r, K, N, 5, normal)
	} else {
		in, w = padded(r, R, K, 3, unit), padded(r, N, K, 5, normal)
	}
	return in, w, padded(r, 1, N, 0, normal).Data
}

func nanFill(*rand.Rand) float32 { return float32(math.NaN()) }

// testTempered checks UpTempered and DownTempered against the float64
// reference act(scale[r]·(Σ x·w + bias)) over Shapes, the states against
// the probabilities written, bit for bit, the padding and the inputs.
func testTempered(t *testing.T, k kernel.Kernel, tp kernel.TemperedProjector) {
	r := rand.New(rand.NewPCG(31, 32))
	for si, sh := range Shapes {
		R, K, N := sh[0], sh[1], sh[2]
		for _, down := range []bool{false, true} {
			act := []kernel.Act{kernel.Linear, kernel.Sigmoid, kernel.Sigmoid}[si%3]
			sample := si%3 == 2
			in, w, bias := projInputs(r, down, R, K, N)
			scale := temperedScales(r, R)
			out := padded(r, R, N, 2, nanFill)
			var s *kernel.Sample
			if sample {
				s = &kernel.Sample{Dst: padded(r, R, N, 1, func(*rand.Rand) float32 { return 7 }),
					Stream: rng.NewStream(uint64(R*1000+N), 5, 2), Row0: 3, Col0: 13}
			}
			inCopy, wCopy, scCopy := append([]float32(nil), in.Data...), append([]float32(nil), w.Data...), append([]float32(nil), scale...)
			tempered(tp, down, out, in, w, bias, scale, act, s)
			what := fmt.Sprintf("%s tempered down=%v R=%d K=%d N=%d act=%d sample=%v", k.Name(), down, R, K, N, act, sample)
			if !floats.SameBits(in.Data, inCopy) || !floats.SameBits(w.Data, wCopy) || !floats.SameBits(scale, scCopy) {
				t.Fatalf("%s: inputs modified", what)
			}
			checkPadding(t, what+" out", out)
			if sample {
				checkPadding(t, what+" samples", s.Dst)
			}
			for i := 0; i < R; i++ {
				b := float64(scale[i])
				for j := 0; j < N; j++ {
					ref, mag := float64(bias[j]), math.Abs(float64(bias[j]))
					for p := 0; p < K; p++ {
						x := float64(in.Row(i)[p])
						if down {
							x *= float64(w.Row(p)[j])
						} else {
							x *= float64(w.Row(j)[p])
						}
						ref += x
						mag += math.Abs(x)
					}
					ref *= b
					e := math.Abs(b)*tol(K, mag) + 0x1p-23*math.Abs(ref)
					if act == kernel.Sigmoid {
						ref = sigmoid64(ref)
						e = e/4 + 4*0x1p-24
					}
					got := out.Row(i)[j]
					if !(math.Abs(float64(got)-ref) <= e) {
						t.Fatalf("%s: out[%d,%d] = %v at scale %v, reference %v (tolerance %.3g)", what, i, j, got, scale[i], ref, e)
					}
					if sample {
						want := float32(0)
						if rng.Uniform(s.Stream.Uint32(s.Row0+i, s.Col0+j)) < got {
							want = 1
						}
						if s.Dst.Row(i)[j] != want {
							t.Fatalf("%s: sample[%d,%d] = %v, the stream gives %v for p=%v", what, i, j, s.Dst.Row(i)[j], want, got)
						}
					}
				}
			}
		}
	}
}

// testTemperedExact checks that a scale of 1 gives Up and Down bit for bit,
// and that splitting a tempered projection into row views (the scale
// sliced with them) and grain-aligned column views changes no bit.
func testTemperedExact(t *testing.T, k kernel.Kernel, tp kernel.TemperedProjector) {
	r := rand.New(rand.NewPCG(33, 34))
	for _, sh := range [][3]int{{1, 1, 1}, {7, 17, 33}, {23, 70, 53}, {13, 33, 100}, {9, 1100, 40}} {
		R, K, N := sh[0], sh[1], sh[2]
		for _, down := range []bool{false, true} {
			in, w, bias := projInputs(r, down, R, K, N)
			for _, act := range []kernel.Act{kernel.Linear, kernel.Sigmoid} {
				for _, sample := range []bool{false, true} {
					if sample && act != kernel.Sigmoid {
						continue
					}
					what := fmt.Sprintf("%s tempered down=%v R=%d K=%d N=%d act=%d sample=%v", k.Name(), down, R, K, N, act, sample)
					st := rng.NewStream(uint64(K), 1, 4)
					run := func(f func(out kernel.Mat, s *kernel.Sample)) (kernel.Mat, kernel.Mat) {
						out, smp := padded(r, R, N, 2, nanFill), padded(r, R, N, 1, nanFill)
						var s *kernel.Sample
						if sample {
							s = &kernel.Sample{Dst: smp, Stream: st, Row0: 1, Col0: 2}
						}
						f(out, s)
						return out, smp
					}
					o1, s1 := run(func(out kernel.Mat, s *kernel.Sample) { plain(k, down, out, in, w, bias, act, s) })
					ones := make([]float32, R)
					for i := range ones {
						ones[i] = 1
					}
					o2, s2 := run(func(out kernel.Mat, s *kernel.Sample) { tempered(tp, down, out, in, w, bias, ones, act, s) })
					if !floats.SameBits(o1.Data, o2.Data) || !floats.SameBits(s1.Data, s2.Data) {
						t.Fatalf("%s: scale 1 differs from the untempered projection", what)
					}

					scale := temperedScales(r, R)
					whole, ws := run(func(out kernel.Mat, s *kernel.Sample) { tempered(tp, down, out, in, w, bias, scale, act, s) })
					cut := R / 2
					rows, rs := run(func(out kernel.Mat, s *kernel.Sample) {
						for _, b := range [][2]int{{0, cut}, {cut, R}} {
							var sp *kernel.Sample
							if s != nil {
								c := *s
								c.Dst, c.Row0 = s.Dst.RowSlice(b[0], b[1]), s.Row0+b[0]
								sp = &c
							}
							tempered(tp, down, out.RowSlice(b[0], b[1]), in.RowSlice(b[0], b[1]), w, bias, scale[b[0]:b[1]], act, sp)
						}
					})
					if !floats.SameBits(whole.Data, rows.Data) || !floats.SameBits(ws.Data, rs.Data) {
						t.Fatalf("%s: a row split at %d changes the result", what, cut)
					}
					for _, cc := range colCuts(k, N) {
						cols, cs := run(func(out kernel.Mat, s *kernel.Sample) {
							for _, b := range [][2]int{{0, cc}, {cc, N}} {
								var sp *kernel.Sample
								if s != nil {
									c := *s
									c.Dst, c.Col0 = s.Dst.ColSlice(b[0], b[1]), s.Col0+b[0]
									sp = &c
								}
								var wv kernel.Mat
								if down {
									wv = w.ColSlice(b[0], b[1])
								} else {
									wv = w.RowSlice(b[0], b[1])
								}
								tempered(tp, down, out.ColSlice(b[0], b[1]), in, wv, bias[b[0]:b[1]], scale, act, sp)
							}
						})
						if !floats.SameBits(whole.Data, cols.Data) || !floats.SameBits(ws.Data, cs.Data) {
							t.Fatalf("%s: a column split at %d changes the result", what, cc)
						}
					}
				}
			}
		}
	}
}

// testTemperedSpecial checks special pre-activations and scales: the
// pre-activation times the scale in float32 (0·Inf and a NaN scale give
// NaN, whose sample is 0), then the activation.
func testTemperedSpecial(t *testing.T, k kernel.Kernel, tp kernel.TemperedProjector) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	pre := []float32{0, 1, -3, 100, inf, -inf, nan}
	scales := []float32{1, 0, 0.5, -1, 2, nan}
	// x = 1, W row i = pre[i]: the pre-activation of unit i is pre[i].
	x := kernel.Mat{Rows: len(scales), Cols: 1, Stride: 1, Data: make([]float32, len(scales))}
	for i := range x.Data {
		x.Data[i] = 1
	}
	w := kernel.Mat{Rows: len(pre), Cols: 1, Stride: 1, Data: pre}
	bias := make([]float32, len(pre))
	for _, act := range []kernel.Act{kernel.Linear, kernel.Sigmoid} {
		out := kernel.NewMat(len(scales), len(pre))
		var s *kernel.Sample
		if act == kernel.Sigmoid {
			s = &kernel.Sample{Dst: kernel.NewMat(len(scales), len(pre)), Stream: rng.NewStream(3, 1, 1)}
			for i := range s.Dst.Data {
				s.Dst.Data[i] = 7
			}
		}
		tp.UpTempered(out, x, w, bias, scales, act, s)
		for i, b := range scales {
			for j, p := range pre {
				want := float64(p * b)
				if act == kernel.Sigmoid {
					want = sigmoid64(want)
				}
				got := out.Row(i)[j]
				what := fmt.Sprintf("%s tempered act=%d: pre-activation %v at scale %v", k.Name(), act, p, b)
				if math.IsNaN(want) != (got != got) || !math.IsNaN(want) && float64(got) != want && !(math.Abs(float64(got)-want) <= 4*0x1p-24*math.Max(1, math.Abs(want))) {
					t.Errorf("%s: got %v, want %v", what, got, want)
				}
				if s != nil {
					wantS := float32(0)
					if rng.Uniform(s.Stream.Uint32(i, j)) < got {
						wantS = 1
					}
					if s.Dst.Row(i)[j] != wantS {
						t.Errorf("%s: state %v, want %v for p=%v", what, s.Dst.Row(i)[j], wantS, got)
					}
				}
			}
		}
	}
}

// testPackedTempered checks a packed copy's tempered products against the
// plain tempered products with W bit for bit, outputs and samples, both
// directions and activations, at every grain-aligned column offset.
func testPackedTempered(t *testing.T, k kernel.Kernel, pk kernel.Packer, tp kernel.TemperedProjector) {
	tried := false
	for _, sh := range packedShapes {
		H, V := sh[0], sh[1]
		r := rand.New(rand.NewPCG(uint64(H), uint64(V)+50))
		w := padded(r, H, V, 3, normal)
		p := fill(k, pk, w)
		pt, ok := p.(kernel.PackedTempered)
		if p == nil || !ok {
			continue
		}
		tried = true
		const R = 9
		x := padded(r, R, V, 2, unit)
		h := padded(r, R, H, 1, binary)
		c, b := padded(r, 1, H, 0, normal).Data, padded(r, 1, V, 0, normal).Data
		scale := temperedScales(r, R)
		for _, down := range []bool{false, true} {
			N, in, bias := H, x, c
			if down {
				N, in, bias = V, h, b
			}
			for _, act := range []kernel.Act{kernel.Linear, kernel.Sigmoid} {
				for _, col0 := range append([]int{0}, colCuts(k, N)...) {
					n := N - col0
					o1, o2 := kernel.NewMat(R, n), kernel.NewMat(R, n)
					s1, s2 := kernel.NewMat(R, n), kernel.NewMat(R, n)
					var sp1, sp2 *kernel.Sample
					if act == kernel.Sigmoid {
						st := rng.NewStream(8, 6, 7)
						sp1 = &kernel.Sample{Dst: s1, Stream: st, Row0: 3, Col0: col0}
						sp2 = &kernel.Sample{Dst: s2, Stream: st, Row0: 3, Col0: col0}
					}
					if down {
						tp.DownTempered(o1, in, w.ColSlice(col0, N), bias[col0:], scale, act, sp1)
						pt.DownTempered(o2, in, col0, bias[col0:], scale, act, sp2)
					} else {
						tp.UpTempered(o1, in, w.RowSlice(col0, N), bias[col0:], scale, act, sp1)
						pt.UpTempered(o2, in, col0, bias[col0:], scale, act, sp2)
					}
					if !floats.SameBits(o1.Data, o2.Data) || !floats.SameBits(s1.Data, s2.Data) {
						t.Fatalf("%s H=%d V=%d down=%v act=%d col0=%d: packed tempered products differ from the plain ones",
							k.Name(), H, V, down, act, col0)
					}
				}
			}
		}
	}
	if !tried {
		t.Logf("%s: its packed copies do not implement kernel.PackedTempered (the engine falls back)", k.Name())
	}
}
