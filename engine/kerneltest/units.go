package kerneltest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/boltzgo/boltz/internal/floats"
	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// unitsCases are the unit descriptions the UnitsProjector tests try (σ is
// filled per shape); the categorical output widths are multiples of q.
var unitsCases = []kernel.Units{{Dist: kernel.Gaussian}, {Dist: kernel.Categorical, States: 2}, {Dist: kernel.Categorical, States: 3}, {Dist: kernel.Categorical, States: 21}}

// unitsShapes are (rows, in, groups): the output has groups·q columns for
// categorical units and groups·5+3 for Gaussian ones.
var unitsShapes = [][3]int{{1, 1, 1}, {3, 7, 2}, {7, 17, 5}, {13, 33, 3}, {0, 4, 2}, {5, 0, 3}}

// unitsOut returns the output width of a units case.
func unitsOut(u kernel.Units, groups int) int {
	if u.Dist == kernel.Categorical {
		return groups * u.States
	}
	return groups*5 + 3
}

// testUnits checks UpUnits and DownUnits against Up and Down with Linear
// followed by kernel.ApplyUnits, bit for bit, with and without sampling, on
// padded views and on row and column parts (whole groups) as the engine
// splits them.
func testUnits(t *testing.T, k kernel.Kernel, up kernel.UnitsProjector) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, uc := range unitsCases {
		for _, sh := range unitsShapes {
			R, K, N := sh[0], sh[1], unitsOut(uc, sh[2])
			u := uc
			u.Sigma = make([]float32, N)
			for j := range u.Sigma {
				u.Sigma[j] = 0.1 + r.Float32()*2
			}
			for _, down := range []bool{false, true} {
				in := padded(r, R, K, 3, unit)
				if down {
					in = padded(r, R, K, 3, binary)
				}
				var w kernel.Mat
				if down {
					w = padded(r, K, N, 5, normal)
				} else {
					w = padded(r, N, K, 5, normal)
				}
				bias := padded(r, 1, N, 0, normal).Data
				for _, sample := range []bool{false, true} {
					what := fmt.Sprintf("%s units=%d q=%d down=%v R=%d K=%d N=%d sample=%v", k.Name(), u.Dist, u.States, down, R, K, N, sample)
					nan := func(*rand.Rand) float32 { return float32(0) / float32(zero) }
					o1, o2 := padded(r, R, N, 2, nan), padded(r, R, N, 2, nan)
					var s1, s2 *kernel.Sample
					if sample {
						st := rng.NewStream(uint64(R*100+N), 4, 8)
						s1 = &kernel.Sample{Dst: padded(r, R, N, 1, nan), Stream: st, Row0: 2, Col0: 0}
						s2 = &kernel.Sample{Dst: padded(r, R, N, 1, nan), Stream: st, Row0: 2, Col0: 0}
					}
					// The reference: Linear, then ApplyUnits.
					if down {
						k.Down(o1, in, w, bias, kernel.Linear, nil)
					} else {
						k.Up(o1, in, w, bias, kernel.Linear, nil)
					}
					kernel.ApplyUnits(o1, &u, s1)
					// The backend, on parts: two row bands and two column bands
					// cut at a whole group.
					cut := N / 2
					if u.Dist == kernel.Categorical {
						cut = (N / u.States / 2) * u.States
					}
					call := func(out, in, w kernel.Mat, b []float32, uu *kernel.Units, s *kernel.Sample) {
						if down {
							up.DownUnits(out, in, w, b, uu, s)
						} else {
							up.UpUnits(out, in, w, b, uu, s)
						}
					}
					rc := R / 2
					for _, band := range [][2]int{{0, rc}, {rc, R}} {
						var s *kernel.Sample
						if sample {
							c := *s2
							c.Dst, c.Row0 = s2.Dst.RowSlice(band[0], band[1]), s2.Row0+band[0]
							s = &c
						}
						call(o2.RowSlice(band[0], band[1]), in.RowSlice(band[0], band[1]), w, bias, &u, s)
					}
					if !floats.SameBits(o1.Data, o2.Data) || sample && !floats.SameBits(s1.Dst.Data, s2.Dst.Data) {
						t.Fatalf("%s: row parts differ from Linear + ApplyUnits", what)
					}
					o3 := padded(r, R, N, 2, nan)
					var s3 *kernel.Sample
					if sample {
						s3 = &kernel.Sample{Dst: padded(r, R, N, 1, nan), Stream: s2.Stream, Row0: 2}
					}
					for _, band := range [][2]int{{0, cut}, {cut, N}} {
						uu := u
						uu.Sigma = u.Sigma[band[0]:band[1]]
						var s *kernel.Sample
						if sample {
							c := *s3
							c.Dst, c.Col0 = s3.Dst.ColSlice(band[0], band[1]), band[0]
							s = &c
						}
						var ww kernel.Mat
						if down {
							ww = w.ColSlice(band[0], band[1])
						} else {
							ww = w.RowSlice(band[0], band[1])
						}
						call(o3.ColSlice(band[0], band[1]), in, ww, bias[band[0]:band[1]], &uu, s)
					}
					if !floats.SameBits(o1.Data, o3.Data) || sample && !floats.SameBits(s1.Dst.Data, s3.Dst.Data) {
						t.Fatalf("%s: column parts differ from Linear + ApplyUnits", what)
					}
					checkPadding(t, what+" out", o2)
					if sample {
						checkPadding(t, what+" samples", s2.Dst)
					}
				}
			}
		}
	}
}

