package engine

import "fmt"

// The per-epoch monitors of training: reconstruction cross-entropy and
// free energy of a subset of rows, through the scoring methods of score.go.

// monitorChunk is how many rows of a RowSource the metrics read at a time: a
// multiple of evalChunk, so the figures equal those of the same rows in memory.
const monitorChunk = 8 * evalChunk

// monitorBuf holds the scratch rows of the metrics of a RowSource.
type monitorBuf struct{ x, out []float32 }

// monitor returns the mean reconstruction cross-entropy and free energy of
// the first n rows of d.
func (mb *monitorBuf) monitor(m *RBM, d rowData, n int) (ce, fe float64, err error) {
	V := m.Visible
	if d.dense != nil {
		return m.monitor(d.dense[:n*V])
	}
	c := min(n, monitorChunk, max(rowsBatch(V), evalChunk)) // wide rows: fewer at a time
	if len(mb.x) < c*V {
		mb.x, mb.out = make([]float32, c*V), make([]float32, c)
	}
	var sce, sfe float64
	for r0 := 0; r0 < n; r0 += c {
		k := min(c, n-r0)
		x, out := mb.x[:k*V], mb.out[:k]
		for r := 0; r < k; r++ {
			row := x[r*V : (r+1)*V]
			if err := d.src.ReadRow(r0+r, row); err != nil {
				return 0, 0, err
			}
			if err := m.checkTraining(row); err != nil {
				return 0, 0, fmt.Errorf("row %d: %w", r0+r, err)
			}
		}
		if err := m.ReconstructionError(out, x); err != nil {
			return 0, 0, err
		}
		for _, v := range out {
			sce += float64(v)
		}
		if err := m.FreeEnergy(out, x); err != nil {
			return 0, 0, err
		}
		for _, v := range out {
			sfe += float64(v)
		}
	}
	return sce / float64(n), sfe / float64(n), nil
}

func monitorRows(rows, limit int) int {
	if limit > 0 && rows > limit {
		return limit
	}
	return rows
}

// monitor returns the mean reconstruction cross-entropy and mean free energy
// of the rows of v.
func (m *RBM) monitor(v []float32) (ce, fe float64, err error) {
	rows := len(v) / m.Visible
	buf := make([]float32, rows)
	if err = m.ReconstructionError(buf, v); err != nil {
		return
	}
	ce = meanOf(buf)
	if err = m.FreeEnergy(buf, v); err != nil {
		return
	}
	return ce, meanOf(buf), nil
}

func meanOf(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(len(x))
}
