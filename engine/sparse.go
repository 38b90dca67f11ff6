package engine

import (
	"context"
	"fmt"
)

// Sparse rows: a RowSource in compressed sparse row form (CSR) and the
// entry points that read any RowSource one block of rows at a time, so that
// a sparse data set is never densified beyond one minibatch.

// SparseRows is a RowSource that also gives its rows' nonzeros: SparseRow
// returns the columns (strictly increasing, in [0, Cols())) and the values
// of row i (val nil: all ones), sharing the source's storage. Fit densifies
// one minibatch at a time through ReadRow; the column sums (visible-bias
// initialisation, AIS base rates) read only the nonzeros. package data's
// CSR satisfies it.
type SparseRows interface {
	RowSource
	SparseRow(i int) (idx []int32, val []float32)
}

// CSR returns the rows×cols matrix in compressed sparse row form as a
// SparseRows: the nonzeros of row r are indices[indptr[r]:indptr[r+1]]
// (strictly increasing columns) with the values values[indptr[r]:indptr[r+1]],
// in [0, 1]; values nil means all ones. The slices are used in place. It
// checks the structure and the values, naming the first bad row.
func CSR(rows, cols int, indptr []int64, indices []int32, values []float32) (SparseRows, error) {
	c := &csrRows{rows: rows, cols: cols, indptr: indptr, indices: indices, values: values}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

type csrRows struct {
	rows, cols int
	indptr     []int64
	indices    []int32
	values     []float32
}

func (c *csrRows) check() error {
	switch {
	case c.rows < 0 || c.cols <= 0:
		return fmt.Errorf("%w: CSR of %d×%d", ErrShape, c.rows, c.cols)
	case len(c.indptr) != c.rows+1:
		return fmt.Errorf("%w: %d row offsets for %d rows", ErrShape, len(c.indptr), c.rows)
	case c.indptr[0] < 0 || c.indptr[c.rows] > int64(len(c.indices)):
		return fmt.Errorf("%w: row offsets %d..%d outside the %d indices", ErrShape, c.indptr[0], c.indptr[c.rows], len(c.indices))
	case c.values != nil && len(c.values) != len(c.indices):
		return fmt.Errorf("%w: %d values for %d indices", ErrShape, len(c.values), len(c.indices))
	}
	for r := 0; r < c.rows; r++ {
		lo, hi := c.indptr[r], c.indptr[r+1]
		if hi < lo {
			return fmt.Errorf("%w: CSR row %d: offsets decrease", ErrShape, r)
		}
		prev := int32(-1)
		for k := lo; k < hi; k++ {
			j := c.indices[k]
			if j <= prev || int(j) >= c.cols {
				return fmt.Errorf("%w: CSR row %d: column %d after %d (want increasing columns in [0, %d))", ErrShape, r, j, prev, c.cols)
			}
			prev = j
			if c.values != nil {
				if x := c.values[k]; !(x >= 0 && x <= 1) {
					return fmt.Errorf("%w: CSR row %d column %d is %v, not in [0, 1]", ErrValue, r, j, x)
				}
			}
		}
	}
	return nil
}

func (c *csrRows) Rows() int { return c.rows }
func (c *csrRows) Cols() int { return c.cols }

func (c *csrRows) SparseRow(i int) ([]int32, []float32) {
	lo, hi := c.indptr[i], c.indptr[i+1]
	if c.values == nil {
		return c.indices[lo:hi:hi], nil
	}
	return c.indices[lo:hi:hi], c.values[lo:hi:hi]
}

func (c *csrRows) ReadRow(i int, dst []float32) error {
	if i < 0 || i >= c.rows || len(dst) != c.cols {
		return fmt.Errorf("%w: row %d of %d into %d values", ErrShape, i, c.rows, len(dst))
	}
	clear(dst)
	idx, val := c.SparseRow(i)
	for k, j := range idx {
		if val == nil {
			dst[j] = 1
		} else {
			dst[j] = val[k]
		}
	}
	return nil
}

// columnSums returns the column sums (and sums of squares) of src's rows in
// float64, in row order, reading only the nonzeros of a SparseRows: the
// sums a dense pass gives, bit for bit (adding zeros changes none).
func columnSums(src RowSource, squares bool) (sum, sq []float64, err error) {
	V := src.Cols()
	sum = make([]float64, V)
	if squares {
		sq = make([]float64, V)
	}
	if sp, ok := src.(SparseRows); ok {
		for r := 0; r < src.Rows(); r++ {
			idx, val := sp.SparseRow(r)
			for k, j := range idx {
				x := 1.0
				if val != nil {
					x = float64(val[k])
				}
				sum[j] += x
				if squares {
					sq[j] += x * x
				}
			}
		}
		return sum, sq, nil
	}
	row := make([]float32, V)
	for r := 0; r < src.Rows(); r++ {
		if err := src.ReadRow(r, row); err != nil {
			return nil, nil, err
		}
		for j, x := range row {
			sum[j] += float64(x)
			if squares {
				sq[j] += float64(x) * float64(x)
			}
		}
	}
	return sum, sq, nil
}

// BaseRateVisibleBiasRows is BaseRateVisibleBias of the rows of src (the
// AIS base rates of a data set read row by row or sparse), the same biases
// for the same rows.
func BaseRateVisibleBiasRows(src RowSource) ([]float32, error) {
	rows := src.Rows()
	if rows <= 0 || src.Cols() <= 0 {
		return nil, fmt.Errorf("%w: no data rows for the base rates", ErrShape)
	}
	count, _, err := columnSums(src, false)
	if err != nil {
		return nil, err
	}
	return smoothedRates(count, rows), nil
}

// MeanVisibleBiasRows is MeanVisibleBias of the rows of src (PyDeep's base
// model of a data set read row by row or sparse).
func MeanVisibleBiasRows(src RowSource) ([]float32, error) {
	rows := src.Rows()
	if rows <= 0 || src.Cols() <= 0 {
		return nil, fmt.Errorf("%w: no data rows for the base rates", ErrShape)
	}
	sum, _, err := columnSums(src, false)
	if err != nil {
		return nil, err
	}
	return meanRates(sum, rows), nil
}

// Batches calls f on the rows of src in order, batch rows at a time, each
// block densified into one buffer that f may read (not keep) until it
// returns: the way to run the slice-based methods (Transform, FreeEnergy,
// ReconstructionError, ...) over a sparse or mapped data set without
// holding it dense. It checks ctx before every block and stops at the first
// error of ReadRow or f.
func Batches(ctx context.Context, src RowSource, batch int, f func(r0, r1 int, x []float32) error) error {
	if batch < 1 {
		return fmt.Errorf("%w: batch %d", ErrShape, batch)
	}
	V, rows := src.Cols(), src.Rows()
	buf := make([]float32, min(batch, max(rows, 1))*V)
	for r0 := 0; r0 < rows; r0 += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		r1 := min(r0+batch, rows)
		x := buf[:(r1-r0)*V]
		for r := r0; r < r1; r++ {
			if err := src.ReadRow(r, x[(r-r0)*V:(r-r0+1)*V]); err != nil {
				return err
			}
		}
		if err := f(r0, r1, x); err != nil {
			return err
		}
	}
	return nil
}

