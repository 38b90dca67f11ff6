// Package asmkernel is boltz's assembly backend: a kernel.Kernel whose every
// projection and update is one GEMM on the micro-kernels of package asm, at
// one of asm's instruction-set levels (avx2 today; generic runs the same
// algorithm on the pure-Go twins). It implements the whole contract of
// package kernel: the tile geometry of its level, W kept packed in both
// product layouts across steps, the fused update (momentum, decay, the
// bias steps and the write-back into the packed copy in one pass), and the
// tempered projections (a per-row inverse temperature in the write-back).
//
// Projections read the batch in place (row-major A, no packing) and W from a
// copy packed in the level's layout, with bias, sigmoid and Bernoulli
// sampling fused into the tile's write-back. Products deeper than 1024 go
// through package blocked, which splits K into cache-sized blocks.
//
// Nothing outside this package knows the asm tiles: the engine reads them
// through kernel.Geometry.
package asmkernel

import (
	"sync"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/blocked"
	"github.com/boltzgo/boltz/kernel"
)

// Name is the backend's name in the registry of package backends.
const Name = "asm"

// Kernel is the assembly backend on one asm level. It is safe for
// concurrent use.
type Kernel struct {
	im     *asm.Impl
	mr, nr int
}

// New returns the backend on level im (an asm.Impl this CPU supports, see
// asm.Supported).
func New(im *asm.Impl) *Kernel {
	mr, nr := im.Tile()
	return &Kernel{im: im, mr: mr, nr: nr}
}

// Default returns the backend on asm's Current level, and asm.EnvError: a
// $BOLTZ_ISA that names no level this CPU runs is an error, not a silent
// fallback.
func Default() (*Kernel, error) {
	if err := asm.EnvError(); err != nil {
		return nil, err
	}
	return New(asm.Current()), nil
}

// Name returns "asm".
func (k *Kernel) Name() string { return Name }

// Level implements kernel.Describer: the asm level ("avx2", "generic").
func (k *Kernel) Level() string { return k.im.Name() }

// Describe implements kernel.Describer.
func (k *Kernel) Describe() string { return k.im.Name() + ": " + k.im.About() }

// Impl returns the asm level the backend runs.
func (k *Kernel) Impl() *asm.Impl { return k.im }

// Grain implements kernel.Geometry: the level's register tile.
func (k *Kernel) Grain() kernel.Grain { return kernel.Grain{Rows: k.mr, Cols: k.nr} }

// scratch holds the packed operands of one call. Calls take one from a free
// list and give it back; the list keeps every buffer ever made, so the
// steady state allocates nothing however many calls run at once (a
// sync.Pool would drop the buffers at every garbage collection).
type scratch struct{ a, b, t []float32 }

var (
	scratchMu   sync.Mutex
	scratchFree []*scratch
)

func getScratch() *scratch {
	scratchMu.Lock()
	defer scratchMu.Unlock()
	if n := len(scratchFree); n > 0 {
		s := scratchFree[n-1]
		scratchFree = scratchFree[:n-1]
		return s
	}
	return new(scratch)
}

func putScratch(s *scratch) {
	scratchMu.Lock()
	scratchFree = append(scratchFree, s)
	scratchMu.Unlock()
}

func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n+n/4)
	}
	return buf[:n]
}

// directMaxK is the deepest product project runs as one packed block; deeper
// ones (V or H in the thousands) go through the cache-blocked driver, which
// splits K into L1-sized blocks. The choice depends on K only, which no split
// of the work changes, so results stay independent of the worker count.
const directMaxK = 1024

