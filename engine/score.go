package engine

import "context"

// Per-row scores of a model: free energy and reconstruction cross-entropy
// (the training monitors; pseudo-likelihood is in pll.go, log Z in logz.go
// and ais.go).

// FreeEnergy sets dst[r] = F(v_r) = −bᵀv − Σ_i softplus(c_i + W_i·v) for the R
// rows of v, computed in float64 from the kernel's pre-activations.
func (m *RBM) FreeEnergy(dst, v []float32) error {
	return m.FreeEnergyContext(context.Background(), dst, v)
}

// FreeEnergyContext is FreeEnergy that checks ctx between blocks of rows and
// returns ctx's error when it is cancelled.
func (m *RBM) FreeEnergyContext(ctx context.Context, dst, v []float32) error {
	return m.infer(v, false, dst, 1, func(rows int, e *Engine) error {
		return m.eachChunk(ctx, rows, func(r0, r1 int, a, _ []float32) {
			n := r1 - r0
			x := mat(v[r0*m.Visible:r1*m.Visible], n, m.Visible)
			pre := mat(a[:n*m.Hidden], n, m.Hidden)
			m.project(e, false, pre, x, Linear, nil)
			for r := 0; r < n; r++ {
				dst[r0+r] = float32(m.freeEnergyRow(x.Row(r), pre.Row(r)))
			}
		})
	})
}

// freeEnergyRow is F(v) given the hidden pre-activations a = Wv + c.
func (m *RBM) freeEnergyRow(v, a []float32) float64 {
	var f float64
	for j, x := range v {
		f -= float64(m.B[j]) * float64(x)
	}
	for _, ai := range a {
		f -= softplus(float64(ai))
	}
	return f
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
func (m *RBM) ReconstructionCrossEntropy(dst, v []float32) error {
	return m.infer(v, false, dst, 1, func(rows int, e *Engine) error {
		return m.eachChunk(context.Background(), rows, func(r0, r1 int, hb, vb []float32) {
			n := r1 - r0
			x := mat(v[r0*m.Visible:r1*m.Visible], n, m.Visible)
			h := mat(hb[:n*m.Hidden], n, m.Hidden)
			a := mat(vb[:n*m.Visible], n, m.Visible)
			m.project(e, false, h, x, Sigmoid, nil)
			m.project(e, true, a, h, Linear, nil)
			for r := 0; r < n; r++ {
				dst[r0+r] = float32(crossEntropyRow(x.Row(r), a.Row(r)))
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
