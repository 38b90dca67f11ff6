package engine

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
)

// TestScheduleFactor checks the schedules' definitions at a few positions.
func TestScheduleFactor(t *testing.T) {
	for _, c := range []struct {
		s                             Schedule
		decay                         float64
		epoch, batch, batches, epochs int
		want                          float64
	}{
		{ScheduleConstant, 0, 3, 2, 10, 5, 1},
		{"", 0, 3, 2, 10, 5, 1},
		{ScheduleLinear, 0, 0, 0, 10, 5, 1},
		{ScheduleLinear, 0, 2, 5, 10, 5, 1 - 25.0/50},
		{ScheduleLinear, 0, 4, 9, 10, 5, 1.0 / 50},
		{ScheduleLinear, 0, 2, 0, 0, 4, 0.5}, // the online Step: per epoch
		{ScheduleExp, 0.5, 0, 7, 10, 5, 1},
		{ScheduleExp, 0.5, 3, 7, 10, 5, 0.125},
		{ScheduleExp, 0.9, 2, 0, 0, 5, 0.81},
	} {
		if got := c.s.factor(c.decay, c.epoch, c.batch, c.batches, c.epochs); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%q(%v) at epoch %d, batch %d of %d, %d epochs: %v, want %v", c.s, c.decay, c.epoch, c.batch, c.batches, c.epochs, got, c.want)
		}
	}
}

// TestScheduleValidate checks the refusals of impossible schedules.
func TestScheduleValidate(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.LRSchedule = "cosine" },
		func(c *Config) { c.MomentumSchedule = "Linear" },
		func(c *Config) { c.LRSchedule = ScheduleExp },
		func(c *Config) { c.LRSchedule, c.LRDecay = ScheduleExp, 1.5 },
		func(c *Config) { c.LRSchedule, c.LRDecay = ScheduleExp, math.NaN() },
		func(c *Config) { c.LRSchedule, c.LRDecay = ScheduleLinear, 0.5 },
		func(c *Config) { c.MomentumDecay = 0.5 },
		func(c *Config) { c.MomentumSchedule, c.MomentumDecay = ScheduleExp, -0.1 },
		func(c *Config) { c.OffsetRate = 0.1 },
		func(c *Config) { c.Centered, c.OffsetRate = true, 1.5 },
		func(c *Config) { c.Centered, c.OffsetRate = true, math.Inf(1) },
	} {
		c := DefaultConfig()
		mod(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: Validate gave %v, want ErrConfig", c, err)
		}
	}
	c := DefaultConfig()
	c.LRSchedule, c.LRDecay, c.MomentumSchedule, c.Centered, c.OffsetRate = ScheduleExp, 1, ScheduleLinear, true, 1
	if err := c.Validate(); err != nil {
		t.Errorf("a valid schedule: %v", err)
	}
}

// TestScheduleConstantIsDefault checks that the constant schedules train
// bit for bit the model of a configuration without schedules (the rule of
// InitialMomentum for MomentumEpochs, then Momentum), and that a linear one
// does change it.
func TestScheduleConstantIsDefault(t *testing.T) {
	data := patterns(100, 30, 4)
	run := func(mod func(*Config)) []byte {
		m, cfg := resumeSetup(t, mod, 2)
		m.InitVisibleBias(data)
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
			t.Fatal(err)
		}
		return modelBytes(m)
	}
	plain := run(func(c *Config) {})
	if !bytes.Equal(plain, run(func(c *Config) { c.LRSchedule, c.MomentumSchedule = ScheduleConstant, ScheduleConstant })) {
		t.Error("the constant schedules changed the model")
	}
	if bytes.Equal(plain, run(func(c *Config) { c.LRSchedule = ScheduleLinear })) {
		t.Error("the linear learning-rate schedule left the model as it was")
	}
}

// TestScheduleScalesStep checks that the exp schedules at epoch 2 with
// factor 0.5 give the steps of a constant learning rate and momentum a
// quarter as large, bit for bit (the quarters are exact in float64).
func TestScheduleScalesStep(t *testing.T) {
	data := patterns(20, 30, 4)
	run := func(mod func(*Config)) []byte {
		m, cfg := resumeSetup(t, func(c *Config) {
			c.BatchSize, c.MomentumEpochs = 10, 0
			mod(c)
		}, 1)
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr.SetEpoch(2)
		for s := 0; s < 2; s++ {
			if err := tr.Step(data[s*300 : (s+1)*300]); err != nil {
				t.Fatal(err)
			}
		}
		return modelBytes(m)
	}
	sched := run(func(c *Config) {
		c.LearningRate, c.Momentum = 0.4, 0.8
		c.LRSchedule, c.LRDecay, c.MomentumSchedule, c.MomentumDecay = ScheduleExp, 0.5, ScheduleExp, 0.5
	})
	if !bytes.Equal(sched, run(func(c *Config) { c.LearningRate, c.Momentum = 0.1, 0.2 })) {
		t.Error("the exp schedules at epoch 2 differ from a quarter of the learning rate and momentum")
	}
	if bytes.Equal(sched, run(func(c *Config) { c.LearningRate, c.Momentum = 0.4, 0.8 })) {
		t.Error("the exp schedules changed nothing")
	}
}
