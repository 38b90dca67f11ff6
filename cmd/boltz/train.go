package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/dbn"
	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/internal/atomicfile"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

const trainAbout = `Trains a binary RBM on --data with minibatch SGD and CD-k (or PCD-k with
--pcd or --sampler pcd, or parallel tempering with --sampler pt): the data-driven hidden states are sampled, the statistics use
probabilities (Hinton's Practical Guide §3.4). Momentum is min(0.5, M) for the
first 5 epochs and --momentum M afterwards; --decay is an L2 cost on the
weights only. After every epoch it prints the reconstruction cross-entropy
(nats per row; see "boltz eval --help") and the mean free energy of a
training subset and of the validation data (their gap is the overfitting
signal), and appends the same as a JSON line to --metrics.

Parallel tempering (--sampler pt): --chains chains (default the batch
size) at each of --temperatures K inverse temperatures, on the geometric
ladder β_k = 0.1^(k/(K−1)) (default K = 10) or the ladder --betas; every
minibatch runs --k Gibbs sweeps at every temperature, then one round of
Metropolis swaps between neighbouring temperatures of each chain on the
joint energy E(v, h) (the even pairs, then the odd ones), and the chains at
β = 1 give the negative statistics. The swap acceptance of every pair is
printed and written to --metrics ("swap_acceptance"). One temperature is
PCD bit for bit.

Schedules: --lr-schedule and --momentum-schedule scale the learning rate
and the momentum rule: constant (the default), linear (to zero over the run,
step by step, as in Tieleman 2008) or exp (times --lr-decay or
--momentum-decay every epoch). --centered trains a centered RBM (Melchior,
Fischer & Wiskott 2016, with PyDeep's offsets: the visible offsets start at
the data mean, the hidden ones at 0.5, and both follow the batch means of
the data and of p(h|data) at --offset-rate); the model is saved in the plain
parameterisation, so eval and every other command read it unchanged.

Checkpoints: with --checkpoint DIR the whole training state (model,
velocities, PCD chains, position, configuration, a fingerprint of the data)
is written atomically to DIR/ckpt-<step>.safetensors every
--checkpoint-every (N epochs, Nsteps, or a duration such as 10m) and at the
end; DIR keeps the newest two. --resume DIR (or a checkpoint file) continues
the run with the flags it started with (flags that shape the run must agree
when given; --epochs may grow; --out, --metrics, --plot, --checkpoint and the
monitors come from the checkpoint unless given) and gives bit for bit the
model of an uninterrupted run.

SIGINT or SIGTERM finishes the current minibatch, writes a checkpoint (to
--checkpoint DIR, else next to --out) and the model, says where, and exits
with status 130 or 143; a second signal stops at once (files are written
atomically, so none is left half-written). NaN or Inf in the weights stops
training with an error naming the epoch and step; the last good checkpoint
stays.

Uncompressed NPY and IDX files over 256 MiB (--mmap auto) are memory-mapped
and read a minibatch at a time, so data larger than RAM trains in bounded
memory.

Visible units (--visible): bernoulli (binary data, the default), gaussian
(real values, E = Σ(v−b)²/2σ² − cᵀh − Σ h_i W_ij v_j/σ_j², Cho, Ilin & Raiko
2011; σ starts at each feature's standard deviation and is learned with
--learn-sigma through log σ² at --sigma-lr; the default --lr is 0.02, and
without --init-sigma the weights start uniform in ±4·√(6/(V+H)) with hidden
biases −(‖w_i + b‖ − ‖b‖)/2 + log 0.1, PyDeep's GRBM_2D initialisation; --standardize or --whiten
preprocess the data and are stored with the model; the per-epoch
reconstruction error is then the squared error, "SE") or categorical (n
positions of q states, one-hot visible units position·q + state with a
softmax over each position; data: integer NPY or CSV, or aligned FASTA in
the alphabet ACDEFGHIKLMNPQRSTVWY-, q = 21; --states q). The hidden units
are binary. --pll and --logz-every are for bernoulli units only.`

type trainFlags struct {
	dataFlags
	sparseFlags
	engineFlags
	unitFlags
	samplerFlags
	sched                              scheduleFlags
	stack                              stackFlags
	dataSpec, val, out, metrics, vbias string
	valFrac                            float64
	hidden, epochs, batch, k, chains   int
	pcd, quiet                         bool
	lr, momentum, decay, sigma         float64
	sparsity, sparsityCost             float64
	monitor                            int
	checkpoint, every, resume, mmap    string
	plot                               string
	pll                                bool
	logzEvery, aisRuns, aisBetas       int
}

// resumeFlags are the flags that shape a run: --resume takes them from the
// checkpoint, and refuses different values.
var resumeFlags = []string{"data", "val", "val-frac", "binarize", "limit", "label-column", "hidden", "batch", "lr", "k",
	"pcd", "chains", "momentum", "decay", "sparsity", "sparsity-cost", "init-sigma", "init-vbias", "seed", "monitor-rows", "format", "features"}

// carriedFlags are the flags that say where the outputs go and what is
// monitored: --resume takes them from the checkpoint when they are not
// given (so a resumed run writes the same model, metrics, plot and
// checkpoints), and a value given replaces the checkpoint's. The paths are
// stored absolute, so a resume from another directory writes to the same
// files.
var carriedFlags = []string{"out", "metrics", "plot", "checkpoint", "checkpoint-every", "pll", "logz-every", "ais-runs", "ais-betas", "mmap"}

