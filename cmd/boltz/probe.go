package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/boltzgo/boltz/data"
	"github.com/boltzgo/boltz/dbn"
	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/probe"
)

const probeAbout = `Judges features with a linear probe: multinomial logistic regression with an
L2 penalty (scikit-learn's LogisticRegression with penalty="l2", solver
"lbfgs": the same objective, Σ_i CE_i + ‖W‖²/(2C), biases not penalised, and
the same stopping rule), fitted by gonum's L-BFGS on --data and scored on
--test. The features are the hidden probabilities of --model (of layer
--layer of a stack), or the (binarised) inputs themselves without --model.

Labels come with MNIST (mnist, mnist-test) and CSV files read with
--label-column; other data take --labels / --test-labels: an IDX label file,
an integer NPY file (1-D or one column) or a CSV file of one integer column.
Labels must lie in 0..1023, one a row; a class in --test that --data lacks
is an error. --json prints one object with test_error and train_error as
fractions. --limit bounds the training rows; the test rows are all read.`

type probeFlags struct {
	dataFlags
	engineFlags
	modelPath, dataSpec, testSpec string
	labels, testLabels            string
	layer                         int
	c, tol                        float64
	maxIter                       int
	asJSON                        bool
	seed                          uint64
}

// probeResult is what probe prints.
type probeResult struct {
	Model       string  `json:"model"`
	Layer       int     `json:"layer"`
	Data        string  `json:"data"`
	Test        string  `json:"test"`
	TrainRows   int     `json:"train_rows"`
	TestRows    int     `json:"test_rows"`
	Features    int     `json:"features"`
	Classes     int     `json:"classes"`
	C           float64 `json:"C"`
	TrainError  float64 `json:"train_error"`
	TestError   float64 `json:"test_error"`
	Objective   float64 `json:"objective"`
	Iterations  int     `json:"iterations"`
	Evaluations int     `json:"evaluations"`
	Status      string  `json:"status"`
	FitSeconds  float64 `json:"fit_seconds"`
	FeatSeconds float64 `json:"feature_seconds"`
}

func runProbe(args []string, stdout, stderr io.Writer) error {
	var f probeFlags
	fs := newFlags("probe", "[--model M] [--layer k] [--data mnist] [--test mnist-test] [--json] [flags]", probeAbout, stderr)
	fs.StringVar(&f.modelPath, "model", "", "model or stack file (default: none, the inputs themselves are the features)")
	fs.IntVar(&f.layer, "layer", 0, "layer of a stack whose hidden probabilities are the features (default: the top one)")
	fs.StringVar(&f.dataSpec, "data", "mnist", "training data of the probe: mnist, or an IDX, NPY or CSV file")
	fs.StringVar(&f.testSpec, "test", "", "test data (default: mnist-test when --data is mnist, else required)")
	fs.StringVar(&f.labels, "labels", "", "label file of --data (IDX, integer NPY or one-column CSV)")
	fs.StringVar(&f.testLabels, "test-labels", "", "label file of --test")
	fs.Float64Var(&f.c, "C", 1, "inverse L2 strength, scikit-learn's C (λ = 1/(C·rows) on the mean cross-entropy)")
	fs.IntVar(&f.maxIter, "max-iter", 100, "most L-BFGS iterations (scikit-learn's max_iter)")
	fs.Float64Var(&f.tol, "tol", 1e-4, "stop when the largest gradient component of Σ CE + ‖W‖²/(2C) is at most this (scikit-learn's tol)")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for --binarize stochastic")
	f.dataFlags.register(fs)
	f.engineFlags.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.testSpec == "" {
		if f.dataSpec != "mnist" {
			return usagef("--test is required when --data is not mnist")
		}
		f.testSpec = "mnist-test"
	}
	switch {
	case !(f.c > 0) || !finite(f.c):
		return usagef("--C %v: want a positive number", f.c)
	case f.maxIter < 1:
		return usagef("--max-iter %d: want at least 1", f.maxIter)
	case !(f.tol > 0) || !finite(f.tol):
		return usagef("--tol %v: want a positive number", f.tol)
	case f.layer < 0:
		return usagef("--layer %d is negative", f.layer)
	case f.layer > 0 && f.modelPath == "":
		return usagef("--layer needs --model")
	}
	opt, err := f.options(f.seed)
	if err != nil {
		return err
	}
	if err := checkLabelFile("labels", f.labels); err != nil {
		return err
	}
	if err := checkLabelFile("test-labels", f.testLabels); err != nil {
		return err
	}
	feat, err := newFeaturizer(&f.engineFlags, f.modelPath, f.layer)
	if err != nil {
		return err
	}
	defer feat.close()
	t0 := time.Now()
	train, trainName, err := feat.labelled(f.dataSpec, f.labels, "labels", opt, stderr)
	if err != nil {
		return err
	}
	// The test rows are read whole: --limit bounds the training rows only.
	topt := opt
	topt.Limit = 0
	test, testName, err := feat.labelled(f.testSpec, f.testLabels, "test-labels", topt, stderr)
	if err != nil {
		return err
	}
	if test.Cols != train.Cols {
		return usagef("%s has %d features but %s has %d", testName, test.Cols, trainName, train.Cols)
	}
	featSecs := time.Since(t0).Seconds()
	k := 0
	for _, l := range train.Labels {
		k = max(k, int(l)+1)
	}
	for i, l := range test.Labels {
		if int(l) >= k {
			return usagef("%s: label %d of row %d is a class the training labels lack (0..%d)", testName, l, i, k-1)
		}
	}
	fmt.Fprintf(stderr, "probe: %d×%d features, %d classes, fitting (C = %v, at most %d iterations)\n", train.Rows, train.Cols, k, f.c, f.maxIter)
	t1 := time.Now()
	m, err := probe.Fit(train, probe.Options{C: f.c, MaxIter: f.maxIter, Tol: f.tol, Classes: k})
	if err != nil {
		if errors.Is(err, probe.ErrInput) {
			return usageError{err}
		}
		return err
	}
	fitSecs := time.Since(t1).Seconds()
	res := probeResult{Model: f.modelPath, Layer: feat.layer, Data: trainName, Test: testName,
		TrainRows: train.Rows, TestRows: test.Rows, Features: train.Cols, Classes: k, C: f.c,
		Objective: m.Objective, Iterations: m.Iterations, Evaluations: m.Evaluations, Status: m.Status,
		FitSeconds: fitSecs, FeatSeconds: featSecs}
	if res.TrainError, err = m.Error(train); err != nil {
		return err
	}
	if res.TestError, err = m.Error(test); err != nil {
		return err
	}
	if f.asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "test_error  %.4f  (%s, %d rows)\n", res.TestError, testName, res.TestRows)
	fmt.Fprintf(stdout, "train_error %.4f  (%s, %d rows)\n", res.TrainError, trainName, res.TrainRows)
	fmt.Fprintf(stdout, "features    %d (%s)\n", res.Features, feat.describe())
	fmt.Fprintf(stdout, "lbfgs       %d iterations, %d evaluations, %s, objective %.6g, %.1fs\n", res.Iterations, res.Evaluations, res.Status, res.Objective, fitSecs)
	return nil
}

