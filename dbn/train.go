package dbn

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/rng"
)

// Layer configures the training of one layer.
type Layer struct {
	Hidden int           // hidden units
	Config engine.Config // its CD-k / PCD-k configuration (epochs, batch, rate, seed, ...)
	// InitSigma is the σ of the initial weights, N(0, σ²), of a layer above
	// the bottom (0: the engine's default 0.01).
	InitSigma float64
}

// Options control greedy training.
type Options struct {
	// Samples feeds each layer sampled binary hidden states of the layers
	// below (h ~ p(h|v), drawn from the layer's Config.Seed and the step)
	// instead of their probabilities.
	Samples bool
	// OnEpoch is called after every epoch of every layer (k is 1-based).
	OnEpoch func(k int, m engine.EpochMetrics) error
	// FitBottom trains the bottom layer; nil means tr.FitRows(ctx, src,
	// engine.FitOptions{OnEpoch: ..., ValRows: Val}). A caller sets it to
	// add monitors or checkpoints.
	FitBottom func(ctx context.Context, tr *engine.Trainer) error
	// Val, when not nil, is validation data (in the bottom layer's input
	// space): every layer's epoch metrics then have the validation
	// reconstruction cross-entropy and free energy, on the rows pushed up
	// through the layers below.
	Val engine.RowSource
}

// Train trains a stack greedily: bottom (made and initialised by the
// caller, any visible type, layers[0].Hidden hidden units) on the rows of
// src with layers[0].Config, then one new Bernoulli layer for each of
// layers[1:] on the layers below (Grow). bottom computes on its engine;
// the new layers share it.
func Train(ctx context.Context, src engine.RowSource, bottom *engine.RBM, layers []Layer, opt Options) (*Stack, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("%w: no layers to train", ErrStack)
	}
	if bottom.Hidden != layers[0].Hidden {
		return nil, fmt.Errorf("%w: the bottom model has %d hidden units, layer 1 asks for %d", ErrStack, bottom.Hidden, layers[0].Hidden)
	}
	tr, err := engine.NewTrainer(bottom, layers[0].Config)
	if err != nil {
		return nil, fmt.Errorf("layer 1: %w", err)
	}
	if opt.FitBottom != nil {
		err = opt.FitBottom(ctx, tr)
	} else {
		fo := engine.FitOptions{ValRows: opt.Val}
		if opt.OnEpoch != nil {
			fo.OnEpoch = func(m engine.EpochMetrics) error { return opt.OnEpoch(1, m) }
		}
		err = tr.FitRows(ctx, src, fo)
	}
	if err != nil {
		return nil, fmt.Errorf("layer 1: %w", err)
	}
	s := &Stack{Layers: []*engine.RBM{bottom}}
	for _, l := range layers[1:] {
		if err := s.Grow(ctx, src, l, opt); err != nil {
			return s, err
		}
	}
	return s, nil
}

// phaseShuffle is the rng phase ("dbs") of the minibatch order of layers
// trained by Grow.
const phaseShuffle = 0x646273

