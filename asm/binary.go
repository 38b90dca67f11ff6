package asm

import "github.com/boltzgo/boltz/rng"

// Binary products: C = A·B with A holding only 0 and one value Val, given by
// the lists of its nonzero columns (a kernel.Active's arrays), and B packed
// by GemmPackB. Each output row is a sum of the rows of B that its list
// selects: no multiplications by zero. The work goes by strips of up to
// binaryPanels panels of B (64 columns for AVX2, 128 for AVX512), and inside
// a strip by rows of A, so the strip (K·NR floats a panel) stays in L2 while
// the whole batch passes; then the epilogue runs over the finished block
// while it is in cache.

// binaryPanels is the widest strip of the cores (gen/binary's maxPanels).
const binaryPanels = 4

// BinaryArgs describes one binary product for BinaryGemm: C (M×N, M =
// len(Beg)) from A (M×K, entries 0 or Val; row r's nonzero columns are
// Idx[Beg[r]:End[r]], in increasing order for the GEMM's bits) and packed B
// (K×N, as GemmArgs.B with BStride).
type BinaryArgs struct {
	N, K     int
	Beg, End []int32
	Idx      []int32
	Val      float32

	B       []float32
	BStride int

	C   []float32
	LDC int

	// Epilogue is GemmAlphaBeta (C = A·B + Bias, Bias may be nil),
	// GemmBiasSigmoid or GemmBiasSigmoidSample, as for GemmArgs with α = 1
	// and β = 0; S, LDS, Stream, Row0 and Col0 as there.
	Epilogue   GemmEpilogue
	Bias       []float32
	S          []float32
	LDS        int
	Stream     rng.Stream
	Row0, Col0 int
}

// BinaryGemm computes g with the level Current chooses (Impl.BinaryGemm).
func BinaryGemm(g *BinaryArgs) { cur.BinaryGemm(g) }

// BinaryGemm computes the block g describes with level im:
//
//	acc = 0; for k in Idx[Beg[r]:End[r]]: acc = fma(Val, B[k, c], acc)
//	C[r, c] = acc + Bias[c]                            (GemmAlphaBeta)
//	C[r, c] = Sigmoid1(acc + Bias[c]); S as GemmKernel (GemmBiasSigmoid*)
//
// The chain is the FMA chain of GemmKernel with the zero terms of A left
// out, so with the lists in increasing order C (and S) are GemmKernel's
// bits for the dense A, at every assembly level (the Go twin rounds the
// products separately, as its GemmKernel does, and equals it as well when
// Val is 1). It panics on inconsistent arguments or an index not below K,
// and does not allocate.
func (im *Impl) BinaryGemm(g *BinaryArgs) {
	M, N, K, nr := len(g.Beg), g.N, g.K, im.nr
	bad := func(s string) { panic("asm: BinaryGemm: " + s) }
	switch {
	case N < 0 || K < 0:
		bad("negative size")
	case len(g.End) != M:
		bad("len(End) != len(Beg)")
	case g.Epilogue != GemmAlphaBeta && g.Epilogue != GemmBiasSigmoid && g.Epilogue != GemmBiasSigmoidSample:
		bad("unsupported epilogue")
	}
	if M == 0 || N == 0 {
		return
	}
	if g.LDC < N || len(g.C) < (M-1)*g.LDC+N {
		bad("C too short")
	}
	if g.BStride < nr*K || len(g.B) < (N-1)/nr*g.BStride+nr*K {
		bad("B too short")
	}
	if (g.Bias != nil || g.Epilogue != GemmAlphaBeta) && len(g.Bias) < N {
		bad("Bias too short")
	}
	for r := range M {
		if g.Beg[r] < 0 || g.End[r] < g.Beg[r] || int(g.End[r]) > len(g.Idx) {
			bad("row list out of Idx")
		}
	}
	var tmp [binaryPanels * maxTileNR]float32
	strip := binaryPanels * nr
	for c0 := 0; c0 < N; c0 += strip {
		w := min(strip, N-c0)
		np := (w + nr - 1) / nr
		b := g.B[c0/nr*g.BStride:]
		if K > 0 {
			b = b[:(np-1)*g.BStride+K*nr]
			raceRead(b)
		}
		for r := range M {
			o := g.C[r*g.LDC+c0 : r*g.LDC+c0+w]
			idx := g.Idx[g.Beg[r]:g.End[r]]
			if K == 0 {
				if len(idx) > 0 {
					bad("index not below K")
				}
				clear(tmp[:w])
			} else if im.binarySum(tmp[:np*nr], b, K, g.BStride, nr, idx, np, g.Val) != 0 {
				bad("index not below K")
			}
			if g.Bias == nil {
				copy(o, tmp[:w])
				continue
			}
			bias := g.Bias[c0 : c0+w]
			for c, x := range tmp[:w] {
				o[c] = x + bias[c]
			}
		}
		if g.Epilogue == GemmAlphaBeta {
			continue
		}
		// The sigmoid and the samples of the finished block, by the GEMM's
		// own epilogue (a product with K = 0 and β = 1 applies it to C
		// as it stands; the bias is in C already).
		e := GemmArgs{M: M, N: w, K: 0, C: g.C[c0:], LDC: g.LDC, Alpha: 1, Beta: 1,
			Epilogue: g.Epilogue, Bias: zeros[:w]}
		if g.Epilogue == GemmBiasSigmoidSample {
			e.S, e.LDS, e.Stream, e.Row0, e.Col0 = g.S[c0:], g.LDS, g.Stream, g.Row0, g.Col0+c0
		}
		im.GemmKernel(&e)
	}
}

// zeros is the zero bias of BinaryGemm's sigmoid epilogue.
var zeros [binaryPanels * maxTileNR]float32

// binarySum runs level im's core (binarySumGeneric for generic).
func (im *Impl) binarySum(dst, w []float32, k, panel, ld int, idx []int32, np int, val float32) int {
	if bad, ok := binarySumAsm(im, dst, w, k, panel, ld, idx, np, val); ok {
		return bad
	}
	return binarySumGeneric(dst, w, k, panel, ld, idx, np, val, im.nr)
}

// binarySumGeneric is the Go twin of the binarySum cores (gen/binary) for
// panels of nr floats: dst[p*nr+c] = Σ over idx, in order, of
// val·w[p*panel+k*ld+c] (each product rounded, then added), p < np; it
// returns 1 at the first index not below k, else 0.
func binarySumGeneric(dst, w []float32, k, panel, ld int, idx []int32, np int, val float32, nr int) int {
	d := dst[:np*nr]
	clear(d)
	for _, j := range idx {
		if uint(j) >= uint(k) {
			return 1
		}
		for p := range np {
			row := w[p*panel+int(j)*ld:][:nr]
			dp := d[p*nr : p*nr+nr]
			for c, x := range row {
				dp[c] += val * x
			}
		}
	}
	return 0
}
