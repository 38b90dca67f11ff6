package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// Annealed importance sampling (Salakhutdinov & Murray 2008, "On the
// quantitative analysis of deep belief networks"; the algorithm of their
// released RBM_AIS.m).
//
// The base-rate model A has W = 0, hidden bias 0 and visible bias b_A, so
// log Z_A = Σ_j softplus(b_A,j) + H·log 2 exactly. The intermediate
// distributions, for 0 = β_0 < β_1 < … < β_K = 1, are
//
//	p_k*(v) = exp((1−β_k)·b_Aᵀv + β_k·b_Bᵀv) · Π_i (1 + exp(β_k·(W_i·v + c_i)))
//
// (the hidden layer summed out of the joint exp((1−β_k)b_Aᵀv + β_k(bᵀv + hᵀWv + cᵀh))).
// Each run draws v_0 from A, adds log p_k*(v_{k−1}) − log p_{k−1}*(v_{k−1})
// to its log-weight for k = 1..K and moves v by one Gibbs sweep that leaves
// p_k invariant (h ~ σ(β_k(Wv + c)), v ~ σ((1−β_k)b_A + β_k(Wᵀh + b))) for
// k < K. Then Ẑ_B = Z_A · mean(w) is an unbiased estimate of Z_B.

// AISOptions configures RBM.AIS.
type AISOptions struct {
	// Runs is the number of independent AIS runs (chains), all advanced
	// together as one batch (0: 100). At least 2, so that the spread of the
	// weights can be estimated.
	Runs int
	// Betas is the temperature schedule: non-decreasing, from exactly 0 to
	// exactly 1 (nil: Temperatures values of the shape Schedule; with both
	// zero, DefaultAISBetas).
	Betas []float64
	// Temperatures is the number of β values of the schedule made when Betas
	// is nil (0: 14,503, the length of the default schedule; else at least
	// 2), and Schedule its shape (see AISSchedule; the zero value is the
	// default schedule's shape). ReverseAIS uses the same schedule.
	Temperatures int
	Schedule     AISSchedule
	// BaseVisibleBias is b_A, the visible bias of the base-rate model (V
	// values). nil: BaseRateVisibleBias(Data), or all zeros (a uniform base
	// model, which needs more temperatures) when Data is nil too. The choice
	// of base model does not bias the estimate, only its variance.
	BaseVisibleBias []float32
	// Data is the training data (R×V, values in [0, 1]) whose smoothed unit
	// frequencies give the base rates when BaseVisibleBias is nil.
	Data []float32
	// MeanBase takes the base rates as the plain unit means of Data
	// (MeanVisibleBias, PyDeep's base model) instead of the smoothed
	// frequencies of BaseRateVisibleBias. Bernoulli units only.
	MeanBase bool
	// Seed selects the random streams; the estimate is a function of the
	// model, the options and the seed only (not of the worker count).
	Seed uint64
}

// AISResult is an AIS estimate of log Z.
type AISResult struct {
	// LogZ is log Ẑ = log mean(w) + log Z_A.
	LogZ float64
	// LogZLower and LogZUpper are log(Ẑ − 3σ̂) and log(Ẑ + 3σ̂), with
	// σ̂ = Z_A·std(w)/√Runs (std with Runs−1 in the denominator, as MATLAB's).
	// Where 3σ̂ ≥ Ẑ the lower bound does not exist and LogZLower is NaN:
	// add runs or temperatures.
	LogZLower, LogZUpper float64
	// LogZBase is log Z_A, the base-rate model's exact log partition function.
	LogZBase float64
	// LogWeights holds log w of every run (without log Z_A).
	LogWeights []float64
	// Runs and Temperatures are the number of runs and of β values used.
	Runs, Temperatures int
	// Seconds is the wall time of the estimate.
	Seconds float64
}

// DefaultAISRuns is the number of AIS runs when AISOptions.Runs is 0.
const DefaultAISRuns = 100

// DefaultAISBetas returns the schedule of Salakhutdinov & Murray (2008):
// 0:1/1000:0.5, 0.5:1/10000:0.9, 0.9:1/100000:1 concatenated as in their
// MATLAB code (0.5 and 0.9 appear twice), 14,503 values.
func DefaultAISBetas() []float64 {
	b := make([]float64, 0, 14503)
	for i := 0; i <= 500; i++ {
		b = append(b, float64(i)/1000)
	}
	for i := 0; i <= 4000; i++ {
		b = append(b, 0.5+float64(i)/10000)
	}
	for i := 0; i <= 10000; i++ {
		b = append(b, 0.9+float64(i)/100000)
	}
	b[len(b)-1] = 1
	return b
}

