package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/boltzgo/boltz/rng"
)

// Config holds the meta-parameters of CD-k / PCD-k training with minibatch
// SGD. DefaultConfig gives the values of Hinton's rbm.m and Practical Guide;
// zero means "off" for Momentum, InitialMomentum, WeightDecay and
// SparsityTarget.
type Config struct {
	Epochs    int // passes over the data (Fit)
	BatchSize int // rows a minibatch (the last batch of an epoch may be smaller)
	K         int // Gibbs steps of the negative phase
	PCD       bool
	Chains    int // persistent chains for PCD (0: BatchSize)

	LearningRate    float64 // ε for weights and biases
	InitialMomentum float64 // momentum of the first MomentumEpochs epochs
	Momentum        float64 // momentum afterwards
	MomentumEpochs  int
	WeightDecay     float64 // L2 cost on W only; the step subtracts ε·decay·W

	// Sparsity (Practical Guide §11): with SparsityTarget > 0, the positive
	// hidden statistics are moved by SparsityCost·(target − q), q an
	// exponential moving average (factor SparsityDecay) of the mean hidden
	// probability, so both W and c feel the penalty.
	SparsityTarget float64
	SparsityCost   float64
	SparsityDecay  float64

	Seed        uint64
	MonitorRows int // rows of training and validation data the epoch metrics use (0: all)
}

// DefaultConfig returns CD-1 with batches of 100, ε = 0.1, momentum 0.5 for
// 5 epochs and 0.9 afterwards, weight cost 2e-4, no sparsity, 10 epochs.
func DefaultConfig() Config {
	return Config{
		Epochs: 10, BatchSize: 100, K: 1,
		LearningRate: 0.1, InitialMomentum: 0.5, Momentum: 0.9, MomentumEpochs: 5,
		WeightDecay: 2e-4, SparsityCost: 0.1, SparsityDecay: 0.95,
		Seed: 1, MonitorRows: 5000,
	}
}

// Validate reports an impossible configuration.
func (c Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case c.Epochs < 0:
		return bad("epochs %d < 0", c.Epochs)
	case c.BatchSize < 1:
		return bad("batch size %d < 1", c.BatchSize)
	case c.K < 1:
		return bad("k = %d, need at least 1 Gibbs step", c.K)
	case c.Chains < 0:
		return bad("%d chains", c.Chains)
	case !finite(c.LearningRate) || c.LearningRate <= 0:
		return bad("learning rate %v must be finite and > 0", c.LearningRate)
	case !finite(c.Momentum) || c.Momentum < 0 || c.Momentum >= 1:
		return bad("momentum %v must be in [0, 1)", c.Momentum)
	case !finite(c.InitialMomentum) || c.InitialMomentum < 0 || c.InitialMomentum >= 1:
		return bad("initial momentum %v must be in [0, 1)", c.InitialMomentum)
	case c.MomentumEpochs < 0:
		return bad("momentum epochs %d < 0", c.MomentumEpochs)
	case !finite(c.WeightDecay) || c.WeightDecay < 0:
		return bad("weight decay %v must be finite and ≥ 0", c.WeightDecay)
	case !finite(c.SparsityTarget) || c.SparsityTarget < 0 || c.SparsityTarget >= 1:
		return bad("sparsity target %v must be in [0, 1)", c.SparsityTarget)
	case c.SparsityTarget > 0 && (!finite(c.SparsityCost) || c.SparsityCost < 0):
		return bad("sparsity cost %v", c.SparsityCost)
	case c.SparsityTarget > 0 && (!finite(c.SparsityDecay) || c.SparsityDecay < 0 || c.SparsityDecay >= 1):
		return bad("sparsity decay %v must be in [0, 1)", c.SparsityDecay)
	case c.MonitorRows < 0:
		return bad("monitor rows %d < 0", c.MonitorRows)
	}
	return nil
}

