package asm

import (
	"math"

	"github.com/boltzgo/boltz/rng"
)

// maxTileMR and maxTileNR bound the register tiles of the levels (the Go
// twin's accumulators); nr is a multiple of 8.
const (
	maxTileMR = 32
	maxTileNR = 64
)

// gemmChunkFlops bounds the flops of one kernel assembly call (about 0.3 ms
// at the FMA peak of one core): assembly functions are not preemptible. A
// variable so that the tests can make it small.
var gemmChunkFlops = 1 << 25

// GemmEpilogue selects what GemmKernel does with each tile of A·B.
type GemmEpilogue uint8

const (
	// GemmAlphaBeta: C = α·A·B + β·C. When β is 0, C is only written, so NaN
	// or Inf in C does not leak into the result.
	GemmAlphaBeta GemmEpilogue = iota
	// GemmBiasSigmoid: C = σ(α·A·B + β·C + bias[col]), σ as in Sigmoid1.
	GemmBiasSigmoid
	// GemmBiasSigmoidSample: as GemmBiasSigmoid, and then
	// S[r,c] = 1 if rng.Uniform(Stream.Uint32(Row0+r, Col0+c)) < C[r,c], else 0.
	GemmBiasSigmoidSample
	// GemmUpdate: the SGD-with-momentum write-back of a weight gradient,
	// with C the velocity and W the weights (same shape, leading dimension
	// LDW): x = α·A·B + β·C − Decay·W; C = x; W += x. The velocity and the
	// weights are read and written once, in the tile.
	GemmUpdate
)

// GemmArgs describes one block of work for GemmKernel: C (M×N) from packed
// A (M×K) and packed B (K×N).
type GemmArgs struct {
	M, N, K int

	// A holds the M×K operand packed by GemmPackA: panels of MR rows
	// (the level's Tile; the last one of M%MR rows), element (i, p) of the panel of mr rows
	// starting at row i0 at A[i0*K+p*mr+i-i0]; len(A) ≥ M·K. Or, when
	// LDA > 0, A is row-major, not packed: element (i, p) at A[i*LDA+p],
	// LDA ≥ K. Row-major A costs nothing to prepare and reads as fast on
	// the skinny products of a CD step (A is the batch there).
	A   []float32
	LDA int

	// B holds the K×N operand packed by GemmPackB: ⌈N/NR⌉ panels of NR
	// columns (the level's Tile), zero padded, element (p, j) at
	// B[j/NR*BStride+p*NR+j%NR]. BStride ≥ NR·K (PackedB-style operands keep a larger K and pass an
	// offset slice with the full stride).
	B       []float32
	BStride int

	// C is row-major with leading dimension LDC ≥ N.
	C   []float32
	LDC int

	Alpha, Beta float32
	Epilogue    GemmEpilogue

	// Bias (len ≥ N) is added before the sigmoid (GemmBiasSigmoid*).
	Bias []float32

	// Scale, when not empty (len ≥ M), is a per-row scale of the
	// write-back: row r's pre-activation (after α, β and the bias) is
	// multiplied by Scale[r] in float32 before the sigmoid, or before the
	// store with GemmAlphaBeta; the samples are drawn from the scaled
	// probabilities. A scale of 1 changes no bit. Not with GemmUpdate.
	// (The inverse temperatures of tempered sampling.)
	Scale []float32

	// S (leading dimension LDS ≥ N) receives the samples
	// (GemmBiasSigmoidSample); Row0 and Col0 are the stream coordinates of
	// C[0] and S[0]: row Row0+r, unit Col0+c.
	S          []float32
	LDS        int
	Stream     rng.Stream
	Row0, Col0 int

	// W (leading dimension LDW ≥ N) holds the weights GemmUpdate decays by
	// Decay and moves by the new C.
	W     []float32
	LDW   int
	Decay float32

	// WP, when not empty, receives GemmUpdate's new W also in GemmPackB's
	// layout: element (r, c) at WP[c/NR*WPStride+r*NR+c%NR] (WPStride ≥
	// NR·M), so that a copy of W packed for products with it stays current
	// at the cost of one store a vector.
	WP       []float32
	WPStride int
}

