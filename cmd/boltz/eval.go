package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/engine"
)

const evalAbout = `Evaluates a model on --data and prints (for a model of bernoulli visible
units; gaussian and categorical models below):
  n                      rows evaluated
  recon_cross_entropy    mean over rows of the reconstruction cross-entropy, in
                         nats, summed over the visible units:
                         CE(v) = −Σ_j [v_j log σ(a_j) + (1−v_j) log(1−σ(a_j))]
                         with a = Wᵀh + b and h = p(h|v) the hidden probabilities
                         (mean-field, no sampling), computed from a with softplus
                         as Σ_j softplus(a_j) − v_j·a_j so it is finite for any a
  free_energy_mean       mean over rows of F(v) = −bᵀv − Σ_i softplus(c_i + W_i·v)
  pseudo_log_likelihood  mean over rows of scikit-learn's stochastic
                         pseudo-log-likelihood (BernoulliRBM.score_samples): one
                         randomly chosen unit j of each row is flipped and
                         PLL(v) = V·log σ(F(ṽ) − F(v)); the units come from --seed,
                         so a seed flips the same units on every call. It is
                         V times a one-unit estimate, so it scales with the
                         number of visible units V: compare it only between
                         models of the same data, never across data sets.

With --logz it also prints log Z and the mean log-likelihood
mean(−F(v)) − log Z (nats per row):
  --logz exact   enumerates the smaller layer (2^min(V,H) states, in blocks
                 through the kernel) and sums the other out; refused when
                 min(V,H) > --logz-max-bits.
  --logz ais     annealed importance sampling (Salakhutdinov & Murray 2008):
                 --ais-runs runs from a base-rate model (visible biases from the
                 smoothed unit frequencies of --ais-base) through the default
                 schedule of 14,503 temperatures (0:1/1000:0.5, 0.5:1/10000:0.9,
                 0.9:1/100000:1) or about --ais-betas N of the same shape. It
                 reports log Ẑ with the bounds log(Ẑ ± 3σ̂); where 3σ̂ ≥ Ẑ the
                 lower bound does not exist (null in JSON, with a warning):
                 add runs or temperatures. --ais-schedule linear spaces the N
                 temperatures evenly (PyDeep's); adaptive spaces them by the
                 spread of the log-weight increments that a pilot run of
                 N/10 temperatures (50 to 1,000) measures, which suits models
                 that sharpen early (large weights). --ais-base-rates mean
                 takes the plain data means (PyDeep's base model) rather than
                 the smoothed frequencies.
                 Reverse AIS (Burda et al. 2015, PyDeep's) then runs the same
                 schedule backwards, from --ais-runs rows of --data (drawn at
                 random with --seed, --ais-reverse-gibbs Gibbs sweeps of the
                 model first, default 1) down to the base model, and reports
                 log_z_reverse with its ±3σ̂ bounds. Forward AIS understates
                 log Z on average, reverse AIS from model samples overstates
                 it: the two bracket log Z, and log_likelihood_mean from the
                 reverse estimate is the conservative one. Data rows are not
                 model samples, so the bracket is as good as the model's fit.
                 --ais-reverse=false skips it.
--json prints one JSON object with the same names and, with --logz, log_z,
log_z_method, log_z_lower, log_z_upper (equal to log_z for exact),
log_likelihood_mean, log_z_seconds, and for AIS ais_runs and ais_temperatures
and (bernoulli models) log_z_reverse, log_z_reverse_lower and
log_z_reverse_upper (null where 3σ̂ exceeds the mean reverse weight),
log_likelihood_reverse_mean and log_z_reverse_seconds.

Gaussian and categorical models read --data as they were trained: real
values standardised as the model stores (NPY, IDX or CSV), or integer
states (integer NPY or CSV, or aligned FASTA) as one-hot rows. They print
n, visible_units, the reconstruction error of the type (recon_squared_error
Σ_j (v_j − a_j)² for gaussian units, recon_cross_entropy
Σ_positions log Σ_s exp(a_{p,s}) − a_{p,v_p} for categorical ones) and
free_energy_mean; --logz exact enumerates the hidden layer (H ≤
--logz-max-bits) and integrates (sums) the visible one out (a categorical
model with more hidden units enumerates its q^positions visible
configurations instead, when there are at most 2^--logz-max-bits of
them); --logz ais anneals from a base model of the same type fitted to
--ais-base (default --data): per-unit Gaussians of the data's means and
deviations, or the smoothed state frequencies. There is no
pseudo-likelihood, reverse AIS or adaptive schedule for them.`

