package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/boltzgo/boltz/rng"
)

// builtinKernels returns every built-in kernel, and the asm backend pinned
// to each asm level this machine runs, so that each test covers the
// fallbacks and every accelerated path in one run.
func builtinKernels(t testing.TB) []Kernel {
	var ks []Kernel
	names := Kernels()
	for _, l := range Levels() {
		names = append(names, "asm/"+l)
	}
	for _, name := range names {
		k, err := KernelByName(name)
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	return ks
}

// patterns returns rows of V binary pixels: noisy copies of a few prototypes.
func patterns(rows, V int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 5))
	protos := make([][]float32, 4)
	for p := range protos {
		protos[p] = make([]float32, V)
		for j := range protos[p] {
			if r.Float64() < 0.4 {
				protos[p][j] = 1
			}
		}
	}
	x := make([]float32, rows*V)
	for i := 0; i < rows; i++ {
		p := protos[r.IntN(len(protos))]
		for j := 0; j < V; j++ {
			v := p[j]
			if r.Float64() < 0.05 {
				v = 1 - v
			}
			x[i*V+j] = v
		}
	}
	return x
}

func modelBytes(m *RBM) []byte {
	var buf bytes.Buffer
	for _, p := range [][]float32{m.W, m.B, m.C} {
		binary.Write(&buf, binary.LittleEndian, p)
	}
	return buf.Bytes()
}

// TestDeterministicAcrossWorkers trains the same model with 1, 2, 3 and 7
// workers and demands bitwise-identical parameters, for CD-1, CD-3, PCD and
// batches small enough that the engine splits columns rather than rows.
func TestDeterministicAcrossWorkers(t *testing.T) {
	const V, H = 50, 37
	data := patterns(120, V, 1)
	cases := []struct {
		name string
		mod  func(*Config)
	}{
		{"cd1", func(c *Config) {}},
		{"cd3-sparse", func(c *Config) { c.K = 3; c.SparsityTarget = 0.1 }},
		{"pcd2", func(c *Config) { c.PCD = true; c.K = 2; c.Chains = 13 }},
		{"batch2-cols", func(c *Config) { c.BatchSize = 2 }},
	}
	for _, k := range builtinKernels(t) {
		for _, tc := range cases {
			var ref []byte
			for _, workers := range []int{1, 2, 3, 7} {
				m, err := NewRBM(V, H, 0.01, 7)
				if err != nil {
					t.Fatal(err)
				}
				m.SetEngine(testEngine(t, k, workers))
				if err := m.InitVisibleBias(data); err != nil {
					t.Fatal(err)
				}
				cfg := DefaultConfig()
				cfg.Epochs, cfg.BatchSize, cfg.Seed = 3, 10, 42
				tc.mod(&cfg)
				tr, err := NewTrainer(m, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
					t.Fatal(err)
				}
				got := modelBytes(m)
				if ref == nil {
					ref = got
					continue
				}
				if !bytes.Equal(got, ref) {
					t.Errorf("%s/%s: model with %d workers differs from 1 worker", KernelID(k), tc.name, workers)
				}
			}
		}
	}
}