// GemmKernel computes one block described by g with the level Current
// chooses (see Impl.GemmKernel):
//
//	x = α·(A·B)[r,c]; if β ≠ 0 { x += β·C[r,c] }
//	C[r,c] = x·Scale[r]                     (GemmAlphaBeta; ·Scale[r] only with a Scale)
//	C[r,c] = Sigmoid1((x + Bias[c])·Scale[r])  (GemmBiasSigmoid, GemmBiasSigmoidSample)
//	S[r,c] = Uniform(Stream.Uint32(Row0+r, Col0+c)) < C[r,c] ? 1 : 0  (GemmBiasSigmoidSample)
//	x -= Decay·W[r,c]; C[r,c] = x; W[r,c] += x                        (GemmUpdate)
//	WP[c/NR*WPStride+r*NR+c%NR] = W[r,c]                                (GemmUpdate, WP not empty)
//
// Each element of C is the float32 FMA chain over p = 0, 1, …, K-1 followed
// by the epilogue, whatever its position in the block, so a caller may tile
// and split a product freely and get bitwise identical results (the samples
// are those of the rng package bit for bit). The assembly and the Go twin
// differ only by FMA rounding. It panics on negative sizes or slices too
// short for the block, and it does not allocate. The assembly works in
// calls of about half a millisecond at most, since it is not preemptible.
func GemmKernel(g *GemmArgs) { cur.GemmKernel(g) }

// GemmKernelGeneric is the pure-Go twin of GemmKernel on the generic level.
func GemmKernelGeneric(g *GemmArgs) { genericImpl.GemmKernel(g) }

// GemmKernel is GemmKernel on level im, with im's operand layouts.
func (im *Impl) GemmKernel(g *GemmArgs) {
	if g.check(im, "GemmKernel") {
		im.gemm(*g)
	}
}

// check panics if g is inconsistent for level im, and reports whether there
// is work.
func (g *GemmArgs) check(im *Impl, name string) bool {
	NR := im.nr
	bad := func(s string) { panic("asm: " + name + ": " + s) }
	if g.M < 0 || g.N < 0 || g.K < 0 {
		bad("negative size")
	}
	if g.Epilogue > GemmUpdate {
		bad("unknown epilogue")
	}
	if g.M == 0 || g.N == 0 {
		return false
	}
	if g.LDC < g.N {
		bad("LDC < N")
	}
	if len(g.C) < (g.M-1)*g.LDC+g.N {
		bad("C too short")
	}
	switch {
	case g.LDA < 0:
		bad("LDA < 0")
	case g.LDA > 0 && g.LDA < g.K:
		bad("LDA < K")
	case g.LDA > 0 && len(g.A) < (g.M-1)*g.LDA+g.K:
		bad("A too short")
	case g.LDA == 0 && len(g.A) < g.M*g.K:
		bad("A too short")
	}
	if g.BStride < NR*g.K {
		bad("BStride < NR·K")
	}
	if len(g.B) < (g.N-1)/NR*g.BStride+NR*g.K {
		bad("B too short")
	}
	if g.Epilogue == GemmUpdate {
		if g.LDW < g.N {
			bad("LDW < N")
		}
		if len(g.W) < (g.M-1)*g.LDW+g.N {
			bad("W too short")
		}
		if len(g.WP) > 0 {
			if g.WPStride < NR*g.M {
				bad("WPStride < NR·M")
			}
			if len(g.WP) < (g.N-1)/NR*g.WPStride+NR*g.M {
				bad("WP too short")
			}
		}
	}
	if len(g.Scale) > 0 {
		if g.Epilogue == GemmUpdate {
			bad("Scale with GemmUpdate")
		}
		if len(g.Scale) < g.M {
			bad("Scale too short")
		}
	}
	if (g.Epilogue == GemmBiasSigmoid || g.Epilogue == GemmBiasSigmoidSample) && len(g.Bias) < g.N {
		bad("Bias too short")
	}
	if g.Epilogue == GemmBiasSigmoidSample {
		if g.LDS < g.N {
			bad("LDS < N")
		}
		if len(g.S) < (g.M-1)*g.LDS+g.N {
			bad("S too short")
		}
	}
	return true
}

// goGemm returns the Go twin of the GEMM kernels for the tile mr×nr.
func goGemm(mr, nr int) func(GemmArgs) {
	return func(g GemmArgs) { gemmKernelGo(&g, mr, nr) }
}