// Grow trains a new Bernoulli layer on top of s, on the rows of src (data
// in the bottom layer's input space) pushed up through all of s's layers
// one minibatch at a time: each epoch visits the rows in an order drawn
// from (l.Config.Seed, epoch), gathers a minibatch of bottom rows, computes
// the top layer's hidden probabilities (or samples, Options.Samples) for
// it, and takes one CD step (engine.Trainer.Step) on them. No transformed
// data set is held: memory is a minibatch per layer. The visible biases
// start at the log-odds of the mean input probabilities (clamped to
// [0.001, 0.999]), computed in one pass. The result depends only on the
// seeds, the data and the kernel, not on the worker count.
func (s *Stack) Grow(ctx context.Context, src engine.RowSource, l Layer, opt Options) error {
	if err := s.Validate(); err != nil {
		return err
	}
	k := len(s.Layers) + 1
	wrap := func(err error) error { return fmt.Errorf("layer %d: %w", k, err) }
	if src == nil || src.Cols() != s.Visible() {
		return wrap(fmt.Errorf("%w: the data's rows do not have the stack's %d visible units", engine.ErrShape, s.Visible()))
	}
	rows := src.Rows()
	cfg := l.Config
	if err := cfg.Validate(); err != nil {
		return wrap(err)
	}
	if rows < cfg.BatchSize || rows <= 0 {
		return wrap(fmt.Errorf("%w: batch size %d is larger than the %d data rows", engine.ErrConfig, cfg.BatchSize, rows))
	}
	if rows > math.MaxInt32 {
		return wrap(fmt.Errorf("%w: %d data rows is too many", engine.ErrConfig, rows))
	}
	below := s.Layers[len(s.Layers)-1]
	m, err := engine.NewRBM(below.Hidden, l.Hidden, l.InitSigma, cfg.Seed)
	if err != nil {
		return wrap(err)
	}
	eng, err := below.Engine()
	if err != nil {
		return wrap(err)
	}
	m.SetEngine(eng)
	up := newUpper(s, src, cfg.BatchSize, opt.Samples, cfg.Seed)
	var valUp *upper
	valRows := 0
	if opt.Val != nil {
		if opt.Val.Cols() != s.Visible() {
			return wrap(fmt.Errorf("%w: validation rows of %d values, the stack has %d visible units", engine.ErrShape, opt.Val.Cols(), s.Visible()))
		}
		if valRows = opt.Val.Rows(); cfg.MonitorRows > 0 {
			valRows = min(valRows, cfg.MonitorRows)
		}
		if valRows > 0 {
			valUp = newUpper(s, opt.Val, cfg.BatchSize, false, cfg.Seed)
		}
	}
	// The visible biases from the mean input probabilities of the new layer.
	sum := make([]float64, m.Visible)
	up.samples = false
	for r0 := 0; r0 < rows; r0 += cfg.BatchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		r1 := min(r0+cfg.BatchSize, rows)
		x, err := up.batch(r0, r1, nil, 0)
		if err != nil {
			return wrap(err)
		}
		for i, v := range x {
			sum[i%m.Visible] += float64(v)
		}
	}
	for j, sj := range sum {
		p := math.Min(math.Max(sj/float64(rows), 0.001), 0.999)
		m.B[j] = float32(math.Log(p / (1 - p)))
	}
	up.samples = opt.Samples
	tr, err := engine.NewTrainer(m, cfg)
	if err != nil {
		return wrap(err)
	}
	perm := make([]int32, rows)
	batches := (rows + cfg.BatchSize - 1) / cfg.BatchSize
	monRows := rows
	if cfg.MonitorRows > 0 {
		monRows = min(rows, cfg.MonitorRows)
	}
	for e := 0; e < cfg.Epochs; e++ {
		start := time.Now()
		tr.SetEpoch(e)
		shuffle(perm, cfg.Seed, e)
		for b := 0; b < batches; b++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			r0, r1 := b*cfg.BatchSize, min((b+1)*cfg.BatchSize, rows)
			x, err := up.batch(r0, r1, perm, tr.Steps())
			if err != nil {
				return wrap(err)
			}
			if err := tr.Step(x); err != nil {
				return wrap(err)
			}
		}
		secs := time.Since(start).Seconds()
		for i, w := range m.W {
			if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
				return wrap(fmt.Errorf("%w in epoch %d: weight %d is %v; likely cause: the learning rate %v is too high", engine.ErrDiverged, e+1, i, w, cfg.LearningRate))
			}
		}
		met := engine.EpochMetrics{Epoch: e + 1, Steps: tr.Steps(), Seconds: secs, TrainRows: monRows,
			ValCE: math.NaN(), ValFE: math.NaN()}
		if secs > 0 {
			met.SamplesPerSec = float64(rows) / secs
		}
		if met.TrainCE, met.TrainFE, err = monitor(up, m, monRows); err != nil {
			return wrap(err)
		}
		if valUp != nil {
			met.ValRows = valRows
			if met.ValCE, met.ValFE, err = monitor(valUp, m, valRows); err != nil {
				return wrap(fmt.Errorf("validation data: %w", err))
			}
		}
		if opt.OnEpoch != nil {
			if err := opt.OnEpoch(k, met); err != nil {
				return err
			}
		}
	}
	s.Layers = append(s.Layers, m)
	return nil
}

// monitor returns the mean reconstruction cross-entropy and free energy of
// m on the first rows of the new layer's input (probabilities, whatever
// Options.Samples says).
func monitor(up *upper, m *engine.RBM, rows int) (ce, fe float64, err error) {
	B := up.bsize
	ceb := make([]float32, B)
	feb := make([]float32, B)
	saved := up.samples
	up.samples = false
	defer func() { up.samples = saved }()
	for r0 := 0; r0 < rows; r0 += B {
		r1 := min(r0+B, rows)
		x, err := up.batch(r0, r1, nil, 0)
		if err != nil {
			return 0, 0, err
		}
		if err := m.ReconstructionCrossEntropy(ceb[:r1-r0], x); err != nil {
			return 0, 0, err
		}
		if err := m.FreeEnergy(feb[:r1-r0], x); err != nil {
			return 0, 0, err
		}
		for i := 0; i < r1-r0; i++ {
			ce += float64(ceb[i])
			fe += float64(feb[i])
		}
	}
	return ce / float64(rows), fe / float64(rows), nil
}

