package gonumkernel

import (
	"math"

	"github.com/boltzgo/boltz/kernel"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Kernel runs the products on Impl; a nil Impl means blas32's current
// implementation (gonum's pure-Go one unless blas32.Use chose another).
type Kernel struct {
	Impl blas.Float32
}

// Name returns "gonum", its name in the registry of package backends.
func (Kernel) Name() string { return "gonum" }

func (k Kernel) impl() blas.Float32 {
	if k.Impl != nil {
		return k.Impl
	}
	return blas32.Implementation()
}

// gemm is C = alpha·op(A)·op(B) + C for C m×n, with the leading dimensions
// of empty operands raised to 1 as BLAS demands.
func (k Kernel) gemm(tA, tB blas.Transpose, m, n, kk int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m == 0 || n == 0 || kk == 0 {
		return
	}
	k.impl().Sgemm(tA, tB, m, n, kk, alpha, a, max(lda, 1), b, max(ldb, 1), 1, c, max(ldc, 1))
}

func (k Kernel) project(out, in, w kernel.Mat, tW blas.Transpose, bias []float32, act kernel.Act, s *kernel.Sample) {
	if out.Rows == 0 || out.Cols == 0 {
		return
	}
	for r := 0; r < out.Rows; r++ {
		copy(out.Row(r), bias[:out.Cols])
	}
	k.gemm(blas.NoTrans, tW, out.Rows, out.Cols, in.Cols, 1, in.Data, in.Stride, w.Data, w.Stride, out.Data, out.Stride)
	for r := 0; r < out.Rows; r++ {
		row := out.Row(r)
		if act == kernel.Sigmoid {
			for j, x := range row {
				row[j] = float32(1 / (1 + math.Exp(-float64(x))))
			}
		}
		if s != nil {
			s.Stream.Bernoulli(s.Dst.Row(r), row, s.Row0+r, s.Col0)
		}
	}
}

// Up implements kernel.Kernel.Up: out = act(x·wᵀ + c).
func (k Kernel) Up(out, x, w kernel.Mat, c []float32, act kernel.Act, s *kernel.Sample) {
	k.project(out, x, w, blas.Trans, c, act, s)
}

// Down implements kernel.Kernel.Down: out = act(h·w + b).
func (k Kernel) Down(out, h, w kernel.Mat, b []float32, act kernel.Act, s *kernel.Sample) {
	k.project(out, h, w, blas.NoTrans, b, act, s)
}

// Update implements kernel.Kernel.Update: vel = Momentum·vel − Decay·W,
// then the two correlations through Sgemm, then W += vel.
func (k Kernel) Update(w kernel.Mat, u *kernel.Update, i0, i1 int) {
	if i1 <= i0 || w.Cols == 0 {
		return
	}
	for i := i0; i < i1; i++ {
		vi, wi := u.Vel.Row(i), w.Row(i)
		for j := range wi {
			vi[j] = u.Momentum*vi[j] - u.Decay*wi[j]
		}
	}
	vel := u.Vel.Data[i0*u.Vel.Stride:]
	M, V := i1-i0, w.Cols
	if p := u.PosH; p.Rows > 0 {
		k.gemm(blas.Trans, blas.NoTrans, M, V, p.Rows, u.PosScale, p.Data[i0:], p.Stride, u.PosV.Data, u.PosV.Stride, vel, u.Vel.Stride)
	}
	if n := u.NegH; n.Rows > 0 {
		k.gemm(blas.Trans, blas.NoTrans, M, V, n.Rows, -u.NegScale, n.Data[i0:], n.Stride, u.NegV.Data, u.NegV.Stride, vel, u.Vel.Stride)
	}
	for i := i0; i < i1; i++ {
		vi, wi := u.Vel.Row(i), w.Row(i)
		for j := range wi {
			wi[j] += vi[j]
		}
	}
}
