package engine

import (
	"errors"
	"math"
	"testing"

	"github.com/boltzgo/boltz/rng"
)

// freeEnergy64 is F(v) = −bᵀv − Σ_i softplus(c_i + W_i·v) in float64, from
// the definition.
func freeEnergy64(m *RBM, v []float64) float64 {
	f := 0.0
	for j, x := range v {
		f -= float64(m.B[j]) * x
	}
	for i := 0; i < m.Hidden; i++ {
		a := float64(m.C[i])
		for j, x := range v {
			a += float64(m.W[i*m.Visible+j]) * x
		}
		f -= softplus(a)
	}
	return f
}

func TestPseudoLogLikelihoodMatchesDirect(t *testing.T) {
	for _, grey := range []bool{false, true} {
		m := aisModel(t, 30, 17, 0.6, 4, 2)
		const rows = 300 // more than one evaluation chunk
		v := make([]float32, rows*m.Visible)
		for i := range v {
			switch {
			case grey:
				v[i] = float32(i%7) / 6
			case (i*7919)%5 < 2:
				v[i] = 1
			}
		}
		got := make([]float32, rows)
		if err := m.PseudoLogLikelihood(got, v, 42); err != nil {
			t.Fatal(err)
		}
		st := rng.NewStream(42, 0, phasePLL)
		seen := map[int]bool{}
		for r := 0; r < rows; r++ {
			x := make([]float64, m.Visible)
			for j := range x {
				x[j] = float64(v[r*m.Visible+j])
			}
			j := pllUnit(st, r, m.Visible)
			seen[j] = true
			flipped := append([]float64(nil), x...)
			flipped[j] = 1 - flipped[j]
			d := freeEnergy64(m, flipped) - freeEnergy64(m, x)
			want := float64(m.Visible) * math.Log(1/(1+math.Exp(-d)))
			if math.Abs(float64(got[r])-want) > 1e-4*math.Max(1, math.Abs(want)) {
				t.Fatalf("grey=%v row %d: PLL %v, direct %v", grey, r, got[r], want)
			}
		}
		if len(seen) < m.Visible*3/4 {
			t.Errorf("only %d of %d units were ever flipped", len(seen), m.Visible)
		}
	}
}

func TestPseudoLogLikelihoodSeed(t *testing.T) {
	m := aisModel(t, 20, 9, 0.8, 1, 1)
	v := make([]float32, 50*20)
	for i := range v {
		v[i] = float32(i % 2)
	}
	a, b, c := make([]float32, 50), make([]float32, 50), make([]float32, 50)
	for _, d := range [][]float32{a, b} {
		if err := m.PseudoLogLikelihood(d, v, 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.PseudoLogLikelihood(c, v, 4); err != nil {
		t.Fatal(err)
	}
	same, diff := true, false
	for r := range a {
		same = same && a[r] == b[r]
		diff = diff || a[r] != c[r]
		if !(a[r] <= 0) {
			t.Errorf("row %d: PLL %v > 0", r, a[r])
		}
	}
	if !same || !diff {
		t.Errorf("same seed gives the same values: %v; another seed differs: %v", same, diff)
	}
	mean, err := m.MeanPseudoLogLikelihood(v, 3)
	if err != nil || math.Abs(mean-meanOf(a)) > 1e-9 {
		t.Errorf("mean %v (%v), want %v", mean, err, meanOf(a))
	}
	if err := m.PseudoLogLikelihood(make([]float32, 49), v, 3); !errors.Is(err, ErrShape) {
		t.Errorf("short dst: %v", err)
	}
	v[3] = 1.5
	if err := m.PseudoLogLikelihood(a, v, 3); !errors.Is(err, ErrValue) {
		t.Errorf("value 1.5: %v", err)
	}
}
