// Command gemm generates boltz's AVX2/FMA GEMM micro-kernels and packing
// routines, asm/gemm_amd64.s and their stubs asm/gemm_amd64.go:
//
//	cd gen && go run ./gemm -out ../asm/gemm_amd64.s -stubs ../asm/gemm_amd64.go -pkg asm
//
// The Go twins, and the reference for every step below, are in asm/gemm.go:
// gemmKernelGo (GemmKernelGeneric) for the kernels, gemmPackT8Generic,
// gemmPackRows16Generic and gemmPackRows6Generic for the packing cores
// (GemmPackAGeneric, GemmPackBGeneric). The epilogues' sigmoid, the Philox
// rounds, the constant and mask tables and the row and panel addressing are
// the shared generator library's, gen/internal/x86.
//
// # Operands
//
// A is packed in panels of MR = 6 rows, the last one of m%6 rows, k-major:
// element (i, p) of the panel of mr rows that starts at row i0 is
// a[i0·k + p·mr + i]. B is packed in panels of NR = 16 columns, zero padded
// to 16: element (p, j) of panel jp is b[jp·bstride + p·16 + j]. C (and S)
// are row-major with leading dimensions ldc (lds). With lda > 0, A is not
// packed but row-major (element (i, p) at a[i·lda + p]): the k loop then
// broadcasts from mr row streams instead of one panel, which saves packing
// (and, when workers split the columns of C, packing the same A in every
// worker) on the skinny products of a CD step, where A is the batch.
//
// # The kernel, one call a block of tiles
//
//	for i0 := 0; i0 < m; i0 += 6 {                 // row panels: A panel in L1
//		mr := min(6, m-i0)                          // MR variant 6, 5, 4, 3, 2 or 1
//		for j0 := 0; j0 < n; j0 += 16 {             // column panels: B streams from L2
//		                                            // (A: the packed panel, or mr rows)
//			nr := min(16, n-j0)                     // nr < 16: VMASKMOVPS for C
//			var acc [mr][16]float32                 // 2·mr ymm accumulators
//			for p := 0; p < k; p++ {                // unrolled ×4
//				for i := range mr {                 // 2 ymm loads of B, mr broadcasts of A
//					for j := range 16 { acc[i][j] += a[p·mr+i] · b[p·16+j] }  // VFMADD231PS
//				}
//			}
//			epilogue(acc, C[i0:i0+mr, j0:j0+nr])
//		}
//		sample pass over S[i0:i0+mr, 0:n]           // gemmSampleAVX2 only
//	}
//
// Every element of C goes through the same operations in the same order
// (FMAs for p = 0, 1, …, k-1 from zero, then the epilogue) whatever the MR
// variant, the column edge and the block it falls in, so a GEMM driver's
// result does not depend on how it tiles or splits the output.
//
// Epilogues (one TEXT each, all three with α and β; α = 1 skips the
// multiplication, which changes no bit):
//
//	gemmKernelAVX2:  x = α·acc; if β ≠ 0 { x = β·C + x }; C = x   (β = 0: C is never read)
//	gemmSigmoidAVX2: same x, then C = Sigmoid1(x + bias[j])       (rr2-p5, as asm/sigmoid.go)
//	gemmSampleAVX2:  as gemmSigmoidAVX2, then, for the panel's rows,
//	                 S[r][c] = Uniform(Philox(row0+r, col0+c)) < C[r][c] ? 1 : 0
//
// and their scaled variants (gemmKernelScale, gemmSigmoidScale,
// gemmSampleScale; AVX512: the first two), which take a per-row scale
// last (the inverse temperatures of tempered sampling): after β, the bias is
// added to the whole tile, then row r's accumulators are multiplied by the
// broadcast scale[r] (VMULPS), then the sigmoid and store pass as above.
// Adding the bias and scaling in a pass of their own keeps the scale's
// register apart from the sigmoid's temporaries and the tail mask (the 6×16
// tile has no 17th ymm register); a scale of 1 changes no bit.
//
// The sample pass runs Philox4x32-10 (rng.Block) on 8 counters at once; the
// 32×32→64-bit products are two VPMULUDQ (even and odd lanes) recombined with
// shifts and VPBLENDD. When col0 is a multiple of 4, one vector of 8 blocks
// covers 2 rows × 16 columns (blocks 0,2 | 1,3 of each row in the two 128-bit
// halves) and an in-lane 4×4 transpose (VPUNPCK*) puts the 4 words of each
// block in unit order; otherwise each lane computes the block of its own unit
// and keeps the word unit%4 (4× the work, exact all the same). Two vectors
// go through the rounds together, so that their dependency chains overlap.
// The uniform (r>>8)·2^-24 is VPSRLD, VCVTDQ2PS and an exact VMULPS, and
// VCMPPS(LT_OQ) against C gives 0 for NaN probabilities, as Go's < does.
//
// # Registers
//
// The 6×16 tile uses all 16 ymm registers in the k loop: 12 accumulators, 2
// for B, 2 for A broadcasts (register renaming overlaps the steps). The
// epilogues work one accumulator at a time with the freed registers: the
// sigmoid needs three temporaries and reads its constants as memory
// operands, the masked column edge one more for the mask. Row-panel state
// (remaining rows, A panel, C and S rows) lives in stack locals.
//
// # Packing
//
// gemmPackT8AVX2 transposes 8 rows of a row-major matrix into interleaved
// columns, 8 columns at a time: 4-float halves of rows i and i+4 are loaded
// into the two 128-bit lanes of one ymm, then a 4×4 in-lane transpose (for
// A, and for Bᵀ). gemmPackRows16AVX2 and gemmPackRows6AVX2 copy 16- or
// 6-float pieces of each row into every panel, reading the source in order
// (for B, and for Aᵀ).
package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/boltzgo/boltz/gen/internal/x86"
	"github.com/mmcloughlin/avo/attr"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	nr     = 16 // columns of the AVX2 register tile (2 ymm): the sample pass and the packers
	unroll = 4  // k steps per iteration of the main loop
)

// The register tile of each level: MR rows by NR = 2 vectors of columns.
// AVX2's 6×16 keeps 12 ymm accumulators, 2 for B and 2 for A broadcasts;
// AVX512's 12×32 keeps 24 zmm accumulators, 2 for B and up to 6 for A.
func tileMR(isa *x86.ISA) int {
	if isa == x86.AVX512 {
		return 12
	}
	return 6
}

type epilogue int

const (
	epPlain epilogue = iota
	epSigmoid
	epSample
	epUpdate
)

// The vectors of gemmConsts, in this order (it sets their offsets): the
// sigmoid's, Philox's and the uniform's (x86's), and those of the sample
// pass's counters.
var constList = []x86.Const{
	x86.SigAbsMask, x86.SigMagicBias, x86.SigOne, x86.SigMinusLog2E,
	x86.SigLn2Hi, x86.SigLn2Lo, x86.SigC5, x86.SigC4, x86.SigC3, x86.SigC2,
	x86.SigC1, x86.SigUnscale, x86.SigZeroLimit,
	x86.PhiloxM0, x86.PhiloxM1, x86.PhiloxW0, x86.PhiloxW1, x86.Inv24,
	x86.PerLane("iota", 0, 1, 2, 3, 4, 5, 6, 7),
	x86.PerLane("blkOffs", 0, 2, 0, 2, 1, 3, 1, 3),
	x86.PerLane("rowOffs", 0, 0, 1, 1, 0, 0, 1, 1),
	x86.Splat("int1", 1),
	x86.Splat("int2", 2),
	x86.Splat("int3", 3),
	x86.Splat("int4", 4),
}

var (
	consts  *x86.Table    // gemmConsts
	maskTab x86.MaskTable // gemmMaskTab: 16 all-ones lanes, then 16 zero lanes
	// sig is the sigmoid of the epilogues: Sigmoid1's steps, every
	// constant a memory operand.
	sig x86.Sigmoid
)

// vc returns the memory operand of a constant vector.
func vc(name string) Mem { return consts.Addr(name) }

func main() { x86.Main(generate, x86.AVX2, x86.AVX512) }

// constList512 are the vectors of gemmConsts for AVX512: the sigmoid's, in
// the clamped form (bit for bit Sigmoid1, as the direct form of AVX2).
var constList512 = []x86.Const{
	x86.SigAbsMask, x86.SigMagicBias, x86.SigOne, x86.SigMinusLog2E,
	x86.SigLn2Hi, x86.SigLn2Lo, x86.SigC5, x86.SigC4, x86.SigC3, x86.SigC2,
	x86.SigC1, x86.SigTwoTo64, x86.SigZeroLimit,
	x86.Splat("zero", 0),
}

