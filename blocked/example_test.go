package blocked_test

import (
	"fmt"

	"github.com/boltzgo/boltz/blocked"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

// Using boltz's Sgemm through gonum: after blas32.Use(blocked.Blas{}), every
// float32 GEMM gonum makes (blas32.Gemm, and what is built on it) runs on
// the blocked AVX2 kernels, or their pure-Go fallback. The other BLAS
// routines stay gonum's own.
func ExampleBlas_gonum() {
	blas32.Use(blocked.Blas{})
	defer blas32.Use(gonum.Implementation{}) // restore gonum's (for the other tests)

	a := blas32.General{Rows: 2, Cols: 2, Stride: 2, Data: []float32{
		1, 2,
		3, 4,
	}}
	b := blas32.General{Rows: 2, Cols: 2, Stride: 2, Data: []float32{
		5, 6,
		7, 8,
	}}
	c := blas32.General{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4)}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, a, b, 0, c) // C = 1·A·B + 0·C
	fmt.Println(c.Data[0:2])
	fmt.Println(c.Data[2:4])

	blas32.Gemm(blas.Trans, blas.NoTrans, 1, a, b, 0, c) // C = Aᵀ·B
	fmt.Println(c.Data[0:2])
	fmt.Println(c.Data[2:4])
	// Output:
	// [19 22]
	// [43 50]
	// [26 30]
	// [38 44]
}
