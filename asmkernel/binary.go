package asmkernel

import (
	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/kernel"
)

// Binary products on the packed copies (kernel.PackedBinary): asm's
// BinaryGemm sums the rows of the packed layout that the operand's nonzeros
// select, in strips of W that stay in L2 while the batch passes, and ends
// with the GEMM's own epilogue. The sums are the packed GEMM's FMA chains
// without their zero terms, so with increasing index lists (kernel.Active)
// the results are Packed.Up's and Packed.Down's bits.

// UpBinary implements kernel.PackedBinary with the up layout (Wᵀ).
func (p *packedW) UpBinary(out kernel.Mat, a kernel.Active, col0 int, c []float32, act kernel.Act, s *kernel.Sample) {
	stride := p.k.nr * p.v
	p.k.binaryPacked(out, a, p.v, p.up[col0/p.k.nr*stride:], stride, c, act, s)
}

// DownBinary implements kernel.PackedBinary with the down layout (W).
func (p *packedW) DownBinary(out kernel.Mat, a kernel.Active, col0 int, b []float32, act kernel.Act, s *kernel.Sample) {
	stride := p.k.nr * p.h
	p.k.binaryPacked(out, a, p.h, p.down[col0/p.k.nr*stride:], stride, b, act, s)
}

// binaryPacked is projectPacked for an operand given by its nonzeros.
func (k *Kernel) binaryPacked(out kernel.Mat, a kernel.Active, depth int, b []float32, stride int, bias []float32, act kernel.Act, s *kernel.Sample) {
	if out.Rows == 0 || out.Cols == 0 {
		return
	}
	g := asm.BinaryArgs{N: out.Cols, K: depth, Beg: a.Beg[:out.Rows], End: a.End[:out.Rows], Idx: a.Idx, Val: a.Value,
		B: b, BStride: stride, C: out.Data, LDC: out.Stride, Bias: bias[:out.Cols]}
	switch {
	case act == kernel.Linear:
		g.Epilogue = asm.GemmAlphaBeta
	case s != nil:
		g.Epilogue = asm.GemmBiasSigmoidSample
		g.S, g.LDS, g.Stream, g.Row0, g.Col0 = s.Dst.Data, s.Dst.Stride, s.Stream, s.Row0, s.Col0
	default:
		g.Epilogue = asm.GemmBiasSigmoid
	}
	k.im.BinaryGemm(&g)
}