// carriedPaths are the carriedFlags that name files or directories.
var carriedPaths = map[string]bool{"out": true, "metrics": true, "plot": true, "checkpoint": true}

// mmapAuto is the file size from which --mmap auto maps NPY and IDX files.
const mmapAuto = 256 << 20

// exitNow ends the process at a second signal (a variable for tests).
var exitNow = os.Exit

func runTrain(args []string, stdout, stderr io.Writer) error {
	var f trainFlags
	fs := newFlags("train", "[flags]", trainAbout, stderr)
	fs.StringVar(&f.dataSpec, "data", "mnist", "training data: mnist (the 60,000 MNIST training images), mnist-test, or an IDX, NPY, CSV, svmlight (.svm) or scipy CSR (.npz) file")
	fs.StringVar(&f.val, "val", "", "validation data file (default: hold out --val-frac of the training rows)")
	fs.Float64Var(&f.valFrac, "val-frac", 1.0/6, "fraction of the training rows held out for validation when --val is not given (0: none)")
	fs.Lookup("val-frac").DefValue = "1/6 ≈ 0.1667" // not 0.16666666666666666 in --help
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
	fs.Float64Var(&f.sigma, "init-sigma", 0.01, "standard deviation of the initial weights (gaussian units without it: PyDeep's uniform ±4·√(6/(V+H)) and matching hidden biases)")
	fs.StringVar(&f.vbias, "init-vbias", "data", "initial visible biases: data (log(p/(1-p)) of the unit means; gaussian: the means, and σ the standard deviations; categorical: the log state frequencies) or zero")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed: the same seed, data and flags give a bitwise-identical model for any worker count")
	fs.StringVar(&f.out, "out", "model.safetensors", "where to write the model (safetensors, written atomically)")
	fs.StringVar(&f.metrics, "metrics", "", "write the per-epoch metrics as JSON Lines to this file (- for standard output; with --resume the lines of the resumed epochs are appended)")
	fs.IntVar(&f.monitor, "monitor-rows", 5000, "rows of training and validation data the epoch metrics use (0: all)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fs.StringVar(&f.plot, "plot", "", "draw the learning curves (reconstruction cross-entropy and free energy, train and validation; with --pll or --logz-every a third panel of those) to this PNG after every epoch")
	fs.BoolVar(&f.pll, "pll", false, "also monitor the pseudo-log-likelihood (scikit-learn's definition: one random unit flipped per row, times V; it scales with V) of the validation rows (training rows without validation)")
	fs.IntVar(&f.logzEvery, "logz-every", 0, "every N epochs, estimate log Z with AIS and report the mean log-likelihood of the monitored validation rows (0: never)")
	fs.IntVar(&f.aisRuns, "ais-runs", engine.DefaultAISRuns, "AIS runs of --logz-every")
	fs.IntVar(&f.aisBetas, "ais-betas", 0, "AIS temperatures of --logz-every (0: the default schedule of 14,503)")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "directory for checkpoints (created if missing; must not hold another run's): model, velocities, chains, position, configuration, written atomically; the newest two are kept")
	fs.StringVar(&f.every, "checkpoint-every", "1", "when to checkpoint into --checkpoint: N (epochs), Nsteps, or a duration such as 10m")
	fs.StringVar(&f.resume, "resume", "", "continue the run saved in this checkpoint directory (its newest valid checkpoint) or checkpoint file")
	fs.StringVar(&f.mmap, "mmap", "auto", "memory-map uncompressed NPY/IDX data and read it a minibatch at a time: auto (files over 256 MiB), on, off")
	f.dataFlags.register(fs)
	f.sparseFlags.register(fs)
	f.engineFlags.register(fs)
	f.unitFlags.register(fs)
	f.samplerFlags.register(fs, true)
	f.sched.register(fs)
	f.stack.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if err := f.stack.parse(&f, set, f.visible == "gaussian"); err != nil {
		return err
	}

	// Resume: the checkpoint's flags, and a check of those given.
	var ck *engine.Checkpoint
	var ckFrom string
	var resumed *dbn.Stack // --layers --resume: the stack of the layers trained
	var resumedMeta map[string]string
	if f.resume != "" && f.stack.sizes != nil {
		var err error
		if resumed, resumedMeta, err = dbn.LoadFile(f.resume); err != nil {
			return usagef("--resume: %v (with --layers, --resume takes the stack file of the trained layers)", err)
		}
	} else if f.resume != "" {
		var err error
		if ck, ckFrom, err = engine.LoadCheckpoint(f.resume); err != nil {
			return usagef("--resume: %v", err)
		}
		for _, e := range ck.Skipped {
			fmt.Fprintf(stderr, "boltz train: skipping a checkpoint that does not load: %v\n", e)
		}
		if err := f.adopt(fs, set, ck, stderr); err != nil {
			return err
		}
	}
	unit, err := f.unitFlags.unit(set, &f)
	if err != nil {
		return err
	}
	if unit == engine.Gaussian && ck == nil && !set["lr"] {
		// Gaussian units want a smaller learning rate (Practical Guide
		// §13.2): this one solves PyDeep's GRBM_2D problem.
		f.lr = gaussianLR
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	cfg.LearnSigma, cfg.SigmaLR = f.learnSigma, f.sigmaLR
	every, err := parseEvery(f.every)
	if err != nil {
		return err
	}
	switch f.mmap {
	case "auto", "on", "off":
	default:
		return usagef("--mmap %q: want auto, on or off", f.mmap)
	}
	if ck != nil {
		want := ck.Config
		want.Epochs = cfg.Epochs
		if cfg != want {
			return usagef("--resume: the checkpoint's configuration %+v does not match its flags", ck.Config)
		}
	}

	// Refuse what cannot work before any long step.
	if f.out == "-" || f.plot == "-" {
		return usagef("--out and --plot cannot be - (standard output): the model and the plot are files rewritten during training; --metrics - writes the metrics to standard output")
	}
	if err := atomicfile.CheckWritable(f.out); err != nil {
		return usagef("--out %s is not writable: %v", f.out, err)
	}
	if f.metrics != "" && f.metrics != "-" {
		if err := atomicfile.CheckWritable(f.metrics); err != nil {
			return usagef("--metrics %s is not writable: %v", f.metrics, err)
		}
	}
	if f.plot != "" {
		if err := atomicfile.CheckWritable(f.plot); err != nil {
			return usagef("--plot %s is not writable: %v", f.plot, err)
		}
	}
	if f.logzEvery < 0 || f.aisRuns < 2 || f.aisBetas < 0 || (f.aisBetas > 0 && f.aisBetas < 2) {
		return usagef("--logz-every %d, --ais-runs %d, --ais-betas %d: need N ≥ 0, at least 2 runs, 0 or at least 2 temperatures", f.logzEvery, f.aisRuns, f.aisBetas)
	}
	ckDir := f.checkpoint
	if ckDir == "" && ck != nil {
		if st, err := os.Stat(f.resume); err == nil && st.IsDir() {
			ckDir = f.resume
		}
	}
	if set["checkpoint-every"] && ckDir == "" {
		return usagef("--checkpoint-every needs --checkpoint DIR")
	}
	ckFile := "" // where an interruption writes the checkpoint without a directory
	if ckDir != "" {
		if err := prepareCheckpointDir(ckDir, f.resume); err != nil {
			return err
		}
	} else {
		ckFile = strings.TrimSuffix(f.out, ".safetensors") + ".ckpt.safetensors"
		if err := atomicfile.CheckWritable(ckFile); err != nil {
			return usagef("%s (the checkpoint written on interruption) is not writable: %v", ckFile, err)
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

	// Signals: the first cancels training (the current step finishes, then
	// the checkpoint and the model are written); the second exits at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sigCode atomic.Int32
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case s := <-sigs:
			sigCode.Store(int32(signalStatus(s)))
			cancel()
			fmt.Fprintf(stderr, "\nboltz train: %v: finishing the current minibatch, then saving (%v again stops at once)\n", s, s)
		case <-finished:
			return
		}
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "boltz train: %v again: stopping at once (files are written atomically: none is half-written)\n", s)
			exitNow(signalStatus(s))
		case <-finished:
		}
	}()

	var train, val *dataset
	var units *unitData
	sparse, err := f.sparseFlags.kind(f.dataSpec)
	if err != nil {
		return err
	}
	if sparse != "" && unit != engine.Bernoulli {
		return usagef("--data %s: sparse data are for bernoulli visible units", f.dataSpec)
	}
	if sparse != "" {
		if train, val, err = f.sparseFlags.loadSparseDatasets(f.dataSpec, sparse, f.val, f.valFrac, opt); err != nil {
			return err
		}
	} else if unit == engine.Bernoulli {
		var closeData func()
		if train, val, closeData, err = loadDatasets(f.dataSpec, f.val, f.valFrac, opt, f.mmap); err != nil {
			return err
		}
		defer closeData()
	} else {
		var stored *engine.Standardization
		if ck != nil {
			stored = ck.Model.Input
		}
		if units, err = loadUnitData(unit, &f.unitFlags, f.dataSpec, f.val, f.valFrac, opt, stored); err != nil {
			return err
		}
		train, val = units.train, units.val
	}
	V := train.src.Cols()
	held := ""
	if f.val == "" && val != nil {
		held = fmt.Sprintf(" (--val-frac %v holds out %d of the %d rows for validation)", f.valFrac, val.src.Rows(), val.src.Rows()+train.src.Rows())
	}
	if train.src.Rows() == 0 {
		return usagef("no training rows left%s: lower --val-frac, or give the validation data with --val", held)
	}
	if f.batch > train.src.Rows() {
		return usagef("--batch %d is larger than the %d training rows%s", f.batch, train.src.Rows(), held)
	}
	if same, row, err := constantRows(train.src); err != nil {
		return err
	} else if what := constantKind(row); unit != engine.Bernoulli && same && train.src.Rows() > 1 {
		return usagef("the %d training rows of %s are all the same: nothing to learn", train.src.Rows(), train.name)
	} else if unit == engine.Bernoulli && same && (what != "" || train.src.Rows() > 1) {
		// One row is the same as itself: refused only when it is all zeros
		// or all ones.
		if what == "" {
			what = "the same row"
		}
		why := ""
		if train.note != "" {
			why = " (" + train.note + ")"
		}
		return usagef("the %d training rows of %s are %s after --binarize %s: nothing to learn%s", train.src.Rows(), train.name, what, f.binarize, why)
	}
	for _, d := range []*dataset{train, val} {
		if d != nil && d.note != "" && (d == train || d.note != train.note) {
			fmt.Fprintf(stderr, "note: %s\n", d.note)
		}
	}
	if val != nil && val.src.Cols() != V {
		return fmt.Errorf("validation data has %d columns, training data %d", val.src.Cols(), V)
	}
	fingerprint, err := engine.DataFingerprint(train.src)
	if err != nil {
		return err
	}
	var valSrc engine.RowSource
	if val != nil {
		valSrc = val.src
	}
	stackMeta := func(meta map[string]string) map[string]string {
		meta["stack_config"] = f.stack.layers + " epochs " + fmt.Sprint(f.stack.epochs) + " lr " + fmt.Sprint(f.stack.lrs) + map[bool]string{true: " samples"}[f.stack.samples]
		meta["stack_run"] = f.stack.record(fs)
		meta["data_fingerprint"] = fingerprint
		return meta
	}
	if resumed != nil {
		now := f.stack.record(fs)
		if err := checkStackResume(resumed, resumedMeta, f.resume, now, fingerprint); err != nil {
			return err
		}
		if resumed.Visible() != V || resumed.Layers[0].VisibleUnits != unit {
			return usagef("--resume %s: the stack's bottom has %d %s visible units, the data and flags give %d %s", f.resume, resumed.Visible(), resumed.Layers[0].VisibleUnits, V, unit)
		}
		resumed.SetEngine(eng)
		fmt.Fprintf(stderr, "resuming the stack of %s from %s; training layers %d..%d\n", plural(len(resumed.Layers), "layer"), f.resume, len(resumed.Layers)+1, len(f.stack.sizes))
		meta := map[string]string{"config": resumedMeta["config"]}
		var metricsOut io.Writer
		switch {
		case f.metrics == "-":
			metricsOut = stdout
		case f.metrics != "":
			mf, err := os.OpenFile(f.metrics, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return err
			}
			defer mf.Close()
			metricsOut = mf
		}
		return growStack(ctx, &f.stack, cfg, resumed, train.src, valSrc, stackMeta(meta), f.out, metricsOut, stderr, func() int { return int(sigCode.Load()) })
	}
	var tr *engine.Trainer
	var m *engine.RBM
	if ck != nil {
		if got := ck.Meta["data_fingerprint"]; got != fingerprint {
			return usagef("--resume: the training data differ from the checkpoint's (%s, want %s)", fingerprint, got)
		}
		if ck.Model.VisibleUnits != unit || unit == engine.Categorical && ck.Model.States != units.states {
			return usagef("--resume: the checkpoint's model has %s visible units (%d states), the flags and data give %s (%d)", ck.Model.VisibleUnits, ck.Model.States, unit, units.states)
		}
		ck.Config.Epochs = cfg.Epochs
		if tr, err = ck.Resume(eng); err != nil {
			return usageError{err}
		}
		m = tr.Model()
	} else {
		if m, err = engine.NewRBM(V, f.hidden, f.sigma, f.seed); err != nil {
			return usageError{err}
		}
		m.SetEngine(eng)
		if unit != engine.Bernoulli {
			if err := m.SetVisibleUnits(unit, units.states); err != nil {
				return usageError{err}
			}
			m.Input = units.input
		}
		if f.vbias == "data" {
			if err := m.InitVisibleBiasRows(train.src); err != nil {
				return err
			}
		}
		if unit == engine.Gaussian && !set["init-sigma"] {
			m.InitGaussianHidden(f.seed)
		}
		if tr, err = engine.NewTrainer(m, cfg); err != nil {
			return usageError{err}
		}
	}

	var metricsOut io.Writer
	var history []metricsJSON // the epochs before the resumed one, for --plot
	switch {
	case f.metrics == "-":
		metricsOut = stdout
	case f.metrics != "":
		flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if ck != nil {
			flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
			if history, err = trimMetrics(f.metrics, ck.Epoch); err != nil {
				return err
			}
		}
		mf, err := os.OpenFile(f.metrics, flags, 0o644)
		if err != nil {
			return err
		}
		defer mf.Close()
		metricsOut = mf
	}
	nval := 0
	if val != nil {
		nval = val.src.Rows()
	}
	how := ""
	if train.mapped {
		how = ", memory-mapped"
	}
	kind := ""
	if unit != engine.Bernoulli {
		kind = unit.String() + " "
		if unit == engine.Categorical {
			kind = fmt.Sprintf("categorical (%d positions × %d states) ", m.Positions(), m.States)
		}
	}
	fmt.Fprintf(stderr, "training %d×%d %sRBM on %s (%d rows%s, %d validation), kernel %s, %s, %s\n",
		V, f.hidden, kind, train.name, train.src.Rows(), how, nval, eng.Kernel().Name(), plural(eng.Workers(), "worker"), f.samplerFlags.name(cfg, f.k))
	if ck != nil {
		fmt.Fprintf(stderr, "resuming from %s: epoch %d, minibatch %d, step %d; writing the model to %s%s\n", ckFrom, ck.Epoch+1, ck.Batch, ck.Step, f.out,
			map[bool]string{true: ", the metrics to " + outName(f.metrics)}[f.metrics != ""])
	}

	// The checkpoint metadata: what --resume needs to check and rebuild.
	cliFlags := map[string]string{"epochs": strconv.Itoa(f.epochs)}
	for _, name := range slices.Concat(resumeFlags, unitFlagNames, samplerFlagNames, scheduleFlagNames) {
		cliFlags[name] = fs.Lookup(name).Value.String()
	}
	for _, name := range carriedFlags {
		v := fs.Lookup(name).Value.String()
		if name == "checkpoint" {
			v = ckDir
		}
		if carriedPaths[name] && v != "" && v != "-" {
			if a, err := filepath.Abs(v); err == nil {
				v = a
			}
		}
		cliFlags[name] = v
	}
	cliJSON, _ := json.Marshal(cliFlags)
	ckMeta := map[string]string{"cli_flags": string(cliJSON), "data_fingerprint": fingerprint,
		"kernel": engine.KernelID(eng.Kernel()), "data": train.name}
	lastCk := ""
	save := func(tr *engine.Trainer) error {
		p, err := engine.SaveCheckpointDir(ckDir, tr, ckMeta, 2)
		if errors.Is(err, engine.ErrDiverged) {
			return err
		}
		if err != nil {
			return fmt.Errorf("writing a checkpoint: %w", err)
		}
		lastCk = p
		return nil
	}

	prog := newProgress(stderr, f.quiet, f.epochs)
	mon, err := newMonitors(ctx, &f, m, train, val)
	if err != nil {
		return err
	}
	mon.addHistory(history)
	fitOpt := engine.FitOptions{
		OnBatch: prog.batch,
		OnEpoch: func(me engine.EpochMetrics) error {
			prog.done()
			extra, err := mon.epoch(me)
			if err != nil {
				return err
			}
			line := formatMetrics(me, f.epochs)
			if unit == engine.Gaussian { // the reconstruction error of gaussian units is the squared error
				line = strings.ReplaceAll(line, " CE ", " SE ")
			}
			if f.stack.sizes != nil {
				line = "layer 1 " + line
			}
			fmt.Fprintln(stderr, line+extra.text())
			if metricsOut != nil {
				var line []byte
				if f.stack.sizes != nil {
					line, _ = json.Marshal(stackLine{1, jsonMetrics(me, extra)})
				} else {
					line, _ = json.Marshal(jsonMetrics(me, extra))
				}
				if _, err := metricsOut.Write(append(line, '\n')); err != nil {
					return fmt.Errorf("--metrics: %w", err)
				}
			}
			return nil
		},
	}
	if ckDir != "" {
		fitOpt.Checkpoint, fitOpt.Every = save, every
	}
	if val != nil {
		fitOpt.ValRows = val.src
	}
	if ctx.Err() != nil {
		return exitCode{int(sigCode.Load()), errors.New("interrupted before training started; nothing written")}
	}
	start := time.Now()
	var fitErr error
	if tr.Epoch() < cfg.Epochs { // else a resumed run that had finished: nothing to train
		fitErr = tr.FitRows(ctx, train.src, fitOpt)
	}
	prog.done()
	meta := map[string]string{"config": f.metadata(cfg, train.name, tr.Epoch(), eng)}
	switch {
	case fitErr == nil:
	case errors.Is(fitErr, context.Canceled):
		where := ckFile
		if ckDir != "" {
			err = save(tr)
			where = lastCk
		} else {
			err = tr.SaveCheckpoint(ckFile, ckMeta)
		}
		if err != nil {
			return fmt.Errorf("interrupted, and writing the checkpoint failed: %w", err)
		}
		if err := m.SaveFile(f.out, meta); err != nil {
			return fmt.Errorf("interrupted; checkpoint written to %s, but writing the model failed: %w", where, err)
		}
		resumeArg := where
		if ckDir != "" {
			resumeArg = ckDir
		}
		return exitCode{int(sigCode.Load()), fmt.Errorf("interrupted in epoch %d at step %d; model written to %s, checkpoint to %s; continue with: boltz train --resume %s",
			tr.Epoch()+1, tr.Steps(), f.out, where, resumeArg)}
	case errors.Is(fitErr, engine.ErrDiverged):
		keep := "no checkpoint was written"
		if ckDir != "" {
			if files, _ := engine.CheckpointFiles(ckDir); len(files) > 0 {
				keep = "the last good checkpoint is " + files[len(files)-1]
			}
		}
		return fmt.Errorf("%w; the model was not written; %s", fitErr, keep)
	default:
		return fitErr
	}
	if f.stack.sizes != nil {
		fmt.Fprintf(stderr, "trained layer 1 (%s) in %.1fs\n", plural(f.epochs, "epoch"), time.Since(start).Seconds())
		s, err := dbn.New(m)
		if err != nil {
			return err
		}
		return growStack(ctx, &f.stack, cfg, s, train.src, valSrc, stackMeta(meta), f.out, metricsOut, stderr, func() int { return int(sigCode.Load()) })
	}
	if err := m.SaveFile(f.out, meta); err != nil {
		return err
	}
	where := ""
	if ckDir != "" {
		if lastCk != filepath.Join(ckDir, engine.CheckpointName(tr.Steps())) {
			if err := save(tr); err != nil {
				return err
			}
		}
		where = "; checkpoint " + lastCk
	}
	fmt.Fprintf(stderr, "trained %s in %.1fs; model written to %s%s\n", plural(f.epochs, "epoch"), time.Since(start).Seconds(), f.out, where)
	return nil
}