type evalFlags struct {
	dataFlags
	sparseFlags
	engineFlags
	modelPath, dataSpec, logz, aisBase string
	aisSchedule, aisBaseRates          string
	asJSON, aisReverse                 bool
	seed                               uint64
	maxBits, aisRuns, aisBetas         int
	aisReverseGibbs                    int
}

func runEval(args []string, stdout, stderr io.Writer) error {
	var f evalFlags
	fs := newFlags("eval", "--model M [flags]", evalAbout, stderr)
	fs.StringVar(&f.modelPath, "model", "", "model file (required)")
	fs.StringVar(&f.dataSpec, "data", "mnist-test", "data: mnist-test, mnist, or an IDX, NPY, CSV, svmlight (.svm) or scipy CSR (.npz) file")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for --binarize stochastic, the pseudo-likelihood's flipped units and AIS")
	fs.StringVar(&f.logz, "logz", "none", "also estimate log Z and the log-likelihood: none, exact or ais")
	fs.IntVar(&f.maxBits, "logz-max-bits", engine.MaxExactBits, "largest min(V,H) --logz exact enumerates (2^N states)")
	fs.IntVar(&f.aisRuns, "ais-runs", engine.DefaultAISRuns, "AIS runs, advanced together as one batch (at least 2)")
	fs.IntVar(&f.aisBetas, "ais-betas", 0, "AIS temperatures: 0 for the default schedule of 14,503, or about N with the same shape")
	fs.StringVar(&f.aisBase, "ais-base", "", "data for the AIS base-rate model (default: mnist when --data is mnist-test, else --data)")
	fs.StringVar(&f.aisSchedule, "ais-schedule", "segmented", "shape of the --ais-betas N temperatures: segmented (the default schedule's), linear or adaptive")
	fs.StringVar(&f.aisBaseRates, "ais-base-rates", "smoothed", "AIS base rates from --ais-base: smoothed (Salakhutdinov & Murray) or mean (PyDeep)")
	fs.BoolVar(&f.aisReverse, "ais-reverse", true, "with --logz ais, also reverse AIS from the --data rows (bernoulli models)")
	fs.IntVar(&f.aisReverseGibbs, "ais-reverse-gibbs", engine.DefaultReverseAISGibbs, "Gibbs sweeps of the model from the data rows before reverse AIS anneals (0: none)")
	f.dataFlags.register(fs)
	f.sparseFlags.register(fs)
	f.engineFlags.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case f.modelPath == "":
		return usagef("--model is required")
	case f.logz != "none" && f.logz != "exact" && f.logz != "ais":
		return usagef("--logz %q: want none, exact or ais", f.logz)
	case f.maxBits < 1 || f.maxBits > 40:
		return usagef("--logz-max-bits %d: want 1..40", f.maxBits)
	case f.aisRuns < 2:
		return usagef("--ais-runs %d: AIS needs at least 2 runs", f.aisRuns)
	case f.aisBetas < 0 || f.aisBetas == 1:
		return usagef("--ais-betas %d: want 0 (the default schedule) or a count of at least 2", f.aisBetas)
	case f.aisBaseRates != "smoothed" && f.aisBaseRates != "mean":
		return usagef("--ais-base-rates %q: want smoothed or mean", f.aisBaseRates)
	case f.aisReverseGibbs < 0:
		return usagef("--ais-reverse-gibbs %d: want 0 or more sweeps", f.aisReverseGibbs)
	}
	if _, err := engine.ParseAISSchedule(f.aisSchedule); err != nil {
		return usagef("--ais-schedule %q: want segmented, linear or adaptive", f.aisSchedule)
	}
	opt, err := f.options(f.seed)
	if err != nil {
		return err
	}
	st, eng, err := f.loadStack(f.modelPath)
	if err != nil {
		return err
	}
	defer eng.Close()
	sparse, err := f.sparseFlags.kind(f.dataSpec)
	if err != nil {
		return err
	}
	if sparse != "" && (len(st.Layers) > 1 || st.Layers[0].VisibleUnits != engine.Bernoulli) {
		return usagef("--data %s: sparse data are evaluated on single RBMs of bernoulli visible units (transform reads them for any stack)", f.dataSpec)
	}
	if len(st.Layers) > 1 {
		return f.evalStack(st, opt, stdout, stderr)
	}
	m := st.Layers[0]
	if m.VisibleUnits != engine.Bernoulli {
		return f.evalUnits(m, opt, stdout)
	}
	if f.logz == "exact" && min(m.Visible, m.Hidden) > f.maxBits {
		return usagef("--logz exact: the model has min(V,H) = %d > --logz-max-bits %d (2^%d states); use --logz ais", min(m.Visible, m.Hidden), f.maxBits, min(m.Visible, m.Hidden))
	}
	var rows engine.RowSource
	var res evalResult
	if sparse != "" {
		if rows, err = f.sparseFlags.loadRows(f.dataSpec, sparse, opt, m.Visible, stderr); err != nil {
			return err
		}
		res, err = evaluateRows(m, rows, f.seed)
	} else {
		set, err := data.Load(f.dataSpec, opt)
		if err != nil {
			return err
		}
		noteData(stderr, set)
		if set.X.Cols != m.Visible {
			return fmt.Errorf("%s has %d columns but the model has %d visible units", set.Name, set.X.Cols, m.Visible)
		}
		rows = engine.Dense(set.X.Data, set.X.Cols)
		res, err = evaluate(m, set.X.Data, f.seed)
	}
	if err != nil {
		return err
	}
	if f.logz != "none" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		lz, err := f.logZ(ctx, m, rows, opt, stderr)
		if errors.Is(err, context.Canceled) {
			return exitCode{130, fmt.Errorf("interrupted during the log Z estimate")}
		}
		if err != nil {
			return err
		}
		lz.LogLikelihood = -res.FreeEnergy - lz.LogZ
		if lz.LogZReverse != nil {
			ll := -res.FreeEnergy - *lz.LogZReverse
			lz.LogLikelihoodReverse = &ll
		}
		res.logZJSON = lz
	}
	if f.asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "n                      %d\nrecon_cross_entropy    %.4f\nfree_energy_mean       %.4f\npseudo_log_likelihood  %.4f\n",
		res.N, res.ReconCE, res.FreeEnergy, res.PLL)
	if lz := res.logZJSON; lz != nil {
		lower := "none"
		if lz.LogZLower != nil {
			lower = fmt.Sprintf("%.4f", *lz.LogZLower)
		}
		fmt.Fprintf(stdout, "log_z                  %.4f (%s", lz.LogZ, lz.Method)
		if lz.Method == "ais" {
			fmt.Fprintf(stdout, ", %d runs, %d temperatures; ±3σ̂ bounds %s, %.4f", lz.Runs, lz.Temperatures, lower, lz.LogZUpper)
		}
		fmt.Fprintf(stdout, ", %.1fs)\n", lz.Seconds)
		if lz.LogZReverse != nil {
			upper := "none"
			if lz.revUpper != nil {
				upper = fmt.Sprintf("%.4f", *lz.revUpper)
			}
			fmt.Fprintf(stdout, "log_z_reverse          %.4f (reverse AIS from the data; ±3σ̂ bounds %.4f, %s, %.1fs)\n",
				*lz.LogZReverse, *lz.LogZReverseLower, upper, *lz.ReverseSeconds)
		}
		fmt.Fprintf(stdout, "log_likelihood_mean    %.4f\n", lz.LogLikelihood)
		if lz.LogLikelihoodReverse != nil {
			fmt.Fprintf(stdout, "log_likelihood_reverse %.4f (with log_z_reverse: the conservative side)\n", *lz.LogLikelihoodReverse)
		}
	}
	return nil
}