// checkLabelFile refuses an empty --labels= value.
func checkLabelFile(flagName, path string) error {
	if path == "-" {
		return usagef("--%s - : standard input is not read; give a file", flagName)
	}
	return nil
}

// featurizer turns data into features: the rows themselves, or the hidden
// probabilities of layer `layer` of a model or stack.
type featurizer struct {
	s     *dbn.Stack
	m     *engine.RBM // the bottom layer
	eng   *engine.Engine
	layer int
}

func newFeaturizer(ef *engineFlags, modelPath string, layer int) (*featurizer, error) {
	if modelPath == "" {
		return &featurizer{}, nil
	}
	s, eng, err := ef.loadStack(modelPath)
	if err != nil {
		return nil, err
	}
	if layer, err = stackLayer(s, layer, modelPath); err != nil {
		eng.Close()
		return nil, err
	}
	return &featurizer{s: s, m: s.Layers[0], eng: eng, layer: layer}, nil
}

func (f *featurizer) close() {
	if f.eng != nil {
		f.eng.Close()
	}
}

func (f *featurizer) describe() string {
	if f.m == nil {
		return "the inputs"
	}
	return fmt.Sprintf("hidden probabilities of layer %d", f.layer)
}

// labelled loads spec with its labels (from labelsPath when given) and
// turns the rows into features.
func (f *featurizer) labelled(spec, labelsPath, labelsFlag string, opt data.Options, stderr io.Writer) (probe.Data, string, error) {
	var (
		x      []float32
		rows   int
		cols   int
		name   string
		labels []int32
	)
	if f.m == nil || f.m.VisibleUnits == engine.Bernoulli {
		set, err := data.Load(spec, opt)
		if err != nil {
			return probe.Data{}, "", err
		}
		noteData(stderr, set)
		if f.m != nil && set.X.Cols != f.m.Visible {
			return probe.Data{}, "", fmt.Errorf("%s has %d columns but the model has %d visible units", set.Name, set.X.Cols, f.m.Visible)
		}
		x, rows, cols, name, labels = set.X.Data, set.X.Rows, set.X.Cols, set.Name, set.Labels
	} else {
		var err error
		if x, rows, name, err = loadForModel(f.m, spec, opt); err != nil {
			return probe.Data{}, "", err
		}
		cols = f.m.Visible
	}
	if labelsPath != "" {
		var err error
		if labels, err = data.ReadLabels(labelsPath, opt.Limit); err != nil {
			return probe.Data{}, "", err
		}
	}
	if labels == nil {
		return probe.Data{}, "", usagef("%s has no labels: give --%s FILE (an IDX label file, an integer NPY file or a one-column CSV file), or --label-column for a CSV file whose last column is the label", name, labelsFlag)
	}
	if len(labels) != rows {
		return probe.Data{}, "", usagef("%s has %d rows but %d labels", name, rows, len(labels))
	}
	if f.m != nil {
		h, err := f.s.Transform(x, f.layer)
		if err != nil {
			return probe.Data{}, "", err
		}
		x, cols = h, f.s.Hidden(f.layer)
	}
	d, err := probe.FromFloat32(x, rows, cols, labels)
	if err != nil {
		return probe.Data{}, "", usageError{err}
	}
	return d, name, nil
}
