package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// tiny returns a random RBM with weights and biases of order scale, computing
// on a fresh engine with the given kernel and workers.
func tiny(t testing.TB, V, H int, scale float64, seed uint64, k Kernel, workers int) *RBM {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 99))
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
	m.SetEngine(testEngine(t, k, workers))
	return m
}

func testEngine(t testing.TB, k Kernel, workers int) *Engine {
	t.Helper()
	e, err := New(WithKernel(k), WithWorkers(workers))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// bits returns the n-bit configuration number x as float64 0/1 values.
func bits(x, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(x >> i & 1)
	}
	return v
}

// energy is E(v,h) = −hᵀWv − bᵀv − cᵀh in float64.
func energy(m *RBM, v, h []float64) float64 {
	e := 0.0
	for i := range h {
		for j := range v {
			e -= h[i] * float64(m.W[i*m.Visible+j]) * v[j]
		}
		e -= float64(m.C[i]) * h[i]
	}
	for j := range v {
		e -= float64(m.B[j]) * v[j]
	}
	return e
}

// brute holds the joint distribution of a tiny RBM by enumeration.
type brute struct {
	V, H int
	p    [][]float64 // p[v][h] = exp(−E)/Z
	logZ float64
}

func enumerate(m *RBM) *brute {
	b := &brute{V: m.Visible, H: m.Hidden}
	nv, nh := 1<<m.Visible, 1<<m.Hidden
	b.p = make([][]float64, nv)
	maxE := math.Inf(-1)
	for x := 0; x < nv; x++ {
		b.p[x] = make([]float64, nh)
		for y := 0; y < nh; y++ {
			b.p[x][y] = -energy(m, bits(x, m.Visible), bits(y, m.Hidden))
			maxE = math.Max(maxE, b.p[x][y])
		}
	}
	z := 0.0
	for x := range b.p {
		for y := range b.p[x] {
			b.p[x][y] = math.Exp(b.p[x][y] - maxE)
			z += b.p[x][y]
		}
	}
	for x := range b.p {
		for y := range b.p[x] {
			b.p[x][y] /= z
		}
	}
	b.logZ = maxE + math.Log(z)
	return b
}

func (b *brute) pv(x int) float64 {
	s := 0.0
	for _, q := range b.p[x] {
		s += q
	}
	return s
}

func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// TestConditionalsByEnumeration checks p(h|v), p(v|h), F(v) and log Z against
// sums over every (v, h) of tiny RBMs, for each built-in kernel.
func TestConditionalsByEnumeration(t *testing.T) {
	for _, k := range builtinKernels(t) {
		for _, sz := range [][2]int{{1, 1}, {3, 2}, {5, 4}, {8, 3}, {4, 8}, {7, 7}} {
			V, H := sz[0], sz[1]
			m := tiny(t, V, H, 1.0, uint64(V*10+H), k, 2)
			b := enumerate(m)
			for x := 0; x < 1<<V; x++ {
				v := toF32(bits(x, V))
				ph := make([]float32, H)
				if err := m.HiddenProbs(ph, v); err != nil {
					t.Fatal(err)
				}
				pvx := b.pv(x)
				for i := 0; i < H; i++ {
					want := 0.0
					for y := 0; y < 1<<H; y++ {
						if y>>i&1 == 1 {
							want += b.p[x][y]
						}
					}
					want /= pvx
					if !relClose(float64(ph[i]), want, 1e-5) {
						t.Fatalf("%s V=%d H=%d: p(h%d=1|v=%b) = %v, enumeration %v", k.Name(), V, H, i, x, ph[i], want)
					}
				}
				fe := make([]float32, 1)
				if err := m.FreeEnergy(fe, v); err != nil {
					t.Fatal(err)
				}
				// log p(v) = −F(v) − log Z
				if got, want := -float64(fe[0])-b.logZ, math.Log(pvx); !relClose(got, want, 1e-5) {
					t.Fatalf("%s V=%d H=%d: −F(v)−logZ = %v, log p(v) = %v", k.Name(), V, H, got, want)
				}
			}
			for y := 0; y < 1<<H; y++ {
				h := toF32(bits(y, H))
				pv := make([]float32, V)
				if err := m.VisibleProbs(pv, h); err != nil {
					t.Fatal(err)
				}
				ph := 0.0
				for x := 0; x < 1<<V; x++ {
					ph += b.p[x][y]
				}
				for j := 0; j < V; j++ {
					want := 0.0
					for x := 0; x < 1<<V; x++ {
						if x>>j&1 == 1 {
							want += b.p[x][y]
						}
					}
					if !relClose(float64(pv[j]), want/ph, 1e-5) {
						t.Fatalf("%s: p(v%d=1|h=%b) = %v, enumeration %v", k.Name(), j, y, pv[j], want/ph)
					}
				}
			}
			lz, err := m.LogZExact(0)
			if err != nil {
				t.Fatal(err)
			}
			if !relClose(lz, b.logZ, 1e-5) {
				t.Errorf("%s V=%d H=%d: LogZExact = %v, enumeration %v", k.Name(), V, H, lz, b.logZ)
			}
			// Both enumeration directions agree.
			lh, _ := m.logZEnum(context.Background(), true, 24)
			lv, _ := m.logZEnum(context.Background(), false, 24)
			if !relClose(lh, lv, 1e-5) {
				t.Errorf("log Z over hidden %v != over visible %v", lh, lv)
			}
		}
	}
}

