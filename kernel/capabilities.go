package kernel

// Grain is the geometry of a backend's register tiles as the engine's splits
// see it: every part of a parallel phase starts at a multiple of Rows (when
// the batch rows are split) or of Cols (when output columns, or the hidden
// units of an update, are split), so that a backend keeps its tiles whole.
// Results never depend on the split; the grain is about speed, and about the
// packed layouts: a Packed copy is refreshed and read at multiples of Cols.
type Grain struct{ Rows, Cols int }

// Geometry is implemented by backends whose work splits best at multiples of
// a tile. The engine asks once per trainer or estimate.
type Geometry interface {
	Grain() Grain
}

// GrainOf returns k's grain, {1, 1} for a kernel without Geometry (or with
// a grain below 1).
func GrainOf(k Kernel) Grain {
	g := Grain{1, 1}
	if geo, ok := k.(Geometry); ok {
		g = geo.Grain()
	}
	return Grain{max(g.Rows, 1), max(g.Cols, 1)}
}

// Packer is implemented by backends that keep the weights in layouts of
// their own between the steps of a training run (or across the products of
// an estimate), so that no projection repacks W.
type Packer interface {
	// NewPacked returns an empty packed copy for an H×V weight matrix, or
	// nil when the backend has no use for one at that shape. Fill it with
	// Refresh before the first product.
	NewPacked(h, v int) Packed
}

// Packed is a copy of an H×V weight matrix W in a backend's layouts. Its
// products compute exactly what Kernel.Up and Kernel.Down compute with W
// itself, bit for bit.
type Packed interface {
	// Refresh packs rows [i0, i1) of w (the H×V matrix the copy is for)
	// into every layout; i0 is a multiple of the backend's Grain().Cols,
	// and so is i1 unless it is H (the ranges of the engine's splits).
	// Calls on disjoint ranges may run concurrently.
	Refresh(w Mat, i0, i1 int)

	// Up is Kernel.Up with the packed W: out receives the output columns
	// (hidden units) [col0, col0+out.Cols) of act(x·Wᵀ + c); c holds the
	// biases of those columns; col0 is a multiple of Grain().Cols.
	Up(out, x Mat, col0 int, c []float32, act Act, s *Sample)

	// Down is Kernel.Down with the packed W: out receives the visible
	// units [col0, col0+out.Cols) of act(h·W + b).
	Down(out, h Mat, col0 int, b []float32, act Act, s *Sample)
}

// BiasStep asks for the bias steps that go with one weight update (see
// BiasSteps): the hidden biases of the update's units [i0, i1) and the
// visible biases [J0, J1). C and VelC are indexed by hidden unit, B and
// VelB by visible unit.
type BiasStep struct {
	C, VelC, B, VelB []float32
	J0, J1           int
}

// FusedUpdater is implemented by backends that do a whole update phase in
// one pass: the weights, the bias steps from the operands the weight update
// reads anyway, and the write-back of the new W into a packed copy.
type FusedUpdater interface {
	// UpdateFused does Update(w, u, i0, i1), the bias steps of bs as
	// BiasSteps defines them (skipped when bs is nil), and, when p is not
	// nil (a copy this backend's NewPacked made for w), brings rows
	// [i0, i1) of p up to date. i0 and bs.J0 are multiples of
	// Grain().Cols, and so is i1 unless it is H (bs.J1 unless it is V).
	// Calls on disjoint unit ranges may run concurrently.
	UpdateFused(w Mat, u *Update, i0, i1 int, bs *BiasStep, p Packed)
}

// Describer is implemented by backends that can say what they run (an
// instruction set level, a library), for logs and reports.
type Describer interface {
	// Level names the variant that runs ("avx2", "generic", ...): a
	// checkpoint trained on one level resumes bit for bit on the same.
	Level() string
	// Describe says what runs and why, in a few words.
	Describe() string
}

// Bencher is implemented by backends that measure their own kernels for
// `boltz bench`, so that the command needs to know no backend's internals.
type Bencher interface {
	BenchCases() []BenchCase
}

// BenchCase is one single-core kernel measurement: Run does Work units of
// Unit once. A case with Peak set measures the float32 FMA peak of one core
// (Work in flops), the reference for the fractions of the peak; one with
// Flops set counts flops, reported as such a fraction.
type BenchCase struct {
	Name  string
	Unit  string // what Work counts: "flop", "element", "byte"
	Work  float64
	Run   func()
	Peak  bool
	Flops bool
}
