package asmkernel

import "github.com/boltzgo/boltz/kernel"

// Tempered projections (kernel.TemperedProjector, kernel.PackedTempered):
// the projections with the per-row scale of asm's GEMM write-back
// (asm.GemmArgs.Scale), so the inverse temperature costs one multiplication
// a vector in the tile that is being written, before the sigmoid and the
// sampling.

// UpTempered implements kernel.TemperedProjector.
func (k *Kernel) UpTempered(out, x, w kernel.Mat, c, scale []float32, act kernel.Act, s *kernel.Sample) {
	k.project(out, x, w, c, scale[:out.Rows], act, s, true)
}

// DownTempered implements kernel.TemperedProjector.
func (k *Kernel) DownTempered(out, h, w kernel.Mat, b, scale []float32, act kernel.Act, s *kernel.Sample) {
	k.project(out, h, w, b, scale[:out.Rows], act, s, false)
}

// UpTempered implements kernel.PackedTempered.
func (p *packedW) UpTempered(out, x kernel.Mat, col0 int, c, scale []float32, act kernel.Act, s *kernel.Sample) {
	if out.Rows == 0 || out.Cols == 0 {
		return
	}
	stride := p.k.nr * p.v
	p.k.projectPacked(out, x, p.up[col0/p.k.nr*stride:], stride, c, scale[:out.Rows], act, s)
}

// DownTempered implements kernel.PackedTempered.
func (p *packedW) DownTempered(out, h kernel.Mat, col0 int, b, scale []float32, act kernel.Act, s *kernel.Sample) {
	if out.Rows == 0 || out.Cols == 0 {
		return
	}
	stride := p.k.nr * p.h
	p.k.projectPacked(out, h, p.down[col0/p.k.nr*stride:], stride, b, scale[:out.Rows], act, s)
}

var (
	_ kernel.TemperedProjector = (*Kernel)(nil)
	_ kernel.PackedTempered    = (*packedW)(nil)
)