// TestCDStepMatchesDefinition recomputes one CD-1 step from the definition
// in float64 (same random numbers, drawn from the scalar Philox) and compares
// the weight and bias changes.
func TestCDStepMatchesDefinition(t *testing.T) {
	for _, k := range builtinKernels(t) {
		const V, H, B = 21, 13, 6
		m := tiny(t, V, H, 0.5, 8, k, 2)
		batch := patterns(B, V, 3)
		cfg := DefaultConfig()
		cfg.BatchSize, cfg.LearningRate, cfg.WeightDecay, cfg.Seed = B, 0.05, 0.01, 77
		before := m.Clone()
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Step(batch); err != nil {
			t.Fatal(err)
		}
		// Reference: ph0 = σ(v0 Wᵀ + c), sh0 sampled with (seed, step 0, phase 0),
		// pv = σ(sh0 W + b), ph1 = σ(pv Wᵀ + c).
		sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
		W := func(i, j int) float64 { return float64(before.W[i*V+j]) }
		s := rng.NewStream(cfg.Seed, 0, phaseTrain)
		ph0, sh0, pv, ph1 := make([]float64, B*H), make([]float64, B*H), make([]float64, B*V), make([]float64, B*H)
		for r := 0; r < B; r++ {
			for i := 0; i < H; i++ {
				a := float64(before.C[i])
				for j := 0; j < V; j++ {
					a += W(i, j) * float64(batch[r*V+j])
				}
				ph0[r*H+i] = sig(a)
				if float64(rng.Uniform(s.Uint32(r, i))) < float64(float32(ph0[r*H+i])) {
					sh0[r*H+i] = 1
				}
			}
			for j := 0; j < V; j++ {
				a := float64(before.B[j])
				for i := 0; i < H; i++ {
					a += W(i, j) * sh0[r*H+i]
				}
				pv[r*V+j] = sig(a)
			}
			for i := 0; i < H; i++ {
				a := float64(before.C[i])
				for j := 0; j < V; j++ {
					a += W(i, j) * pv[r*V+j]
				}
				ph1[r*H+i] = sig(a)
			}
		}
		lr := cfg.LearningRate
		for i := 0; i < H; i++ {
			for j := 0; j < V; j++ {
				g := 0.0
				for r := 0; r < B; r++ {
					g += ph0[r*H+i]*float64(batch[r*V+j]) - ph1[r*H+i]*pv[r*V+j]
				}
				want := W(i, j) + lr*g/B - lr*cfg.WeightDecay*W(i, j)
				if got := float64(m.W[i*V+j]); math.Abs(got-want) > 1e-5 {
					t.Fatalf("%s: W[%d,%d] = %v after the step, definition gives %v", k.Name(), i, j, got, want)
				}
			}
			gc := 0.0
			for r := 0; r < B; r++ {
				gc += ph0[r*H+i] - ph1[r*H+i]
			}
			if got, want := float64(m.C[i]), float64(before.C[i])+lr*gc/B; math.Abs(got-want) > 1e-5 {
				t.Fatalf("%s: c[%d] = %v, want %v", k.Name(), i, got, want)
			}
		}
		for j := 0; j < V; j++ {
			gb := 0.0
			for r := 0; r < B; r++ {
				gb += float64(batch[r*V+j]) - pv[r*V+j]
			}
			if got, want := float64(m.B[j]), float64(before.B[j])+lr*gb/B; math.Abs(got-want) > 1e-5 {
				t.Fatalf("%s: b[%d] = %v, want %v", k.Name(), j, got, want)
			}
		}
	}
}

// TestTrainingRaisesLogLikelihood trains a tiny RBM with CD-1 and PCD and
// checks that the exact mean log-likelihood of the data rises by a clear
// margin.
func TestTrainingRaisesLogLikelihood(t *testing.T) {
	const V, H = 10, 6
	data := patterns(200, V, 9)
	for _, pcd := range []bool{false, true} {
		m, err := NewRBM(V, H, 0.01, 3)
		if err != nil {
			t.Fatal(err)
		}
		m.SetEngine(testEngine(t, Generic, 2))
		ll := func() float64 {
			lz, err := m.LogZExact(0)
			if err != nil {
				t.Fatal(err)
			}
			l, err := m.LogLikelihood(data, lz)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		before := ll()
		cfg := DefaultConfig()
		cfg.Epochs, cfg.BatchSize, cfg.PCD = 60, 10, pcd
		if pcd {
			// PCD needs a smaller step than CD (Tieleman 2008): at lr 0.1
			// with 10 chains the chains fall behind the model here and the
			// log-likelihood wanders with the seed (from −4 to −9.8 nats).
			cfg.LearningRate, cfg.Chains = 0.02, 100
		}
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
			t.Fatal(err)
		}
		after := ll()
		// 4 prototypes with 5 % noise: the entropy bound is about
		// log 4 + 10·H(0.05) ≈ 3.4 nats; an untrained model is at 10 log 2 ≈ 6.9.
		if !(after > before+2) {
			t.Errorf("pcd=%v: log-likelihood %.3f before, %.3f after training: want a rise of 2 nats", pcd, before, after)
		}
	}
}

