package asmkernel

import (
	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/kernel"
)

// Update implements kernel.Kernel.Update as one GEMM with K = B + C over the
// concatenated statistics, A = [PosScale·PosH; −NegScale·NegH]ᵀ (scaled
// while packing) and B = [PosV; NegV], whose write-back (asm.GemmUpdate)
// applies the whole step to each tile in registers:
//
//	vel = Momentum·vel + g − Decay·W;  W += vel
//
// so the gradient is never stored and W and vel are read and written once.
func (k *Kernel) Update(w kernel.Mat, u *kernel.Update, i0, i1 int) { k.update(w, u, i0, i1, nil, nil) }

// UpdateFused implements kernel.FusedUpdater: Update, with the bias steps
// taken from the operands it packs anyway (the hidden sums while packing A,
// the visible ones as a one-row GEMM on the packed B, in kernel.BiasSteps'
// order), and the new rows of W stored into p's down layout by the update's
// write-back and repacked into its up layout while they are in cache.
func (k *Kernel) UpdateFused(w kernel.Mat, u *kernel.Update, i0, i1 int, bs *kernel.BiasStep, p kernel.Packed) {
	var pw *packedW
	if p != nil {
		pw = p.(*packedW) // made by NewPacked: a copy of this backend's
	}
	k.update(w, u, i0, i1, bs, pw)
	if pw != nil {
		pw.refreshUp(w, i0, i1)
	}
}

// update is Update, with the bias steps of bs when it is not nil, and
// writing the new rows of W into pw's down layout too when pw is not nil.
func (k *Kernel) update(w kernel.Mat, u *kernel.Update, i0, i1 int, bs *kernel.BiasStep, pw *packedW) {
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
	if bs != nil {
		sc.t = grow(sc.t, max(M, K))
		sums = sc.t[:M]
		clear(sums)
	}
	k.packStatsA(sc.a, sums, u.PosH, u.PosScale, 0, K, i0, i1)
	k.packStatsA(sc.a, sums, u.NegH, -u.NegScale, B, K, i0, i1)
	nr := k.nr
	stride := nr * K
	sc.b = grow(sc.b, k.im.GemmPackedBLen(K, V, stride))
	if B > 0 {
		k.im.GemmPackB(sc.b, false, u.PosV.Data, u.PosV.Stride, B, V, stride)
	}
	if C > 0 {
		k.im.GemmPackB(sc.b[B*nr:], false, u.NegV.Data, u.NegV.Stride, C, V, stride)
	}
	g := asm.GemmArgs{M: M, N: V, K: K, A: sc.a, B: sc.b, BStride: stride,
		C: u.Vel.Data[i0*u.Vel.Stride:], LDC: u.Vel.Stride, Alpha: 1, Beta: u.Momentum,
		Epilogue: asm.GemmUpdate, W: w.Data[i0*w.Stride:], LDW: w.Stride, Decay: u.Decay}
	if pw != nil {
		g.WP, g.WPStride = pw.down[i0*nr:], nr*pw.h
	}
	k.im.GemmKernel(&g)
	if bs == nil {
		return
	}
	mom := u.Momentum
	for i, s := range sums {
		v := mom*bs.VelC[i0+i] + s
		bs.VelC[i0+i] = v
		bs.C[i0+i] += v
	}
	if n := bs.J1 - bs.J0; n > 0 {
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
		g := asm.GemmArgs{M: 1, N: n, K: K, A: coef, B: sc.b[bs.J0/nr*stride:], BStride: stride,
			C: bs.VelB[bs.J0:bs.J1], LDC: n, Alpha: 1, Beta: mom,
			Epilogue: asm.GemmUpdate, W: bs.B[bs.J0:bs.J1], LDW: n}
		k.im.GemmKernel(&g)
	}
}

// packStatsA writes scale·h[r, i0+i] for the rows r of h (columns [i0, i1))
// into the packed A operand dst of an (i1−i0)×K GEMM as its k = p0+r (the
// level's GemmPackA layout: panels of MR units, k-major), in one pass with
// the scaling, and adds each to sums[i] when sums is not nil: the hidden
// sums of kernel.BiasSteps, in its order.
func (k *Kernel) packStatsA(dst, sums []float32, h kernel.Mat, scale float32, p0, K, i0, i1 int) {
	M, MR := i1-i0, k.mr
	full := M / MR * MR
	switch MR {
	case 6:
		packStatsA6(dst, sums, h, scale, p0, K, i0, full)
	case 12:
		packStatsA12(dst, sums, h, scale, p0, K, i0, full)
	default:
		for q0 := 0; q0 < full; q0 += MR {
			packStatsPanel(dst[q0*K:], sums, h, scale, p0, MR, i0+q0, q0)
		}
	}
	// The last panel, of fewer units.
	if mr := M - full; mr > 0 {
		packStatsPanel(dst[full*K:], sums, h, scale, p0, mr, i0+full, full)
	}
}

// packStatsPanel packs one panel of mr units starting at column c of h into
// dst (the panel's start), adding to sums[s0:s0+mr].
func packStatsPanel(dst, sums []float32, h kernel.Mat, scale float32, p0, mr, c, s0 int) {
	for r := 0; r < h.Rows; r++ {
		p := p0 + r
		d := dst[p*mr : p*mr+mr]
		for i, x := range h.Row(r)[c : c+mr] {
			d[i] = scale * x
			if sums != nil {
				sums[s0+i] += d[i]
			}
		}
	}
}

// packStatsA6 is packStatsA's whole panels of 6 units, panel by panel, so
// that dst is written in order and the 6 sums stay in registers (the order
// of each sum, rows ascending, is that of packStatsPanel).
func packStatsA6(dst, sums []float32, h kernel.Mat, scale float32, p0, K, i0, full int) {
	for q0 := 0; q0 < full; q0 += 6 {
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
}

// packStatsA12 is packStatsA6 for panels of 12 units (the avx512 tile), the
// sums in a local array (the order of each sum, rows ascending, is that of
// packStatsPanel).
func packStatsA12(dst, sums []float32, h kernel.Mat, scale float32, p0, K, i0, full int) {
	for q0 := 0; q0 < full; q0 += 12 {
		var s [12]float32
		if sums != nil {
			s = *(*[12]float32)(sums[q0:])
		}
		panel := dst[q0*K+p0*12 : q0*K+(p0+h.Rows)*12]
		for r := 0; r < h.Rows; r++ {
			x := (*[12]float32)(h.Data[r*h.Stride+i0+q0:])
			d := (*[12]float32)(panel[r*12:])
			for i := range d {
				v := float32(scale * x[i]) // rounded: no FMA with the sum
				d[i] = v
				s[i] += v
			}
		}
		if sums != nil {
			*(*[12]float32)(sums[q0:]) = s
		}
	}
}
