package engine

import "github.com/boltzgo/boltz/asm"

// Packed weights: a Trainer whose kernel is the avx2 one keeps W, between
// the steps of a Fit, also in the two layouts the kernel's projections read,
// so that no projection packs W: the weight update's write-back stores the
// new W in the down layout as well, and the update phase repacks the up
// layout (W transposed) from the rows it has just changed, still in cache.

// packedW holds an H×V weight matrix as asm.GemmPackB operands: up is Wᵀ
// (k = V, n = H: ⌈H/16⌉ panels of 16 hidden units, 16·V apart) for Up, down
// is W (k = H, n = V: ⌈V/16⌉ panels of 16 visible units, 16·H apart) for
// Down.
type packedW struct {
	h, v     int
	up, down []float32
}

// packedMaxK is the deepest product the packed path serves: deeper ones go
// through the cache-blocked driver, which packs in blocks of its own.
const packedMaxK = directMaxK

// newPackedW returns the packed copy of an H×V matrix (not yet filled), or
// nil when the kernel cannot use one for that shape.
func newPackedW(k Kernel, h, v int) *packedW {
	if _, ok := k.(avx2); !ok || h > packedMaxK || v > packedMaxK {
		return nil
	}
	return &packedW{h: h, v: v,
		up:   make([]float32, asm.GemmPackedBLen(v, h, asm.GemmNR*v)),
		down: make([]float32, asm.GemmPackedBLen(h, v, asm.GemmNR*h))}
}

// refresh packs rows [i0, i1) of w (H×V) into both layouts; i0 is a multiple
// of 16 (the update phase splits the hidden units in multiples of colGrain),
// so the rows fill whole panels of up, and one band of rows of every panel
// of down: calls on disjoint ranges may run concurrently.
func (p *packedW) refresh(w Mat, i0, i1 int) {
	if i1 <= i0 {
		return
	}
	p.refreshUp(w, i0, i1)
	asm.GemmPackB(p.down[i0*asm.GemmNR:], false, w.Data[i0*w.Stride:], w.Stride, i1-i0, p.v, asm.GemmNR*p.h)
}

// refreshUp is refresh for the up layout only (the weight update's
// write-back keeps the down layout itself, see asm.GemmArgs.WP).
func (p *packedW) refreshUp(w Mat, i0, i1 int) {
	if i1 <= i0 {
		return
	}
	asm.GemmPackB(p.up[i0/asm.GemmNR*asm.GemmNR*p.v:], true, w.Data[i0*w.Stride:], w.Stride, p.v, i1-i0, asm.GemmNR*p.v)
}

// project runs Up (down false: out[:, col0:col0+out.Cols] of x·Wᵀ) or Down
// (down true: of x·W) with the packed W; col0 is a multiple of 16 (the
// column splits are multiples of colGrain).
func (p *packedW) project(down bool, out, x Mat, col0 int, bias []float32, act Act, s *Sample) {
	if out.Rows == 0 || out.Cols == 0 {
		return
	}
	b, stride := p.up, asm.GemmNR*p.v
	if down {
		b, stride = p.down, asm.GemmNR*p.h
	}
	projectPacked(out, x, b[col0/asm.GemmNR*stride:], stride, bias, act, s)
}
