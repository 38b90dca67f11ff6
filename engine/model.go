package engine

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/boltzgo/boltz/rng"
)

// RBM is a binary restricted Boltzmann machine with Visible units v ∈ {0,1}^V
// and Hidden units h ∈ {0,1}^H, energy E(v,h) = −hᵀWv − bᵀv − cᵀh:
//
//	p(h_i=1|v) = σ(Σ_j W_ij v_j + c_i)    p(v_j=1|h) = σ(Σ_i W_ij h_i + b_j)
//	F(v)       = −bᵀv − Σ_i softplus(c_i + W_i·v)
//
// W is H×V row-major (row i holds hidden unit i's weights), B the visible and
// C the hidden bias. Batches are row-major float32 slices of R rows: R×V for
// visible data, R×H for hidden.
//
// Concurrency: the inference methods (HiddenProbs, VisibleProbs, Transform,
// SampleHidden, SampleVisible, Gibbs, FreeEnergy, ReconstructionCrossEntropy,
// LogLikelihood) and Clone are safe to call from many goroutines at once,
// also while a Trainer's Fit trains the same model: they hold the model's
// read lock, a training step holds its write lock, so each inference call
// sees the parameters as they are between two steps and training results do
// not depend on it. Writing W, B or C directly while other goroutines use
// the model is a data race.
type RBM struct {
	Visible, Hidden int
	W               []float32
	B               []float32
	C               []float32

	eng *Engine
	mu  sync.RWMutex // read: inference; write: a training step (see train.go)
}

// NewRBM returns a model with W ~ N(0, sigma²) drawn from the seed's
// counter-based stream, and zero biases. sigma 0 selects the default 0.01;
// a negative, NaN or infinite sigma is an error wrapping ErrConfig.
func NewRBM(visible, hidden int, sigma float64, seed uint64) (*RBM, error) {
	if visible <= 0 || hidden <= 0 {
		return nil, fmt.Errorf("%w: %d visible and %d hidden units", ErrConfig, visible, hidden)
	}
	if int64(visible)*int64(hidden) > 1<<31 {
		return nil, fmt.Errorf("%w: %d×%d weights is too many", ErrConfig, hidden, visible)
	}
	if sigma < 0 || math.IsNaN(sigma) || math.IsInf(sigma, 0) {
		return nil, fmt.Errorf("%w: initial weight σ %v: want a finite value ≥ 0 (0: the default 0.01)", ErrConfig, sigma)
	}
	if sigma == 0 {
		sigma = 0.01
	}
	m := &RBM{Visible: visible, Hidden: hidden,
		W: make([]float32, hidden*visible), B: make([]float32, visible), C: make([]float32, hidden)}
	s := rng.NewStream(seed, 0, phaseInit)
	for i := 0; i < hidden; i++ {
		for j := 0; j < visible; j++ {
			m.W[i*visible+j] = float32(sigma * s.Normal(i, j))
		}
	}
	return m, nil
}

// InitVisibleBias sets b_j = log(p_j/(1−p_j)) from the unit means p_j of data
// (R×V), clipped to [0.001, 0.999] (Hinton's Practical Guide, §8).
func (m *RBM) InitVisibleBias(data []float32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rows, err := m.rows(data, m.Visible)
	if err != nil {
		return err
	}
	if rows == 0 {
		return fmt.Errorf("%w: no data rows", ErrShape)
	}
	sum := make([]float64, m.Visible)
	for r := 0; r < rows; r++ {
		for j, x := range data[r*m.Visible : (r+1)*m.Visible] {
			sum[j] += float64(x)
		}
	}
	for j, s := range sum {
		p := math.Min(math.Max(s/float64(rows), 0.001), 0.999)
		m.B[j] = float32(math.Log(p / (1 - p)))
	}
	return nil
}

// SetEngine makes the model compute on e (nil: the default engine).
func (m *RBM) SetEngine(e *Engine) { m.eng = e }

// Engine returns the engine the model computes on.
func (m *RBM) Engine() (*Engine, error) {
	if m.eng != nil {
		return m.eng, nil
	}
	return Default()
}

