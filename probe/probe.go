// Package probe is a linear probe: multinomial logistic regression with an
// L2 penalty, fitted with gonum's L-BFGS (gonum.org/v1/gonum/optimize), to
// judge features by how well a linear classifier separates their classes.
// It knows nothing of RBMs or training: it takes rows of numbers and labels.
//
// # The objective
//
// For n rows x_i with labels y_i in 0..K−1, weights W (K×d) and biases b
// (K), Fit minimises
//
//	f(W, b) = (1/n) Σ_i −log softmax(W x_i + b)_{y_i} + (λ/2) ‖W‖²,  λ = 1/(C·n)
//
// (the biases are not penalised). This is scikit-learn's
// LogisticRegression(penalty="l2", C=C, solver="lbfgs", multinomial),
// whose objective is C·Σ_i CE_i + ½‖W‖² in the textbook form, and
// Σ_i CE_i + ‖W‖²/(2C) in its code (version 1.2): f is that objective
// divided by n, so both have the same minimiser. The default C = 1 is
// scikit-learn's default. The stopping rule is also scikit-learn's (SciPy's
// L-BFGS-B with gtol = Tol): the largest gradient component of the summed
// objective, n·‖∇f‖∞, at most Tol (default 1e-4), or MaxIter iterations
// (default 100); the L-BFGS memory is SciPy's 10 pairs.
package probe

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/optimize"
)

// ErrInput is wrapped by every error about bad input: shapes, labels, options.
var ErrInput = errors.New("probe: bad input")

// Options control Fit. The zero value gives the defaults.
type Options struct {
	// C is the inverse regularisation strength, scikit-learn's C: λ = 1/(C·n).
	// 0 means 1; +Inf means no penalty.
	C float64
	// MaxIter caps the L-BFGS iterations (0: 100).
	MaxIter int
	// Tol stops when n·‖∇f‖∞ ≤ Tol (0: 1e-4).
	Tol float64
	// Classes is K; 0 takes the largest label plus one.
	Classes int
}

// Data is n rows of d features (row-major float64) with a label each.
type Data struct {
	X      []float64
	Rows   int
	Cols   int
	Labels []int32
}

// FromFloat32 copies row-major float32 rows into Data.
func FromFloat32(x []float32, rows, cols int, labels []int32) (Data, error) {
	if rows < 0 || cols <= 0 || len(x) != rows*cols {
		return Data{}, fmt.Errorf("%w: %d values are not %d rows of %d", ErrInput, len(x), rows, cols)
	}
	d := Data{X: make([]float64, len(x)), Rows: rows, Cols: cols, Labels: labels}
	for i, v := range x {
		d.X[i] = float64(v)
	}
	return d, d.check(0)
}

// check checks shapes, finiteness and labels (in 0..k−1 when k > 0).
func (d Data) check(k int) error {
	switch {
	case d.Rows <= 0 || d.Cols <= 0:
		return fmt.Errorf("%w: %d rows of %d features", ErrInput, d.Rows, d.Cols)
	case len(d.X) != d.Rows*d.Cols:
		return fmt.Errorf("%w: %d values are not %d rows of %d", ErrInput, len(d.X), d.Rows, d.Cols)
	case d.Labels == nil:
		return fmt.Errorf("%w: no labels", ErrInput)
	case len(d.Labels) != d.Rows:
		return fmt.Errorf("%w: %d labels for %d rows", ErrInput, len(d.Labels), d.Rows)
	}
	for i, l := range d.Labels {
		if l < 0 || k > 0 && int(l) >= k {
			return fmt.Errorf("%w: label %d of row %d is outside 0..%d", ErrInput, l, i, k-1)
		}
	}
	for i, v := range d.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: value %v at row %d, column %d", ErrInput, v, i/d.Cols, i%d.Cols)
		}
	}
	return nil
}

// Model is a fitted probe: class scores W x + b.
type Model struct {
	K, D int
	W    []float64 // K×D
	B    []float64 // K
	// Iterations, Evaluations and Status say how L-BFGS ended; Objective is
	// f at the solution.
	Iterations, Evaluations int
	Status                  string
	Objective               float64
}

// Fit fits the probe to d.
func Fit(d Data, opt Options) (*Model, error) {
	k := opt.Classes
	if k < 0 {
		return nil, fmt.Errorf("%w: %d classes", ErrInput, k)
	}
	if k == 0 {
		for _, l := range d.Labels {
			k = max(k, int(l)+1)
		}
	}
	if err := d.check(k); err != nil {
		return nil, err
	}
	if k < 2 {
		return nil, fmt.Errorf("%w: the labels hold %d class; a classifier needs 2 or more", ErrInput, k)
	}
	c := opt.C
	if c == 0 {
		c = 1
	}
	if !(c > 0) {
		return nil, fmt.Errorf("%w: C = %v, want > 0", ErrInput, c)
	}
	maxIter, tol := opt.MaxIter, opt.Tol
	if maxIter == 0 {
		maxIter = 100
	}
	if tol == 0 {
		tol = 1e-4
	}
	if maxIter < 0 || !(tol > 0) {
		return nil, fmt.Errorf("%w: MaxIter %d, Tol %v", ErrInput, maxIter, tol)
	}
	o := newObjective(d, k, 1/(c*float64(d.Rows)))
	p := optimize.Problem{Func: o.f, Grad: o.grad}
	x0 := make([]float64, k*(d.Cols+1))
	settings := &optimize.Settings{
		GradientThreshold: tol / float64(d.Rows),
		MajorIterations:   maxIter,
		Converger:         optimize.NeverTerminate{},
	}
	res, err := optimize.Minimize(p, x0, settings, &optimize.LBFGS{Store: 10, GradStopThreshold: math.NaN()})
	if res == nil || len(res.X) != len(x0) || math.IsNaN(res.F) || math.IsInf(res.F, 0) {
		return nil, fmt.Errorf("probe: L-BFGS found no solution: %v", err)
	}
	status := res.Status.String()
	if err != nil {
		// A line search that can make no more progress stops near the
		// optimum (SciPy's ABNORMAL_TERMINATION_IN_LNSRCH): the best
		// point found is kept, and the status says why it stopped.
		status += ": " + err.Error()
	}
	m := &Model{K: k, D: d.Cols, W: res.X[: k*d.Cols : k*d.Cols], B: res.X[k*d.Cols:],
		Iterations: res.Stats.MajorIterations, Evaluations: res.Stats.FuncEvaluations,
		Status: status, Objective: res.F}
	return m, nil
}

