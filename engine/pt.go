package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// Parallel tempering (Swendsen & Wang 1986; for RBMs Desjardins et al.
// 2010, and PyDeep's ParallelTemperingSampler): Config.Sampler "pt" runs
// Chains persistent chains at each of K inverse temperatures
// 1 = β_0 > β_1 > … > β_{K−1} > 0, the tempered model being
// p_β(v, h) ∝ exp(−β·E(v, h)). The state of a chain is its hidden layer
// (K·C rows of the chains matrix, temperature k in rows [k·C, (k+1)·C));
// an update runs, for every temperature at once,
//
//  1. Config.K Gibbs sweeps v ~ p_β(v|h), h ~ p_β(h|v) (the projections
//     at the rows' β: kernel.TemperedProjector when the backend has it,
//     else the Linear product and kernel.ApplyTempered), then
//  2. one round of swaps between neighbouring temperatures of the same
//     chain index on the joint states x_k = (v, h) of the last sweep: the
//     even pairs (0,1), (2,3), … then the odd pairs (1,2), (3,4), …, pair
//     (k, k+1) exchanging x_k and x_{k+1} with probability
//     min(1, exp((β_k − β_{k+1})(E(x_k) − E(x_{k+1})))), the Metropolis
//     rule, which leaves the product of the tempered distributions
//     invariant. The uniform of pair k of chain c is
//     rng.Uniform(Stream{seed, step, phasePTSwap}.Uint32(c, k)), a stream
//     of its own, so that no other random number moves.
//
// The β = 1 chains after the swaps give the negative statistics: their
// visible states and p(h|v) at β = 1. E(v, h) = −hᵀ(Wv + c) − bᵀv comes
// from one extra Linear up projection of the last visible states, which
// also gives p(h|v) after the swaps. With one temperature there are no
// swaps and the update is PCD's, bit for bit; rows at β = 1 always take
// the backend's plain projections.

// Defaults of the ladder: DefaultTemperatures temperatures, geometric from
// β = 1 down to DefaultMinBeta (PyDeep's default ladder is linear from 1
// to 0; a geometric one spends more rungs near β = 1, where the model is
// sharp, and its hottest chain keeps a tenth of the energy). MaxTemperatures
// bounds K.
const (
	DefaultTemperatures = 10
	DefaultMinBeta      = 0.1
	MaxTemperatures     = 1024
)

// phasePTSwap is the random stream of the swap decisions; phasePTInit
// that of GibbsPT's first hidden states.
const (
	phasePTSwap = 0x1000_0010
	phasePTInit = 0x1000_0011
)

// PTLadder returns the default ladder of k temperatures:
// β_i = DefaultMinBeta^(i/(k−1)), i = 0..k−1 (β_0 = 1; k = 1 gives {1}).
func PTLadder(k int) []float64 {
	b := make([]float64, k)
	b[0] = 1
	for i := 1; i < k; i++ {
		b[i] = math.Pow(DefaultMinBeta, float64(i)/float64(k-1))
	}
	return b
}

// pt reports whether c trains with parallel tempering.
func (c Config) pt() bool { return c.Sampler == "pt" }

// ladder is the β ladder of a PT configuration.
func (c Config) ladder() []float64 {
	if c.Betas != "" {
		b, _ := ParseBetas(c.Betas) // checked by Validate
		return b
	}
	k := c.Temperatures
	if k == 0 {
		k = DefaultTemperatures
	}
	return PTLadder(k)
}

// chainRows is the number of persistent chain rows: Chains for PCD,
// Chains·K for PT, 0 for CD.
func (c Config) chainRows() int {
	switch {
	case c.pt():
		return c.chains() * len(c.ladder())
	case c.PCD || c.Sampler == "pcd":
		return c.chains()
	}
	return 0
}