// project runs out = act(op(in)·B + bias) with B packed from w (transposed
// for Up, where w holds one row per output column); with a scale (one per
// row of out, else nil), row r's pre-activation is multiplied by scale[r]
// in the write-back (tempered.go).
func (k *Kernel) project(out, in, w kernel.Mat, bias, scale []float32, act kernel.Act, s *kernel.Sample, transW bool) {
	M, N, K := in.Rows, out.Cols, in.Cols
	if M == 0 || N == 0 {
		return
	}
	if K > directMaxK {
		projectBlocked(out, in, w, bias, scale, act, s, transW)
		return
	}
	sc := getScratch()
	defer putScratch(sc)
	stride := k.nr * K
	sc.b = grow(sc.b, k.im.GemmPackedBLen(K, N, stride))
	if K > 0 {
		k.im.GemmPackB(sc.b, transW, w.Data, w.Stride, K, N, stride)
	}
	k.projectPacked(out, in, sc.b, stride, bias, scale, act, s)
}

// projectPacked runs out = act(in·B + bias) with B already packed (the
// level's GemmPackB layout, panels stride elements apart). The kernel reads
// in (the batch) row-major: packing it would cost more than it saves here,
// and every worker of a column split would pack the whole of it.
func (k *Kernel) projectPacked(out, in kernel.Mat, b []float32, stride int, bias, scale []float32, act kernel.Act, s *kernel.Sample) {
	M, N, K := in.Rows, out.Cols, in.Cols
	g := asm.GemmArgs{M: M, N: N, K: K, A: in.Data, LDA: max(in.Stride, 1), B: b, BStride: stride,
		C: out.Data, LDC: out.Stride, Alpha: 1, Bias: bias, Scale: scale}
	if K == 0 { // nothing to read: an empty packed A
		g.A, g.LDA = nil, 0
	}
	switch {
	case act == kernel.Linear:
		// C = A·B + C with C preset to the bias rows (times the scale).
		for r := 0; r < M; r++ {
			copy(out.Row(r), bias[:N])
		}
		g.Beta, g.Bias = 1, nil
		g.Epilogue = asm.GemmAlphaBeta
	case s != nil:
		g.Epilogue = asm.GemmBiasSigmoidSample
		g.S, g.LDS, g.Stream, g.Row0, g.Col0 = s.Dst.Data, s.Dst.Stride, s.Stream, s.Row0, s.Col0
	default:
		g.Epilogue = asm.GemmBiasSigmoid
	}
	k.im.GemmKernel(&g)
}

// projectBlocked is project through package blocked, serially (the engine
// already runs one call per worker); a nil scale is no scale.
func projectBlocked(out, in, w kernel.Mat, bias, scale []float32, act kernel.Act, s *kernel.Sample, transW bool) {
	M, N, K := in.Rows, out.Cols, in.Cols
	bias = bias[:N]
	switch {
	case act == kernel.Linear:
		for r := 0; r < M; r++ {
			copy(out.Row(r), bias)
		}
		blocked.SgemmRowScale(nil, false, transW, M, N, K, 1, in.Data, in.Stride, w.Data, w.Stride, 1, out.Data, out.Stride, scale)
	case s != nil:
		blocked.SgemmBiasSigmoidSampleRowScale(nil, false, transW, M, N, K, 1, in.Data, in.Stride, w.Data, w.Stride,
			bias, out.Data, out.Stride, s.Dst.Data, s.Dst.Stride, s.Stream, s.Row0, s.Col0, scale)
	default:
		blocked.SgemmBiasSigmoidRowScale(nil, false, transW, M, N, K, 1, in.Data, in.Stride, w.Data, w.Stride, bias, out.Data, out.Stride, scale)
	}
}

// Up implements kernel.Kernel.Up: out = act(x·wᵀ + c).
func (k *Kernel) Up(out, x, w kernel.Mat, c []float32, act kernel.Act, s *kernel.Sample) {
	k.project(out, x, w, c, nil, act, s, true)
}

// Down implements kernel.Kernel.Down: out = act(h·w + b).
func (k *Kernel) Down(out, h, w kernel.Mat, b []float32, act kernel.Act, s *kernel.Sample) {
	k.project(out, h, w, b, nil, act, s, false)
}
