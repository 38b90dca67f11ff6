package engine

import (
	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/blocked"
)

// avx2 is the accelerated kernel: every projection and update is one GEMM
// over packed operands through asm.GemmKernel (a 6×16 AVX2/FMA register tile
// looping over whole blocks in assembly), with bias, sigmoid and Bernoulli
// sampling fused into the tile's write-back. On CPUs without AVX2 and FMA3
// the asm package runs the pure-Go twins, so the kernel is correct
// everywhere, but the registry only offers it where it is fast.
type avx2 struct{}

func newAccelerated() Kernel { return avx2{} }

// Name returns "avx2".
func (avx2) Name() string { return "avx2" }

// scratch holds the packed operands of one call. Calls take one from a free
// list and give it back, so that the steady state allocates nothing (a
// sync.Pool would drop the buffers at every garbage collection).
type scratch struct{ a, b, t []float32 }

var scratchFree = make(chan *scratch, 64)

func getScratch() *scratch {
	select {
	case s := <-scratchFree:
		return s
	default:
		return new(scratch)
	}
}

func putScratch(s *scratch) {
	select {
	case scratchFree <- s:
	default:
	}
}

func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n+n/4)
	}
	return buf[:n]
}

// project runs out = act(op(in)·B + bias) with B packed from w (transposed
// for Up, where w holds one row per output column).
func (avx2) project(out, in, w Mat, bias []float32, act Act, s *Sample, transW bool) {
	M, N, K := in.Rows, out.Cols, in.Cols
	if M == 0 || N == 0 {
		return
	}
	if K > directMaxK {
		projectBlocked(out, in, w, bias, act, s, transW)
		return
	}
	sc := getScratch()
	defer putScratch(sc)
	stride := asm.GemmNR * K
	sc.a = grow(sc.a, M*K)
	sc.b = grow(sc.b, asm.GemmPackedBLen(K, N, stride))
	if K > 0 {
		asm.GemmPackA(sc.a, false, in.Data, in.Stride, M, K)
		asm.GemmPackB(sc.b, transW, w.Data, w.Stride, K, N, stride)
	}
	g := asm.GemmArgs{M: M, N: N, K: K, A: sc.a, B: sc.b, BStride: stride,
		C: out.Data, LDC: out.Stride, Alpha: 1, Bias: bias}
	switch {
	case act == Linear:
		// C = A·B + C with C preset to the bias rows.
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
	if stride == 0 { // K = 0: the packed B is empty but must satisfy the kernel
		g.BStride = 0
	}
	asm.GemmKernel(&g)
}

// directMaxK is the deepest product project runs as one packed block; deeper
// ones (V or H in the thousands) go through the cache-blocked driver, which
// splits K into L1-sized blocks. The choice depends on K only, which no split
// of the work changes, so results stay independent of the worker count.
const directMaxK = 1024

// projectBlocked is project through package blocked, serially (the engine
// already runs one call per worker).
func projectBlocked(out, in, w Mat, bias []float32, act Act, s *Sample, transW bool) {
	M, N, K := in.Rows, out.Cols, in.Cols
	bias = bias[:N]
	switch {
	case act == Linear:
		for r := 0; r < M; r++ {
			copy(out.Row(r), bias)
		}
		blocked.Sgemm(nil, false, transW, M, N, K, 1, in.Data, in.Stride, w.Data, w.Stride, 1, out.Data, out.Stride)
	case s != nil:
		blocked.SgemmBiasSigmoidSample(nil, false, transW, M, N, K, 1, in.Data, in.Stride, w.Data, w.Stride,
			bias, out.Data, out.Stride, s.Dst.Data, s.Dst.Stride, s.Stream, s.Row0, s.Col0)
	default:
		blocked.SgemmBiasSigmoid(nil, false, transW, M, N, K, 1, in.Data, in.Stride, w.Data, w.Stride, bias, out.Data, out.Stride)
	}
}

// Up implements Kernel.Up: out = act(x·wᵀ + c).
func (k avx2) Up(out, x, w Mat, c []float32, act Act, s *Sample) {
	k.project(out, x, w, c, act, s, true)
}

// Down implements Kernel.Down: out = act(h·w + b).
func (k avx2) Down(out, h, w Mat, b []float32, act Act, s *Sample) {
	k.project(out, h, w, b, act, s, false)
}

// Update implements Kernel.Update as one GEMM with K = B + C over the
// concatenated statistics: vel[i0:i1] = Momentum·vel + [PosScale·PosH;
// −NegScale·NegH]ᵀ·[PosV; NegV] in the kernel's write-back (α = 1,
// β = Momentum), then vel −= Decay·W and W += vel in one pass.
func (avx2) Update(w Mat, u *Update, i0, i1 int) {
	M, V := i1-i0, w.Cols
	B, C := u.PosH.Rows, u.NegH.Rows
	K := B + C
	if M <= 0 || V == 0 {
		return
	}
	sc := getScratch()
	defer putScratch(sc)
	if K > 0 {
		// t = scaled statistics, K×M (row p = sample p, column i = unit i0+i).
		sc.t = grow(sc.t, K*M)
		pos, neg := u.PosScale, -u.NegScale
		for p := 0; p < B; p++ {
			src, dst := u.PosH.Row(p)[i0:i1], sc.t[p*M:(p+1)*M]
			for i, x := range src {
				dst[i] = pos * x
			}
		}
		for p := 0; p < C; p++ {
			src, dst := u.NegH.Row(p)[i0:i1], sc.t[(B+p)*M:(B+p+1)*M]
			for i, x := range src {
				dst[i] = neg * x
			}
		}
		sc.a = grow(sc.a, M*K)
		asm.GemmPackA(sc.a, true, sc.t, M, M, K)
		stride := asm.GemmNR * K
		sc.b = grow(sc.b, asm.GemmPackedBLen(K, V, stride))
		if B > 0 {
			asm.GemmPackB(sc.b, false, u.PosV.Data, u.PosV.Stride, B, V, stride)
		}
		if C > 0 {
			asm.GemmPackB(sc.b[B*asm.GemmNR:], false, u.NegV.Data, u.NegV.Stride, C, V, stride)
		}
		g := asm.GemmArgs{M: M, N: V, K: K, A: sc.a, B: sc.b, BStride: stride,
			C: u.Vel.Data[i0*u.Vel.Stride:], LDC: u.Vel.Stride, Alpha: 1, Beta: u.Momentum,
			Epilogue: asm.GemmAlphaBeta}
		asm.GemmKernel(&g)
	} else {
		for i := i0; i < i1; i++ {
			vi := u.Vel.Row(i)
			for j := range vi {
				vi[j] *= u.Momentum
			}
		}
	}
	decay := u.Decay // a local: the stores below could alias *u for the compiler
	for i := i0; i < i1; i++ {
		wi := w.Row(i)
		vi := u.Vel.Row(i)[:len(wi)]
		j := 0
		for ; j+4 <= len(wi); j += 4 {
			w4, v4 := wi[j:j+4:j+4], vi[j:j+4:j+4]
			a0, a1, a2, a3 := v4[0]-decay*w4[0], v4[1]-decay*w4[1], v4[2]-decay*w4[2], v4[3]-decay*w4[3]
			v4[0], v4[1], v4[2], v4[3] = a0, a1, a2, a3
			w4[0], w4[1], w4[2], w4[3] = w4[0]+a0, w4[1]+a1, w4[2]+a2, w4[3]+a3
		}
		for ; j < len(wi); j++ {
			v := vi[j] - decay*wi[j]
			vi[j] = v
			wi[j] += v
		}
	}
}