var zero float32

// testPackedUnits checks a packed copy's UpUnits and DownUnits against its
// Linear products followed by kernel.ApplyUnits, bit for bit.
func testPackedUnits(t *testing.T, k kernel.Kernel, pk kernel.Packer) {
	r := rand.New(rand.NewPCG(23, 24))
	tried := false
	for _, uc := range unitsCases {
		for _, sh := range [][2]int{{6, 42}, {17, 63}, {33, 21}} {
			H, V := sh[0], sh[1]
			w := padded(r, H, V, 3, normal)
			p := fill(k, pk, w)
			pu, ok := p.(kernel.PackedUnits)
			if p == nil || !ok {
				continue
			}
			tried = true
			u := uc
			if u.Dist == kernel.Categorical && V%u.States != 0 {
				continue
			}
			u.Sigma = padded(r, 1, V, 0, func(r *rand.Rand) float32 { return 0.2 + r.Float32() }).Data
			const R = 5
			h := padded(r, R, H, 1, binary)
			b := padded(r, 1, V, 0, normal).Data
			st := rng.NewStream(9, 1, 2)
			o1, o2, d1, d2 := kernel.NewMat(R, V), kernel.NewMat(R, V), kernel.NewMat(R, V), kernel.NewMat(R, V)
			p.Down(o1, h, 0, b, kernel.Linear, nil)
			kernel.ApplyUnits(o1, &u, &kernel.Sample{Dst: d1, Stream: st})
			pu.DownUnits(o2, h, 0, b, &u, &kernel.Sample{Dst: d2, Stream: st})
			if !floats.SameBits(o1.Data, o2.Data) || !floats.SameBits(d1.Data, d2.Data) {
				t.Fatalf("%s H=%d V=%d units=%d q=%d: packed DownUnits differs from packed Linear + ApplyUnits", k.Name(), H, V, u.Dist, u.States)
			}
			x := padded(r, R, V, 2, unit)
			uh := kernel.Units{Dist: kernel.Gaussian, Sigma: padded(r, 1, H, 0, unit).Data}
			o1, o2, d1, d2 = kernel.NewMat(R, H), kernel.NewMat(R, H), kernel.NewMat(R, H), kernel.NewMat(R, H)
			c := padded(r, 1, H, 0, normal).Data
			p.Up(o1, x, 0, c, kernel.Linear, nil)
			kernel.ApplyUnits(o1, &uh, &kernel.Sample{Dst: d1, Stream: st})
			pu.UpUnits(o2, x, 0, c, &uh, &kernel.Sample{Dst: d2, Stream: st})
			if !floats.SameBits(o1.Data, o2.Data) || !floats.SameBits(d1.Data, d2.Data) {
				t.Fatalf("%s H=%d V=%d: packed UpUnits differs from packed Linear + ApplyUnits", k.Name(), H, V)
			}
		}
	}
	if !tried {
		t.Logf("%s: its packed copies do not implement kernel.PackedUnits (the engine falls back)", k.Name())
	}
}