func toF32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// exactGradient returns the exact ∂ mean log p(v)/∂W, ∂b, ∂c for data rows
// (as configuration numbers): data term minus model term, by enumeration.
func exactGradient(m *RBM, b *brute, data []int) (gW, gB, gC []float64) {
	V, H := m.Visible, m.Hidden
	gW, gB, gC = make([]float64, H*V), make([]float64, V), make([]float64, H)
	// Data term: E[h_i v_j | v] averaged over the data.
	for _, x := range data {
		v := bits(x, V)
		pvx := b.pv(x)
		for y := 0; y < 1<<H; y++ {
			h := bits(y, H)
			w := b.p[x][y] / pvx / float64(len(data))
			addOuter(gW, gB, gC, h, v, w)
		}
	}
	// Model term: E[h_i v_j] under the model.
	for x := 0; x < 1<<V; x++ {
		for y := 0; y < 1<<H; y++ {
			addOuter(gW, gB, gC, bits(y, H), bits(x, V), -b.p[x][y])
		}
	}
	return
}

func addOuter(gW, gB, gC, h, v []float64, w float64) {
	for i := range h {
		for j := range v {
			gW[i*len(v)+j] += w * h[i] * v[j]
		}
		gC[i] += w * h[i]
	}
	for j := range v {
		gB[j] += w * v[j]
	}
}

