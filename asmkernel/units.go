package asmkernel

import "github.com/boltzgo/boltz/kernel"

// Gaussian and categorical units (kernel.UnitsProjector, kernel.PackedUnits):
// the Linear product of the level's GEMM, then kernel.ApplyUnits as a Go
// post-pass over the tile rows just written, still in cache.

// UpUnits implements kernel.UnitsProjector.
func (k *Kernel) UpUnits(out, x, w kernel.Mat, c []float32, u *kernel.Units, s *kernel.Sample) {
	k.Up(out, x, w, c, kernel.Linear, nil)
	kernel.ApplyUnits(out, u, s)
}

// DownUnits implements kernel.UnitsProjector.
func (k *Kernel) DownUnits(out, h, w kernel.Mat, b []float32, u *kernel.Units, s *kernel.Sample) {
	k.Down(out, h, w, b, kernel.Linear, nil)
	kernel.ApplyUnits(out, u, s)
}

// UpUnits implements kernel.PackedUnits.
func (p *packedW) UpUnits(out, x kernel.Mat, col0 int, c []float32, u *kernel.Units, s *kernel.Sample) {
	p.Up(out, x, col0, c, kernel.Linear, nil)
	kernel.ApplyUnits(out, u, s)
}

// DownUnits implements kernel.PackedUnits.
func (p *packedW) DownUnits(out, h kernel.Mat, col0 int, b []float32, u *kernel.Units, s *kernel.Sample) {
	p.Down(out, h, col0, b, kernel.Linear, nil)
	kernel.ApplyUnits(out, u, s)
}
