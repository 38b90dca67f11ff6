package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/viz"
)

// extraMetrics are the optional per-epoch monitors of boltz train, beyond
// the engine's cross-entropy and free energies.
type extraMetrics struct {
	PLL        *float64  `json:"pseudo_log_likelihood,omitempty"`
	LogZ       *float64  `json:"log_z,omitempty"`
	LogZLower  *nullable `json:"log_z_lower,omitempty"` // null, as in eval, when 3σ̂ ≥ Ẑ
	LogZUpper  *float64  `json:"log_z_upper,omitempty"`
	LL         *float64  `json:"log_likelihood_mean,omitempty"`
	AISSeconds *float64  `json:"ais_seconds,omitempty"`
}

// nullable is a number written as null when it is NaN (or infinite).
type nullable struct{ v float64 }

func (n nullable) MarshalJSON() ([]byte, error) {
	if math.IsNaN(n.v) || math.IsInf(n.v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(n.v)
}

func (n *nullable) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		n.v = math.NaN()
		return nil
	}
	return json.Unmarshal(b, &n.v)
}

func (e extraMetrics) text() string {
	s := ""
	if e.PLL != nil {
		s += fmt.Sprintf("  PLL %.2f", *e.PLL)
	}
	if e.LL != nil {
		s += fmt.Sprintf("  log-lik %.2f (AIS log Z %.2f, %.0fs)", *e.LL, *e.LogZ, *e.AISSeconds)
	}
	return s
}

// monitors computes the optional monitors (--pll, --logz-every) on the
// first --monitor-rows rows of the validation data (of the training data
// without validation) and redraws --plot after every epoch.
type monitors struct {
	ctx   context.Context
	f     *trainFlags
	m     *engine.RBM
	rows  []float32 // monitored rows, dense
	base  []float32 // AIS base-rate visible bias, from the training data
	curve []viz.CurvePoint
}

func newMonitors(ctx context.Context, f *trainFlags, m *engine.RBM, train, val *dataset) (*monitors, error) {
	mon := &monitors{ctx: ctx, f: f, m: m}
	if !f.pll && f.logzEvery == 0 {
		return mon, nil
	}
	src := train.src
	if val != nil {
		src = val.src
	}
	n := src.Rows()
	if f.monitor > 0 {
		n = min(n, f.monitor)
	}
	var err error
	if mon.rows, err = readRows(src, 0, n); err != nil {
		return nil, err
	}
	if f.logzEvery > 0 {
		all, err := readRows(train.src, 0, train.src.Rows())
		if err != nil {
			return nil, err
		}
		if mon.base, err = engine.BaseRateVisibleBias(all, m.Visible); err != nil {
			return nil, err
		}
	}
	return mon, nil
}

// readRows copies rows [r0, r1) of src.
func readRows(src engine.RowSource, r0, r1 int) ([]float32, error) {
	V := src.Cols()
	out := make([]float32, (r1-r0)*V)
	for r := r0; r < r1; r++ {
		if err := src.ReadRow(r, out[(r-r0)*V:(r-r0+1)*V]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// epoch runs the monitors due after epoch me.
func (mon *monitors) epoch(me engine.EpochMetrics) (extraMetrics, error) {
	var x extraMetrics
	f := mon.f
	if f.pll {
		v, err := mon.m.MeanPseudoLogLikelihood(mon.rows, f.seed+uint64(me.Epoch))
		if err != nil {
			return x, err
		}
		x.PLL = &v
	}
	if f.logzEvery > 0 && me.Epoch%f.logzEvery == 0 {
		opt := engine.AISOptions{Runs: f.aisRuns, BaseVisibleBias: mon.base, Seed: f.seed}
		if f.aisBetas > 0 {
			opt.Betas = engine.AISBetas(f.aisBetas)
		}
		ll, res, err := mon.m.AISLogLikelihood(mon.ctx, mon.rows, opt)
		if err != nil {
			return x, fmt.Errorf("--logz-every: %w", err)
		}
		x.LL, x.LogZ, x.LogZUpper, x.AISSeconds = &ll, &res.LogZ, &res.LogZUpper, &res.Seconds
		x.LogZLower = &nullable{res.LogZLower}
	}
	if f.plot != "" {
		mon.curve = append(mon.curve, viz.CurvePoint{Epoch: me.Epoch, TrainCE: me.TrainCE, ValCE: me.ValCE, TrainFE: me.TrainFE, ValFE: me.ValFE,
			PLL: orNaN(x.PLL), LogLik: orNaN(x.LL)})
		if err := viz.PlotCurves(f.plot, fmt.Sprintf("boltz train: %d×%d RBM", mon.m.Visible, mon.m.Hidden), mon.curve); err != nil {
			return x, fmt.Errorf("--plot: %w", err)
		}
	}
	return x, nil
}

// addHistory puts the epochs trained before a resume (from the metrics
// file) at the start of the learning curves, so that --plot draws the whole
// run.
func (mon *monitors) addHistory(h []metricsJSON) {
	if mon.f.plot == "" {
		return
	}
	for _, m := range h {
		mon.curve = append(mon.curve, viz.CurvePoint{Epoch: m.Epoch, TrainCE: m.TrainCE, ValCE: orNaN(m.ValCE), TrainFE: m.TrainFE, ValFE: orNaN(m.ValFE),
			PLL: orNaN(m.PLL), LogLik: orNaN(m.LL)})
	}
}

// orNaN is *p, or NaN for nil.
func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
