package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/boltzgo/boltz/rng"
)

// AIS for Gaussian and categorical visible units, from a base model of the
// same type with W = 0 and c = 0:
//
//   - gaussian: the base is N(b_A, σ_A²) per unit, fitted to AISOptions.Data
//     (the data means and standard deviations, σ_A ≥ MinSigma), or the
//     model's own b and σ without data; log Z_A = Σ_j ½ log(2πσ_A,j²) + H log 2.
//     The intermediate distributions are
//     p_k*(v) = exp(−(1−β)Σ_j (v_j−b_A,j)²/(2σ_A,j²) − βΣ_j (v_j−b_j)²/(2σ_j²))
//     · Π_i (1 + exp(β(c_i + Σ_j W_ij v_j/σ_j²))),
//     whose Gibbs sweep draws h_i ~ σ(β(c_i + W_i·v/σ²)) and then v_j from the
//     Gaussian of precision λ_j = (1−β)/σ_A,j² + β/σ_j² and mean
//     ((1−β)b_A,j/σ_A,j² + β(b_j + (Wᵀh)_j)/σ_j²)/λ_j.
//   - categorical: the base has the visible bias b_A = log of the smoothed
//     state frequencies of Data (pseudo-count 5·N/100 spread over the q
//     states), or zeros; log Z_A = Σ_positions log Σ_s e^{b_A,s} + H log 2.
//     p_k*(v) = exp(((1−β)b_A + βb)ᵀv) · Π_i (1 + exp(β(c_i + W_i·v))); the
//     sweep draws v by position from the softmax of (1−β)b_A + β(b + Wᵀh).
//
// The projections run on the engine's kernel (Linear), the rest in Go, one
// run at a time, with random numbers of (seed; temperature, phase, run,
// unit): the estimate does not depend on the worker count.

// Random-stream phases of the units' AIS.
const (
	phaseAISUnitsInit   = 0x3000_0020
	phaseAISUnitsHidden = 0x3000_0021
	phaseAISUnitsVis    = 0x3000_0022
)