// signalStatus is the exit status after a signal: 128 + its number.
func signalStatus(s os.Signal) int {
	if s == syscall.SIGTERM {
		return 143
	}
	return 130
}

// adopt takes the run-shaping flags from the checkpoint ck, refusing those
// given on the command line with other values: a resumed run must be the
// run that was interrupted. --epochs may be raised; --kernel may differ
// (with a warning: another kernel rounds differently).
func (f *trainFlags) adopt(fs *flag.FlagSet, set map[string]bool, ck *engine.Checkpoint, stderr io.Writer) error {
	var stored map[string]string
	if err := json.Unmarshal([]byte(ck.Meta["cli_flags"]), &stored); err != nil {
		return usagef("--resume: the checkpoint has no command-line flags (written by the library, not by boltz train?)")
	}
	for _, name := range resumeFlags {
		v, ok := stored[name]
		if !ok {
			return usagef("--resume: the checkpoint lacks the flag --%s", name)
		}
		fl := fs.Lookup(name)
		if set[name] {
			if fl.Value.String() != v {
				return usagef("--%s %s differs from the checkpoint's %s: a resumed run keeps the flags it started with", name, fl.Value.String(), v)
			}
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return usagef("--resume: the checkpoint's --%s %q: %v", name, v, err)
		}
	}
	for _, name := range slices.Concat(unitFlagNames, samplerFlagNames, scheduleFlagNames) {
		v, ok := stored[name]
		fl := fs.Lookup(name)
		if !ok { // a checkpoint of a version before the unit types: the defaults
			v = fl.DefValue
		}
		if set[name] {
			if fl.Value.String() != v {
				return usagef("--%s %s differs from the checkpoint's %s: a resumed run keeps the flags it started with", name, fl.Value.String(), v)
			}
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return usagef("--resume: the checkpoint's --%s %q: %v", name, v, err)
		}
	}
	if set["epochs"] {
		if f.epochs < ck.Epoch || f.epochs == ck.Epoch && ck.Batch > 0 {
			return usagef("--epochs %d: the checkpoint has already trained %d epochs", f.epochs, ck.Epoch)
		}
	} else if err := fs.Set("epochs", stored["epochs"]); err != nil {
		return usagef("--resume: the checkpoint's --epochs %q: %v", stored["epochs"], err)
	}
	for _, name := range carriedFlags {
		// Absent in checkpoints of older versions: the defaults stay.
		if v, ok := stored[name]; ok && !set[name] {
			if err := fs.Set(name, v); err != nil {
				return usagef("--resume: the checkpoint's --%s %q: %v", name, v, err)
			}
		}
	}
	if k := ck.Meta["kernel"]; k != "" {
		if !set["kernel"] {
			f.kernel = k
		} else if !sameKernel(f.kernel, k) {
			fmt.Fprintf(stderr, "boltz train: warning: resuming with kernel %s, the checkpoint was trained with %s: the model will not be bitwise identical to an uninterrupted run\n", f.kernel, k)
		}
	}
	return nil
}