func (c Config) chains() int {
	if c.Chains > 0 {
		return c.Chains
	}
	return c.BatchSize
}

// Trainer updates an RBM one minibatch at a time with CD-k or PCD-k. It owns
// every buffer a step needs, so Step allocates nothing after the first call.
// Following the Practical Guide (§3.4), the hidden states that drive the
// reconstruction are sampled, while the statistics use probabilities: the
// positive phase uses p(h|v0); CD's last reconstruction uses the visible
// probabilities p(v|h) and p(h|that); intermediate Gibbs steps sample. PCD
// keeps Chains persistent hidden states (starting at zero) and uses the
// sampled visible states of the chains in the negative statistics.
//
// A Trainer is not safe for concurrent use, and the model must not be used
// for inference while a step runs.
type Trainer struct {
	m   *RBM
	cfg Config
	eng *Engine

	vel        Mat // H×V
	velB, velC []float32
	q          []float32 // sparsity moving average

	v0        Mat // B×V gathered batch (Fit)
	ph0, sh0  Mat // B×H
	pv, vs    Mat // N×V, N = max(B, chains)
	ph1, hs   Mat // N×H
	chains    Mat // C×H persistent hidden states (PCD)
	up        *proj
	upd       Update
	step      uint64
	epoch     int
	sumB      []float64
	sumC      []float64
	lastBatch int
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
	if cfg.PCD {
		N = max(B, cfg.chains())
	}
	t := &Trainer{m: m, cfg: cfg, eng: eng,
		vel: NewMat(H, V), velB: make([]float32, V), velC: make([]float32, H),
		v0: NewMat(B, V), ph0: NewMat(B, H), sh0: NewMat(B, H),
		pv: NewMat(N, V), vs: NewMat(N, V), ph1: NewMat(N, H), hs: NewMat(N, H),
		up: newProj(eng.pool.Workers()), sumB: make([]float64, V), sumC: make([]float64, H),
	}
	if cfg.PCD {
		t.chains = NewMat(cfg.chains(), H)
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

// Epoch returns the current epoch (0-based); it selects the momentum.
func (t *Trainer) Epoch() int { return t.epoch }

// SetEpoch sets the epoch that selects the momentum for Step.
func (t *Trainer) SetEpoch(e int) { t.epoch = e }

func (t *Trainer) momentum() float32 {
	if t.epoch < t.cfg.MomentumEpochs {
		return float32(t.cfg.InitialMomentum)
	}
	return float32(t.cfg.Momentum)
}

// EpochMetrics are the monitoring figures of one epoch. Cross-entropies are
// per row, in nats (see RBM.ReconstructionCrossEntropy); free energies are
// means of F(v) over the rows. Validation fields are NaN without validation
// data.
type EpochMetrics struct {
	Epoch         int     `json:"epoch"` // 1-based
	Steps         uint64  `json:"steps"`
	TrainCE       float64 `json:"train_recon_cross_entropy"`
	ValCE         float64 `json:"val_recon_cross_entropy"`
	TrainFE       float64 `json:"train_free_energy"`
	ValFE         float64 `json:"val_free_energy"`
	Seconds       float64 `json:"seconds"`    // training time of the epoch, without the metrics
	TrainRows     int     `json:"train_rows"` // rows the train metrics used
	ValRows       int     `json:"val_rows"`   // rows the validation metrics used
	SamplesPerSec float64 `json:"samples_per_second"`
}

// FitOptions are the optional hooks of Fit.
type FitOptions struct {
	// Val is validation data (R×V), or nil.
	Val []float32
	// OnEpoch receives the metrics after every epoch; a non-nil error stops
	// training and is returned.
	OnEpoch func(EpochMetrics) error
	// OnBatch is called after every minibatch with the epoch (0-based), the
	// batch index and the batch count of the epoch.
	OnBatch func(epoch, batch, batches int)
}

// Fit trains for cfg.Epochs epochs over data (R×V, values in [0, 1]),
// reshuffling the rows every epoch with the seed's counter-based stream.
// It checks ctx between minibatches and returns ctx's error, with the model
// in the state after the last whole step, when ctx is cancelled. NaN or Inf
// in the weights or the metrics stops it with an error wrapping ErrDiverged.
func (t *Trainer) Fit(ctx context.Context, data []float32, opt FitOptions) error {
	m, cfg := t.m, t.cfg
	V := m.Visible
	rows, err := m.rows(data, V)
	if err != nil {
		return err
	}
	if rows < cfg.BatchSize {
		return fmt.Errorf("%w: batch size %d is larger than the %d data rows", ErrConfig, cfg.BatchSize, rows)
	}
	if err := checkUnit(data, V); err != nil {
		return fmt.Errorf("training data: %w", err)
	}
	valRows := 0
	if opt.Val != nil {
		if valRows, err = m.rows(opt.Val, V); err != nil {
			return fmt.Errorf("validation data: %w", err)
		}
		if err := checkUnit(opt.Val, V); err != nil {
			return fmt.Errorf("validation data: %w", err)
		}
	}
	perm := make([]int32, rows)
	batches := (rows + cfg.BatchSize - 1) / cfg.BatchSize
	for ; t.epoch < cfg.Epochs; t.epoch++ {
		start := time.Now()
		shuffle(perm, cfg.Seed, t.epoch)
		for b := 0; b < batches; b++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			r0, r1 := b*cfg.BatchSize, min((b+1)*cfg.BatchSize, rows)
			v0 := t.v0.RowSlice(0, r1-r0)
			for r, src := range perm[r0:r1] {
				copy(v0.Row(r), data[int(src)*V:(int(src)+1)*V])
			}
			t.cdStep(v0)
			if opt.OnBatch != nil {
				opt.OnBatch(t.epoch, b, batches)
			}
		}
		secs := time.Since(start).Seconds()
		if i := firstNonFinite(m.W); i >= 0 {
			return fmt.Errorf("%w in epoch %d, step %d: weight %d is %v (learning rate %v too high?)", ErrDiverged, t.epoch+1, t.step, i, m.W[i], cfg.LearningRate)
		}
		met := EpochMetrics{Epoch: t.epoch + 1, Steps: t.step, Seconds: secs, SamplesPerSec: float64(rows) / secs,
			ValCE: math.NaN(), ValFE: math.NaN()}
		met.TrainRows = monitorRows(rows, cfg.MonitorRows)
		met.TrainCE, met.TrainFE, err = t.m.monitor(data[:met.TrainRows*V])
		if err != nil {
			return err
		}
		if valRows > 0 {
			met.ValRows = monitorRows(valRows, cfg.MonitorRows)
			if met.ValCE, met.ValFE, err = t.m.monitor(opt.Val[:met.ValRows*V]); err != nil {
				return err
			}
		}
		for _, x := range []float64{met.TrainCE, met.TrainFE} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%w in epoch %d, step %d: metrics are not finite (learning rate %v too high?)", ErrDiverged, t.epoch+1, t.step, cfg.LearningRate)
			}
		}
		if opt.OnEpoch != nil {
			if err := opt.OnEpoch(met); err != nil {
				t.epoch++
				return err
			}
		}
	}
	return nil
}

func monitorRows(rows, limit int) int {
	if limit > 0 && rows > limit {
		return limit
	}
	return rows
}

// monitor returns the mean reconstruction cross-entropy and mean free energy
// of the rows of v.
func (m *RBM) monitor(v []float32) (ce, fe float64, err error) {
	rows := len(v) / m.Visible
	buf := make([]float32, rows)
	if err = m.ReconstructionCrossEntropy(buf, v); err != nil {
		return
	}
	ce = meanOf(buf)
	if err = m.FreeEnergy(buf, v); err != nil {
		return
	}
	return ce, meanOf(buf), nil
}

func meanOf(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(len(x))
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
