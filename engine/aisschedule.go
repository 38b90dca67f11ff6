package engine

import (
	"context"
	"fmt"
	"math"
)

// AIS temperature schedules. The estimate is unbiased for any schedule; the
// schedule sets its variance. With one Gibbs sweep per temperature near
// equilibrium, the variance of log w is about Σ_k (β_k − β_{k−1})²·Var_β(U),
// U(v) = ∂/∂β log p_β*(v) = (b − b_A)ᵀv + Σ_i a_i σ(β a_i), a = Wv + c: the
// steps should be dense where U spreads. Salakhutdinov & Murray's shape
// (AISSegmented) is dense near β = 1, where a model trained on MNIST
// sharpens; a model with large weights, such as PyDeep's bars-and-stripes
// test model, is already sharp at β ≈ 0.1 and gathers 97% of that variance
// below β = 0.25, where the segmented shape spends 1/58 of its steps.
// AISAdaptive measures sd_β(U) in a pilot run and spaces the steps
// evenly in Σ sd·Δβ (the thermodynamic length), which minimises the sum above
// for a given count.

// AISSchedule is the shape of a schedule of a given number of temperatures
// (AISOptions.Temperatures and Schedule).
type AISSchedule int

const (
	// AISSegmented is the shape of DefaultAISBetas (AISBetas).
	AISSegmented AISSchedule = iota
	// AISLinear spaces the temperatures evenly in [0, 1], as PyDeep's
	// np.linspace(0, 1, n) (LinearAISBetas).
	AISLinear
	// AISAdaptive spaces them evenly in thermodynamic length, measured
	// by a pilot AIS run (AdaptiveAISBetas). Bernoulli visible units only.
	AISAdaptive
)

// String returns the schedule's flag name: segmented, linear or adaptive.
func (s AISSchedule) String() string {
	switch s {
	case AISSegmented:
		return "segmented"
	case AISLinear:
		return "linear"
	case AISAdaptive:
		return "adaptive"
	}
	return fmt.Sprintf("AISSchedule(%d)", int(s))
}

