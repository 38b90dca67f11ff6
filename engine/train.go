package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// Trainer updates an RBM one minibatch at a time with CD-k or PCD-k. It owns
// every buffer a step needs, so Step allocates nothing after the first call.
// Following the Practical Guide (§3.4), the hidden states that drive the
// reconstruction are sampled, while the statistics use probabilities: the
// positive phase uses p(h|v0); CD's last reconstruction uses the visible
// probabilities p(v|h) and p(h|that); intermediate Gibbs steps sample. PCD
// keeps Chains persistent hidden states (starting at zero) and uses the
// sampled visible states of the chains in the negative statistics.
//
// A Trainer is not safe for concurrent use. Fit and Step hold the model's
// write lock during each step, so the model may serve inference meanwhile
// (see RBM): each inference call sees the parameters between two steps.
//
// On a kernel with packed weights (kernel.Packer: the asm backend, for
// models up to 1024 units a side) a Trainer also keeps W in the layouts the
// kernel's products read: Fit keeps that copy current from one step to the
// next, and rereads W after each of its callbacks (which may change the
// model); Step rereads W at every call, so the caller may change m.W between
// Steps.
type Trainer struct {
	m   *RBM
	cfg Config
	eng *Engine

	vel        Mat // H×V
	velB, velC []float32
	q          []float32  // sparsity moving average
	cen        *centering // Config.Centered's offsets and scratch (centering.go), or nil

	v0       Mat      // B×V gathered batch (Fit)
	ph0, sh0 Mat      // B×H
	pv, vs   Mat      // N×V, N = max(B, chains)
	ph1, hs  Mat      // N×H
	chains   Mat      // C×H persistent hidden states (PCD; K·C×H for PT)
	pt       *ptState // parallel tempering (pt.go), or nil
	up       *proj
	binList  *binaryLister // the nonzeros of binary projection inputs (binary.go)
	upd      Update
	step     uint64
	epoch    int                    // the epoch in progress (0-based), = epochs completed
	batch    int                    // the next minibatch of the epoch in progress
	batches  int                    // minibatches an epoch of the Fit in progress (0: none; schedule.go)
	updFn    func(part, lo, hi int) // t.updatePart, made once
	updParts int                    // parts of the current update phase

	grain     kernel.Grain        // the kernel's, asked once
	fused     kernel.FusedUpdater // the kernel's fused update, or nil
	biasSteps []kernel.BiasStep   // per part of the update phase

	// pk is W in the kernel's own layouts (nil when the kernel has none,
	// see kernel.Packer). A step packs it first unless pkCurrent; Fit sets
	// keepPacked, and its update phases then refresh pk, so that the steps
	// of a Fit never pack W. Step, and Fit after any callback, start from W
	// itself, which the caller may have changed in between.
	pk         kernel.Packed
	pkCurrent  bool
	keepPacked bool
	packFn     func(part, lo, hi int) // t.packPart, made once

	// Gaussian visible units (cdunits.go): xs0 and xs1 hold v/σ² of the
	// data and of the negative phase (what the up projections and the
	// update read); a0 and a1 the visible pre-activations b + Wᵀh of both
	// phases when σ is learned.
	xs0, xs1, a0, a1 Mat
	dz               []float64    // the step of log σ²
	units            kernel.Units // the visible units' write-back
}

// NewTrainer prepares to train m with cfg on the model's engine.
func NewTrainer(m *RBM, cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	eng, err := m.Engine()
	if err != nil {
		return nil, err
	}
	V, H, B := m.Visible, m.Hidden, cfg.BatchSize
	N := B
	cfg.PCD = cfg.PCD || cfg.Sampler == "pcd"
	if cfg.PCD || cfg.pt() {
		N = max(B, cfg.chainRows())
	}
	t := &Trainer{m: m, cfg: cfg, eng: eng,
		vel: NewMat(H, V), velB: make([]float32, V), velC: make([]float32, H),
		v0: NewMat(B, V), ph0: NewMat(B, H), sh0: NewMat(B, H),
		pv: NewMat(N, V), vs: NewMat(N, V), ph1: NewMat(N, H), hs: NewMat(N, H),
		up: newProj(eng.kernel, eng.pool.Workers()), biasSteps: make([]kernel.BiasStep, eng.pool.Workers()),
		grain: kernel.GrainOf(eng.kernel),
	}
	if cfg.PCD {
		t.chains = NewMat(cfg.chains(), H)
	}
	if err := t.initPT(); err != nil {
		return nil, err
	}
	if err := t.initUnits(); err != nil {
		return nil, err
	}
	if cfg.Centered {
		if t.cen, err = newCentering(m, B, N); err != nil {
			return nil, err
		}
	}
	t.fused, _ = eng.kernel.(kernel.FusedUpdater)
	if pk, ok := eng.kernel.(kernel.Packer); ok {
		if t.pk = pk.NewPacked(H, V); t.pk != nil {
			t.packFn = t.packPart
		}
	}
	if cfg.SparsityTarget > 0 {
		t.q = make([]float32, H)
		for i := range t.q {
			t.q[i] = float32(cfg.SparsityTarget)
		}
	}
	return t, nil
}

