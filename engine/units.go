package engine

import (
	"fmt"
	"math"

	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// Unit types: the seam between the layers' distributions and the rest of
// the engine. Every per-type decision of the engine (the input checks, the
// input scaling of the up projection, the units of a projection's
// write-back, the free-energy and log Z terms, the reconstruction error)
// is a method here, switching on the layer's UnitType. The hidden layer is
// Bernoulli; another hidden type (ReLU, say) is a new UnitType and the cases
// of hiddenUnits and of these methods.

// UnitType is the distribution of a layer's units given the other layer.
type UnitType uint8

const (
	// Bernoulli units v ∈ {0,1}: p(v_j=1|h) = σ(Σ_i W_ij h_i + b_j).
	Bernoulli UnitType = iota
	// Gaussian units v ∈ ℝ with per-unit σ_j (Cho, Ilin & Raiko 2011):
	// E(v,h) = Σ_j (v_j−b_j)²/(2σ_j²) − cᵀh − Σ_ij h_i W_ij v_j/σ_j², so
	// p(v_j|h) = N(b_j + Σ_i W_ij h_i, σ_j²) and
	// p(h_i=1|v) = σ(c_i + Σ_j W_ij v_j/σ_j²).
	Gaussian
	// Categorical (Potts) units: the V = n·q visible units are n positions
	// of q one-hot states, unit position·q + state; E is the Bernoulli
	// energy of the one-hot vector and p(v_position = s|h) is the softmax
	// over the q states of a = Wᵀh + b.
	Categorical
)

var unitNames = [...]string{Bernoulli: "bernoulli", Gaussian: "gaussian", Categorical: "categorical"}

// String returns "bernoulli", "gaussian" or "categorical".
func (u UnitType) String() string {
	if int(u) < len(unitNames) {
		return unitNames[u]
	}
	return fmt.Sprintf("UnitType(%d)", u)
}

// ParseUnitType reads a UnitType by its name.
func ParseUnitType(s string) (UnitType, error) {
	for i, n := range unitNames {
		if s == n {
			return UnitType(i), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown unit type %q (want bernoulli, gaussian or categorical)", ErrConfig, s)
}

// SetVisibleUnits makes the visible layer of type u: Gaussian sets every
// σ_j to 1, Categorical takes states (q ≥ 2, dividing Visible) and Bernoulli
// drops σ. states must be 0 for the other types.
func (m *RBM) SetVisibleUnits(u UnitType, states int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch u {
	case Bernoulli, Gaussian:
		if states != 0 {
			return fmt.Errorf("%w: %d states given for %s units (only categorical units have states)", ErrConfig, states, u)
		}
	case Categorical:
		if states < 2 || m.Visible%states != 0 {
			return fmt.Errorf("%w: %d states for %d visible units: want q ≥ 2 dividing the visible units", ErrConfig, states, m.Visible)
		}
	default:
		return fmt.Errorf("%w: unknown unit type %d", ErrConfig, u)
	}
	m.VisibleUnits, m.States, m.Sigma = u, states, nil
	if u == Gaussian {
		m.Sigma = make([]float32, m.Visible)
		for j := range m.Sigma {
			m.Sigma[j] = 1
		}
	}
	return nil
}

// Positions returns the number of categorical positions (Visible/States),
// or Visible for the other types.
func (m *RBM) Positions() int {
	if m.VisibleUnits == Categorical && m.States > 0 {
		return m.Visible / m.States
	}
	return m.Visible
}

// validateUnits checks the unit description: σ for Gaussian, q for
// categorical.
func (m *RBM) validateUnits() error {
	switch m.VisibleUnits {
	case Bernoulli:
		if m.Sigma != nil || m.States != 0 {
			return fmt.Errorf("%w: bernoulli visible units with σ or states", ErrShape)
		}
	case Gaussian:
		if len(m.Sigma) != m.Visible {
			return fmt.Errorf("%w: %d visible σ for %d gaussian units", ErrShape, len(m.Sigma), m.Visible)
		}
		for j, s := range m.Sigma {
			if !(s > 0) || s-s != 0 {
				return fmt.Errorf("%w: visible σ[%d] = %v, want a finite value > 0", ErrValue, j, s)
			}
		}
		if m.States != 0 {
			return fmt.Errorf("%w: gaussian visible units with %d states", ErrShape, m.States)
		}
	case Categorical:
		if m.States < 2 || m.Visible%m.States != 0 {
			return fmt.Errorf("%w: %d states for %d categorical visible units: want q ≥ 2 dividing them", ErrShape, m.States, m.Visible)
		}
		if m.Sigma != nil {
			return fmt.Errorf("%w: categorical visible units with σ", ErrShape)
		}
	default:
		return fmt.Errorf("%w: unknown visible unit type %d", ErrShape, m.VisibleUnits)
	}
	return nil
}

// visibleUnits is the kernel's description of the visible layer for a
// projection's write-back, nil for Bernoulli (Act and Sample do it).
func (m *RBM) visibleUnits() *kernel.Units {
	switch m.VisibleUnits {
	case Gaussian:
		return &kernel.Units{Dist: kernel.Gaussian, Sigma: m.Sigma}
	case Categorical:
		return &kernel.Units{Dist: kernel.Categorical, States: m.States}
	}
	return nil
}

// hiddenUnits is visibleUnits for the hidden layer: nil, Bernoulli. A
// hidden type of another kind (ReLU, say) is a case here (the units of the
// up projections' write-back, in inference and in cdStepUnits, which every
// model with non-Bernoulli units trains with), in minusHiddenLogSum, and in
// kernel.ApplyUnits for its sampler; the enumerations of logz.go and the
// AIS of ais.go, aisunits.go assume binary hidden units.
func (m *RBM) hiddenUnits() *kernel.Units { return nil }

// minusHiddenLogSum returns f − log Σ_h exp(hᵀa), the hidden layer summed
// out given its pre-activations a (c + W·v, or c + W·(v/σ²)): Σ_i
// softplus(a_i) for Bernoulli units, subtracted term by term.
// F(v) = minusHiddenLogSum(visibleEnergy(v), a).
func (m *RBM) minusHiddenLogSum(f float64, a []float32) float64 {
	for _, ai := range a {
		f -= softplus(float64(ai))
	}
	return f
}

// checkVisible reports the first value of x (rows of the visible layer) that
// the units cannot take as input to inference: outside [0, 1] for Bernoulli
// and categorical units (probabilities are accepted), not finite for
// Gaussian ones.
func (m *RBM) checkVisible(x []float32) error {
	if m.VisibleUnits == Gaussian {
		if i := firstNonFinite(x); i >= 0 {
			return fmt.Errorf("%w: row %d column %d is %v, not a finite value", ErrValue, i/m.Visible, i%m.Visible, x[i])
		}
		return nil
	}
	return checkUnit(x, m.Visible)
}

// checkTraining is checkVisible for training data: categorical rows must
// moreover be one-hot at every position.
func (m *RBM) checkTraining(x []float32) error {
	if err := m.checkVisible(x); err != nil {
		return err
	}
	if m.VisibleUnits != Categorical {
		return nil
	}
	q := m.States
	for g := 0; g+q <= len(x); g += q {
		ones := 0
		for _, v := range x[g : g+q] {
			switch v {
			case 1:
				ones++
			case 0:
			default:
				ones = -1 << 30
			}
		}
		if ones != 1 {
			r, p := g/m.Visible, g%m.Visible/q
			return fmt.Errorf("%w: row %d position %d is not one-hot (%v)", ErrValue, r, p, x[g:g+q])
		}
	}
	return nil
}

// upInput returns what the up projection reads for the visible rows v: v
// itself, or v_j/σ_j² for Gaussian units (into buf when it is large enough).
func (m *RBM) upInput(v, buf []float32) []float32 {
	if m.VisibleUnits != Gaussian {
		return v
	}
	if cap(buf) < len(v) {
		buf = make([]float32, len(v))
	}
	buf = buf[:len(v)]
	scaleByVariance(buf, v, m.Sigma)
	return buf
}

// scaleByVariance sets dst[r, j] = v[r, j]/σ_j² for rows of len(sigma).
func scaleByVariance(dst, v, sigma []float32) {
	n := len(sigma)
	for r := 0; r+n <= len(v); r += n {
		d, x := dst[r:r+n], v[r:r+n]
		for j, s := range sigma {
			d[j] = x[j] / (s * s)
		}
	}
}

// visibleEnergy is the part of F(v) the visible units give alone: −bᵀv for
// Bernoulli and categorical units, Σ_j (v_j−b_j)²/(2σ_j²) for Gaussian ones.
func (m *RBM) visibleEnergy(v []float32) float64 {
	var f float64
	if m.VisibleUnits == Gaussian {
		for j, x := range v {
			s := float64(m.Sigma[j])
			d := float64(x) - float64(m.B[j])
			f += d * d / (2 * s * s)
		}
		return f
	}
	for j, x := range v {
		f -= float64(m.B[j]) * float64(x)
	}
	return f
}

// visibleLogSum is log Σ_v exp(−E_visible(v) + vᵀu), the visible layer
// summed (integrated) out given a = u + b, the visible pre-activations of a
// hidden configuration (u = Wᵀh):
//
//	bernoulli:    Σ_j softplus(a_j)
//	categorical:  Σ_positions log Σ_s exp(a_{p,s})
//	gaussian:     Σ_j (a_j² − b_j²)/(2σ_j²) + ½ log(2π σ_j²)
func (m *RBM) visibleLogSum(a []float32) float64 {
	var s float64
	switch m.VisibleUnits {
	case Gaussian:
		for j, aj := range a {
			v2 := float64(m.Sigma[j]) * float64(m.Sigma[j])
			b := float64(m.B[j])
			s += (float64(aj)*float64(aj)-b*b)/(2*v2) + 0.5*math.Log(2*math.Pi*v2)
		}
	case Categorical:
		q := m.States
		for g := 0; g+q <= len(a); g += q {
			s += logSumExp32(a[g : g+q])
		}
	default:
		for _, aj := range a {
			s += softplus(float64(aj))
		}
	}
	return s
}

// logSumExp32 is log Σ exp(x), in float64.
func logSumExp32(x []float32) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var z float64
	for _, v := range x {
		z += math.Exp(float64(v) - m)
	}
	return m + math.Log(z)
}

// reconError is the reconstruction error of the visible row v given its
// reconstruction's visible pre-activations a (a = Wᵀh + b, h = p(h|v)):
//
//	bernoulli:    Σ_j softplus(a_j) − v_j a_j (the cross-entropy)
//	categorical:  Σ_p log Σ_s exp(a_{p,s}) − Σ_s v_{p,s} a_{p,s} (the cross-entropy)
//	gaussian:     Σ_j (v_j − a_j)² (the squared error against the means)
func (m *RBM) reconError(v, a []float32) float64 {
	switch m.VisibleUnits {
	case Gaussian:
		var e float64
		for j, aj := range a {
			d := float64(v[j]) - float64(aj)
			e += d * d
		}
		return e
	case Categorical:
		q := m.States
		var e float64
		for g := 0; g+q <= len(a); g += q {
			e += logSumExp32(a[g : g+q])
			for s, x := range v[g : g+q] {
				e -= float64(x) * float64(a[g+s])
			}
		}
		return e
	}
	return crossEntropyRow(v, a)
}

// InitGaussianHidden is the initialisation of PyDeep's GRBM_2D tutorial for
// a Gaussian model (call it after InitVisibleBias): W_ij uniform in
// ±4·√(6/(V+H)) from the seed's stream, and c_i = −(‖w_i + b‖ − ‖b‖)/2 +
// log 0.1, with w_i hidden unit i's weights. Large weights give the hidden
// units distinct directions from the start; the small default (W ~ N(0,
// 0.01²), c = 0) stays stuck near the Gaussian solution on such problems.
func (m *RBM) InitGaussianHidden(seed uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	V, H := m.Visible, m.Hidden
	a := 4 * math.Sqrt(6/float64(V+H))
	s := rng.NewStream(seed, 0, phaseInit+2)
	var nb float64
	for _, b := range m.B {
		nb += float64(b) * float64(b)
	}
	nb = math.Sqrt(nb)
	for i := 0; i < H; i++ {
		var n float64
		for j := 0; j < V; j++ {
			w := a * (2*float64(rng.Uniform(s.Uint32(i, j))) - 1)
			m.W[i*V+j] = float32(w)
			d := float64(m.W[i*V+j]) + float64(m.B[j])
			n += d * d
		}
		m.C[i] = float32(-(math.Sqrt(n)-nb)/2 + math.Log(0.1))
	}
}
