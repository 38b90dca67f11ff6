package engine

import (
	"fmt"
	"math"
)

// Learning-rate and momentum schedules. A schedule is a factor that
// multiplies the configured value; it is a pure function of the trainer's
// position (epoch, minibatch), which checkpoints hold, so a resumed run
// follows the same schedule bit for bit.

// Schedule names how a value changes over the run.
type Schedule string

const (
	// ScheduleConstant keeps the value: factor 1 (the default, also for "").
	ScheduleConstant Schedule = "constant"
	// ScheduleLinear decays the value linearly to zero over the run, step
	// by step (as in Tieleman 2008): minibatch b of epoch e (both 0-based)
	// of a Fit over E epochs of N minibatches gets 1 − (e·N + b)/(E·N), so
	// the first step uses the full value and the last 1/(E·N) of it. The
	// online Step knows no minibatch count and gets 1 − e/E.
	ScheduleLinear Schedule = "linear"
	// ScheduleExp decays the value by a constant factor d per epoch: epoch
	// e (0-based) gets d^e, the same for every minibatch of the epoch.
	ScheduleExp Schedule = "exp"
)

// Schedules lists the schedule names, for flags and errors.
var Schedules = []Schedule{ScheduleConstant, ScheduleLinear, ScheduleExp}

// validSchedule checks a schedule and its decay factor; what names the
// value it schedules.
func validSchedule(s Schedule, decay float64, what string) error {
	finite := !math.IsNaN(decay) && !math.IsInf(decay, 0)
	switch s {
	case "", ScheduleConstant, ScheduleLinear:
		if decay != 0 {
			return fmt.Errorf("%w: a %s decay of %v needs the exp schedule (the %s schedule is %q)", ErrConfig, what, decay, what, s)
		}
	case ScheduleExp:
		if !finite || decay <= 0 || decay > 1 {
			return fmt.Errorf("%w: the exp %s schedule needs a decay factor in (0, 1], not %v", ErrConfig, what, decay)
		}
	default:
		return fmt.Errorf("%w: unknown %s schedule %q (want one of %v)", ErrConfig, what, s, Schedules)
	}
	return nil
}

// factor is the schedule's multiplier at minibatch batch of epoch epoch,
// with batches minibatches an epoch (0: unknown, the online Step) and
// epochs epochs in the run.
func (s Schedule) factor(decay float64, epoch, batch, batches, epochs int) float64 {
	switch s {
	case ScheduleLinear:
		if epochs <= 0 {
			return 1
		}
		if batches <= 0 {
			return max(0, 1-float64(epoch)/float64(epochs))
		}
		done := float64(epoch)*float64(batches) + float64(batch)
		return max(0, 1-done/(float64(epochs)*float64(batches)))
	case ScheduleExp:
		return math.Pow(decay, float64(epoch))
	}
	return 1
}

// learningRate is ε at the trainer's position.
func (t *Trainer) learningRate() float64 {
	c := t.cfg
	return c.LearningRate * c.LRSchedule.factor(c.LRDecay, t.epoch, t.batch, t.batches, c.Epochs)
}

// momentum is the momentum at the trainer's position: InitialMomentum for
// the first MomentumEpochs epochs and Momentum afterwards, times the
// momentum schedule's factor.
func (t *Trainer) momentum() float32 {
	c := t.cfg
	m := c.Momentum
	if t.epoch < c.MomentumEpochs {
		m = c.InitialMomentum
	}
	if c.MomentumSchedule == "" || c.MomentumSchedule == ScheduleConstant {
		return float32(m)
	}
	return float32(m * c.MomentumSchedule.factor(c.MomentumDecay, t.epoch, t.batch, t.batches, c.Epochs))
}