// Model returns the model being trained.
func (t *Trainer) Model() *RBM { return t.m }

// Steps returns the number of steps taken (the RNG step counter).
func (t *Trainer) Steps() uint64 { return t.step }

// Epoch returns the current epoch (0-based); it selects the momentum. It is
// also the number of epochs Fit has completed.
func (t *Trainer) Epoch() int { return t.epoch }

// Batch returns the index of the minibatch Fit takes next in the current
// epoch (0 at an epoch boundary).
func (t *Trainer) Batch() int { return t.batch }

// Config returns the training configuration.
func (t *Trainer) Config() Config { return t.cfg }

// SetEpoch sets the epoch that selects the momentum for Step, and makes Fit
// start that epoch from its first minibatch.
func (t *Trainer) SetEpoch(e int) { t.epoch, t.batch = e, 0 }

// SetEpochs sets the number of epochs Fit trains to (Config().Epochs), so
// that a trainer that has finished can train on: raise it, then call Fit
// again. It may not go below the epochs already begun.
func (t *Trainer) SetEpochs(n int) error {
	begun := t.epoch
	if t.batch > 0 {
		begun++
	}
	if n < max(begun, 1) {
		return fmt.Errorf("%w: %d epochs: the trainer has begun %d", ErrConfig, n, begun)
	}
	t.cfg.Epochs = n
	return nil
}

// EpochMetrics are the monitoring figures of one epoch. Cross-entropies are
// per row, in nats (see RBM.ReconstructionCrossEntropy); free energies are
// means of F(v) over the rows. Validation fields are NaN without validation
// data. As JSON (MarshalJSON) they are the keys of the tags, with
// free_energy_gap (val_free_energy − train_free_energy) added and null for
// the values missing without validation data.
type EpochMetrics struct {
	Epoch         int     `json:"epoch"` // 1-based
	Steps         uint64  `json:"steps"`
	TrainCE       float64 `json:"train_recon_cross_entropy"`
	ValCE         float64 `json:"val_recon_cross_entropy"`
	TrainFE       float64 `json:"train_free_energy"`
	ValFE         float64 `json:"val_free_energy"`
	Seconds       float64 `json:"seconds"`    // training time of the epoch in this Fit call, without the metrics
	TrainRows     int     `json:"train_rows"` // rows the train metrics used
	ValRows       int     `json:"val_rows"`   // rows the validation metrics used
	SamplesPerSec float64 `json:"samples_per_second"`
	// SwapAcceptance is PT's accepted fraction of the swaps between
	// temperatures k and k+1 in the epoch (nil, and absent from the JSON,
	// for other samplers).
	SwapAcceptance []float64 `json:"swap_acceptance,omitempty"`
}

// MarshalJSON writes the metrics with null for the NaN validation values
// (encoding/json refuses NaN) and the free_energy_gap.
func (e EpochMetrics) MarshalJSON() ([]byte, error) {
	val := func(x float64) *float64 {
		if e.ValRows == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return &x
	}
	return json.Marshal(struct {
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
		Swap          []float64 `json:"swap_acceptance,omitempty"`
	}{e.Epoch, e.Steps, e.TrainCE, val(e.ValCE), e.TrainFE, val(e.ValFE), val(e.ValFE - e.TrainFE), e.Seconds, e.TrainRows, e.ValRows, e.SamplesPerSec, e.SwapAcceptance})
}