// Validate checks that the parameter slices match the sizes and hold no NaN
// or Inf.
func (m *RBM) Validate() error {
	if m.Visible <= 0 || m.Hidden <= 0 {
		return fmt.Errorf("%w: %d visible and %d hidden units", ErrShape, m.Visible, m.Hidden)
	}
	if len(m.W) != m.Visible*m.Hidden || len(m.B) != m.Visible || len(m.C) != m.Hidden {
		return fmt.Errorf("%w: W has %d, B %d, C %d elements for V=%d H=%d", ErrShape, len(m.W), len(m.B), len(m.C), m.Visible, m.Hidden)
	}
	for name, p := range map[string][]float32{"weight": m.W, "visible bias": m.B, "hidden bias": m.C} {
		if i := firstNonFinite(p); i >= 0 {
			return fmt.Errorf("%w: %s[%d] = %v", ErrValue, name, i, p[i])
		}
	}
	return nil
}

// Clone returns a deep copy of the parameters (sharing the engine).
func (m *RBM) Clone() *RBM {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return &RBM{Visible: m.Visible, Hidden: m.Hidden, eng: m.eng,
		W: append([]float32(nil), m.W...),
		B: append([]float32(nil), m.B...),
		C: append([]float32(nil), m.C...)}
}

func firstNonFinite(x []float32) int {
	for i, v := range x {
		if v-v != 0 { // NaN or ±Inf
			return i
		}
	}
	return -1
}

// rows returns len(x)/width after checking that it divides.
func (m *RBM) rows(x []float32, width int) (int, error) {
	if len(x)%width != 0 {
		return 0, fmt.Errorf("%w: %d values is not a whole number of rows of %d", ErrShape, len(x), width)
	}
	return len(x) / width, nil
}

// checkUnit reports the first value of x outside [0, 1] (NaN included).
func checkUnit(x []float32, width int) error {
	for i, v := range x {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("%w: row %d column %d is %v, not in [0, 1]", ErrValue, i/width, i%width, v)
		}
	}
	return nil
}

func (m *RBM) weights() Mat {
	return Mat{Rows: m.Hidden, Cols: m.Visible, Stride: m.Visible, Data: m.W}
}

// project runs one Up (down=false) or Down projection of in into out on the
// model's engine, with optional sampling.
func (m *RBM) project(e *Engine, down bool, out, in Mat, act Act, s *Sample) {
	p := newProj(e.kernel, e.pool.Workers())
	p.down, p.out, p.in, p.w, p.act = down, out, in, m.weights(), act
	p.bias = m.C
	if down {
		p.bias = m.B
	}
	if s != nil {
		p.sample, p.s = true, *s
	}
	p.goOn(e.pool)
}

// prepare validates a batch of width-wide rows and returns its row count and
// engine.
func (m *RBM) prepare(x []float32, width int, unit bool) (int, *Engine, error) {
	rows, err := m.rows(x, width)
	if err != nil {
		return 0, nil, err
	}
	if unit {
		if err := checkUnit(x, width); err != nil {
			return 0, nil, err
		}
	}
	e, err := m.Engine()
	return rows, e, err
}

func mat(x []float32, rows, cols int) Mat { return Mat{Rows: rows, Cols: cols, Stride: cols, Data: x} }

// HiddenProbs sets dst (R×H) to p(h=1|v) for the R rows of v (R×V, values in
// [0, 1]).
func (m *RBM) HiddenProbs(dst, v []float32) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rows, e, err := m.prepare(v, m.Visible, true)
	if err != nil {
		return err
	}
	if len(dst) != rows*m.Hidden {
		return fmt.Errorf("%w: dst has %d values, want %d×%d", ErrShape, len(dst), rows, m.Hidden)
	}
	m.project(e, false, mat(dst, rows, m.Hidden), mat(v, rows, m.Visible), Sigmoid, nil)
	return nil
}

