package engine

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestCenteredEnergyMatchesPlain checks the conversion of centering.go by
// enumeration: with b = b̃ − Wᵀλ and c = c̃ − Wμ, the centred energy
// −(h−λ)ᵀW(v−μ) − b̃ᵀ(v−μ) − c̃ᵀ(h−λ) and the plain −hᵀWv − bᵀv − cᵀh differ
// by the same constant for every (v, h).
func TestCenteredEnergyMatchesPlain(t *testing.T) {
	const V, H = 5, 3
	r := rand.New(rand.NewPCG(3, 4))
	W, bt, ct := make([]float64, H*V), make([]float64, V), make([]float64, H)
	mu, lam := make([]float64, V), make([]float64, H)
	for i := range W {
		W[i] = r.NormFloat64()
	}
	for j := range bt {
		bt[j], mu[j] = r.NormFloat64(), r.Float64()
	}
	for i := range ct {
		ct[i], lam[i] = r.NormFloat64(), r.Float64()
	}
	m := &RBM{Visible: V, Hidden: H, W: make([]float32, H*V), B: make([]float32, V), C: make([]float32, H)}
	b, c := centredToPlain(W, bt, ct, mu, lam, V, H)
	for i := range W {
		m.W[i] = float32(W[i])
	}
	// energy works in float32 parameters; keep the float64 ones exact.
	plain := func(v, h []float64) float64 {
		e := 0.0
		for i := range h {
			for j := range v {
				e -= h[i] * W[i*V+j] * v[j]
			}
			e -= c[i] * h[i]
		}
		for j := range v {
			e -= b[j] * v[j]
		}
		return e
	}
	centredE := func(v, h []float64) float64 {
		e := 0.0
		for i := range h {
			for j := range v {
				e -= (h[i] - lam[i]) * W[i*V+j] * (v[j] - mu[j])
			}
			e -= ct[i] * (h[i] - lam[i])
		}
		for j := range v {
			e -= bt[j] * (v[j] - mu[j])
		}
		return e
	}
	var first float64
	for x := 0; x < 1<<V; x++ {
		for y := 0; y < 1<<H; y++ {
			v, h := bits(x, V), bits(y, H)
			d := centredE(v, h) - plain(v, h)
			if x == 0 && y == 0 {
				first = d
			} else if math.Abs(d-first) > 1e-9 {
				t.Fatalf("v=%v h=%v: centred − plain energy %v, at v=h=0 %v", v, h, d, first)
			}
		}
	}
	if math.Abs(first) < 1e-3 {
		t.Fatalf("the constant %v is 0: the offsets did not enter the test", first)
	}
}

// centredToPlain is the conversion of centering.go in float64 (tests).
func centredToPlain(W, bt, ct, mu, lam []float64, V, H int) (b, c []float64) {
	b, c = append([]float64(nil), bt...), append([]float64(nil), ct...)
	for i := 0; i < H; i++ {
		for j := 0; j < V; j++ {
			b[j] -= W[i*V+j] * lam[i]
			c[i] -= W[i*V+j] * mu[j]
		}
	}
	return b, c
}