func TestFitCancelAndDiverge(t *testing.T) {
	const V, H = 20, 8
	data := patterns(100, V, 2)
	m, _ := NewRBM(V, H, 0.01, 1)
	m.SetEngine(testEngine(t, Generic, 2))
	cfg := DefaultConfig()
	cfg.Epochs = 1000
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	err = tr.Fit(ctx, data, FitOptions{OnBatch: func(e, b, n int) {
		if steps++; steps == 5 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || tr.Steps() != 5 {
		t.Errorf("cancel: err %v after %d steps, want context.Canceled after 5", err, tr.Steps())
	}

	cfg.LearningRate = 1e30
	m2, _ := NewRBM(V, H, 0.01, 1)
	m2.SetEngine(m.eng)
	tr2, _ := NewTrainer(m2, cfg)
	if err := tr2.Fit(context.Background(), data, FitOptions{}); !errors.Is(err, ErrDiverged) {
		t.Errorf("absurd learning rate: err = %v, want ErrDiverged", err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.BatchSize = 0 },
		func(c *Config) { c.K = 0 },
		func(c *Config) { c.LearningRate = math.NaN() },
		func(c *Config) { c.LearningRate = math.Inf(1) },
		func(c *Config) { c.LearningRate = -1 },
		func(c *Config) { c.Momentum = 1 },
		func(c *Config) { c.WeightDecay = -1 },
		func(c *Config) { c.Epochs = -1 },
		func(c *Config) { c.Chains = -3 },
		func(c *Config) { c.SparsityTarget = 1.5 },
	}
	for i, f := range bad {
		c := DefaultConfig()
		f(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("case %d: Validate() = %v, want ErrConfig", i, err)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("default config invalid: %v", err)
	}
}

func TestInputChecks(t *testing.T) {
	m, _ := NewRBM(4, 3, 0.01, 1)
	m.SetEngine(testEngine(t, Generic, 1))
	if err := m.HiddenProbs(make([]float32, 3), []float32{0, 1, 0}); !errors.Is(err, ErrShape) {
		t.Errorf("ragged input: %v", err)
	}
	if err := m.HiddenProbs(make([]float32, 3), []float32{0, 1, float32(math.NaN()), 0}); !errors.Is(err, ErrValue) {
		t.Errorf("NaN input: %v", err)
	}
	if err := m.HiddenProbs(make([]float32, 2), []float32{0, 1, 1, 0}); !errors.Is(err, ErrShape) {
		t.Errorf("short dst: %v", err)
	}
	tr, _ := NewTrainer(m, DefaultConfig())
	if err := tr.Step([]float32{0, 2, 0, 0}); !errors.Is(err, ErrValue) {
		t.Errorf("value 2 in batch: %v", err)
	}
	if err := tr.Fit(context.Background(), make([]float32, 4*10), FitOptions{}); !errors.Is(err, ErrConfig) {
		t.Errorf("batch larger than data: %v", err)
	}
	if _, err := NewRBM(0, 3, 0.01, 1); !errors.Is(err, ErrConfig) {
		t.Errorf("zero visible: %v", err)
	}
}

// TestStepAllocs holds the zero-allocation contract of a training step.
func TestStepAllocs(t *testing.T) {
	for _, k := range builtinKernels(t) {
		for _, pcd := range []bool{false, true} {
			m, _ := NewRBM(64, 32, 0.01, 1)
			m.SetEngine(testEngine(t, k, 2))
			cfg := DefaultConfig()
			cfg.BatchSize, cfg.PCD, cfg.K = 16, pcd, 2
			tr, _ := NewTrainer(m, cfg)
			batch := patterns(16, 64, 1)
			tr.Step(batch)
			if a := testing.AllocsPerRun(20, func() { tr.Step(batch) }); a != 0 {
				t.Errorf("%s pcd=%v: %v allocations per step, want 0", k.Name(), pcd, a)
			}
		}
	}
}