// UnmarshalJSON reads what MarshalJSON writes; null values are NaN.
func (e *EpochMetrics) UnmarshalJSON(b []byte) error {
	var j struct {
		Epoch         int       `json:"epoch"`
		Steps         uint64    `json:"steps"`
		TrainCE       float64   `json:"train_recon_cross_entropy"`
		ValCE         *float64  `json:"val_recon_cross_entropy"`
		TrainFE       float64   `json:"train_free_energy"`
		ValFE         *float64  `json:"val_free_energy"`
		Seconds       float64   `json:"seconds"`
		TrainRows     int       `json:"train_rows"`
		ValRows       int       `json:"val_rows"`
		SamplesPerSec float64   `json:"samples_per_second"`
		Swap          []float64 `json:"swap_acceptance"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	nan := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*e = EpochMetrics{Epoch: j.Epoch, Steps: j.Steps, TrainCE: j.TrainCE, ValCE: nan(j.ValCE), TrainFE: j.TrainFE, ValFE: nan(j.ValFE),
		Seconds: j.Seconds, TrainRows: j.TrainRows, ValRows: j.ValRows, SamplesPerSec: j.SamplesPerSec, SwapAcceptance: j.Swap}
	return nil
}

// Every says when Fit calls FitOptions.Checkpoint. Zero fields are off.
type Every struct {
	Epochs   int           // at the end of every Epochs-th epoch (counted from the first)
	Steps    int           // after a step when Trainer.Steps is a multiple of Steps
	Interval time.Duration // after a step when Interval has passed since the last checkpoint or the start of Fit
}

// FitOptions are the optional hooks of Fit.
type FitOptions struct {
	// Val is validation data (R×V), or nil.
	Val []float32
	// ValRows is validation data read row by row, used when Val is nil.
	ValRows RowSource
	// OnEpoch receives the metrics after every epoch; a non-nil error stops
	// training and is returned.
	OnEpoch func(EpochMetrics) error
	// OnBatch is called after every minibatch with the epoch (0-based), the
	// batch index and the batch count of the epoch.
	OnBatch func(epoch, batch, batches int)
	// Checkpoint is called, when set, at the points Every selects, between
	// two steps, with the trainer in the state a checkpoint must capture
	// (see Trainer.WriteCheckpoint); a non-nil error stops training and is
	// returned. A checkpoint the Steps or Interval rule asks for after the
	// last minibatch of an epoch is taken after that epoch's metrics, at the
	// epoch boundary.
	Checkpoint func(*Trainer) error
	Every      Every
}

// Fit trains for cfg.Epochs epochs over data (R×V, values in [0, 1]),
// reshuffling the rows every epoch with the seed's counter-based stream.
// See FitRows.
func (t *Trainer) Fit(ctx context.Context, data []float32, opt FitOptions) error {
	if _, err := t.m.rows(data, t.m.Visible); err != nil {
		return err
	}
	return t.FitRows(ctx, Dense(data, t.m.Visible), opt)
}

// FitRows trains for cfg.Epochs epochs over the rows of src, reshuffling
// them every epoch: the order of epoch e is a pure function of (seed, e), so
// the data are visited by row index, one minibatch at a time, and a source
// larger than memory is never held whole.
//
// Fit continues from the trainer's position (Epoch, Batch) to Config().Epochs;
// on a trainer that has trained them all it is an error wrapping ErrConfig
// (SetEpochs raises the count). A fresh trainer
// starts at (0, 0); after a cancelled Fit, or on a trainer restored from a
// checkpoint, it resumes with the next minibatch of the interrupted epoch
// and produces bit for bit the model an uninterrupted run gives.
//
// It checks ctx before every minibatch and returns ctx's error, with the
// trainer after the last whole step, when ctx is cancelled. NaN or Inf in
// the parameters (the biases are checked after every step, the weights at
// the end of every epoch and at every checkpoint) or in the metrics stops
// it with an error wrapping ErrDiverged that names the epoch and the step.
//
// The model may be used for inference from other goroutines meanwhile (see
// RBM); each step holds the model's write lock.
func (t *Trainer) FitRows(ctx context.Context, src RowSource, opt FitOptions) error {
	m, cfg := t.m, t.cfg
	if t.epoch >= cfg.Epochs {
		return fmt.Errorf("%w: the trainer has trained all its %d epochs; SetEpochs raises the count", ErrConfig, cfg.Epochs)
	}
	V := m.Visible
	train, err := checkRows(src, m)
	if err != nil {
		return fmt.Errorf("training data: %w", err)
	}
	rows := train.rows
	if rows < cfg.BatchSize {
		return fmt.Errorf("%w: batch size %d is larger than the %d data rows", ErrConfig, cfg.BatchSize, rows)
	}
	if rows > math.MaxInt32 {
		return fmt.Errorf("%w: %d data rows is too many (at most %d)", ErrConfig, rows, math.MaxInt32)
	}
	var val rowData
	switch {
	case opt.Val != nil:
		if _, err := m.rows(opt.Val, V); err != nil {
			return fmt.Errorf("validation data: %w", err)
		}
		val, err = checkRows(Dense(opt.Val, V), m)
	case opt.ValRows != nil:
		val, err = checkRows(opt.ValRows, m)
	}
	if err != nil {
		return fmt.Errorf("validation data: %w", err)
	}
	batches := (rows + cfg.BatchSize - 1) / cfg.BatchSize
	t.batches = batches
	defer func() { t.batches = 0 }()
	if t.epoch < cfg.Epochs && (t.batch < 0 || t.batch >= batches) {
		return fmt.Errorf("%w: the trainer stands at minibatch %d of epoch %d, but the %d data rows make %d minibatches (different data?)",
			ErrConfig, t.batch, t.epoch+1, rows, batches)
	}
	if t.cen != nil {
		if err := t.cen.initOffsets(train, V); err != nil {
			return fmt.Errorf("training data: %w", err)
		}
	}
	var mon monitorBuf
	perm := make([]int32, rows)
	t.pkCurrent, t.keepPacked = false, true
	defer func() { t.pkCurrent, t.keepPacked = false, false }()
	last := time.Now() // of the last checkpoint
	for t.epoch < cfg.Epochs {
		start := time.Now()
		shuffle(perm, cfg.Seed, t.epoch)
		first := t.batch
		if first == 0 {
			t.resetSwaps()
		}
		pending := false // a checkpoint is due at the end of the epoch
		for b := first; b < batches; b++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			r0, r1 := b*cfg.BatchSize, min((b+1)*cfg.BatchSize, rows)
			v0 := t.v0.RowSlice(0, r1-r0)
			if train.dense != nil {
				for r, i := range perm[r0:r1] {
					copy(v0.Row(r), train.dense[int(i)*V:(int(i)+1)*V])
				}
			} else {
				for r, i := range perm[r0:r1] {
					row := v0.Row(r)
					if err := train.src.ReadRow(int(i), row); err != nil {
						return fmt.Errorf("training data: %w", err)
					}
					if err := m.checkTraining(row); err != nil {
						return fmt.Errorf("training data: row %d: %w", i, err)
					}
				}
			}
			t.lockedStep(v0, b+1)
			if err := t.checkBiases(batches); err != nil {
				return err
			}
			if opt.OnBatch != nil {
				opt.OnBatch(t.epoch, b, batches)
				t.pkCurrent = false // it may have changed W
			}
			if opt.Checkpoint != nil && t.due(opt.Every, last) {
				if b == batches-1 {
					pending = true
					continue
				}
				if err := opt.Checkpoint(t); err != nil {
					return err
				}
				t.pkCurrent = false
				last = time.Now()
			}
		}
		secs := time.Since(start).Seconds()
		done := rows - first*cfg.BatchSize
		if i := firstNonFinite(m.W); i >= 0 {
			return t.diverged(fmt.Sprintf("weight %d (hidden %d, visible %d) is %v", i, i/V, i%V, m.W[i]))
		}
		m.mu.Lock()
		t.epoch++
		t.batch = 0
		m.mu.Unlock()
		met := EpochMetrics{Epoch: t.epoch, Steps: t.step, Seconds: secs,
			ValCE: math.NaN(), ValFE: math.NaN()}
		if secs > 0 {
			met.SamplesPerSec = float64(done) / secs
		}
		met.SwapAcceptance = t.SwapAcceptance()
		met.TrainRows = monitorRows(rows, cfg.MonitorRows)
		if met.TrainCE, met.TrainFE, err = mon.monitor(m, train, met.TrainRows); err != nil {
			return fmt.Errorf("training data: %w", err)
		}
		if val.rows > 0 {
			met.ValRows = monitorRows(val.rows, cfg.MonitorRows)
			if met.ValCE, met.ValFE, err = mon.monitor(m, val, met.ValRows); err != nil {
				return fmt.Errorf("validation data: %w", err)
			}
		}
		for _, x := range []float64{met.TrainCE, met.TrainFE} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return t.diverged("the epoch metrics are not finite")
			}
		}
		if opt.OnEpoch != nil {
			if err := opt.OnEpoch(met); err != nil {
				return err
			}
			t.pkCurrent = false
		}
		if opt.Checkpoint != nil && (pending || opt.Every.Epochs > 0 && t.epoch%opt.Every.Epochs == 0) {
			if err := opt.Checkpoint(t); err != nil {
				return err
			}
			t.pkCurrent = false
			last = time.Now()
		}
	}
	return nil
}

// lockedStep runs one CD step under the model's write lock and records that
// the next minibatch of the epoch is next.
func (t *Trainer) lockedStep(v0 Mat, next int) {
	t.m.mu.Lock()
	t.cdStep(v0)
	t.batch = next
	t.m.mu.Unlock()
}

// due reports whether the Steps or Interval rule asks for a checkpoint now.
func (t *Trainer) due(e Every, last time.Time) bool {
	return e.Steps > 0 && t.step%uint64(e.Steps) == 0 || e.Interval > 0 && time.Since(last) >= e.Interval
}

// checkBiases is the cheap divergence check after every step: NaN or Inf in
// W shows in the biases and their velocities within a step or two.
func (t *Trainer) checkBiases(batches int) error {
	for _, p := range [...]struct {
		name string
		x    []float32
	}{{"visible bias", t.m.B}, {"hidden bias", t.m.C}, {"visible bias velocity", t.velB}, {"hidden bias velocity", t.velC}, {"visible σ", t.m.Sigma}} {
		if i := firstNonFinite(p.x); i >= 0 {
			return t.diverged(fmt.Sprintf("%s %d is %v (after minibatch %d of %d)", p.name, i, p.x[i], t.batch, batches))
		}
	}
	return nil
}

// diverged returns the ErrDiverged error for the trainer's position.
func (t *Trainer) diverged(what string) error {
	return fmt.Errorf("%w in epoch %d, step %d: %s; likely cause: the learning rate %v is too high (or the momentum %v too close to 1)",
		ErrDiverged, t.epoch+1, t.step, what, t.cfg.LearningRate, t.cfg.Momentum)
}

// InitVisibleBiasRows sets the visible biases (and Gaussian σ) from the
// rows of src as InitVisibleBias does for a slice, in one pass over src.
func (m *RBM) InitVisibleBiasRows(src RowSource) error {
	if src.Cols() != m.Visible {
		return fmt.Errorf("%w: rows of %d values, the model has %d visible units", ErrShape, src.Cols(), m.Visible)
	}
	rows := src.Rows()
	if rows <= 0 {
		return fmt.Errorf("%w: no data rows", ErrShape)
	}
	sum, sq, err := columnSums(src, true) // only the nonzeros of SparseRows
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.VisibleUnits == Gaussian && len(m.Sigma) != m.Visible {
		return fmt.Errorf("%w: %d visible σ for %d gaussian units", ErrShape, len(m.Sigma), m.Visible)
	}
	m.setVisibleBias(sum, sq, rows)
	return nil
}

// shuffle fills perm with a permutation of 0..len-1 drawn from the seed's
// stream for epoch (Fisher-Yates with Lemire's multiply-shift reduction).
func shuffle(perm []int32, seed uint64, epoch int) {
	for i := range perm {
		perm[i] = int32(i)
	}
	s := rng.NewStream(seed, uint64(epoch), phaseShuffle)
	for i := len(perm) - 1; i > 0; i-- {
		j := int(uint64(s.Uint32(0, i)) * uint64(i+1) >> 32)
		perm[i], perm[j] = perm[j], perm[i]
	}
}
