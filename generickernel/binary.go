package generickernel

import "github.com/boltzgo/boltz/kernel"

// Binary products (kernel.BinaryProjector): the dense loops with the zero
// terms left out, in the same order and the same expressions, so that they
// give the dense Up and Down's bits exactly.

// UpBinary implements kernel.BinaryProjector: for each output, the dot
// product's chain over the active columns only, then the bias.
func (l Kernel) UpBinary(out kernel.Mat, a kernel.Active, w kernel.Mat, c []float32, act kernel.Act, s *kernel.Sample) {
	n, val := out.Cols, a.Value
	c = c[:n]
	for r := 0; r < out.Rows; r++ {
		o, idx := out.Row(r)[:n], a.Row(r)
		for i := range o {
			wi := w.Row(i)
			var acc float32
			for _, j := range idx {
				acc += val * wi[j]
			}
			o[i] = acc + c[i]
		}
	}
	l.finish(out, act, s)
}

// DownBinary implements kernel.BinaryProjector: the bias, then an AXPY of
// each active row of w, as Down does.
func (l Kernel) DownBinary(out kernel.Mat, a kernel.Active, w kernel.Mat, b []float32, act kernel.Act, s *kernel.Sample) {
	n, val := out.Cols, a.Value
	b = b[:n]
	for r := 0; r < out.Rows; r++ {
		o := out.Row(r)[:n]
		copy(o, b)
		for _, i := range a.Row(r) {
			axpy(o, val, w.Row(int(i))[:n])
		}
	}
	l.finish(out, act, s)
}
