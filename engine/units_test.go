package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/rng"
)

// ref is a float64 model of any visible type for the brute-force checks:
// everything here is computed from the energy E(v, h) alone, by enumeration
// of the discrete configurations and numerical integration of the Gaussian
// visible units.
type ref struct {
	typ     UnitType
	V, H, q int
	W       []float64 // H×V
	b, c, s []float64 // s: σ (gaussian)
}

func refOf(m *RBM) *ref {
	r := &ref{typ: m.VisibleUnits, V: m.Visible, H: m.Hidden, q: m.States,
		W: f64(m.W), b: f64(m.B), c: f64(m.C), s: f64(m.Sigma)}
	return r
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// energy is E(v, h) of the definitions.
func (r *ref) energy(v, h []float64) float64 {
	var e float64
	for i := 0; i < r.H; i++ {
		e -= r.c[i] * h[i]
		for j := 0; j < r.V; j++ {
			x := v[j]
			if r.typ == Gaussian {
				x /= r.s[j] * r.s[j]
			}
			e -= h[i] * r.W[i*r.V+j] * x
		}
	}
	for j := 0; j < r.V; j++ {
		if r.typ == Gaussian {
			d := v[j] - r.b[j]
			e += d * d / (2 * r.s[j] * r.s[j])
		} else {
			e -= r.b[j] * v[j]
		}
	}
	return e
}

// visibles calls f with every discrete visible configuration and its
// quadrature weight (1), or with the points and weights of a trapezoid grid
// over ±14σ around the means' range for Gaussian units (V ≤ 2).
func (r *ref) visibles(f func(v []float64, w float64)) {
	v := make([]float64, r.V)
	switch r.typ {
	case Bernoulli:
		for x := 0; x < 1<<r.V; x++ {
			copy(v, bits(x, r.V))
			f(v, 1)
		}
	case Categorical:
		n := r.V / r.q
		total := 1
		for p := 0; p < n; p++ {
			total *= r.q
		}
		for x := 0; x < total; x++ {
			clear(v)
			y := x
			for p := 0; p < n; p++ {
				v[p*r.q+y%r.q] = 1
				y /= r.q
			}
			f(v, 1)
		}
	case Gaussian:
		pts := 1400 // the trapezoid rule is spectrally accurate on these smooth, fast-decaying integrands
		if r.V > 1 {
			pts = 500
		}
		lo, step := make([]float64, r.V), make([]float64, r.V)
		for j := 0; j < r.V; j++ {
			var wsum float64
			for i := 0; i < r.H; i++ {
				wsum += math.Abs(r.W[i*r.V+j])
			}
			l, h := r.b[j]-wsum-14*r.s[j], r.b[j]+wsum+14*r.s[j]
			lo[j], step[j] = l, (h-l)/float64(pts)
		}
		var rec func(j int, w float64)
		rec = func(j int, w float64) {
			if j == r.V {
				f(v, w)
				return
			}
			for k := 0; k <= pts; k++ {
				v[j] = lo[j] + float64(k)*step[j]
				wk := step[j]
				if k == 0 || k == pts {
					wk /= 2
				}
				rec(j+1, w*wk)
			}
		}
		rec(0, 1)
	}
}

func (r *ref) hiddens(f func(h []float64)) {
	for x := 0; x < 1<<r.H; x++ {
		f(bits(x, r.H))
	}
}

func (r *ref) logZ() float64 {
	l := newLogSumExp()
	r.visibles(func(v []float64, w float64) {
		r.hiddens(func(h []float64) { l.add(-r.energy(v, h) + math.Log(w)) })
	})
	return l.value()
}

func (r *ref) freeEnergy(v []float64) float64 {
	l := newLogSumExp()
	r.hiddens(func(h []float64) { l.add(-r.energy(v, h)) })
	return -l.value()
}

// hiddenProb is p(h_i=1|v) by enumeration of h.
func (r *ref) hiddenProb(v []float64, i int) float64 {
	var on, all float64
	f := r.freeEnergy(v)
	r.hiddens(func(h []float64) {
		p := math.Exp(-r.energy(v, h) + f)
		all += p
		if h[i] == 1 {
			on += p
		}
	})
	return on / all
}

// unitModel returns a tiny model of type u with random parameters.
func unitModel(t testing.TB, u UnitType, V, H, q int, seed uint64, k Kernel) *RBM {
	t.Helper()
	m := tiny(t, V, H, 0.8, seed, k, 2)
	if err := m.SetVisibleUnits(u, q); err != nil {
		t.Fatal(err)
	}
	if u == Gaussian {
		r := rand.New(rand.NewPCG(seed, 7))
		for j := range m.Sigma {
			m.Sigma[j] = float32(0.5 + r.Float64())
		}
	}
	return m
}

// TestUnitsByEnumeration checks p(h|v), the visible means and
// probabilities, F(v) and log Z of Gaussian and categorical models against
// the brute force of ref, at 1e-5 relative, for every built-in kernel.
func TestUnitsByEnumeration(t *testing.T) {
	cases := []struct {
		u       UnitType
		V, H, q int
	}{{Gaussian, 1, 1, 0}, {Gaussian, 1, 3, 0}, {Gaussian, 2, 2, 0}, {Gaussian, 2, 4, 0},
		{Categorical, 2, 2, 2}, {Categorical, 6, 3, 3}, {Categorical, 8, 4, 4}, {Categorical, 9, 5, 3}}
	for _, k := range builtinKernels(t) {
		for ci, c := range cases {
			m := unitModel(t, c.u, c.V, c.H, c.q, uint64(ci+1), k)
			r := refOf(m)
			what := func() string { return k.Name() + " " + c.u.String() }
			// Some visible rows: grid points for Gaussian, configurations for
			// categorical.
			var rows [][]float64
			rr := rand.New(rand.NewPCG(uint64(ci), 1))
			for n := 0; n < 5; n++ {
				v := make([]float64, c.V)
				for j := range v {
					if c.u == Gaussian {
						v[j] = float64(float32(rr.NormFloat64() * 2))
					}
				}
				if c.u == Categorical {
					for p := 0; p < c.V/c.q; p++ {
						v[p*c.q+rr.IntN(c.q)] = 1
					}
				}
				rows = append(rows, v)
			}
			for _, v := range rows {
				v32 := toF32(v)
				ph := make([]float32, c.H)
				if err := m.HiddenProbs(ph, v32); err != nil {
					t.Fatal(err)
				}
				for i := range ph {
					if want := r.hiddenProb(v, i); !relClose(float64(ph[i]), want, 1e-5) {
						t.Errorf("%s: p(h_%d=1|v=%v) = %v, enumeration %v", what(), i, v, ph[i], want)
					}
				}
				fe := make([]float32, 1)
				if err := m.FreeEnergy(fe, v32); err != nil {
					t.Fatal(err)
				}
				if want := r.freeEnergy(v); !relClose(float64(fe[0]), want, 1e-5) {
					t.Errorf("%s: F(%v) = %v, enumeration %v", what(), v, fe[0], want)
				}
			}
			// p(v|h) for every h: the means (by integration) or the state
			// probabilities (by enumeration of the visible configurations).
			r.hiddens(func(h []float64) {
				got := make([]float32, c.V)
				if err := m.VisibleProbs(got, toF32(h)); err != nil {
					t.Fatal(err)
				}
				want := make([]float64, c.V)
				var z float64
				r.visibles(func(v []float64, w float64) {
					p := w * math.Exp(-r.energy(v, h))
					z += p
					for j := range want {
						want[j] += p * v[j]
					}
				})
				for j := range want {
					if !relClose(float64(got[j]), want[j]/z, 1e-5) {
						t.Errorf("%s: E[v_%d|h=%v] = %v, brute force %v", what(), j, h, got[j], want[j]/z)
					}
				}
			})
			lz, err := m.LogZExact(0)
			if err != nil {
				t.Fatal(err)
			}
			if want := r.logZ(); !relClose(lz, want, 1e-5) {
				t.Errorf("%s V=%d H=%d: log Z = %v, brute force %v", what(), c.V, c.H, lz, want)
			}
		}
	}
}

// TestCategoricalLogZVisibleSide checks the enumeration of the visible
// configurations of a categorical model (used when H is above the cap)
// against the hidden-side enumeration and brute force.
func TestCategoricalLogZVisibleSide(t *testing.T) {
	for _, k := range builtinKernels(t) {
		m := unitModel(t, Categorical, 9, 7, 3, 77, k)
		hidden, err := m.LogZExact(0)
		if err != nil {
			t.Fatal(err)
		}
		visible, err := m.LogZExact(6) // H = 7 > 6: the 3^3 = 27 ≤ 2^6 visible configurations
		if err != nil {
			t.Fatal(err)
		}
		if want := refOf(m).logZ(); !relClose(hidden, want, 1e-5) || !relClose(visible, want, 1e-5) {
			t.Errorf("%s: log Z %v over h, %v over v, brute force %v", k.Name(), hidden, visible, want)
		}
		if _, err := m.LogZExact(4); !errors.Is(err, ErrConfig) { // 27 > 2^4 and 7 > 4
			t.Errorf("%s: LogZExact(4) = %v, want ErrConfig", k.Name(), err)
		}
	}
}

// gradient is the exact log-likelihood gradient of the data rows in the
// formulas the trainer uses (cdunits.go): data-phase statistics minus the
// model's expectations, the latter by enumeration and integration. The
// returned slices are dW (H×V), db, dc, dz.
func (r *ref) gradient(data [][]float64) (dW, db, dc, dz []float64) {
	dW, db, dc, dz = make([]float64, r.H*r.V), make([]float64, r.V), make([]float64, r.H), make([]float64, r.V)
	stats := func(v, h []float64, w float64) {
		for j := 0; j < r.V; j++ {
			x, bj := v[j], v[j]
			if r.typ == Gaussian {
				s2 := r.s[j] * r.s[j]
				x = v[j] / s2
				bj = (v[j] - r.b[j]) / s2
				var u float64
				for i := 0; i < r.H; i++ {
					u += r.W[i*r.V+j] * h[i]
				}
				dz[j] += w * ((v[j]-r.b[j])*(v[j]-r.b[j])/(2*s2) - v[j]*u/s2)
			}
			db[j] += w * bj
			for i := 0; i < r.H; i++ {
				dW[i*r.V+j] += w * h[i] * x
			}
		}
		for i := 0; i < r.H; i++ {
			dc[i] += w * h[i]
		}
	}
	for _, v := range data {
		ph := make([]float64, r.H)
		for i := range ph {
			ph[i] = r.hiddenProb(v, i)
		}
		stats(v, ph, 1/float64(len(data)))
	}
	lz := r.logZ()
	r.visibles(func(v []float64, w float64) {
		r.hiddens(func(h []float64) {
			stats(v, h, -w*math.Exp(-r.energy(v, h)-lz))
		})
	})
	return
}

func (r *ref) logLik(data [][]float64) float64 {
	var s float64
	for _, v := range data {
		s -= r.freeEnergy(v)
	}
	return s/float64(len(data)) - r.logZ()
}

// TestUnitsGradientFiniteDifferences checks the gradient formulas of the
// trainer (W, b, c, and z = log σ² for Gaussian units) against central
// finite differences of the exact log-likelihood, on tiny models.
func TestUnitsGradientFiniteDifferences(t *testing.T) {
	for ci, c := range []struct {
		u       UnitType
		V, H, q int
	}{{Gaussian, 1, 2, 0}, {Gaussian, 2, 2, 0}, {Categorical, 6, 2, 3}} {
		m := unitModel(t, c.u, c.V, c.H, c.q, uint64(40+ci), mustKernel("generic"))
		r := refOf(m)
		rr := rand.New(rand.NewPCG(3, uint64(ci)))
		var data [][]float64
		for n := 0; n < 4; n++ {
			v := make([]float64, c.V)
			for j := range v {
				if c.u == Gaussian {
					v[j] = rr.NormFloat64()
				}
			}
			if c.u == Categorical {
				for p := 0; p < c.V/c.q; p++ {
					v[p*c.q+rr.IntN(c.q)] = 1
				}
			}
			data = append(data, v)
		}
		dW, db, dc, dz := r.gradient(data)
		const eps = 1e-4
		check := func(name string, p []float64, i int, g float64, set func(x float64)) {
			x := p[i]
			set(x + eps)
			up := r.logLik(data)
			set(x - eps)
			dn := r.logLik(data)
			set(x)
			fd := (up - dn) / (2 * eps)
			if math.Abs(fd-g) > 2e-5*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s: ∂LL/∂%s[%d] = %v by the formula, %v by finite differences", c.u, name, i, g, fd)
			}
		}
		for i := range r.W {
			check("W", r.W, i, dW[i], func(x float64) { r.W[i] = x })
		}
		for j := range r.b {
			check("b", r.b, j, db[j], func(x float64) { r.b[j] = x })
		}
		for i := range r.c {
			check("c", r.c, i, dc[i], func(x float64) { r.c[i] = x })
		}
		if c.u == Gaussian {
			for j := range r.s {
				z := math.Log(r.s[j] * r.s[j])
				zs := []float64{z}
				check("z", zs, 0, dz[j], func(x float64) { r.s[j] = math.Exp(x / 2) })
			}
		}
	}
}