// objective evaluates f and ∇f together and caches them for the last x.
type objective struct {
	d      Data
	k      int
	lambda float64
	xs     blas64.General // n×d
	scores []float64      // n×k
	last   []float64
	f0     float64
	g0     []float64
	valid  bool
}

func newObjective(d Data, k int, lambda float64) *objective {
	n := k * (d.Cols + 1)
	return &objective{d: d, k: k, lambda: lambda,
		xs:     blas64.General{Rows: d.Rows, Cols: d.Cols, Stride: d.Cols, Data: d.X},
		scores: make([]float64, d.Rows*k), last: make([]float64, n), g0: make([]float64, n)}
}

func (o *objective) f(x []float64) float64 {
	o.eval(x)
	return o.f0
}

func (o *objective) grad(g, x []float64) {
	o.eval(x)
	copy(g, o.g0)
}

func (o *objective) eval(x []float64) {
	if o.valid && equal(x, o.last) {
		return
	}
	copy(o.last, x)
	o.f0 = Objective(o.d, o.k, o.lambda, x, o.g0, o.scores)
	o.valid = true
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Objective returns f at the parameters x (W row-major K×D, then b) and, when
// g is not nil, stores ∇f in g. scratch, when not nil, holds n×K values. It is
// exported for tests and for checking the mapping to other tools.
func Objective(d Data, k int, lambda float64, x, g, scratch []float64) float64 {
	n, dim := d.Rows, d.Cols
	if scratch == nil {
		scratch = make([]float64, n*k)
	}
	w := blas64.General{Rows: k, Cols: dim, Stride: dim, Data: x[:k*dim]}
	b := x[k*dim:]
	s := blas64.General{Rows: n, Cols: k, Stride: k, Data: scratch[:n*k]}
	xs := blas64.General{Rows: n, Cols: dim, Stride: dim, Data: d.X}
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, xs, w, 0, s)
	var loss float64
	for i := 0; i < n; i++ {
		row := s.Data[i*k : (i+1)*k]
		mx := math.Inf(-1)
		for c := range row {
			row[c] += b[c]
			mx = max(mx, row[c])
		}
		var z float64
		for _, v := range row {
			z += math.Exp(v - mx)
		}
		lz := mx + math.Log(z)
		y := int(d.Labels[i])
		loss += lz - row[y]
		if g != nil {
			for c := range row {
				row[c] = math.Exp(row[c] - lz) // p
			}
			row[y]--
		}
	}
	inv := 1 / float64(n)
	var reg float64
	for _, v := range x[:k*dim] {
		reg += v * v
	}
	f := loss*inv + 0.5*lambda*reg
	if g != nil {
		gw := blas64.General{Rows: k, Cols: dim, Stride: dim, Data: g[:k*dim]}
		copy(gw.Data, w.Data)
		blas64.Gemm(blas.Trans, blas.NoTrans, inv, s, xs, lambda, gw)
		gb := g[k*dim:]
		clear(gb)
		for i := 0; i < n; i++ {
			for c, v := range s.Data[i*k : (i+1)*k] {
				gb[c] += v
			}
		}
		for c := range gb {
			gb[c] *= inv
		}
	}
	return f
}

// Predict returns the predicted class of every row of d (labels ignored).
func (m *Model) Predict(d Data) ([]int32, error) {
	if d.Cols != m.D || len(d.X) != d.Rows*d.Cols {
		return nil, fmt.Errorf("%w: rows of %d features, the probe was fitted on %d", ErrInput, d.Cols, m.D)
	}
	s := make([]float64, d.Rows*m.K)
	blas64.Gemm(blas.NoTrans, blas.Trans, 1,
		blas64.General{Rows: d.Rows, Cols: d.Cols, Stride: d.Cols, Data: d.X},
		blas64.General{Rows: m.K, Cols: m.D, Stride: m.D, Data: m.W}, 0,
		blas64.General{Rows: d.Rows, Cols: m.K, Stride: m.K, Data: s})
	out := make([]int32, d.Rows)
	for i := range out {
		row := s[i*m.K : (i+1)*m.K]
		best := 0
		for c := range row {
			if row[c]+m.B[c] > row[best]+m.B[best] {
				best = c
			}
		}
		out[i] = int32(best)
	}
	return out, nil
}

// Error returns the fraction of rows of d the probe misclassifies. Labels
// outside 0..K−1 (a class the probe never saw) are an error.
func (m *Model) Error(d Data) (float64, error) {
	if err := d.check(m.K); err != nil {
		return 0, err
	}
	pred, err := m.Predict(d)
	if err != nil {
		return 0, err
	}
	wrong := 0
	for i, p := range pred {
		if p != d.Labels[i] {
			wrong++
		}
	}
	return float64(wrong) / float64(d.Rows), nil
}
