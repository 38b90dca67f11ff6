package blocked

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Blas is gonum's native BLAS implementation with Sgemm replaced by this
// package's: blas32.Use(blocked.Blas{}) makes gonum's float32 matrices use
// it. Runner, when not nil, runs the products in parallel (nil: the calling
// goroutine); the result does not depend on it.
type Blas struct {
	gonum.Implementation
	Runner Runner
}

// Sgemm computes C = α·op(A)·op(B) + β·C like gonum.Implementation.Sgemm,
// with the same argument checks and panic messages, but with the blocked
// AVX2 kernels.
func (bl Blas) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	switch tA {
	default:
		panic("blas: illegal transpose")
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	}
	switch tB {
	default:
		panic("blas: illegal transpose")
	case blas.NoTrans, blas.Trans, blas.ConjTrans:
	}
	o := gemmOp{tA: tA != blas.NoTrans, tB: tB != blas.NoTrans, m: m, n: n, k: k, alpha: alpha,
		a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	o.check("blas: ")
	o.run(bl.Runner)
}