// validateSampler checks Sampler, Temperatures and Betas.
func (c Config) validateSampler() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	switch c.Sampler {
	case "", "cd", "pcd", "pt":
	default:
		return bad("sampler %.20q: want cd, pcd or pt", c.Sampler)
	}
	if c.PCD && (c.Sampler == "cd" || c.Sampler == "pt") {
		return bad("sampler %s with PCD set: choose one sampler", c.Sampler)
	}
	if !c.pt() {
		if c.Temperatures != 0 || c.Betas != "" {
			return bad("temperatures and betas are for the pt sampler (sampler %q)", c.Sampler)
		}
		return nil
	}
	if c.Chains > math.MaxInt32 {
		return bad("%d chains a temperature: at most %d", c.Chains, math.MaxInt32)
	}
	if c.Temperatures < 0 || c.Temperatures > MaxTemperatures {
		return bad("%d temperatures: want 1..%d (0: the default %d)", c.Temperatures, MaxTemperatures, DefaultTemperatures)
	}
	if c.Betas != "" {
		b, err := ParseBetas(c.Betas)
		if err != nil {
			return err
		}
		return checkLadder(b, c.Temperatures)
	}
	return nil
}

// checkLadder checks a ladder given by the caller: k values (any number
// when k is 0), strictly decreasing from exactly 1, all finite and > 0.
func checkLadder(b []float64, k int) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	switch {
	case len(b) > MaxTemperatures:
		return bad("%d betas: at most %d", len(b), MaxTemperatures)
	case k != 0 && len(b) != k:
		return bad("%d betas for %d temperatures", len(b), k)
	case b[0] != 1:
		return bad("betas start at %v: the first must be exactly 1", b[0])
	}
	for i, x := range b {
		if math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
			return bad("beta %d is %v: want finite and > 0", i, x)
		}
		if i > 0 && x >= b[i-1] {
			return bad("betas %v, %v: they must strictly decrease", b[i-1], x)
		}
	}
	return nil
}

// ParseBetas reads a comma-separated ladder ("1,0.5,0.25") and checks it
// as Config.Betas is checked.
func ParseBetas(s string) ([]float64, error) {
	var b []float64
	if strings.Count(s, ",") >= MaxTemperatures {
		return nil, fmt.Errorf("%w: more than %d betas", ErrConfig, MaxTemperatures)
	}
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: beta %.30q is not a number", ErrConfig, f)
		}
		b = append(b, x)
	}
	if err := checkLadder(b, 0); err != nil {
		return nil, err
	}
	return b, nil
}

// ptState is the trainer's parallel-tempering state besides the chains.
type ptState struct {
	betas    []float64 // the ladder
	scale    []float32 // float32(β) of every chain row
	C, K     int       // chains a temperature, temperatures
	a        Mat       // K·C×H: W v + c of the last visible states
	negH     Mat       // C×H: p(h|v) of the β = 1 chains after the swaps
	energy   []float64 // K: the energies of one chain index
	attempts []uint64  // per pair (k, k+1): swaps tried in the epoch
	accepts  []uint64  // and accepted
}

// initPT sets up parallel tempering in NewTrainer: K·C chain rows at zero.
func (t *Trainer) initPT() error {
	if !t.cfg.pt() {
		return nil
	}
	m := t.m
	if m.VisibleUnits != Bernoulli || m.hiddenUnits() != nil {
		return fmt.Errorf("%w: the pt sampler trains Bernoulli units only (the model has %s visible units)", ErrConfig, m.VisibleUnits)
	}
	betas := t.cfg.ladder()
	K, C := len(betas), t.cfg.chains()
	p := &ptState{betas: betas, C: C, K: K, scale: make([]float32, K*C),
		energy: make([]float64, K), attempts: make([]uint64, K-1), accepts: make([]uint64, K-1)}
	for r := range p.scale {
		p.scale[r] = float32(betas[r/C])
	}
	if K > 1 {
		p.a, p.negH = NewMat(K*C, m.Hidden), NewMat(C, m.Hidden)
	}
	t.pt = p
	t.chains = NewMat(K*C, m.Hidden)
	return nil
}