// gemmKernelGo is the pure-Go GEMM kernel on the tile MR×NR (packed
// operands in that layout), without the checks.
func gemmKernelGo(g *GemmArgs, MR, NR int) {
	m, n, k := g.M, g.N, g.K
	alpha, beta := g.Alpha, g.Beta
	var accBuf [maxTileMR * maxTileNR]float32
	acc := accBuf[:MR*NR]
	for i0 := 0; i0 < m; i0 += MR {
		mr := min(MR, m-i0)
		// Row i of the panel: ap[i*rs+p*cs] for p < k.
		ap, rs, cs := g.A[i0*k:i0*k+mr*k], 1, mr
		if g.LDA > 0 {
			ap, rs, cs = g.A[i0*g.LDA:(i0+mr-1)*g.LDA+k], g.LDA, 1
		}
		for j0 := 0; j0 < n; j0 += NR {
			nr := min(NR, n-j0)
			bp := g.B[j0/NR*g.BStride:]
			bp = bp[:NR*k]
			clear(acc)
			for i := range mr {
				if k == 0 {
					break
				}
				for c := 0; c < nr; c += 8 {
					gemmRowGo((*[8]float32)(acc[i*NR+c:]), ap[i*rs:], cs, bp[c:], NR, k)
				}
			}
			for i := range mr {
				c := g.C[(i0+i)*g.LDC+j0:]
				c = c[:nr]
				r := acc[i*NR : i*NR+nr]
				scaled, sc := len(g.Scale) > 0, float32(1)
				if scaled {
					sc = g.Scale[i0+i]
				}
				for j := range c {
					x := alpha * r[j]
					if beta != 0 {
						x = beta*c[j] + x
					}
					switch g.Epilogue {
					case GemmAlphaBeta:
						if scaled {
							x *= sc
						}
					case GemmBiasSigmoid, GemmBiasSigmoidSample:
						x += g.Bias[j0+j]
						if scaled {
							x *= sc
						}
						x = Sigmoid1(x)
					case GemmUpdate:
						w := g.W[(i0+i)*g.LDW+j0+j:]
						x = float32(math.FMA(float64(-g.Decay), float64(w[0]), float64(x)))
						w[0] += x
						if len(g.WP) > 0 {
							g.WP[(j0+j)/NR*g.WPStride+(i0+i)*NR+(j0+j)%NR] = w[0]
						}
					}
					c[j] = x
				}
			}
		}
		if g.Epilogue == GemmBiasSigmoidSample {
			for i := range mr {
				r := i0 + i
				g.Stream.Bernoulli(g.S[r*g.LDS:r*g.LDS+n], g.C[r*g.LDC:r*g.LDC+n], g.Row0+r, g.Col0)
			}
		}
	}
}

// gemmRowGo sets acc[j] = Σ_p a[p*cs]·b[p*nr+j] for j < 8 and
// p = 0, 1, …, k-1 in that order, the eight sums in local variables (Go
// keeps eight in registers; sixteen spill).
func gemmRowGo(acc *[8]float32, a []float32, cs int, b []float32, nr, k int) {
	var c0, c1, c2, c3, c4, c5, c6, c7 float32
	for p := range k {
		av := a[p*cs]
		r := (*[8]float32)(b[p*nr:])
		c0 += av * r[0]
		c1 += av * r[1]
		c2 += av * r[2]
		c3 += av * r[3]
		c4 += av * r[4]
		c5 += av * r[5]
		c6 += av * r[6]
		c7 += av * r[7]
	}
	*acc = [8]float32{c0, c1, c2, c3, c4, c5, c6, c7}
}

// GemmPackA packs rows [0, m) and columns [0, k) of op(A) into dst in the
// layout GemmKernel reads (GemmArgs.A) on the Current level: panels of MR
// rows, the last one of m%MR rows, k-major. op(A) is A (element (i, p) at
// a[i*lda+p]) or, when trans is true, Aᵀ (element (i, p) at a[p*lda+i]). It
// panics if dst is shorter than m·k or a too short, and it does not
// allocate.
func GemmPackA(dst []float32, trans bool, a []float32, lda, m, k int) {
	cur.GemmPackA(dst, trans, a, lda, m, k)
}