// ParseAISSchedule returns the schedule of a flag name (see String).
func ParseAISSchedule(name string) (AISSchedule, error) {
	for _, s := range []AISSchedule{AISSegmented, AISLinear, AISAdaptive} {
		if s.String() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("%w: AIS schedule %q: want segmented, linear or adaptive", ErrConfig, name)
}

// LinearAISBetas returns n temperatures spaced evenly from 0 to 1 (n ≥ 2;
// fewer gives the two ends).
func LinearAISBetas(n int) []float64 {
	n = max(n, 2)
	b := make([]float64, n)
	for i := range b {
		b[i] = float64(i) / float64(n-1)
	}
	b[n-1] = 1
	return b
}

// Pilot of the adaptive schedule: a linear grid of n/10 temperatures, at
// least 50 and at most 1,000 (7% of the cost of 14,503 temperatures); the
// density of the steps is sd_β(U) plus adaptiveFloor times its mean, so that
// a β where the pilot saw no spread still gets steps.
const (
	adaptiveGridMin, adaptiveGridMax = 50, 1000
	adaptiveFloor                    = 0.2
)

// AdaptiveAISBetas returns n temperatures from 0 to 1 spaced evenly in
// thermodynamic length: a pilot AIS run (opt's runs, base model and seed, its
// own random streams; opt's schedule fields are ignored) on a linear grid
// measures the spread sd_β(U) of ∂ log p_β*(v)/∂β over its runs at every grid
// temperature, and the steps get a density proportional to sd + 0.2·mean(sd).
// The schedule is a function of the model and opt only. Bernoulli visible
// units only.
func (m *RBM) AdaptiveAISBetas(ctx context.Context, n int, opt AISOptions) ([]float64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if m.VisibleUnits != Bernoulli {
		return nil, fmt.Errorf("%w: the adaptive AIS schedule needs Bernoulli visible units, the model's are %s", ErrConfig, m.VisibleUnits)
	}
	runs := opt.Runs
	if runs == 0 {
		runs = DefaultAISRuns
	}
	if runs < 2 {
		return nil, fmt.Errorf("%w: AIS needs at least 2 runs, have %d", ErrConfig, runs)
	}
	if n < 2 {
		return nil, fmt.Errorf("%w: an AIS schedule needs at least 2 temperatures, have %d", ErrConfig, n)
	}
	bA, err := m.aisBaseBias(opt)
	if err != nil {
		return nil, err
	}
	return m.adaptiveBetas(ctx, n, runs, bA, opt.Seed)
}

// aisSchedule returns the schedule of opt (see AISOptions.Betas), checked.
// bA is the base visible bias (Bernoulli units; nil otherwise).
func (m *RBM) aisSchedule(ctx context.Context, opt AISOptions, runs int, bA []float32) ([]float64, error) {
	if opt.Betas != nil {
		if err := checkBetas(opt.Betas); err != nil {
			return nil, err
		}
		return opt.Betas, nil
	}
	n := opt.Temperatures
	switch {
	case n < 0 || n == 1:
		return nil, fmt.Errorf("%w: AIS needs at least 2 temperatures, have %d", ErrConfig, n)
	case n == 0:
		n = 14503
	}
	var b []float64
	switch opt.Schedule {
	case AISSegmented:
		b = AISBetas(n)
		if opt.Temperatures == 0 {
			b = DefaultAISBetas()
		}
	case AISLinear:
		b = LinearAISBetas(n)
	case AISAdaptive:
		if m.VisibleUnits != Bernoulli {
			return nil, fmt.Errorf("%w: the adaptive AIS schedule needs Bernoulli visible units, the model's are %s", ErrConfig, m.VisibleUnits)
		}
		var err error
		if b, err = m.adaptiveBetas(ctx, n, runs, bA, opt.Seed); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: unknown AIS schedule %v", ErrConfig, opt.Schedule)
	}
	if err := checkBetas(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Random-stream phases of the adaptive schedule's pilot run.
const (
	phasePilotInit    = 0x3000_0040
	phasePilotHidden  = 0x3000_0041
	phasePilotVisible = 0x3000_0042
)

// adaptiveBetas is AdaptiveAISBetas on checked arguments (read lock held).
func (m *RBM) adaptiveBetas(ctx context.Context, n, runs int, bA []float32, seed uint64) ([]float64, error) {
	e, err := m.Engine()
	if err != nil {
		return nil, err
	}
	g := min(max(n/10, adaptiveGridMin), adaptiveGridMax)
	grid := LinearAISBetas(g)
	s := newAISState(m, e, runs, bA, seed)
	s.phInit, s.phHidden, s.phVisible = phasePilotInit, phasePilotHidden, phasePilotVisible
	s.init()
	sd := make([]float64, g)
	u := make([]float64, runs)
	for k := 0; k < g; k++ {
		if k > 0 {
			if k%64 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			s.step(k, grid[k-1], grid[k], true)
		}
		sd[k] = s.spreadU(grid[k], u)
	}
	// Cumulative length at the grid points (trapezoids), floored.
	var total float64
	for k := 1; k < g; k++ {
		total += (sd[k] + sd[k-1]) / 2 * (grid[k] - grid[k-1])
	}
	floor := adaptiveFloor * total // the mean of sd over [0, 1], times the floor
	if !(floor > 0) || math.IsInf(floor, 0) {
		return LinearAISBetas(n), nil // no measurable spread: nothing to adapt to
	}
	cum := make([]float64, g)
	for k := 1; k < g; k++ {
		cum[k] = cum[k-1] + ((sd[k]+sd[k-1])/2+floor)*(grid[k]-grid[k-1])
	}
	b := make([]float64, n)
	k := 1
	for i := 1; i < n-1; i++ {
		t := cum[g-1] * float64(i) / float64(n-1)
		for k < g-1 && cum[k] < t {
			k++
		}
		f := (t - cum[k-1]) / (cum[k] - cum[k-1])
		b[i] = math.Min(math.Max(grid[k-1]+f*(grid[k]-grid[k-1]), b[i-1]), 1)
	}
	b[n-1] = 1
	return b, nil
}

// spreadU returns the standard deviation over the runs of
// U(v) = (b − b_A)ᵀv + Σ_i a_i σ(β a_i) at the runs' current states (u:
// scratch of one value a run).
func (s *aisState) spreadU(beta float64, u []float64) float64 {
	var mean float64
	for r := range u {
		var x float64
		for j, v := range s.v.Row(r) {
			if v != 0 {
				x += s.db[j]
			}
		}
		for _, a := range s.a.Row(r) {
			x += float64(a) / (1 + math.Exp(-beta*float64(a)))
		}
		u[r] = x
		mean += x
	}
	mean /= float64(len(u))
	var ss float64
	for _, x := range u {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(u)-1))
}

// MeanVisibleBias returns the visible bias of PyDeep's base model: the logit
// of the unit means of data (R×visible, values in [0, 1]), clipped to
// [1e-5, 1 − 1e-5]. Unlike BaseRateVisibleBias it adds no pseudo-counts, so
// a data set whose units are on half the time gives the uniform base model.
// On PyDeep's bars-and-stripes test model that matters: from the uniform base
// the six patterns keep their final mass ratios along the path, while the
// smoothed rates (0.524 for its 8 rows) tilt the ratio between the patterns
// of different weight, which the runs, trapped in their patterns from
// β ≈ 0.2, carry to the end as spread weights (the error at 10,000
// temperatures grows from 0.002 to 0.015 nats).
func MeanVisibleBias(data []float32, visible int) ([]float32, error) {
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
	sum := make([]float64, visible)
	for r := 0; r < rows; r++ {
		for j, x := range data[r*visible : (r+1)*visible] {
			sum[j] += float64(x)
		}
	}
	return meanRates(sum, rows), nil
}

// meanRates is MeanVisibleBias of the column sums sum of rows rows: the one
// formula for dense rows and row sources.
func meanRates(sum []float64, rows int) []float32 {
	b := make([]float32, len(sum))
	for j, c := range sum {
		p := math.Min(math.Max(c/float64(rows), 1e-5), 1-1e-5)
		b[j] = float32(math.Log(p) - math.Log1p(-p))
	}
	return b
}