// runScaled is run with a per-row inverse temperature.
func (t *Trainer) runScaled(down bool, out, in Mat, scale []float32, s *Sample) {
	t.up.scale = scale
	t.run(down, out, in, Sigmoid, s)
	t.up.scale = nil
}

// ptNegative is the negative phase of PT: the sweeps at every temperature,
// the swaps, and the statistics of the β = 1 chains (NegH, NegV, rows).
func (t *Trainer) ptNegative(stream func(uint32) rng.Stream) (negH, negV Mat, n int) {
	p := t.pt
	rows := p.K * p.C
	pv, vs, ph1 := t.pv.RowSlice(0, rows), t.vs.RowSlice(0, rows), t.ph1.RowSlice(0, rows)
	for k := 1; k <= t.cfg.K; k++ {
		t.runScaled(true, pv, t.chains, p.scale, &Sample{Dst: vs, Stream: stream(uint32(phaseTrain + 2*k - 1))})
		t.runScaled(false, ph1, vs, p.scale, &Sample{Dst: t.chains, Stream: stream(uint32(phaseTrain + 2*k))})
	}
	if p.K == 1 {
		return ph1, vs, p.C
	}
	t.run(false, p.a, vs, Linear, nil)
	p.swap(t.m.B, vs, t.chains, rng.Stream{Key: rng.Key(t.cfg.Seed), Step: uint32(t.step), Phase: phasePTSwap})
	for r := 0; r < p.C; r++ {
		dst, a := p.negH.Row(r), p.a.Row(r)
		for i, x := range a {
			dst[i] = float32(1 / (1 + math.Exp(-float64(x))))
		}
	}
	return p.negH, vs.RowSlice(0, p.C), p.C
}

// swap runs one round of swaps on every chain index: the energies of its K
// states, then the even pairs, then the odd pairs (see the file comment),
// exchanging the rows of v, h and a of the states that swap.
func (p *ptState) swap(b []float32, v, h Mat, s rng.Stream) {
	for c := 0; c < p.C; c++ {
		for k := range p.energy {
			p.energy[k] = jointEnergy(b, v.Row(k*p.C+c), h.Row(k*p.C+c), p.a.Row(k*p.C+c))
		}
		for _, first := range [2]int{0, 1} {
			for k := first; k+1 < p.K; k += 2 {
				p.attempts[k]++
				if float64(rng.Uniform(s.Uint32(c, k))) >= swapProb(p.betas[k], p.betas[k+1], p.energy[k], p.energy[k+1]) {
					continue
				}
				p.accepts[k]++
				p.energy[k], p.energy[k+1] = p.energy[k+1], p.energy[k]
				r0, r1 := k*p.C+c, (k+1)*p.C+c
				swapRows(v.Row(r0), v.Row(r1))
				swapRows(h.Row(r0), h.Row(r1))
				swapRows(p.a.Row(r0), p.a.Row(r1))
			}
		}
	}
}

// swapProb is the Metropolis probability of exchanging the states of
// energies ek and ek1 at inverse temperatures bk and bk1:
// min(1, exp((bk − bk1)(ek − ek1))); NaN energies never swap.
func swapProb(bk, bk1, ek, ek1 float64) float64 {
	switch d := (bk - bk1) * (ek - ek1); {
	case d >= 0:
		return 1
	case d < 0:
		return math.Exp(d)
	}
	return 0 // NaN
}

// jointEnergy is E(v, h) = −hᵀa − bᵀv with a = Wv + c, in float64.
func jointEnergy(b, v, h, a []float32) float64 {
	var e float64
	for i, x := range h {
		e -= float64(x) * float64(a[i])
	}
	for j, x := range v {
		e -= float64(b[j]) * float64(x)
	}
	return e
}

func swapRows(x, y []float32) {
	for i := range x {
		x[i], y[i] = y[i], x[i]
	}
}

// resetSwaps starts the swap counters of a new epoch.
func (t *Trainer) resetSwaps() {
	if t.pt != nil {
		clear(t.pt.attempts)
		clear(t.pt.accepts)
	}
}

