package engine

import (
	"math"
	"testing"
)

// TestPyDeepGaussianBinary reproduces the values of PyDeep's 2×2
// Gaussian-binary RBM test (pydeep/testunits/test_rbm/test_model.py in
// MelJan/PyDeep, Test_GaussianBinaryRBM and Test_GaussianBinaryVarianceRBM):
// the same parameters (PyDeep stores W as V×H; ours is its transpose), σ = 1,
// and its expected conditionals, energies, unnormalised log-probabilities
// and σ gradient, to PyDeep's tolerance of 1e-5 (relative for the large
// values).
func TestPyDeepGaussianBinary(t *testing.T) {
	for _, k := range builtinKernels(t) {
		m := &RBM{Visible: 2, Hidden: 2,
			W: []float32{0.12179488, 0.20318085, 2.95950177, -28.62372894}, // W[i][j] = PyDeep w[j][i]
			B: []float32{-19.24399659, -13.26258696},
			C: []float32{-0.11155958, 57.02097584}}
		m.SetEngine(testEngine(t, k, 2))
		if err := m.SetVisibleUnits(Gaussian, 0); err != nil {
			t.Fatal(err)
		}
		near := func(what string, got, want float64) {
			t.Helper()
			if !relClose(got, want, 1e-5) {
				t.Errorf("%s: %s = %v, PyDeep %v", k.Name(), what, got, want)
			}
		}
		// probability_v_given_h: the means for h = 00, 10, 01, 11.
		hs := []float32{0, 0, 1, 0, 0, 1, 1, 1}
		means := []float64{-19.24399659, -13.26258696, -19.12220171, -13.05940611, -16.28449482, -41.8863159, -16.16269994, -41.68313505}
		got := make([]float32, 8)
		if err := m.VisibleProbs(got, hs); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			near("E[v|h]", float64(got[i]), means[i])
		}
		// probability_h_given_v of those means.
		ph := make([]float32, 8)
		if err := m.HiddenProbs(ph, toF32(means)); err != nil {
			t.Fatal(err)
		}
		for i, want := range []float64{5.76548674e-03, 1, 6.09624677e-03, 1, 2.47805937e-05, 1, 2.62109132e-05, 1} {
			if math.Abs(float64(ph[i])-want) > 1e-5*math.Max(1e-3, want) {
				t.Errorf("%s: p(h|v)[%d] = %v, PyDeep %v", k.Name(), i, ph[i], want)
			}
		}
		v := []float32{0.98, -0.56, -0.3, 0.8}
		// unnormalized_log_probability_v = −F(v).
		fe := make([]float32, 2)
		if err := m.FreeEnergy(fe, v); err != nil {
			t.Fatal(err)
		}
		near("−F(v0)", -float64(fe[0]), -208.59074139)
		near("−F(v1)", -float64(fe[1]), -244.38114066)
		// unnormalized_log_probability_h = cᵀh + the visible units integrated
		// out (what LogZExact sums over h).
		for n, c := range []struct {
			h    []float32
			want float64
		}{{[]float32{0, 1}, 795.5691597}, {[]float32{1, 1}, 784.99179299}} {
			a := make([]float32, 2)
			m.down(mustEngine(t, m), a, c.h, 1, Linear, nil)
			lp := m.visibleLogSum(a) + float64(m.C[0]*c.h[0]+m.C[1]*c.h[1])
			near("log p*(h"+string(rune('0'+n))+")", lp, c.want)
		}
		// energy (the definition, E(v,h) of ref).
		r := refOf(m)
		near("E(v0, 01)", r.energy(f64(v[:2]), []float64{0, 1}), 209.23230099)
		near("E(v1, 11)", r.energy(f64(v[2:]), []float64{1, 1}), 245.06709061)
		// _calculate_sigma_gradient(v, h) of the variance RBM: Σ_rows ∂(−E)/∂σ_j,
		// = Σ_rows (2/σ_j)·∂(−E)/∂z_j, from the trainer's σ step.
		cfg := DefaultConfig()
		cfg.BatchSize, cfg.LearnSigma, cfg.SigmaLR = 2, true, 1
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if tr.pk != nil { // as a step does first
			tr.eng.pool.Run(m.Hidden, tr.grain.Cols, tr.packFn)
		}
		none := NewMat(0, 2)
		dz := tr.sigmaGradient(mat(v, 2, 2), mat([]float32{0, 1, 1, 1}, 2, 2), none, none)
		for j, want := range []float64{763.9331994, 372.52636802} {
			near("∂/∂σ", 2*2*dz[j]/float64(m.Sigma[j]), want)
		}
	}
}

func mustEngine(t *testing.T, m *RBM) *Engine {
	t.Helper()
	e, err := m.Engine()
	if err != nil {
		t.Fatal(err)
	}
	return e
}
