// Package kernel is the contract between boltz's engine and its compute
// backends: the matrix views and the three primitives every backend has
// (Kernel), and the optional capabilities a fast backend adds, which the
// engine finds through interfaces, never through a concrete type:
//
//	Geometry     the tile grains the engine's splits respect
//	Packer       weights kept in the backend's own layout across steps
//	FusedUpdater the weight update with the bias steps and the write-back
//	             into the packed copy in one pass
//	TemperedProjector, PackedTempered
//	             a per-row inverse temperature in the write-back
//	             (tempered.go; else Linear, then ApplyTempered)
//	BinaryProjector, PackedBinary
//	             products whose input is 0 or one value, as sums of the
//	             rows of W its nonzeros (an Active) select (binary.go)
//	UnitsProjector, PackedUnits
//	             Gaussian and categorical units in the projections'
//	             write-back (units.go; else Linear, then ApplyUnits)
//	Describer    what runs, for logs (an ISA level, a library)
//	Bencher      the backend's own kernel measurements, for boltz bench
//
// BiasSteps is the one bias-step algorithm: the engine runs it after Update
// for backends without FusedUpdater, and a FusedUpdater computes the same
// sums. ApplyUnits is the one write-back of Gaussian and categorical units,
// likewise. The conformance suite for all of it is engine/kerneltest.
package kernel

import "github.com/boltzgo/boltz/rng"

// Mat is a row-major float32 matrix view: element (r, c) is Data[r*Stride+c].
// Stride ≥ Cols; Data holds at least (Rows-1)*Stride+Cols elements when Rows > 0.
type Mat struct {
	Rows, Cols, Stride int
	Data               []float32
}

// NewMat returns a zeroed rows×cols matrix with Stride = cols.
func NewMat(rows, cols int) Mat {
	return Mat{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
}

// Row returns row r (Cols elements).
func (m Mat) Row(r int) []float32 { return m.Data[r*m.Stride : r*m.Stride+m.Cols] }

// RowSlice returns the view of rows [r0, r1).
func (m Mat) RowSlice(r0, r1 int) Mat {
	if r0 == r1 {
		return Mat{Rows: 0, Cols: m.Cols, Stride: m.Stride}
	}
	return Mat{Rows: r1 - r0, Cols: m.Cols, Stride: m.Stride, Data: m.Data[r0*m.Stride : (r1-1)*m.Stride+m.Cols]}
}

// ColSlice returns the view of columns [c0, c1).
func (m Mat) ColSlice(c0, c1 int) Mat {
	if m.Rows == 0 || c0 == c1 {
		return Mat{Rows: m.Rows, Cols: c1 - c0, Stride: m.Stride, Data: m.Data[:0]}
	}
	return Mat{Rows: m.Rows, Cols: c1 - c0, Stride: m.Stride, Data: m.Data[c0 : (m.Rows-1)*m.Stride+c1]}
}

// Act is the activation a projection applies in its write-back.
type Act uint8

const (
	// Linear stores the pre-activation x·op(W) + bias.
	Linear Act = iota
	// Sigmoid stores σ(x·op(W) + bias), σ(x) = 1/(1+e^{-x}).
	Sigmoid
)

// Sample asks a projection to draw Bernoulli states from the probabilities it
// has just written, in the same pass.
//
// Output element (r, u) gets Dst[r, u] = 1 if
// rng.Uniform(Stream.Uint32(Row0+r, Col0+u)) < p[r, u] and 0 otherwise, where
// p[r, u] is the probability written to out. Row0 and Col0 place the view in
// the whole batch, so the states do not depend on how the work is split.
type Sample struct {
	Dst        Mat
	Stream     rng.Stream
	Row0, Col0 int
}

// Update describes one fused CD weight update: the gradient of the
// log-likelihood estimated as a difference of two correlations, and an SGD
// step with momentum and L2 weight decay. For every hidden unit i in the
// range given to Kernel.Update and every visible unit j:
//
//	g    = PosScale·Σ_r PosH[r,i]·PosV[r,j] − NegScale·Σ_r NegH[r,i]·NegV[r,j]
//	vel  = Momentum·vel[i,j] + g − Decay·W[i,j]
//	W[i,j] += vel
//
// PosH is B×H, PosV is B×V (the data phase: hidden probabilities and data);
// NegH is C×H, NegV is C×V (the model phase: reconstructions or persistent
// chains). PosScale is typically lr/B, NegScale lr/C, Decay lr·weightcost.
// Vel is H×V like W; it holds the new velocity after the call.
type Update struct {
	PosH, PosV, NegH, NegV Mat
	PosScale, NegScale     float32
	Momentum, Decay        float32
	Vel                    Mat
}

// Kernel is the compute backend of the engine: the handful of primitives one
// CD step needs, on row-major float32 matrices. The engine splits each call
// over its worker pool (by rows of the batch, or by output columns when the
// batch is small) and calls the kernel concurrently on disjoint output views;
// a Kernel must therefore be safe for concurrent use, must only write the
// outputs it is given, and must compute every output element the same way
// whatever view it arrives in (no dependence of the result on the split), so
// that training is bitwise reproducible for any worker count.
//
// Results must be within float32 rounding of the mathematical definition
// (the conformance tests use a float64 reference with a tolerance scaled by
// the inner dimension and Σ|a||b|). NaN and Inf in inputs propagate; a kernel
// must not panic on them. One exception: Down and Update may skip the terms
// whose hidden-layer coefficient is exactly 0 (sampled hidden states are half
// zeros), so there 0·Inf and 0·NaN may count as 0.
//
// A simple third-party kernel (a BLAS or GPU backend) implements the three
// methods and nothing else; the optional interfaces of capabilities.go let a
// backend take over more of the step.
type Kernel interface {
	// Name identifies the kernel ("asm", "generic", "gonum", ...).
	Name() string

	// Up computes the hidden layer from the visible one:
	//
	//	out[r, i] = act(Σ_j x[r, j]·w[i, j] + c[i])   for r < x.Rows, i < out.Cols
	//
	// x is R×V, w is out.Cols×V (rows of the weight matrix, one per hidden
	// unit), c has out.Cols entries, out is R×out.Cols. With s != nil, the
	// Bernoulli states of out are written to s.Dst (act is then Sigmoid).
	Up(out, x, w Mat, c []float32, act Act, s *Sample)

	// Down computes the visible layer from the hidden one:
	//
	//	out[r, j] = act(Σ_i h[r, i]·w[i, j] + b[j])   for r < h.Rows, j < out.Cols
	//
	// h is R×H, w is H×out.Cols (a column block of the weight matrix), b has
	// out.Cols entries. s as for Up.
	Down(out, h, w Mat, b []float32, act Act, s *Sample)

	// Update applies u (see Update) to the hidden units i0 ≤ i < i1, that is
	// to rows [i0, i1) of w and u.Vel. w is H×V.
	Update(w Mat, u *Update, i0, i1 int)
}