// GemmPackAGeneric is the pure-Go twin of GemmPackA on the generic level.
func GemmPackAGeneric(dst []float32, trans bool, a []float32, lda, m, k int) {
	genericImpl.GemmPackA(dst, trans, a, lda, m, k)
}

// GemmPackA is GemmPackA for level im's tile, with im's packing cores.
func (im *Impl) GemmPackA(dst []float32, trans bool, a []float32, lda, m, k int) {
	checkPack("GemmPackA", dst, m*k, trans, a, lda, m, k)
	packA(dst, trans, a, lda, m, k, im.mr, &im.pack)
}

// GemmPackB packs rows [0, k) and columns [0, n) of op(B) into dst in the
// layout GemmKernel reads (GemmArgs.B) on the Current level: ⌈n/NR⌉ panels
// of NR columns, zero padded, panel j at dst[j*stride:], k-major. op(B) is B
// (element (p, j) at b[p*ldb+j]) or, when trans is true, Bᵀ (element (p, j)
// at b[j*ldb+p]). stride must be at least NR·k. It panics if dst or b is too
// short, and it does not allocate.
func GemmPackB(dst []float32, trans bool, b []float32, ldb, k, n, stride int) {
	cur.GemmPackB(dst, trans, b, ldb, k, n, stride)
}

// GemmPackBGeneric is the pure-Go twin of GemmPackB on the generic level.
func GemmPackBGeneric(dst []float32, trans bool, b []float32, ldb, k, n, stride int) {
	genericImpl.GemmPackB(dst, trans, b, ldb, k, n, stride)
}

// GemmPackB is GemmPackB for level im's tile, with im's packing cores.
func (im *Impl) GemmPackB(dst []float32, trans bool, b []float32, ldb, k, n, stride int) {
	if stride < im.nr*k {
		panic("asm: GemmPackB: stride < NR·k")
	}
	// op(B) is k×n: rows k of n columns stored as B (k×n) or Bᵀ (n×k).
	checkPack("GemmPackB", dst, im.GemmPackedBLen(k, n, stride), trans, b, ldb, k, n)
	packB(dst, trans, b, ldb, k, n, stride, im.nr, &im.pack)
}

// GemmPackedBLen returns the length of a B operand of k×n packed for the
// Current level with panels stride elements apart: the minimum len(dst) for
// GemmPackB.
func GemmPackedBLen(k, n, stride int) int { return cur.GemmPackedBLen(k, n, stride) }

// GemmPackedBLen is GemmPackedBLen for level im's tile.
func (im *Impl) GemmPackedBLen(k, n, stride int) int {
	if n <= 0 {
		return 0
	}
	return (n-1)/im.nr*stride + im.nr*k
}

// checkPack checks a packing of the rows×cols op(X) (element (i, p) at
// x[i*ld+p], or x[p*ld+i] when trans) into dst of length need.
func checkPack(name string, dst []float32, need int, trans bool, x []float32, ld, rows, cols int) {
	if rows < 0 || cols < 0 {
		panic("asm: " + name + ": negative size")
	}
	if rows == 0 || cols == 0 {
		return
	}
	if len(dst) < need {
		panic("asm: " + name + ": dst too short")
	}
	r, c := rows, cols
	if trans {
		r, c = c, r
	}
	if ld < c {
		panic("asm: " + name + ": leading dimension too small")
	}
	if len(x) < (r-1)*ld+c {
		panic("asm: " + name + ": source too short")
	}
}

// packers are the packing cores of a level: its assembly or Go twins. See
// gemmPackT8AVX2, gemmPackRows16AVX2 and gemmPackRows6AVX2 for what they do:
// t8 transposes up to 8 rows into lanes stride apart, rowsNR copies NR-wide
// pieces of rows into the panels of B, rowsMR MR-wide pieces into those of A.
type packers struct {
	t8     func(dst, src []float32, ld, rows, stride, kc int)
	rowsNR func(dst, src []float32, ld, k, panels, tail, stride int)
	rowsMR func(dst, src []float32, ld, k, panels, stride int)
}