// rowsBatch is how many rows the ...Rows methods densify at a time: a
// multiple of evalChunk (so the figures are those of the rows in memory),
// fewer for wide rows, so that the block stays near 16 MiB.
func rowsBatch(cols int) int {
	n := (4 << 20) / max(cols, 1) / evalChunk * evalChunk
	return min(max(n, evalChunk), ctxBlock)
}

// TransformRows writes the hidden probabilities of the rows of src into dst
// (Rows()×Hidden values), as Transform does for the same rows in memory,
// densifying one block of rows at a time.
func (m *RBM) TransformRows(ctx context.Context, src RowSource, dst []float32) error {
	H := m.Hidden
	if src.Cols() != m.Visible || len(dst) != src.Rows()*H {
		return fmt.Errorf("%w: rows of %d values into %d outputs; the model has %d visible and %d hidden units", ErrShape, src.Cols(), len(dst), m.Visible, H)
	}
	return Batches(ctx, src, rowsBatch(m.Visible), func(r0, r1 int, x []float32) error {
		h, err := m.TransformContext(ctx, x)
		copy(dst[r0*H:r1*H], h)
		return err
	})
}

// FreeEnergyRows sets dst[r] to the free energy of row r of src, as
// FreeEnergy does for the same rows in memory.
func (m *RBM) FreeEnergyRows(ctx context.Context, src RowSource, dst []float32) error {
	return m.scoreRows(ctx, src, dst, func(out, x []float32, _ int) error { return m.FreeEnergyContext(ctx, out, x) })
}

// ReconstructionErrorRows sets dst[r] to ReconstructionError of row r of src.
func (m *RBM) ReconstructionErrorRows(ctx context.Context, src RowSource, dst []float32) error {
	return m.scoreRows(ctx, src, dst, func(out, x []float32, _ int) error { return m.ReconstructionError(out, x) })
}

// PseudoLogLikelihoodRows sets dst[r] to the pseudo-log-likelihood of row
// r of src, flipping the unit PseudoLogLikelihood flips for row r of the
// whole data in memory.
func (m *RBM) PseudoLogLikelihoodRows(ctx context.Context, src RowSource, dst []float32, seed uint64) error {
	if m.VisibleUnits != Bernoulli {
		return fmt.Errorf("%w: the pseudo-likelihood is defined for bernoulli visible units only, not %s", ErrConfig, m.VisibleUnits)
	}
	return m.scoreRows(ctx, src, dst, func(out, x []float32, r0 int) error {
		return m.infer(x, false, out, 1, func(rows int, e *Engine) error { return m.pllAt(e, rows, out, x, seed, r0) })
	})
}

// scoreRows runs a per-row score f over src one block at a time; f gets the
// block's rows and the index of its first row.
func (m *RBM) scoreRows(ctx context.Context, src RowSource, dst []float32, f func(out, x []float32, r0 int) error) error {
	if src.Cols() != m.Visible || len(dst) != src.Rows() {
		return fmt.Errorf("%w: %d rows of %d values into %d outputs; the model has %d visible units", ErrShape, src.Rows(), src.Cols(), len(dst), m.Visible)
	}
	return Batches(ctx, src, rowsBatch(m.Visible), func(r0, r1 int, x []float32) error {
		return f(dst[r0:r1], x, r0)
	})
}
