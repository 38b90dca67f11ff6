package asmkernel

import "github.com/boltzgo/boltz/kernel"

// Packed weights: W kept, between the steps of a training run, in the two
// layouts the backend's projections read, so that no projection packs W.
// The update's write-back stores the new W in the down layout as well, and
// UpdateFused repacks the up layout (W transposed) from the rows it has just
// changed, still in cache.

// packedW holds an H×V weight matrix as the level's GemmPackB operands: up
// is Wᵀ (k = V, n = H: ⌈H/NR⌉ panels of NR hidden units, NR·V apart) for Up,
// down is W (k = H, n = V: ⌈V/NR⌉ panels of NR visible units, NR·H apart)
// for Down.
type packedW struct {
	k        *Kernel
	h, v     int
	up, down []float32
}

// packedMaxK is the deepest product the packed path serves: larger models
// (V or H above it) pack W per product in cache-sized blocks, because there
// the packed copies do not fit in cache and cost more memory traffic than
// they save.
const packedMaxK = directMaxK

// NewPacked implements kernel.Packer: nil above packedMaxK units a side.
func (k *Kernel) NewPacked(h, v int) kernel.Packed {
	if h > packedMaxK || v > packedMaxK || h < 1 || v < 1 {
		return nil
	}
	nr := k.nr
	return &packedW{k: k, h: h, v: v,
		up:   make([]float32, k.im.GemmPackedBLen(v, h, nr*v)),
		down: make([]float32, k.im.GemmPackedBLen(h, v, nr*h))}
}

// Refresh implements kernel.Packed: i0 is a multiple of NR, so the rows fill
// whole panels of up, and one band of rows of every panel of down: calls on
// disjoint ranges may run concurrently.
func (p *packedW) Refresh(w kernel.Mat, i0, i1 int) {
	if i1 <= i0 {
		return
	}
	p.refreshUp(w, i0, i1)
	nr := p.k.nr
	p.k.im.GemmPackB(p.down[i0*nr:], false, w.Data[i0*w.Stride:], w.Stride, i1-i0, p.v, nr*p.h)
}

// refreshUp is Refresh for the up layout only.
func (p *packedW) refreshUp(w kernel.Mat, i0, i1 int) {
	if i1 <= i0 {
		return
	}
	nr := p.k.nr
	p.k.im.GemmPackB(p.up[i0/nr*nr*p.v:], true, w.Data[i0*w.Stride:], w.Stride, p.v, i1-i0, nr*p.v)
}

// Up implements kernel.Packed.
func (p *packedW) Up(out, x kernel.Mat, col0 int, c []float32, act kernel.Act, s *kernel.Sample) {
	if out.Rows == 0 || out.Cols == 0 {
		return
	}
	stride := p.k.nr * p.v
	p.k.projectPacked(out, x, p.up[col0/p.k.nr*stride:], stride, c, nil, act, s)
}

// Down implements kernel.Packed.
func (p *packedW) Down(out, h kernel.Mat, col0 int, b []float32, act kernel.Act, s *kernel.Sample) {
	if out.Rows == 0 || out.Cols == 0 {
		return
	}
	stride := p.k.nr * p.h
	p.k.projectPacked(out, h, p.down[col0/p.k.nr*stride:], stride, b, nil, act, s)
}
