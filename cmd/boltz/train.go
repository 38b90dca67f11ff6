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
	"github.com/boltzgo/boltz/internal/atomicfile"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

const trainAbout = `Trains a binary RBM on --data with minibatch SGD and CD-k (or PCD-k with
--pcd): the data-driven hidden states are sampled, the statistics use
probabilities (Hinton's Practical Guide §3.4). Momentum is min(0.5, M) for the
first 5 epochs and --momentum M afterwards; --decay is an L2 cost on the
weights only. After every epoch it prints the reconstruction cross-entropy
(nats per row; see "boltz eval --help") and the mean free energy of a
training subset and of the validation data (their gap is the overfitting
signal), and appends the same as a JSON line to --metrics. SIGINT or SIGTERM
stops after the current minibatch and saves the model trained so far.`

type trainFlags struct {
	dataFlags
	engineFlags
	dataSpec, val, out, metrics, vbias string
	valFrac                            float64
	hidden, epochs, batch, k, chains   int
	pcd, quiet                         bool
	lr, momentum, decay, sigma         float64
	sparsity, sparsityCost             float64
	monitor                            int
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	var f trainFlags
	fs := newFlags("train", "[flags]", trainAbout, stderr)
	fs.StringVar(&f.dataSpec, "data", "mnist", "training data: mnist (the 60,000 MNIST training images), mnist-test, or an IDX, NPY or CSV file")
	fs.StringVar(&f.val, "val", "", "validation data file (default: hold out --val-frac of the training rows)")
	fs.Float64Var(&f.valFrac, "val-frac", 1.0/6, "fraction of the training rows held out for validation when --val is not given (0: none)")
	fs.IntVar(&f.hidden, "hidden", 500, "hidden units")
	fs.IntVar(&f.epochs, "epochs", 10, "passes over the training data")
	fs.IntVar(&f.batch, "batch", 100, "minibatch rows")
	fs.Float64Var(&f.lr, "lr", 0.1, "learning rate for weights and biases")
	fs.IntVar(&f.k, "k", 1, "Gibbs steps in the negative phase (CD-k / PCD-k)")
	fs.BoolVar(&f.pcd, "pcd", false, "persistent contrastive divergence (persistent chains instead of restarting at the data)")
	fs.IntVar(&f.chains, "chains", 0, "persistent chains for --pcd (0: the batch size)")
	fs.Float64Var(&f.momentum, "momentum", 0.9, "momentum after the first 5 epochs (those use min(0.5, M)); 0 switches momentum off")
	fs.Float64Var(&f.decay, "decay", 2e-4, "L2 weight decay on W (0: off)")
	fs.Float64Var(&f.sparsity, "sparsity", 0, "target mean activation of the hidden units (0: no sparsity penalty)")
	fs.Float64Var(&f.sparsityCost, "sparsity-cost", 0.1, "strength of the sparsity penalty")
	fs.Float64Var(&f.sigma, "init-sigma", 0.01, "standard deviation of the initial weights")
	fs.StringVar(&f.vbias, "init-vbias", "data", "initial visible biases: data (log(p/(1-p)) of the unit means) or zero")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed: the same seed, data and flags give a bitwise-identical model for any worker count")
	fs.StringVar(&f.out, "out", "model.safetensors", "where to write the model (safetensors, written atomically)")
	fs.StringVar(&f.metrics, "metrics", "", "write the per-epoch metrics as JSON Lines to this file")
	fs.IntVar(&f.monitor, "monitor-rows", 5000, "rows of training and validation data the epoch metrics use (0: all)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	f.dataFlags.register(fs)
	f.engineFlags.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	// Refuse what cannot work before any long step.
	if err := atomicfile.CheckWritable(f.out); err != nil {
		return usagef("--out %s is not writable: %v", f.out, err)
	}
	if f.metrics != "" {
		if err := atomicfile.CheckWritable(f.metrics); err != nil {
			return usagef("--metrics %s is not writable: %v", f.metrics, err)
		}
	}
	eng, err := f.engine()
	if err != nil {
		return err
	}
	defer eng.Close()
	opt, err := f.options(f.seed)
	if err != nil {
		return err
	}

	trainSet, valSet, err := loadTrainVal(f.dataSpec, f.val, f.valFrac, opt)
	if err != nil {
		return err
	}
	V := trainSet.X.Cols
	if f.batch > trainSet.X.Rows {
		return usagef("--batch %d is larger than the %d training rows", f.batch, trainSet.X.Rows)
	}
	if valSet != nil && valSet.X.Cols != V {
		return fmt.Errorf("validation data has %d columns, training data %d", valSet.X.Cols, V)
	}
	m, err := engine.NewRBM(V, f.hidden, f.sigma, f.seed)
	if err != nil {
		return usageError{err}
	}
	m.SetEngine(eng)
	if f.vbias == "data" {
		if err := m.InitVisibleBias(trainSet.X.Data); err != nil {
			return err
		}
	}
	tr, err := engine.NewTrainer(m, cfg)
	if err != nil {
		return usageError{err}
	}

	var metricsOut *os.File
	if f.metrics != "" {
		if metricsOut, err = os.Create(f.metrics); err != nil {
			return err
		}
		defer metricsOut.Close()
	}
	nval := 0
	if valSet != nil {
		nval = valSet.X.Rows
	}
	fmt.Fprintf(stderr, "training %d×%d RBM on %s (%d rows, %d validation), kernel %s, %d workers, CD-%d%s\n",
		V, f.hidden, trainSet.Name, trainSet.X.Rows, nval, eng.Kernel().Name(), eng.Workers(), f.k, map[bool]string{true: " persistent"}[f.pcd])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var sig os.Signal
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if s, ok := <-sigs; ok {
			sig = s
		}
	}()

	prog := newProgress(stderr, f.quiet, f.epochs)
	fitOpt := engine.FitOptions{
		OnBatch: prog.batch,
		OnEpoch: func(me engine.EpochMetrics) error {
			prog.done()
			fmt.Fprintln(stderr, formatMetrics(me, f.epochs))
			if metricsOut != nil {
				line, _ := json.Marshal(jsonMetrics(me))
				if _, err := metricsOut.Write(append(line, '\n')); err != nil {
					return fmt.Errorf("--metrics: %w", err)
				}
			}
			return nil
		},
	}
	if valSet != nil {
		fitOpt.Val = valSet.X.Data
	}
	start := time.Now()
	fitErr := tr.Fit(ctx, trainSet.X.Data, fitOpt)
	prog.done()
	meta := map[string]string{"config": f.metadata(cfg, trainSet.Name, tr.Epoch(), eng)}
	switch {
	case fitErr == nil:
	case errors.Is(fitErr, context.Canceled):
		if err := m.SaveFile(f.out, meta); err != nil {
			return fmt.Errorf("interrupted, and saving the model failed: %w", err)
		}
		code := 130
		if sig == syscall.SIGTERM {
			code = 143
		}
		return exitCode{code, fmt.Errorf("interrupted in epoch %d after %d steps; the model so far is in %s", tr.Epoch()+1, tr.Steps(), f.out)}
	default:
		return fitErr
	}
	if err := m.SaveFile(f.out, meta); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "trained %d epochs in %.1fs; model written to %s\n", f.epochs, time.Since(start).Seconds(), f.out)
	return nil
}

