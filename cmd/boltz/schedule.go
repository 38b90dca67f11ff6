package main

import (
	"flag"
	"slices"
	"strings"

	"github.com/boltzgo/boltz/engine"
)

// The flags of the learning-rate and momentum schedules and of centered
// training (engine/schedule.go, engine/centering.go).

type scheduleFlags struct {
	lrSchedule, momSchedule string
	lrDecay, momDecay       float64
	centered                bool
	offsetRate              float64
}

// scheduleFlagNames are run-shaping flags: --resume takes them from the
// checkpoint like resumeFlags, and a checkpoint of an older version without
// them resumes with their defaults (constant schedules, not centered).
var scheduleFlagNames = []string{"lr-schedule", "lr-decay", "momentum-schedule", "momentum-decay", "centered", "offset-rate"}

// defaultOffsetRate is PyDeep's (RBM_MNIST_small: 0.01).
const defaultOffsetRate = 0.01

func (s *scheduleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.lrSchedule, "lr-schedule", "constant", "learning-rate schedule: constant, linear (to zero over the run, step by step) or exp (times --lr-decay every epoch)")
	fs.Float64Var(&s.lrDecay, "lr-decay", 0, "the factor per epoch of --lr-schedule exp, in (0, 1]")
	fs.StringVar(&s.momSchedule, "momentum-schedule", "constant", "momentum schedule, applied to the --momentum rule: constant, linear (to zero over the run) or exp (times --momentum-decay every epoch)")
	fs.Float64Var(&s.momDecay, "momentum-decay", 0, "the factor per epoch of --momentum-schedule exp, in (0, 1]")
	fs.BoolVar(&s.centered, "centered", false, "centered RBM (Melchior, Fischer & Wiskott 2016): the gradient centred on visible offsets (starting at the data mean) and hidden offsets (starting at 0.5), moving averages of the data statistics; bernoulli units; the model is saved in the plain form")
	fs.Float64Var(&s.offsetRate, "offset-rate", defaultOffsetRate, "with --centered: the rate of the offsets' moving averages, in [0, 1] (0: fixed offsets)")
}

// apply puts the flags into cfg; impossible values are usage errors.
func (s *scheduleFlags) apply(cfg *engine.Config) error {
	names := make([]string, len(engine.Schedules))
	for i, x := range engine.Schedules {
		names[i] = string(x)
	}
	for _, x := range []struct {
		flag, value, decayFlag string
		decay                  float64
	}{{"lr-schedule", s.lrSchedule, "lr-decay", s.lrDecay}, {"momentum-schedule", s.momSchedule, "momentum-decay", s.momDecay}} {
		switch {
		case !slices.Contains(names, x.value):
			return usagef("--%s %q: want %s", x.flag, x.value, strings.Join(names, ", "))
		case x.value == string(engine.ScheduleExp) && !(x.decay > 0 && x.decay <= 1):
			return usagef("--%s exp needs --%s in (0, 1], not %v", x.flag, x.decayFlag, x.decay)
		case x.value != string(engine.ScheduleExp) && x.decay != 0:
			return usagef("--%s %v needs --%s exp", x.decayFlag, x.decay, x.flag)
		}
	}
	if !finite(s.offsetRate) || s.offsetRate < 0 || s.offsetRate > 1 {
		return usagef("--offset-rate %v: need 0 ≤ r ≤ 1", s.offsetRate)
	}
	if !s.centered && s.offsetRate != defaultOffsetRate {
		return usagef("--offset-rate %v needs --centered", s.offsetRate)
	}
	cfg.LRSchedule, cfg.LRDecay = engine.Schedule(s.lrSchedule), s.lrDecay
	cfg.MomentumSchedule, cfg.MomentumDecay = engine.Schedule(s.momSchedule), s.momDecay
	if s.lrSchedule == string(engine.ScheduleConstant) {
		cfg.LRSchedule = "" // the configuration of a run without schedules
	}
	if s.momSchedule == string(engine.ScheduleConstant) {
		cfg.MomentumSchedule = ""
	}
	cfg.Centered = s.centered
	if s.centered {
		cfg.OffsetRate = s.offsetRate
	}
	return nil
}

// metadata adds the non-default schedule and centering settings to md.
func (s *scheduleFlags) metadata(md map[string]any) {
	if s.lrSchedule != string(engine.ScheduleConstant) {
		md["lr_schedule"], md["lr_decay"] = s.lrSchedule, s.lrDecay
	}
	if s.momSchedule != string(engine.ScheduleConstant) {
		md["momentum_schedule"], md["momentum_decay"] = s.momSchedule, s.momDecay
	}
	if s.centered {
		md["centered"], md["offset_rate"] = true, s.offsetRate
	}
}
