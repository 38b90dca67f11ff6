package engine

import (
	"fmt"
	"math"
)

// The training configuration and its checks.

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

	// Sampler of the negative phase: "cd", "pcd", "pt" (parallel
	// tempering, pt.go), or "" for CD or PCD as PCD says. "pcd" sets PCD;
	// "cd" and "pt" refuse it. PT runs Chains chains at each of
	// Temperatures inverse temperatures: Betas when given (strictly
	// decreasing from exactly 1, all > 0; comma-separated, "1,0.5,0.25",
	// so that a Config stays comparable), else the geometric ladder of
	// PTLadder.
	Sampler      string `json:",omitempty"`
	Temperatures int    `json:",omitempty"` // 0: the count of Betas, else DefaultTemperatures
	Betas        string `json:",omitempty"`

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

	// Gaussian visible units: with LearnSigma, σ_j is learned through
	// z_j = log σ_j² by the plain log-likelihood gradient, scaled by
	// SigmaLR/B (0: LearningRate/10), without momentum or decay, and kept
	// at SigmaFloor or above (0: DefaultSigmaFloor). A model of another
	// type refuses LearnSigma.
	LearnSigma bool    `json:",omitempty"`
	SigmaLR    float64 `json:",omitempty"`
	SigmaFloor float64 `json:",omitempty"`

	// Schedules (schedule.go): LRSchedule scales LearningRate and
	// MomentumSchedule the momentum rule above; "" is ScheduleConstant.
	// The decays are the per-epoch factors of ScheduleExp (0 otherwise).
	LRSchedule       Schedule `json:",omitempty"`
	LRDecay          float64  `json:",omitempty"`
	MomentumSchedule Schedule `json:",omitempty"`
	MomentumDecay    float64  `json:",omitempty"`

	// Centering (centering.go): with Centered, the trainer follows the
	// centered gradient of Melchior, Fischer & Wiskott (2016) with visible
	// and hidden offsets kept as moving averages at rate OffsetRate in
	// [0, 1]. The model stays in the plain parameterisation.
	Centered   bool    `json:",omitempty"`
	OffsetRate float64 `json:",omitempty"`
}

// DefaultSigmaFloor is the smallest σ a learned Gaussian unit may reach
// when Config.SigmaFloor is 0.
const DefaultSigmaFloor = 0.01

// sigmaLR and sigmaFloor are the effective σ-learning settings.
func (c Config) sigmaLR() float64 {
	if c.SigmaLR > 0 {
		return c.SigmaLR
	}
	return c.LearningRate / 10
}

func (c Config) sigmaFloor() float64 {
	if c.SigmaFloor > 0 {
		return c.SigmaFloor
	}
	return DefaultSigmaFloor
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
	case !finite(c.SigmaLR) || c.SigmaLR < 0:
		return bad("σ learning rate %v must be finite and ≥ 0 (0: the learning rate / 10)", c.SigmaLR)
	case !finite(c.SigmaFloor) || c.SigmaFloor < 0:
		return bad("σ floor %v must be finite and ≥ 0 (0: the default %v)", c.SigmaFloor, DefaultSigmaFloor)
	}
	if err := validSchedule(c.LRSchedule, c.LRDecay, "learning-rate"); err != nil {
		return err
	}
	if err := validSchedule(c.MomentumSchedule, c.MomentumDecay, "momentum"); err != nil {
		return err
	}
	if !finite(c.OffsetRate) || c.OffsetRate < 0 || c.OffsetRate > 1 {
		return bad("offset rate %v must be in [0, 1]", c.OffsetRate)
	}
	if c.OffsetRate != 0 && !c.Centered {
		return bad("an offset rate of %v needs Centered", c.OffsetRate)
	}
	return c.validateSampler()
}

func (c Config) chains() int {
	if c.Chains > 0 {
		return c.Chains
	}
	return c.BatchSize
}