// TestCenteredStepMatchesDefinition runs two centred steps (CD-1 and PCD,
// with momentum, weight decay and moving offsets) and checks the model
// against the definition of Melchior et al. worked out in float64 from the
// step's statistics: offsets moved towards the batch means, SGD with
// momentum on (W, b̃, c̃) with the centred gradient, and the result turned
// back into the plain parameterisation.
func TestCenteredStepMatchesDefinition(t *testing.T) {
	for _, k := range builtinKernels(t) {
		for _, pcd := range []bool{false, true} {
			const V, H, B = 19, 7, 6
			m := tiny(t, V, H, 0.5, 8, k, 2)
			data := patterns(2*B, V, 3)
			cfg := DefaultConfig()
			cfg.BatchSize, cfg.LearningRate, cfg.WeightDecay, cfg.Seed = B, 0.05, 0.01, 77
			cfg.MomentumEpochs, cfg.Momentum = 0, 0.5
			cfg.Centered, cfg.OffsetRate = true, 0.1
			cfg.PCD = pcd
			if pcd {
				cfg.Chains = 5
			}
			tr, err := NewTrainer(m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			f64 := func(x []float32) []float64 {
				y := make([]float64, len(x))
				for i, v := range x {
					y[i] = float64(v)
				}
				return y
			}
			mu0, lam0 := tr.Offsets()
			mu, lam := f64(mu0), f64(lam0)
			velW, velB, velC := make([]float64, H*V), make([]float64, V), make([]float64, H)
			W, b, c := f64(m.W), f64(m.B), f64(m.C)
			for s := 0; s < 2; s++ {
				batch := data[s*B*V : (s+1)*B*V]
				if err := tr.Step(batch); err != nil {
					t.Fatal(err)
				}
				n := B
				neg := tr.pv
				if pcd {
					n, neg = cfg.Chains, tr.vs
				}
				v0, ph0 := f64(batch), f64(tr.ph0.RowSlice(0, B).Data[:B*H])
				vn, phn := f64(neg.RowSlice(0, n).Data[:n*V]), f64(tr.ph1.RowSlice(0, n).Data[:n*H])
				r := cfg.OffsetRate
				for j := range mu {
					var sv float64
					for q := 0; q < B; q++ {
						sv += v0[q*V+j]
					}
					mu[j] = (1-r)*mu[j] + r*sv/B
				}
				for i := range lam {
					var sh float64
					for q := 0; q < B; q++ {
						sh += ph0[q*H+i]
					}
					lam[i] = (1-r)*lam[i] + r*sh/B
				}
				// The centred biases of the model before the step, for
				// the new offsets (moving them reparameterises only).
				bt, ct := append([]float64(nil), b...), append([]float64(nil), c...)
				for i := 0; i < H; i++ {
					for j := 0; j < V; j++ {
						bt[j] += W[i*V+j] * lam[i]
						ct[i] += W[i*V+j] * mu[j]
					}
				}
				lr, mom := cfg.LearningRate, cfg.Momentum
				for i := 0; i < H; i++ {
					for j := 0; j < V; j++ {
						var g float64
						for q := 0; q < B; q++ {
							g += (ph0[q*H+i] - lam[i]) * (v0[q*V+j] - mu[j]) / B
						}
						for q := 0; q < n; q++ {
							g -= (phn[q*H+i] - lam[i]) * (vn[q*V+j] - mu[j]) / float64(n)
						}
						velW[i*V+j] = mom*velW[i*V+j] + lr*g - lr*cfg.WeightDecay*W[i*V+j]
						W[i*V+j] += velW[i*V+j]
					}
					var g float64
					for q := 0; q < B; q++ {
						g += (ph0[q*H+i] - lam[i]) / B
					}
					for q := 0; q < n; q++ {
						g -= (phn[q*H+i] - lam[i]) / float64(n)
					}
					velC[i] = mom*velC[i] + lr*g
					ct[i] += velC[i]
				}
				for j := 0; j < V; j++ {
					var g float64
					for q := 0; q < B; q++ {
						g += (v0[q*V+j] - mu[j]) / B
					}
					for q := 0; q < n; q++ {
						g -= (vn[q*V+j] - mu[j]) / float64(n)
					}
					velB[j] = mom*velB[j] + lr*g
					bt[j] += velB[j]
				}
				b, c = centredToPlain(W, bt, ct, mu, lam, V, H)
				check := func(what string, got []float32, want []float64) {
					t.Helper()
					for i := range want {
						if math.Abs(float64(got[i])-want[i]) > 2e-5 {
							t.Fatalf("%s pcd=%v step %d: %s[%d] = %v, the definition gives %v", KernelID(k), pcd, s, what, i, got[i], want[i])
						}
					}
				}
				check("W", m.W, W)
				check("b", m.B, b)
				check("c", m.C, c)
				gotMu, gotLam := tr.Offsets()
				check("μ", gotMu, mu)
				check("λ", gotLam, lam)
			}
		}
	}
}

// TestCenteredZeroOffsetsIsPlain checks that centering with offsets fixed
// at 0 (offset rate 0) trains bit for bit the model plain training does.
func TestCenteredZeroOffsetsIsPlain(t *testing.T) {
	data := patterns(100, 30, 4)
	for _, k := range builtinKernels(t) {
		for _, tc := range resumeCases {
			run := func(centered bool) []byte {
				m, cfg := resumeSetupOn(t, k, tc.mod, 2)
				m.InitVisibleBias(data)
				cfg.Epochs = 2
				cfg.Centered = centered
				tr, err := NewTrainer(m, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if centered {
					if err := tr.SetOffsets(make([]float32, 30), make([]float32, 11)); err != nil {
						t.Fatal(err)
					}
				}
				if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
					t.Fatal(err)
				}
				return modelBytes(m)
			}
			if !bytes.Equal(run(true), run(false)) {
				t.Errorf("%s/%s: centering with zero offsets differs from plain training", KernelID(k), tc.name)
			}
		}
	}
}

// TestCenteredOffsetsStart checks the offsets' start: the data mean and 0.5
// at the first Fit, and that a centred run differs from a plain one.
func TestCenteredOffsetsStart(t *testing.T) {
	data := patterns(100, 30, 4)
	m, cfg := resumeSetup(t, func(c *Config) { c.Centered, c.OffsetRate, c.Epochs = true, 0, 1 }, 1)
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	mu, lam := tr.Offsets()
	for j := range mu {
		var s float64
		for r := 0; r < 100; r++ {
			s += float64(data[r*30+j])
		}
		if math.Abs(float64(mu[j])-s/100) > 1e-6 {
			t.Fatalf("μ[%d] = %v, the data mean is %v", j, mu[j], s/100)
		}
	}
	for i, l := range lam {
		if l != 0.5 {
			t.Fatalf("λ[%d] = %v at offset rate 0, want 0.5", i, l)
		}
	}
	m2, cfg2 := resumeSetup(t, func(c *Config) { c.Epochs = 1 }, 1)
	tr2, _ := NewTrainer(m2, cfg2)
	if err := tr2.Fit(context.Background(), data, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(modelBytes(m), modelBytes(m2)) {
		t.Fatal("centred training with the data mean as offsets gave the plain model")
	}
	if err := tr2.SetOffsets(mu, lam); err == nil {
		t.Fatal("SetOffsets on a plain trainer succeeded")
	}
	if err := tr.SetOffsets(mu[:3], lam); !errors.Is(err, ErrShape) {
		t.Fatalf("SetOffsets with 3 visible offsets: %v", err)
	}
	m3 := tiny(t, 4, 3, 0.1, 1, Generic, 1)
	if err := m3.SetVisibleUnits(Gaussian, 0); err != nil {
		t.Fatal(err)
	}
	c3 := DefaultConfig()
	c3.Centered = true
	if _, err := NewTrainer(m3, c3); !errors.Is(err, ErrConfig) {
		t.Fatalf("centering gaussian units: %v, want ErrConfig", err)
	}
}

// TestResumeBitwiseCenteredScheduled interrupts a centred run with
// learning-rate and momentum schedules at several points, resumes each from
// its checkpoint on another worker count, and demands the uninterrupted
// run's checkpoint byte for byte (model, velocities, chains, offsets).
func TestResumeBitwiseCenteredScheduled(t *testing.T) {
	data := patterns(100, 30, 4)
	mods := map[string]func(*Config){
		"centered-linear": func(c *Config) {
			c.Centered, c.OffsetRate, c.LRSchedule = true, 0.05, ScheduleLinear
		},
		"pcd-centered-exp": func(c *Config) {
			c.PCD, c.Chains, c.Centered, c.OffsetRate = true, 7, true, 0.2
			c.LRSchedule, c.LRDecay, c.MomentumSchedule, c.MomentumDecay = ScheduleExp, 0.7, ScheduleLinear, 0
		},
		"plain-exp-momentum": func(c *Config) { c.MomentumSchedule, c.MomentumDecay = ScheduleExp, 0.5 },
	}
	for name, mod := range mods {
		m, cfg := resumeSetup(t, mod, 1)
		m.InitVisibleBias(data)
		ref, _ := NewTrainer(m, cfg)
		if err := ref.Fit(context.Background(), data, FitOptions{}); err != nil {
			t.Fatal(err)
		}
		want := checkpointBytes(t, ref)
		m2, cfg2 := resumeSetup(t, mod, 3)
		m2.InitVisibleBias(data)
		tr, _ := NewTrainer(m2, cfg2)
		at := map[uint64]bool{5: true, 12: true, 30: true}
		for i := 0; ; i++ {
			ctx, cancel := context.WithCancel(context.Background())
			err := tr.Fit(ctx, data, FitOptions{OnBatch: func(e, b, n int) {
				if at[tr.Steps()] {
					cancel()
				}
			}})
			cancel()
			if err == nil {
				break
			}
			if !errors.Is(err, context.Canceled) || i > 3 {
				t.Fatalf("%s: %v (interruption %d)", name, err, i)
			}
			raw := checkpointBytes(t, tr)
			ck, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
			if err != nil {
				t.Fatal(err)
			}
			if tr, err = ck.Resume(testEngine(t, Generic, 1+i%3)); err != nil {
				t.Fatal(err)
			}
		}
		if got := checkpointBytes(t, tr); !bytes.Equal(got, want) {
			t.Errorf("%s: the resumed run's checkpoint differs from the uninterrupted run's", name)
		}
	}
}

// TestCenteredStepAllocs: a centred, scheduled Step allocates nothing.
func TestCenteredStepAllocs(t *testing.T) {
	for _, k := range builtinKernels(t) {
		m, _ := NewRBM(64, 32, 0.01, 1)
		m.SetEngine(testEngine(t, k, 2))
		cfg := DefaultConfig()
		cfg.BatchSize, cfg.PCD, cfg.Centered, cfg.OffsetRate = 16, true, true, 0.01
		cfg.LRSchedule, cfg.MomentumSchedule, cfg.MomentumDecay = ScheduleLinear, ScheduleExp, 0.9
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		batch := patterns(16, 64, 1)
		tr.Step(batch)
		if a := testing.AllocsPerRun(20, func() { tr.Step(batch) }); a != 0 {
			t.Errorf("%s: %v allocations per centred step, want 0", KernelID(k), a)
		}
	}
}
