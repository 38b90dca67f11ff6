package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/boltzgo/boltz/rng"
)

// Reverse AIS (Burda, Grosse & Salakhutdinov 2015, "Accurate and conservative
// estimates of MRF log-likelihood using reverse annealing"; PyDeep's
// reverse_annealed_importance_sampling): the runs start from states of the
// model B (β_K = 1) and anneal down the schedule of AIS to the base-rate model
// A. With x_K the start and x_{k−1} the state after one Gibbs sweep at β_{k−1}
// from x_k, the weight
//
//	w = Π_{k=1..K} p_{k−1}*(x_k) / p_k*(x_k)
//
// has E[w] = Z_A/Z_B when x_K ~ B exactly, so log Ẑ_B = log Z_A − log mean(w).
// By Jensen's inequality this estimate overstates log Z on average, where
// forward AIS understates it: the two bracket log Z (and the log-likelihoods
// mean(−F) − log Ẑ from both sides). Started from data rows or from short
// Gibbs chains rather than exact model samples, the bracket is only as good as
// the start's closeness to B.

// DefaultReverseAISGibbs is the number of Gibbs sweeps at β = 1 before the
// annealing when ReverseAISOptions.Gibbs is 0: one from the Start rows (as
// PyDeep, which samples h and then v once from its data), and
// DefaultReverseAISBurnIn from base-model samples when Start is nil.
const (
	DefaultReverseAISGibbs  = 1
	DefaultReverseAISBurnIn = 1000
)

// ReverseAISOptions configures RBM.ReverseAIS.
type ReverseAISOptions struct {
	// AISOptions gives the runs, the schedule (run in reverse), the base-rate
	// model and the seed, as for AIS.
	AISOptions
	// Start holds the rows (R×V, values in [0, 1]) the runs start from, for
	// instance the evaluation data: run r takes row r of a random
	// permutation of them (seeded by Seed; rows repeat when R < Runs), as a
	// binary state drawn with p(v_j = 1) = x_j (a binary row is taken as it
	// is). nil: each run starts from a sample of the base-rate model.
	Start []float32
	// Gibbs is the number of Gibbs sweeps at β = 1 from the start before the
	// annealing (persistent chains towards the model); 0:
	// DefaultReverseAISGibbs with Start, DefaultReverseAISBurnIn without;
	// negative: none, the runs anneal from the Start rows themselves.
	Gibbs int
}

// ReverseAISResult is a reverse-AIS estimate of log Z.
type ReverseAISResult struct {
	// LogZ is log Ẑ = log Z_A − log mean(w).
	LogZ float64
	// LogZLower and LogZUpper are log Z_A − log(mean(w) + 3σ̂) and
	// log Z_A − log(mean(w) − 3σ̂), σ̂ = std(w)/√Runs: the 3σ̂ band of the
	// weights' mean, mapped through the decreasing Z_A/x (so the upper
	// bound of the weights gives the lower one of log Z). Where 3σ̂ ≥
	// mean(w) there is no upper bound and LogZUpper is NaN. These bands hold
	// for starts drawn from the model; started from data they say nothing
	// of the start's bias.
	LogZLower, LogZUpper float64
	// LogZBase is log Z_A, the base-rate model's exact log partition function.
	LogZBase float64
	// LogWeights holds log w of every run (E[w] = Z_A/Z_B).
	LogWeights []float64
	// Runs and Temperatures are the number of runs and of β values used;
	// Gibbs the sweeps at β = 1 before the annealing.
	Runs, Temperatures, Gibbs int
	// Seconds is the wall time of the estimate.
	Seconds float64
}

// Random-stream phases of reverse AIS.
const (
	phaseRevInit    = 0x3000_0030
	phaseRevHidden  = 0x3000_0031
	phaseRevVisible = 0x3000_0032
	phaseRevPick    = 0x3000_0033
)

