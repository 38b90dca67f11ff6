package generickernel

import "github.com/boltzgo/boltz/kernel"

// Tempered projections (kernel.TemperedProjector): the Linear product, then
// each row times its scale and the activation and sampling of Up and Down,
// so that a scale of 1 gives their result bit for bit.

// UpTempered implements kernel.TemperedProjector.
func (l Kernel) UpTempered(out, x, w kernel.Mat, c, scale []float32, act kernel.Act, s *kernel.Sample) {
	l.Up(out, x, w, c, kernel.Linear, nil)
	scaleRows(out, scale)
	l.finish(out, act, s)
}

// DownTempered implements kernel.TemperedProjector.
func (l Kernel) DownTempered(out, h, w kernel.Mat, b, scale []float32, act kernel.Act, s *kernel.Sample) {
	l.Down(out, h, w, b, kernel.Linear, nil)
	scaleRows(out, scale)
	l.finish(out, act, s)
}

// scaleRows multiplies row r of out by scale[r].
func scaleRows(out kernel.Mat, scale []float32) {
	scale = scale[:out.Rows]
	for r, b := range scale {
		o := out.Row(r)
		for u := range o {
			o[u] *= b
		}
	}
}

var _ kernel.TemperedProjector = Kernel{}
