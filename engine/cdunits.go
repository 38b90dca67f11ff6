package engine

import (
	"fmt"
	"math"

	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// The CD step of visible units other than Bernoulli. It has the phases of
// cdStep (cdstep.go, which stays the Bernoulli hot path) with the units'
// write-back in the down projections, and for Gaussian units the up
// projections and the update read v/σ²:
//
//   - W: PosScale·Σ ph0·(v/σ²) − NegScale·Σ ph1·(v⁻/σ²), the gradient
//     ⟨h_i v_j/σ_j²⟩_data − ⟨h_i v_j/σ_j²⟩_model scaled by lr;
//   - b: the bias steps of kernel.BiasSteps over the same v/σ² rows, which
//     is lr·(mean((v−b)/σ²)_data − mean((v−b)/σ²)_model) (the b/σ² terms
//     cancel);
//   - c: as for Bernoulli units;
//   - the negative phase samples the Gaussian visible units at every Gibbs
//     step, the last one of CD-k included (where Bernoulli units use their
//     probabilities): the statistics of z are quadratic in v, and the
//     means alone, without their noise, would bias σ upwards;
//   - z = log σ² (with LearnSigma): z_j += SigmaLR·(mean_data − mean_model)
//     of −∂E/∂z_j = (v_j−b_j)²/(2σ_j²) − v_j (Wᵀh)_j/σ_j², h the hidden
//     probabilities, from the parameters before the step; then
//     σ_j = max(exp(z_j/2), SigmaFloor).
//
// Categorical units train exactly as Bernoulli ones on their one-hot
// vectors, with softmax probabilities and one-hot samples in the negative
// phase.

// initUnits checks the configuration against the model's units and makes
// the buffers of Gaussian units.
func (t *Trainer) initUnits() error {
	m, cfg := t.m, t.cfg
	if cfg.LearnSigma && m.VisibleUnits != Gaussian {
		return fmt.Errorf("%w: σ is learned for gaussian visible units only, the model's are %s", ErrConfig, m.VisibleUnits)
	}
	if m.VisibleUnits != Gaussian {
		return nil
	}
	V, N := m.Visible, t.pv.Rows
	t.xs0, t.xs1 = NewMat(cfg.BatchSize, V), NewMat(N, V)
	if cfg.LearnSigma {
		t.a0, t.a1 = NewMat(cfg.BatchSize, V), NewMat(N, V)
		t.dz = make([]float64, V)
	}
	return nil
}

// cdStepUnits is cdStep for Gaussian and categorical visible units.
func (t *Trainer) cdStepUnits(v0 Mat) {
	m, cfg := t.m, t.cfg
	R := v0.Rows
	key := rng.Key(cfg.Seed)
	stream := func(phase uint32) rng.Stream { return rng.Stream{Key: key, Step: uint32(t.step), Phase: phase} }
	if t.pk != nil && !t.pkCurrent {
		t.eng.pool.Run(m.Hidden, t.grain.Cols, t.packFn)
	}
	gauss := m.VisibleUnits == Gaussian
	t.units = kernel.Units{Dist: kernel.Categorical, States: m.States}
	if gauss {
		t.units = kernel.Units{Dist: kernel.Gaussian, Sigma: m.Sigma}
	}
	units := &t.units

	// upIn is what the up projection reads for visible rows x: x, or x/σ²
	// into buf.
	upIn := func(x, buf Mat) Mat {
		if !gauss {
			return x
		}
		b := buf.RowSlice(0, x.Rows)
		for r := 0; r < x.Rows; r++ {
			scaleByVariance(b.Row(r), x.Row(r), m.Sigma)
		}
		return b
	}

	ph0, sh0 := t.ph0.RowSlice(0, R), t.sh0.RowSlice(0, R)
	xs0 := upIn(v0, t.xs0)
	t.runUnitsProj(false, ph0, xs0, m.hiddenUnits(), &Sample{Dst: sh0, Stream: stream(phaseTrain)})

	h := sh0
	n := R
	if cfg.PCD {
		h = t.chains
		n = t.chains.Rows
	}
	pv, vs, ph1 := t.pv.RowSlice(0, n), t.vs.RowSlice(0, n), t.ph1.RowSlice(0, n)
	hout := t.hs.RowSlice(0, n)
	if cfg.PCD {
		hout = t.chains
	}
	var vneg, xs1 Mat
	for k := 1; k <= cfg.K; k++ {
		last := k == cfg.K
		var sv, sh *Sample
		if !last || cfg.PCD {
			sv = &Sample{Dst: vs, Stream: stream(uint32(phaseTrain + 2*k - 1))}
			sh = &Sample{Dst: hs(t, n, last, hout), Stream: stream(uint32(phaseTrain + 2*k))}
		} else if gauss {
			sv = &Sample{Dst: vs, Stream: stream(uint32(phaseTrain + 2*k - 1))}
		}
		t.runUnitsProj(true, pv, h, units, sv)
		vneg = pv
		if sv != nil {
			vneg = vs
		}
		xs1 = upIn(vneg, t.xs1)
		t.runUnitsProj(false, ph1, xs1, m.hiddenUnits(), sh)
		if sh != nil {
			h = sh.Dst
		}
	}

	if cfg.SparsityTarget > 0 {
		t.sparsity(ph0)
	}
	var dz []float64
	if gauss && cfg.LearnSigma {
		dz = t.sigmaGradient(v0, ph0, vneg, ph1)
	}

	lr := float32(t.learningRate())
	t.upd = Update{PosH: ph0, PosV: xs0, NegH: ph1, NegV: xs1,
		PosScale: lr / float32(R), NegScale: lr / float32(n),
		Momentum: t.momentum(), Decay: lr * float32(cfg.WeightDecay), Vel: t.vel}
	if t.updFn == nil {
		t.updFn = t.updatePart
	}
	t.updParts = t.eng.pool.Parts(m.Hidden, t.grain.Cols)
	t.eng.pool.Run(m.Hidden, t.grain.Cols, t.updFn)
	t.pkCurrent = t.pk != nil && t.keepPacked
	if dz != nil {
		floor := cfg.sigmaFloor()
		for j, d := range dz {
			s := float64(m.Sigma[j])
			z := math.Log(s*s) + d
			m.Sigma[j] = float32(math.Max(math.Exp(z/2), floor))
		}
	}
	t.step++
}

// runUnitsProj runs a projection with the write-back of the units u (nil:
// Bernoulli, the sigmoid).
func (t *Trainer) runUnitsProj(down bool, out, in Mat, u *kernel.Units, s *Sample) {
	p := t.up
	p.down, p.out, p.in, p.w, p.act = down, out, in, t.m.weights(), Sigmoid
	p.pk = t.pk
	p.bias = t.m.C
	if down {
		p.bias = t.m.B
	}
	p.units = u
	p.sample = s != nil
	if s != nil {
		p.s = *s
	}
	p.goOn(t.eng.pool)
	p.units = nil
}

// sigmaGradient returns the step of z = log σ² (see the file comment): the
// visible pre-activations of both phases through the kernel, then float64
// sums over the rows in order, so the result depends on no split.
func (t *Trainer) sigmaGradient(v0, ph0, vneg, ph1 Mat) []float64 {
	m, cfg := t.m, t.cfg
	a0, a1 := t.a0.RowSlice(0, v0.Rows), t.a1.RowSlice(0, vneg.Rows)
	t.run(true, a0, ph0, Linear, nil)
	t.run(true, a1, ph1, Linear, nil)
	V := m.Visible
	dz := t.dz
	clear(dz)
	acc := func(v, a Mat, sign float64) {
		scale := sign / float64(v.Rows)
		for r := 0; r < v.Rows; r++ {
			vr, ar := v.Row(r), a.Row(r)
			for j := 0; j < V; j++ {
				s2 := float64(m.Sigma[j]) * float64(m.Sigma[j])
				b := float64(m.B[j])
				x := float64(vr[j])
				u := float64(ar[j]) - b
				dz[j] += scale * ((x-b)*(x-b)/(2*s2) - x*u/s2)
			}
		}
	}
	acc(v0, a0, 1)
	acc(vneg, a1, -1)
	lr := cfg.sigmaLR()
	for j := range dz {
		dz[j] *= lr
	}
	return dz
}