func (m *RBM) aisUnits(ctx context.Context, opt AISOptions, runs int, betas []float64) (AISResult, error) {
	start := time.Now()
	V, H := m.Visible, m.Hidden
	bA := make([]float64, V)
	sA := make([]float64, V) // gaussian σ_A
	gauss := m.VisibleUnits == Gaussian
	q := m.States
	switch {
	case opt.BaseVisibleBias != nil:
		if len(opt.BaseVisibleBias) != V {
			return AISResult{}, fmt.Errorf("%w: base visible bias has %d values, want %d", ErrShape, len(opt.BaseVisibleBias), V)
		}
		if i := firstNonFinite(opt.BaseVisibleBias); i >= 0 {
			return AISResult{}, fmt.Errorf("%w: base visible bias[%d] = %v", ErrValue, i, opt.BaseVisibleBias[i])
		}
		for j, b := range opt.BaseVisibleBias {
			bA[j] = float64(b)
			if gauss {
				sA[j] = float64(m.Sigma[j])
			}
		}
	case opt.Data != nil:
		rows, err := m.rows(opt.Data, V)
		if err != nil {
			return AISResult{}, fmt.Errorf("AIS base model: %w", err)
		}
		if rows == 0 {
			return AISResult{}, fmt.Errorf("%w: no data rows for the AIS base model", ErrShape)
		}
		if err := m.checkVisible(opt.Data); err != nil {
			return AISResult{}, fmt.Errorf("AIS base model: %w", err)
		}
		sum, sq := make([]float64, V), make([]float64, V)
		for r := 0; r < rows; r++ {
			for j, x := range opt.Data[r*V : (r+1)*V] {
				sum[j] += float64(x)
				sq[j] += float64(x) * float64(x)
			}
		}
		n := float64(rows)
		for j := range bA {
			if gauss {
				mean := sum[j] / n
				bA[j] = mean
				sA[j] = math.Max(math.Sqrt(math.Max(sq[j]/n-mean*mean, 0)), MinSigma)
			} else {
				pseudo := 5 * n / 100
				bA[j] = math.Log((sum[j] + pseudo/float64(q)) / (n + pseudo))
			}
		}
	default:
		for j := range bA {
			if gauss {
				bA[j], sA[j] = float64(m.B[j]), float64(m.Sigma[j])
			}
		}
	}
	logZA := float64(H) * math.Ln2
	if gauss {
		for _, s := range sA {
			logZA += 0.5 * math.Log(2*math.Pi*s*s)
		}
	} else {
		for g := 0; g < V; g += q {
			logZA += logSumExp64(bA[g : g+q])
		}
	}
	e, err := m.Engine()
	if err != nil {
		return AISResult{}, err
	}
	R := runs
	v := make([]float32, R*V)  // the runs' visible states
	x := make([]float32, R*V)  // what the up projection reads (v/σ² for gaussian)
	a := make([]float32, R*H)  // c + W·x
	hs := make([]float32, R*H) // sampled hidden states
	u := make([]float32, R*V)  // b + Wᵀh (the down projection)
	logw := make([]float64, R)
	s2 := make([]float64, V)
	for j := range s2 {
		if gauss {
			s2[j] = float64(m.Sigma[j]) * float64(m.Sigma[j])
		}
	}
	// v_0 ~ A.
	st := rng.NewStream(opt.Seed, 0, phaseAISUnitsInit)
	for r := 0; r < R; r++ {
		m.sampleVisibleAIS(v[r*V:(r+1)*V], bA, sA, nil, s2, 0, st, r)
	}
	// logp is log p_k*(v) at β of the run r, given a = c + W·x of its v.
	logp := func(r int, beta float64) float64 {
		vr := v[r*V : (r+1)*V]
		var l float64
		for j, xj := range vr {
			if gauss {
				dA := float64(xj) - bA[j]
				dB := float64(xj) - float64(m.B[j])
				l -= (1-beta)*dA*dA/(2*sA[j]*sA[j]) + beta*dB*dB/(2*s2[j])
			} else {
				l += ((1-beta)*bA[j] + beta*float64(m.B[j])) * float64(xj)
			}
		}
		for _, ai := range a[r*H : (r+1)*H] {
			l += softplus(beta * float64(ai))
		}
		return l
	}
	upAll := func() {
		copy(x, v)
		if gauss {
			scaleByVariance(x, v, m.Sigma)
		}
		m.project(e, false, mat(a, R, H), mat(x, R, V), Linear, nil)
	}
	upAll()
	ph := make([]float32, H)
	for k := 1; k < len(betas); k++ {
		if k%64 == 0 {
			if err := ctx.Err(); err != nil {
				return AISResult{}, err
			}
		}
		b0, b1 := betas[k-1], betas[k]
		for r := 0; r < R; r++ {
			logw[r] += logp(r, b1) - logp(r, b0)
		}
		if k == len(betas)-1 {
			break
		}
		// One Gibbs sweep at β_k: h ~ σ(β a), then v.
		sh := rng.NewStream(opt.Seed, uint64(k), phaseAISUnitsHidden)
		for r := 0; r < R; r++ {
			ar := a[r*H : (r+1)*H]
			for i, ai := range ar {
				ph[i] = float32(1 / (1 + math.Exp(-b1*float64(ai))))
			}
			sh.Bernoulli(hs[r*H:(r+1)*H], ph, r, 0)
		}
		m.project(e, true, mat(u, R, V), mat(hs, R, H), Linear, nil)
		sv := rng.NewStream(opt.Seed, uint64(k), phaseAISUnitsVis)
		for r := 0; r < R; r++ {
			m.sampleVisibleAIS(v[r*V:(r+1)*V], bA, sA, u[r*V:(r+1)*V], s2, b1, sv, r)
		}
		upAll()
	}
	res := aisSummary(logw, logZA)
	res.Temperatures = len(betas)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// sampleVisibleAIS draws the visible row v of run r at β given u = b + Wᵀh
// (the down projection; nil at β = 0, the base model) from the stream st.
func (m *RBM) sampleVisibleAIS(v []float32, bA, sA []float64, u []float32, s2 []float64, beta float64, st rng.Stream, r int) {
	V := m.Visible
	if m.VisibleUnits == Gaussian {
		for j := 0; j < V; j++ {
			lam := (1 - beta) / (sA[j] * sA[j])
			num := (1 - beta) * bA[j] / (sA[j] * sA[j])
			if beta > 0 {
				lam += beta / s2[j]
				num += beta * float64(u[j]) / s2[j]
			}
			v[j] = float32(num/lam + st.Normal(r, j)/math.Sqrt(lam))
		}
		return
	}
	q := m.States
	logit := make([]float64, q)
	for g := 0; g < V; g += q {
		mx := math.Inf(-1)
		for s := 0; s < q; s++ {
			l := (1 - beta) * bA[g+s]
			if beta > 0 {
				l += beta * float64(u[g+s])
			}
			logit[s] = l
			mx = math.Max(mx, l)
		}
		var z float64
		for s := range logit {
			logit[s] = math.Exp(logit[s] - mx)
			z += logit[s]
		}
		t := float64(rng.Uniform(st.Uint32(r, g/q))) * z
		k := q - 1
		var c float64
		for s := 0; s < q-1; s++ {
			c += logit[s]
			if c > t {
				k = s
				break
			}
		}
		for s := 0; s < q; s++ {
			v[g+s] = 0
		}
		v[g+k] = 1
	}
}

// logSumExp64 is log Σ exp(x).
func logSumExp64(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	var z float64
	for _, v := range x {
		z += math.Exp(v - m)
	}
	return m + math.Log(z)
}