// generate emits the file of g's level.
func generate(g *x86.Gen) {
	g.ConstraintExpr("!purego")
	if g.ISA == x86.AVX512 {
		// The sampling epilogue is GemmBiasSigmoid followed by the AVX2
		// Bernoulli pass (bernoulliAVX2), called by the Go wrapper on each
		// block; the transposing packs are AVX2's.
		consts = g.Table("gemmConsts", constList512...)
		sig = x86.Sigmoid{Form: x86.SigmoidClamped, K: consts.Operands()}
		kernel(g, "gemmKernelAVX512", epPlain, false)
		kernel(g, "gemmSigmoidAVX512", epSigmoid, false)
		kernel(g, "gemmUpdateAVX512", epUpdate, false)
		kernel(g, "gemmKernelScaleAVX512", epPlain, true)
		kernel(g, "gemmSigmoidScaleAVX512", epSigmoid, true)
		packRows(g, 2*g.ISA.Lanes())
		packRows(g, tileMR(g.ISA))
		return
	}
	consts = g.Table("gemmConsts", constList...)
	maskTab = g.MaskTable("gemmMaskTab", nr)
	sig = x86.Sigmoid{Form: x86.SigmoidDirect, K: consts.Operands()}

	kernel(g, "gemmKernelAVX2", epPlain, false)
	kernel(g, "gemmSigmoidAVX2", epSigmoid, false)
	kernel(g, "gemmSampleAVX2", epSample, false)
	kernel(g, "gemmUpdateAVX2", epUpdate, false)
	kernel(g, "gemmKernelScaleAVX2", epPlain, true)
	kernel(g, "gemmSigmoidScaleAVX2", epSigmoid, true)
	kernel(g, "gemmSampleScaleAVX2", epSample, true)
	packT8(g)
	packRows(g, 16)
	packRows(g, 6)
	bernoulli(g)
}

// kernelDocLoop is the Go loop of a kernel's doc comment, with MR and NR
// written as {MR} and {NR}.
const kernelDocLoop = `
	for i0 := 0; i0 < m; i0 += {MR} {
		mr := min({MR}, m-i0)
		for j0 := 0; j0 < n; j0 += {NR} {
			var acc [{MR}][{NR}]float32
			for p := range k {
				for i := range mr {
					for j := range {NR} {
						acc[i][j] += A(i0+i, p) * b[j0/{NR}*bstride+p*{NR}+j]
					}
				}
			}
			for i := range mr {
				for j := range min({NR}, n-j0) {
					x := alpha * acc[i][j]
					if beta != 0 {
						x = beta*c[(i0+i)*ldc+j0+j] + x
					}
					%s
				}
			}
		}%s
	}`

