package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
	"github.com/boltzgo/boltz/safetensors"
)

// tinyModel returns a V×H model with weights large enough that the
// tempered distributions differ clearly.
func tinyModel(t *testing.T, V, H int, k Kernel) *RBM {
	t.Helper()
	m, err := NewRBM(V, H, 1.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	for j := range m.B {
		m.B[j] = float32(j%3) - 1
	}
	for i := range m.C {
		m.C[i] = 0.5 - float32(i)
	}
	m.SetEngine(testEngine(t, k, 2))
	return m
}

// jointOf returns E(v, h) of state x (the bits of v, then of h) of m.
func jointOf(m *RBM, x int) float64 {
	V, H := m.Visible, m.Hidden
	v := make([]float32, V)
	h := make([]float32, H)
	for j := range v {
		v[j] = float32(x >> j & 1)
	}
	for i := range h {
		h[i] = float32(x >> (V + i) & 1)
	}
	a := make([]float32, H)
	for i := range a {
		s := m.C[i]
		for j := range v {
			s += m.W[i*V+j] * v[j]
		}
		a[i] = s
	}
	return jointEnergy(m.B, v, h, a)
}

// TestPTSwapDetailedBalance builds the transition matrix of the swap move
// of two temperatures by enumeration over all pairs of joint states of a
// tiny model and checks that the product of the tempered distributions is
// invariant (π T = π) and that T satisfies detailed balance, and that a
// wrong rule (the sign of the exponent flipped) would fail the check.
func TestPTSwapDetailedBalance(t *testing.T) {
	m := tinyModel(t, 2, 2, Generic)
	const n = 16 // joint states (v, h) of 2+2 units
	b0, b1 := 1.0, 0.35
	e := make([]float64, n)
	for x := range e {
		e[x] = jointOf(m, x)
	}
	tempered := func(b float64) []float64 {
		p := make([]float64, n)
		var z float64
		for x := range p {
			p[x] = math.Exp(-b * e[x])
			z += p[x]
		}
		for x := range p {
			p[x] /= z
		}
		return p
	}
	p0, p1 := tempered(b0), tempered(b1)
	check := func(prob func(bk, bk1, ek, ek1 float64) float64) (maxErr float64) {
		pi := make([]float64, n*n) // pair (x0, x1) at index x0*n+x1
		for x0 := range n {
			for x1 := range n {
				pi[x0*n+x1] = p0[x0] * p1[x1]
			}
		}
		next := make([]float64, n*n)
		for x0 := range n {
			for x1 := range n {
				a := prob(b0, b1, e[x0], e[x1])
				if a < 0 || a > 1 {
					t.Fatalf("swap probability %v", a)
				}
				from := pi[x0*n+x1]
				next[x1*n+x0] += from * a
				next[x0*n+x1] += from * (1 - a)
				// Detailed balance: the flow each way.
				if back := pi[x1*n+x0] * prob(b0, b1, e[x1], e[x0]); math.Abs(from*a-back) > 1e-15 {
					maxErr = max(maxErr, math.Abs(from*a-back))
				}
			}
		}
		for i := range pi {
			maxErr = max(maxErr, math.Abs(next[i]-pi[i]))
		}
		return maxErr
	}
	if d := check(swapProb); d > 1e-14 {
		t.Errorf("swapProb: π T differs from π by %g", d)
	}
	wrong := func(bk, bk1, ek, ek1 float64) float64 { return swapProb(bk, bk1, ek1, ek) }
	if d := check(wrong); d < 1e-4 {
		t.Errorf("the flipped rule passes too (%g): the check is too weak", d)
	}
}

// TestPTSwapEmpirical draws many pairs of joint states from the exact
// tempered distributions, runs the sampler's swap round on them, and
// checks that the states at β = 1 still follow the exact distribution.
func TestPTSwapEmpirical(t *testing.T) {
	m := tinyModel(t, 2, 2, Generic)
	const n, C = 16, 40000
	betas := []float64{1, 0.3}
	p := &ptState{betas: betas, C: C, K: 2, a: NewMat(2*C, 2), energy: make([]float64, 2), attempts: make([]uint64, 1), accepts: make([]uint64, 1)}
	v, h := NewMat(2*C, 2), NewMat(2*C, 2)
	e := make([]float64, n)
	for x := range e {
		e[x] = jointOf(m, x)
	}
	cdf := func(b float64) []float64 {
		c := make([]float64, n)
		var z float64
		for x := range c {
			z += math.Exp(-b * e[x])
			c[x] = z
		}
		for x := range c {
			c[x] /= z
		}
		return c
	}
	s := rng.NewStream(5, 0, 77)
	for k, b := range betas {
		c := cdf(b)
		for r := 0; r < C; r++ {
			u := float64(rng.Uniform(s.Uint32(k*C+r, 0)))
			x, _ := slices.BinarySearch(c, u)
			x = min(x, n-1)
			row := k*C + r
			for j := 0; j < 2; j++ {
				v.Row(row)[j] = float32(x >> j & 1)
				h.Row(row)[j] = float32(x >> (2 + j) & 1)
			}
			for i := 0; i < 2; i++ {
				a := m.C[i]
				for j := 0; j < 2; j++ {
					a += m.W[i*2+j] * v.Row(row)[j]
				}
				p.a.Row(row)[i] = a
			}
		}
	}
	p.swap(m.B, v, h, rng.NewStream(9, 0, phasePTSwap))
	if p.attempts[0] != C || p.accepts[0] == 0 || p.accepts[0] == C {
		t.Fatalf("%d of %d swaps accepted", p.accepts[0], p.attempts[0])
	}
	count := make([]float64, n)
	for r := 0; r < C; r++ {
		x := int(v.Row(r)[0]) | int(v.Row(r)[1])<<1 | int(h.Row(r)[0])<<2 | int(h.Row(r)[1])<<3
		count[x]++
	}
	c := cdf(1)
	for x := range n {
		want := c[x]
		if x > 0 {
			want -= c[x-1]
		}
		got := count[x] / C
		if sd := math.Sqrt(want * (1 - want) / C); math.Abs(got-want) > 5*sd+1e-4 {
			t.Errorf("state %d at β=1 after the swaps: frequency %.4f, want %.4f (±%.4f)", x, got, want, sd)
		}
	}
}

// TestGibbsPTSamples checks that the β = 1 chains of GibbsPT sample the
// model's distribution p(v) (exact by enumeration) on a tiny model.
func TestGibbsPTSamples(t *testing.T) {
	m := tinyModel(t, 3, 2, Generic)
	const C = 4000
	v := make([]float32, C*3)
	acc, err := m.GibbsPT(v, 30, 7, []float64{1, 0.5, 0.2}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(acc) != 2 || acc[0] <= 0 || acc[0] > 1 || acc[1] <= 0 || acc[1] > 1 {
		t.Fatalf("swap acceptance %v", acc)
	}
	fe := make([]float32, 8)
	x := make([]float32, 8*3)
	for s := range 8 {
		for j := range 3 {
			x[s*3+j] = float32(s >> j & 1)
		}
	}
	if err := m.FreeEnergy(fe, x); err != nil {
		t.Fatal(err)
	}
	var z float64
	for _, f := range fe {
		z += math.Exp(-float64(f))
	}
	count := make([]float64, 8)
	for r := range C {
		count[int(v[r*3])|int(v[r*3+1])<<1|int(v[r*3+2])<<2]++
	}
	for s := range 8 {
		want := math.Exp(-float64(fe[s])) / z
		if sd := math.Sqrt(want * (1 - want) / C); math.Abs(count[s]/C-want) > 5*sd+1e-3 {
			t.Errorf("v = %03b: frequency %.4f, want %.4f", s, count[s]/C, want)
		}
	}
}

// ptConfig is a small PT configuration of the tests.
func ptConfig(mod func(*Config)) Config {
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.Seed = 3, 10, 42
	cfg.Sampler, cfg.Temperatures, cfg.Chains = "pt", 3, 13
	mod(&cfg)
	return cfg
}

// TestPTOneTemperatureIsPCD: PT with one temperature trains the PCD model
// bit for bit, on every built-in kernel.
func TestPTOneTemperatureIsPCD(t *testing.T) {
	const V, H = 30, 11
	data := patterns(60, V, 2)
	for _, k := range builtinKernels(t) {
		var got [2][]byte
		var chains [2][]float32
		for i, mod := range []func(*Config){
			func(c *Config) { c.PCD, c.K, c.Chains = true, 2, 7 },
			func(c *Config) { c.Sampler, c.Temperatures, c.K, c.Chains = "pt", 1, 2, 7 },
		} {
			m := tinyModel(t, V, H, k)
			m.InitVisibleBias(data)
			cfg := DefaultConfig()
			cfg.Epochs, cfg.BatchSize, cfg.Seed = 2, 10, 3
			mod(&cfg)
			tr, err := NewTrainer(m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
				t.Fatal(err)
			}
			got[i], chains[i] = modelBytes(m), tr.chains.Data
		}
		if !bytes.Equal(got[0], got[1]) || !slices.Equal(chains[0], chains[1]) {
			t.Errorf("%s: PT with one temperature differs from PCD", KernelID(k))
		}
	}
}

// TestPTDeterministicAcrossWorkers: PT trains the same model bit for bit
// with 1, 2, 3 and 7 workers, with the chains split by rows and (few
// chains) by columns.
func TestPTDeterministicAcrossWorkers(t *testing.T) {
	const V, H = 50, 37
	data := patterns(120, V, 1)
	ks, ws := builtinKernels(t), []int{1, 2, 3, 7}
	if testing.Short() { // the race run: one asm level and the fallback
		ks, ws = []Kernel{ks[0], Generic}, []int{1, 3}
	}
	for _, k := range ks {
		for _, chains := range []int{13, 2} {
			var ref []byte
			for _, workers := range ws {
				m, _ := NewRBM(V, H, 0.01, 7)
				m.SetEngine(testEngine(t, k, workers))
				m.InitVisibleBias(data)
				cfg := ptConfig(func(c *Config) { c.Chains, c.K = chains, 2 })
				tr, err := NewTrainer(m, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
					t.Fatal(err)
				}
				got := append(modelBytes(m), floatBytes(tr.chains.Data)...)
				if ref == nil {
					ref = got
				} else if !bytes.Equal(got, ref) {
					t.Errorf("%s/%d chains: %d workers differ from 1", KernelID(k), chains, workers)
				}
			}
		}
	}
}

func floatBytes(x []float32) []byte {
	b := make([]byte, 0, 4*len(x))
	for _, f := range x {
		u := math.Float32bits(f)
		b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return b
}

// TestPTResumeBitwise interrupts PT training mid-epoch and at an epoch
// boundary, resumes from the checkpoint on another worker count, and
// checks the model, the chains of every temperature, the ladder and the
// swap counters against the uninterrupted run.
func TestPTResumeBitwise(t *testing.T) {
	data := patterns(100, 30, 4)
	mod := func(c *Config) { c.Sampler, c.Chains, c.Betas, c.K = "pt", 5, "1,0.6,0.3,0.1", 1 }
	ks := []Kernel{Generic}
	if !testing.Short() {
		ks = builtinKernels(t)
	}
	for _, k := range ks {
		m, cfg := resumeSetupOn(t, k, mod, 1)
		m.InitVisibleBias(data)
		ref, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var refMet []EpochMetrics
		if err := ref.Fit(context.Background(), data, FitOptions{OnEpoch: func(e EpochMetrics) error { refMet = append(refMet, e); return nil }}); err != nil {
			t.Fatal(err)
		}
		rawRef := checkpointBytes(t, ref)
		refCk, err := ReadCheckpoint(bytes.NewReader(rawRef), int64(len(rawRef)))
		if err != nil {
			t.Fatal(err)
		}
		m2, cfg2 := resumeSetupOn(t, k, mod, 3)
		m2.InitVisibleBias(data)
		tr, _ := NewTrainer(m2, cfg2)
		var met []EpochMetrics
		workers := []int{2, 1, 4}
		for i := 0; ; i++ {
			ctx, cancel := context.WithCancel(context.Background())
			err := tr.Fit(ctx, data, FitOptions{
				OnBatch: func(e, b, n int) {
					if s := tr.Steps(); s == 5 || s == 12 || s == 30 {
						cancel()
					}
				},
				OnEpoch: func(e EpochMetrics) error { met = append(met, e); return nil }})
			cancel()
			if err == nil {
				break
			}
			if !errors.Is(err, context.Canceled) || i > 3 {
				t.Fatal(err)
			}
			raw := checkpointBytes(t, tr)
			ck, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
			if err != nil {
				t.Fatal(err)
			}
			if tr, err = ck.Resume(testEngine(t, k, workers[i%3])); err != nil {
				t.Fatal(err)
			}
		}
		raw := checkpointBytes(t, tr)
		ck, err := ReadCheckpoint(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatal(err)
		}
		if !ck.equalState(refCk) || !slices.Equal(ck.swapAttempts, refCk.swapAttempts) || !slices.Equal(ck.swapAccepts, refCk.swapAccepts) {
			t.Errorf("%s: resumed PT state differs from the uninterrupted one", KernelID(k))
		}
		if len(ck.chains) != 4*5*11 || len(refCk.swapAttempts) != 3 || refCk.swapAttempts[0] == 0 {
			t.Fatalf("%s: checkpoint holds %d chain values, counters %v", KernelID(k), len(ck.chains), refCk.swapAttempts)
		}
		if len(met) != len(refMet) {
			t.Fatalf("%d epochs of metrics, want %d", len(met), len(refMet))
		}
		for e := range met {
			if !slices.Equal(met[e].SwapAcceptance, refMet[e].SwapAcceptance) {
				t.Errorf("%s: epoch %d swap acceptance %v, uninterrupted %v", KernelID(k), e+1, met[e].SwapAcceptance, refMet[e].SwapAcceptance)
			}
		}
	}
}

// TestPTCheckpointTampered: a checkpoint whose ladder or counters were
// changed (checksums recomputed) is refused.
func TestPTCheckpointTampered(t *testing.T) {
	data := patterns(40, 30, 4)
	m, cfg := resumeSetup(t, func(c *Config) { c.Sampler, c.Temperatures, c.Chains, c.Epochs = "pt", 3, 4, 1 }, 1)
	tr, _ := NewTrainer(m, cfg)
	if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{{"ladder", "pt_betas"}, {"counters", "accepted"}, {"count", "pt_swap_attempts"}} {
		f, err := tr.checkpointFile(nil)
		if err != nil {
			t.Fatal(err)
		}
		switch tc.name {
		case "ladder":
			b, _ := f.Float32("pt_betas", 3)
			b[1] = 0.5
			x := f.Tensors["pt_betas"]
			copy(x.Data, floatBytes(b))
		case "counters":
			f.Metadata["pt_swap_accepts"] = "999999,1"
		case "count":
			f.Metadata["pt_swap_attempts"] = "1"
		}
		names := []string{}
		for _, x := range tr.tensors() {
			names = append(names, x.name)
		}
		f.Metadata["tensor_sha256"] = checksumOf(f, names)
		f.Metadata["meta_sha256"] = metaChecksum(f.Metadata)
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		_, err = ReadCheckpoint(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestPTSwapAcceptanceMetrics: the epoch metrics of PT carry one swap
// acceptance in [0, 1] a neighbouring pair, in JSON too; PCD's carry none.
func TestPTSwapAcceptanceMetrics(t *testing.T) {
	data := patterns(60, 30, 2)
	for _, sampler := range []string{"pt", "pcd"} {
		m := tinyModel(t, 30, 11, Generic)
		m.InitVisibleBias(data)
		cfg := ptConfig(func(c *Config) { c.Sampler, c.Epochs = sampler, 2 })
		if sampler != "pt" {
			cfg.Temperatures = 0
		}
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var met []EpochMetrics
		if err := tr.Fit(context.Background(), data, FitOptions{OnEpoch: func(e EpochMetrics) error { met = append(met, e); return nil }}); err != nil {
			t.Fatal(err)
		}
		for _, e := range met {
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			var back EpochMetrics
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(back.SwapAcceptance, e.SwapAcceptance) {
				t.Errorf("%s: JSON round trip gives %v, want %v", sampler, back.SwapAcceptance, e.SwapAcceptance)
			}
			if sampler == "pcd" {
				if e.SwapAcceptance != nil || strings.Contains(string(b), "swap") {
					t.Errorf("pcd metrics carry a swap acceptance: %s", b)
				}
				continue
			}
			if len(e.SwapAcceptance) != 2 || !strings.Contains(string(b), `"swap_acceptance":[`) {
				t.Fatalf("pt metrics: %s", b)
			}
			for _, a := range e.SwapAcceptance {
				if !(a >= 0 && a <= 1) {
					t.Errorf("swap acceptance %v", a)
				}
			}
			if e.SwapAcceptance[0] == 0 && e.SwapAcceptance[1] == 0 {
				t.Errorf("no swap accepted in an epoch: %v", e.SwapAcceptance)
			}
		}
	}
}

// TestPTConfigErrors: impossible sampler settings are ErrConfig errors
// that name the problem.
func TestPTConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Sampler = "gibbs" }, "sampler"},
		{func(c *Config) { c.Sampler, c.PCD = "cd", true }, "choose one"},
		{func(c *Config) { c.Sampler, c.PCD = "pt", true }, "choose one"},
		{func(c *Config) { c.Temperatures = 3 }, "pt sampler"},
		{func(c *Config) { c.Sampler, c.Betas = "pcd", "1,0.5" }, "pt sampler"},
		{func(c *Config) { c.Sampler, c.Temperatures = "pt", -1 }, "temperatures"},
		{func(c *Config) { c.Sampler, c.Chains = "pt", math.MaxInt64/2 }, "chains"},
		{func(c *Config) { c.Sampler, c.Temperatures = "pt", MaxTemperatures+1 }, "temperatures"},
		{func(c *Config) { c.Sampler, c.Betas = "pt", "0.9,0.5" }, "exactly 1"},
		{func(c *Config) { c.Sampler, c.Betas = "pt", "1,0.5,0.5" }, "strictly decrease"},
		{func(c *Config) { c.Sampler, c.Betas = "pt", "1,0.5,0" }, "> 0"},
		{func(c *Config) { c.Sampler, c.Betas = "pt", "1,NaN" }, "> 0"},
		{func(c *Config) { c.Sampler, c.Betas = "pt", "1,x" }, "not a number"},
		{func(c *Config) { c.Sampler, c.Betas, c.Temperatures = "pt", "1,0.5", 3 }, "2 betas for 3"},
		{func(c *Config) { c.Sampler, c.Betas = "pt", strings.Repeat("1,", MaxTemperatures+1)+"1" }, "betas"},
	} {
		cfg := DefaultConfig()
		tc.mod(&cfg)
		err := cfg.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: %v, want an error about %q", cfg, err, tc.want)
		}
	}
	m, _ := NewRBM(4, 3, 0.1, 1)
	m.VisibleUnits, m.Sigma = Gaussian, []float32{1, 1, 1, 1}
	cfg := DefaultConfig()
	cfg.Sampler = "pt"
	if _, err := NewTrainer(m, cfg); !errors.Is(err, ErrConfig) {
		t.Errorf("pt on gaussian units: %v", err)
	}
	if b := PTLadder(4); b[0] != 1 || math.Abs(b[3]-DefaultMinBeta) > 1e-15 || !(b[1] < 1 && b[2] < b[1] && b[3] < b[2]) {
		t.Errorf("PTLadder(4) = %v", b)
	}
}

// TestTemperedProjection checks the engine's tempered projections (the
// fallback for kernels without kernel.TemperedProjector, and the
// capability where a kernel has it) against a float64 reference: row r of
// the output is σ(β_r·(pre-activation)), β = 1 rows equal the plain
// projection bit for bit, the states are those of the probabilities
// written, and the result does not depend on the worker count.
func TestTemperedProjection(t *testing.T) {
	const V, H, R = 21, 13, 11
	m := tinyModel(t, V, H, Generic)
	x := patterns(R, V, 3)
	h := patterns(R, H, 5)
	scale := make([]float32, R)
	for r := range scale {
		scale[r] = []float32{1, 0.5, 0.25, 1, 0.1}[r%5]
	}
	for _, k := range builtinKernels(t) {
		_, native := k.(kernel.TemperedProjector)
		for _, down := range []bool{false, true} {
			var ref []float32
			for _, workers := range []int{1, 3} {
				e := testEngine(t, k, workers)
				cols, in, w, bias := H, mat(x, R, V), Mat{Rows: H, Cols: V, Stride: V, Data: m.W}, m.C
				if down {
					cols, in, bias = V, mat(h, R, H), m.B
				}
				out, st, plain := NewMat(R, cols), NewMat(R, cols), NewMat(R, cols)
				p := newProj(k, workers)
				p.down, p.out, p.in, p.w, p.bias, p.act = down, out, in, w, bias, Sigmoid
				p.sample, p.s = true, Sample{Dst: st, Stream: rng.NewStream(1, 2, 3)}
				p.scale = scale
				p.goOn(e.pool)
				p.scale = nil
				p.out, p.sample = plain, false
				p.goOn(e.pool)
				for r := range R {
					for u := range cols {
						var a float64
						if down {
							a = float64(bias[u])
							for i := range H {
								a += float64(h[r*H+i]) * float64(m.W[i*V+u])
							}
						} else {
							a = float64(bias[u])
							for j := range V {
								a += float64(x[r*V+j]) * float64(m.W[u*V+j])
							}
						}
						want := 1 / (1 + math.Exp(-float64(scale[r])*a))
						got := out.Row(r)[u]
						if math.Abs(float64(got)-want) > 1e-5 {
							t.Fatalf("%s down=%v native=%v: out[%d,%d] = %v, want %v", KernelID(k), down, native, r, u, got, want)
						}
						if scale[r] == 1 && got != plain.Row(r)[u] {
							t.Fatalf("%s: β=1 row %d differs from the plain projection", KernelID(k), r)
						}
						s := float32(0)
						if rng.Uniform(rng.NewStream(1, 2, 3).Uint32(r, u)) < got {
							s = 1
						}
						if st.Row(r)[u] != s {
							t.Fatalf("%s: state [%d,%d] = %v, want %v", KernelID(k), r, u, st.Row(r)[u], s)
						}
					}
				}
				got := append(append([]float32{}, out.Data...), st.Data...)
				if ref == nil {
					ref = got
				} else if !slices.Equal(ref, got) {
					t.Errorf("%s down=%v: %d workers differ from 1", KernelID(k), down, workers)
				}
			}
		}
	}
}

// ptCheckpoint is a checkpoint of a PT run (3 temperatures), a seed of the
// checkpoint fuzzer.
func ptCheckpoint(t testing.TB) []byte {
	m := tiny(t, 5, 3, 0.3, 2, Generic, 1)
	cfg := DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.Sampler, cfg.Chains, cfg.Betas = 2, 4, "pt", 2, "1,0.5,0.2"
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), patterns(10, 5, 1), FitOptions{}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tr.WriteCheckpoint(&buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
