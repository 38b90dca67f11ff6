package engine

import "fmt"

// Centered training (Config.Centered): the centered RBM of Melchior,
// Fischer & Wiskott, "How to center deep Boltzmann machines" (JMLR 2016),
// as PyDeep's BinaryBinaryRBM and CD/PCD trainers do it (offset type "DD",
// use_centered_gradient off: the model itself is centered).
//
// The centred energy, with visible offsets μ and hidden offsets λ, is
//
//	E(v,h) = −(h−λ)ᵀW(v−μ) − b̃ᵀ(v−μ) − c̃ᵀ(h−λ)
//
// (W is H×V as everywhere in boltz). Expanding it gives the plain energy
// −hᵀWv − bᵀv − cᵀh plus the constant −λᵀWμ + b̃ᵀμ + c̃ᵀλ, with
//
//	b = b̃ − Wᵀλ   (b_j = b̃_j − Σ_i W_ij λ_i)
//	c = c̃ − W μ   (c_i = c̃_i − Σ_j W_ij μ_j)
//
// so both describe the same distribution, and the model kept in memory and
// saved is always the plain one: every reader and evaluator works unchanged.
//
// A step is SGD on (W, b̃, c̃), with momentum on their velocities:
//
//	ΔW = ε(⟨(h−λ)(v−μ)ᵀ⟩_data − ⟨(h−λ)(v−μ)ᵀ⟩_model) (+ momentum, − ε·decay·W)
//	Δb̃ = ε(⟨v−μ⟩_data − ⟨v−μ⟩_model),  Δc̃ = ε(⟨h−λ⟩_data − ⟨h−λ⟩_model)
//
// which is exactly the fused kernel update run on centred copies of its four
// operands (PosV−μ, PosH−λ, NegV−μ, NegH−λ): the trainer's velocities are
// those of (W, b̃, c̃). In the plain parameterisation the step is then
// W += ΔW, b += Δb̃ − ΔWᵀλ, c += Δc̃ − ΔW μ (correct below).
//
// Before the step the offsets move towards the batch's data statistics, as
// PyDeep's "DD" offsets: μ ← (1−r)μ + r·mean(v_data), λ ← (1−r)λ +
// r·mean(p(h|v_data)), r = OffsetRate. Moving an offset only
// reparameterises the centred model (PyDeep shifts b̃ and c̃ to keep it the
// same distribution), so the plain parameters do not change. The offsets
// start at the mean of the training data (visible, at the first Fit) and
// 0.5 (hidden); the online Step starts from 0.5 for both unless SetOffsets
// set them. They are part of checkpoints.

// centering is the centred trainer's state and scratch.
type centering struct {
	mu, lam []float32 // visible offsets μ (V) and hidden offsets λ (H)
	set     bool      // the offsets are initialised (else Fit sets μ to the data mean)
	accB    []float64 // scratch of correct and moving (max(V, H) values)
	// The centred copies of the update's operands.
	v0, h0, vn, hn Mat
}

// newCentering makes the state for batches of B rows, N negative rows.
func newCentering(m *RBM, B, N int) (*centering, error) {
	if m.VisibleUnits != Bernoulli || m.hiddenUnits() != nil {
		return nil, fmt.Errorf("%w: centering is implemented for Bernoulli units only, not %s visible units", ErrConfig, m.VisibleUnits)
	}
	V, H := m.Visible, m.Hidden
	c := &centering{mu: make([]float32, V), lam: make([]float32, H), accB: make([]float64, max(V, H)),
		v0: NewMat(B, V), h0: NewMat(B, H), vn: NewMat(N, V), hn: NewMat(N, H)}
	for j := range c.mu {
		c.mu[j] = 0.5
	}
	for i := range c.lam {
		c.lam[i] = 0.5
	}
	return c, nil
}

// Offsets returns copies of the visible and hidden offsets of a centred
// trainer (nil, nil otherwise).
func (t *Trainer) Offsets() (visible, hidden []float32) {
	if t.cen == nil {
		return nil, nil
	}
	return append([]float32(nil), t.cen.mu...), append([]float32(nil), t.cen.lam...)
}

