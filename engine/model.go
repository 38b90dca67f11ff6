package engine

import (
	"fmt"
	"math"
	"sync"

	"github.com/boltzgo/boltz/rng"
)

// RBM is a restricted Boltzmann machine with Visible units v ∈ {0,1}^V
// and Hidden units h ∈ {0,1}^H, energy E(v,h) = −hᵀWv − bᵀv − cᵀh (Gaussian
// and categorical visible units: see VisibleUnits and units.go):
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

	// VisibleUnits is the visible layer's type (Bernoulli unless set; see
	// SetVisibleUnits and units.go). Sigma holds σ_j of Gaussian units (V
	// values > 0, nil otherwise); States is q of categorical units (0
	// otherwise). The hidden units are Bernoulli.
	VisibleUnits UnitType
	Sigma        []float32
	States       int

	// Input is the standardisation of the data the model was trained on,
	// or nil (see Standardization).
	Input *Standardization

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

// InitVisibleBias sets the visible biases from the unit means p_j of data
// (R×V): for Bernoulli units b_j = log(p_j/(1−p_j)) with p_j clipped to
// [0.001, 0.999] (Hinton's Practical Guide, §8); for categorical units
// b_j = log max(p_j, 0.001), the log state frequencies; for Gaussian units
// b_j = p_j, and σ_j = the standard deviation of unit j (at least
// MinSigma).
func (m *RBM) InitVisibleBias(data []float32) error {
	if _, err := m.rows(data, m.Visible); err != nil {
		return err
	}
	return m.InitVisibleBiasRows(Dense(data, m.Visible))
}

// MinSigma is the smallest σ InitVisibleBias gives a Gaussian unit.
const MinSigma = 1e-3

// setVisibleBias sets the biases (and Gaussian σ) from the column sums and
// sums of squares of rows rows; the caller holds the write lock.
func (m *RBM) setVisibleBias(sum, sq []float64, rows int) {
	n := float64(rows)
	for j, s := range sum {
		mean := s / n
		switch m.VisibleUnits {
		case Gaussian:
			m.B[j] = float32(mean)
			sd := math.Sqrt(math.Max(sq[j]/n-mean*mean, 0))
			m.Sigma[j] = float32(math.Max(sd, MinSigma))
		case Categorical:
			m.B[j] = float32(math.Log(math.Max(mean, 0.001)))
		default:
			p := math.Min(math.Max(mean, 0.001), 0.999)
			m.B[j] = float32(math.Log(p / (1 - p)))
		}
	}
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
	if err := m.validateUnits(); err != nil {
		return err
	}
	if m.Input != nil {
		return m.Input.validate(m.Visible)
	}
	return nil
}

// Clone returns a deep copy of the parameters (sharing the engine).
func (m *RBM) Clone() *RBM {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return &RBM{Visible: m.Visible, Hidden: m.Hidden, eng: m.eng,
		W:            append([]float32(nil), m.W...),
		B:            append([]float32(nil), m.B...),
		C:            append([]float32(nil), m.C...),
		VisibleUnits: m.VisibleUnits, States: m.States,
		Sigma: cloneOrNil(m.Sigma), Input: m.Input.clone()}
}

func cloneOrNil(x []float32) []float32 {
	if x == nil {
		return nil
	}
	return append([]float32(nil), x...)
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

func mat(x []float32, rows, cols int) Mat { return Mat{Rows: rows, Cols: cols, Stride: cols, Data: x} }

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
