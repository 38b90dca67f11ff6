package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/boltzgo/boltz/internal/floats"
	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// colCuts returns column split points for an n-column output: multiples of
// the kernel's column grain, as the engine splits.
func colCuts(k kernel.Kernel, n int) []int {
	g := kernel.GrainOf(k).Cols
	var cuts []int
	for _, c := range []int{g, 2 * g, 16 / g * g, 32 / g * g, (n / 2) / g * g} {
		if c > 0 && c < n {
			cuts = append(cuts, c)
		}
	}
	return cuts
}

func testGeometry(t *testing.T, k kernel.Kernel) {
	g := kernel.GrainOf(k)
	if g.Rows < 1 || g.Cols < 1 {
		t.Fatalf("%s: GrainOf = %+v", k.Name(), g)
	}
	if geo, ok := k.(kernel.Geometry); ok {
		if raw := geo.Grain(); raw.Rows < 1 || raw.Cols < 1 || raw.Rows > 64 || raw.Cols > 256 {
			t.Errorf("%s: Grain() = %+v, want tiles of 1..64 rows and 1..256 columns", k.Name(), raw)
		}
	}
}

// packedShapes are the H×V matrices the packed tests use: ragged edges of
// any tile up to 16 wide, and an MNIST-like width.
var packedShapes = [][2]int{{1, 1}, {5, 7}, {16, 16}, {17, 33}, {37, 50}, {64, 100}, {20, 784}}

// fill returns a fresh packed copy of w, refreshed in two grain-aligned
// halves from two goroutines (as the engine's pool does), or nil.
func fill(k kernel.Kernel, pk kernel.Packer, w kernel.Mat) kernel.Packed {
	p := pk.NewPacked(w.Rows, w.Cols)
	if p == nil {
		return nil
	}
	g := kernel.GrainOf(k).Cols
	cut := (w.Rows / 2) / g * g
	var wg sync.WaitGroup
	for _, rg := range [][2]int{{0, cut}, {cut, w.Rows}} {
		wg.Add(1)
		go func() { defer wg.Done(); p.Refresh(w, rg[0], rg[1]) }()
	}
	wg.Wait()
	return p
}

// samePacked checks that p's products equal the plain products with w bit
// for bit, outputs and samples, for both directions, both activations and
// every grain-aligned column offset of colCuts.
func samePacked(t *testing.T, k kernel.Kernel, p kernel.Packed, w kernel.Mat, what string) {
	t.Helper()
	H, V := w.Rows, w.Cols
	r := rand.New(rand.NewPCG(uint64(H), uint64(V)))
	const R = 7
	x := padded(r, R, V, 2, unit)
	h := padded(r, R, H, 1, binary)
	c, b := padded(r, 1, H, 0, normal).Data, padded(r, 1, V, 0, normal).Data
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
					st := rng.NewStream(5, 6, 7)
					sp1 = &kernel.Sample{Dst: s1, Stream: st, Row0: 3, Col0: col0}
					sp2 = &kernel.Sample{Dst: s2, Stream: st, Row0: 3, Col0: col0}
				}
				if down {
					k.Down(o1, in, w.ColSlice(col0, N), bias[col0:], act, sp1)
					p.Down(o2, in, col0, bias[col0:], act, sp2)
				} else {
					k.Up(o1, in, w.RowSlice(col0, N), bias[col0:], act, sp1)
					p.Up(o2, in, col0, bias[col0:], act, sp2)
				}
				if !floats.SameBits(o1.Data, o2.Data) || !floats.SameBits(s1.Data, s2.Data) {
					t.Fatalf("%s %s H=%d V=%d down=%v act=%d col0=%d: packed products differ from the plain ones",
						k.Name(), what, H, V, down, act, col0)
				}
			}
		}
	}
}

func testPacked(t *testing.T, k kernel.Kernel, pk kernel.Packer) {
	r := rand.New(rand.NewPCG(11, 12))
	made := 0
	for _, sh := range packedShapes {
		H, V := sh[0], sh[1]
		w := padded(r, H, V, 3, normal)
		p := fill(k, pk, w)
		if p == nil {
			continue // the backend has no use for a copy at this shape
		}
		made++
		samePacked(t, k, p, w, "fresh")
		// Change some rows, refresh only a grain-aligned band of them.
		g := kernel.GrainOf(k).Cols
		i0 := (H / 3) / g * g
		i1 := min(H, i0+g) // a multiple of the grain, or H
		for i := i0; i < i1; i++ {
			for j := range w.Row(i) {
				w.Row(i)[j] *= -2
			}
		}
		p.Refresh(w, i0, i1)
		samePacked(t, k, p, w, fmt.Sprintf("refreshed [%d,%d)", i0, i1))
	}
	if made == 0 {
		t.Errorf("%s: a Packer that packs none of the shapes %v", k.Name(), packedShapes)
	}
}

// fusedCase is an update problem, made the same twice from its seed.
func fusedCase(seed uint64, H, V, B, C int) (kernel.Mat, *kernel.Update, *kernel.BiasStep) {
	r := rand.New(rand.NewPCG(seed, 1))
	w := padded(r, H, V, 3, normal)
	u := &kernel.Update{
		PosH: padded(r, B, H, 2, unit), PosV: padded(r, B, V, 2, binary),
		NegH: padded(r, C, H, 1, unit), NegV: padded(r, C, V, 4, unit),
		PosScale: 0.01, NegScale: 0.02, Momentum: 0.7, Decay: 0.001, Vel: padded(r, H, V, 1, normal),
	}
	bs := &kernel.BiasStep{C: padded(r, 1, H, 0, normal).Data, VelC: padded(r, 1, H, 0, normal).Data,
		B: padded(r, 1, V, 0, normal).Data, VelB: padded(r, 1, V, 0, normal).Data}
	return w, u, bs
}

