package engine

import (
	"fmt"

	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/pool"
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
	if err := t.m.checkTraining(batch); err != nil {
		return err
	}
	t.pkCurrent = false // the caller may have changed W since the last step
	t.m.mu.Lock()       // inference on the model waits for the step
	t.cdStep(mat(batch, rows, t.m.Visible))
	t.m.mu.Unlock()
	return nil
}

// run executes one projection phase on the pool with the trainer's reusable
// phase descriptor.
func (t *Trainer) run(down bool, out, in Mat, act Act, s *Sample) {
	p := t.up
	p.down, p.out, p.in, p.w, p.act = down, out, in, t.m.weights(), act
	p.pk = t.pk
	p.bias = t.m.C
	if down {
		p.bias = t.m.B
	}
	p.units = nil
	p.sample = s != nil
	if s != nil {
		p.s = *s
	}
	p.bin = binaryInput(&t.binList, t.eng.pool, p, 1)
	p.goOn(t.eng.pool)
}

// cdStep is one CD-k / PCD-k step on the batch v0 (R×V).
func (t *Trainer) cdStep(v0 Mat) {
	m, cfg := t.m, t.cfg
	if m.VisibleUnits != Bernoulli || m.hiddenUnits() != nil {
		t.cdStepUnits(v0)
		return
	}
	R := v0.Rows
	key := rng.Key(cfg.Seed)
	stream := func(phase uint32) rng.Stream { return rng.Stream{Key: key, Step: uint32(t.step), Phase: phase} }
	if t.pk != nil && !t.pkCurrent {
		t.eng.pool.Run(m.Hidden, t.grain.Cols, t.packFn)
	}

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
	if t.pt != nil {
		ph1, vneg, n = t.ptNegative(stream)
	}
	for k := 1; t.pt == nil && k <= cfg.K; k++ {
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

	if t.cen != nil {
		t.cen.updateOffsets(v0, ph0, cfg.OffsetRate) // centering.go
	}
	if cfg.SparsityTarget > 0 {
		t.sparsity(ph0)
	}

	// One parallel phase: the fused weight update over hidden-unit blocks,
	// and with it the biases of those hidden units and of a matching share of
	// the visible units.
	lr := float32(t.learningRate())
	mom := t.momentum()
	t.upd = Update{PosH: ph0, PosV: v0, NegH: ph1, NegV: vneg,
		PosScale: lr / float32(R), NegScale: lr / float32(n),
		Momentum: mom, Decay: lr * float32(cfg.WeightDecay), Vel: t.vel}
	if t.cen != nil {
		t.centre()
	}
	if t.updFn == nil {
		t.updFn = t.updatePart // a method value allocates: make it once
	}
	t.updParts = t.eng.pool.Parts(m.Hidden, t.grain.Cols)
	t.eng.pool.Run(m.Hidden, t.grain.Cols, t.updFn)
	if t.cen != nil {
		t.correct()
	}
	t.pkCurrent = t.pk != nil && t.keepPacked
	t.step++
}

// packPart packs rows [lo, hi) of W into the trainer's packed copy.
func (t *Trainer) packPart(part, lo, hi int) { t.pk.Refresh(t.m.weights(), lo, hi) }

// hs returns where the hidden sample of a Gibbs step goes: the persistent
// chains at PCD's last step, the scratch states otherwise.
func hs(t *Trainer, n int, last bool, hout Mat) Mat {
	if last {
		return hout
	}
	return t.hs.RowSlice(0, n)
}

// updatePart is part `part` of the update phase: rows [lo, hi) of W, the
// hidden biases [lo, hi), and the visible biases of the part's share of
// [0, V) (split at multiples of the kernel's column grain). A FusedUpdater
// does it all in one pass, and keeps the packed copy current during Fit;
// other kernels update W, then kernel.BiasSteps does the biases (and the
// packed copy, if the kernel has one, is refreshed from the new rows).
func (t *Trainer) updatePart(part, lo, hi int) {
	u := &t.upd
	j0, j1 := pool.Bounds(t.m.Visible, t.updParts, part, t.grain.Cols)
	bs := &t.biasSteps[part]
	*bs = kernel.BiasStep{C: t.m.C, VelC: t.velC, B: t.m.B, VelB: t.velB, J0: j0, J1: j1}
	var pk kernel.Packed // the copy to keep current: only in Fit
	if t.keepPacked {
		pk = t.pk
	}
	w := t.m.weights()
	if t.fused != nil {
		t.fused.UpdateFused(w, u, lo, hi, bs, pk)
		return
	}
	t.eng.kernel.Update(w, u, lo, hi)
	kernel.BiasSteps(u, bs, lo, hi)
	if pk != nil {
		pk.Refresh(w, lo, hi)
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