// sameKernel reports whether the kernel names a and b (a --kernel flag, a
// checkpoint's record such as "asm/avx2" or an older version's "avx2") run
// the same backend at the same level, and so train bit for bit alike.
func sameKernel(a, b string) bool {
	if a == b {
		return true
	}
	ka, errA := engine.KernelByName(a)
	kb, errB := engine.KernelByName(b)
	return errA == nil && errB == nil && engine.KernelID(ka) == engine.KernelID(kb)
}

// trimMetrics reads the JSON Lines metrics file path of a run resumed after
// epoch epochs, drops the lines of later epochs (written before an
// interruption whose checkpoint was older) by rewriting the file
// atomically, and returns the lines kept. A missing file has no lines.
func trimMetrics(path string, epochs int) ([]metricsJSON, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--metrics: %w", err)
	}
	var keep []metricsJSON
	var kept []byte
	dropped := false
	for i, line := range bytes.Split(raw, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m metricsJSON
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, usagef("--metrics %s, line %d: not a metrics line of boltz train (%v); give another --metrics file", path, i+1, err)
		}
		if m.Epoch > epochs {
			dropped = true
			continue
		}
		keep = append(keep, m)
		kept = append(append(kept, line...), '\n')
	}
	if dropped {
		if err := atomicfile.WriteFile(path, 0o644, func(w io.Writer) error { _, err := w.Write(kept); return err }); err != nil {
			return nil, fmt.Errorf("--metrics: %w", err)
		}
	}
	return keep, nil
}