// SwapAcceptance returns, for PT, the fraction of the swaps between
// temperatures k and k+1 accepted since the start of the epoch in
// progress (or of the last one, between epochs of Fit; Step alone counts
// from the trainer's start), one value a neighbouring pair (0 for a pair
// not tried yet); nil for other samplers.
func (t *Trainer) SwapAcceptance() []float64 {
	if t.pt == nil {
		return nil
	}
	r := make([]float64, len(t.pt.attempts))
	for k, n := range t.pt.attempts {
		if n > 0 {
			r[k] = float64(t.pt.accepts[k]) / float64(n)
		}
	}
	return r
}

// Betas returns the trainer's β ladder (nil unless PT).
func (t *Trainer) Betas() []float64 {
	if t.pt == nil {
		return nil
	}
	return append([]float64(nil), t.pt.betas...)
}

// runTempered is one part of a projection with the per-row inverse
// temperature scale (of the part's rows): the rows go in runs of β = 1,
// which take the plain projection, and of other β, which take the backend's
// tempered one (its packed copy's, when W is packed) or its Linear product
// and kernel.ApplyTempered. Every row thus takes the same path whatever
// the split.
func (p *proj) runTempered(part int, out, in, w Mat, bias, scale []float32, col0 int, sp *Sample) {
	for r0 := 0; r0 < out.Rows; {
		one := scale[r0] == 1
		r1 := r0 + 1
		for r1 < out.Rows && (scale[r1] == 1) == one {
			r1++
		}
		o, x, sc := out.RowSlice(r0, r1), in.RowSlice(r0, r1), scale[r0:r1]
		var s *Sample
		if sp != nil {
			s = &p.tparts[part]
			*s = *sp
			s.Dst = sp.Dst.RowSlice(r0, r1)
			s.Row0 += r0
		}
		tk, _ := p.pk.(kernel.PackedTempered)
		kt, _ := p.k.(kernel.TemperedProjector)
		switch {
		case one:
			p.plain(o, x, w, bias, col0, p.act, s)
		case p.pk != nil && tk != nil && p.down:
			tk.DownTempered(o, x, col0, bias, sc, p.act, s)
		case p.pk != nil && tk != nil:
			tk.UpTempered(o, x, col0, bias, sc, p.act, s)
		case p.pk == nil && kt != nil && p.down:
			kt.DownTempered(o, x, w, bias, sc, p.act, s)
		case p.pk == nil && kt != nil:
			kt.UpTempered(o, x, w, bias, sc, p.act, s)
		default:
			p.plain(o, x, w, bias, col0, Linear, nil)
			kernel.ApplyTempered(o, sc, p.act, s)
		}
		r0 = r1
	}
}

// ptTensors is PT's part of a checkpoint besides the chains: the ladder.
func (t *Trainer) ptTensors() []ckptTensor {
	if t.pt == nil {
		return nil
	}
	b := make([]float32, t.pt.K)
	for k, x := range t.pt.betas {
		b[k] = float32(x)
	}
	return []ckptTensor{{"pt_betas", []int{t.pt.K}, b}}
}

// ptMeta writes PT's swap counters into a checkpoint's metadata.
func (t *Trainer) ptMeta(md map[string]string) {
	delete(md, "pt_swap_attempts")
	delete(md, "pt_swap_accepts")
	if t.pt == nil {
		return
	}
	list := func(x []uint64) string {
		s := make([]string, len(x))
		for i, n := range x {
			s[i] = strconv.FormatUint(n, 10)
		}
		return strings.Join(s, ",")
	}
	md["pt_swap_attempts"], md["pt_swap_accepts"] = list(t.pt.attempts), list(t.pt.accepts)
}