// kernel emits one kernel with epilogue ep; scaled adds the per-row scale
// of the write-back (the last parameter, scale: row i0+i's pre-activation
// times scale[i0+i], after the bias and before the sigmoid), for the
// epilogues other than epUpdate.
func kernel(x *x86.Gen, name string, ep epilogue, scaled bool) {
	g := newGen(x, ep)
	g.scaled = scaled
	const common = "a, b, c []float32, m, n, k, lda, bstride, ldc int, alpha, beta float32"
	var store, sample, tail string
	if scaled {
		tail = ", scale []float32"
	}
	switch ep {
	case epPlain:
		g.TEXT(name, attr.NOSPLIT, "func("+common+tail+")")
		store = "c[(i0+i)*ldc+j0+j] = x"
		if scaled {
			store = "c[(i0+i)*ldc+j0+j] = x * scale[i0+i]"
		}
	case epSigmoid:
		g.TEXT(name, attr.NOSPLIT, "func("+common+", bias []float32"+tail+")")
		store = "c[(i0+i)*ldc+j0+j] = Sigmoid1(x + bias[j0+j])"
		if scaled {
			store = "c[(i0+i)*ldc+j0+j] = Sigmoid1((x + bias[j0+j]) * scale[i0+i])"
		}
	case epSample:
		g.TEXT(name, attr.NOSPLIT, "func("+common+", bias, s []float32, lds int, key0, key1, phase, step uint32, row0, col0 int"+tail+")")
		store = "c[(i0+i)*ldc+j0+j] = Sigmoid1(x + bias[j0+j])"
		if scaled {
			store = "c[(i0+i)*ldc+j0+j] = Sigmoid1((x + bias[j0+j]) * scale[i0+i])"
		}
		sample = `
		st := rng.Stream{Key: [2]uint32{key0, key1}, Step: step, Phase: phase}
		for i := range mr {
			st.Bernoulli(s[(i0+i)*lds:][:n], c[(i0+i)*ldc:][:n], row0+i0+i, col0)
		}`
	case epUpdate:
		g.TEXT(name, attr.NOSPLIT, "func("+common+", w []float32, ldw int, decay float32, wp []float32, wpstride int)")
		store = `x = x - decay*w[(i0+i)*ldw+j0+j]      // one FMA
					c[(i0+i)*ldc+j0+j] = x
					w[(i0+i)*ldw+j0+j] += x
					if len(wp) > 0 {
						wp[(j0+j)/{NR}*wpstride+(i0+i)*{NR}+j%{NR}] = w[(i0+i)*ldw+j0+j]
					}`
	}
	doc := []string{
		name + " computes a block of C from A and packed B (panels of {NR}",
		"columns, bstride elements apart), looping over all the tiles of the",
		"block. A is packed (lda = 0: panels of {MR} rows, the last one of m%{MR}",
		"rows, A(i0+i, p) = a[i0*k+p*mr+i]) or row-major (lda > 0: A(i, p) =",
		"a[i*lda+p]):",
	}
	for _, l := range splitLines(fmt.Sprintf(kernelDocLoop, store, sample)) {
		doc = append(doc, l)
	}
	tileNames := strings.NewReplacer("{MR}", fmt.Sprint(g.mrMax), "{NR}", fmt.Sprint(g.nr))
	for i := range doc {
		doc[i] = tileNames.Replace(doc[i])
	}
	doc = append(doc, "", "The caller checks the lengths of the slices (see GemmKernel).")
	g.Doc(doc...)
	g.Pragma("noescape")

	g.lMrem = g.AllocLocal(8)
	g.lAPanel = g.AllocLocal(8)
	g.lCRow = g.AllocLocal(8)
	g.lMRows = g.AllocLocal(8)
	if ep == epSample {
		g.sampleLocals()
	}
	if ep == epUpdate {
		g.lWRow = g.AllocLocal(8)
		g.lWPRow = g.AllocLocal(8)
	}
	if scaled {
		g.lScaleRow = g.AllocLocal(8)
	}

	g.Comment("Row-panel state lives in locals: mrem, aPanel, cRow (sRow, rowIdx).")
	t := g.Load(g.Param("m"), g.GP64())
	g.MOVQ(t, g.lMrem)
	t = g.Load(g.Param("a").Base(), g.GP64())
	g.MOVQ(t, g.lAPanel)
	t = g.Load(g.Param("c").Base(), g.GP64())
	g.MOVQ(t, g.lCRow)
	if ep == epUpdate {
		t = g.Load(g.Param("w").Base(), g.GP64())
		g.MOVQ(t, g.lWRow)
		t = g.Load(g.Param("wp").Len(), g.GP64()) // no packed copy: lWPRow = 0
		g.TESTQ(t, t)
		g.JZ(LabelRef("noWP"))
		g.Load(g.Param("wp").Base(), t)
		g.Label("noWP")
		g.MOVQ(t, g.lWPRow)
	}
	if scaled {
		t = g.Load(g.Param("scale").Base(), g.GP64())
		g.MOVQ(t, g.lScaleRow)
	}
	if ep == epSample {
		g.sampleSetup()
	}

	g.Label("top")
	mr := g.GP64()
	g.MOVQ(g.lMrem, mr)
	g.CMPQ(mr, U8(g.mrMax))
	g.JAE(LabelRef(fmt.Sprintf("panel%d", g.mrMax)))
	for r := g.mrMax - 1; r >= 1; r-- {
		g.CMPQ(mr, U8(r))
		g.JE(LabelRef(fmt.Sprintf("panel%d", r)))
	}
	g.JMP(LabelRef("done"))

	for r := g.mrMax; r >= 1; r-- {
		g.rowPanel(r)
	}

	g.Label("panelDone")
	if ep == epSample {
		g.samplePass()
	}
	g.Comment("Next row panel: aPanel += mr·k, cRow += mr·ldc, mrem -= mr.")
	rows := g.GP64()
	g.MOVQ(g.lMRows, rows)
	t = g.Load(g.Param("lda"), g.GP64()) // row-major A: the next rows
	g.TESTQ(t, t)
	g.JNZ(LabelRef("nextA"))
	g.Load(g.Param("k"), t) // packed A: the next panel
	g.Label("nextA")
	g.IMULQ(rows, t)
	g.SHLQ(U8(2), t)
	g.ADDQ(t, g.lAPanel)
	t = g.Load(g.Param("ldc"), g.GP64())
	g.IMULQ(rows, t)
	g.SHLQ(U8(2), t)
	g.ADDQ(t, g.lCRow)
	if ep == epUpdate {
		t = g.Load(g.Param("ldw"), g.GP64())
		g.IMULQ(rows, t)
		g.SHLQ(U8(2), t)
		g.ADDQ(t, g.lWRow)
		t = g.GP64()
		g.MOVQ(g.lWPRow, t)
		g.TESTQ(t, t)
		g.JZ(LabelRef("nextWP"))
		g.MOVQ(rows, t)
		g.SHLQ(U8(g.rowShift), t) // NR floats a row in the packed copy
		g.ADDQ(t, g.lWPRow)
		g.Label("nextWP")
	}
	if ep == epSample {
		t = g.Load(g.Param("lds"), g.GP64())
		g.IMULQ(rows, t)
		g.SHLQ(U8(2), t)
		g.ADDQ(t, g.lSRow)
		g.ADDQ(rows, g.lRowIdx)
	}
	if scaled {
		t = g.GP64()
		g.MOVQ(rows, t)
		g.SHLQ(U8(2), t)
		g.ADDQ(t, g.lScaleRow)
	}
	g.SUBQ(rows, g.lMrem)
	g.JMP(LabelRef("top"))

	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

type gen struct {
	*x86.Gen
	ep                            epilogue
	scaled                        bool  // the per-row scale of the write-back
	mrMax, nr                     int   // the level's register tile
	vb                            int   // bytes of a vector
	rowShift                      uint8 // log2 of the bytes of a packed panel row (4·NR)
	lMrem, lAPanel, lCRow, lMRows Mem
	lSRow, lRowIdx                Mem
	lWRow                         Mem // epUpdate: the W row of the row panel
	lWPRow                        Mem // epUpdate: that row in the packed copy (0: none)
	lScaleRow                     Mem // scaled: the scale of the row panel's first row
	lLaneAdd, lLaneWord           Mem
	lKey0, lKey1, lPhase, lStep   Mem // the scalars broadcast to 8 lanes
}

// label returns the label s of the tile of MR rows and P panels: s, MR, _,
// P ("kloop6_1"); with tiles of more than 9 rows, s, _, MR, _, P, so that
// "kloop1" of the 2-row tile and "kloop" of the 12-row tile differ.
func (g *gen) label(s string, MR, P int) string {
	if g.mrMax > 9 {
		return fmt.Sprintf("%s_%d_%d", s, MR, P)
	}
	return fmt.Sprintf("%s%d_%d", s, MR, P)
}

// sampleLocals allocates the locals of the sample pass.
func (g *gen) sampleLocals() {
	g.lSRow = g.AllocLocal(8)
	g.lRowIdx = g.AllocLocal(8)
	g.lLaneAdd = g.AllocLocal(32)
	g.lLaneWord = g.AllocLocal(32)
	g.lKey0 = g.AllocLocal(32)
	g.lKey1 = g.AllocLocal(32)
	g.lPhase = g.AllocLocal(32)
	g.lStep = g.AllocLocal(32)
}

// sampleSetup stores the sample pass's state in its locals: the S row, the
// row counter, the lane offsets of unaligned columns and the broadcast key,
// phase and step.
func (g *gen) sampleSetup() {
	t := g.Load(g.Param("s").Base(), g.GP64())
	g.MOVQ(t, g.lSRow)
	t = g.Load(g.Param("row0"), g.GP64())
	g.MOVQ(t, g.lRowIdx)
	g.Comment("Unaligned sampling: lane j of a group of 8 units from col0+8g takes word",
		"(col0+j)%4 of block (col0+8g)/4 + (col0%4+j)/4.")
	t = g.Load(g.Param("col0"), g.GP64())
	g.ANDQ(U8(3), t)
	x := g.XMM()
	g.VMOVQ(t, x)
	v := g.Vec()
	g.BroadcastInt(x, v)
	g.VPADDD(vc("iota"), v, v)
	w := g.Vec()
	g.VPAND(vc("int3"), v, w)
	g.VMOVDQU(w, g.lLaneWord)
	g.VPSRLD(U8(2), v, v)
	g.VMOVDQU(v, g.lLaneAdd)
	for _, p := range []struct {
		name string
		dst  Mem
	}{{"key0", g.lKey0}, {"key1", g.lKey1}, {"phase", g.lPhase}, {"step", g.lStep}} {
		r, x, y := g.GP32(), g.XMM(), g.Vec()
		g.Load(g.Param(p.name), r)
		g.VMOVD(r, x)
		g.BroadcastInt(x, y)
		g.VMOVDQU(y, p.dst)
	}
}

// bernoulli emits bernoulliAVX2, the sample pass of gemmSampleAVX2 as a
// kernel of its own: S = Uniform(Philox) < C over a block of C. The AVX512
// level's sampling epilogue is its sigmoid kernel followed by this pass on
// the same block, while the block is in cache.
func bernoulli(x *x86.Gen) {
	g := newGen(x, epSample)
	g.TEXT("bernoulliAVX2", attr.NOSPLIT, "func(c, s []float32, m, n, ldc, lds int, key0, key1, phase, step uint32, row0, col0 int)")
	g.Doc("bernoulliAVX2 draws the Bernoulli states of the probabilities of an m×n",
		"block of C (row-major, ldc elements apart) into S (lds apart):",
		"",
		"\tst := rng.Stream{Key: [2]uint32{key0, key1}, Step: step, Phase: phase}",
		"\tfor i := range m {",
		"\t\tst.Bernoulli(s[i*lds:][:n], c[i*ldc:][:n], row0+i, col0)",
		"\t}",
		"",
		"with the sample pass of gemmSampleAVX2. The caller checks the lengths.")
	g.Pragma("noescape")
	g.lCRow = g.AllocLocal(8)
	g.lMRows = g.AllocLocal(8)
	g.sampleLocals()
	t := g.Load(g.Param("c").Base(), g.GP64())
	g.MOVQ(t, g.lCRow)
	t = g.Load(g.Param("m"), g.GP64())
	g.MOVQ(t, g.lMRows)
	g.TESTQ(t, t)
	g.JZ(LabelRef("done"))
	t = g.Load(g.Param("n"), g.GP64())
	g.TESTQ(t, t)
	g.JZ(LabelRef("done"))
	g.sampleSetup()
	g.samplePass()
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// newGen returns the state of one kernel with epilogue ep for x's level.
func newGen(x *x86.Gen, ep epilogue) *gen {
	g := &gen{Gen: x, ep: ep, mrMax: tileMR(x.ISA), nr: 2 * x.ISA.Lanes(), vb: x.ISA.VecBytes}
	for 1<<g.rowShift < 4*g.nr {
		g.rowShift++
	}
	return g
}

// widePanels returns how many column panels a tile of MR rows covers: the
// 6×16 tile keeps 12 accumulators, 2 B and 2 A registers busy, but with 1 or
// 2 rows the two FMA pipes would wait on the 4-cycle latency of 2 or 4
// accumulator chains; 4 panels for 1 row and 2 for 2 rows give 8 chains.
func widePanels(MR int) int {
	switch MR {
	case 1:
		return 4
	case 2:
		return 2
	}
	return 1
}

// rowPanel emits the loop over the column panels for a row panel of MR rows:
// wide tiles of widePanels(MR) panels while more than widePanels(MR)-1
// panels are left, then tiles of one panel.
func (g *gen) rowPanel(MR int) {
	g.Label(fmt.Sprintf("panel%d", MR))
	g.Comment(fmt.Sprintf("Row panel of %d rows: loop over the column panels.", MR))
	aPanel := g.GP64()
	g.MOVQ(g.lAPanel, aPanel)
	bp := g.Load(g.Param("b").Base(), g.GP64())
	colOff := g.GP64() // byte offset of the tile's first column in the C row
	g.XORQ(colOff, colOff)
	nrem := g.Load(g.Param("n"), g.GP64())
	done := fmt.Sprintf("panelEnd%d", MR)
	if P := widePanels(MR); P > 1 {
		l := func(s string) string { return g.label(s, MR, P) }
		g.Label(l("col"))
		g.CMPQ(nrem, U8(g.nr*(P-1)))
		g.JLE(LabelRef(g.label("col", MR, 1)))
		g.tile(MR, P, aPanel, bp, colOff, nrem)
		g.Label(l("next"))
		t := g.Load(g.Param("bstride"), g.GP64())
		g.SHLQ(U8(2), t)
		g.IMUL3Q(U8(P), t, t)
		g.ADDQ(t, bp)
		g.ADDQ(U32(4*g.nr*P), colOff)
		g.SUBQ(U8(g.nr*P), nrem)
		g.JG(LabelRef(l("col")))
		g.JMP(LabelRef(done))
	}
	l := func(s string) string { return g.label(s, MR, 1) }
	g.Label(l("col"))
	g.tile(MR, 1, aPanel, bp, colOff, nrem)
	g.Label(l("next"))
	t := g.Load(g.Param("bstride"), g.GP64())
	g.SHLQ(U8(2), t)
	g.ADDQ(t, bp)
	g.ADDQ(U8(4*g.nr), colOff)
	g.SUBQ(U8(g.nr), nrem)
	g.JG(LabelRef(l("col")))
	g.Label(done)
	g.MOVQ(U32(MR), g.lMRows)
	g.JMP(LabelRef("panelDone"))
}

// tile emits one tile of MR rows and P column panels (the panels bstride
// elements apart in B, adjacent in C): the k loop and the epilogue, which
// ends with a jump to next<MR>_<P>.
func (g *gen) tile(MR, P int, aPanel, bp, colOff, nrem Register) {
	l := func(s string) string { return g.label(s, MR, P) }
	H := 2 * P // ymm columns
	acc := make([][]VecVirtual, MR)
	for i := range acc {
		acc[i] = make([]VecVirtual, H)
		for h := range acc[i] {
			acc[i][h] = g.Vec()
			if g.ISA.Opmasks {
				// A load, not VPXORD: avo takes VPXORD of a register
				// with itself for a use, which would keep every
				// accumulator live across the column loop.
				g.VMOVUPS(vc("zero"), acc[i][h])
			} else {
				g.Zero(acc[i][h])
			}
		}
	}
	bk, kk := g.GP64(), g.GP64()
	g.MOVQ(bp, bk)
	var bs, bk2 Register
	if P > 1 {
		bs = g.Load(g.Param("bstride"), g.GP64())
		g.SHLQ(U8(2), bs)
	}
	if P > 2 {
		bk2 = g.GP64()
		g.LEAQ(Mem{Base: bk, Index: bs, Scale: 2}, bk2)
	}
	// bAddr returns ymm column h of B at k step u.
	bPanels := g.Panels(bk, bk2, bs, g.nr)
	bAddr := func(h, u int) Mem { return bPanels.Vec(h, 4*g.nr*u) }
	memB := MR == 1 // one row: B as FMA memory operands, no B registers
	bv := make([]VecVirtual, H)
	for h := range bv {
		if !memB {
			bv[h] = g.Vec()
		}
	}
	// kloop emits the k loop with A element (i, k0+u) at aAddr(i, u) and
	// advA(steps) moving A on by steps k; it falls through to epi.
	kloop := func(id string, aAddr func(i, u int) Mem, advA func(steps int)) {
		step := func(u int) {
			if !memB {
				for h := range bv {
					g.VMOVUPS(bAddr(h, u), bv[h])
				}
			}
			for i := range MR {
				av := g.Vec()
				g.Broadcast(aAddr(i, u), av)
				for h := range H {
					if memB {
						g.VFMADD231PS(bAddr(h, u), av, acc[i][h])
					} else {
						g.VFMADD231PS(bv[h], av, acc[i][h])
					}
				}
			}
		}
		advance := func(steps int) {
			advA(steps)
			g.ADDQ(U32(4*g.nr*steps), bk)
			if bk2 != nil {
				g.ADDQ(U32(4*g.nr*steps), bk2)
			}
		}
		g.Load(g.Param("k"), kk)
		g.SHRQ(U8(2), kk)
		g.JZ(LabelRef(l(id + "ktail")))
		g.Label(l(id + "kloop"))
		for u := range unroll {
			step(u)
		}
		advance(unroll)
		g.DECQ(kk)
		g.JNZ(LabelRef(l(id + "kloop")))
		g.Label(l(id + "ktail"))
		g.Load(g.Param("k"), kk)
		g.ANDQ(U8(unroll-1), kk)
		g.JZ(LabelRef(l("epi")))
		g.Label(l(id + "kloop1"))
		step(0)
		advance(1)
		g.DECQ(kk)
		g.JNZ(LabelRef(l(id + "kloop1")))
	}
	if g.ISA.Opmasks {
		g.prefetchTile(MR, P, colOff)
	}
	lda := g.Load(g.Param("lda"), g.GP64())
	g.TESTQ(lda, lda)
	g.JNZ(LabelRef(l("arows")))
	g.Comment("Packed A: element (i, p) at aPanel + 4·(p·MR + i).")
	ap := g.GP64()
	g.MOVQ(aPanel, ap)
	kloop("", func(i, u int) Mem { return Mem{Base: ap, Disp: 4 * (MR*u + i)} },
		func(steps int) { g.ADDQ(U32(4*MR*steps), ap) })
	g.JMP(LabelRef(l("epi")))

	g.Label(l("arows"))
	g.Comment("Row-major A (lda > 0): element (i, p) at aPanel + 4·(i·lda + p).")
	a := x86.Rows{P: g.GP64(), Q: g.GP64(), LD: lda}
	if MR > 6 {
		a.R = g.GP64()
	}
	if MR > 9 {
		a.S = g.GP64()
	}
	g.MOVQ(aPanel, a.P)
	g.SHLQ(U8(2), lda)
	if MR > 3 {
		a.SetQ(g.Gen)
	}
	kloop("r", func(i, u int) Mem { return a.Row(i, 4*u) },
		func(steps int) {
			for _, r := range []Register{a.P, a.Q, a.R, a.S} {
				if r != nil && (r == a.P || MR > 3) {
					g.ADDQ(U8(4*steps), r)
				}
			}
		})

	g.Label(l("epi"))
	g.epilogue(MR, P, acc, colOff, nrem)
}

// epilogue emits the write-back of a tile of MR rows and P column panels
// (acc[i][h]: row i, columns 8h..8h+7); it ends with a jump to the label
// next<MR>_<P>. The tile is full when nrem ≥ 16·P; otherwise only its last
// panel is partial (nrem - 16·(P-1) columns) and goes through VMASKMOVPS.
func (g *gen) epilogue(MR, P int, acc [][]VecVirtual, colOff, nrem Register) {
	l := func(s string) string { return g.label(s, MR, P) }
	H := 2 * P
	c := g.LoadRows(MR, g.lCRow, colOff, "ldc")
	masks, mask := g.tailMasks(P, nrem)
	cAddr := func(i, h int) Mem { return c.Row(i, g.vb*h) }
	full := func() {
		g.CMPQ(nrem, U8(g.nr*P))
	}

	g.Comment("x = α·acc (skipped when α = 1)")
	at := g.GP32()
	g.MOVL(g.ParamAddr("alpha"), at)
	g.CMPL(at, U32(math.Float32bits(1)))
	g.JE(LabelRef(l("alpha1")))
	al := g.Vec()
	g.Broadcast(g.ParamAddr("alpha"), al)
	for i := range MR {
		for h := range H {
			g.VMULPS(al, acc[i][h], acc[i][h])
		}
	}
	g.Label(l("alpha1"))
	g.Comment("β ≠ 0: x = β·C + x (β = 0: C is not read)")
	bt := g.GP32()
	g.MOVL(g.ParamAddr("beta"), bt)
	g.ANDL(U32(0x7FFFFFFF), bt)
	g.JZ(LabelRef(l("noC")))
	full()
	g.JL(LabelRef(l("cMasked")))
	be := g.Vec()
	g.Broadcast(g.ParamAddr("beta"), be)
	for i := range MR {
		for h := range H {
			g.VFMADD231PS(cAddr(i, h), be, acc[i][h])
		}
	}
	g.JMP(LabelRef(l("noC")))
	g.Label(l("cMasked"))
	masks()
	for i := range MR {
		for h := range H {
			t, b := g.Vec(), g.Vec()
			if mk := mask(h); mk != nil {
				g.MaskLoad(cAddr(i, h), g.maskReg(mk), t)
			} else {
				g.VMOVUPS(cAddr(i, h), t)
			}
			g.Broadcast(g.ParamAddr("beta"), b)
			g.VFMADD231PS(t, b, acc[i][h])
		}
	}

	g.Label(l("noC"))
	if g.ep == epUpdate {
		g.updateStore(MR, H, acc, colOff, cAddr, full, masks, mask, l)
		return
	}
	if g.scaled {
		g.scaleRows(MR, P, acc, colOff, nrem)
	}
	// addBias: the bias still to add (the scaled kernels added it).
	addBias := g.ep != epPlain && !g.scaled
	full()
	g.JL(LabelRef(l("sMasked")))
	biasBase := g.GP64()
	if addBias {
		g.Load(g.Param("bias").Base(), biasBase)
		g.ADDQ(colOff, biasBase)
	}
	for i := range MR {
		for h := range H {
			x := acc[i][h]
			if g.ep == epPlain {
				g.VMOVUPS(x, cAddr(i, h))
				continue
			}
			if addBias {
				g.VADDPS(Mem{Base: biasBase, Disp: g.vb * h}, x, x)
			}
			g.VMOVUPS(sigmoid(g.Gen, x), cAddr(i, h))
		}
	}
	g.JMP(LabelRef(l("next")))

	g.Label(l("sMasked"))
	masks()
	if addBias {
		g.Load(g.Param("bias").Base(), biasBase)
		g.ADDQ(colOff, biasBase)
	}
	for i := range MR {
		for h := range H {
			x := acc[i][h]
			mk := mask(h)
			var m Op
			if mk != nil {
				m = g.maskReg(mk)
			}
			if g.ep != epPlain {
				if addBias && mk != nil {
					t := g.Vec()
					g.MaskLoad(Mem{Base: biasBase, Disp: g.vb * h}, m, t)
					g.VADDPS(t, x, x)
				} else if addBias {
					g.VADDPS(Mem{Base: biasBase, Disp: g.vb * h}, x, x)
				}
				x = sigmoid(g.Gen, x)
			}
			if mk != nil {
				g.MaskStore(x, m, cAddr(i, h))
			} else {
				g.VMOVUPS(x, cAddr(i, h))
			}
		}
	}
	g.JMP(LabelRef(l("next")))
}

// scaleRows is the per-row scale of the scaled kernels: the bias added to
// every accumulator first (masked loads on a partial last panel), then row
// i's accumulators multiplied by the broadcast scale[i0+i]. Done before the
// sigmoid pass rather than inside it, so that the scale's register is not
// live next to the sigmoid's temporaries and the mask: the 6×16 AVX2 tile
// has 16 ymm registers for all of it. A scale of 1 changes no bit.
func (g *gen) scaleRows(MR, P int, acc [][]VecVirtual, colOff, nrem Register) {
	l := func(s string) string { return g.label(s, MR, P) }
	H := 2 * P
	if g.ep != epPlain {
		g.Comment("x += bias (all rows), then x *= scale[row]")
		masks, mask := g.tailMasks(P, nrem)
		bb := g.Load(g.Param("bias").Base(), g.GP64())
		g.ADDQ(colOff, bb)
		g.CMPQ(nrem, U8(g.nr*P))
		g.JL(LabelRef(l("bMasked")))
		for i := range MR {
			for h := range H {
				g.VADDPS(Mem{Base: bb, Disp: g.vb * h}, acc[i][h], acc[i][h])
			}
		}
		g.JMP(LabelRef(l("scale")))
		g.Label(l("bMasked"))
		masks()
		for i := range MR {
			for h := range H {
				mk := mask(h)
				if mk == nil {
					g.VADDPS(Mem{Base: bb, Disp: g.vb * h}, acc[i][h], acc[i][h])
					continue
				}
				t := g.Vec()
				g.MaskLoad(Mem{Base: bb, Disp: g.vb * h}, g.maskReg(mk), t)
				g.VADDPS(t, acc[i][h], acc[i][h])
			}
		}
		g.Label(l("scale"))
	} else {
		g.Comment("x *= scale[row]")
	}
	sp := g.GP64()
	g.MOVQ(g.lScaleRow, sp)
	for i := range MR {
		s := g.Vec()
		g.Broadcast(Mem{Base: sp, Disp: 4 * i}, s)
		for h := range H {
			g.VMULPS(s, acc[i][h], acc[i][h])
		}
	}
}

// updateStore is epUpdate's write-back of x (acc after α and β): with d the
// broadcast decay and W's tile at the same rows and columns in w,
//
//	x = x − d·W (VFNMADD231PS); C = x; W = W + x; [WP = W]
//
// so the velocity C and the weights W are each read and written once, and
// the caller's separate pass over them disappears. When wp is not empty, the
// new W also goes to wp, a copy of W packed as GemmPackB packs it (panels of
// 16 columns, wpstride elements apart, 16 a row): each ymm of the tile is
// one aligned half of a panel row there, so keeping that copy current costs
// one store. The partial last panel loads and stores through VMASKMOVPS,
// like C elsewhere.
func (g *gen) updateStore(MR, H int, acc [][]VecVirtual, colOff Register, cAddr func(i, h int) Mem,
	full, masks func(), mask func(h int) Op, l func(string) string) {
	// forRows runs body for every row of the tile with the addresses of C
	// and W: for tiles of up to 6 rows from one set of row registers; for
	// taller ones (AVX512) in groups of 6 rows, each with registers of its
	// own, so that C's, W's and the packed copy's pointers fit in the 14
	// general-purpose registers.
	var forRows func(body func(i int, cA, wA func(i, h int) Mem))
	if MR <= 6 {
		w := g.LoadRows(MR, g.lWRow, colOff, "ldw")
		wAddr := func(i, h int) Mem { return w.Row(i, g.vb*h) }
		forRows = func(body func(i int, cA, wA func(i, h int) Mem)) {
			for i := range MR {
				body(i, cAddr, wAddr)
			}
		}
	} else {
		forRows = func(body func(i int, cA, wA func(i, h int) Mem)) {
			for g0 := 0; g0 < MR; g0 += 6 {
				n := min(6, MR-g0)
				cr := g.LoadRowsAt(n, g.lCRow, colOff, "ldc", g0)
				wr := g.LoadRowsAt(n, g.lWRow, colOff, "ldw", g0)
				cA := func(i, h int) Mem { return cr.Row(i-g0, g.vb*h) }
				wA := func(i, h int) Mem { return wr.Row(i-g0, g.vb*h) }
				for i := g0; i < g0+n; i++ {
					body(i, cA, wA)
				}
			}
		}
	}
	d := g.Vec()
	g.Broadcast(g.ParamAddr("decay"), d)

	// The packed copy: panel jp = colOff/64 starts jp·wpstride·4 bytes
	// after the row panel's wp row, and its rows are 64 bytes apart.
	pp, ps, pp2 := g.GP64(), g.GP64(), g.GP64()
	g.MOVQ(g.lWPRow, pp)
	g.TESTQ(pp, pp)
	g.JZ(LabelRef(l("uNoWP")))
	g.Load(g.Param("wpstride"), ps)
	g.SHLQ(U8(2), ps) // bytes between panels
	t := g.GP64()
	g.MOVQ(colOff, t)
	g.SHRQ(U8(g.rowShift), t) // panel index
	g.IMULQ(ps, t)
	g.ADDQ(t, pp)
	if H > 4 {
		g.LEAQ(Mem{Base: pp, Index: ps, Scale: 2}, pp2)
	}
	wpPanels := g.Panels(pp, pp2, ps, g.nr)
	pAddr := func(i, h int) Mem { return wpPanels.Vec(h, 4*g.nr*i) }
	// store emits the write-back; with packed, the copy into wp too.
	store := func(packed bool, id string) {
		full()
		g.JL(LabelRef(l(id + "Masked")))
		forRows(func(i int, cAddr, wAddr func(i, h int) Mem) {
			for h := range H {
				x := acc[i][h]
				g.VFNMADD231PS(wAddr(i, h), d, x)
				g.VMOVUPS(x, cAddr(i, h))
				g.VADDPS(wAddr(i, h), x, x)
				g.VMOVUPS(x, wAddr(i, h))
				if packed {
					g.VMOVUPS(x, pAddr(i, h))
				}
			}
		})
		g.JMP(LabelRef(l("next")))

		g.Label(l(id + "Masked"))
		masks()
		forRows(func(i int, cAddr, wAddr func(i, h int) Mem) {
			for h := range H {
				x := acc[i][h]
				mk := mask(h)
				if mk == nil {
					g.VFNMADD231PS(wAddr(i, h), d, x)
					g.VMOVUPS(x, cAddr(i, h))
					g.VADDPS(wAddr(i, h), x, x)
					g.VMOVUPS(x, wAddr(i, h))
					if packed {
						g.VMOVUPS(x, pAddr(i, h))
					}
					continue
				}
				m := g.maskReg(mk)
				t := g.Vec()
				g.MaskLoad(wAddr(i, h), m, t)
				g.VFNMADD231PS(t, d, x)
				g.MaskStore(x, m, cAddr(i, h))
				g.VADDPS(t, x, x)
				g.MaskStore(x, m, wAddr(i, h))
				if packed {
					g.MaskStore(x, m, pAddr(i, h))
				}
			}
		})
		g.JMP(LabelRef(l("next")))
	}
	store(true, "uP")
	g.Label(l("uNoWP"))
	store(false, "u")
}

// prefetchTile prefetches, before the k loop, the rows of C the tile's
// epilogue writes (and reads, with β ≠ 0) and, for the update, those of W:
// the k loop hides their latency from L3, where a model's W and velocity
// live. Used by the AVX512 level, whose 12-row tiles touch 24 or 48 lines.
func (g *gen) prefetchTile(MR, P int, colOff Register) {
	lines := (4*g.nr*P + 63) / 64
	rows := []struct {
		row Mem
		ld  string
	}{{g.lCRow, "ldc"}}
	if g.ep == epUpdate {
		rows = append(rows, struct {
			row Mem
			ld  string
		}{g.lWRow, "ldw"})
	}
	for _, m := range rows {
		for g0 := 0; g0 < MR; g0 += 6 {
			n := min(6, MR-g0)
			r := g.LoadRowsAt(n, m.row, colOff, m.ld, g0)
			for i := range n {
				for ln := range lines {
					g.PREFETCHT0(r.Row(i, 64*ln))
				}
			}
		}
	}
}

// tailMasks returns, for a tile of P column panels whose last panel is
// partial (nrem − NR·(P−1) columns), masks, which emits the masks, and
// mask(h), the mask of vector h in the masked path (nil for the vectors of
// the full panels). AVX2: a pointer into gemmMaskTab, each mask a vector
// there; AVX512: two opmask registers from the lane count (BZHI).
func (g *gen) tailMasks(P int, nrem Register) (masks func(), mask func(h int) Op) {
	H := 2 * P
	if !g.ISA.Opmasks {
		maskp := g.GP64()
		masks = func() { // maskp = gemmMaskTab + 4·(16 - columns of the last panel)
			maskTab.Ptr(g.Gen, maskp, g.GP64(), nr*P, nrem)
		}
		mask = func(h int) Op {
			if h < H-2 {
				return nil
			}
			return Mem{Base: maskp, Disp: 32 * (h - (H - 2))}
		}
		return masks, mask
	}
	k := [2]OpmaskVirtual{g.K(), g.K()}
	masks = func() {
		lanes := g.ISA.Lanes()
		r, t, z := g.GP64(), g.GP64(), g.GP64()
		g.MOVQ(nrem, r)
		if P > 1 {
			g.SUBQ(U32(g.nr*(P-1)), r)
		}
		g.TailMask(r, t, k[0])
		g.XORL(z.As32(), z.As32())
		g.SUBQ(U8(lanes), r)
		g.CMOVQLT(z, r) // no lanes of the second vector when r < 0
		g.TailMask(r, t, k[1])
	}
	mask = func(h int) Op {
		if h < H-2 {
			return nil
		}
		return k[h-(H-2)]
	}
	return masks, mask
}

// maskReg returns the mask operand m of mask (as tailMasks gives it) for
// the masked loads and stores: a vector loaded from the mask table (AVX2),
// or the opmask itself.
func (g *gen) maskReg(m Op) Op {
	if g.ISA.Opmasks {
		return m
	}
	v := g.Vec()
	g.VMOVUPS(m, v)
	return v
}

// sigmoid computes Sigmoid1(x) (asm/sigmoid.go, rr2-p5) with three
// temporaries and every constant a memory operand, and returns the register
// that holds the result; x is kept for the sign test.
func sigmoid(g *x86.Gen, x VecVirtual) VecVirtual {
	a, b, c := g.Vec(), g.Vec(), g.Vec()
	sig.Emit(g, x86.SigmoidVec{A: a, B: b, C: c, X: x})
	return c
}

// philoxBlocks sets up len(blkAdd) vectors of 8 counters, vector v with
// word 0 = blk + c0offs + blkAdd[v] (blkAdd nil: + 0), word 1 = row + c1offs
// (c1offs nil: row), words 2 and 3 = phase and step, and runs Philox4x32-10
// (x86.Gen.Philox) on them under the stream's key.
func (g *gen) philoxBlocks(blk, row Register, c0offs, c1offs Op, blkAdd []Op) [][4]VecVirtual {
	cs := make([][4]VecVirtual, len(blkAdd))
	ptrs := make([]*[4]VecVirtual, len(cs))
	x := g.XMM()
	base0, base1 := g.Vec(), g.Vec()
	g.VMOVQ(blk, x)
	g.BroadcastInt(x, base0)
	g.VPADDD(c0offs, base0, base0)
	x = g.XMM()
	g.VMOVQ(row, x)
	g.BroadcastInt(x, base1)
	if c1offs != nil {
		g.VPADDD(c1offs, base1, base1)
	}
	for v := range cs {
		c := &cs[v]
		for i := range c {
			c[i] = g.Vec()
		}
		if blkAdd[v] != nil {
			g.VPADDD(blkAdd[v], base0, c[0])
		} else {
			g.VMOVDQU(base0, c[0])
		}
		g.VMOVDQU(base1, c[1])
		g.VMOVDQU(g.lPhase, c[2])
		g.VMOVDQU(g.lStep, c[3])
		ptrs[v] = c
	}
	k0, k1 := g.Vec(), g.Vec()
	g.VMOVDQU(g.lKey0, k0)
	g.VMOVDQU(g.lKey1, k1)
	g.Philox(consts.Operands(), ptrs, k0, k1)
	return cs
}

// bernoulliStore stores S = u < P ? 1 : 0 for 8 columns, P read at p and S
// written at s; mask != nil selects masked loads and stores.
func bernoulliStore(g *x86.Gen, u VecVirtual, p, s Mem, mask Op) {
	if mask == nil {
		g.VCMPPS(U8(0x11), p, u, u) // u < P (LT_OQ: false for NaN)
		g.VANDPS(vc("one"), u, u)
		g.VMOVUPS(u, s)
		return
	}
	m, pv := g.Vec(), g.Vec()
	g.VMOVUPS(mask, m)
	g.MaskLoad(p, m, pv)
	g.VCMPPS(U8(0x11), pv, u, u)
	g.VANDPS(vc("one"), u, u)
	g.MaskStore(u, m, s)
}

// sampleGroup emits the stores of one group of w (8 or 16) columns of one
// or two rows: u[r][h] holds the uniforms of row r, columns 8h..8h+7; the
// group starts at byte disp from cc (C) and ss (S) and rem (≥ 1) columns
// are left from there; the second row, if any, is stored when rowsLeft ≥ 2.
// All paths end at label done.
func sampleGroup(g *x86.Gen, id string, u [][]VecVirtual, cc, ss, ldc, lds, rem, rowsLeft Register, disp int, done string) {
	w := 8 * len(u[0])
	row := func(r int, masked Register) {
		for h, v := range u[r] {
			pm := Mem{Base: cc, Disp: disp + 32*h}
			sm := Mem{Base: ss, Disp: disp + 32*h}
			if r == 1 {
				pm = Mem{Base: cc, Index: ldc, Scale: 1, Disp: disp + 32*h}
				sm = Mem{Base: ss, Index: lds, Scale: 1, Disp: disp + 32*h}
			}
			var mask Op
			if masked != nil {
				mask = Mem{Base: masked, Disp: 32 * h}
			}
			bernoulliStore(g, v, pm, sm, mask)
		}
	}
	rows := func(masked Register) {
		row(0, masked)
		if len(u) > 1 {
			g.CMPQ(rowsLeft, U8(2))
			g.JL(LabelRef(done))
			row(1, masked)
		}
		g.JMP(LabelRef(done))
	}
	g.CMPQ(rem, U8(w))
	g.JL(LabelRef(id + "masked"))
	rows(nil)
	g.Label(id + "masked")
	maskp, o := g.GP64(), g.GP64()
	maskTab.Ptr(g, maskp, o, nr, rem)
	rows(maskp)
}

// samplePass emits S = Bernoulli(C) over the rows of the row panel just
// finished (lMRows rows, n columns).
func (g *gen) samplePass() {
	g.Comment("Sample pass over the row panel: S = Uniform(Philox) < C.")
	c0 := g.Load(g.Param("col0"), g.GP64())
	g.TESTQ(U32(3), c0)
	g.JNZ(LabelRef("sampleU"))

	g.Comment("col0 % 4 == 0: one Philox vector = 2 rows × 16 columns; two vectors",
		"(32 columns) an iteration.")
	rowsLeft, cr, sr, rowCtr := g.GP64(), g.GP64(), g.GP64(), g.GP64()
	g.MOVQ(g.lMRows, rowsLeft)
	g.MOVQ(g.lCRow, cr)
	g.MOVQ(g.lSRow, sr)
	g.MOVQ(g.lRowIdx, rowCtr)
	g.Label("sampleArow")
	cc, ss, blk, nrem := g.GP64(), g.GP64(), g.GP64(), g.GP64()
	g.MOVQ(cr, cc)
	g.MOVQ(sr, ss)
	g.Load(g.Param("col0"), blk)
	g.SHRQ(U8(2), blk)
	g.Load(g.Param("n"), nrem)
	g.Label("sampleAcol")
	xs := g.philoxBlocks(blk, rowCtr, vc("blkOffs"), vc("rowOffs"), []Op{nil, vc("int4")})
	var us [2][][]VecVirtual
	for v, x := range xs {
		g.Comment("In-lane 4×4 transpose: T0, T1 = row r units 0-7, 8-15; T2, T3 = row r+1.")
		t0, t1, t2, t3 := g.Vec(), g.Vec(), g.Vec(), g.Vec()
		g.VPUNPCKLDQ(x[1], x[0], t0)
		g.VPUNPCKHDQ(x[1], x[0], t1)
		g.VPUNPCKLDQ(x[3], x[2], t2)
		g.VPUNPCKHDQ(x[3], x[2], t3)
		var T [4]VecVirtual
		for i := range T {
			T[i] = g.Vec()
		}
		g.VPUNPCKLQDQ(t2, t0, T[0])
		g.VPUNPCKHQDQ(t2, t0, T[1])
		g.VPUNPCKLQDQ(t3, t1, T[2])
		g.VPUNPCKHQDQ(t3, t1, T[3])
		for i := range T {
			g.Uniform(consts.Operands(), T[i])
		}
		us[v] = [][]VecVirtual{{T[0], T[1]}, {T[2], T[3]}}
	}
	ldc, lds := g.Load(g.Param("ldc"), g.GP64()), g.Load(g.Param("lds"), g.GP64())
	g.SHLQ(U8(2), ldc)
	g.SHLQ(U8(2), lds)
	sampleGroup(g.Gen, "sampleA0", us[0], cc, ss, ldc, lds, nrem, rowsLeft, 0, "sampleA1")
	g.Label("sampleA1")
	rem := g.GP64()
	g.MOVQ(nrem, rem)
	g.SUBQ(U8(nr), rem)
	g.JLE(LabelRef("sampleAnext"))
	sampleGroup(g.Gen, "sampleA1", us[1], cc, ss, ldc, lds, rem, rowsLeft, 4*nr, "sampleAnext")
	g.Label("sampleAnext")
	g.ADDQ(U8(8*nr), cc)
	g.ADDQ(U8(8*nr), ss)
	g.ADDQ(U8(8), blk)
	g.SUBQ(U8(2*nr), nrem)
	g.JG(LabelRef("sampleAcol"))
	ldc, lds = g.Load(g.Param("ldc"), g.GP64()), g.Load(g.Param("lds"), g.GP64())
	g.SHLQ(U8(3), ldc)
	g.SHLQ(U8(3), lds)
	g.ADDQ(ldc, cr)
	g.ADDQ(lds, sr)
	g.ADDQ(U8(2), rowCtr)
	g.SUBQ(U8(2), rowsLeft)
	g.JG(LabelRef("sampleArow"))
	g.JMP(LabelRef("sampleDone"))

	g.Label("sampleU")
	g.Comment("col0 % 4 != 0: one Philox vector = 1 row × 8 columns, lane j keeps word",
		"(col0+j)%4 of its own block; two vectors (16 columns) an iteration.")
	rowsLeft, cr, sr, rowCtr = g.GP64(), g.GP64(), g.GP64(), g.GP64()
	g.MOVQ(g.lMRows, rowsLeft)
	g.MOVQ(g.lCRow, cr)
	g.MOVQ(g.lSRow, sr)
	g.MOVQ(g.lRowIdx, rowCtr)
	g.Label("sampleUrow")
	cc, ss, blk, nrem = g.GP64(), g.GP64(), g.GP64(), g.GP64()
	g.MOVQ(cr, cc)
	g.MOVQ(sr, ss)
	g.Load(g.Param("col0"), blk)
	g.SHRQ(U8(2), blk)
	g.Load(g.Param("n"), nrem)
	g.Label("sampleUcol")
	xs = g.philoxBlocks(blk, rowCtr, g.lLaneAdd, nil, []Op{nil, vc("int2")})
	var uu [2]VecVirtual
	for v, x := range xs {
		w, m := g.Vec(), g.Vec()
		g.VMOVDQU(g.lLaneWord, w)
		for i := 1; i < 4; i++ {
			g.VPCMPEQD(vc(fmt.Sprintf("int%d", i)), w, m)
			g.Blend(m, x[i], x[0], x[0])
		}
		g.Uniform(consts.Operands(), x[0])
		uu[v] = x[0]
	}
	ldc, lds = g.GP64(), g.GP64() // unused: one row
	sampleGroup(g.Gen, "sampleU0", [][]VecVirtual{{uu[0]}}, cc, ss, ldc, lds, nrem, rowsLeft, 0, "sampleU1")
	g.Label("sampleU1")
	rem = g.GP64()
	g.MOVQ(nrem, rem)
	g.SUBQ(U8(8), rem)
	g.JLE(LabelRef("sampleUnext"))
	sampleGroup(g.Gen, "sampleU1", [][]VecVirtual{{uu[1]}}, cc, ss, ldc, lds, rem, rowsLeft, 32, "sampleUnext")
	g.Label("sampleUnext")
	g.ADDQ(U8(64), cc)
	g.ADDQ(U8(64), ss)
	g.ADDQ(U8(4), blk)
	g.SUBQ(U8(16), nrem)
	g.JG(LabelRef("sampleUcol"))
	ldc, lds = g.Load(g.Param("ldc"), g.GP64()), g.Load(g.Param("lds"), g.GP64())
	g.SHLQ(U8(2), ldc)
	g.SHLQ(U8(2), lds)
	g.ADDQ(ldc, cr)
	g.ADDQ(lds, sr)
	g.INCQ(rowCtr)
	g.DECQ(rowsLeft)
	g.JG(LabelRef("sampleUrow"))
	g.Label("sampleDone")
}

// packT8 emits gemmPackT8AVX2.
func packT8(g *x86.Gen) {
	g.TEXT("gemmPackT8AVX2", attr.NOSPLIT, "func(dst, src []float32, ld, rows, stride, kc int)")
	g.Doc("gemmPackT8AVX2 interleaves the first kc columns of 8 rows of src (ld",
		"elements apart) into dst, 8 floats every stride elements; rows from rows",
		"on (0 ≤ rows ≤ 8) read row 0 and are stored as zeros:",
		"",
		"\tfor p := range kc {",
		"\t\tfor i := range 8 {",
		"\t\t\tdst[p*stride+i] = 0",
		"\t\t\tif i < rows {",
		"\t\t\t\tdst[p*stride+i] = src[i*ld+p]",
		"\t\t\t}",
		"\t\t}",
		"\t}",
		"",
		"kc is a multiple of 8. The stores go in increasing order of p, so with",
		"stride < 8 the zeros a store writes past lane stride are overwritten by",
		"the next one, and the last one writes 8-stride zeros past",
		"dst[(kc-1)*stride+stride-1]. The caller checks the lengths.")
	g.Pragma("noescape")
	src := g.Load(g.Param("src").Base(), g.GP64())
	ld := g.Load(g.Param("ld"), g.GP64())
	g.SHLQ(U8(2), ld)
	rows := g.Load(g.Param("rows"), g.GP64())
	var rp [8]Register
	rp[0] = src
	for i := 1; i < 8; i++ {
		rp[i] = g.GP64()
		g.IMUL3Q(U8(i), ld, rp[i])
		g.ADDQ(src, rp[i])
		g.CMPQ(rows, U8(i))
		g.CMOVQLE(src, rp[i])
	}
	mask := g.Vec()
	{
		o, tab := g.GP64(), g.GP64()
		g.MOVQ(U32(nr), o)
		g.SUBQ(rows, o)
		g.LEAQ(maskTab.Mem, tab)
		g.VMOVUPS(Mem{Base: tab, Index: o, Scale: 4}, mask)
	}
	dst := g.Load(g.Param("dst").Base(), g.GP64())
	stride := g.Load(g.Param("stride"), g.GP64())
	g.SHLQ(U8(2), stride)
	cnt := g.Load(g.Param("kc"), g.GP64())
	g.SHRQ(U8(3), cnt)
	g.JZ(LabelRef("done"))
	off := g.GP64()
	g.XORQ(off, off)
	g.Label("loop")
	for half := range 2 {
		var R [4]VecVirtual
		for i := range R {
			R[i] = g.Vec()
			g.VMOVUPS(Mem{Base: rp[i], Index: off, Scale: 1, Disp: 16 * half}, R[i].AsX())
			g.VINSERTF128(U8(1), Mem{Base: rp[i+4], Index: off, Scale: 1, Disp: 16 * half}, R[i], R[i])
		}
		t0, t1, t2, t3 := g.Vec(), g.Vec(), g.Vec(), g.Vec()
		g.VUNPCKLPS(R[1], R[0], t0)
		g.VUNPCKHPS(R[1], R[0], t1)
		g.VUNPCKLPS(R[3], R[2], t2)
		g.VUNPCKHPS(R[3], R[2], t3)
		for q, pair := range [4][2]VecVirtual{{t0, t2}, {t0, t2}, {t1, t3}, {t1, t3}} {
			o := g.Vec()
			if q%2 == 0 {
				g.VUNPCKLPD(pair[1], pair[0], o)
			} else {
				g.VUNPCKHPD(pair[1], pair[0], o)
			}
			g.VANDPS(mask, o, o)
			g.VMOVUPS(o, Mem{Base: dst})
			g.ADDQ(stride, dst)
		}
	}
	g.ADDQ(U8(32), off)
	g.DECQ(cnt)
	g.JNZ(LabelRef("loop"))
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// packRows emits gemmPackRows<width>AVX2, the copying pack: row p of src
// gives row p of every panel, reading src row by row.
func packRows(g *x86.Gen, width int) {
	name := fmt.Sprintf("gemmPackRows%d%s", width, g.ISA.Name)
	wide := width == 2*g.ISA.Lanes() // the panels of B (NR), with a tail; else those of A (MR)
	if wide {
		g.TEXT(name, attr.NOSPLIT, "func(dst, src []float32, ld, k, panels, tail, stride int)")
		w := fmt.Sprint(width)
		g.Doc(name+" copies panels of "+w+" columns of the first k rows of src (ld",
			"elements apart) into dst, panel q at dst[q*stride:], zero padded, row by",
			"row (reading src in order):",
			"",
			"\tfor p := range k {",
			"\t\tfor q := range panels {",
			"\t\t\tcopy(dst[q*stride+p*"+w+":][:"+w+"], src[p*ld+q*"+w+":])",
			"\t\t}",
			"\t\tif tail > 0 {",
			"\t\t\td := dst[panels*stride+p*"+w+":][:"+w+"]",
			"\t\t\tclear(d[copy(d, src[p*ld+panels*"+w+":][:tail]):])",
			"\t\t}",
			"\t}",
			"",
			"0 ≤ tail < "+w+"; columns past panels*"+w+"+tail are not read. The caller",
			"checks the lengths.")
	} else {
		g.TEXT(name, attr.NOSPLIT, "func(dst, src []float32, ld, k, panels, stride int)")
		w := fmt.Sprint(width)
		g.Doc(name+" copies panels of "+w+" columns of the first k rows of src (ld",
			"elements apart) into dst, panel q at dst[q*stride:], row by row",
			"(reading src in order):",
			"",
			"\tfor p := range k {",
			"\t\tfor q := range panels {",
			"\t\t\tcopy(dst[q*stride+p*"+w+":][:"+w+"], src[p*ld+q*"+w+":])",
			"\t\t}",
			"\t}",
			"",
			"The caller checks the lengths.")
	}
	g.Pragma("noescape")
	if width != 16 && width != 6 && !g.ISA.Opmasks || g.ISA.Opmasks && width != 32 && width != 12 {
		panic("width")
	}
	vb := g.ISA.VecBytes
	src := g.Load(g.Param("src").Base(), g.GP64())
	dst := g.Load(g.Param("dst").Base(), g.GP64())
	ld := g.Load(g.Param("ld"), g.GP64())
	g.SHLQ(U8(2), ld)
	stride := g.Load(g.Param("stride"), g.GP64())
	g.SHLQ(U8(2), stride)
	kk := g.Load(g.Param("k"), g.GP64())
	var mask0, mask1 Op
	var k12 Op
	switch {
	case g.ISA.Opmasks && wide:
		g.Comment(fmt.Sprintf("Opmasks of the tail's lanes, for %d columns each.", g.ISA.Lanes()))
		k0, k1 := g.K(), g.K()
		t, r, z := g.GP64(), g.GP64(), g.GP64()
		g.Load(g.Param("tail"), r)
		g.TailMask(r, t, k0)
		g.XORL(z.As32(), z.As32())
		g.SUBQ(U8(g.ISA.Lanes()), r)
		g.CMOVQLT(z, r)
		g.TailMask(r, t, k1)
		mask0, mask1 = k0, k1
	case g.ISA.Opmasks:
		g.Comment(fmt.Sprintf("The opmask of %d lanes.", width))
		k, t := g.K(), g.GP32()
		g.MOVL(U32(1<<width-1), t)
		g.KMOVW(t, k)
		k12 = k
	case width == 16:
		g.Comment("Masks of the tail's lanes, for 8 columns each.")
		m0, m1 := g.Vec(), g.Vec()
		o, tab := g.GP64(), g.GP64()
		g.Load(g.Param("tail"), o)
		g.NEGQ(o)
		g.ADDQ(U8(nr), o)
		g.LEAQ(maskTab.Mem, tab)
		g.VMOVUPS(Mem{Base: tab, Index: o, Scale: 4}, m0)
		g.VMOVUPS(Mem{Base: tab, Index: o, Scale: 4, Disp: 32}, m1)
		mask0, mask1 = m0, m1
	}
	g.TESTQ(kk, kk)
	g.JZ(LabelRef("done"))
	g.Label("row")
	sp, dp, q := g.GP64(), g.GP64(), g.GP64()
	g.MOVQ(src, sp)
	g.MOVQ(dst, dp)
	g.Load(g.Param("panels"), q)
	g.TESTQ(q, q)
	g.JZ(LabelRef("tail"))
	g.Label("panel")
	switch {
	case wide:
		y0, y1 := g.Vec(), g.Vec()
		g.VMOVUPS(Mem{Base: sp}, y0)
		g.VMOVUPS(Mem{Base: sp, Disp: vb}, y1)
		g.VMOVUPS(y0, Mem{Base: dp})
		g.VMOVUPS(y1, Mem{Base: dp, Disp: vb})
	case g.ISA.Opmasks:
		z := g.Vec()
		g.MaskLoad(Mem{Base: sp}, k12, z)
		g.MaskStore(z, k12, Mem{Base: dp})
	default:
		x0, x1 := g.XMM(), g.XMM()
		g.VMOVUPS(Mem{Base: sp}, x0)
		g.VMOVQ(Mem{Base: sp, Disp: 16}, x1)
		g.VMOVUPS(x0, Mem{Base: dp})
		g.VMOVQ(x1, Mem{Base: dp, Disp: 16})
	}
	g.ADDQ(U8(4*width), sp)
	g.ADDQ(stride, dp)
	g.DECQ(q)
	g.JNZ(LabelRef("panel"))
	g.Label("tail")
	if wide {
		t := g.GP64()
		g.Load(g.Param("tail"), t)
		g.TESTQ(t, t)
		g.JZ(LabelRef("next"))
		g.Comment("Masked loads of the tail: zeros in the lanes past it.")
		y0, y1 := g.Vec(), g.Vec()
		g.MaskLoad(Mem{Base: sp}, mask0, y0)
		g.MaskLoad(Mem{Base: sp, Disp: vb}, mask1, y1)
		g.VMOVUPS(y0, Mem{Base: dp})
		g.VMOVUPS(y1, Mem{Base: dp, Disp: vb})
	}
	g.Label("next")
	g.ADDQ(ld, src)
	g.ADDQ(U8(4*width), dst)
	g.DECQ(kk)
	g.JNZ(LabelRef("row"))
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}
