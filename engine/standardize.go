package engine

import (
	"fmt"
	"math"

	gmat "gonum.org/v1/gonum/mat"
)

// Standardization is the preprocessing of real-valued data that a model
// stores with itself, so that the data it is later given are treated as its
// training data were: y = (x − Mean) ⊙ Scale, then y ← Whitening·y when
// Whitening (V×V, row-major) is set. Standardize uses Scale = 1/std per
// feature and no Whitening; ZCA whitening uses Scale = 1 and the ZCA matrix
// E·diag(1/√(λ+ε))·Eᵀ of the covariance.
type Standardization struct {
	Mean, Scale []float32
	Whitening   []float32
}

// zcaEpsilon regularises the eigenvalues of ZCA whitening (the data are
// rescaled to unit total variance per feature on average first, so it is
// relative).
const zcaEpsilon = 1e-5

// FitStandardization returns the per-feature standardisation of data
// (rows×cols), or ZCA whitening with whiten. A constant feature gets scale 1.
// The statistics are float64.
func FitStandardization(data []float32, cols int, whiten bool) (*Standardization, error) {
	if cols <= 0 || len(data)%cols != 0 || len(data) == 0 {
		return nil, fmt.Errorf("%w: %d values is not a whole, non-zero number of rows of %d", ErrShape, len(data), cols)
	}
	if i := firstNonFinite(data); i >= 0 {
		return nil, fmt.Errorf("%w: row %d column %d is %v", ErrValue, i/cols, i%cols, data[i])
	}
	rows := len(data) / cols
	n := float64(rows)
	mean := make([]float64, cols)
	for r := 0; r < rows; r++ {
		for j, x := range data[r*cols : (r+1)*cols] {
			mean[j] += float64(x)
		}
	}
	for j := range mean {
		mean[j] /= n
	}
	st := &Standardization{Mean: make([]float32, cols), Scale: make([]float32, cols)}
	for j, m := range mean {
		st.Mean[j] = float32(m)
	}
	if !whiten {
		for j := range st.Scale {
			var v float64
			for r := 0; r < rows; r++ {
				d := float64(data[r*cols+j]) - mean[j]
				v += d * d
			}
			sd := math.Sqrt(v / n)
			st.Scale[j] = 1
			if sd > 0 {
				st.Scale[j] = float32(1 / sd)
			}
		}
		return st, nil
	}
	if cols > 4096 {
		return nil, fmt.Errorf("%w: ZCA whitening of %d features is too large (at most 4096)", ErrConfig, cols)
	}
	cov := gmat.NewSymDense(cols, nil)
	d := make([]float64, cols)
	for r := 0; r < rows; r++ {
		for j, x := range data[r*cols : (r+1)*cols] {
			d[j] = float64(x) - mean[j]
		}
		for a := 0; a < cols; a++ {
			for b := a; b < cols; b++ {
				cov.SetSym(a, b, cov.At(a, b)+d[a]*d[b])
			}
		}
	}
	cov.ScaleSym(1/n, cov)
	var tr float64
	for j := 0; j < cols; j++ {
		tr += cov.At(j, j)
	}
	eps := zcaEpsilon * math.Max(tr/float64(cols), 1e-300)
	var eig gmat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, fmt.Errorf("%w: the covariance of the data could not be factorised for whitening", ErrValue)
	}
	vals := eig.Values(nil)
	var vec gmat.Dense
	eig.VectorsTo(&vec)
	st.Whitening = make([]float32, cols*cols)
	for a := 0; a < cols; a++ {
		st.Scale[a] = 1
		for b := 0; b < cols; b++ {
			var s float64
			for k, l := range vals {
				s += vec.At(a, k) * vec.At(b, k) / math.Sqrt(math.Max(l, 0)+eps)
			}
			st.Whitening[a*cols+b] = float32(s)
		}
	}
	return st, nil
}

// Apply returns the standardised copy of x (rows of len(Mean) values).
func (s *Standardization) Apply(x []float32) ([]float32, error) {
	V := len(s.Mean)
	if V == 0 || len(x)%V != 0 {
		return nil, fmt.Errorf("%w: %d values is not a whole number of rows of %d", ErrShape, len(x), V)
	}
	if i := firstNonFinite(x); i >= 0 {
		return nil, fmt.Errorf("%w: row %d column %d is %v", ErrValue, i/V, i%V, x[i])
	}
	out := make([]float32, len(x))
	y := make([]float64, V)
	for r := 0; r+V <= len(x); r += V {
		for j, v := range x[r : r+V] {
			y[j] = (float64(v) - float64(s.Mean[j])) * float64(s.Scale[j])
		}
		o := out[r : r+V]
		if s.Whitening == nil {
			for j, v := range y {
				o[j] = float32(v)
			}
			continue
		}
		for a := range o {
			var t float64
			for b, v := range y {
				t += float64(s.Whitening[a*V+b]) * v
			}
			o[a] = float32(t)
		}
	}
	return out, nil
}

func (s *Standardization) validate(V int) error {
	if len(s.Mean) != V || len(s.Scale) != V || s.Whitening != nil && len(s.Whitening) != V*V {
		return fmt.Errorf("%w: input standardisation of %d means, %d scales, %d whitening values for %d visible units",
			ErrShape, len(s.Mean), len(s.Scale), len(s.Whitening), V)
	}
	for name, p := range map[string][]float32{"input mean": s.Mean, "input scale": s.Scale, "input whitening": s.Whitening} {
		if i := firstNonFinite(p); i >= 0 {
			return fmt.Errorf("%w: %s[%d] = %v", ErrValue, name, i, p[i])
		}
	}
	for j, x := range s.Scale {
		if x == 0 {
			return fmt.Errorf("%w: input scale[%d] = 0", ErrValue, j)
		}
	}
	return nil
}

func (s *Standardization) clone() *Standardization {
	if s == nil {
		return nil
	}
	return &Standardization{Mean: cloneOrNil(s.Mean), Scale: cloneOrNil(s.Scale), Whitening: cloneOrNil(s.Whitening)}
}
