//go:build amd64 && !purego

package asm

// sigmoidMatVecAccel computes y = σ(W·x + c) as y = 0, y += W·x with
// matVecAVX2 over blocks of at most matChunk elements of W (whole blocks of
// 8 rows, at most matChunkCols columns), then y = σ(y + c) with
// biasSigmoidAccel. The caller checks the lengths (checkMat).
func sigmoidMatVecAccel(y, w []float32, ldw int, x, c []float32) {
	rows, cols := len(y), len(x)
	clear(y)
	if rows > 0 && cols > 0 {
		raceReadMatrix(w, ldw, rows, cols)
		raceRead(x)
		cb := min(cols, matChunkCols)
		rb := max(8, matChunk/cb/8*8)
		for i0 := 0; i0 < rows; i0 += rb {
			i1 := min(rows, i0+rb)
			for j0 := 0; j0 < cols; j0 += cb {
				j1 := min(cols, j0+cb)
				matVecAVX2(y[i0:i1], w[i0*ldw+j0:], ldw, x[j0:j1])
			}
		}
	}
	biasSigmoidAccel(y, y, c)
}

// sigmoidMatTVecAccel computes y = σ(Wᵀ·h + b) as y = 0, y += Wᵀ·h with
// matTVecAVX2 over blocks of at most matTChunkCols columns and matChunk
// elements of W, then y = σ(y + b) with biasSigmoidAccel. The caller checks
// the lengths (checkMat).
func sigmoidMatTVecAccel(y, w []float32, ldw int, h, b []float32) {
	rows, cols := len(h), len(y)
	clear(y)
	if rows > 0 && cols > 0 {
		raceReadMatrix(w, ldw, rows, cols)
		raceRead(h)
		cb := min(cols, matTChunkCols)
		rb := max(1, matChunk/cb)
		for j0 := 0; j0 < cols; j0 += cb {
			j1 := min(cols, j0+cb)
			for i0 := 0; i0 < rows; i0 += rb {
				i1 := min(rows, i0+rb)
				matTVecAVX2(y[j0:j1], w[i0*ldw+j0:], ldw, h[i0:i1])
			}
		}
	}
	biasSigmoidAccel(y, y, b)
}