// TestExactGradientFiniteDifference checks the enumerated gradient (data
// term minus model term) against central differences of the exact mean
// log-likelihood computed by the engine (free energies and LogZExact).
func TestExactGradientFiniteDifference(t *testing.T) {
	m := tiny(t, 5, 4, 0.7, 3, Generic, 1)
	data := []int{3, 17, 30, 9, 9, 21}
	dataV := make([]float32, 0, len(data)*m.Visible)
	for _, x := range data {
		dataV = append(dataV, toF32(bits(x, m.Visible))...)
	}
	gW, gB, gC := exactGradient(m, enumerate(m), data)
	ll := func() float64 {
		lz, err := m.LogZExact(0)
		if err != nil {
			t.Fatal(err)
		}
		l, err := m.LogLikelihood(dataV, lz)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	const h = 1e-2
	check := func(name string, p []float32, g []float64) {
		for i := range p {
			old := p[i]
			p[i] = old + h
			up := ll()
			p[i] = old - h
			down := ll()
			p[i] = old
			fd := (up - down) / (2 * h)
			if math.Abs(fd-g[i]) > 2e-3 {
				t.Errorf("∂/∂%s[%d]: enumeration %v, finite difference %v", name, i, g[i], fd)
			}
		}
	}
	check("W", m.W, gW)
	check("b", m.B, gB)
	check("c", m.C, gC)
}

// TestCDkApproachesExactGradient estimates the CD-k gradient (Gibbs chains of
// k sweeps started at the data, model term E[p(h|v_k) v_kᵀ]) with the
// engine's sampler on many chains, and checks (1) the Monte Carlo estimate
// matches the exact CD-k expectation computed with the k-th power of the
// Gibbs transition matrix, within 5 standard errors, and (2) the exact CD-k
// expectation approaches the true gradient as k grows: its error falls with
// k and is below 1 % of the gradient's size at k = 200.
func TestCDkApproachesExactGradient(t *testing.T) {
	const V, H = 4, 3
	m := tiny(t, V, H, 1.0, 11, Generic, 2)
	b := enumerate(m)
	data := []int{1, 6, 6, 13, 15}
	gW, _, _ := exactGradient(m, b, data)

	// Gibbs transition matrix over visible states: T[x][x'] = Σ_h p(h|x) p(x'|h).
	nv, nh := 1<<V, 1<<H
	T := make([][]float64, nv)
	for x := range T {
		T[x] = make([]float64, nv)
		pvx := b.pv(x)
		for y := 0; y < nh; y++ {
			phx := b.p[x][y] / pvx
			ph := 0.0
			for x2 := 0; x2 < nv; x2++ {
				ph += b.p[x2][y]
			}
			for x2 := 0; x2 < nv; x2++ {
				T[x][x2] += phx * b.p[x2][y] / ph
			}
		}
	}
	// Data distribution, pushed through k sweeps.
	dist := make([]float64, nv)
	for _, x := range data {
		dist[x] += 1 / float64(len(data))
	}
	// cdGrad is the data term minus E over dist of p(h|v)vᵀ.
	dataTerm := make([]float64, H*V)
	modelTerm := func(d []float64) []float64 {
		g := make([]float64, H*V)
		for x, w := range d {
			v := bits(x, V)
			ph := make([]float32, H)
			if err := m.HiddenProbs(ph, toF32(v)); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < H; i++ {
				for j := 0; j < V; j++ {
					g[i*V+j] += w * float64(ph[i]) * v[j]
				}
			}
		}
		return g
	}
	copy(dataTerm, modelTerm(dist))
	errAt := map[int]float64{}
	exactCD := map[int][]float64{}
	norm := 0.0
	for _, g := range gW {
		norm += g * g
	}
	norm = math.Sqrt(norm)
	for k := 1; k <= 200; k++ {
		next := make([]float64, nv)
		for x, w := range dist {
			for x2, p := range T[x] {
				next[x2] += w * p
			}
		}
		dist = next
		mt := modelTerm(dist)
		cd := make([]float64, H*V)
		e := 0.0
		for i := range cd {
			cd[i] = dataTerm[i] - mt[i]
			e += (cd[i] - gW[i]) * (cd[i] - gW[i])
		}
		errAt[k], exactCD[k] = math.Sqrt(e), cd
	}
	if !(errAt[1] > errAt[5] && errAt[5] > errAt[20] && errAt[200] < 0.01*norm) {
		t.Errorf("CD-k error does not shrink with k: k=1 %.4g, k=5 %.4g, k=20 %.4g, k=200 %.4g (|grad| %.4g)",
			errAt[1], errAt[5], errAt[20], errAt[200], norm)
	}

	// Monte Carlo with the engine's sampler: n chains per data row.
	const chainsPerRow = 8000
	for _, k := range []int{1, 3} {
		rows := chainsPerRow * len(data)
		v := make([]float32, rows*V)
		for r := 0; r < rows; r++ {
			copy(v[r*V:], toF32(bits(data[r%len(data)], V)))
		}
		if err := m.Gibbs(v, k, uint64(100+k), false); err != nil {
			t.Fatal(err)
		}
		ph := make([]float32, rows*H)
		if err := m.HiddenProbs(ph, v); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < H; i++ {
			for j := 0; j < V; j++ {
				var s float64
				for r := 0; r < rows; r++ {
					s += float64(ph[r*H+i]) * float64(v[r*V+j])
				}
				mc := dataTerm[i*V+j] - s/float64(rows)
				se := 0.5 / math.Sqrt(float64(rows))
				if d := math.Abs(mc - exactCD[k][i*V+j]); d > 5*se {
					t.Errorf("CD-%d W[%d,%d]: Monte Carlo %v, exact %v (|diff| %.3g > 5 SE %.3g)", k, i, j, mc, exactCD[k][i*V+j], d, 5*se)
				}
			}
		}
	}
}
