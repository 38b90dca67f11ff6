package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
)

// Row sources: the data a Trainer reads, in memory (Dense) or streamed
// (memory-mapped files), their checks and their fingerprint.

// RowSource is data that Fit reads one row at a time: a slice in memory
// (Dense) or a file mapped into memory (package data's Mapped), so that a
// data set larger than RAM can be trained on. ReadRow copies row i,
// 0 ≤ i < Rows(), into dst (Cols() values, which must lie in [0, 1]); it
// reports a bad value or a read failure with an error naming the row. Fit
// calls ReadRow from one goroutine, in the shuffled order of each epoch.
type RowSource interface {
	Rows() int
	Cols() int
	ReadRow(i int, dst []float32) error
}

// Dense returns the rows of x (row-major, cols values a row) as a RowSource.
// Fit and FitRows read it in place, without copying it.
func Dense(x []float32, cols int) RowSource { return &denseRows{x: x, cols: cols} }

type denseRows struct {
	x    []float32
	cols int
}

func (d *denseRows) Cols() int { return d.cols }

func (d *denseRows) Rows() int {
	if d.cols <= 0 {
		return 0
	}
	return len(d.x) / d.cols
}

func (d *denseRows) ReadRow(i int, dst []float32) error {
	if i < 0 || i >= d.Rows() || len(dst) != d.cols {
		return fmt.Errorf("%w: row %d of %d into %d values", ErrShape, i, d.Rows(), len(dst))
	}
	copy(dst, d.x[i*d.cols:(i+1)*d.cols])
	return nil
}

// rowData is a RowSource checked for the model's width; dense is set when
// the rows are a slice in memory, already checked for values in [0, 1].
type rowData struct {
	src   RowSource
	dense []float32
	rows  int
}

// checkRows checks src against the visible width V of m, and the values of
// dense rows as training data of m's units.
func checkRows(src RowSource, m *RBM) (rowData, error) {
	V := m.Visible
	if src == nil {
		return rowData{}, fmt.Errorf("%w: no data", ErrShape)
	}
	if d, ok := src.(*denseRows); ok {
		if d.cols != V || len(d.x)%V != 0 {
			return rowData{}, fmt.Errorf("%w: %d values is not a whole number of rows of %d", ErrShape, len(d.x), V)
		}
		if err := m.checkTraining(d.x); err != nil {
			return rowData{}, err
		}
		return rowData{src: src, dense: d.x, rows: len(d.x) / V}, nil
	}
	if src.Cols() != V {
		return rowData{}, fmt.Errorf("%w: rows of %d values, the model has %d visible units", ErrShape, src.Cols(), V)
	}
	if src.Rows() < 0 {
		return rowData{}, fmt.Errorf("%w: %d rows", ErrShape, src.Rows())
	}
	return rowData{src: src, rows: src.Rows()}, nil
}

// fingerprintRows is how many rows DataFingerprint hashes at most.
const fingerprintRows = 4096

// DataFingerprint identifies a data set cheaply, so that a resumed run can
// refuse data that differ from those a checkpoint was trained on: it holds
// the row and column counts and a SHA-256 of up to 4096 rows spread evenly
// over src (the first and the last included), as float32 values.
func DataFingerprint(src RowSource) (string, error) {
	rows, cols := src.Rows(), src.Cols()
	h := sha256.New()
	row := make([]float32, cols)
	buf := make([]byte, 4*cols)
	n := min(rows, fingerprintRows)
	for k := 0; k < n; k++ {
		i := k
		if n > 1 && rows > n {
			i = int(int64(k) * int64(rows-1) / int64(n-1))
		}
		if err := src.ReadRow(i, row); err != nil {
			return "", err
		}
		for j, x := range row {
			binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(x))
		}
		h.Write(buf)
	}
	return fmt.Sprintf("rows=%d cols=%d sha256=%x", rows, cols, h.Sum(nil)[:16]), nil
}