// VisibleProbs sets dst (R×V) to p(v=1|h) for the R rows of h (R×H, values
// in [0, 1]).
func (m *RBM) VisibleProbs(dst, h []float32) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rows, e, err := m.prepare(h, m.Hidden, true)
	if err != nil {
		return err
	}
	if len(dst) != rows*m.Visible {
		return fmt.Errorf("%w: dst has %d values, want %d×%d", ErrShape, len(dst), rows, m.Visible)
	}
	m.project(e, true, mat(dst, rows, m.Visible), mat(h, rows, m.Hidden), Sigmoid, nil)
	return nil
}

// Transform returns the hidden probabilities p(h=1|v) of the rows of v, the
// features an RBM gives a downstream model.
func (m *RBM) Transform(v []float32) ([]float32, error) {
	rows, err := m.rows(v, m.Visible)
	if err != nil {
		return nil, err
	}
	dst := make([]float32, rows*m.Hidden)
	return dst, m.HiddenProbs(dst, v)
}

// TransformContext is Transform that checks ctx between blocks of rows and
// returns ctx's error when it is cancelled. Like Transform it sees the
// parameters between two training steps.
func (m *RBM) TransformContext(ctx context.Context, v []float32) ([]float32, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rows, e, err := m.prepare(v, m.Visible, true)
	if err != nil {
		return nil, err
	}
	dst := make([]float32, rows*m.Hidden)
	for r0 := 0; r0 < rows; r0 += ctxBlock {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r1 := min(r0+ctxBlock, rows)
		m.project(e, false, mat(dst[r0*m.Hidden:r1*m.Hidden], r1-r0, m.Hidden), mat(v[r0*m.Visible:r1*m.Visible], r1-r0, m.Visible), Sigmoid, nil)
	}
	return dst, nil
}

// ctxBlock is the number of rows the ...Context methods process between two
// checks of their context.
const ctxBlock = 4096

// SampleHidden draws h ~ p(h|v) for the rows of v into dst (R×H), with the
// random numbers of (seed, step) so that a call is reproducible.
func (m *RBM) SampleHidden(dst, v []float32, seed, step uint64) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rows, e, err := m.prepare(v, m.Visible, true)
	if err != nil {
		return err
	}
	if len(dst) != rows*m.Hidden {
		return fmt.Errorf("%w: dst has %d values, want %d×%d", ErrShape, len(dst), rows, m.Hidden)
	}
	p := make([]float32, len(dst))
	s := &Sample{Dst: mat(dst, rows, m.Hidden), Stream: rng.NewStream(seed, step, phaseUserHidden)}
	m.project(e, false, mat(p, rows, m.Hidden), mat(v, rows, m.Visible), Sigmoid, s)
	return nil
}

// SampleVisible draws v ~ p(v|h) for the rows of h into dst (R×V).
func (m *RBM) SampleVisible(dst, h []float32, seed, step uint64) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rows, e, err := m.prepare(h, m.Hidden, true)
	if err != nil {
		return err
	}
	if len(dst) != rows*m.Visible {
		return fmt.Errorf("%w: dst has %d values, want %d×%d", ErrShape, len(dst), rows, m.Visible)
	}
	p := make([]float32, len(dst))
	s := &Sample{Dst: mat(dst, rows, m.Visible), Stream: rng.NewStream(seed, step, phaseUserVisible)}
	m.project(e, true, mat(p, rows, m.Visible), mat(h, rows, m.Hidden), Sigmoid, s)
	return nil
}

