package engine

import (
	"context"
	"fmt"

	"github.com/boltzgo/boltz/rng"
)

// PseudoLogLikelihood sets dst[r] to the stochastic pseudo-log-likelihood of
// row r of v (R×V, values in [0, 1]) as scikit-learn's
// BernoulliRBM.score_samples defines it: one visible unit j, chosen at
// random for each row, is flipped (ṽ_j = 1 − v_j) and
//
//	PLL(v) = V · log σ(F(ṽ) − F(v))
//
// with F the free energy. It estimates Σ_j log p(v_j | v_−j), so it grows
// with the number of visible units V (scikit-learn issue #23179): compare it
// only between models of the same data. Unit j of row r is
// ⌊u·V/2³²⌋ for the 32-bit number u of rng.NewStream(seed, 0, ·) at
// (r, 0), so the same seed flips the same units on every call, like an
// integer random_state. Computed in float64 from the kernel's hidden
// pre-activations: F(ṽ) − F(v) = −b_j·δ − Σ_i [softplus(a_i + δ·W_ij) − softplus(a_i)]
// with a = Wv + c and δ = ṽ_j − v_j.
//
// It is defined for Bernoulli visible units only: for the other types it is
// an error wrapping ErrConfig.
func (m *RBM) PseudoLogLikelihood(dst, v []float32, seed uint64) error {
	if m.VisibleUnits != Bernoulli {
		return fmt.Errorf("%w: the pseudo-likelihood is defined for bernoulli visible units only, not %s", ErrConfig, m.VisibleUnits)
	}
	return m.infer(v, false, dst, 1, func(rows int, e *Engine) error { return m.pll(e, rows, dst, v, seed) })
}

// pll is PseudoLogLikelihood after the checks.
func (m *RBM) pll(e *Engine, rows int, dst, v []float32, seed uint64) error {
	return m.pllAt(e, rows, dst, v, seed, 0)
}

// pllAt is pll of rows row0, row0+1, ... of a larger data set: row r of v
// flips the unit of row row0+r.
func (m *RBM) pllAt(e *Engine, rows int, dst, v []float32, seed uint64, row0 int) error {
	st := rng.NewStream(seed, 0, phasePLL)
	V, H := m.Visible, m.Hidden
	return m.eachChunk(context.Background(), rows, func(r0, r1 int, a, _ []float32) {
		n := r1 - r0
		x := mat(v[r0*V:r1*V], n, V)
		pre := mat(a[:n*H], n, H)
		m.project(e, false, pre, x, Linear, nil)
		for r := 0; r < n; r++ {
			j := pllUnit(st, row0+r0+r, V)
			xr := x.Row(r)
			delta := 1 - 2*float64(xr[j])
			dF := -float64(m.B[j]) * delta
			for i, ai := range pre.Row(r) {
				a0 := float64(ai)
				dF -= softplus(a0+delta*float64(m.W[i*V+j])) - softplus(a0)
			}
			// V·log σ(dF) = −V·softplus(−dF)
			dst[r0+r] = float32(-float64(V) * softplus(-dF))
		}
	})
}

// pllUnit returns the visible unit PseudoLogLikelihood flips in row r,
// given the stream of its seed.
func pllUnit(st rng.Stream, r, visible int) int {
	return int(uint64(st.Uint32(r, 0)) * uint64(visible) >> 32)
}

// MeanPseudoLogLikelihood returns the mean of PseudoLogLikelihood over the
// rows of v.
func (m *RBM) MeanPseudoLogLikelihood(v []float32, seed uint64) (float64, error) {
	rows, err := m.rows(v, m.Visible)
	if err != nil {
		return 0, err
	}
	if rows == 0 {
		return 0, fmt.Errorf("%w: no rows", ErrShape)
	}
	buf := make([]float32, rows)
	if err := m.PseudoLogLikelihood(buf, v, seed); err != nil {
		return 0, err
	}
	return meanOf(buf), nil
}