// logZ runs the chosen log Z computation.
func (f *evalFlags) logZ(ctx context.Context, m *engine.RBM, set engine.RowSource, opt data.Options, stderr io.Writer) (*logZJSON, error) {
	start := time.Now()
	if f.logz == "exact" {
		lz, err := m.LogZExact(f.maxBits)
		if err != nil {
			return nil, err
		}
		return &logZJSON{LogZ: lz, Method: "exact", LogZLower: &lz, LogZUpper: lz, Seconds: time.Since(start).Seconds()}, nil
	}
	base := set
	spec := f.aisBase
	if spec == "" && f.dataSpec == "mnist-test" {
		spec = "mnist"
	}
	if spec != "" && spec != f.dataSpec {
		baseOpt := opt
		baseOpt.Limit = 0
		sparse, err := f.sparseFlags.kind(spec)
		if err != nil {
			return nil, err
		}
		if sparse != "" {
			if base, err = f.sparseFlags.loadRows(spec, sparse, baseOpt, m.Visible, io.Discard); err != nil {
				return nil, fmt.Errorf("--ais-base: %w", err)
			}
		} else {
			set, err := data.Load(spec, baseOpt)
			if err != nil {
				return nil, fmt.Errorf("--ais-base: %w", err)
			}
			if set.X.Cols != m.Visible {
				return nil, fmt.Errorf("--ais-base %s has %d columns but the model has %d visible units", set.Name, set.X.Cols, m.Visible)
			}
			base = engine.Dense(set.X.Data, set.X.Cols)
		}
	}
	// The base rates of the data's unit frequencies, read row by row (only
	// the nonzeros of sparse rows): BaseRateVisibleBias (or, with
	// --ais-base-rates mean, MeanVisibleBias) of the same rows.
	baseRates := engine.BaseRateVisibleBiasRows
	if f.aisBaseRates == "mean" {
		baseRates = engine.MeanVisibleBiasRows
	}
	bias, err := baseRates(base)
	if err != nil {
		return nil, err
	}
	aopt := f.aisOptions(nil)
	aopt.BaseVisibleBias = bias
	r, err := m.AIS(ctx, aopt)
	if err != nil {
		return nil, err
	}
	lz := &logZJSON{LogZ: r.LogZ, Method: "ais", LogZUpper: r.LogZUpper, Runs: r.Runs, Temperatures: r.Temperatures,
		Seconds: time.Since(start).Seconds()}
	if math.IsNaN(r.LogZLower) {
		fmt.Fprintf(stderr, "boltz eval: warning: the AIS weights are too spread for a lower bound on log Z (3σ̂ ≥ Ẑ with %d runs and %d temperatures); add runs (--ais-runs) or temperatures (--ais-betas)\n", r.Runs, r.Temperatures)
	} else {
		lo := r.LogZLower
		lz.LogZLower = &lo
	}
	if !f.aisReverse {
		return lz, nil
	}
	gibbs := f.aisReverseGibbs
	if gibbs == 0 {
		gibbs = -1 // the engine's "none"
	}
	starts, err := reverseStart(ctx, set)
	if err != nil {
		return nil, err
	}
	rv, err := m.ReverseAIS(ctx, engine.ReverseAISOptions{AISOptions: aopt, Start: starts, Gibbs: gibbs})
	if err != nil {
		return nil, fmt.Errorf("reverse AIS: %w", err)
	}
	lz.LogZReverse, lz.LogZReverseLower, lz.ReverseSeconds = &rv.LogZ, &rv.LogZLower, &rv.Seconds
	lz.LogZReverseUpper = json.RawMessage("null")
	if math.IsNaN(rv.LogZUpper) {
		fmt.Fprintf(stderr, "boltz eval: warning: the reverse AIS weights are too spread for an upper bound on log Z (3σ̂ ≥ mean weight with %d runs and %d temperatures); add runs (--ais-runs) or temperatures (--ais-betas)\n", rv.Runs, rv.Temperatures)
	} else {
		lz.revUpper = &rv.LogZUpper
		if lz.LogZReverseUpper, err = json.Marshal(rv.LogZUpper); err != nil {
			return nil, err
		}
	}
	return lz, nil
}