// parseEvery parses --checkpoint-every: N or Nepochs, Nsteps, or a duration.
func parseEvery(s string) (engine.Every, error) {
	bad := usagef("--checkpoint-every %q: want N (epochs), Nsteps or a duration such as 10m", s)
	s = strings.TrimSpace(s)
	num := func(t string) (int, bool) {
		n, err := strconv.Atoi(t)
		return n, err == nil && n >= 1
	}
	if n, ok := num(s); ok {
		return engine.Every{Epochs: n}, nil
	}
	for _, suf := range []string{"epochs", "epoch"} {
		if t, found := strings.CutSuffix(s, suf); found {
			if n, ok := num(t); ok {
				return engine.Every{Epochs: n}, nil
			}
			return engine.Every{}, bad
		}
	}
	for _, suf := range []string{"steps", "step"} {
		if t, found := strings.CutSuffix(s, suf); found {
			if n, ok := num(t); ok {
				return engine.Every{Steps: n}, nil
			}
			return engine.Every{}, bad
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return engine.Every{Interval: d}, nil
	}
	return engine.Every{}, bad
}

// prepareCheckpointDir makes sure dir exists, is writable and holds no
// checkpoints of another run (those of the run being resumed from resume
// are fine), and clears temporary files a killed writer left.
func prepareCheckpointDir(dir, resume string) error {
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return usagef("--checkpoint %s is not a directory", dir)
	case errors.Is(err, os.ErrNotExist):
		if err := os.Mkdir(dir, 0o755); err != nil {
			return usagef("--checkpoint %s cannot be created: %v", dir, err)
		}
	case err != nil:
		return usagef("--checkpoint %s: %v", dir, err)
	}
	if err := atomicfile.CheckWritable(filepath.Join(dir, engine.CheckpointName(0))); err != nil {
		return usagef("--checkpoint %s is not writable: %v", dir, err)
	}
	files, err := engine.CheckpointFiles(dir)
	if err != nil {
		return usagef("--checkpoint %s: %v", dir, err)
	}
	if len(files) > 0 && !sameDir(dir, resume) {
		return usagef("--checkpoint %s already holds checkpoints (%s); continue that run with --resume %s, or choose another directory",
			dir, filepath.Base(files[len(files)-1]), dir)
	}
	engine.RemoveStaleCheckpointTemps(dir)
	return nil
}

