package kernel

import (
	"math"

	"github.com/boltzgo/boltz/rng"
)

// Units other than Bernoulli: the activations and samplers of Gaussian and
// categorical (Potts) units. A projection onto such units is a Linear
// projection followed by ApplyUnits, the one algorithm of their write-back;
// a backend that does both in one call implements UnitsProjector (and its
// packed copies PackedUnits), and must give exactly what Linear plus
// ApplyUnits gives on its own Linear output. The engine falls back to
// Linear plus ApplyUnits for a backend without them, so the three methods
// of Kernel stay all a backend needs.

// Dist is the distribution of a layer's units given the other layer.
type Dist uint8

const (
	// Bernoulli units: Act and Sample of Kernel.Up and Kernel.Down.
	Bernoulli Dist = iota
	// Gaussian units: the output is the mean μ = x·op(W) + bias (Linear);
	// the sample is μ + σ·n, n a standard normal deviate.
	Gaussian
	// Categorical units: the output columns form groups of States
	// consecutive one-hot units (a position); the output is the softmax of
	// the pre-activations over each group; the sample is one-hot.
	Categorical
)

// Units describes the units of a projection's output for ApplyUnits.
//
// For Gaussian, Sigma holds σ of the output columns of the view (out.Cols
// entries, sliced with the columns as the bias is). For Categorical,
// States (q ≥ 2) is the size of a group, and out.Cols and Sample.Col0 are
// multiples of it: the engine never splits a group.
type Units struct {
	Dist   Dist
	Sigma  []float32
	States int
}

// UnitsProjector is implemented by backends that apply Gaussian and
// categorical units in their projections' write-back. UpUnits and
// DownUnits are Kernel.Up and Kernel.Down with act Linear followed by
// ApplyUnits(out, u, s) on the output, bit for bit; u.Dist is never
// Bernoulli (the engine calls Up and Down for those).
type UnitsProjector interface {
	UpUnits(out, x, w Mat, c []float32, u *Units, s *Sample)
	DownUnits(out, h, w Mat, b []float32, u *Units, s *Sample)
}

// PackedUnits is implemented by Packed copies whose products apply
// Gaussian and categorical units: Packed.Up and Packed.Down with act Linear
// followed by ApplyUnits, bit for bit.
type PackedUnits interface {
	UpUnits(out, x Mat, col0 int, c []float32, u *Units, s *Sample)
	DownUnits(out, h Mat, col0 int, b []float32, u *Units, s *Sample)
}

// ApplyUnits turns the pre-activations in out (a Linear projection) into the
// units' means or probabilities, and with s != nil draws their states into
// s.Dst, row by row:
//
//   - Gaussian: out is kept (the means); with s,
//     Dst[r, u] = out[r, u] + Sigma[u]·float32(rng.Normal(Row0+r, Col0+u))
//     (rng.Stream.Normal), in float32.
//   - Categorical: for each group g of q columns (position p = (Col0+g·q)/q
//     of the whole layer), with m the group's maximum,
//     e_s = float32(exp(float64(out_s − m))), Z = the float32 sum of the e_s
//     in order, out_s = e_s/Z. With s, u = rng.Uniform(Stream.Uint32(Row0+r, p))
//     and the state is the first s whose float32 running sum of out
//     exceeds u (q−1 when none does): Dst is 1 there and 0 on the rest of
//     the group. A group holding NaN gives NaN probabilities and the state
//     q−1.
//
// Bernoulli does nothing (Kernel's Act and Sample handle it).
func ApplyUnits(out Mat, u *Units, s *Sample) {
	switch u.Dist {
	case Gaussian:
		if s == nil {
			return
		}
		for r := 0; r < out.Rows; r++ {
			s.Stream.GaussianShift(s.Dst.Row(r), out.Row(r), u.Sigma[:out.Cols], s.Row0+r, s.Col0)
		}
	case Categorical:
		q := u.States
		for r := 0; r < out.Rows; r++ {
			o := out.Row(r)
			var d []float32
			if s != nil {
				d = s.Dst.Row(r)
			}
			for g := 0; g+q <= len(o); g += q {
				softmax(o[g : g+q])
				if s != nil {
					pick(d[g:g+q], o[g:g+q], s.Stream, s.Row0+r, (s.Col0+g)/q)
				}
			}
		}
	}
}

// softmax replaces x by its softmax, as ApplyUnits defines it.
func softmax(x []float32) {
	m := x[0]
	for _, v := range x[1:] {
		if v > m || v != v {
			m = v
		}
	}
	var z float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		z += e
	}
	for i := range x {
		x[i] /= z
	}
}

// pick writes the one-hot state drawn by inverse CDF from the probabilities p
// into d, with the uniform of (row, pos).
func pick(d, p []float32, st rng.Stream, row, pos int) {
	u := rng.Uniform(st.Uint32(row, pos))
	k := len(p) - 1
	var c float32
	for i, x := range p[:len(p)-1] {
		c += x
		if c > u {
			k = i
			break
		}
	}
	for i := range d[:len(p)] {
		d[i] = 0
	}
	d[k] = 1
}