func testFused(t *testing.T, k kernel.Kernel, fu kernel.FusedUpdater) {
	g := kernel.GrainOf(k).Cols
	pk, _ := k.(kernel.Packer)
	for si, sh := range [][4]int{{1, 1, 1, 1}, {3, 7, 5, 2}, {17, 33, 6, 9}, {37, 50, 10, 10}, {40, 50, 20, 0}, {16, 18, 0, 3}, {64, 100, 9, 13}} {
		H, V, B, C := sh[0], sh[1], sh[2], sh[3]
		seed := uint64(100 + si)
		i0 := (H / 3) / g * g
		i1 := (H - H/4) / g * g // a multiple of the grain, or H
		if i1 <= i0 {
			i1 = H
		}
		j0 := (V / 4) / g * g
		j1 := V - V/5
		what := fmt.Sprintf("%s H=%d V=%d B=%d C=%d units [%d,%d) visible [%d,%d)", k.Name(), H, V, B, C, i0, i1, j0, j1)

		// The weights and velocities: bitwise those of Update, with and
		// without the bias steps.
		wRef, uRef, _ := fusedCase(seed, H, V, B, C)
		k.Update(wRef, uRef, i0, i1)
		for _, withBias := range []bool{false, true} {
			w, u, bs := fusedCase(seed, H, V, B, C)
			bs.J0, bs.J1 = j0, j1
			c0, b0 := append([]float32(nil), bs.C...), append([]float32(nil), bs.B...)
			vc0, vb0 := append([]float32(nil), bs.VelC...), append([]float32(nil), bs.VelB...)
			if withBias {
				fu.UpdateFused(w, u, i0, i1, bs, nil)
			} else {
				fu.UpdateFused(w, u, i0, i1, nil, nil)
			}
			if !floats.SameBits(w.Data, wRef.Data) || !floats.SameBits(u.Vel.Data, uRef.Vel.Data) {
				t.Fatalf("%s bias=%v: UpdateFused's W or velocity differs from Update's", what, withBias)
			}
			if !withBias {
				if !floats.SameBits(bs.C, c0) || !floats.SameBits(bs.B, b0) {
					t.Fatalf("%s: UpdateFused without a BiasStep changed the biases", what)
				}
				continue
			}
			// The biases: within float32 rounding of BiasSteps' definition,
			// untouched outside their ranges.
			_, ur, br := fusedCase(seed, H, V, B, C)
			br.J0, br.J1 = j0, j1
			kernel.BiasSteps(ur, br, i0, i1)
			checkBias := func(name string, got, vel, want, wantVel, old, oldVel []float32, lo, hi int, hm, vm kernel.Mat) {
				for i := range got {
					if i < lo || i >= hi {
						if got[i] != old[i] || vel[i] != oldVel[i] {
							t.Fatalf("%s: %s[%d] outside [%d,%d) changed", what, name, i, lo, hi)
						}
						continue
					}
					mag := math.Abs(float64(u.Momentum) * float64(oldVel[i]))
					for r := 0; r < hm.Rows; r++ {
						mag += math.Abs(float64(u.PosScale) * float64(hm.Row(r)[i]))
					}
					for r := 0; r < vm.Rows; r++ {
						mag += math.Abs(float64(u.NegScale) * float64(vm.Row(r)[i]))
					}
					e := tol(B+C+1, mag)
					if d := math.Abs(float64(vel[i]) - float64(wantVel[i])); !(d <= e) {
						t.Fatalf("%s: %s velocity [%d] = %v, BiasSteps gives %v (tolerance %.3g)", what, name, i, vel[i], wantVel[i], e)
					}
					if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= 2*e+4*0x1p-24*math.Abs(float64(old[i]))) {
						t.Fatalf("%s: %s[%d] = %v, BiasSteps gives %v", what, name, i, got[i], want[i])
					}
				}
			}
			checkBias("hidden bias", bs.C, bs.VelC, br.C, br.VelC, c0, vc0, i0, i1, u.PosH, u.NegH)
			checkBias("visible bias", bs.B, bs.VelB, br.B, br.VelB, b0, vb0, j0, j1, u.PosV, u.NegV)
		}

		// The packed copy it keeps: bitwise a fresh copy of the new W.
		if pk == nil {
			continue
		}
		w, u, bs := fusedCase(seed, H, V, B, C)
		p := fill(k, pk, w)
		if p == nil {
			continue
		}
		bs.J0, bs.J1 = j0, j1
		fu.UpdateFused(w, u, i0, i1, bs, p)
		samePacked(t, k, p, w, "kept by UpdateFused")
	}
}

func testDescriber(t *testing.T, k kernel.Kernel, d kernel.Describer) {
	if d.Level() == "" || d.Describe() == "" {
		t.Errorf("%s: Level() = %q, Describe() = %q; want both set", k.Name(), d.Level(), d.Describe())
	}
}

func testBencher(t *testing.T, k kernel.Kernel, b kernel.Bencher) {
	cases := b.BenchCases()
	peaks := 0
	for _, c := range cases {
		if c.Name == "" || c.Unit == "" || !(c.Work > 0) || c.Run == nil {
			t.Errorf("%s: bench case %+v is incomplete", k.Name(), c)
			continue
		}
		if c.Peak {
			peaks++
			if c.Unit != "flop" {
				t.Errorf("%s: the peak case %q counts %s, not flops", k.Name(), c.Name, c.Unit)
			}
		}
		c.Run()
	}
	if peaks > 1 {
		t.Errorf("%s: %d cases claim to measure the peak", k.Name(), peaks)
	}
}
