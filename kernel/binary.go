package kernel

// Binary products: projections whose left operand has only two values, 0
// and one nonzero Value (1 for data and sampled states, β for the tempered
// hidden states of AIS). Such a product is a sum of selected rows of the
// weights: no multiplications by zero, and at 13 % ones about an eighth of
// the loads of the dense form. The operand comes as an Active, the list of
// its nonzero columns row by row, which the engine builds once per operand
// (Build counts the nonzeros as it goes, so the engine can choose the dense
// or the binary form from the measured density).
//
// With x[r, k] = Value for k in row r's list and 0 elsewhere, the output is
//
//	acc = 0; for k in row r's list, in increasing order: acc = acc + Value·M[k, u]
//	out[r, u] = act(acc + bias[u])
//
// where M is Wᵀ (V×H) for UpBinary and W (H×V) for DownBinary. The chain over
// the active terms in increasing k is the dense product's chain with its
// zero terms left out, so a backend whose dense kernel sums in k order
// (asm's packed GEMM with its FMAs, the generic kernel) gets the dense form's
// bits exactly, and then choosing the form changes no result; NaN and Inf in
// W at inactive k do not reach the output (as Kernel.Down's skipped zero
// terms). Other backends are held to float32 rounding of the definition.

// Active lists the nonzero columns of a Rows×Cols matrix whose entries are
// 0 or Value: row r's are Idx[Beg[r]:End[r]], strictly increasing, each in
// [0, Cols). Rows need not be contiguous in Idx (a row's list may start at
// r·Cols, so that rows are built independently), and a CSR matrix with
// pointer array ptr is Beg = ptr[:n], End = ptr[1:].
type Active struct {
	Cols     int
	Value    float32
	Beg, End []int32
	Idx      []int32
}

// NewActive returns an Active with room for rows×cols nonzeros: row r's list
// is built at Idx[r·cols:].
func NewActive(rows, cols int) *Active {
	return &Active{Cols: cols, Value: 1, Beg: make([]int32, rows), End: make([]int32, rows), Idx: make([]int32, rows*cols)}
}

// Rows returns the number of rows.
func (a *Active) Rows() int { return len(a.Beg) }

// Row returns row r's nonzero columns.
func (a *Active) Row(r int) []int32 { return a.Idx[a.Beg[r]:a.End[r]] }

// RowSlice returns the view of rows [r0, r1).
func (a *Active) RowSlice(r0, r1 int) Active {
	return Active{Cols: a.Cols, Value: a.Value, Beg: a.Beg[r0:r1], End: a.End[r0:r1], Idx: a.Idx}
}

// BuildRows lists the nonzeros of rows [r0, r1) of x (x.Rows ≤ a.Rows(),
// x.Cols = a.Cols, a made by NewActive) at their places r·Cols of Idx. It
// returns the number of nonzeros and whether every entry of those rows was
// 0 or value; when not, the rows' lists are incomplete and a must not be
// used for x. Calls on disjoint row ranges may run concurrently.
func (a *Active) BuildRows(x Mat, value float32, r0, r1 int) (nonzeros int, ok bool) {
	n := a.Cols
	for r := r0; r < r1; r++ {
		beg := r * n
		idx := a.Idx[beg : beg+n]
		t := 0
		for j, v := range x.Row(r)[:n] {
			if v != 0 {
				if v != value {
					return nonzeros, false
				}
				idx[t] = int32(j)
				t++
			}
		}
		a.Beg[r], a.End[r] = int32(beg), int32(beg+t)
		nonzeros += t
	}
	return nonzeros, true
}

// Build is BuildRows over all rows of x, which become the rows of the
// Active, with Cols set to x.Cols and Value to value (the arrays grow when
// they are too small for x, else they are resliced: no allocation).
func (a *Active) Build(x Mat, value float32) (nonzeros int, ok bool) {
	if cap(a.Beg) < x.Rows || cap(a.End) < x.Rows || len(a.Idx) < x.Rows*x.Cols {
		*a = *NewActive(x.Rows, x.Cols)
	}
	a.Beg, a.End = a.Beg[:x.Rows], a.End[:x.Rows]
	a.Cols, a.Value = x.Cols, value
	return a.BuildRows(x, value, 0, x.Rows)
}

// BinaryProjector is implemented by backends with binary products on W
// itself: Kernel.Up and Kernel.Down with the operand given by its nonzeros
// (see Active; a.Rows() = out.Rows, a.Cols is V for UpBinary and H for
// DownBinary, out, w, the bias and s as for Up and Down).
type BinaryProjector interface {
	UpBinary(out Mat, a Active, w Mat, c []float32, act Act, s *Sample)
	DownBinary(out Mat, a Active, w Mat, b []float32, act Act, s *Sample)
}

// PackedBinary is implemented by Packed copies with binary products:
// Packed.Up and Packed.Down with the operand given by its nonzeros.
type PackedBinary interface {
	UpBinary(out Mat, a Active, col0 int, c []float32, act Act, s *Sample)
	DownBinary(out Mat, a Active, col0 int, b []float32, act Act, s *Sample)
}

// UpBinary is the reference binary up projection on W itself (the
// definition above with M = Wᵀ, the activations as ApplyTempered computes
// them): what a backend's UpBinary is tested against, and a fallback.
func UpBinary(out Mat, a Active, w Mat, c []float32, act Act, s *Sample) {
	val := a.Value
	for r := 0; r < out.Rows; r++ {
		o, idx := out.Row(r), a.Row(r)
		for u := range o {
			wu := w.Row(u)
			var acc float32
			for _, k := range idx {
				acc += float32(val * wu[k])
			}
			o[u] = acc + c[u]
		}
	}
	finishBinary(out, act, s)
}

// DownBinary is the reference binary down projection (M = W), as UpBinary.
func DownBinary(out Mat, a Active, w Mat, b []float32, act Act, s *Sample) {
	val := a.Value
	for r := 0; r < out.Rows; r++ {
		o, idx := out.Row(r), a.Row(r)
		for u := range o {
			var acc float32
			for _, k := range idx {
				acc += float32(val * w.Data[int(k)*w.Stride+u])
			}
			o[u] = acc + b[u]
		}
	}
	finishBinary(out, act, s)
}

// finishBinary applies the activation and the sampling of the references.
func finishBinary(out Mat, act Act, s *Sample) {
	ones := make([]float32, out.Rows)
	for i := range ones {
		ones[i] = 1
	}
	ApplyTempered(out, ones, act, s)
}