// AISBetas returns a schedule of about n temperatures with the shape of the
// default one: 500/14,500 of the steps spread evenly over [0, 0.5], 4,000/14,500
// over [0.5, 0.9] and 10,000/14,500 over [0.9, 1], each segment at least one
// step, without repeated values. n ≤ 0 returns DefaultAISBetas.
func AISBetas(n int) []float64 {
	if n <= 0 {
		return DefaultAISBetas()
	}
	seg := func(frac float64) int { return max(1, int(math.Round(float64(n-1)*frac))) }
	n1, n2, n3 := seg(500.0/14500), seg(4000.0/14500), seg(10000.0/14500)
	b := make([]float64, 0, n1+n2+n3+1)
	for i := 0; i < n1; i++ {
		b = append(b, 0.5*float64(i)/float64(n1))
	}
	for i := 0; i < n2; i++ {
		b = append(b, 0.5+0.4*float64(i)/float64(n2))
	}
	for i := 0; i < n3; i++ {
		b = append(b, 0.9+0.1*float64(i)/float64(n3))
	}
	return append(b, 1)
}

// BaseRateVisibleBias returns the visible bias of the base-rate model of
// Salakhutdinov & Murray's code: the logit of the smoothed unit frequencies
//
//	p_j = (count_j + 5·N/100) / (N + 5·N/100)
//
// where count_j = Σ_r x[r, j] over the N rows of data (R×visible, values in
// [0, 1]) and N/100 is their number of minibatches of 100. p is clipped to
// [1e-6, 1 − 1e-6] so that a unit that is on in every row stays finite.
func BaseRateVisibleBias(data []float32, visible int) ([]float32, error) {
	if visible <= 0 || len(data)%visible != 0 {
		return nil, fmt.Errorf("%w: %d values is not a whole number of rows of %d", ErrShape, len(data), visible)
	}
	rows := len(data) / visible
	if rows == 0 {
		return nil, fmt.Errorf("%w: no data rows for the base rates", ErrShape)
	}
	if err := checkUnit(data, visible); err != nil {
		return nil, err
	}
	count := make([]float64, visible)
	for r := 0; r < rows; r++ {
		for j, x := range data[r*visible : (r+1)*visible] {
			count[j] += float64(x)
		}
	}
	return smoothedRates(count, rows), nil
}

// smoothedRates is BaseRateVisibleBias of the column sums count of rows
// rows: the one formula for dense rows and row sources.
func smoothedRates(count []float64, rows int) []float32 {
	pseudo := 5 * float64(rows) / 100
	b := make([]float32, len(count))
	for j, c := range count {
		p := (c + pseudo) / (float64(rows) + pseudo)
		p = math.Min(math.Max(p, 1e-6), 1-1e-6)
		b[j] = float32(math.Log(p) - math.Log1p(-p))
	}
	return b
}

// Random-stream phases of AIS and the pseudo-likelihood, apart from the
// engine's (see the constants at the end of model.go).
const (
	phaseAISInit    = 0x3000_0000
	phaseAISHidden  = 0x3000_0001
	phaseAISVisible = 0x3000_0002
	phasePLL        = 0x3000_0010
)

// checkBetas reports a schedule AIS cannot use.
func checkBetas(b []float64) error {
	if len(b) < 2 {
		return fmt.Errorf("%w: an AIS schedule needs at least 2 temperatures, have %d", ErrConfig, len(b))
	}
	if b[0] != 0 || b[len(b)-1] != 1 {
		return fmt.Errorf("%w: an AIS schedule must run from β = 0 to β = 1, not %v to %v", ErrConfig, b[0], b[len(b)-1])
	}
	for k := 1; k < len(b); k++ {
		if !(b[k] >= b[k-1]) || b[k] > 1 {
			return fmt.Errorf("%w: AIS temperature %d is %v after %v: the schedule must be non-decreasing in [0, 1]", ErrConfig, k, b[k], b[k-1])
		}
	}
	return nil
}

