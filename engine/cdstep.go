package engine

import (
	"fmt"

	"github.com/boltzgo/boltz/rng"
)

// The CD step: the hot path of training. Fit and the online API call
// cdStep once a minibatch; it runs a handful of parallel phases on the pool
// (up, k×(down, up), update) and allocates nothing.

// Step performs one CD-k (or PCD-k) update with the minibatch batch (R×V,
// 1 ≤ R ≤ BatchSize, values in [0, 1]): the online API. It allocates nothing.
func (t *Trainer) Step(batch []float32) error {
	rows, err := t.m.rows(batch, t.m.Visible)
	if err != nil {
		return err
	}
	if rows < 1 || rows > t.cfg.BatchSize {
		return fmt.Errorf("%w: batch of %d rows, want 1..%d", ErrShape, rows, t.cfg.BatchSize)
	}
	if err := checkUnit(batch, t.m.Visible); err != nil {
		return err
	}
	t.m.mu.Lock() // inference on the model waits for the step
	t.cdStep(mat(batch, rows, t.m.Visible))
	t.m.mu.Unlock()
	return nil
}

// run executes one projection phase on the pool with the trainer's reusable
// phase descriptor.
func (t *Trainer) run(down bool, out, in Mat, act Act, s *Sample) {
	p := t.up
	p.k, p.down, p.update, p.out, p.in, p.w, p.act = t.eng.kernel, down, false, out, in, t.m.weights(), act
	p.bias = t.m.C
	if down {
		p.bias = t.m.B
	}
	p.sample = s != nil
	if s != nil {
		p.s = *s
	}
	p.goOn(t.eng.pool)
}

// cdStep is one CD-k / PCD-k step on the batch v0 (R×V).
func (t *Trainer) cdStep(v0 Mat) {
	m, cfg := t.m, t.cfg
	R := v0.Rows
	key := rng.Key(cfg.Seed)
	stream := func(phase uint32) rng.Stream { return rng.Stream{Key: key, Step: uint32(t.step), Phase: phase} }

	ph0, sh0 := t.ph0.RowSlice(0, R), t.sh0.RowSlice(0, R)
	t.run(false, ph0, v0, Sigmoid, &Sample{Dst: sh0, Stream: stream(phaseTrain)})

	// Negative phase.
	h := sh0
	n := R
	if cfg.PCD {
		h = t.chains
		n = t.chains.Rows
	}
	pv, vs, ph1 := t.pv.RowSlice(0, n), t.vs.RowSlice(0, n), t.ph1.RowSlice(0, n)
	hout := t.hs.RowSlice(0, n)
	if cfg.PCD {
		hout = t.chains // the last hidden sample becomes the new chain state
	}
	var vneg Mat
	for k := 1; k <= cfg.K; k++ {
		last := k == cfg.K
		var sv, sh *Sample
		if !last || cfg.PCD {
			sv = &Sample{Dst: vs, Stream: stream(uint32(phaseTrain + 2*k - 1))}
			sh = &Sample{Dst: hs(t, n, last, hout), Stream: stream(uint32(phaseTrain + 2*k))}
		}
		t.run(true, pv, h, Sigmoid, sv)
		vneg = pv
		if sv != nil {
			vneg = vs
		}
		t.run(false, ph1, vneg, Sigmoid, sh)
		if sh != nil {
			h = sh.Dst
		}
	}

	if cfg.SparsityTarget > 0 {
		t.sparsity(ph0)
	}

	// Biases (serial: O(R·(V+H)), negligible), then the fused weight update.
	lr := float32(cfg.LearningRate)
	mom := t.momentum()
	colMeanDiff(t.sumB, v0, vneg)
	for j := range t.velB {
		t.velB[j] = mom*t.velB[j] + lr*float32(t.sumB[j])
		m.B[j] += t.velB[j]
	}
	colMeanDiff(t.sumC, ph0, ph1)
	for i := range t.velC {
		t.velC[i] = mom*t.velC[i] + lr*float32(t.sumC[i])
		m.C[i] += t.velC[i]
	}
	t.upd = Update{PosH: ph0, PosV: v0, NegH: ph1, NegV: vneg,
		PosScale: lr / float32(R), NegScale: lr / float32(n),
		Momentum: mom, Decay: lr * float32(cfg.WeightDecay), Vel: t.vel}
	p := t.up
	p.k, p.update, p.w, p.u = t.eng.kernel, true, m.weights(), &t.upd
	p.goOn(t.eng.pool)
	p.update, p.u = false, nil
	t.step++
}

// hs returns where the hidden sample of a Gibbs step goes: the persistent
// chains at PCD's last step, the scratch states otherwise.
func hs(t *Trainer, n int, last bool, hout Mat) Mat {
	if last {
		return hout
	}
	return t.hs.RowSlice(0, n)
}

// colMeanDiff sets d[j] = mean_r a[r,j] − mean_r b[r,j], summing rows in
// order (so the result does not depend on the worker count).
func colMeanDiff(d []float64, a, b Mat) {
	for j := range d {
		d[j] = 0
	}
	sa, sb := 1/float64(a.Rows), 1/float64(b.Rows)
	for r := 0; r < a.Rows; r++ {
		for j, x := range a.Row(r) {
			d[j] += sa * float64(x)
		}
	}
	for r := 0; r < b.Rows; r++ {
		for j, x := range b.Row(r) {
			d[j] -= sb * float64(x)
		}
	}
}

// sparsity updates the moving average q of the hidden probabilities and
// shifts the positive statistics by cost·(target − q).
func (t *Trainer) sparsity(ph0 Mat) {
	cfg := t.cfg
	d := float32(cfg.SparsityDecay)
	for i := range t.q {
		var s float64
		for r := 0; r < ph0.Rows; r++ {
			s += float64(ph0.Row(r)[i])
		}
		t.q[i] = d*t.q[i] + (1-d)*float32(s/float64(ph0.Rows))
	}
	for r := 0; r < ph0.Rows; r++ {
		row := ph0.Row(r)
		for i := range row {
			row[i] += float32(cfg.SparsityCost) * (float32(cfg.SparsityTarget) - t.q[i])
		}
	}
}
