package engine

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/boltzgo/boltz/data"
)

// aisModel returns a random V×H model with weights and biases of order scale
// on a fresh engine (generic kernel).
func aisModel(t testing.TB, V, H int, scale float64, seed uint64, workers int) *RBM {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	m := &RBM{Visible: V, Hidden: H, W: make([]float32, V*H), B: make([]float32, V), C: make([]float32, H)}
	for i := range m.W {
		m.W[i] = float32(scale * r.NormFloat64())
	}
	for i := range m.B {
		m.B[i] = float32(scale * r.NormFloat64())
	}
	for i := range m.C {
		m.C[i] = float32(scale * r.NormFloat64())
	}
	e, err := New(WithKernel(Generic), WithWorkers(workers))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	m.SetEngine(e)
	return m
}

func TestAISBetas(t *testing.T) {
	b := DefaultAISBetas()
	if len(b) != 14503 || b[0] != 0 || b[len(b)-1] != 1 || b[500] != 0.5 || b[501] != 0.5 || b[4501] != 0.9 || b[4502] != 0.9 {
		t.Fatalf("default schedule: %d values, b[0]=%v b[500]=%v b[501]=%v b[4501]=%v last=%v", len(b), b[0], b[500], b[501], b[4501], b[len(b)-1])
	}
	if err := checkBetas(b); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 3, 10, 100, 1000, 14503} {
		b := AISBetas(n)
		if err := checkBetas(b); err != nil {
			t.Fatalf("AISBetas(%d): %v", n, err)
		}
		for k := 1; k < len(b); k++ {
			if b[k] <= b[k-1] {
				t.Fatalf("AISBetas(%d): repeated value %v", n, b[k])
			}
		}
		if n >= 100 && math.Abs(float64(len(b)-n)) > 2 {
			t.Errorf("AISBetas(%d) has %d values", n, len(b))
		}
		// the segments' shape: about 500/14500 of the steps below 0.5
		if n >= 1000 {
			below := 0
			for _, x := range b {
				if x < 0.5 {
					below++
				}
			}
			if want := float64(n) * 500 / 14500; math.Abs(float64(below)-want) > 2 {
				t.Errorf("AISBetas(%d): %d values below 0.5, want about %.0f", n, below, want)
			}
		}
	}
	if len(AISBetas(0)) != 14503 {
		t.Error("AISBetas(0) is not the default schedule")
	}
}

func TestBaseRateVisibleBias(t *testing.T) {
	// 200 rows (2 batches of 100): unit 0 on in 50 rows, unit 1 never, unit 2 always.
	x := make([]float32, 200*3)
	for r := 0; r < 200; r++ {
		if r < 50 {
			x[r*3] = 1
		}
		x[r*3+2] = 1
	}
	b, err := BaseRateVisibleBias(x, 3)
	if err != nil {
		t.Fatal(err)
	}
	logit := func(p float64) float64 { return math.Log(p / (1 - p)) }
	want := []float64{logit(60.0 / 210), logit(10.0 / 210), logit(1 - 1e-6)}
	for j := range want {
		if math.Abs(float64(b[j])-want[j]) > 1e-5*math.Max(1, math.Abs(want[j])) {
			t.Errorf("b[%d] = %v, want %v", j, b[j], want[j])
		}
	}
	if _, err := BaseRateVisibleBias(x[:5], 3); !errors.Is(err, ErrShape) {
		t.Errorf("ragged data: %v", err)
	}
	if _, err := BaseRateVisibleBias([]float32{2, 0, 0}, 3); !errors.Is(err, ErrValue) {
		t.Errorf("value 2: %v", err)
	}
}