// upper gathers minibatches of bottom rows and pushes them up through the
// layers of a stack, in buffers of one minibatch per layer.
type upper struct {
	s       *Stack
	src     engine.RowSource
	bsize   int
	samples bool
	seed    uint64
	in      []float32   // bsize × Visible()
	bufs    [][]float32 // bsize × Hidden(k) per layer
}

func newUpper(s *Stack, src engine.RowSource, bsize int, samples bool, seed uint64) *upper {
	u := &upper{s: s, src: src, bsize: bsize, samples: samples, seed: seed,
		in: make([]float32, bsize*s.Visible())}
	for _, m := range s.Layers {
		u.bufs = append(u.bufs, make([]float32, bsize*m.Hidden))
	}
	return u
}

// batch returns the top layer's hidden probabilities (or samples, drawn at
// (seed, layer, step)) for rows perm[r0:r1] (rows r0..r1−1 when perm is
// nil) of the source. The result is valid until the next call.
func (u *upper) batch(r0, r1 int, perm []int32, step uint64) ([]float32, error) {
	n := r1 - r0
	V := u.s.Visible()
	for r := 0; r < n; r++ {
		i := r0 + r
		if perm != nil {
			i = int(perm[r0+r])
		}
		if err := u.src.ReadRow(i, u.in[r*V:(r+1)*V]); err != nil {
			return nil, fmt.Errorf("training data: %w", err)
		}
	}
	x := u.in[:n*V]
	for l, m := range u.s.Layers {
		dst := u.bufs[l][:n*m.Hidden]
		var err error
		if u.samples {
			err = m.SampleHidden(dst, x, u.seed, uint64(l)<<48|step)
		} else {
			err = m.HiddenProbs(dst, x)
		}
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", l+1, err)
		}
		x = dst
	}
	return x, nil
}

// shuffle fills perm with a permutation of 0..len−1 drawn from (seed,
// epoch): Fisher-Yates with Lemire's multiply-shift reduction.
func shuffle(perm []int32, seed uint64, epoch int) {
	for i := range perm {
		perm[i] = int32(i)
	}
	s := rng.NewStream(seed, uint64(epoch), phaseShuffle)
	for i := len(perm) - 1; i > 0; i-- {
		j := int((uint64(s.Uint32(i, 0)) * uint64(i+1)) >> 32)
		perm[i], perm[j] = perm[j], perm[i]
	}
}

// Rows returns the rows of src (data in the bottom layer's input space)
// pushed up through the first k layers (0: all) as a RowSource of hidden
// probabilities, computed one row at a time when read: a way to hand a
// stack's features to anything that reads a RowSource (engine.Trainer's
// FitRows, engine.DataFingerprint) without materialising them. Grow
// does the same a minibatch at a time, which is much faster.
func (s *Stack) Rows(src engine.RowSource, k int) (engine.RowSource, error) {
	k, err := s.layer(k)
	if err != nil {
		return nil, err
	}
	if src.Cols() != s.Visible() {
		return nil, fmt.Errorf("%w: rows of %d values, the stack has %d visible units", engine.ErrShape, src.Cols(), s.Visible())
	}
	r := &layerRows{s: s, src: src, k: k, in: make([]float32, s.Visible())}
	for _, m := range s.Layers[:k-1] {
		r.bufs = append(r.bufs, make([]float32, m.Hidden))
	}
	return r, nil
}

type layerRows struct {
	s    *Stack
	src  engine.RowSource
	k    int
	in   []float32
	bufs [][]float32
}

func (r *layerRows) Rows() int { return r.src.Rows() }
func (r *layerRows) Cols() int { return r.s.Hidden(r.k) }

func (r *layerRows) ReadRow(i int, dst []float32) error {
	if len(dst) != r.Cols() {
		return fmt.Errorf("%w: row of %d values into %d", engine.ErrShape, r.Cols(), len(dst))
	}
	if err := r.src.ReadRow(i, r.in); err != nil {
		return err
	}
	x := r.in
	for l := 0; l < r.k; l++ {
		out := dst
		if l < r.k-1 {
			out = r.bufs[l]
		}
		if err := r.s.Layers[l].HiddenProbs(out, x); err != nil {
			return fmt.Errorf("row %d, layer %d: %w", i, l+1, err)
		}
		x = out
	}
	return nil
}
