package asm

// W is a row-major matrix of H rows of V float32 with a row stride of ldw
// elements (ldw >= V; the padding between rows is never read): W[i][j] is
// w[i*ldw+j]. In an RBM, H is the number of hidden units and V of visible
// ones.

// SigmoidMatVec sets y[i] = σ(Σ_j w[i*ldw+j]·x[j] + c[i]) for i < len(y),
// j < len(x): y = σ(W·x + c) with W of len(y) rows of len(x). It streams W
// once, on the Current level (with the assembly, the dot products and then
// the bias and sigmoid of BiasSigmoid on y; SigmoidMatVecGeneric on the
// generic level); the two sum in different orders, so they agree within float32
// rounding of the sums, not bitwise. y must not overlap w, x or c. It panics
// if ldw < len(x), len(c) < len(y) or len(w) < (len(y)-1)*ldw+len(x) (when
// len(y) and len(x) are not zero), and it does not allocate.
func SigmoidMatVec(y, w []float32, ldw int, x, c []float32) { cur.SigmoidMatVec(y, w, ldw, x, c) }

// SigmoidMatVec is SigmoidMatVec on level im.
func (im *Impl) SigmoidMatVec(y, w []float32, ldw int, x, c []float32) {
	checkMat(false, len(y), len(w), ldw, len(x), len(c))
	im.matVec(y, w, ldw, x, c)
}

// SigmoidMatTVec sets y[j] = σ(Σ_i w[i*ldw+j]·h[i] + b[j]) for j < len(y),
// i < len(h): y = σ(Wᵀ·h + b) with W of len(h) rows of len(y). It streams W
// once, row after row, on the Current level (SigmoidMatTVecGeneric on the
// generic level). y must not overlap w, h or b. It panics if
// ldw < len(y), len(b) < len(y) or len(w) < (len(h)-1)*ldw+len(y) (when
// len(h) and len(y) are not zero), and it does not allocate.
func SigmoidMatTVec(y, w []float32, ldw int, h, b []float32) { cur.SigmoidMatTVec(y, w, ldw, h, b) }

// SigmoidMatTVec is SigmoidMatTVec on level im.
func (im *Impl) SigmoidMatTVec(y, w []float32, ldw int, h, b []float32) {
	checkMat(true, len(h), len(w), ldw, len(y), len(b))
	im.matTVec(y, w, ldw, h, b)
}

// checkMat panics unless W, of rows rows of cols elements at a stride of
// ld, fits in lw elements with ld >= cols, and the bias (nb elements) is as
// long as the output: rows for W·x, cols for Wᵀ·h (transposed).
func checkMat(transposed bool, rows, lw, ld, cols, nb int) {
	if transposed {
		switch {
		case ld < cols:
			panic("asm: SigmoidMatTVec: ldw < len(y)")
		case nb < cols:
			panic("asm: SigmoidMatTVec: len(b) < len(y)")
		case !matFits(lw, rows, cols, ld):
			panic("asm: SigmoidMatTVec: len(w) < (len(h)-1)*ldw+len(y)")
		}
		return
	}
	switch {
	case ld < cols:
		panic("asm: SigmoidMatVec: ldw < len(x)")
	case nb < rows:
		panic("asm: SigmoidMatVec: len(c) < len(y)")
	case !matFits(lw, rows, cols, ld):
		panic("asm: SigmoidMatVec: len(w) < (len(y)-1)*ldw+len(x)")
	}
}

// matFits reports whether lw >= (rows-1)*ld + cols, without overflow; an
// empty matrix always fits.
func matFits(lw, rows, cols, ld int) bool {
	if rows == 0 || cols == 0 {
		return true
	}
	return lw >= cols && (rows == 1 || ld <= (lw-cols)/(rows-1))
}

// SigmoidMatVecGeneric is the pure-Go twin of SigmoidMatVec: for each row, a
// sequential dot product, then Sigmoid1 of it plus c[i].
func SigmoidMatVecGeneric(y, w []float32, ldw int, x, c []float32) {
	checkMat(false, len(y), len(w), ldw, len(x), len(c))
	for i := range y {
		var s float32
		if len(x) > 0 {
			row := w[i*ldw : i*ldw+len(x)]
			for j, xj := range x {
				s += row[j] * xj
			}
		}
		y[i] = Sigmoid1(s + c[i])
	}
}

// SigmoidMatTVecGeneric is the pure-Go twin of SigmoidMatTVec: the rows of W
// scaled by h[i] summed into y in row order, then Sigmoid1 of y[j] + b[j].
func SigmoidMatTVecGeneric(y, w []float32, ldw int, h, b []float32) {
	checkMat(true, len(h), len(w), ldw, len(y), len(b))
	clear(y)
	if len(y) > 0 {
		for i, hi := range h {
			row := w[i*ldw : i*ldw+len(y)]
			for j, wij := range row {
				y[j] += wij * hi
			}
		}
	}
	for j := range y {
		y[j] = Sigmoid1(y[j] + b[j])
	}
}

// Blocking of the matvec assembly calls: each call streams at most about
// matChunk elements of W (4 MB: 0.1 ms from L3, 0.4 ms from DRAM), because
// assembly functions are not preemptible. Variables so that the tests can
// make them small.
var (
	matChunk      = 1 << 20 // elements of W per call
	matChunkCols  = 1 << 16 // W·x: columns per call
	matTChunkCols = 1 << 11 // Wᵀ·h: columns per call, so that y's block stays in L1
)
