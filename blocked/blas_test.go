package blocked

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestBlasPanics checks that Blas.Sgemm panics with gonum's messages, in
// gonum's order, for bad arguments.
func TestBlasPanics(t *testing.T) {
	a, b, c := make([]float32, 100), make([]float32, 100), make([]float32, 100)
	type args struct {
		tA, tB  blas.Transpose
		m, n, k int
		a       []float32
		lda     int
		b       []float32
		ldb     int
		c       []float32
		ldc     int
	}
	N, T := blas.NoTrans, blas.Trans
	cases := []args{
		{'X', N, 2, 2, 2, a, 2, b, 2, c, 2},
		{N, 'X', 2, 2, 2, a, 2, b, 2, c, 2},
		{N, N, -1, 2, 2, a, 2, b, 2, c, 2},
		{N, N, 2, -1, 2, a, 2, b, 2, c, 2},
		{N, N, 2, 2, -1, a, 2, b, 2, c, 2},
		{N, N, 2, 2, 3, a, 2, b, 2, c, 2},
		{T, N, 3, 2, 2, a, 2, b, 2, c, 2},
		{N, N, 2, 3, 2, a, 2, b, 2, c, 3},
		{N, T, 2, 2, 3, a, 3, b, 2, c, 2},
		{N, N, 2, 3, 2, a, 2, b, 3, c, 2},
		{N, N, 0, 0, 0, a, 0, b, 2, c, 2},
		{N, N, 0, 2, 2, a, 2, b, 2, c, 1},
		{N, N, 51, 2, 2, a, 2, b, 2, c, 2},
		{T, N, 2, 2, 51, a, 2, b, 2, c, 2},
		{N, N, 1, 2, 51, a, 51, b, 2, c, 2},
		{N, T, 1, 51, 2, a, 2, b, 2, c, 51},
		{N, N, 51, 2, 1, a, 1, b, 2, c, 2},
		{N, N, 0, 2, 2, nil, 2, nil, 2, nil, 2}, // quick return: no panic
		{N, N, 2, 2, 0, nil, 1, nil, 2, c, 2},   // k = 0: a and b are not checked beyond gonum's rules
		{blas.ConjTrans, blas.ConjTrans, 2, 2, 2, a, 2, b, 2, c, 2},
	}
	catch := func(f func()) (msg any) {
		defer func() { msg = recover() }()
		f()
		return nil
	}
	for i, x := range cases {
		want := catch(func() {
			gonum.Implementation{}.Sgemm(x.tA, x.tB, x.m, x.n, x.k, 1, x.a, x.lda, x.b, x.ldb, 0, x.c, x.ldc)
		})
		got := catch(func() {
			Blas{}.Sgemm(x.tA, x.tB, x.m, x.n, x.k, 1, x.a, x.lda, x.b, x.ldb, 0, x.c, x.ldc)
		})
		if got != want {
			t.Errorf("case %d %+v: panic %v, gonum %v", i, x, got, want)
		}
	}
}

// TestBlasGrid runs Blas.Sgemm on gonum's grid against the float64
// reference (see TestSgemmGrid), comparing also with gonum's own Sgemm.
func TestBlasGrid(t *testing.T) {
	rnd := rand.New(rand.NewPCG(21, 22))
	trans := []blas.Transpose{blas.NoTrans, blas.Trans, blas.ConjTrans}
	n := 0
	for _, tA := range trans {
		for _, tB := range trans {
			for _, m := range []int{0, 1, 2, 5, 7, 10, 17} {
				for _, nn := range []int{0, 1, 2, 5, 10, 15, 17, 33} {
					for _, k := range []int{0, 1, 2, 7, 11, 30} {
						alpha := []float32{0, 1, 0.7}[n%3]
						beta := []float32{0, 1, 0.7}[n/3%3]
						n++
						p := newProblem(rnd, tA != blas.NoTrans, tB != blas.NoTrans, m, nn, k, alpha, beta, false)
						c := append([]float32(nil), p.c0...)
						var impl blas.Float32Level3 = Blas{Runner: goRunner{w: 1 + n%3}}
						impl.Sgemm(tA, tB, m, nn, k, alpha, p.a.v, p.a.ld, p.b.v, p.b.ld, beta, c, p.c.ld)
						p.check(t, c, p.s.v, false)
					}
				}
			}
		}
	}
}

// TestBlasUse checks that blas32.Use(Blas{}) routes gonum's float32 GEMM
// through this package.
func TestBlasUse(t *testing.T) {
	rnd := rand.New(rand.NewPCG(23, 24))
	defer blas32.Use(gonum.Implementation{})
	blas32.Use(Blas{})
	if _, ok := blas32.Implementation().(Blas); !ok {
		t.Fatal("blas32.Implementation is not Blas")
	}
	p := newProblem(rnd, false, true, 20, 30, 40, 1, 0, false)
	a := blas32.General{Rows: 20, Cols: 40, Stride: p.a.ld, Data: p.a.v}
	b := blas32.General{Rows: 30, Cols: 40, Stride: p.b.ld, Data: p.b.v}
	c := blas32.General{Rows: 20, Cols: 30, Stride: p.c.ld, Data: append([]float32(nil), p.c0...)}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1, a, b, 0, c)
	p.check(t, c.Data, p.s.v, false)
	// Level 1 and 2 come from gonum.
	x := blas32.Vector{N: 3, Inc: 1, Data: []float32{1, 2, 3}}
	if d := blas32.Dot(x, x); d != 14 {
		t.Errorf("Dot = %g", d)
	}
}

func ExampleBlas() {
	blas32.Use(Blas{})
	defer blas32.Use(gonum.Implementation{})
	a := blas32.General{Rows: 2, Cols: 3, Stride: 3, Data: []float32{1, 2, 3, 4, 5, 6}}
	c := blas32.General{Rows: 2, Cols: 2, Stride: 2, Data: make([]float32, 4)}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1, a, a, 0, c) // C = A·Aᵀ
	fmt.Println(c.Data)
	// Output: [14 32 32 77]
}