// TestUnitsCDStepMatchesFormulas replays one CD-1 step (momentum and decay
// off, σ learned) of a Gaussian and a categorical model in float64 from the
// definitions, with the hidden sample drawn from the trainer's stream, and
// compares every parameter.
func TestUnitsCDStepMatchesFormulas(t *testing.T) {
	for _, k := range builtinKernels(t) {
		for _, u := range []UnitType{Gaussian, Categorical} {
			V, H, q := 6, 5, 0
			if u == Categorical {
				q = 3
			}
			m := unitModel(t, u, V, H, q, 9, k)
			before := refOf(m.Clone())
			const R = 4
			rr := rand.New(rand.NewPCG(5, 5))
			data := make([]float32, R*V)
			for row := 0; row < R; row++ {
				for j := 0; j < V; j++ {
					if u == Gaussian {
						data[row*V+j] = float32(rr.NormFloat64())
					}
				}
				if u == Categorical {
					for p := 0; p < V/q; p++ {
						data[row*V+p*q+rr.IntN(q)] = 1
					}
				}
			}
			cfg := DefaultConfig()
			cfg.BatchSize, cfg.InitialMomentum, cfg.WeightDecay, cfg.LearningRate = R, 0, 0, 0.05
			cfg.LearnSigma, cfg.SigmaLR = u == Gaussian, 0.02
			ph0 := make([]float32, R*H)
			if err := m.HiddenProbs(ph0, data); err != nil {
				t.Fatal(err)
			}
			tr, err := NewTrainer(m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Step(data); err != nil {
				t.Fatal(err)
			}
			// The reference step: h0 ~ the trainer's stream, v1 = a sample of
			// the Gaussian units (from the stream of phase 1) or the
			// categorical probabilities given h0, ph1 = p(h|v1).
			st := rng.Stream{Key: rng.Key(cfg.Seed), Step: 0, Phase: phaseTrain}
			r := before
			dW, db, dc, dz := make([]float64, H*V), make([]float64, V), make([]float64, H), make([]float64, V)
			acc := func(v, h []float64, w float64) {
				for j := 0; j < V; j++ {
					x := v[j]
					if u == Gaussian {
						s2 := r.s[j] * r.s[j]
						x /= s2
						var a float64
						for i := 0; i < H; i++ {
							a += r.W[i*V+j] * h[i]
						}
						dz[j] += w * ((v[j]-r.b[j])*(v[j]-r.b[j])/(2*s2) - v[j]*a/s2)
					}
					db[j] += w * x
					for i := 0; i < H; i++ {
						dW[i*V+j] += w * h[i] * x
					}
				}
				for i := 0; i < H; i++ {
					dc[i] += w * h[i]
				}
			}
			for row := 0; row < R; row++ {
				v0 := f64(data[row*V : (row+1)*V])
				p0 := f64(ph0[row*H : (row+1)*H])
				h0 := make([]float32, H)
				st.Bernoulli(h0, ph0[row*H:(row+1)*H], row, 0)
				v1 := make([]float64, V)
				for j := range v1 {
					a := r.b[j]
					for i := 0; i < H; i++ {
						a += r.W[i*V+j] * float64(h0[i])
					}
					v1[j] = a
					if u == Gaussian {
						v1[j] += r.s[j] * float64(float32(rng.Stream{Key: rng.Key(cfg.Seed), Step: 0, Phase: 1}.Normal(row, j)))
					}
				}
				if u == Categorical {
					for g := 0; g < V; g += q {
						mx := math.Inf(-1)
						for _, a := range v1[g : g+q] {
							mx = math.Max(mx, a)
						}
						var z float64
						for s := g; s < g+q; s++ {
							v1[s] = math.Exp(v1[s] - mx)
							z += v1[s]
						}
						for s := g; s < g+q; s++ {
							v1[s] /= z
						}
					}
				}
				p1 := make([]float64, H)
				for i := range p1 {
					a := r.c[i]
					for j := 0; j < V; j++ {
						x := v1[j]
						if u == Gaussian {
							x /= r.s[j] * r.s[j]
						}
						a += r.W[i*V+j] * x
					}
					p1[i] = 1 / (1 + math.Exp(-a))
				}
				acc(v0, p0, 1.0/R)
				acc(v1, p1, -1.0/R)
			}
			lr := cfg.LearningRate
			near := func(name string, i int, got float32, want float64) {
				if math.Abs(float64(got)-want) > 2e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("%s %s: %s[%d] = %v after the step, the formulas give %v", k.Name(), u, name, i, got, want)
				}
			}
			for i := range dW {
				near("W", i, m.W[i], r.W[i]+lr*dW[i])
			}
			for j := range db {
				near("b", j, m.B[j], r.b[j]+lr*db[j])
			}
			for i := range dc {
				near("c", i, m.C[i], r.c[i]+lr*dc[i])
			}
			if u == Gaussian {
				for j := range dz {
					want := math.Exp((math.Log(r.s[j]*r.s[j]) + cfg.SigmaLR*dz[j]) / 2)
					near("σ", j, m.Sigma[j], want)
					if m.Sigma[j] == float32(r.s[j]) {
						t.Errorf("%s: σ[%d] did not move", k.Name(), j)
					}
				}
			}
		}
	}
}