// config turns the flags into a training configuration; bad values are
// usage errors.
func (f *trainFlags) config() (engine.Config, error) {
	switch {
	case f.hidden < 1:
		return engine.Config{}, usagef("--hidden %d: need at least 1 hidden unit", f.hidden)
	case f.epochs < 1:
		return engine.Config{}, usagef("--epochs %d: need at least 1", f.epochs)
	case f.batch < 1:
		return engine.Config{}, usagef("--batch %d: need at least 1 row", f.batch)
	case f.k < 1:
		return engine.Config{}, usagef("--k %d: need at least 1 Gibbs step", f.k)
	case f.chains < 0:
		return engine.Config{}, usagef("--chains %d is negative", f.chains)
	case !finite(f.lr) || f.lr <= 0:
		return engine.Config{}, usagef("--lr %v: need a finite learning rate > 0", f.lr)
	case !finite(f.momentum) || f.momentum < 0 || f.momentum >= 1:
		return engine.Config{}, usagef("--momentum %v: need 0 ≤ M < 1", f.momentum)
	case !finite(f.decay) || f.decay < 0:
		return engine.Config{}, usagef("--decay %v: need a finite value ≥ 0", f.decay)
	case !finite(f.valFrac) || f.valFrac < 0 || f.valFrac >= 1:
		return engine.Config{}, usagef("--val-frac %v: need 0 ≤ f < 1", f.valFrac)
	case !finite(f.sigma) || f.sigma <= 0:
		return engine.Config{}, usagef("--init-sigma %v: need a finite value > 0", f.sigma)
	case f.vbias != "data" && f.vbias != "zero":
		return engine.Config{}, usagef("--init-vbias %q: want data or zero", f.vbias)
	case f.monitor < 0:
		return engine.Config{}, usagef("--monitor-rows %d is negative", f.monitor)
	case f.chains > 0 && !f.pcd:
		return engine.Config{}, usagef("--chains needs --pcd")
	}
	cfg := engine.DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.K, cfg.PCD, cfg.Chains = f.epochs, f.batch, f.k, f.pcd, f.chains
	cfg.LearningRate, cfg.Momentum, cfg.InitialMomentum = f.lr, f.momentum, math.Min(0.5, f.momentum)
	cfg.WeightDecay, cfg.Seed, cfg.MonitorRows = f.decay, f.seed, f.monitor
	cfg.SparsityTarget, cfg.SparsityCost = f.sparsity, f.sparsityCost
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

// metadata is the JSON stored with the model: everything needed to repeat
// the run.
func (f *trainFlags) metadata(cfg engine.Config, dataName string, epochs int, eng *engine.Engine) string {
	b, _ := json.Marshal(map[string]any{
		"data": dataName, "val": f.val, "val_frac": f.valFrac, "binarize": f.binarize, "limit": f.limit,
		"hidden": f.hidden, "epochs_trained": epochs, "batch": cfg.BatchSize, "k": cfg.K, "pcd": cfg.PCD,
		"chains": cfg.Chains, "lr": cfg.LearningRate, "momentum": cfg.Momentum, "initial_momentum": cfg.InitialMomentum,
		"momentum_epochs": cfg.MomentumEpochs, "decay": cfg.WeightDecay, "sparsity": cfg.SparsityTarget,
		"sparsity_cost": cfg.SparsityCost, "init_sigma": f.sigma, "init_vbias": f.vbias, "seed": cfg.Seed,
		"kernel": eng.Kernel().Name(), "workers": eng.Workers(),
	})
	return string(b)
}

// loadTrainVal loads the training data and the validation data: --val, or
// the last valFrac of the training rows.
func loadTrainVal(spec, valPath string, valFrac float64, opt data.Options) (train, val *data.Set, err error) {
	train, err = data.Load(spec, opt)
	if err != nil {
		return nil, nil, err
	}
	if valPath != "" {
		val, err = data.Load(valPath, opt)
		return train, val, err
	}
	train, val = train.Split(valFrac)
	return train, val, nil
}

type metricsJSON struct {
	Epoch         int      `json:"epoch"`
	Steps         uint64   `json:"steps"`
	TrainCE       float64  `json:"train_recon_cross_entropy"`
	ValCE         *float64 `json:"val_recon_cross_entropy"`
	TrainFE       float64  `json:"train_free_energy"`
	ValFE         *float64 `json:"val_free_energy"`
	FEGap         *float64 `json:"free_energy_gap"`
	Seconds       float64  `json:"seconds"`
	SamplesPerSec float64  `json:"samples_per_second"`
}

func jsonMetrics(m engine.EpochMetrics) metricsJSON {
	j := metricsJSON{Epoch: m.Epoch, Steps: m.Steps, TrainCE: m.TrainCE, TrainFE: m.TrainFE, Seconds: m.Seconds, SamplesPerSec: m.SamplesPerSec}
	if m.ValRows > 0 {
		ce, fe, gap := m.ValCE, m.ValFE, m.ValFE-m.TrainFE
		j.ValCE, j.ValFE, j.FEGap = &ce, &fe, &gap
	}
	return j
}

func formatMetrics(m engine.EpochMetrics, epochs int) string {
	s := fmt.Sprintf("epoch %d/%d  train CE %.2f", m.Epoch, epochs, m.TrainCE)
	if m.ValRows > 0 {
		s += fmt.Sprintf("  val CE %.2f", m.ValCE)
	}
	s += fmt.Sprintf("  train F %.2f", m.TrainFE)
	if m.ValRows > 0 {
		s += fmt.Sprintf("  val F %.2f  gap %.2f", m.ValFE, m.ValFE-m.TrainFE)
	}
	return s + fmt.Sprintf("  %.1fs (%.0f rows/s)", m.Seconds, m.SamplesPerSec)
}

// progress shows a progress bar per epoch on a terminal and nothing
// otherwise (the per-epoch metrics lines remain).
type progress struct {
	w      io.Writer
	on     bool
	epochs int
	bar    *progressbar.ProgressBar
}

func newProgress(w io.Writer, quiet bool, epochs int) *progress {
	on := false
	if f, ok := w.(*os.File); ok && !quiet {
		on = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, on: on, epochs: epochs}
}

func (p *progress) batch(epoch, b, batches int) {
	if !p.on {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(batches,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch+1, p.epochs)),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("batch"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	p.bar.Set(b + 1)
}

func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