// maxReverseStart bounds the values of the rows reverse AIS may start from:
// the first rows of the data up to 2^26 values (all of MNIST's test set), so
// that a wide sparse set is never densified whole.
const maxReverseStart = 1 << 26

// reverseStart returns the rows reverse AIS starts from, dense: the first
// rows of set, at most maxReverseStart values.
func reverseStart(ctx context.Context, set engine.RowSource) ([]float32, error) {
	V := set.Cols()
	rows := min(set.Rows(), max(1, maxReverseStart/max(1, V)))
	out := make([]float32, rows*V)
	for i := 0; i < rows; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err := set.ReadRow(i, out[i*V:(i+1)*V]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// aisOptions are the AIS options of the flags, with base rates from base.
func (f *evalFlags) aisOptions(base []float32) engine.AISOptions {
	sched, _ := engine.ParseAISSchedule(f.aisSchedule) // checked in runEval
	return engine.AISOptions{Runs: f.aisRuns, Data: base, Seed: f.seed, Temperatures: f.aisBetas, Schedule: sched,
		MeanBase: f.aisBaseRates == "mean"}
}

// evalUnits is eval for Gaussian and categorical models: the data as the
// model reads them (standardised, or one-hot), the reconstruction error of
// the type (recon_squared_error for gaussian units, recon_cross_entropy for
// categorical ones), the free energy and, with --logz exact, the exact log Z
// (the hidden layer enumerated). The pseudo-likelihood and AIS are for
// bernoulli units only.
func (f *evalFlags) evalUnits(m *engine.RBM, opt data.Options, stdout io.Writer) error {
	x, rows, name, err := loadForModel(m, f.dataSpec, opt)
	if err != nil {
		return err
	}
	if rows == 0 {
		return fmt.Errorf("%s: no rows", name)
	}
	buf := make([]float32, rows)
	if err := m.ReconstructionError(buf, x); err != nil {
		return err
	}
	re := mean(buf)
	if err := m.FreeEnergy(buf, x); err != nil {
		return err
	}
	res := unitsResult{N: rows, Units: m.VisibleUnits.String(), FreeEnergy: mean(buf)}
	key := "recon_cross_entropy"
	if m.VisibleUnits == engine.Gaussian {
		res.ReconSE, key = &re, "recon_squared_error"
	} else {
		res.ReconCE = &re
	}
	if f.logz == "exact" {
		start := time.Now()
		lz, err := m.LogZExact(f.maxBits)
		if errors.Is(err, engine.ErrConfig) {
			return usagef("--logz exact: %v (raise --logz-max-bits, or use --logz ais)", err)
		}
		if err != nil {
			return err
		}
		res.logZJSON = &logZJSON{LogZ: lz, Method: "exact", LogZLower: &lz, LogZUpper: lz, Seconds: time.Since(start).Seconds(),
			LogLikelihood: -res.FreeEnergy - lz}
	}
	if f.logz == "ais" {
		base := x
		if f.aisBase != "" && f.aisBase != f.dataSpec {
			bopt := opt
			bopt.Limit = 0
			if base, _, _, err = loadForModel(m, f.aisBase, bopt); err != nil {
				return fmt.Errorf("--ais-base: %w", err)
			}
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		r, err := m.AIS(ctx, f.aisOptions(base))
		if errors.Is(err, context.Canceled) {
			return exitCode{130, fmt.Errorf("interrupted during the log Z estimate")}
		}
		if errors.Is(err, engine.ErrConfig) {
			return usagef("--logz ais: %v", err)
		}
		if err != nil {
			return err
		}
		lz := &logZJSON{LogZ: r.LogZ, Method: "ais", LogZUpper: r.LogZUpper, Runs: r.Runs, Temperatures: r.Temperatures,
			Seconds: r.Seconds, LogLikelihood: -res.FreeEnergy - r.LogZ}
		if !math.IsNaN(r.LogZLower) {
			lo := r.LogZLower
			lz.LogZLower = &lo
		}
		res.logZJSON = lz
	}
	if f.asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "n                      %d\nvisible_units          %s\n%-22s %.4f\nfree_energy_mean       %.4f\n", rows, res.Units, key, re, res.FreeEnergy)
	if lz := res.logZJSON; lz != nil {
		fmt.Fprintf(stdout, "log_z                  %.4f (%s, %.1fs)\nlog_likelihood_mean    %.4f\n", lz.LogZ, lz.Method, lz.Seconds, lz.LogLikelihood)
	}
	return nil
}

// unitsResult is eval's result for Gaussian and categorical models.
type unitsResult struct {
	N          int      `json:"n"`
	Units      string   `json:"visible_units"`
	ReconCE    *float64 `json:"recon_cross_entropy,omitempty"`
	ReconSE    *float64 `json:"recon_squared_error,omitempty"`
	FreeEnergy float64  `json:"free_energy_mean"`
	*logZJSON
}

type evalResult struct {
	N          int     `json:"n"`
	ReconCE    float64 `json:"recon_cross_entropy"`
	FreeEnergy float64 `json:"free_energy_mean"`
	PLL        float64 `json:"pseudo_log_likelihood"`
	*logZJSON
}

// logZJSON holds the --logz results; LogZLower is nil (null) where the AIS
// lower bound does not exist.
type logZJSON struct {
	LogZ          float64  `json:"log_z"`
	Method        string   `json:"log_z_method"`
	LogZLower     *float64 `json:"log_z_lower"`
	LogZUpper     float64  `json:"log_z_upper"`
	LogLikelihood float64  `json:"log_likelihood_mean"`
	Seconds       float64  `json:"log_z_seconds"`
	Runs          int      `json:"ais_runs,omitempty"`
	Temperatures  int      `json:"ais_temperatures,omitempty"`
	// Reverse AIS (bernoulli models; absent otherwise): the upper bound is
	// nil (null) where it does not exist.
	LogZReverse          *float64        `json:"log_z_reverse,omitempty"`
	LogZReverseLower     *float64        `json:"log_z_reverse_lower,omitempty"`
	LogZReverseUpper     json.RawMessage `json:"log_z_reverse_upper,omitempty"` // a number or null
	revUpper             *float64        // the same for the text output
	LogLikelihoodReverse *float64        `json:"log_likelihood_reverse_mean,omitempty"`
	ReverseSeconds       *float64        `json:"log_z_reverse_seconds,omitempty"`
}

func evaluate(m *engine.RBM, x []float32, seed uint64) (evalResult, error) {
	rows := len(x) / m.Visible
	buf := make([]float32, rows)
	res := evalResult{N: rows}
	if err := m.ReconstructionCrossEntropy(buf, x); err != nil {
		return res, err
	}
	res.ReconCE = mean(buf)
	if err := m.FreeEnergy(buf, x); err != nil {
		return res, err
	}
	res.FreeEnergy = mean(buf)
	if err := m.PseudoLogLikelihood(buf, x, seed); err != nil {
		return res, err
	}
	res.PLL = mean(buf)
	return res, nil
}

func mean(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	if len(x) == 0 {
		return math.NaN()
	}
	return s / float64(len(x))
}
