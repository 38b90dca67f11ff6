package engine

import (
	"context"
	"fmt"
)

// Per-row scores of a model: free energy and reconstruction cross-entropy
// (the training monitors; pseudo-likelihood is in pll.go, log Z in logz.go
// and ais.go).

// FreeEnergy sets dst[r] = F(v_r) = −bᵀv − Σ_i softplus(c_i + W_i·v) for the R
// rows of v, computed in float64 from the kernel's pre-activations. For
// Gaussian units F(v) = Σ_j (v_j−b_j)²/(2σ_j²) − Σ_i softplus(c_i + Σ_j W_ij v_j/σ_j²);
// categorical units have the Bernoulli form on their one-hot vectors.
func (m *RBM) FreeEnergy(dst, v []float32) error {
	return m.FreeEnergyContext(context.Background(), dst, v)
}

// FreeEnergyContext is FreeEnergy that checks ctx between blocks of rows and
// returns ctx's error when it is cancelled.
func (m *RBM) FreeEnergyContext(ctx context.Context, dst, v []float32) error {
	return m.infer(v, false, dst, 1, func(rows int, e *Engine) error {
		var scaled []float32
		return m.eachChunk(ctx, rows, func(r0, r1 int, a, _ []float32) {
			n := r1 - r0
			x := mat(v[r0*m.Visible:r1*m.Visible], n, m.Visible)
			pre := mat(a[:n*m.Hidden], n, m.Hidden)
			scaled = m.upInput(x.Data, scaled)
			m.project(e, false, pre, mat(scaled, n, m.Visible), Linear, nil)
			for r := 0; r < n; r++ {
				dst[r0+r] = float32(m.freeEnergyRow(x.Row(r), pre.Row(r)))
			}
		})
	})
}

// freeEnergyRow is F(v) given the hidden pre-activations a = Wv + c.
func (m *RBM) freeEnergyRow(v, a []float32) float64 {
	return m.minusHiddenLogSum(m.visibleEnergy(v), a)
}

// ReconstructionCrossEntropy sets dst[r] to the cross-entropy, in nats, of
// row r of v against its mean-field reconstruction: with h = p(h|v) (the
// hidden probabilities, no sampling) and a = Wᵀh + b the visible
// pre-activations,
//
//	CE(v) = −Σ_j [v_j log σ(a_j) + (1−v_j) log(1−σ(a_j))] = Σ_j softplus(a_j) − v_j a_j
//
// summed over the visible units. It is computed from a with softplus, so it is
// finite for any finite weights, even where σ(a_j) rounds to 0 or 1.
//
// Categorical units have the cross-entropy of their softmax instead,
// Σ_positions log Σ_s exp(a_{p,s}) − Σ_s v_{p,s} a_{p,s}; for Gaussian units it
// is an error wrapping ErrConfig (see ReconstructionError).
func (m *RBM) ReconstructionCrossEntropy(dst, v []float32) error {
	if m.VisibleUnits == Gaussian {
		return fmt.Errorf("%w: the reconstruction cross-entropy is not defined for gaussian visible units (ReconstructionError gives the squared error)", ErrConfig)
	}
	return m.ReconstructionError(dst, v)
}

// ReconstructionError sets dst[r] to the reconstruction error of row r of v
// that fits the visible units, from h = p(h|v) and a = Wᵀh + b: the
// cross-entropy (ReconstructionCrossEntropy) for Bernoulli and categorical
// units, the squared error Σ_j (v_j − a_j)² against the means for Gaussian
// ones.
func (m *RBM) ReconstructionError(dst, v []float32) error {
	return m.infer(v, false, dst, 1, func(rows int, e *Engine) error {
		var scaled []float32
		return m.eachChunk(context.Background(), rows, func(r0, r1 int, hb, vb []float32) {
			n := r1 - r0
			x := mat(v[r0*m.Visible:r1*m.Visible], n, m.Visible)
			h := mat(hb[:n*m.Hidden], n, m.Hidden)
			a := mat(vb[:n*m.Visible], n, m.Visible)
			scaled = m.upInput(x.Data, scaled)
			m.project(e, false, h, mat(scaled, n, m.Visible), Sigmoid, nil)
			m.project(e, true, a, h, Linear, nil)
			for r := 0; r < n; r++ {
				dst[r0+r] = float32(m.reconError(x.Row(r), a.Row(r)))
			}
		})
	})
}

// crossEntropyRow is Σ_j softplus(a_j) − v_j a_j.
func crossEntropyRow(v, a []float32) float64 {
	var ce float64
	for j, aj := range a {
		ce += softplus(float64(aj)) - float64(v[j])*float64(aj)
	}
	return ce
}
