package engine

import (
	"context"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// basSeeds is the number of seeds TestBarsAndStripesAIS tries (the README's
// table: -bas.seeds 32).
var (
	basSeeds = flag.Int("bas.seeds", 6, "seeds of TestBarsAndStripesAIS")
	basTable = flag.Bool("bas.table", false, "TestBarsAndStripesAIS also logs the schedules and base models that miss the thresholds")
)

// basModel is PyDeep's bars-and-stripes test model
// (pydeep/testunits/test_rbm/test_estimator.py in MelJan/PyDeep: 4 visible
// units, a 2×2 image, 4 hidden), its parameters transposed into our H×V W,
// and its 8 training rows: the 6 bars and stripes of 2×2 with the empty and
// the full image twice.
func basModel(t testing.TB, workers int) (*RBM, []float32) {
	t.Helper()
	w := [4][4]float64{ // PyDeep's w, V×H
		{0.12179488, 2.95950177, 0.33513356, 35.05380642},
		{0.20318085, -28.62372894, 26.52611278, 28.41793445},
		{-0.19105386, -28.58530584, -26.52747507, 28.78447320},
		{0.08953740, -59.82556859, -0.06665933, -27.71723459}}
	m := &RBM{Visible: 4, Hidden: 4, W: make([]float32, 16),
		B: []float32{-19.24399659, -13.26258696, 13.25909850, 43.74408543},
		C: []float32{-0.11155958, 57.02097584, -0.13331758, -32.25991501}}
	for j := range w {
		for i := range w[j] {
			m.W[i*4+j] = float32(w[j][i])
		}
	}
	e, err := New(WithKernel(Generic), WithWorkers(workers))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	m.SetEngine(e)
	var x []float32
	for _, p := range []string{"0000", "0000", "0101", "1010", "0011", "1100", "1111", "1111"} {
		for _, c := range p {
			x = append(x, float32(c-'0'))
		}
	}
	return m, x
}

// logZFloat64 enumerates the 2^V visible states of a small model in float64.
func logZFloat64(m *RBM) float64 {
	V, H := m.Visible, m.Hidden
	terms := make([]float64, 0, 1<<V)
	for bits := 0; bits < 1<<V; bits++ {
		s := 0.0
		for j := 0; j < V; j++ {
			if bits>>j&1 == 1 {
				s += float64(m.B[j])
			}
		}
		for i := 0; i < H; i++ {
			a := float64(m.C[i])
			for j := 0; j < V; j++ {
				if bits>>j&1 == 1 {
					a += float64(m.W[i*V+j])
				}
			}
			s += softplus(a)
		}
		terms = append(terms, s)
	}
	return logSumExp64(terms)
}

// PyDeep's log Z of the bars-and-stripes model is 59.6749019726 with its
// float64 parameters; ours are float32, which moves log Z by 2.6e-6. The
// exact enumeration (float32 projections) is within 2e-6 of the float64
// enumeration of the float32 model, and within 5e-6 of PyDeep's value.
func TestBarsAndStripesExactLogZ(t *testing.T) {
	m, _ := basModel(t, 2)
	got, err := m.LogZExact(0)
	if err != nil {
		t.Fatal(err)
	}
	ref := logZFloat64(m)
	t.Logf("exact log Z %.10f, float64 enumeration %.10f, PyDeep 59.6749019726", got, ref)
	if math.Abs(got-ref) > 2e-6 {
		t.Errorf("LogZExact %.10f, float64 enumeration %.10f", got, ref)
	}
	if math.Abs(got-59.6749019726) > 5e-6 {
		t.Errorf("LogZExact %.10f, PyDeep's 59.6749019726", got)
	}
}

// The acceptance test of PyDeep's test_annealed_importance_sampling and
// test_reverse_annealed_importance_sampling, for every seed tried rather than
// one: with 100 runs, AIS and reverse AIS (from the 8 data rows, one Gibbs
// sweep) are within 0.5, 0.05 and 0.005 nats of the exact log Z at 100, 1,000
// and 10,000 temperatures, with the adaptive schedule and PyDeep's base model
// (the data means, here the uniform model). PyDeep's own linear schedule is
// checked at 100 and 1,000 temperatures too (at 10,000 its worst seed is
// 0.0056 nats off; see README).
func TestBarsAndStripesAIS(t *testing.T) {
	m, x := basModel(t, 1)
	exact, err := m.LogZExact(0)
	if err != nil {
		t.Fatal(err)
	}
	type cfg struct {
		n        int
		sched    AISSchedule
		tol      float64 // 0: logged only (-bas.table)
		smoothed bool    // BaseRateVisibleBias rather than PyDeep's means
	}
	cases := []cfg{{100, AISAdaptive, 0.5, false}, {1000, AISAdaptive, 0.05, false}, {10000, AISAdaptive, 0.005, false},
		{100, AISLinear, 0.5, false}, {1000, AISLinear, 0.05, false}}
	if *basTable {
		cases = append(cases, cfg{10000, AISLinear, 0, false})
		for _, n := range []int{100, 1000, 10000} {
			cases = append(cases, cfg{n, AISSegmented, 0, false}, cfg{n, AISSegmented, 0, true}, cfg{n, AISAdaptive, 0, true})
		}
	}
	ctx := context.Background()
	for _, c := range cases {
		if c.n == 10000 && testing.Short() {
			continue // 2·6 estimates of 10,000 temperatures: the normal run has them
		}
		var worstF, worstR float64
		for seed := uint64(1); seed <= uint64(*basSeeds); seed++ {
			opt := AISOptions{Runs: 100, Temperatures: c.n, Schedule: c.sched, Data: x, MeanBase: !c.smoothed, Seed: seed}
			f, err := m.AIS(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			r, err := m.ReverseAIS(ctx, ReverseAISOptions{AISOptions: opt, Start: x})
			if err != nil {
				t.Fatal(err)
			}
			if f.Temperatures != r.Temperatures || (c.sched != AISSegmented && f.Temperatures != c.n) || r.Gibbs != DefaultReverseAISGibbs || r.Runs != 100 {
				t.Fatalf("temperatures %d and %d, Gibbs %d, runs %d", f.Temperatures, r.Temperatures, r.Gibbs, r.Runs)
			}
			if d := math.Abs(f.LogZ - exact); c.tol > 0 && d > c.tol {
				t.Errorf("%v, %d temperatures, seed %d: AIS log Z %.5f is %.5f nats off (tolerance %v)", c.sched, c.n, seed, f.LogZ, d, c.tol)
			}
			if d := math.Abs(r.LogZ - exact); c.tol > 0 && d > c.tol {
				t.Errorf("%v, %d temperatures, seed %d: reverse AIS log Z %.5f is %.5f nats off (tolerance %v)", c.sched, c.n, seed, r.LogZ, d, c.tol)
			}
			worstF, worstR = math.Max(worstF, math.Abs(f.LogZ-exact)), math.Max(worstR, math.Abs(r.LogZ-exact))
		}
		base := "mean"
		if c.smoothed {
			base = "smoothed"
		}
		t.Logf("%v schedule, %s base, %5d temperatures, %d seeds: worst error AIS %.4f, reverse AIS %.4f", c.sched, base, c.n, *basSeeds, worstF, worstR)
	}
}

// exactSamples draws n rows from a small model's exact distribution (its 2^V
// states enumerated).
func exactSamples(m *RBM, n int, seed uint64) []float32 {
	V := m.Visible
	states := make([]float32, V<<V)
	for bits := 0; bits < 1<<V; bits++ {
		bitsToRow(states[bits*V:(bits+1)*V], uint64(bits))
	}
	f := make([]float32, 1<<V)
	if err := m.FreeEnergy(f, states); err != nil {
		panic(err)
	}
	logZ := logZFloat64(m)
	cdf := make([]float64, 1<<V)
	var c float64
	for bits := range cdf {
		c += math.Exp(-float64(f[bits]) - logZ)
		cdf[bits] = c
	}
	r := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, n*V)
	for i := 0; i < n; i++ {
		bits, _ := slices.BinarySearch(cdf, r.Float64()*c)
		bits = min(bits, len(cdf)-1)
		copy(x[i*V:(i+1)*V], states[bits*V:(bits+1)*V])
	}
	return x
}

// Forward AIS understates log Z on average and reverse AIS, started from
// exact model samples, overstates it (Jensen's inequality on log mean(w)).
// With 3 temperatures and 10 runs, where these biases dwarf the noise, the
// medians over 16 seeds bracket the exact log Z on random models; with 2,000
// temperatures and 100 runs both are close and their 3σ̂ bands hold it.
func TestReverseAISBracketsExact(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		V, H  int
		scale float64
	}{{10, 8, 1.0}, {12, 6, 1.5}, {8, 12, 1.2}} {
		m := aisModel(t, c.V, c.H, c.scale, uint64(c.V*31+c.H), 1)
		exact, err := m.LogZExact(0)
		if err != nil {
			t.Fatal(err)
		}
		var fs, rs []float64
		for seed := uint64(1); seed <= 16; seed++ {
			opt := AISOptions{Runs: 10, Temperatures: 3, Schedule: AISLinear, Seed: seed}
			f, err := m.AIS(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			r, err := m.ReverseAIS(ctx, ReverseAISOptions{AISOptions: opt, Start: exactSamples(m, 10, seed), Gibbs: -1})
			if err != nil {
				t.Fatal(err)
			}
			fs, rs = append(fs, f.LogZ), append(rs, r.LogZ)
		}
		slices.Sort(fs)
		slices.Sort(rs)
		mf, mr := (fs[7]+fs[8])/2, (rs[7]+rs[8])/2
		t.Logf("%d×%d, 3 temperatures: median AIS %.4f, exact %.4f, median reverse AIS %.4f", c.V, c.H, mf, exact, mr)
		if !(mf < exact && exact < mr) {
			t.Errorf("%d×%d: the medians of AIS %.4f and reverse AIS %.4f do not bracket the exact %.4f", c.V, c.H, mf, mr, exact)
		}
		opt := AISOptions{Runs: 100, Temperatures: 2000, Schedule: AISLinear, Seed: 3}
		f, err := m.AIS(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.ReverseAIS(ctx, ReverseAISOptions{AISOptions: opt, Start: exactSamples(m, 100, 99), Gibbs: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d×%d, 2,000 temperatures: AIS %.4f [%.4f, %.4f], reverse %.4f [%.4f, %.4f]", c.V, c.H, f.LogZ, f.LogZLower, f.LogZUpper, r.LogZ, r.LogZLower, r.LogZUpper)
		if !(r.LogZLower <= exact && exact <= r.LogZUpper) || !(f.LogZLower <= exact && exact <= f.LogZUpper) {
			t.Errorf("%d×%d: exact %.4f outside a 3σ̂ band: AIS [%.4f, %.4f], reverse [%.4f, %.4f]", c.V, c.H, exact, f.LogZLower, f.LogZUpper, r.LogZLower, r.LogZUpper)
		}
		if math.Abs(f.LogZ-exact) > 0.05 || math.Abs(r.LogZ-exact) > 0.05 {
			t.Errorf("%d×%d: AIS %.4f, reverse %.4f, exact %.4f", c.V, c.H, f.LogZ, r.LogZ, exact)
		}
		if !(r.LogZLower < r.LogZ && r.LogZ < r.LogZUpper) {
			t.Errorf("reverse bounds [%v, %v] around %v", r.LogZLower, r.LogZUpper, r.LogZ)
		}
	}
}

// Reverse AIS from base-model samples and a burn-in at β = 1 (no Start).
func TestReverseAISFromChains(t *testing.T) {
	m := aisModel(t, 12, 8, 0.8, 5, 2)
	exact, _ := m.LogZExact(0)
	r, err := m.ReverseAIS(context.Background(), ReverseAISOptions{AISOptions: AISOptions{Temperatures: 1000, Schedule: AISLinear, Seed: 2}, Gibbs: 200})
	if err != nil {
		t.Fatal(err)
	}
	if r.Gibbs != 200 || math.Abs(r.LogZ-exact) > 0.05 {
		t.Errorf("reverse AIS from chains: %.4f (Gibbs %d), exact %.4f", r.LogZ, r.Gibbs, exact)
	}
	d, err := m.ReverseAIS(context.Background(), ReverseAISOptions{AISOptions: AISOptions{Temperatures: 10, Seed: 2}})
	if err != nil || d.Gibbs != DefaultReverseAISBurnIn {
		t.Errorf("default burn-in %d, %v", d.Gibbs, err)
	}
}

func TestReverseAISIndependentOfWorkers(t *testing.T) {
	var ref []float64
	start := make([]float32, 50*40)
	for i := range start {
		start[i] = float32(i%7) / 6 // grey values: drawn as binary states
	}
	for _, w := range []int{1, 2, 3} {
		m := aisModel(t, 40, 33, 0.3, 2, w)
		res, err := m.ReverseAIS(context.Background(), ReverseAISOptions{
			AISOptions: AISOptions{Runs: 37, Temperatures: 300, Schedule: AISAdaptive, Seed: 4}, Start: start})
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

func TestReverseAISStepAllocs(t *testing.T) {
	m := aisModel(t, 50, 30, 0.3, 2, 2)
	s := newAISState(m, m.eng, 40, make([]float32, 50), 1)
	s.phInit, s.phHidden, s.phVisible = phaseRevInit, phaseRevHidden, phaseRevVisible
	s.init()
	k := 1000
	allocs := testing.AllocsPerRun(50, func() {
		k--
		s.step(k, 0.3001, 0.3, true)
	})
	if allocs != 0 {
		t.Errorf("a reverse AIS step allocates %v times", allocs)
	}
}

func TestReverseAISErrors(t *testing.T) {
	m := aisModel(t, 6, 4, 0.3, 2, 1)
	ctx := context.Background()
	for name, opt := range map[string]ReverseAISOptions{
		"one run":           {AISOptions: AISOptions{Runs: 1}},
		"one temperature":   {AISOptions: AISOptions{Temperatures: 1}},
		"negative count":    {AISOptions: AISOptions{Temperatures: -5}},
		"unknown schedule":  {AISOptions: AISOptions{Temperatures: 10, Schedule: 9}},
		"decreasing betas":  {AISOptions: AISOptions{Betas: []float64{0, 0.6, 0.5, 1}}},
		"ragged start":      {Start: make([]float32, 7)},
		"empty start":       {Start: []float32{}},
		"start out of 0-1":  {Start: []float32{0, 0, 2, 0, 0, 0}},
		"start NaN":         {Start: []float32{0, 0, float32(math.NaN()), 0, 0, 0}},
		"base bias size":    {AISOptions: AISOptions{BaseVisibleBias: make([]float32, 5)}},
		"mean base of junk": {AISOptions: AISOptions{Data: []float32{0, 0, 0, 0, 0, -1}, MeanBase: true}},
	} {
		if _, err := m.ReverseAIS(ctx, opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.ReverseAIS(cctx, ReverseAISOptions{AISOptions: AISOptions{Temperatures: 200}, Gibbs: -1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	g := aisModel(t, 6, 4, 0.3, 2, 1)
	if err := g.SetVisibleUnits(Gaussian, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := g.ReverseAIS(ctx, ReverseAISOptions{}); !errors.Is(err, ErrConfig) {
		t.Errorf("gaussian units: %v", err)
	}
	if _, err := g.AIS(ctx, AISOptions{Temperatures: 50, Schedule: AISAdaptive}); !errors.Is(err, ErrConfig) {
		t.Errorf("adaptive schedule on gaussian units: %v", err)
	}
	if _, err := g.AIS(ctx, AISOptions{Temperatures: 50, Schedule: AISLinear}); err != nil {
		t.Errorf("linear schedule on gaussian units: %v", err)
	}
}

func TestAISSchedules(t *testing.T) {
	b := LinearAISBetas(5)
	for i, want := range []float64{0, 0.25, 0.5, 0.75, 1} {
		if b[i] != want {
			t.Fatalf("LinearAISBetas(5) = %v", b)
		}
	}
	for _, name := range []string{"segmented", "linear", "adaptive"} {
		s, err := ParseAISSchedule(name)
		if err != nil || s.String() != name {
			t.Errorf("ParseAISSchedule(%q) = %v, %v", name, s, err)
		}
	}
	if _, err := ParseAISSchedule("geometric"); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown schedule name: %v", err)
	}
	// The BAS model gathers the spread of U at low β: the adaptive schedule
	// puts most of its steps below β = 0.3, where the segmented one has few.
	m, x := basModel(t, 2)
	ctx := context.Background()
	opt := AISOptions{Data: x, MeanBase: true, Seed: 7}
	a, err := m.AdaptiveAISBetas(ctx, 1000, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkBetas(a); err != nil || len(a) != 1000 {
		t.Fatalf("adaptive schedule of %d values: %v", len(a), err)
	}
	below := func(b []float64) int {
		n := 0
		for _, x := range b {
			if x < 0.3 {
				n++
			}
		}
		return n
	}
	if below(a) < 500 || below(AISBetas(1000)) > 50 {
		t.Errorf("values below 0.3: adaptive %d, segmented %d", below(a), below(AISBetas(1000)))
	}
	again, _ := m.AdaptiveAISBetas(ctx, 1000, opt)
	for i := range a {
		if a[i] != again[i] {
			t.Fatalf("adaptive schedule not reproducible at %d: %v, %v", i, a[i], again[i])
		}
	}
	// A model without couplings and with the base's own bias has U = 0
	// everywhere: the schedule falls back to the linear one.
	flat := aisModel(t, 5, 3, 0, 1, 1)
	f, err := flat.AdaptiveAISBetas(ctx, 11, AISOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range LinearAISBetas(11) {
		if f[i] != want {
			t.Fatalf("flat model: adaptive schedule %v", f)
		}
	}
	if _, err := m.AdaptiveAISBetas(ctx, 1, opt); !errors.Is(err, ErrConfig) {
		t.Errorf("one temperature: %v", err)
	}
}

func TestMeanVisibleBias(t *testing.T) {
	b, err := MeanVisibleBias([]float32{1, 0, 0.5, 1, 0, 0.5, 0, 0, 0.5, 0, 0, 0.5}, 3)
	if err != nil {
		t.Fatal(err)
	}
	lo := float32(math.Log(1e-5 / (1 - 1e-5)))
	if b[0] != 0 || math.Abs(float64(b[1]-lo)) > 1e-3 || b[2] != 0 {
		t.Errorf("MeanVisibleBias = %v, want [0 %v 0]", b, lo)
	}
	if _, err := MeanVisibleBias([]float32{0, 1}, 3); !errors.Is(err, ErrShape) {
		t.Errorf("ragged: %v", err)
	}
}
