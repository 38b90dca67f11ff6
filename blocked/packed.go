package blocked

import (
	"sync"

	"github.com/boltzgo/boltz/asm"
)

// PackedB is a k×n B operand kept in the layout of the micro-kernels: ⌈n/NR⌉
// panels of NR columns (NR from the running level's tile), zero padded, each
// k-major (element (p, j) of panel q at Data()[q*Stride()+p*NR+j]). A weight matrix packed once and repacked
// after each update is never repacked on the hot path: pass it to
// SgemmPacked and its fused variants in place of B.
//
// A PackedB must not be repacked or modified while a product reads it.
type PackedB struct {
	k, n   int
	stride int // elements between panels: NR·k
	data   []float32
}

// NewPackedB returns a zero k×n PackedB. It panics if k or n is negative.
func NewPackedB(k, n int) *PackedB {
	if k < 0 || n < 0 {
		panic("blocked: NewPackedB: negative size")
	}
	p := &PackedB{k: k, n: n, stride: tileNR * k}
	p.data = make([]float32, asm.GemmPackedBLen(k, n, p.stride))
	return p
}

// K returns the rows of the operand (the depth of the products).
func (p *PackedB) K() int { return p.k }

// N returns the columns of the operand.
func (p *PackedB) N() int { return p.n }

// Stride returns the distance in elements between two panels of Data.
func (p *PackedB) Stride() int { return p.stride }

// Data returns the packed panels (see PackedB), for callers that update
// the operand in place, for example with an update kernel working on the
// packed layout. The padding columns must stay zero.
func (p *PackedB) Data() []float32 { return p.data }

// At returns element (i, j) of the k×n operand.
func (p *PackedB) At(i, j int) float32 {
	if uint(i) >= uint(p.k) || uint(j) >= uint(p.n) {
		panic("blocked: PackedB.At: index out of range")
	}
	return p.data[p.index(i, j)]
}

// Set sets element (i, j) of the k×n operand to v.
func (p *PackedB) Set(i, j int, v float32) {
	if uint(i) >= uint(p.k) || uint(j) >= uint(p.n) {
		panic("blocked: PackedB.Set: index out of range")
	}
	p.data[p.index(i, j)] = v
}

func (p *PackedB) index(i, j int) int {
	return j/tileNR*p.stride + i*tileNR + j%tileNR
}

// Repack packs op(B) into p: B is k×n (element (i, j) at b[i*ldb+j]) or,
// when tB, n×k (element (i, j) at b[j*ldb+i]), k and n those of p. The
// panels are split over r's workers (nil: the calling goroutine). It panics
// if b is too short or ldb too small, and does not allocate.
func (p *PackedB) Repack(r Runner, tB bool, b []float32, ldb int) {
	p.RepackCols(r, tB, b, ldb, 0, p.n)
}

// RepackCols repacks the columns [j0, j1) of op(B) (b and ldb as in
// Repack, describing the whole k×n operand), for example the columns a
// worker updated. It panics if the range is out of [0, n].
func (p *PackedB) RepackCols(r Runner, tB bool, b []float32, ldb int, j0, j1 int) {
	if j0 < 0 || j1 > p.n || j0 > j1 {
		panic("blocked: PackedB.RepackCols: bad column range")
	}
	if tB {
		if ldb < max(1, p.k) {
			panic("blocked: bad leading dimension of B")
		}
		if p.n > 0 && p.k > 0 && len(b) < (p.n-1)*ldb+p.k {
			panic("blocked: insufficient length of b")
		}
	} else {
		if ldb < max(1, p.n) {
			panic("blocked: bad leading dimension of B")
		}
		if p.n > 0 && p.k > 0 && len(b) < (p.k-1)*ldb+p.n {
			panic("blocked: insufficient length of b")
		}
	}
	if j0 == j1 || p.k == 0 {
		return
	}
	// Whole panels: from the panel of j0 to that of j1-1.
	q0, q1 := j0/tileNR, (j1+tileNR-1)/tileNR
	rp := repackPool.Get().(*repackJob)
	rp.p, rp.tB, rp.b, rp.ldb, rp.q0 = p, tB, b, ldb, q0
	if workers(r) == 1 || r == nil {
		rp.fn(0, 0, q1-q0)
	} else {
		r.Run(q1-q0, 1, rp.fn)
	}
	rp.p, rp.b = nil, nil
	repackPool.Put(rp)
}

type repackJob struct {
	p   *PackedB
	tB  bool
	b   []float32
	ldb int
	q0  int
	fn  func(part, lo, hi int)
}

var repackPool = sync.Pool{New: func() any {
	j := new(repackJob)
	j.fn = j.part
	return j
}}

// part repacks panels q0+lo .. q0+hi-1.
func (j *repackJob) part(_, lo, hi int) {
	p := j.p
	c0 := (j.q0 + lo) * tileNR
	c1 := min((j.q0+hi)*tileNR, p.n)
	dst := p.data[(j.q0+lo)*p.stride:]
	if j.tB {
		asm.GemmPackB(dst, true, j.b[c0*j.ldb:], j.ldb, p.k, c1-c0, p.stride)
	} else {
		asm.GemmPackB(dst, false, j.b[c0:], j.ldb, p.k, c1-c0, p.stride)
	}
}

// Unpack writes the k×n operand to b: as B (element (i, j) at b[i*ldb+j])
// or, when tB, as Bᵀ (element (i, j) at b[j*ldb+i]).
func (p *PackedB) Unpack(tB bool, b []float32, ldb int) {
	for i := range p.k {
		for j := range p.n {
			v := p.data[p.index(i, j)]
			if tB {
				b[j*ldb+i] = v
			} else {
				b[i*ldb+j] = v
			}
		}
	}
}