// SetOffsets sets the offsets of a centred trainer (V visible, H hidden
// values, finite); Fit then keeps them instead of starting μ at the data
// mean.
func (t *Trainer) SetOffsets(visible, hidden []float32) error {
	if t.cen == nil {
		return fmt.Errorf("%w: offsets need Config.Centered", ErrConfig)
	}
	if len(visible) != t.m.Visible || len(hidden) != t.m.Hidden {
		return fmt.Errorf("%w: %d visible and %d hidden offsets, the model has %d and %d units", ErrShape, len(visible), len(hidden), t.m.Visible, t.m.Hidden)
	}
	if i := firstNonFinite(visible); i >= 0 {
		return fmt.Errorf("%w: visible offset %d is %v", ErrShape, i, visible[i])
	}
	if i := firstNonFinite(hidden); i >= 0 {
		return fmt.Errorf("%w: hidden offset %d is %v", ErrShape, i, hidden[i])
	}
	copy(t.cen.mu, visible)
	copy(t.cen.lam, hidden)
	t.cen.set = true
	return nil
}

// initOffsets sets μ to the mean of the training rows, at the start of a
// Fit whose offsets were not set (by SetOffsets, Step or a checkpoint).
func (c *centering) initOffsets(train rowData, V int) error {
	if c.set {
		return nil
	}
	sum := make([]float64, V)
	row := make([]float32, V)
	for r := 0; r < train.rows; r++ {
		x := row
		if train.dense != nil {
			x = train.dense[r*V : (r+1)*V]
		} else if err := train.src.ReadRow(r, row); err != nil {
			return err
		}
		for j, v := range x {
			sum[j] += float64(v)
		}
	}
	for j := range c.mu {
		c.mu[j] = float32(sum[j] / float64(train.rows))
	}
	c.set = true
	return nil
}

// updateOffsets moves the offsets towards the batch means of the data v0
// and of its hidden probabilities ph0, at rate r.
func (c *centering) updateOffsets(v0, ph0 Mat, r float64) {
	c.set = true
	if r == 0 {
		return
	}
	c.moving(c.mu, v0, r)
	c.moving(c.lam, ph0, r)
}

// moving sets o ← (1−r)·o + r·(column means of x), summing the rows in
// order.
func (c *centering) moving(o []float32, x Mat, r float64) {
	s := c.accB[:len(o)]
	clear(s)
	for k := 0; k < x.Rows; k++ {
		for j, v := range x.Row(k) {
			s[j] += float64(v)
		}
	}
	for j := range o {
		o[j] = float32((1-r)*float64(o[j]) + r*s[j]/float64(x.Rows))
	}
}

// centred returns dst (its first x.Rows rows) holding x minus off in every
// row.
func centred(dst, x Mat, off []float32) Mat {
	d := dst.RowSlice(0, x.Rows)
	for k := 0; k < x.Rows; k++ {
		out, in := d.Row(k), x.Row(k)
		for j, v := range in {
			out[j] = v - off[j]
		}
	}
	return d
}

// centre replaces the operands of the trainer's update with their centred
// copies.
func (t *Trainer) centre() {
	c, u := t.cen, &t.upd
	u.PosV, u.PosH = centred(c.v0, u.PosV, c.mu), centred(c.h0, u.PosH, c.lam)
	u.NegV, u.NegH = centred(c.vn, u.NegV, c.mu), centred(c.hn, u.NegH, c.lam)
}

// correct turns the centred bias steps the update phase added to b and c
// into plain ones: b −= ΔWᵀλ and c −= ΔW μ, ΔW = the new velocity (the step
// W took). Terms with a zero offset are skipped, so zero offsets leave the
// biases bit for bit as plain training does.
func (t *Trainer) correct() {
	c, m, vel := t.cen, t.m, t.vel
	acc := c.accB[:m.Visible]
	clear(acc)
	for i, l := range c.lam {
		if l == 0 {
			continue
		}
		for j, x := range vel.Row(i) {
			acc[j] += float64(x) * float64(l)
		}
	}
	for j, s := range acc {
		m.B[j] -= float32(s)
	}
	for i := range m.C {
		var s float64
		for j, x := range vel.Row(i) {
			if o := c.mu[j]; o != 0 {
				s += float64(x) * float64(o)
			}
		}
		m.C[i] -= float32(s)
	}
}
