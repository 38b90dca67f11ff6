package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

type bare struct{}

func (bare) Name() string                                      { return "bare" }
func (bare) Up(out, x, w Mat, c []float32, a Act, s *Sample)   {}
func (bare) Down(out, h, w Mat, b []float32, a Act, s *Sample) {}
func (bare) Update(w Mat, u *Update, i0, i1 int)               {}

type tiled struct{ bare }

func (tiled) Grain() Grain { return Grain{Rows: 0, Cols: 8} }

func TestGrainOf(t *testing.T) {
	if g := GrainOf(bare{}); g != (Grain{1, 1}) {
		t.Errorf("GrainOf(a kernel without Geometry) = %+v, want {1 1}", g)
	}
	if g := GrainOf(tiled{}); g != (Grain{1, 8}) {
		t.Errorf("GrainOf(tiled) = %+v, want {1 8} (rows raised to 1)", g)
	}
}

func randMat(r *rand.Rand, rows, cols, pad int) Mat {
	m := Mat{Rows: rows, Cols: cols, Stride: cols + pad, Data: make([]float32, rows*(cols+pad))}
	for i := range m.Data {
		m.Data[i] = float32(math.NaN()) // padding must never be read
	}
	for i := 0; i < rows; i++ {
		for j := range m.Row(i) {
			m.Row(i)[j] = r.Float32()
		}
	}
	return m
}

// TestBiasSteps checks the reference bias steps against float64 sums, and
// that they touch only the ranges asked for.
func TestBiasSteps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][4]int{{1, 1, 1, 0}, {7, 130, 5, 3}, {200, 70, 0, 4}, {65, 64, 9, 9}} {
		H, V, B, C := sh[0], sh[1], sh[2], sh[3]
		u := &Update{PosH: randMat(r, B, H, 1), PosV: randMat(r, B, V, 2), NegH: randMat(r, C, H, 3), NegV: randMat(r, C, V, 0),
			PosScale: 0.1, NegScale: 0.3, Momentum: 0.6}
		bs := &BiasStep{C: make([]float32, H), VelC: make([]float32, H), B: make([]float32, V), VelB: make([]float32, V),
			J0: V / 3, J1: V - V/5}
		for i := range bs.VelC {
			bs.VelC[i], bs.C[i] = r.Float32(), r.Float32()
		}
		for j := range bs.VelB {
			bs.VelB[j], bs.B[j] = r.Float32(), r.Float32()
		}
		c0, vc0 := append([]float32(nil), bs.C...), append([]float32(nil), bs.VelC...)
		b0, vb0 := append([]float32(nil), bs.B...), append([]float32(nil), bs.VelB...)
		i0, i1 := H/4, H-H/3
		BiasSteps(u, bs, i0, i1)
		check := func(name string, bias, vel, bias0, vel0 []float32, lo, hi int, pos, neg Mat) {
			for j := range bias {
				if j < lo || j >= hi {
					if bias[j] != bias0[j] || vel[j] != vel0[j] {
						t.Fatalf("%s[%d] outside [%d,%d) changed", name, j, lo, hi)
					}
					continue
				}
				want := float64(u.Momentum) * float64(vel0[j])
				for k := 0; k < pos.Rows; k++ {
					want += float64(u.PosScale) * float64(pos.Row(k)[j])
				}
				for k := 0; k < neg.Rows; k++ {
					want -= float64(u.NegScale) * float64(neg.Row(k)[j])
				}
				tol := float64(B+C+2) * 0x1p-23 * (math.Abs(want) + float64(B+C))
				if math.Abs(float64(vel[j])-want) > tol {
					t.Fatalf("%s velocity [%d] = %v, want %v", name, j, vel[j], want)
				}
				if got := float64(bias[j]); math.Abs(got-(float64(bias0[j])+float64(vel[j]))) > 0x1p-23*math.Abs(got)+1e-30 {
					t.Fatalf("%s[%d] = %v, want %v + %v", name, j, bias[j], bias0[j], vel[j])
				}
			}
		}
		check("c", bs.C, bs.VelC, c0, vc0, i0, i1, u.PosH, u.NegH)
		check("b", bs.B, bs.VelB, b0, vb0, bs.J0, bs.J1, u.PosV, u.NegV)
	}
}