// sameDir reports whether dir is resume, or the directory of the
// checkpoint file resume.
func sameDir(dir, resume string) bool {
	if resume == "" {
		return false
	}
	if st, err := os.Stat(resume); err == nil && !st.IsDir() {
		resume = filepath.Dir(resume)
	}
	a, err1 := filepath.Abs(dir)
	b, err2 := filepath.Abs(resume)
	return err1 == nil && err2 == nil && a == b
}

// dataset is training or validation data: rows in memory or a mapped file.
type dataset struct {
	name   string
	src    engine.RowSource
	mapped bool
	note   string // how the file was read (data.Set.Note)
}

// noteData prints how s was read, when the file did not say so itself.
func noteData(stderr io.Writer, s *data.Set) {
	if s != nil && s.Note != "" {
		fmt.Fprintf(stderr, "note: %s\n", s.Note)
	}
}

// constantKind is "all zeros" or "all ones" for such a row, else "".
func constantKind(row []float32) string {
	switch {
	case row == nil:
		return ""
	case !slices.ContainsFunc(row, func(x float32) bool { return x != 0 }):
		return "all zeros"
	case !slices.ContainsFunc(row, func(x float32) bool { return x != 1 }):
		return "all ones"
	}
	return ""
}

// constantRows reports whether every row of src is the same (all zeros, for
// instance): data nothing can be learnt from. It stops at the first row that
// differs from the first, so it reads two rows of most data.
func constantRows(src engine.RowSource) (bool, []float32, error) {
	V := src.Cols()
	first, row := make([]float32, V), make([]float32, V)
	if err := src.ReadRow(0, first); err != nil {
		return false, nil, err
	}
	for r := 1; r < src.Rows(); r++ {
		if err := src.ReadRow(r, row); err != nil {
			return false, nil, err
		}
		for j := range row {
			if row[j] != first[j] {
				return false, nil, nil
			}
		}
	}
	return true, first, nil
}

