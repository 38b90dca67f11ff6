package kerneltest_test

import (
	"math"
	"testing"

	"github.com/boltzgo/boltz/engine"
	"github.com/boltzgo/boltz/engine/kerneltest"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// gonumKernel is what a third party writes to plug a BLAS into boltz: the
// three Kernel methods on top of gonum's blas32.Gemm, with the bias,
// sigmoid and sampling done in plain Go. It exists to prove the contract can
// be met from outside the engine package.
type gonumKernel struct{}

func (gonumKernel) Name() string { return "gonum-blas32" }

func general(m engine.Mat) blas32.General {
	if m.Rows == 0 || m.Cols == 0 {
		return blas32.General{Rows: m.Rows, Cols: m.Cols, Stride: max(m.Stride, 1), Data: nil}
	}
	return blas32.General{Rows: m.Rows, Cols: m.Cols, Stride: m.Stride, Data: m.Data}
}

func (g gonumKernel) project(out, in, w engine.Mat, tW blas.Transpose, bias []float32, act engine.Act, s *engine.Sample) {
	if out.Rows == 0 || out.Cols == 0 {
		return
	}
	for r := 0; r < out.Rows; r++ {
		copy(out.Row(r), bias[:out.Cols])
	}
	if in.Cols > 0 {
		blas32.Gemm(blas.NoTrans, tW, 1, general(in), general(w), 1, general(out))
	}
	for r := 0; r < out.Rows; r++ {
		row := out.Row(r)
		if act == engine.Sigmoid {
			for j, x := range row {
				row[j] = float32(1 / (1 + math.Exp(-float64(x))))
			}
		}
		if s != nil {
			s.Stream.Bernoulli(s.Dst.Row(r), row, s.Row0+r, s.Col0)
		}
	}
}

func (g gonumKernel) Up(out, x, w engine.Mat, c []float32, act engine.Act, s *engine.Sample) {
	g.project(out, x, w, blas.Trans, c, act, s)
}

func (g gonumKernel) Down(out, h, w engine.Mat, b []float32, act engine.Act, s *engine.Sample) {
	g.project(out, h, w, blas.NoTrans, b, act, s)
}

func (gonumKernel) Update(w engine.Mat, u *engine.Update, i0, i1 int) {
	if i1 <= i0 || w.Cols == 0 {
		return
	}
	rowsOf := func(m engine.Mat) engine.Mat {
		return engine.Mat{Rows: i1 - i0, Cols: m.Cols, Stride: m.Stride, Data: m.Data[i0*m.Stride:]}
	}
	vel := general(rowsOf(u.Vel))
	// vel = Momentum·vel − Decay·W, then += the two correlations.
	for i := i0; i < i1; i++ {
		vi, wi := u.Vel.Row(i), w.Row(i)
		for j := range wi {
			vi[j] = u.Momentum*vi[j] - u.Decay*wi[j]
		}
	}
	colsOf := func(m engine.Mat) blas32.General {
		return blas32.General{Rows: m.Rows, Cols: i1 - i0, Stride: m.Stride, Data: m.Data[i0:]}
	}
	if u.PosH.Rows > 0 {
		blas32.Gemm(blas.Trans, blas.NoTrans, u.PosScale, colsOf(u.PosH), general(u.PosV), 1, vel)
	}
	if u.NegH.Rows > 0 {
		blas32.Gemm(blas.Trans, blas.NoTrans, -u.NegScale, colsOf(u.NegH), general(u.NegV), 1, vel)
	}
	for i := i0; i < i1; i++ {
		vi, wi := u.Vel.Row(i), w.Row(i)
		for j := range wi {
			wi[j] += vi[j]
		}
	}
}

// TestThirdPartyKernel runs the conformance suite on the gonum-based kernel.
func TestThirdPartyKernel(t *testing.T) { kerneltest.Run(t, gonumKernel{}) }