// Gibbs runs steps alternating Gibbs sweeps v → h → v from the rows of v
// (R×V), in place. Each sweep samples h ~ p(h|v) and then v ~ p(v|h); after
// the last sweep v holds the mean-field probabilities p(v|h) instead of a
// sample when meanField is set (what one shows as an image). The seed makes
// the chain reproducible.
func (m *RBM) Gibbs(v []float32, steps int, seed uint64, meanField bool) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rows, e, err := m.prepare(v, m.Visible, true)
	if err != nil {
		return err
	}
	if steps < 0 {
		return fmt.Errorf("%w: %d Gibbs steps", ErrConfig, steps)
	}
	ph := make([]float32, rows*m.Hidden)
	h := make([]float32, rows*m.Hidden)
	pv := make([]float32, rows*m.Visible)
	V, H := mat(v, rows, m.Visible), mat(h, rows, m.Hidden)
	for t := 0; t < steps; t++ {
		m.project(e, false, mat(ph, rows, m.Hidden), V, Sigmoid,
			&Sample{Dst: H, Stream: rng.NewStream(seed, uint64(t), phaseUserHidden)})
		var s *Sample
		if !(meanField && t == steps-1) {
			s = &Sample{Dst: V, Stream: rng.NewStream(seed, uint64(t), phaseUserVisible)}
		}
		m.project(e, true, mat(pv, rows, m.Visible), H, Sigmoid, s)
		if s == nil {
			copy(v, pv)
		}
	}
	return nil
}

// FreeEnergy sets dst[r] = F(v_r) = −bᵀv − Σ_i softplus(c_i + W_i·v) for the R
// rows of v, computed in float64 from the kernel's pre-activations.
func (m *RBM) FreeEnergy(dst, v []float32) error {
	return m.FreeEnergyContext(context.Background(), dst, v)
}

// FreeEnergyContext is FreeEnergy that checks ctx between blocks of rows and
// returns ctx's error when it is cancelled.
func (m *RBM) FreeEnergyContext(ctx context.Context, dst, v []float32) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	rows, e, err := m.prepare(v, m.Visible, true)
	if err != nil {
		return err
	}
	if len(dst) != rows {
		return fmt.Errorf("%w: dst has %d values for %d rows", ErrShape, len(dst), rows)
	}
	return m.eachChunk(ctx, rows, func(r0, r1 int, a, _ []float32) {
		n := r1 - r0
		x := mat(v[r0*m.Visible:r1*m.Visible], n, m.Visible)
		pre := mat(a[:n*m.Hidden], n, m.Hidden)
		m.project(e, false, pre, x, Linear, nil)
		for r := 0; r < n; r++ {
			dst[r0+r] = float32(m.freeEnergyRow(x.Row(r), pre.Row(r)))
		}
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
	m.mu.RLock()
	defer m.mu.RUnlock()
	rows, e, err := m.prepare(v, m.Visible, true)
	if err != nil {
		return err
	}
	if len(dst) != rows {
		return fmt.Errorf("%w: dst has %d values for %d rows", ErrShape, len(dst), rows)
	}
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
}

// crossEntropyRow is Σ_j softplus(a_j) − v_j a_j.
func crossEntropyRow(v, a []float32) float64 {
	var ce float64
	for j, aj := range a {
		ce += softplus(float64(aj)) - float64(v[j])*float64(aj)
	}
	return ce
}

// evalChunk is the number of rows the evaluation methods process at a time.
const evalChunk = 256

// eachChunk calls f on row blocks of at most evalChunk rows with scratch
// buffers for hidden and visible activations, and returns ctx's error when
// ctx is cancelled before a block.
func (m *RBM) eachChunk(ctx context.Context, rows int, f func(r0, r1 int, hbuf, vbuf []float32)) error {
	n := min(rows, evalChunk)
	hbuf := make([]float32, n*m.Hidden)
	vbuf := make([]float32, n*m.Visible)
	for r0 := 0; r0 < rows; r0 += evalChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		f(r0, min(r0+evalChunk, rows), hbuf, vbuf)
	}
	return nil
}

// softplus(x) = log(1 + e^x), stable for all x.
func softplus(x float64) float64 {
	if x > 36 { // log1p(e^{-x}) < 2^-52·x: rounding noise
		return x
	}
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// Random-stream phases (the third Philox counter word). Training uses
// phaseTrain + 2t−1 and phaseTrain + 2t for the visible and hidden samples of
// Gibbs step t, and phaseTrain for the data-driven hidden sample.
const (
	phaseTrain       = 0
	phaseInit        = 0x1000_0000
	phaseShuffle     = 0x1000_0001
	phaseUserHidden  = 0x2000_0000
	phaseUserVisible = 0x2000_0001
)
