package kernel

import (
	"math"
	"testing"

	"github.com/boltzgo/boltz/rng"
)

// TestApplyUnitsCategorical checks the softmax against float64 and the
// inverse-CDF states against the probabilities over many rows.
func TestApplyUnitsCategorical(t *testing.T) {
	const q, groups, rows = 4, 3, 40000
	logits := []float32{0.5, -1, 2, 0, 3, 3, -2, 1, -50, 10, 9.5, 0}
	u := &Units{Dist: Categorical, States: q}
	out := NewMat(rows, q*groups)
	dst := NewMat(rows, q*groups)
	for r := 0; r < rows; r++ {
		copy(out.Row(r), logits)
	}
	ApplyUnits(out, u, &Sample{Dst: dst, Stream: rng.NewStream(3, 1, 2)})
	counts := make([]float64, q*groups)
	for r := 0; r < rows; r++ {
		for g := 0; g < groups; g++ {
			ones := 0
			for s := 0; s < q; s++ {
				switch x := dst.Row(r)[g*q+s]; x {
				case 1:
					ones++
					counts[g*q+s]++
				case 0:
				default:
					t.Fatalf("row %d unit %d: state %v", r, g*q+s, x)
				}
			}
			if ones != 1 {
				t.Fatalf("row %d group %d: %d ones, want one-hot", r, g, ones)
			}
		}
	}
	for g := 0; g < groups; g++ {
		m := math.Inf(-1)
		for _, a := range logits[g*q : g*q+q] {
			m = math.Max(m, float64(a))
		}
		var z float64
		for _, a := range logits[g*q : g*q+q] {
			z += math.Exp(float64(a) - m)
		}
		for s := 0; s < q; s++ {
			p := math.Exp(float64(logits[g*q+s])-m) / z
			if got := float64(out.Row(7)[g*q+s]); math.Abs(got-p) > 1e-6 {
				t.Errorf("group %d state %d: softmax %v, want %v", g, s, got, p)
			}
			f := counts[g*q+s] / rows
			if math.Abs(f-p) > 4*math.Sqrt(p*(1-p)/rows)+1e-9 {
				t.Errorf("group %d state %d: drawn with frequency %v, probability %v", g, s, f, p)
			}
		}
	}
}

// TestApplyUnitsGaussian checks the Gaussian states against the definition
// (mean + σ·Normal of the unit's own stream position) and that the means stay.
func TestApplyUnitsGaussian(t *testing.T) {
	out := NewMat(3, 5)
	for i := range out.Data {
		out.Data[i] = float32(i) - 4
	}
	mean := append([]float32(nil), out.Data...)
	sigma := []float32{0.5, 1, 2, 0.1, 3}
	st := rng.NewStream(5, 2, 9)
	dst := NewMat(3, 5)
	ApplyUnits(out, &Units{Dist: Gaussian, Sigma: sigma}, &Sample{Dst: dst, Stream: st, Row0: 10, Col0: 20})
	for r := 0; r < 3; r++ {
		for j := 0; j < 5; j++ {
			if out.Row(r)[j] != mean[r*5+j] {
				t.Fatalf("mean [%d,%d] changed", r, j)
			}
			want := mean[r*5+j] + sigma[j]*float32(st.Normal(10+r, 20+j))
			if dst.Row(r)[j] != want {
				t.Fatalf("sample [%d,%d] = %v, want %v", r, j, dst.Row(r)[j], want)
			}
		}
	}
}