// loadDatasets loads the training data and the validation data (--val, or
// the last valFrac of the training rows), memory-mapping uncompressed NPY
// and IDX files as mode says. closeData unmaps them.
func loadDatasets(spec, valPath string, valFrac float64, opt data.Options, mode string) (train, val *dataset, closeData func(), err error) {
	var closers []func() error
	closeData = func() {
		for _, c := range closers {
			c()
		}
	}
	load := func(spec string) (*data.Set, *data.Mapped, error) {
		if mode == "on" && (spec == "mnist" || spec == "mnist-test") {
			return nil, nil, usagef("--mmap on: %s is read from gzip-compressed IDX files, which cannot be mapped", spec)
		}
		if mode == "off" || spec == "mnist" || spec == "mnist-test" {
			s, err := data.Load(spec, opt)
			return s, nil, err
		}
		if st, err := os.Stat(spec); err == nil && mode == "auto" && st.Size() < mmapAuto {
			s, err := data.Load(spec, opt)
			return s, nil, err
		}
		mp, err := data.Map(spec, opt)
		switch {
		case err == nil:
			closers = append(closers, mp.Close)
			return nil, mp, nil
		case errors.Is(err, data.ErrNotMappable) && mode == "auto":
			s, err := data.Load(spec, opt)
			return s, nil, err
		case errors.Is(err, data.ErrNotMappable):
			return nil, nil, usagef("--mmap on: %v", err)
		}
		return nil, nil, err
	}
	fromSet := func(s *data.Set) *dataset {
		return &dataset{name: s.Name, src: engine.Dense(s.X.Data, s.X.Cols), note: s.Note}
	}
	fromMap := func(mp *data.Mapped) *dataset { return &dataset{name: mp.Name(), src: mp, mapped: true} }
	s, mp, err := load(spec)
	if err != nil {
		return nil, nil, closeData, err
	}
	if valPath != "" {
		vs, vmp, err := load(valPath)
		if err != nil {
			return nil, nil, closeData, err
		}
		if vs != nil {
			val = fromSet(vs)
		} else {
			val = fromMap(vmp)
		}
		if s != nil {
			return fromSet(s), val, closeData, nil
		}
		return fromMap(mp), val, closeData, nil
	}
	if s != nil {
		t, v := s.Split(valFrac)
		train = fromSet(t)
		if v != nil {
			val = fromSet(v)
		}
		return train, val, closeData, nil
	}
	t, v := mp.Split(valFrac)
	train = fromMap(t)
	if v != nil {
		val = fromMap(v)
	}
	return train, val, closeData, nil
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
	}
	cfg := engine.DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.K, cfg.Chains = f.epochs, f.batch, f.k, f.chains
	if err := f.samplerFlags.apply(&cfg, f.pcd, f.chains); err != nil {
		return cfg, err
	}
	cfg.LearningRate, cfg.Momentum, cfg.InitialMomentum = f.lr, f.momentum, math.Min(0.5, f.momentum)
	cfg.WeightDecay, cfg.Seed, cfg.MonitorRows = f.decay, f.seed, f.monitor
	cfg.SparsityTarget, cfg.SparsityCost = f.sparsity, f.sparsityCost
	if err := f.sched.apply(&cfg); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