func TestAISTinyMatchesExact(t *testing.T) {
	for _, c := range []struct {
		V, H  int
		scale float64
	}{{12, 8, 0.7}, {8, 14, 0.7}, {16, 10, 1.0}} {
		m := aisModel(t, c.V, c.H, c.scale, uint64(c.V*100+c.H), 2)
		exact, err := m.LogZExact(0)
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.AIS(context.Background(), AISOptions{Runs: 100, Betas: AISBetas(2000), Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d×%d: exact %.4f, AIS %.4f [%.4f, %.4f] in %.2fs", c.V, c.H, exact, res.LogZ, res.LogZLower, res.LogZUpper, res.Seconds)
		if math.IsNaN(res.LogZLower) || !(res.LogZLower <= exact && exact <= res.LogZUpper) {
			t.Errorf("%d×%d: exact log Z %.4f outside the AIS bounds [%.4f, %.4f]", c.V, c.H, exact, res.LogZLower, res.LogZUpper)
		}
		if math.Abs(res.LogZ-exact) > 0.05 {
			t.Errorf("%d×%d: AIS %.4f, exact %.4f", c.V, c.H, res.LogZ, exact)
		}
		if res.Runs != 100 || res.Temperatures != len(AISBetas(2000)) || len(res.LogWeights) != 100 {
			t.Errorf("result reports %d runs, %d temperatures, %d weights", res.Runs, res.Temperatures, len(res.LogWeights))
		}
	}
}

func TestAISLogLikelihood(t *testing.T) {
	m := aisModel(t, 12, 7, 0.7, 21, 2)
	v := make([]float32, 30*12)
	for i := range v {
		v[i] = float32(i * 7 % 3 % 2)
	}
	ll, res, err := m.AISLogLikelihood(context.Background(), v, AISOptions{Runs: 50, Betas: AISBetas(500), Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	exact, _ := m.LogZExact(0)
	want, _ := m.LogLikelihood(v, exact)
	if math.Abs(ll-want) > 0.1 || math.Abs(ll-want-(exact-res.LogZ)) > 1e-9 {
		t.Errorf("AIS log-likelihood %v (log Z %v), exact %v (log Z %v)", ll, res.LogZ, want, exact)
	}
	if _, _, err := m.AISLogLikelihood(context.Background(), v[:11], AISOptions{}); !errors.Is(err, ErrShape) {
		t.Errorf("ragged rows: %v", err)
	}
}

// A coarse schedule takes the float64 path of the weight increments; the
// estimate must still be unbiased, only noisier.
func TestAISCoarseSchedule(t *testing.T) {
	m := aisModel(t, 10, 6, 2.0, 3, 2)
	exact, err := m.LogZExact(0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.AIS(context.Background(), AISOptions{Runs: 2000, Betas: []float64{0, 0.25, 0.5, 0.75, 1}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(res.LogZLower) || !(res.LogZLower <= exact && exact <= res.LogZUpper) {
		t.Errorf("exact log Z %.4f outside the AIS bounds [%.4f, %.4f] (estimate %.4f)", exact, res.LogZLower, res.LogZUpper, res.LogZ)
	}
}

// With β = 0 and 1 only, every weight is p_B*(v)/p_A*(v) for v from the base
// model: check the log-weights against that, computed directly.
func TestAISLogWeightsDirect(t *testing.T) {
	m := aisModel(t, 9, 5, 0.8, 11, 1)
	bA := make([]float32, m.Visible)
	for j := range bA {
		bA[j] = float32(j%3) - 1
	}
	res, err := m.AIS(context.Background(), AISOptions{Runs: 7, Betas: []float64{0, 1}, BaseVisibleBias: bA, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	// Recreate v_0 exactly as AIS draws it.
	s := newAISState(m, m.eng, 7, bA, 9)
	s.init()
	for r := 0; r < 7; r++ {
		v := s.v.Row(r)
		want := 0.0
		for j, x := range v {
			want += (float64(m.B[j]) - float64(bA[j])) * float64(x)
		}
		for i := 0; i < m.Hidden; i++ {
			a := float64(m.C[i])
			for j, x := range v {
				a += float64(m.W[i*m.Visible+j]) * float64(x)
			}
			want += softplus(a) - math.Ln2
		}
		if math.Abs(res.LogWeights[r]-want) > 1e-5 {
			t.Errorf("run %d: log w = %.7f, want %.7f", r, res.LogWeights[r], want)
		}
	}
	logZA := float64(m.Hidden) * math.Ln2
	for _, b := range bA {
		logZA += softplus(float64(b))
	}
	if math.Abs(res.LogZBase-logZA) > 1e-9 {
		t.Errorf("log Z_A = %v, want %v", res.LogZBase, logZA)
	}
}

func TestAISIndependentOfWorkers(t *testing.T) {
	var ref []float64
	for _, w := range []int{1, 2, 3} {
		m := aisModel(t, 40, 33, 0.3, 2, w)
		res, err := m.AIS(context.Background(), AISOptions{Runs: 37, Betas: AISBetas(300), Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = res.LogWeights
			continue
		}
		for r := range ref {
			if res.LogWeights[r] != ref[r] {
				t.Fatalf("%d workers: run %d log w %v, with 1 worker %v", w, r, res.LogWeights[r], ref[r])
			}
		}
	}
}

func TestAISStepAllocs(t *testing.T) {
	m := aisModel(t, 50, 30, 0.3, 2, 2)
	s := newAISState(m, m.eng, 40, make([]float32, 50), 1)
	s.init()
	k := 0
	allocs := testing.AllocsPerRun(50, func() {
		k++
		s.step(k, 0.3, 0.3001, true)
	})
	if allocs != 0 {
		t.Errorf("an AIS step allocates %v times", allocs)
	}
}

func TestAISErrors(t *testing.T) {
	m := aisModel(t, 6, 4, 0.3, 2, 1)
	ctx := context.Background()
	for name, opt := range map[string]AISOptions{
		"one run":         {Runs: 1},
		"negative runs":   {Runs: -3},
		"one beta":        {Betas: []float64{1}},
		"not from 0":      {Betas: []float64{0.1, 1}},
		"not to 1":        {Betas: []float64{0, 0.9}},
		"decreasing":      {Betas: []float64{0, 0.6, 0.5, 1}},
		"NaN beta":        {Betas: []float64{0, math.NaN(), 1}},
		"above 1":         {Betas: []float64{0, 1.5, 1}},
		"base bias size":  {BaseVisibleBias: make([]float32, 5)},
		"base bias NaN":   {BaseVisibleBias: []float32{0, 0, 0, float32(math.NaN()), 0, 0}},
		"ragged data":     {Data: make([]float32, 7)},
		"data out of 0-1": {Data: []float32{0, 0, 0, 0, 0, 3}},
	} {
		if _, err := m.AIS(ctx, opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.AIS(cctx, AISOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// The lower bound does not exist when the weights are too spread: a sharp
// model, two temperatures and few runs.
func TestAISLowerBoundMissing(t *testing.T) {
	m := aisModel(t, 20, 20, 3, 8, 1)
	res, err := m.AIS(context.Background(), AISOptions{Runs: 5, Betas: []float64{0, 1}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(res.LogZLower) || !(res.LogZUpper > res.LogZ) {
		t.Errorf("bounds [%v, %v] around %v: want no lower bound", res.LogZLower, res.LogZUpper, res.LogZ)
	}
}

// The acceptance test: on a 20-hidden model trained on MNIST (3,000
// rows, 8 epochs of CD-1), AIS with 100 runs and base rates from the training
// data lands within 3σ̂ and within 0.5 nats of the exact log Z. It uses the
// default schedule (14,503 temperatures, a few seconds with the AVX2
// kernel); with the generic kernel (purego builds, BOLTZ_KERNEL=generic),
// where that takes about 30 s on 2 cores, it uses AISBetas(4000), a schedule
// of the same shape with about 4,000 temperatures.
func TestAISMNIST20Hidden(t *testing.T) {
	if testing.Short() {
		t.Skip("trains an MNIST model and enumerates 2^20 hidden states")
	}
	set, err := data.Load("mnist", data.Options{Limit: 3000})
	if err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	m, err := NewRBM(784, 20, 0.01, 1)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(WithWorkers(0))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	m.SetEngine(e)
	x := set.X.Data
	if err := m.InitVisibleBias(x); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Epochs, cfg.MonitorRows = 8, 100
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := tr.Fit(context.Background(), x, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	trainTime := time.Since(start)
	start = time.Now()
	exact, err := m.LogZExact(0)
	if err != nil {
		t.Fatal(err)
	}
	exactTime := time.Since(start)
	var betas []float64 // the default schedule
	if e.Kernel().Name() == "generic" {
		betas = AISBetas(4000)
	}
	res, err := m.AIS(context.Background(), AISOptions{Data: x, Betas: betas, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ll, _ := m.LogLikelihood(x[:1000*784], exact)
	t.Logf("train %.1fs; exact log Z %.4f (%.1fs); AIS %.4f [%.4f, %.4f] (%d temperatures, kernel %s, %.1fs); train log-likelihood %.2f",
		trainTime.Seconds(), exact, exactTime.Seconds(), res.LogZ, res.LogZLower, res.LogZUpper, res.Temperatures, e.Kernel().Name(), res.Seconds, ll)
	if math.IsNaN(res.LogZLower) || !(res.LogZLower <= exact && exact <= res.LogZUpper) {
		t.Errorf("exact log Z %.4f outside the AIS bounds [%.4f, %.4f]", exact, res.LogZLower, res.LogZUpper)
	}
	if math.Abs(res.LogZ-exact) > 0.5 {
		t.Errorf("AIS log Z %.4f is %.3f nats from the exact %.4f", res.LogZ, res.LogZ-exact, exact)
	}
}

// BenchmarkAIS times one log Z estimate with the default schedule (14,503
// temperatures) and 100 runs on a random 784×500 model, the size of
// `boltz eval --logz ais` on MNIST.
func BenchmarkAIS(b *testing.B) {
	m, err := NewRBM(784, 500, 0.05, 1)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := m.AIS(context.Background(), AISOptions{Runs: 100, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
