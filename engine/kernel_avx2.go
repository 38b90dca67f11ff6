package engine

import (
	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/blocked"
)

// avx2 is the accelerated kernel: every projection and update is one GEMM
// through asm.GemmKernel (a 6×16 AVX2/FMA register tile looping over whole
// blocks in assembly) on W packed in the kernel's layout and the batch read
// in place, with bias, sigmoid and Bernoulli sampling fused into the tile's
// write-back of the projections, and momentum, decay and the step into the
// update's. On CPUs without AVX2 and FMA3
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
	sc.b = grow(sc.b, asm.GemmPackedBLen(K, N, stride))
	if K > 0 {
		asm.GemmPackB(sc.b, transW, w.Data, w.Stride, K, N, stride)
	}
	projectPacked(out, in, sc.b, stride, bias, act, s)
}

// projectPacked runs out = act(in·B + bias) with B already packed
// (asm.GemmPackB's layout, panels stride elements apart). The kernel reads
// in (the batch) row-major: packing it would cost more than it saves here,
// and every worker of a column split would pack the whole of it.
func projectPacked(out, in Mat, b []float32, stride int, bias []float32, act Act, s *Sample) {
	M, N, K := in.Rows, out.Cols, in.Cols
	g := asm.GemmArgs{M: M, N: N, K: K, A: in.Data, LDA: max(in.Stride, 1), B: b, BStride: stride,
		C: out.Data, LDC: out.Stride, Alpha: 1, Bias: bias}
	if K == 0 { // nothing to read: an empty packed A
		g.A, g.LDA = nil, 0
	}
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
// concatenated statistics, A = [PosScale·PosH; −NegScale·NegH]ᵀ (scaled
// while packing) and B = [PosV; NegV], whose write-back (asm.GemmUpdate)
// applies the whole step to each tile in registers:
//
//	vel = Momentum·vel + g − Decay·W;  W += vel
//
// so the gradient is never stored and W and vel are read and written once.
func (k avx2) Update(w Mat, u *Update, i0, i1 int) { k.update(w, u, i0, i1, nil, nil) }

// biasUpdate asks avx2.update for the bias steps that go with a weight
// update, from the operands it has packed anyway:
//
//	velC[i] = Momentum·velC[i] + Σ_k A[k, i];  C[i] += velC[i]   for i0 ≤ i < i1
//	velB[j] = Momentum·velB[j] + Σ_k a_k·B[k, j];  B[j] += velB[j]  for J0 ≤ j < J1
//
// with A the scaled statistics (so the sums are PosScale·Σ PosH − NegScale·Σ
// NegH, the learning rate times the difference of the means when the
// scales are lr/rows), a_k = PosScale or −NegScale, and B = [PosV; NegV].
// C and VelC are indexed by hidden unit, B and VelB by visible unit; J0 is a
// multiple of 16. Each sum runs over k in order, so the result does not
// depend on how the units are split.
type biasUpdate struct {
	C, VelC, B, VelB []float32
	J0, J1           int
}

// update is Update, with the bias steps of bu when it is not nil, and
// writing the new rows of W into pw's down layout too when pw is not nil.
func (avx2) update(w Mat, u *Update, i0, i1 int, bu *biasUpdate, pw *packedW) {
	M, V := i1-i0, w.Cols
	B, C := u.PosH.Rows, u.NegH.Rows
	K := B + C
	if M <= 0 || V == 0 {
		return
	}
	sc := getScratch()
	defer putScratch(sc)
	sc.a = grow(sc.a, M*K)
	var sums []float32
	if bu != nil {
		sc.t = grow(sc.t, max(M, K))
		sums = sc.t[:M]
		clear(sums)
	}
	packStatsA(sc.a, sums, u.PosH, u.PosScale, 0, K, i0, i1)
	packStatsA(sc.a, sums, u.NegH, -u.NegScale, B, K, i0, i1)
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
		Epilogue: asm.GemmUpdate, W: w.Data[i0*w.Stride:], LDW: w.Stride, Decay: u.Decay}
	if pw != nil {
		g.WP, g.WPStride = pw.down[i0*asm.GemmNR:], asm.GemmNR*pw.h
	}
	asm.GemmKernel(&g)
	if bu == nil {
		return
	}
	mom := u.Momentum
	for i, s := range sums {
		v := mom*bu.VelC[i0+i] + s
		bu.VelC[i0+i] = v
		bu.C[i0+i] += v
	}
	if n := bu.J1 - bu.J0; n > 0 {
		// The visible biases: a one-row GEMM with the same packed B, A the
		// row of scales, and the update write-back without decay. (coef
		// reuses the scratch of sums, consumed above.)
		coef := sc.t[:K]
		for p := range coef {
			coef[p] = u.PosScale
			if p >= B {
				coef[p] = -u.NegScale
			}
		}
		g := asm.GemmArgs{M: 1, N: n, K: K, A: coef, B: sc.b[bu.J0/asm.GemmNR*stride:], BStride: stride,
			C: bu.VelB[bu.J0:bu.J1], LDC: n, Alpha: 1, Beta: mom,
			Epilogue: asm.GemmUpdate, W: bu.B[bu.J0:bu.J1], LDW: n}
		asm.GemmKernel(&g)
	}
}

// packStatsA writes scale·h[r, i0+i] for the rows r of h (columns [i0, i1))
// into the packed A operand dst of an (i1−i0)×K GEMM as its k = p0+r
// (asm.GemmPackA's layout: panels of GemmMR units, k-major), in one pass
// with the scaling, and adds each to sums[i] when sums is not nil.
func packStatsA(dst, sums []float32, h Mat, scale float32, p0, K, i0, i1 int) {
	M := i1 - i0
	full := M / asm.GemmMR * asm.GemmMR
	// Whole panels of 6 units: panel by panel, so that dst is written in
	// order and the 6 sums stay in registers (the order of each sum, rows
	// ascending, is that of the scalar loop below).
	for q0 := 0; q0 < full; q0 += asm.GemmMR {
		var s0, s1, s2, s3, s4, s5 float32
		if sums != nil {
			s := (*[6]float32)(sums[q0:])
			s0, s1, s2, s3, s4, s5 = s[0], s[1], s[2], s[3], s[4], s[5]
		}
		panel := dst[q0*K+p0*6 : q0*K+(p0+h.Rows)*6]
		for r := 0; r < h.Rows; r++ {
			x := (*[6]float32)(h.Data[r*h.Stride+i0+q0:])
			d := (*[6]float32)(panel[r*6:])
			d0, d1, d2, d3, d4, d5 := scale*x[0], scale*x[1], scale*x[2], scale*x[3], scale*x[4], scale*x[5]
			d[0], d[1], d[2], d[3], d[4], d[5] = d0, d1, d2, d3, d4, d5
			s0 += d0
			s1 += d1
			s2 += d2
			s3 += d3
			s4 += d4
			s5 += d5
		}
		if sums != nil {
			s := (*[6]float32)(sums[q0:])
			s[0], s[1], s[2], s[3], s[4], s[5] = s0, s1, s2, s3, s4, s5
		}
	}
	// The last panel, of fewer units.
	if mr := M - full; mr > 0 {
		for r := 0; r < h.Rows; r++ {
			p := p0 + r
			d := dst[full*K+p*mr : full*K+p*mr+mr]
			for i, x := range h.Row(r)[i0+full : i1] {
				d[i] = scale * x
				if sums != nil {
					sums[full+i] += d[i]
				}
			}
		}
	}
}
