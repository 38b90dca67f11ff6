//go:build amd64 && !purego

package asm

// avx2MR and avx2NR are the register tile of the AVX2 GEMM kernels.
const (
	avx2MR = 6
	avx2NR = 16
)

// gemmPackRows16Accel is gemmPackRows16AVX2 with the race announcements.
func gemmPackRows16Accel(dst, src []float32, ld, k, panels, tail, stride int) {
	if gemmRace && k > 0 {
		// Panel by panel: callers pack disjoint bands of rows of the same
		// panels concurrently (a backend's packed weights).
		raceReadMatrix(src, ld, k, panels*avx2NR+tail)
		for q := 0; q < panels+min(tail, 1); q++ {
			raceWrite(dst[q*stride : q*stride+avx2NR*k])
		}
	}
	gemmPackRows16AVX2(dst, src, ld, k, panels, tail, stride)
}

// gemmPackRows6Accel is gemmPackRows6AVX2 with the race announcements.
func gemmPackRows6Accel(dst, src []float32, ld, k, panels, stride int) {
	if gemmRace && k > 0 && panels > 0 {
		raceReadMatrix(src, ld, k, panels*avx2MR)
		raceWrite(dst[:(panels-1)*stride+avx2MR*k])
	}
	gemmPackRows6AVX2(dst, src, ld, k, panels, stride)
}

// gemmKernelAccel runs the block g (checked by the caller) through the
// assembly, in calls of whole row panels and column panels of at most
// gemmChunkFlops flops; the tiles, and so the results, are the same as in
// one call.
func gemmKernelAccel(ga GemmArgs) {
	g := &ga
	m, n, k := g.M, g.N, g.K
	if m <= 0 || n <= 0 {
		return
	}
	if gemmRace {
		gemmRaceAnnounce(g)
	}
	tileFlops := 2 * avx2MR * avx2NR * max(k, 1)
	tiles := max(1, gemmChunkFlops/tileFlops)
	colPanels := (n + avx2NR - 1) / avx2NR
	cp := min(colPanels, tiles)     // column panels a call
	rp := max(1, tiles/cp) * avx2MR // rows a call
	for i0 := 0; i0 < m; i0 += rp {
		mc := min(rp, m-i0)
		a := g.A[i0*k:]
		if g.LDA > 0 {
			a = g.A[i0*g.LDA:]
		}
		c := g.C[i0*g.LDC:]
		for j0 := 0; j0 < n; j0 += cp * avx2NR {
			nc := min(cp*avx2NR, n-j0)
			b := g.B[j0/avx2NR*g.BStride:]
			switch g.Epilogue {
			case GemmAlphaBeta:
				gemmKernelAVX2(a, b, c[j0:], mc, nc, k, g.LDA, g.BStride, g.LDC, g.Alpha, g.Beta)
			case GemmBiasSigmoid:
				gemmSigmoidAVX2(a, b, c[j0:], mc, nc, k, g.LDA, g.BStride, g.LDC, g.Alpha, g.Beta, g.Bias[j0:])
			case GemmBiasSigmoidSample:
				st := &g.Stream
				gemmSampleAVX2(a, b, c[j0:], mc, nc, k, g.LDA, g.BStride, g.LDC, g.Alpha, g.Beta, g.Bias[j0:],
					g.S[i0*g.LDS+j0:], g.LDS, st.Key[0], st.Key[1], st.Phase, st.Step, g.Row0+i0, g.Col0+j0)
			case GemmUpdate:
				var wp []float32
				if len(g.WP) > 0 {
					wp = g.WP[j0/avx2NR*g.WPStride+i0*avx2NR:]
				}
				gemmUpdateAVX2(a, b, c[j0:], mc, nc, k, g.LDA, g.BStride, g.LDC, g.Alpha, g.Beta,
					g.W[i0*g.LDW+j0:], g.LDW, g.Decay, wp, g.WPStride)
			}
		}
	}
}

// gemmPackT8Accel is gemmPackT8AVX2 with the race announcements; the caller
// checks the lengths.
func gemmPackT8Accel(dst, src []float32, ld, rows, stride, kc int) {
	if gemmRace && kc > 0 {
		raceReadMatrix(src, ld, max(rows, 1), kc)
		raceWrite(dst[:(kc-1)*stride+8])
	}
	gemmPackT8AVX2(dst, src, ld, rows, stride, kc)
}

// gemmRaceAnnounce tells the race detector what the block g reads and writes.
func gemmRaceAnnounce(g *GemmArgs) {
	if g.LDA > 0 {
		raceReadMatrix(g.A, g.LDA, g.M, g.K)
	} else {
		raceRead(g.A[:g.M*g.K])
	}
	raceRead(g.B[:(g.N-1)/avx2NR*g.BStride+avx2NR*g.K])
	for i := range g.M {
		row := g.C[i*g.LDC : i*g.LDC+g.N]
		if g.Beta != 0 {
			raceRead(row)
		}
		raceWrite(row)
		if g.Epilogue == GemmBiasSigmoidSample {
			raceWrite(g.S[i*g.LDS : i*g.LDS+g.N])
		}
		if g.Epilogue == GemmUpdate {
			w := g.W[i*g.LDW : i*g.LDW+g.N]
			raceRead(w)
			raceWrite(w)
			for j0 := 0; len(g.WP) > 0 && j0 < g.N; j0 += avx2NR {
				o := j0/avx2NR*g.WPStride + i*avx2NR
				raceWrite(g.WP[o : o+min(avx2NR, g.N-j0)])
			}
		}
	}
	if g.Epilogue == GemmBiasSigmoid || g.Epilogue == GemmBiasSigmoidSample {
		raceRead(g.Bias[:g.N])
	}
}
