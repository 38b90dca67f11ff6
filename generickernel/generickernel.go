// Package generickernel is boltz's pure-Go backend: a kernel.Kernel of plain
// Go loops (register-blocked dot products for Up, AXPYs for Down and Update)
// that builds and runs everywhere. It implements the three methods,
// kernel.Geometry, kernel.UnitsProjector (Gaussian and categorical units
// as the Linear product plus kernel.ApplyUnits) and kernel.TemperedProjector
// (the Linear product, each row times its scale, then the activation); the
// engine runs kernel.BiasSteps after its updates.
package generickernel

import (
	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/kernel"
)

// Name is the backend's name in the registry of package backends.
const Name = "generic"

// Kernel is the pure-Go backend. Its zero value is ready to use and safe for
// concurrent use.
type Kernel struct{}

// Name returns "generic".
func (Kernel) Name() string { return Name }

// Grain implements kernel.Geometry: Up's 2×4 register blocks.
func (Kernel) Grain() kernel.Grain { return kernel.Grain{Rows: 2, Cols: 4} }

// sigmoid is the vector sigmoid the kernel applies: asm's Go twin.
func sigmoid(dst, src []float32) { asm.SigmoidGeneric(dst, src) }

// Up implements kernel.Kernel.Up with 2×4 register blocks of dot products.
func (l Kernel) Up(out, x, w kernel.Mat, c []float32, act kernel.Act, s *kernel.Sample) {
	rows, n, k := x.Rows, out.Cols, x.Cols
	c = c[:n]
	r := 0
	for ; r+2 <= rows; r += 2 {
		x0, x1 := x.Row(r)[:k], x.Row(r + 1)[:k]
		o0, o1 := out.Row(r)[:n], out.Row(r + 1)[:n]
		i := 0
		for ; i+4 <= n; i += 4 {
			w0, w1, w2, w3 := w.Row(i)[:k], w.Row(i + 1)[:k], w.Row(i + 2)[:k], w.Row(i + 3)[:k]
			var a00, a01, a02, a03, a10, a11, a12, a13 float32
			for j, xv := range x0 {
				yv := x1[j]
				a00 += xv * w0[j]
				a01 += xv * w1[j]
				a02 += xv * w2[j]
				a03 += xv * w3[j]
				a10 += yv * w0[j]
				a11 += yv * w1[j]
				a12 += yv * w2[j]
				a13 += yv * w3[j]
			}
			o0[i], o0[i+1], o0[i+2], o0[i+3] = a00+c[i], a01+c[i+1], a02+c[i+2], a03+c[i+3]
			o1[i], o1[i+1], o1[i+2], o1[i+3] = a10+c[i], a11+c[i+1], a12+c[i+2], a13+c[i+3]
		}
		for ; i < n; i++ {
			wi := w.Row(i)[:k]
			var a0, a1 float32
			for j, wv := range wi {
				a0 += x0[j] * wv
				a1 += x1[j] * wv
			}
			o0[i], o1[i] = a0+c[i], a1+c[i]
		}
	}
	for ; r < rows; r++ {
		x0 := x.Row(r)[:k]
		o0 := out.Row(r)[:n]
		for i := 0; i < n; i++ {
			wi := w.Row(i)[:k]
			var a float32
			for j, wv := range wi {
				a += x0[j] * wv
			}
			o0[i] = a + c[i]
		}
	}
	l.finish(out, act, s)
}

// Down implements kernel.Kernel.Down as row-by-row AXPYs over the hidden units,
// skipping units that are exactly 0 (half of a sampled hidden layer).
func (l Kernel) Down(out, h, w kernel.Mat, b []float32, act kernel.Act, s *kernel.Sample) {
	n := out.Cols
	b = b[:n]
	for r := 0; r < h.Rows; r++ {
		o := out.Row(r)[:n]
		copy(o, b)
		for i, hv := range h.Row(r) {
			if hv == 0 {
				continue
			}
			axpy(o, hv, w.Row(i)[:n])
		}
	}
	l.finish(out, act, s)
}

// Update implements kernel.Kernel.Update: vel = Momentum·vel − Decay·W, then the
// positive and negative correlations are accumulated into vel row by row, and
// W += vel.
func (Kernel) Update(w kernel.Mat, u *kernel.Update, i0, i1 int) {
	v := w.Cols
	for i := i0; i < i1; i++ {
		wi, vi := w.Row(i)[:v], u.Vel.Row(i)[:v]
		for j := range vi {
			vi[j] = u.Momentum*vi[j] - u.Decay*wi[j]
		}
		for r := 0; r < u.PosH.Rows; r++ {
			if a := u.PosScale * u.PosH.Row(r)[i]; a != 0 {
				axpy(vi, a, u.PosV.Row(r)[:v])
			}
		}
		for r := 0; r < u.NegH.Rows; r++ {
			if a := u.NegScale * u.NegH.Row(r)[i]; a != 0 {
				axpy(vi, -a, u.NegV.Row(r)[:v])
			}
		}
		for j := range wi {
			wi[j] += vi[j]
		}
	}
}

// axpy sets y += a·x (len(x) ≥ len(y)).
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	j := 0
	for ; j+4 <= len(y); j += 4 {
		y[j] += a * x[j]
		y[j+1] += a * x[j+1]
		y[j+2] += a * x[j+2]
		y[j+3] += a * x[j+3]
	}
	for ; j < len(y); j++ {
		y[j] += a * x[j]
	}
}

// finish applies the activation and the sampling of a projection, row by row.
func (l Kernel) finish(out kernel.Mat, act kernel.Act, s *kernel.Sample) {
	for r := 0; r < out.Rows; r++ {
		o := out.Row(r)
		if act == kernel.Sigmoid {
			sigmoid(o, o)
		}
		if s != nil {
			s.Stream.Bernoulli(s.Dst.Row(r), o, s.Row0+r, s.Col0)
		}
	}
}

// UpUnits implements kernel.UnitsProjector: the Linear product, then
// kernel.ApplyUnits.
func (l Kernel) UpUnits(out, x, w kernel.Mat, c []float32, u *kernel.Units, s *kernel.Sample) {
	l.Up(out, x, w, c, kernel.Linear, nil)
	kernel.ApplyUnits(out, u, s)
}

// DownUnits implements kernel.UnitsProjector.
func (l Kernel) DownUnits(out, h, w kernel.Mat, b []float32, u *kernel.Units, s *kernel.Sample) {
	l.Down(out, h, w, b, kernel.Linear, nil)
	kernel.ApplyUnits(out, u, s)
}
