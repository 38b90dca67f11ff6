package engine

import (
	"context"
	"fmt"
	"math"
)

// MaxExactBits is the default cap on the layer size LogZExact enumerates.
const MaxExactBits = 24

// LogZExact returns log Z, the log partition function, exactly: it enumerates
// every configuration of the smaller layer (2^min(V,H) of them, in blocks
// through the kernel) and sums the other layer out analytically, with a
// stable log-sum-exp in float64. Enumerating the hidden layer:
//
//	log Z = log Σ_h exp(cᵀh + Σ_j softplus(b_j + (Wᵀh)_j))
//
// and symmetrically for the visible layer with F(v). maxBits caps the
// enumerated layer (≤ 0: MaxExactBits); a larger model is an error.
//
// Gaussian and categorical models enumerate the hidden layer and sum the
// visible one out analytically (see visibleLogSum): Gaussian units are
// integrated, Σ_j ((b_j+u_j)² − b_j²)/(2σ_j²) + ½ log(2πσ_j²) with u = Wᵀh, and
// categorical positions give log Σ_s exp(b_{p,s} + u_{p,s}). A categorical
// model with more than maxBits hidden units enumerates its q^positions
// visible configurations instead when there are at most 2^maxBits of them.
func (m *RBM) LogZExact(maxBits int) (float64, error) {
	return m.LogZExactContext(context.Background(), maxBits)
}

// LogZExactContext is LogZExact that checks ctx between blocks of 4096
// configurations and returns ctx's error when it is cancelled (2^24 of them
// take a while).
func (m *RBM) LogZExactContext(ctx context.Context, maxBits int) (float64, error) {
	if maxBits <= 0 {
		maxBits = MaxExactBits
	}
	if m.VisibleUnits != Bernoulli {
		if err := m.Validate(); err != nil {
			return 0, err
		}
		if m.VisibleUnits == Categorical && m.Hidden > min(maxBits, 40) {
			if n, ok := m.configurations(maxBits); ok {
				return m.logZCategoricalVisible(ctx, n)
			}
		}
		return m.logZEnum(ctx, true, maxBits)
	}
	if m.Hidden <= m.Visible {
		return m.logZEnum(ctx, true, maxBits)
	}
	return m.logZEnum(ctx, false, maxBits)
}

// configurations returns q^n, the visible configurations of a categorical
// model, when it is at most 2^maxBits.
func (m *RBM) configurations(maxBits int) (uint64, bool) {
	limit := uint64(1) << min(maxBits, 40)
	n := uint64(1)
	for p := 0; p < m.Positions(); p++ {
		n *= uint64(m.States)
		if n > limit {
			return 0, false
		}
	}
	return n, true
}

// logZCategoricalVisible is log Z = log Σ_v exp(−F(v)) over the n = q^positions
// one-hot configurations of a categorical model, in blocks through the
// kernel (the visible side, for models with more hidden units than the
// enumeration of the hidden layer allows).
func (m *RBM) logZCategoricalVisible(ctx context.Context, n uint64) (float64, error) {
	e, err := m.Engine()
	if err != nil {
		return 0, err
	}
	V, H, q, P := m.Visible, m.Hidden, m.States, m.Positions()
	block := min(n, 4096)
	x := make([]float32, int(block)*V)
	pre := make([]float32, int(block)*H)
	lse := newLogSumExp()
	for base := uint64(0); base < n; base += block {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		rows := int(min(block, n-base))
		clear(x[:rows*V])
		for r := 0; r < rows; r++ {
			c := base + uint64(r)
			for p := 0; p < P; p++ {
				x[r*V+p*q+int(c%uint64(q))] = 1
				c /= uint64(q)
			}
		}
		m.project(e, false, mat(pre[:rows*H], rows, H), mat(x[:rows*V], rows, V), Linear, nil)
		for r := 0; r < rows; r++ { // in order: the same sum for any worker count
			lse.add(-m.freeEnergyRow(x[r*V:(r+1)*V], pre[r*H:(r+1)*H]))
		}
	}
	return lse.value(), nil
}

// logZEnum enumerates the hidden (overHidden) or the visible layer.
func (m *RBM) logZEnum(ctx context.Context, overHidden bool, maxBits int) (float64, error) {
	n, other := m.Visible, m.Hidden
	if overHidden {
		n, other = m.Hidden, m.Visible
	}
	if n > maxBits || n > 40 {
		if m.VisibleUnits != Bernoulli {
			return 0, fmt.Errorf("%w: exact log Z of %s visible units needs H ≤ %d, have %d", ErrConfig, m.VisibleUnits, maxBits, n)
		}
		return 0, fmt.Errorf("%w: exact log Z needs min(V, H) ≤ %d, have %d", ErrConfig, maxBits, n)
	}
	e, err := m.Engine()
	if err != nil {
		return 0, err
	}
	total := uint64(1) << n
	block := uint64(4096)
	if total < block {
		block = total
	}
	cfg := make([]float32, int(block)*n)
	pre := make([]float32, int(block)*other)
	rowSum := make([]float64, block)
	own := m.B
	if overHidden {
		own = m.C
	}
	lse := newLogSumExp()
	for base := uint64(0); base < total; base += block {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		rows := int(min(block, total-base))
		for r := 0; r < rows; r++ {
			bitsToRow(cfg[r*n:(r+1)*n], base+uint64(r))
		}
		// a holds the other layer's pre-activations; the enumerated layer's
		// own bias gives the linear term.
		x, a := mat(cfg[:rows*n], rows, n), mat(pre[:rows*other], rows, other)
		m.project(e, overHidden, a, x, Linear, nil)
		e.pool.Run(rows, 64, func(_, lo, hi int) {
			for r := lo; r < hi; r++ {
				s := 0.0
				for i, u := range x.Row(r) {
					s += float64(own[i]) * float64(u)
				}
				if overHidden {
					s += m.visibleLogSum(a.Row(r))
				} else {
					for _, ai := range a.Row(r) {
						s += softplus(float64(ai))
					}
				}
				rowSum[r] = s
			}
		})
		for _, s := range rowSum[:rows] { // in order: the same sum for any worker count
			lse.add(s)
		}
	}
	return lse.value(), nil
}

func bitsToRow(dst []float32, bits uint64) {
	for i := range dst {
		dst[i] = float32(bits >> uint(i) & 1)
	}
}

// logSumExp accumulates log Σ exp(x) stably in one pass.
type logSumExp struct{ max, sum float64 }

func newLogSumExp() *logSumExp { return &logSumExp{max: math.Inf(-1)} }

func (l *logSumExp) add(x float64) {
	switch {
	case x <= l.max:
		l.sum += math.Exp(x - l.max)
	default:
		l.sum = l.sum*math.Exp(l.max-x) + 1
		l.max = x
	}
}

func (l *logSumExp) value() float64 { return l.max + math.Log(l.sum) }

// LogLikelihood returns the mean log p(v) = −F(v) − log Z over the rows of v,
// given log Z (from LogZExact or an estimate).
func (m *RBM) LogLikelihood(v []float32, logZ float64) (float64, error) {
	rows, err := m.rows(v, m.Visible)
	if err != nil {
		return 0, err
	}
	fe := make([]float32, rows)
	if err := m.FreeEnergy(fe, v); err != nil {
		return 0, err
	}
	return -meanOf(fe) - logZ, nil
}