// AIS estimates log Z by annealed importance sampling from the base-rate
// model to m (see AISOptions and AISResult). All runs advance together as
// one batch: each temperature costs one visible projection and one hidden
// projection through the engine's kernel, plus the hidden-side arithmetic
// parallel over the runs. The inner loop does not allocate. ctx is checked
// every 64 temperatures. Like the other inference methods it holds the
// model's read lock, so a concurrent training step waits for it.
func (m *RBM) AIS(ctx context.Context, opt AISOptions) (AISResult, error) {
	start := time.Now()
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.Validate(); err != nil {
		return AISResult{}, err
	}
	runs := opt.Runs
	if runs == 0 {
		runs = DefaultAISRuns
	}
	if runs < 2 {
		return AISResult{}, fmt.Errorf("%w: AIS needs at least 2 runs, have %d", ErrConfig, runs)
	}
	if m.VisibleUnits != Bernoulli {
		if opt.MeanBase {
			return AISResult{}, fmt.Errorf("%w: the mean base rates are for Bernoulli visible units, the model's are %s", ErrConfig, m.VisibleUnits)
		}
		betas, err := m.aisSchedule(ctx, opt, runs, nil) // aisschedule.go
		if err != nil {
			return AISResult{}, err
		}
		return m.aisUnits(ctx, opt, runs, betas) // aisunits.go
	}
	bA, err := m.aisBaseBias(opt)
	if err != nil {
		return AISResult{}, err
	}
	betas, err := m.aisSchedule(ctx, opt, runs, bA)
	if err != nil {
		return AISResult{}, err
	}
	e, err := m.Engine()
	if err != nil {
		return AISResult{}, err
	}
	s := newAISState(m, e, runs, bA, opt.Seed)
	logZA := s.logZBase()
	s.init()
	K := len(betas) - 1
	for k := 1; k <= K; k++ {
		if k%64 == 0 {
			if err := ctx.Err(); err != nil {
				return AISResult{}, err
			}
		}
		s.step(k, betas[k-1], betas[k], k < K)
	}
	res := aisSummary(s.logw, logZA)
	res.Temperatures = len(betas)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// aisBaseBias returns b_A, the base-rate model's visible bias of
// Bernoulli AIS (see AISOptions.BaseVisibleBias), checked.
func (m *RBM) aisBaseBias(opt AISOptions) ([]float32, error) {
	bA := opt.BaseVisibleBias
	switch {
	case bA != nil:
		if len(bA) != m.Visible {
			return nil, fmt.Errorf("%w: base visible bias has %d values, want %d", ErrShape, len(bA), m.Visible)
		}
		if i := firstNonFinite(bA); i >= 0 {
			return nil, fmt.Errorf("%w: base visible bias[%d] = %v", ErrValue, i, bA[i])
		}
	case opt.Data != nil:
		base := BaseRateVisibleBias
		if opt.MeanBase {
			base = MeanVisibleBias
		}
		var err error
		if bA, err = base(opt.Data, m.Visible); err != nil {
			return nil, fmt.Errorf("AIS base rates: %w", err)
		}
	default:
		bA = make([]float32, m.Visible)
	}
	return bA, nil
}

// logZBase is log Z_A of the base-rate model: Σ_j softplus(b_A,j) + H·log 2.
func (s *aisState) logZBase() float64 {
	logZA := float64(s.m.Hidden) * math.Ln2
	for _, b := range s.bA {
		logZA += softplus(float64(b))
	}
	return logZA
}

// aisSummary turns the log-weights into the estimate and its bounds.
func aisSummary(logw []float64, logZA float64) AISResult {
	n := float64(len(logw))
	mx := math.Inf(-1)
	for _, x := range logw {
		mx = math.Max(mx, x)
	}
	var mean float64
	for _, x := range logw {
		mean += math.Exp(x - mx)
	}
	mean /= n
	var ss float64
	for _, x := range logw {
		d := math.Exp(x-mx) - mean
		ss += d * d
	}
	sigma := math.Sqrt(ss/(n-1)) / math.Sqrt(n) // std(w)/√runs, in units of e^mx
	res := AISResult{
		LogZ:       mx + math.Log(mean) + logZA,
		LogZUpper:  mx + math.Log(mean+3*sigma) + logZA,
		LogZLower:  math.NaN(),
		LogZBase:   logZA,
		LogWeights: append([]float64(nil), logw...),
		Runs:       len(logw),
	}
	if mean-3*sigma > 0 {
		res.LogZLower = mx + math.Log(mean-3*sigma) + logZA
	}
	return res
}

// aisState holds the buffers of one AIS estimate; step allocates nothing.
type aisState struct {
	m    *RBM
	e    *Engine
	seed uint64
	R    int

	v    Mat       // R×V visible states of the runs
	pv   Mat       // R×V visible probabilities (scratch)
	a    Mat       // R×H hidden pre-activations W·v + c of the current v
	hs   Mat       // R×H sampled hidden states times β
	ph   Mat       // R×H hidden probabilities (scratch)
	wt   Mat       // V×H: Wᵀ, so that the up projection runs as a Down call (no packed copy)
	bA   []float32 // base visible bias
	bias []float32 // (1−β)·b_A + β·b
	db   []float64 // b − b_A
	logw []float64

	down, up *proj
	hidFn    func(part, lo, hi int)
	binList  *binaryLister // the nonzeros of v and of β·h (binary.go)

	// the random-stream phases (forward AIS, reverse AIS and the schedule's
	// pilot draw independent numbers)
	phInit, phHidden, phVisible uint32

	// parameters of the current temperature, read by hidFn
	b0, b1 float64
	sample bool
	stream rng.Stream
}

func newAISState(m *RBM, e *Engine, runs int, bA []float32, seed uint64) *aisState {
	V, H := m.Visible, m.Hidden
	s := &aisState{m: m, e: e, seed: seed, R: runs,
		v: NewMat(runs, V), pv: NewMat(runs, V), a: NewMat(runs, H), hs: NewMat(runs, H), ph: NewMat(runs, H),
		bA: bA, bias: make([]float32, V), db: make([]float64, V),
		logw: make([]float64, runs),
		down: newProj(e.kernel, e.pool.Workers()), up: newProj(e.kernel, e.pool.Workers()),
		phInit: phaseAISInit, phHidden: phaseAISHidden, phVisible: phaseAISVisible,
	}
	for j := range s.db {
		s.db[j] = float64(m.B[j]) - float64(bA[j])
	}
	s.hidFn = s.hidden
	// v → h: a = v·(Wᵀ) + c as a Down call with the transposed weights,
	// which lets a kernel skip the zeros of the binary visible states.
	s.up.down, s.up.out, s.up.in, s.up.w, s.up.bias, s.up.act = true, s.a, s.v, s.wt, m.C, Linear
	// h → v: σ(Σ_i (β h_i) W_ij + (1−β)b_A + β b), sampled into v.
	s.down.down, s.down.out, s.down.in, s.down.w, s.down.bias, s.down.act = true, s.pv, s.hs, m.weights(), s.bias, Sigmoid
	s.down.sample = true
	if pk, ok := e.kernel.(kernel.Packer); ok {
		if p := pk.NewPacked(H, V); p != nil {
			// W does not change during the estimate: pack it once, in
			// both layouts, for the ~30,000 products (the up projection
			// then runs as an Up call on the packed Wᵀ, the same operand
			// bit for bit).
			p.Refresh(m.weights(), 0, H)
			s.up.down, s.up.w, s.up.pk = false, m.weights(), p
			s.down.pk = p
			return s
		}
	}
	s.wt = NewMat(V, H)
	for i := 0; i < H; i++ {
		for j, w := range m.W[i*V : (i+1)*V] {
			s.wt.Data[j*H+i] = w
		}
	}
	s.up.w = s.wt
	return s
}

// init draws v_0 from the base-rate model and computes its hidden
// pre-activations.
func (s *aisState) init() {
	p := s.bias
	asm.Sigmoid(p, s.bA)
	st := rng.NewStream(s.seed, 0, s.phInit)
	for r := 0; r < s.R; r++ {
		st.Bernoulli(s.v.Row(r), p, r, 0)
	}
	s.up.bin = binaryInput(&s.binList, s.e.pool, s.up, 1)
	s.up.goOn(s.e.pool)
}

// step moves from β_{k−1} = b0 to β_k = b1: it adds
// log p_k*(v) − log p_{k−1}*(v) to every run's log-weight and, when sample is
// set, makes one Gibbs sweep at β_k. b1 < b0 is the reverse direction
// (ReverseAIS), b1 = b0 a plain sweep that leaves the weights alone.
func (s *aisState) step(k int, b0, b1 float64, sample bool) {
	s.b0, s.b1, s.sample = b0, b1, sample
	s.stream = rng.NewStream(s.seed, uint64(k), s.phHidden)
	s.e.pool.Run(s.R, 1, s.hidFn)
	if !sample {
		return
	}
	bb := float32(b1)
	for j, x := range s.m.B {
		s.bias[j] = (1-bb)*s.bA[j] + bb*x
	}
	s.down.s = Sample{Dst: s.v, Stream: rng.NewStream(s.seed, uint64(k), s.phVisible)}
	s.down.bin = binaryInput(&s.binList, s.e.pool, s.down, bb)
	s.down.goOn(s.e.pool)
	s.up.bin = binaryInput(&s.binList, s.e.pool, s.up, 1)
	s.up.goOn(s.e.pool) // the pre-activations of the new visible states
}

// hidden does the hidden-side work of a temperature for the runs [lo, hi):
// the log-weight increment
//
//	(β_k − β_{k−1})·(b − b_A)ᵀv + Σ_i softplus(β_k a_i) − softplus(β_{k−1} a_i)
//
// and, when sampling, h ~ σ(β_k a) stored as β_k·h. With Δ = (β_k − β_{k−1})·a_i
// and s0 = σ(β_{k−1} a_i), the softplus difference is log1p(s0·expm1(Δ)) and
// σ(β_k a_i) = s0·(1 + expm1(Δ)) / (1 + s0·expm1(Δ)); for |Δ| ≤ 1/32 (every
// step of the default schedule unless |a_i| > 31) both come from short
// polynomials with relative error below 1e-10, so the increment keeps its
// relative precision however small it is. Larger steps use math.Exp and
// math.Log1p in float64.
func (s *aisState) hidden(_, lo, hi int) {
	b0, db := s.b0, s.b1-s.b0
	b0f := float32(b0)
	bb := float32(s.b1)
	for r := lo; r < hi; r++ {
		a, ph := s.a.Row(r), s.ph.Row(r)
		for i, x := range a {
			ph[i] = b0f * x
		}
		asm.Sigmoid(ph, ph)
		var dv float64 // (b − b_A)ᵀv; v holds exact 0/1 states
		for j, x := range s.v.Row(r) {
			if x != 0 {
				dv += s.db[j]
			}
		}
		acc := db * dv
		if db != 0 {
			for i, x := range a {
				d := db * float64(x)
				if math.Abs(d) <= 1.0/32 {
					s0 := float64(ph[i])
					em := expm1Small(d)
					y := s0 * em
					acc += log1pSmall(y)
					ph[i] = float32(s0 * (1 + em) / (1 + y))
				} else {
					x0, x1 := b0*float64(x), s.b1*float64(x)
					acc += softplus(x1) - softplus(x0)
					ph[i] = float32(1 / (1 + math.Exp(-x1)))
				}
			}
		}
		s.logw[r] += acc
		if s.sample {
			h := s.hs.Row(r)
			s.stream.Bernoulli(h, ph, r, 0)
			for i, x := range h {
				h[i] = x * bb
			}
		}
	}
}

// expm1Small is e^x − 1 for |x| ≤ 1/32: Taylor to degree 7 (relative error
// below 1e-14).
func expm1Small(x float64) float64 {
	return x * (1 + x*(1.0/2+x*(1.0/6+x*(1.0/24+x*(1.0/120+x*(1.0/720+x*(1.0/5040)))))))
}

// log1pSmall is log(1 + y) for |y| ≤ 0.0318: the alternating series to
// degree 9 (relative error below 1e-14).
func log1pSmall(y float64) float64 {
	return y * (1 + y*(-1.0/2+y*(1.0/3+y*(-1.0/4+y*(1.0/5+y*(-1.0/6+y*(1.0/7+y*(-1.0/8+y*(1.0/9)))))))))
}

// AISLogLikelihood estimates log Z with AIS (opt as for AIS) and returns the
// mean log-likelihood mean(−F(v)) − log Ẑ of the rows of v with the
// estimate: the --logz-every monitor of long training runs. The bounds of
// the mean log-likelihood are mean(−F(v)) − res.LogZUpper and
// mean(−F(v)) − res.LogZLower (none when LogZLower is NaN).
func (m *RBM) AISLogLikelihood(ctx context.Context, v []float32, opt AISOptions) (ll float64, res AISResult, err error) {
	if rows, err := m.rows(v, m.Visible); err != nil {
		return 0, AISResult{}, err
	} else if rows == 0 {
		return 0, AISResult{}, fmt.Errorf("%w: no rows", ErrShape)
	}
	if err := m.checkVisible(v); err != nil {
		return 0, AISResult{}, err
	}
	if res, err = m.AIS(ctx, opt); err != nil {
		return 0, res, err
	}
	ll, err = m.LogLikelihood(v, res.LogZ)
	return ll, res, err
}