// unitData returns rows of data for a model of type u: Gaussian mixtures of
// two prototypes, or one-hot positions drawn near a prototype.
func unitData(u UnitType, rows, V, q int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 13))
	x := make([]float32, rows*V)
	for row := 0; row < rows; row++ {
		p := r.IntN(2)
		switch u {
		case Gaussian:
			for j := 0; j < V; j++ {
				mu := 1.5
				if (j+p)%2 == 0 {
					mu = -1
				}
				x[row*V+j] = float32(mu + 0.5*r.NormFloat64())
			}
		case Categorical:
			for pos := 0; pos < V/q; pos++ {
				s := (pos + p) % q
				if r.Float64() < 0.2 {
					s = r.IntN(q)
				}
				x[row*V+pos*q+s] = 1
			}
		}
	}
	return x
}

func unitBytes(m *RBM) []byte {
	b := modelBytes(m)
	for _, s := range m.Sigma {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(s))
	}
	return b
}

// TestUnitsDeterministicAcrossWorkers is TestDeterministicAcrossWorkers for
// Gaussian (fixed and learned σ) and categorical visible units: the models
// trained with 1, 2, 3 and 7 workers are bitwise identical, for CD and PCD,
// and for batches small enough that the projections split columns.
func TestUnitsDeterministicAcrossWorkers(t *testing.T) {
	const H = 19
	cases := []struct {
		name string
		u    UnitType
		V, q int
		mod  func(*Config)
	}{
		{"gauss-cd1", Gaussian, 24, 0, func(c *Config) {}},
		{"gauss-sigma-cd2", Gaussian, 24, 0, func(c *Config) { c.LearnSigma = true; c.K = 2 }},
		{"gauss-sigma-pcd", Gaussian, 24, 0, func(c *Config) { c.LearnSigma = true; c.PCD = true; c.Chains = 7 }},
		{"gauss-batch2-cols", Gaussian, 40, 0, func(c *Config) { c.LearnSigma = true; c.BatchSize = 2 }},
		{"cat-cd2", Categorical, 30, 3, func(c *Config) { c.K = 2 }},
		{"cat-pcd", Categorical, 42, 21, func(c *Config) { c.PCD = true; c.Chains = 5; c.SparsityTarget = 0.1 }},
		{"cat-batch2", Categorical, 40, 4, func(c *Config) { c.BatchSize = 2 }},
	}
	for _, k := range builtinKernels(t) {
		for _, tc := range cases {
			data := unitData(tc.u, 60, tc.V, tc.q, 2)
			var ref []byte
			for _, workers := range []int{1, 2, 3, 7} {
				m, err := NewRBM(tc.V, H, 0.05, 7)
				if err != nil {
					t.Fatal(err)
				}
				if err := m.SetVisibleUnits(tc.u, tc.q); err != nil {
					t.Fatal(err)
				}
				m.SetEngine(testEngine(t, k, workers))
				if err := m.InitVisibleBias(data); err != nil {
					t.Fatal(err)
				}
				cfg := DefaultConfig()
				cfg.Epochs, cfg.BatchSize, cfg.Seed, cfg.LearningRate = 3, 10, 42, 0.02
				tc.mod(&cfg)
				tr, err := NewTrainer(m, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
					t.Fatalf("%s/%s: %v", KernelID(k), tc.name, err)
				}
				got := unitBytes(m)
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

// TestUnitsTrainingRaisesLogLikelihood trains small Gaussian and categorical
// models and checks that the exact log-likelihood of the data rises well
// above that of the initial model.
func TestUnitsTrainingRaisesLogLikelihood(t *testing.T) {
	for _, tc := range []struct {
		u    UnitType
		V, q int
	}{{Gaussian, 6, 0}, {Categorical, 12, 3}} {
		data := unitData(tc.u, 400, tc.V, tc.q, 3)
		m, _ := NewRBM(tc.V, 8, 0.05, 3)
		if err := m.SetVisibleUnits(tc.u, tc.q); err != nil {
			t.Fatal(err)
		}
		if err := m.InitVisibleBias(data); err != nil {
			t.Fatal(err)
		}
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
		cfg.Epochs, cfg.BatchSize, cfg.LearningRate = 30, 20, 0.02
		cfg.LearnSigma = tc.u == Gaussian
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Fit(context.Background(), data, FitOptions{}); err != nil {
			t.Fatal(err)
		}
		after := ll()
		if !(after > before+0.5) {
			t.Errorf("%s: exact log-likelihood %v before training, %v after", tc.u, before, after)
		}
		t.Logf("%s: log-likelihood %v -> %v", tc.u, before, after)
	}
}

// TestUnitsInputChecks: bad units, σ ≤ 0, NaN and Inf inputs and
// non-one-hot training rows are one-line errors with the right sentinel.
func TestUnitsInputChecks(t *testing.T) {
	m, _ := NewRBM(6, 3, 0, 1)
	for _, c := range []struct {
		u UnitType
		q int
	}{{Categorical, 4}, {Categorical, 1}, {Gaussian, 3}, {Bernoulli, 2}, {UnitType(9), 0}} {
		if err := m.SetVisibleUnits(c.u, c.q); !errors.Is(err, ErrConfig) {
			t.Errorf("SetVisibleUnits(%v, %d) = %v, want ErrConfig", c.u, c.q, err)
		}
	}
	if _, err := ParseUnitType("potts"); !errors.Is(err, ErrConfig) {
		t.Errorf("ParseUnitType(potts) = %v", err)
	}
	for _, n := range []string{"bernoulli", "gaussian", "categorical"} {
		if u, err := ParseUnitType(n); err != nil || u.String() != n {
			t.Errorf("ParseUnitType(%s) = %v, %v", n, u, err)
		}
	}
	g, _ := NewRBM(3, 2, 0, 1)
	g.SetVisibleUnits(Gaussian, 0)
	for _, s := range []float32{0, -1, float32(math.NaN()), float32(math.Inf(1))} {
		g.Sigma[1] = s
		if err := g.Validate(); !errors.Is(err, ErrValue) {
			t.Errorf("σ = %v: Validate = %v, want ErrValue", s, err)
		}
	}
	g.Sigma[1] = 1
	ph := make([]float32, 2)
	for _, x := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
		if err := g.HiddenProbs(ph, []float32{0, x, 5}); !errors.Is(err, ErrValue) {
			t.Errorf("gaussian input %v: %v, want ErrValue", x, err)
		}
	}
	if err := g.HiddenProbs(ph, []float32{-3, 7, 5}); err != nil {
		t.Errorf("gaussian units refuse real values: %v", err)
	}
	if err := g.ReconstructionCrossEntropy(make([]float32, 1), []float32{1, 2, 3}); !errors.Is(err, ErrConfig) {
		t.Errorf("cross-entropy of gaussian units: %v", err)
	}
	if err := g.PseudoLogLikelihood(make([]float32, 1), []float32{1, 2, 3}, 1); !errors.Is(err, ErrConfig) {
		t.Errorf("PLL of gaussian units: %v", err)
	}
	if _, err := g.AIS(context.Background(), AISOptions{Runs: 1}); !errors.Is(err, ErrConfig) {
		t.Errorf("AIS of gaussian units with 1 run: %v", err)
	}
	if _, err := g.AIS(context.Background(), AISOptions{Data: []float32{1, 2, float32(math.NaN())}}); !errors.Is(err, ErrValue) {
		t.Errorf("AIS of gaussian units with NaN data: %v", err)
	}
	b, _ := NewRBM(3, 2, 0, 1)
	cfg := DefaultConfig()
	cfg.LearnSigma = true
	if _, err := NewTrainer(b, cfg); !errors.Is(err, ErrConfig) {
		t.Errorf("LearnSigma on bernoulli units: %v", err)
	}
	c, _ := NewRBM(6, 2, 0, 1)
	c.SetVisibleUnits(Categorical, 3)
	cfg = DefaultConfig()
	cfg.BatchSize = 1
	tr, err := NewTrainer(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range [][]float32{{1, 1, 0, 0, 0, 1}, {0, 0, 0, 0, 1, 0}, {0.5, 0.5, 0, 0, 0, 1}} {
		err := tr.Step(row)
		if !errors.Is(err, ErrValue) || strings.Contains(err.Error(), "\n") {
			t.Errorf("categorical training row %v: %v, want a one-line ErrValue", row, err)
		}
	}
	if err := tr.Step([]float32{0, 1, 0, 0, 0, 1}); err != nil {
		t.Errorf("a one-hot row: %v", err)
	}
}

// TestUnitsStepAllocs: Step of Gaussian (learned σ) and categorical models
// allocates nothing after the first call, like the Bernoulli step.
func TestUnitsStepAllocs(t *testing.T) {
	for _, k := range builtinKernels(t) {
		for _, u := range []UnitType{Gaussian, Categorical} {
			q := 0
			if u == Categorical {
				q = 4
			}
			m, _ := NewRBM(24, 9, 0.05, 1)
			m.SetVisibleUnits(u, q)
			m.SetEngine(testEngine(t, k, 2))
			data := unitData(u, 10, 24, q, 1)
			cfg := DefaultConfig()
			cfg.BatchSize, cfg.LearnSigma, cfg.K = 10, u == Gaussian, 2
			tr, err := NewTrainer(m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			tr.Step(data)
			if n := testing.AllocsPerRun(20, func() { tr.Step(data) }); n > 0 {
				t.Errorf("%s %s: Step allocates %v times", KernelID(k), u, n)
			}
		}
	}
}