// genericPackers returns the Go packing cores for the tile mr×nr.
func genericPackers(mr, nr int) packers {
	return packers{
		t8: gemmPackT8Generic,
		rowsNR: func(dst, src []float32, ld, k, panels, tail, stride int) {
			gemmPackRowsGeneric(dst, src, ld, k, panels, tail, stride, nr)
		},
		rowsMR: func(dst, src []float32, ld, k, panels, stride int) {
			gemmPackRowsGeneric(dst, src, ld, k, panels, 0, stride, mr)
		},
	}
}

// gemmPackRowsGeneric is the pure-Go twin of gemmPackRows16AVX2 (width 16)
// and gemmPackRows6AVX2 (width 6, tail 0): row p of src goes, width
// elements a panel, to dst[q*stride+p*width:] for the panels q, and the
// tail elements after them to a last panel, zero padded.
func gemmPackRowsGeneric(dst, src []float32, ld, k, panels, tail, stride, width int) {
	for p := range k {
		for q := range panels {
			copy(dst[q*stride+p*width:][:width], src[p*ld+q*width:])
		}
		if tail > 0 {
			d := dst[panels*stride+p*width:][:width]
			clear(d[copy(d, src[p*ld+panels*width:][:tail]):])
		}
	}
}

// gemmPackT8Generic is the pure-Go twin of gemmPackT8AVX2, including the
// zeros it writes past lane stride.
func gemmPackT8Generic(dst, src []float32, ld, rows, stride, kc int) {
	for p := range kc {
		d := (*[8]float32)(dst[p*stride:])
		for i := range d {
			d[i] = 0
			if i < rows {
				d[i] = src[i*ld+p]
			}
		}
	}
}

// packA packs op(A) (checked by the caller) in panels of MR rows with the
// cores pk.
func packA(dst []float32, trans bool, a []float32, lda, m, k, MR int, pk *packers) {
	if m == 0 || k == 0 {
		return
	}
	full := m / MR
	if trans && full > 0 {
		// Aᵀ: the full panels row by row of a, reading a in order.
		pk.rowsMR(dst, a, lda, k, full, MR*k)
	}
	for i0 := 0; i0 < m; i0 += MR {
		mr := min(MR, m-i0)
		d := dst[i0*k : i0*k+mr*k]
		if trans {
			if mr == MR {
				continue // done above
			}
			for p := range k {
				copy(d[p*mr:p*mr+mr], a[p*lda+i0:])
			}
			continue
		}
		src := a[i0*lda:]
		if mr == 1 {
			copy(d, src[:k])
			continue
		}
		// t8 stores 8 lanes at stride mr: stop where the last store still
		// ends inside the panel, (kc8-1)·mr + 8 ≤ k·mr. Panels of more
		// than 8 rows are copied element by element.
		kc8 := 0
		if mr <= 8 {
			kc8 = max((k-7/mr)&^7, 0)
			if kc8 > 0 {
				pk.t8(d, src, lda, mr, mr, kc8)
			}
		}
		for p := kc8; p < k; p++ {
			for i := range mr {
				d[p*mr+i] = src[i*lda+p]
			}
		}
	}
}

// packB packs op(B) (checked by the caller) in panels of NR columns (a
// multiple of 8) with the cores pk.
func packB(dst []float32, trans bool, b []float32, ldb, k, n, stride, NR int, pk *packers) {
	if n == 0 || k == 0 {
		return
	}
	if !trans {
		// B: all the panels row by row of b, reading b in order.
		pk.rowsNR(dst, b, ldb, k, n/NR, n%NR, stride)
		return
	}
	for j0 := 0; j0 < n; j0 += NR {
		nr := min(NR, n-j0)
		d := dst[j0/NR*stride:]
		d = d[:NR*k]
		// Bᵀ: rows j0..j0+nr of b, 8 at a time (zero lanes past nr).
		kc8 := k &^ 7
		src := b[j0*ldb:]
		if kc8 > 0 {
			for c := 0; c < NR; c += 8 {
				rows := min(max(nr-c, 0), 8)
				s := src
				if rows > 0 {
					s = src[c*ldb:]
				}
				pk.t8(d[c:], s, ldb, rows, NR, kc8)
			}
		}
		for p := kc8; p < k; p++ {
			r := d[p*NR : p*NR+NR]
			for j := range nr {
				r[j] = src[j*ldb+p]
			}
			clear(r[nr:])
		}
	}
}
