package engine

import (
	"context"
	"math"
	"testing"
)

// TestAISUnitsMatchesExact trains small Gaussian and categorical models
// and checks the AIS estimate of log Z, from a data-fitted base model and
// without data, against the exact value (within 0.2 nats), and that the
// estimate does not depend on the worker count.
func TestAISUnitsMatchesExact(t *testing.T) {
	for _, tc := range []struct {
		u    UnitType
		V, q int
	}{{Gaussian, 5, 0}, {Categorical, 12, 3}} {
		data := unitData(tc.u, 300, tc.V, tc.q, 5)
		m, _ := NewRBM(tc.V, 6, 0.05, 4)
		m.SetVisibleUnits(tc.u, tc.q)
		m.InitVisibleBias(data)
		cfg := DefaultConfig()
		cfg.Epochs, cfg.BatchSize, cfg.LearningRate, cfg.LearnSigma = 15, 20, 0.02, tc.u == Gaussian
		tr, _ := NewTrainer(m, cfg)
		if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
			t.Fatal(err)
		}
		exact, err := m.LogZExact(0)
		if err != nil {
			t.Fatal(err)
		}
		for i, opt := range []AISOptions{{Data: data, Seed: 3}, {Seed: 3}} {
			opt.Runs, opt.Betas = 100, AISBetas(3000)
			res, err := m.AIS(context.Background(), opt)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.LogZ-exact) > 0.2 || !(res.LogZUpper >= res.LogZ) {
				t.Errorf("%s (data base %v): AIS log Z %v (upper %v), exact %v", tc.u, i == 0, res.LogZ, res.LogZUpper, exact)
			}
			t.Logf("%s: AIS %v exact %v", tc.u, res.LogZ, exact)
		}
		m.SetEngine(testEngine(t, mustKernel("generic"), 3))
		res, _ := m.AIS(context.Background(), AISOptions{Data: data, Seed: 3, Runs: 100, Betas: AISBetas(3000)})
		m.SetEngine(testEngine(t, mustKernel("generic"), 1))
		res1, _ := m.AIS(context.Background(), AISOptions{Data: data, Seed: 3, Runs: 100, Betas: AISBetas(3000)})
		if res.LogZ != res1.LogZ {
			t.Errorf("%s: AIS with 3 workers %v, with 1 %v", tc.u, res.LogZ, res1.LogZ)
		}
	}
}