// ReverseAIS estimates log Z by reverse annealed importance sampling (see
// ReverseAISOptions and ReverseAISResult), on the same machinery as AIS:
// every temperature costs one hidden and one visible projection of all runs
// through the engine's kernel, the inner loop does not allocate, ctx is
// checked every 64 temperatures, and the estimate is a function of the model,
// the options and the seed only. Bernoulli visible units only: a Gaussian or
// categorical model gives an error wrapping ErrConfig.
func (m *RBM) ReverseAIS(ctx context.Context, opt ReverseAISOptions) (ReverseAISResult, error) {
	start := time.Now()
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.Validate(); err != nil {
		return ReverseAISResult{}, err
	}
	if m.VisibleUnits != Bernoulli {
		return ReverseAISResult{}, fmt.Errorf("%w: reverse AIS needs Bernoulli visible units, the model's are %s", ErrConfig, m.VisibleUnits)
	}
	runs := opt.Runs
	if runs == 0 {
		runs = DefaultAISRuns
	}
	if runs < 2 {
		return ReverseAISResult{}, fmt.Errorf("%w: AIS needs at least 2 runs, have %d", ErrConfig, runs)
	}
	V := m.Visible
	rows := 0
	if opt.Start != nil {
		var err error
		if rows, err = m.rows(opt.Start, V); err != nil {
			return ReverseAISResult{}, fmt.Errorf("reverse AIS start: %w", err)
		}
		if rows == 0 {
			return ReverseAISResult{}, fmt.Errorf("%w: reverse AIS: no start rows", ErrShape)
		}
		if err := checkUnit(opt.Start, V); err != nil {
			return ReverseAISResult{}, fmt.Errorf("reverse AIS start: %w", err)
		}
	}
	gibbs := opt.Gibbs
	switch {
	case gibbs < 0:
		gibbs = 0
	case gibbs == 0 && opt.Start != nil:
		gibbs = DefaultReverseAISGibbs
	case gibbs == 0:
		gibbs = DefaultReverseAISBurnIn
	}
	bA, err := m.aisBaseBias(opt.AISOptions)
	if err != nil {
		return ReverseAISResult{}, err
	}
	betas, err := m.aisSchedule(ctx, opt.AISOptions, runs, bA)
	if err != nil {
		return ReverseAISResult{}, err
	}
	e, err := m.Engine()
	if err != nil {
		return ReverseAISResult{}, err
	}
	s := newAISState(m, e, runs, bA, opt.Seed)
	s.phInit, s.phHidden, s.phVisible = phaseRevInit, phaseRevHidden, phaseRevVisible
	if opt.Start == nil {
		s.init() // base-model samples and their pre-activations
	} else {
		pick := rng.NewStream(opt.Seed, 0, phaseRevPick)
		order := permutation(rows, pick)
		st := rng.NewStream(opt.Seed, 0, phaseRevInit)
		for r := 0; r < runs; r++ {
			row := order[r%rows]
			st.Bernoulli(s.v.Row(r), opt.Start[row*V:(row+1)*V], r, 0)
		}
		s.up.goOn(s.e.pool)
	}
	K := len(betas) - 1
	for t := 0; t < gibbs; t++ { // sweeps at β = 1: no weight
		if t%64 == 63 {
			if err := ctx.Err(); err != nil {
				return ReverseAISResult{}, err
			}
		}
		s.step(K+1+t, 1, 1, true)
	}
	for k := K; k >= 1; k-- {
		if k%64 == 0 {
			if err := ctx.Err(); err != nil {
				return ReverseAISResult{}, err
			}
		}
		// log p_{k−1}*(x_k) − log p_k*(x_k), then a sweep at β_{k−1} (none
		// at the base model, where the run ends).
		s.step(k, betas[k], betas[k-1], k > 1)
	}
	logZA := s.logZBase()
	w := aisSummary(s.logw, 0) // log mean(w) and log(mean(w) ± 3σ̂)
	res := ReverseAISResult{
		LogZ:         logZA - w.LogZ,
		LogZLower:    logZA - w.LogZUpper,
		LogZUpper:    logZA - w.LogZLower, // NaN stays NaN
		LogZBase:     logZA,
		LogWeights:   w.LogWeights,
		Runs:         runs,
		Temperatures: len(betas),
		Gibbs:        gibbs,
		Seconds:      time.Since(start).Seconds(),
	}
	return res, nil
}

// permutation returns a random permutation of 0..n−1 drawn from st
// (Fisher–Yates with one number of (i, 0) per step).
func permutation(n int, st rng.Stream) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(uint64(st.Uint32(i, 0)) * uint64(i+1) >> 32)
		p[i], p[j] = p[j], p[i]
	}
	return p
}