// metadata is the JSON stored with the model: everything needed to repeat
// the run.
func (f *trainFlags) metadata(cfg engine.Config, dataName string, epochs int, eng *engine.Engine) string {
	md := map[string]any{
		"data": dataName, "val": f.val, "val_frac": f.valFrac, "binarize": f.binarize, "limit": f.limit,
		"hidden": f.hidden, "epochs_trained": epochs, "batch": cfg.BatchSize, "k": cfg.K, "pcd": cfg.PCD,
		"chains": cfg.Chains, "lr": cfg.LearningRate, "momentum": cfg.Momentum, "initial_momentum": cfg.InitialMomentum,
		"momentum_epochs": cfg.MomentumEpochs, "decay": cfg.WeightDecay, "sparsity": cfg.SparsityTarget,
		"sparsity_cost": cfg.SparsityCost, "init_sigma": f.sigma, "init_vbias": f.vbias, "seed": cfg.Seed,
		"kernel": engine.KernelID(eng.Kernel()), "workers": eng.Workers(),
	}
	if cfg.Sampler == "pt" {
		md["sampler"], md["betas"] = cfg.Sampler, mustLadder(&f.samplerFlags)
	}
	f.sched.metadata(md)
	if f.visible != "bernoulli" {
		md["visible_units"], md["learn_sigma"], md["sigma_lr"] = f.visible, cfg.LearnSigma, cfg.SigmaLR
		md["standardize"], md["whiten"], md["states"] = f.standardize, f.whiten, f.states
	}
	b, _ := json.Marshal(md)
	return string(b)
}

type metricsJSON struct {
	Epoch         int       `json:"epoch"`
	Steps         uint64    `json:"steps"`
	TrainCE       float64   `json:"train_recon_cross_entropy"`
	ValCE         *float64  `json:"val_recon_cross_entropy"`
	TrainFE       float64   `json:"train_free_energy"`
	ValFE         *float64  `json:"val_free_energy"`
	FEGap         *float64  `json:"free_energy_gap"`
	Seconds       float64   `json:"seconds"`
	TrainRows     int       `json:"train_rows"`
	ValRows       int       `json:"val_rows"`
	SamplesPerSec float64   `json:"samples_per_second"`
	SwapAcc       []float64 `json:"swap_acceptance,omitempty"` // --sampler pt
	extraMetrics
}

// jsonMetrics is a --metrics line: the keys of engine.EpochMetrics'
// MarshalJSON, then the optional monitors.
func jsonMetrics(m engine.EpochMetrics, extra extraMetrics) metricsJSON {
	j := metricsJSON{Epoch: m.Epoch, Steps: m.Steps, TrainCE: m.TrainCE, TrainFE: m.TrainFE, Seconds: m.Seconds, SamplesPerSec: m.SamplesPerSec,
		TrainRows: m.TrainRows, ValRows: m.ValRows, SwapAcc: m.SwapAcceptance, extraMetrics: extra}
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
	if a := m.SwapAcceptance; len(a) > 0 {
		s += fmt.Sprintf("  swaps %.2f..%.2f", slices.Min(a), slices.Max(a))
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