// readPT checks a checkpoint's ladder against its configuration's and reads
// the swap counters (K−1 each, accepts ≤ attempts).
func (c *Checkpoint) readPT(betas []float32, md map[string]string) error {
	for k, x := range c.Config.ladder() {
		if betas[k] != float32(x) {
			return fmt.Errorf("pt_betas[%d] is %v, the configuration's ladder has %v", k, betas[k], float32(x))
		}
	}
	K := len(betas)
	list := func(key string) ([]uint64, error) {
		s := md[key]
		if K == 1 && s == "" {
			return []uint64{}, nil
		}
		f := strings.Split(s, ",")
		if len(f) != K-1 {
			return nil, fmt.Errorf("%s holds %d counts, want %d", key, len(f), K-1)
		}
		x := make([]uint64, len(f))
		for i, v := range f {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: count %d is %.24q", key, i, v)
			}
			x[i] = n
		}
		return x, nil
	}
	att, err := list("pt_swap_attempts")
	if err != nil {
		return err
	}
	acc, err := list("pt_swap_accepts")
	if err != nil {
		return err
	}
	for k := range acc {
		if acc[k] > att[k] {
			return fmt.Errorf("pt swap counters of pair %d: %d accepted of %d", k, acc[k], att[k])
		}
	}
	c.swapAttempts, c.swapAccepts = att, acc
	return nil
}

// GibbsPT samples the model by parallel tempering: the C = len(v)/Visible
// chains of every temperature of betas (nil: PTLadder(DefaultTemperatures);
// else checked as Config.Betas) start from the rows of v with
// h ~ p_β(h|v), then run steps updates of the training sampler (one Gibbs
// sweep v ~ p_β(v|h), h ~ p_β(h|v) at every temperature, then one round of
// swaps). v receives the β = 1 chains' visible states: the mean-field
// p(v|h) of their last hidden states with meanField, else their last
// sampled states. It returns the accepted fraction of the swaps of every
// neighbouring pair. The result is a function of the model, v, steps,
// seed and betas only, whatever the worker count. Bernoulli units only.
func (m *RBM) GibbsPT(v []float32, steps int, seed uint64, betas []float64, meanField bool) ([]float64, error) {
	C, err := m.rows(v, m.Visible)
	if err != nil {
		return nil, err
	}
	if C < 1 || steps < 0 {
		return nil, fmt.Errorf("%w: %d chains, %d steps", ErrConfig, C, steps)
	}
	if betas == nil {
		betas = PTLadder(DefaultTemperatures)
	}
	if err := checkLadder(betas, 0); err != nil {
		return nil, err
	}
	if err := m.checkTraining(v); err != nil {
		return nil, err
	}
	s := make([]string, len(betas))
	for i, b := range betas {
		s[i] = strconv.FormatFloat(b, 'g', -1, 64)
	}
	cfg := Config{Epochs: 1, BatchSize: 1, K: 1, LearningRate: 1, Seed: seed, Sampler: "pt", Chains: C, Betas: strings.Join(s, ",")}
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, err := NewTrainer(m, cfg)
	if err != nil {
		return nil, err
	}
	p, V := t.pt, m.Visible
	if t.pk != nil {
		t.eng.pool.Run(m.Hidden, t.grain.Cols, t.packFn)
	}
	rows := p.K * C
	vs := t.vs.RowSlice(0, rows)
	for k := 0; k < p.K; k++ {
		copy(vs.Data[k*C*V:(k+1)*C*V], v)
	}
	t.runScaled(false, t.ph1.RowSlice(0, rows), vs, p.scale, &Sample{Dst: t.chains, Stream: rng.NewStream(seed, 0, phasePTInit)})
	key := rng.Key(seed)
	for i := 0; i < steps; i++ {
		t.step = uint64(i)
		t.ptNegative(func(phase uint32) rng.Stream { return rng.Stream{Key: key, Step: uint32(t.step), Phase: phase} })
	}
	if meanField {
		pv := t.pv.RowSlice(0, C)
		t.run(true, pv, t.chains.RowSlice(0, C), Sigmoid, nil)
		copy(v, pv.Data[:C*V])
	} else {
		copy(v, vs.Data[:C*V])
	}
	return t.SwapAcceptance(), nil
}
