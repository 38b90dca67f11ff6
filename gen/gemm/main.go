// Command gemm generates boltz's AVX2/FMA GEMM micro-kernels and packing
// routines, asm/gemm_amd64.s and their stubs asm/gemm_amd64.go:
//
//	cd gen && go run ./gemm -out ../asm/gemm_amd64.s -stubs ../asm/gemm_amd64.go -pkg asm
//
// The Go twins, and the reference for every step below, are in asm/gemm.go:
// gemmKernelGo (GemmKernelGeneric) for the kernels, gemmPackT8Generic,
// gemmPackRows16Generic and gemmPackRows6Generic for the packing cores
// (GemmPackAGeneric, GemmPackBGeneric).
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

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	mrMax  = 6  // rows of the register tile
	nr     = 16 // columns of the register tile (2 ymm)
	unroll = 4  // k steps per iteration of the main loop
)

type epilogue int

const (
	epPlain epilogue = iota
	epSigmoid
	epSample
	epUpdate
)

// Philox4x32-10 constants (rng/philox.go).
const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9
	philoxW1 = 0xBB67AE85
)

// constant vectors, 8 dwords each, in gemmConsts.
var constList = []struct {
	name  string
	lanes [8]uint32
}{
	{"absMask", splat(0x7FFFFFFF)},
	{"magicBias", splatF(0x1.80017Ep23)},
	{"one", splatF(1)},
	{"minusLog2E", splatF(-0x1.715476p+0)},
	{"ln2Hi", splatF(0x1.62E400p-1)},
	{"ln2Lo", splatF(0x1.7F7D1Cp-20)},
	{"c5", splatF(-0x1.0F9F9Cp-7)},
	{"c4", splatF(0x1.573A1Ap-5)},
	{"c3", splatF(-0x1.555A80p-3)},
	{"c2", splatF(0x1.FFFDC6p-2)},
	{"c1", splatF(-0x1.FFFFF6p-1)},
	{"unscale", splatF(0x1p-64)},
	{"zeroLimit", splatF(104)},
	{"m0", splat(philoxM0)},
	{"m1", splat(philoxM1)},
	{"w0", splat(philoxW0)},
	{"w1", splat(philoxW1)},
	{"inv24", splatF(0x1p-24)},
	{"iota", [8]uint32{0, 1, 2, 3, 4, 5, 6, 7}},
	{"blkOffs", [8]uint32{0, 2, 0, 2, 1, 3, 1, 3}},
	{"rowOffs", [8]uint32{0, 0, 1, 1, 0, 0, 1, 1}},
	{"int1", splat(1)},
	{"int2", splat(2)},
	{"int3", splat(3)},
	{"int4", splat(4)},
}

func splat(v uint32) (l [8]uint32) {
	for i := range l {
		l[i] = v
	}
	return
}

func splatF(f float32) [8]uint32 { return splat(math.Float32bits(f)) }

var (
	consts  Mem // gemmConsts
	maskTab Mem // gemmMaskTab: 16 all-ones lanes, then 16 zero lanes
)

// kc returns the memory operand of a constant vector.
func vc(name string) Mem {
	for i, c := range constList {
		if c.name == name {
			return consts.Offset(32 * i)
		}
	}
	panic("no constant " + name)
}

func main() {
	ConstraintExpr("!purego")
	consts = GLOBL("gemmConsts", RODATA|NOPTR)
	for i, c := range constList {
		for l, v := range c.lanes {
			DATA(32*i+4*l, U32(v))
		}
	}
	maskTab = GLOBL("gemmMaskTab", RODATA|NOPTR)
	for l := 0; l < 2*nr; l++ {
		v := uint32(0)
		if l < nr {
			v = 0xFFFFFFFF
		}
		DATA(4*l, U32(v))
	}

	kernel("gemmKernelAVX2", epPlain)
	kernel("gemmSigmoidAVX2", epSigmoid)
	kernel("gemmSampleAVX2", epSample)
	kernel("gemmUpdateAVX2", epUpdate)
	packT8()
	packRows(16)
	packRows(6)
	Generate()
}

const kernelDocLoop = `
	for i0 := 0; i0 < m; i0 += 6 {
		mr := min(6, m-i0)
		for j0 := 0; j0 < n; j0 += 16 {
			var acc [6][16]float32
			for p := range k {
				for i := range mr {
					for j := range 16 {
						acc[i][j] += A(i0+i, p) * b[j0/16*bstride+p*16+j]
					}
				}
			}
			for i := range mr {
				for j := range min(16, n-j0) {
					x := alpha * acc[i][j]
					if beta != 0 {
						x = beta*c[(i0+i)*ldc+j0+j] + x
					}
					%s
				}
			}
		}%s
	}`

// kernel emits one kernel with epilogue ep.
func kernel(name string, ep epilogue) {
	const common = "a, b, c []float32, m, n, k, lda, bstride, ldc int, alpha, beta float32"
	var store, sample string
	switch ep {
	case epPlain:
		TEXT(name, NOSPLIT, "func("+common+")")
		store = "c[(i0+i)*ldc+j0+j] = x"
	case epSigmoid:
		TEXT(name, NOSPLIT, "func("+common+", bias []float32)")
		store = "c[(i0+i)*ldc+j0+j] = Sigmoid1(x + bias[j0+j])"
	case epSample:
		TEXT(name, NOSPLIT, "func("+common+", bias, s []float32, lds int, key0, key1, phase, step uint32, row0, col0 int)")
		store = "c[(i0+i)*ldc+j0+j] = Sigmoid1(x + bias[j0+j])"
		sample = `
		st := rng.Stream{Key: [2]uint32{key0, key1}, Step: step, Phase: phase}
		for i := range mr {
			st.Bernoulli(s[(i0+i)*lds:][:n], c[(i0+i)*ldc:][:n], row0+i0+i, col0)
		}`
	case epUpdate:
		TEXT(name, NOSPLIT, "func("+common+", w []float32, ldw int, decay float32, wp []float32, wpstride int)")
		store = `x = x - decay*w[(i0+i)*ldw+j0+j]      // one FMA
					c[(i0+i)*ldc+j0+j] = x
					w[(i0+i)*ldw+j0+j] += x
					if len(wp) > 0 {
						wp[(j0+j)/16*wpstride+(i0+i)*16+j%16] = w[(i0+i)*ldw+j0+j]
					}`
	}
	doc := []string{
		name + " computes a block of C from A and packed B (panels of 16",
		"columns, bstride elements apart), looping over all the tiles of the",
		"block. A is packed (lda = 0: panels of 6 rows, the last one of m%6",
		"rows, A(i0+i, p) = a[i0*k+p*mr+i]) or row-major (lda > 0: A(i, p) =",
		"a[i*lda+p]):",
	}
	for _, l := range splitLines(fmt.Sprintf(kernelDocLoop, store, sample)) {
		doc = append(doc, l)
	}
	doc = append(doc, "", "The caller checks the lengths of the slices (see GemmKernel).")
	Doc(doc...)
	Pragma("noescape")

	g := &gen{ep: ep}
	g.lMrem = AllocLocal(8)
	g.lAPanel = AllocLocal(8)
	g.lCRow = AllocLocal(8)
	g.lMRows = AllocLocal(8)
	if ep == epSample {
		g.lSRow = AllocLocal(8)
		g.lRowIdx = AllocLocal(8)
		g.lLaneAdd = AllocLocal(32)
		g.lLaneWord = AllocLocal(32)
		g.lKey0 = AllocLocal(32)
		g.lKey1 = AllocLocal(32)
		g.lPhase = AllocLocal(32)
		g.lStep = AllocLocal(32)
	}
	if ep == epUpdate {
		g.lWRow = AllocLocal(8)
		g.lWPRow = AllocLocal(8)
	}

	Comment("Row-panel state lives in locals: mrem, aPanel, cRow (sRow, rowIdx).")
	t := Load(Param("m"), GP64())
	MOVQ(t, g.lMrem)
	t = Load(Param("a").Base(), GP64())
	MOVQ(t, g.lAPanel)
	t = Load(Param("c").Base(), GP64())
	MOVQ(t, g.lCRow)
	if ep == epUpdate {
		t = Load(Param("w").Base(), GP64())
		MOVQ(t, g.lWRow)
		t = Load(Param("wp").Len(), GP64()) // no packed copy: lWPRow = 0
		TESTQ(t, t)
		JZ(LabelRef("noWP"))
		Load(Param("wp").Base(), t)
		Label("noWP")
		MOVQ(t, g.lWPRow)
	}
	if ep == epSample {
		t = Load(Param("s").Base(), GP64())
		MOVQ(t, g.lSRow)
		t = Load(Param("row0"), GP64())
		MOVQ(t, g.lRowIdx)
		Comment("Unaligned sampling: lane j of a group of 8 units from col0+8g takes word",
			"(col0+j)%4 of block (col0+8g)/4 + (col0%4+j)/4.")
		t = Load(Param("col0"), GP64())
		ANDQ(U8(3), t)
		x := XMM()
		VMOVQ(t, x)
		v := YMM()
		VPBROADCASTD(x, v)
		VPADDD(vc("iota"), v, v)
		w := YMM()
		VPAND(vc("int3"), v, w)
		VMOVDQU(w, g.lLaneWord)
		VPSRLD(U8(2), v, v)
		VMOVDQU(v, g.lLaneAdd)
		for _, p := range []struct {
			name string
			dst  Mem
		}{{"key0", g.lKey0}, {"key1", g.lKey1}, {"phase", g.lPhase}, {"step", g.lStep}} {
			r, x, y := GP32(), XMM(), YMM()
			Load(Param(p.name), r)
			VMOVD(r, x)
			VPBROADCASTD(x, y)
			VMOVDQU(y, p.dst)
		}
	}

	Label("top")
	mr := GP64()
	MOVQ(g.lMrem, mr)
	CMPQ(mr, U8(mrMax))
	JAE(LabelRef("panel6"))
	for r := mrMax - 1; r >= 1; r-- {
		CMPQ(mr, U8(r))
		JE(LabelRef(fmt.Sprintf("panel%d", r)))
	}
	JMP(LabelRef("done"))

	for r := mrMax; r >= 1; r-- {
		g.rowPanel(r)
	}

	Label("panelDone")
	if ep == epSample {
		g.samplePass()
	}
	Comment("Next row panel: aPanel += mr·k, cRow += mr·ldc, mrem -= mr.")
	rows := GP64()
	MOVQ(g.lMRows, rows)
	t = Load(Param("lda"), GP64()) // row-major A: the next rows
	TESTQ(t, t)
	JNZ(LabelRef("nextA"))
	Load(Param("k"), t) // packed A: the next panel
	Label("nextA")
	IMULQ(rows, t)
	SHLQ(U8(2), t)
	ADDQ(t, g.lAPanel)
	t = Load(Param("ldc"), GP64())
	IMULQ(rows, t)
	SHLQ(U8(2), t)
	ADDQ(t, g.lCRow)
	if ep == epUpdate {
		t = Load(Param("ldw"), GP64())
		IMULQ(rows, t)
		SHLQ(U8(2), t)
		ADDQ(t, g.lWRow)
		t = GP64()
		MOVQ(g.lWPRow, t)
		TESTQ(t, t)
		JZ(LabelRef("nextWP"))
		MOVQ(rows, t)
		SHLQ(U8(6), t) // 16 floats a row in the packed copy
		ADDQ(t, g.lWPRow)
		Label("nextWP")
	}
	if ep == epSample {
		t = Load(Param("lds"), GP64())
		IMULQ(rows, t)
		SHLQ(U8(2), t)
		ADDQ(t, g.lSRow)
		ADDQ(rows, g.lRowIdx)
	}
	SUBQ(rows, g.lMrem)
	JMP(LabelRef("top"))

	Label("done")
	VZEROUPPER()
	RET()
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
	ep                            epilogue
	lMrem, lAPanel, lCRow, lMRows Mem
	lSRow, lRowIdx                Mem
	lWRow                         Mem // epUpdate: the W row of the row panel
	lWPRow                        Mem // epUpdate: that row in the packed copy (0: none)
	lLaneAdd, lLaneWord           Mem
	lKey0, lKey1, lPhase, lStep   Mem // the scalars broadcast to 8 lanes
}

func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// tileRows loads the addressing of a tile of MR rows of a row-major matrix
// for rowAddr: p = its row 0 (the row panel's row, local row, plus colOff
// bytes), ld = its leading dimension (parameter ldName) in bytes, and q =
// its row 3 when MR > 3.
func tileRows(MR int, row Mem, colOff Register, ldName string) (p, ld, q Register) {
	p, ld, q = GP64(), GP64(), GP64()
	MOVQ(row, p)
	ADDQ(colOff, p)
	Load(Param(ldName), ld)
	SHLQ(U8(2), ld)
	if MR > 3 {
		LEAQ(Mem{Base: p, Index: ld, Scale: 2}, q)
		ADDQ(ld, q)
	}
	return p, ld, q
}

// rowAddr returns row i (< 6) of a tile whose row 0 is at p and row 3 at q,
// rows ld bytes apart.
func rowAddr(i int, p, q, ld Register, disp int) Mem {
	switch i {
	case 0:
		return Mem{Base: p, Disp: disp}
	case 1:
		return Mem{Base: p, Index: ld, Scale: 1, Disp: disp}
	case 2:
		return Mem{Base: p, Index: ld, Scale: 2, Disp: disp}
	case 3:
		return Mem{Base: q, Disp: disp}
	case 4:
		return Mem{Base: q, Index: ld, Scale: 1, Disp: disp}
	case 5:
		return Mem{Base: q, Index: ld, Scale: 2, Disp: disp}
	}
	panic("row out of range")
}

// panelAddr returns ymm column h (half h%2 of panel h/2) of a row of 16-wide
// panels ps bytes apart, whose panel 0 is at p and panel 2 at p2, disp bytes
// into the panel.
func panelAddr(p, p2, ps Register, h, disp int) Mem {
	disp += 32 * (h % 2)
	switch h / 2 {
	case 0:
		return Mem{Base: p, Disp: disp}
	case 1:
		return Mem{Base: p, Index: ps, Scale: 1, Disp: disp}
	case 2:
		return Mem{Base: p2, Disp: disp}
	case 3:
		return Mem{Base: p2, Index: ps, Scale: 1, Disp: disp}
	}
	panic("panel out of range")
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
	Label(fmt.Sprintf("panel%d", MR))
	Comment(fmt.Sprintf("Row panel of %d rows: loop over the column panels.", MR))
	aPanel := GP64()
	MOVQ(g.lAPanel, aPanel)
	bp := Load(Param("b").Base(), GP64())
	colOff := GP64() // byte offset of the tile's first column in the C row
	XORQ(colOff, colOff)
	nrem := Load(Param("n"), GP64())
	done := fmt.Sprintf("panelEnd%d", MR)
	if P := widePanels(MR); P > 1 {
		l := func(s string) string { return fmt.Sprintf("%s%d_%d", s, MR, P) }
		Label(l("col"))
		CMPQ(nrem, U8(nr*(P-1)))
		JLE(LabelRef(fmt.Sprintf("col%d_1", MR)))
		g.tile(MR, P, aPanel, bp, colOff, nrem)
		Label(l("next"))
		t := Load(Param("bstride"), GP64())
		SHLQ(U8(2), t)
		IMUL3Q(U8(P), t, t)
		ADDQ(t, bp)
		ADDQ(U32(4*nr*P), colOff)
		SUBQ(U8(nr*P), nrem)
		JG(LabelRef(l("col")))
		JMP(LabelRef(done))
	}
	l := func(s string) string { return fmt.Sprintf("%s%d_1", s, MR) }
	Label(l("col"))
	g.tile(MR, 1, aPanel, bp, colOff, nrem)
	Label(l("next"))
	t := Load(Param("bstride"), GP64())
	SHLQ(U8(2), t)
	ADDQ(t, bp)
	ADDQ(U8(4*nr), colOff)
	SUBQ(U8(nr), nrem)
	JG(LabelRef(l("col")))
	Label(done)
	MOVQ(U32(MR), g.lMRows)
	JMP(LabelRef("panelDone"))
}

// tile emits one tile of MR rows and P column panels (the panels bstride
// elements apart in B, adjacent in C): the k loop and the epilogue, which
// ends with a jump to next<MR>_<P>.
func (g *gen) tile(MR, P int, aPanel, bp, colOff, nrem Register) {
	l := func(s string) string { return fmt.Sprintf("%s%d_%d", s, MR, P) }
	H := 2 * P // ymm columns
	acc := make([][]VecVirtual, MR)
	for i := range acc {
		acc[i] = make([]VecVirtual, H)
		for h := range acc[i] {
			acc[i][h] = YMM()
			VXORPS(acc[i][h], acc[i][h], acc[i][h])
		}
	}
	bk, kk := GP64(), GP64()
	MOVQ(bp, bk)
	var bs, bk2 Register
	if P > 1 {
		bs = Load(Param("bstride"), GP64())
		SHLQ(U8(2), bs)
	}
	if P > 2 {
		bk2 = GP64()
		LEAQ(Mem{Base: bk, Index: bs, Scale: 2}, bk2)
	}
	// bAddr returns ymm column h of B at k step u.
	bAddr := func(h, u int) Mem { return panelAddr(bk, bk2, bs, h, 64*u) }
	memB := MR == 1 // one row: B as FMA memory operands, no B registers
	bv := make([]VecVirtual, H)
	for h := range bv {
		if !memB {
			bv[h] = YMM()
		}
	}
	// kloop emits the k loop with A element (i, k0+u) at aAddr(i, u) and
	// advA(steps) moving A on by steps k; it falls through to epi.
	kloop := func(id string, aAddr func(i, u int) Mem, advA func(steps int)) {
		step := func(u int) {
			if !memB {
				for h := range bv {
					VMOVUPS(bAddr(h, u), bv[h])
				}
			}
			for i := range MR {
				av := YMM()
				VBROADCASTSS(aAddr(i, u), av)
				for h := range H {
					if memB {
						VFMADD231PS(bAddr(h, u), av, acc[i][h])
					} else {
						VFMADD231PS(bv[h], av, acc[i][h])
					}
				}
			}
		}
		advance := func(steps int) {
			advA(steps)
			ADDQ(U32(4*nr*steps), bk)
			if bk2 != nil {
				ADDQ(U32(4*nr*steps), bk2)
			}
		}
		Load(Param("k"), kk)
		SHRQ(U8(2), kk)
		JZ(LabelRef(l(id + "ktail")))
		Label(l(id + "kloop"))
		for u := range unroll {
			step(u)
		}
		advance(unroll)
		DECQ(kk)
		JNZ(LabelRef(l(id + "kloop")))
		Label(l(id + "ktail"))
		Load(Param("k"), kk)
		ANDQ(U8(unroll-1), kk)
		JZ(LabelRef(l("epi")))
		Label(l(id + "kloop1"))
		step(0)
		advance(1)
		DECQ(kk)
		JNZ(LabelRef(l(id + "kloop1")))
	}
	lda := Load(Param("lda"), GP64())
	TESTQ(lda, lda)
	JNZ(LabelRef(l("arows")))
	Comment("Packed A: element (i, p) at aPanel + 4·(p·MR + i).")
	ap := GP64()
	MOVQ(aPanel, ap)
	kloop("", func(i, u int) Mem { return Mem{Base: ap, Disp: 4 * (MR*u + i)} },
		func(steps int) { ADDQ(U32(4*MR*steps), ap) })
	JMP(LabelRef(l("epi")))

	Label(l("arows"))
	Comment("Row-major A (lda > 0): element (i, p) at aPanel + 4·(i·lda + p).")
	a0, a3 := GP64(), GP64()
	MOVQ(aPanel, a0)
	SHLQ(U8(2), lda)
	if MR > 3 {
		LEAQ(Mem{Base: a0, Index: lda, Scale: 2}, a3)
		ADDQ(lda, a3)
	}
	kloop("r", func(i, u int) Mem { return rowAddr(i, a0, a3, lda, 4*u) },
		func(steps int) {
			ADDQ(U8(4*steps), a0)
			if MR > 3 {
				ADDQ(U8(4*steps), a3)
			}
		})

	Label(l("epi"))
	g.epilogue(MR, P, acc, colOff, nrem)
}

// epilogue emits the write-back of a tile of MR rows and P column panels
// (acc[i][h]: row i, columns 8h..8h+7); it ends with a jump to the label
// next<MR>_<P>. The tile is full when nrem ≥ 16·P; otherwise only its last
// panel is partial (nrem - 16·(P-1) columns) and goes through VMASKMOVPS.
func (g *gen) epilogue(MR, P int, acc [][]VecVirtual, colOff, nrem Register) {
	l := func(s string) string { return fmt.Sprintf("%s%d_%d", s, MR, P) }
	H := 2 * P
	cp, ld, c3 := tileRows(MR, g.lCRow, colOff, "ldc")
	maskp := GP64()
	masks := func() { // maskp = gemmMaskTab + 4·(16 - columns of the last panel)
		o := GP64()
		MOVQ(U32(nr*P), o)
		SUBQ(nrem, o)
		LEAQ(maskTab, maskp)
		LEAQ(Mem{Base: maskp, Index: o, Scale: 4}, maskp)
	}
	// mask returns the mask of ymm column h in the masked path, nil for
	// the columns of the full panels.
	mask := func(h int) Op {
		if h < H-2 {
			return nil
		}
		return Mem{Base: maskp, Disp: 32 * (h - (H - 2))}
	}
	cAddr := func(i, h int) Mem { return rowAddr(i, cp, c3, ld, 32*h) }
	full := func() {
		CMPQ(nrem, U8(nr*P))
	}

	Comment("x = α·acc (skipped when α = 1)")
	at := GP32()
	MOVL(paramAddr("alpha"), at)
	CMPL(at, U32(math.Float32bits(1)))
	JE(LabelRef(l("alpha1")))
	al := YMM()
	VBROADCASTSS(paramAddr("alpha"), al)
	for i := range MR {
		for h := range H {
			VMULPS(al, acc[i][h], acc[i][h])
		}
	}
	Label(l("alpha1"))
	Comment("β ≠ 0: x = β·C + x (β = 0: C is not read)")
	bt := GP32()
	MOVL(paramAddr("beta"), bt)
	ANDL(U32(0x7FFFFFFF), bt)
	JZ(LabelRef(l("noC")))
	full()
	JL(LabelRef(l("cMasked")))
	be := YMM()
	VBROADCASTSS(paramAddr("beta"), be)
	for i := range MR {
		for h := range H {
			VFMADD231PS(cAddr(i, h), be, acc[i][h])
		}
	}
	JMP(LabelRef(l("noC")))
	Label(l("cMasked"))
	masks()
	for i := range MR {
		for h := range H {
			t, b := YMM(), YMM()
			if mk := mask(h); mk != nil {
				m := YMM()
				VMOVUPS(mk, m)
				VMASKMOVPS(cAddr(i, h), m, t)
			} else {
				VMOVUPS(cAddr(i, h), t)
			}
			VBROADCASTSS(paramAddr("beta"), b)
			VFMADD231PS(t, b, acc[i][h])
		}
	}

	Label(l("noC"))
	if g.ep == epUpdate {
		g.updateStore(MR, H, acc, colOff, cAddr, full, masks, mask, l)
		return
	}
	full()
	JL(LabelRef(l("sMasked")))
	biasBase := GP64()
	if g.ep != epPlain {
		Load(Param("bias").Base(), biasBase)
		ADDQ(colOff, biasBase)
	}
	for i := range MR {
		for h := range H {
			x := acc[i][h]
			if g.ep == epPlain {
				VMOVUPS(x, cAddr(i, h))
				continue
			}
			VADDPS(Mem{Base: biasBase, Disp: 32 * h}, x, x)
			VMOVUPS(sigmoid(x), cAddr(i, h))
		}
	}
	JMP(LabelRef(l("next")))

	Label(l("sMasked"))
	masks()
	if g.ep != epPlain {
		Load(Param("bias").Base(), biasBase)
		ADDQ(colOff, biasBase)
	}
	for i := range MR {
		for h := range H {
			x := acc[i][h]
			mk := mask(h)
			var m VecVirtual
			if mk != nil {
				m = YMM()
				VMOVUPS(mk, m)
			}
			if g.ep != epPlain {
				if mk != nil {
					t := YMM()
					VMASKMOVPS(Mem{Base: biasBase, Disp: 32 * h}, m, t)
					VADDPS(t, x, x)
				} else {
					VADDPS(Mem{Base: biasBase, Disp: 32 * h}, x, x)
				}
				x = sigmoid(x)
			}
			if mk != nil {
				VMASKMOVPS(x, m, cAddr(i, h))
			} else {
				VMOVUPS(x, cAddr(i, h))
			}
		}
	}
	JMP(LabelRef(l("next")))
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
	wp, ldw, w3 := tileRows(MR, g.lWRow, colOff, "ldw")
	wAddr := func(i, h int) Mem { return rowAddr(i, wp, w3, ldw, 32*h) }
	d := YMM()
	VBROADCASTSS(paramAddr("decay"), d)

	// The packed copy: panel jp = colOff/64 starts jp·wpstride·4 bytes
	// after the row panel's wp row, and its rows are 64 bytes apart.
	pp, ps, pp2 := GP64(), GP64(), GP64()
	MOVQ(g.lWPRow, pp)
	TESTQ(pp, pp)
	JZ(LabelRef(l("uNoWP")))
	Load(Param("wpstride"), ps)
	SHLQ(U8(2), ps) // bytes between panels
	t := GP64()
	MOVQ(colOff, t)
	SHRQ(U8(6), t) // panel index
	IMULQ(ps, t)
	ADDQ(t, pp)
	if H > 4 {
		LEAQ(Mem{Base: pp, Index: ps, Scale: 2}, pp2)
	}
	pAddr := func(i, h int) Mem { return panelAddr(pp, pp2, ps, h, 64*i) }
	// store emits the write-back; with packed, the copy into wp too.
	store := func(packed bool, id string) {
		full()
		JL(LabelRef(l(id + "Masked")))
		for i := range MR {
			for h := range H {
				x := acc[i][h]
				VFNMADD231PS(wAddr(i, h), d, x)
				VMOVUPS(x, cAddr(i, h))
				VADDPS(wAddr(i, h), x, x)
				VMOVUPS(x, wAddr(i, h))
				if packed {
					VMOVUPS(x, pAddr(i, h))
				}
			}
		}
		JMP(LabelRef(l("next")))

		Label(l(id + "Masked"))
		masks()
		for i := range MR {
			for h := range H {
				x := acc[i][h]
				mk := mask(h)
				if mk == nil {
					VFNMADD231PS(wAddr(i, h), d, x)
					VMOVUPS(x, cAddr(i, h))
					VADDPS(wAddr(i, h), x, x)
					VMOVUPS(x, wAddr(i, h))
					if packed {
						VMOVUPS(x, pAddr(i, h))
					}
					continue
				}
				m, t := YMM(), YMM()
				VMOVUPS(mk, m)
				VMASKMOVPS(wAddr(i, h), m, t)
				VFNMADD231PS(t, d, x)
				VMASKMOVPS(x, m, cAddr(i, h))
				VADDPS(t, x, x)
				VMASKMOVPS(x, m, wAddr(i, h))
				if packed {
					VMASKMOVPS(x, m, pAddr(i, h))
				}
			}
		}
		JMP(LabelRef(l("next")))
	}
	store(true, "uP")
	Label(l("uNoWP"))
	store(false, "u")
}

// sigmoid computes Sigmoid1(x) (asm/sigmoid.go, rr2-p5) with three
// temporaries and every constant a memory operand, and returns the register
// that holds the result; x is kept for the sign test.
func sigmoid(x VecVirtual) VecVirtual {
	a, b, c := YMM(), YMM(), YMM()
	VANDPS(vc("absMask"), x, a)             // a = z = |x|
	VMOVUPS(vc("magicBias"), b)             // b = magic
	VFMADD231PS(vc("minusLog2E"), a, b)     // b = n = z·(-log2 e) + magic
	VPSLLD(U8(23), b, c)                    // c = s = 2^(n+64)
	VSUBPS(vc("magicBias"), b, b)           // b = n - magic
	VFMADD231PS(vc("ln2Hi"), b, a)          // a = t = n·ln2hi + z
	VFMADD231PS(vc("ln2Lo"), b, a)          // a = t = n·ln2lo + t
	VMOVUPS(vc("c5"), b)                    // b = p = c5
	VFMADD213PS(vc("c4"), a, b)             // p = p·t + c4
	VFMADD213PS(vc("c3"), a, b)             // p = p·t + c3
	VFMADD213PS(vc("c2"), a, b)             // p = p·t + c2
	VFMADD213PS(vc("c1"), a, b)             // p = p·t + c1
	VMULPS(c, a, a)                         // a = t·s
	VFMADD231PS(b, a, c)                    // c = t·p + s
	VMULPS(vc("unscale"), c, c)             // c = e = (t·p + s)·2^-64
	VADDPS(vc("one"), c, a)                 // a = e + 1
	VDIVPS(a, c, a)                         // a = f = e / (e + 1)
	VANDPS(vc("absMask"), x, c)             // c = z
	VCMPPS(U8(0x1E), vc("zeroLimit"), c, c) // c = z > 104 (GT_OQ: false for NaN)
	VANDNPS(a, c, a)                        // a = f, or 0 where z > 104
	VMOVUPS(vc("one"), c)                   //
	VSUBPS(a, c, c)                         // c = 1 - f
	VBLENDVPS(x, a, c, c)                   // c = sign(x) ? f : 1 - f
	return c
}

// philox runs the 10 rounds of Philox4x32-10 on len(cs) vectors of 8
// counters each (cs[v][w] holds word w of the 8 counters of vector v) under
// the key (k0, k1), in place, the rounds of the vectors interleaved so that
// their dependency chains overlap; k0 and k1 are clobbered.
func philox(cs []*[4]VecVirtual, k0, k1 VecVirtual) {
	for r := range 10 {
		if r > 0 {
			VPADDD(vc("w0"), k0, k0)
			VPADDD(vc("w1"), k1, k1)
		}
		for _, c := range cs {
			e0, o0, e1, o1 := YMM(), YMM(), YMM(), YMM()
			VPSRLQ(U8(32), c[0], o0)
			VPMULUDQ(vc("m0"), o0, o0) // odd lanes: m0·c0 as 64-bit products
			VPMULUDQ(vc("m0"), c[0], e0)
			VPSRLQ(U8(32), c[2], o1)
			VPMULUDQ(vc("m1"), o1, o1)
			VPMULUDQ(vc("m1"), c[2], e1)
			t := YMM()
			VPSRLQ(U8(32), e0, t)
			VPBLENDD(U8(0xAA), o0, t, t) // hi0
			VPXOR(c[3], t, t)
			VPXOR(k1, t, c[2]) // c2 = hi0 ^ c3 ^ k1
			VPSLLQ(U8(32), o0, o0)
			VPBLENDD(U8(0xAA), o0, e0, c[3]) // c3 = lo0
			t2 := YMM()
			VPSRLQ(U8(32), e1, t2)
			VPBLENDD(U8(0xAA), o1, t2, t2) // hi1
			VPXOR(c[1], t2, t2)
			VPXOR(k0, t2, c[0]) // c0 = hi1 ^ c1 ^ k0
			VPSLLQ(U8(32), o1, o1)
			VPBLENDD(U8(0xAA), o1, e1, c[1]) // c1 = lo1
		}
	}
}

// philoxBlocks sets up len(blkAdd) vectors of 8 counters, vector v with
// word 0 = blk + c0offs + blkAdd[v] (blkAdd nil: + 0), word 1 = row + c1offs
// (c1offs nil: row), words 2 and 3 = phase and step, and runs philox on them
// under the stream's key.
func (g *gen) philoxBlocks(blk, row Register, c0offs, c1offs Op, blkAdd []Op) [][4]VecVirtual {
	cs := make([][4]VecVirtual, len(blkAdd))
	ptrs := make([]*[4]VecVirtual, len(cs))
	x := XMM()
	base0, base1 := YMM(), YMM()
	VMOVQ(blk, x)
	VPBROADCASTD(x, base0)
	VPADDD(c0offs, base0, base0)
	x = XMM()
	VMOVQ(row, x)
	VPBROADCASTD(x, base1)
	if c1offs != nil {
		VPADDD(c1offs, base1, base1)
	}
	for v := range cs {
		c := &cs[v]
		for i := range c {
			c[i] = YMM()
		}
		if blkAdd[v] != nil {
			VPADDD(blkAdd[v], base0, c[0])
		} else {
			VMOVDQU(base0, c[0])
		}
		VMOVDQU(base1, c[1])
		VMOVDQU(g.lPhase, c[2])
		VMOVDQU(g.lStep, c[3])
		ptrs[v] = c
	}
	k0, k1 := YMM(), YMM()
	VMOVDQU(g.lKey0, k0)
	VMOVDQU(g.lKey1, k1)
	philox(ptrs, k0, k1)
	return cs
}

// uniform turns raw words into Uniform(r) = (r>>8)·2^-24 in place.
func uniform(r VecVirtual) {
	VPSRLD(U8(8), r, r)
	VCVTDQ2PS(r, r)
	VMULPS(vc("inv24"), r, r)
}

// bernoulliStore stores S = u < P ? 1 : 0 for 8 columns, P read at p and S
// written at s; mask != nil selects masked loads and stores.
func bernoulliStore(u VecVirtual, p, s Mem, mask Op) {
	if mask == nil {
		VCMPPS(U8(0x11), p, u, u) // u < P (LT_OQ: false for NaN)
		VANDPS(vc("one"), u, u)
		VMOVUPS(u, s)
		return
	}
	m, pv := YMM(), YMM()
	VMOVUPS(mask, m)
	VMASKMOVPS(p, m, pv)
	VCMPPS(U8(0x11), pv, u, u)
	VANDPS(vc("one"), u, u)
	VMASKMOVPS(u, m, s)
}

// sampleGroup emits the stores of one group of w (8 or 16) columns of one
// or two rows: u[r][h] holds the uniforms of row r, columns 8h..8h+7; the
// group starts at byte disp from cc (C) and ss (S) and rem (≥ 1) columns
// are left from there; the second row, if any, is stored when rowsLeft ≥ 2.
// All paths end at label done.
func sampleGroup(id string, u [][]VecVirtual, cc, ss, ldc, lds, rem, rowsLeft Register, disp int, done string) {
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
			bernoulliStore(v, pm, sm, mask)
		}
	}
	rows := func(masked Register) {
		row(0, masked)
		if len(u) > 1 {
			CMPQ(rowsLeft, U8(2))
			JL(LabelRef(done))
			row(1, masked)
		}
		JMP(LabelRef(done))
	}
	CMPQ(rem, U8(w))
	JL(LabelRef(id + "masked"))
	rows(nil)
	Label(id + "masked")
	maskp, o := GP64(), GP64()
	MOVQ(U32(nr), o)
	SUBQ(rem, o)
	LEAQ(maskTab, maskp)
	LEAQ(Mem{Base: maskp, Index: o, Scale: 4}, maskp)
	rows(maskp)
}

// samplePass emits S = Bernoulli(C) over the rows of the row panel just
// finished (lMRows rows, n columns).
func (g *gen) samplePass() {
	Comment("Sample pass over the row panel: S = Uniform(Philox) < C.")
	c0 := Load(Param("col0"), GP64())
	TESTQ(U32(3), c0)
	JNZ(LabelRef("sampleU"))

	Comment("col0 % 4 == 0: one Philox vector = 2 rows × 16 columns; two vectors",
		"(32 columns) an iteration.")
	rowsLeft, cr, sr, rowCtr := GP64(), GP64(), GP64(), GP64()
	MOVQ(g.lMRows, rowsLeft)
	MOVQ(g.lCRow, cr)
	MOVQ(g.lSRow, sr)
	MOVQ(g.lRowIdx, rowCtr)
	Label("sampleArow")
	cc, ss, blk, nrem := GP64(), GP64(), GP64(), GP64()
	MOVQ(cr, cc)
	MOVQ(sr, ss)
	Load(Param("col0"), blk)
	SHRQ(U8(2), blk)
	Load(Param("n"), nrem)
	Label("sampleAcol")
	xs := g.philoxBlocks(blk, rowCtr, vc("blkOffs"), vc("rowOffs"), []Op{nil, vc("int4")})
	var us [2][][]VecVirtual
	for v, x := range xs {
		Comment("In-lane 4×4 transpose: T0, T1 = row r units 0-7, 8-15; T2, T3 = row r+1.")
		t0, t1, t2, t3 := YMM(), YMM(), YMM(), YMM()
		VPUNPCKLDQ(x[1], x[0], t0)
		VPUNPCKHDQ(x[1], x[0], t1)
		VPUNPCKLDQ(x[3], x[2], t2)
		VPUNPCKHDQ(x[3], x[2], t3)
		var T [4]VecVirtual
		for i := range T {
			T[i] = YMM()
		}
		VPUNPCKLQDQ(t2, t0, T[0])
		VPUNPCKHQDQ(t2, t0, T[1])
		VPUNPCKLQDQ(t3, t1, T[2])
		VPUNPCKHQDQ(t3, t1, T[3])
		for i := range T {
			uniform(T[i])
		}
		us[v] = [][]VecVirtual{{T[0], T[1]}, {T[2], T[3]}}
	}
	ldc, lds := Load(Param("ldc"), GP64()), Load(Param("lds"), GP64())
	SHLQ(U8(2), ldc)
	SHLQ(U8(2), lds)
	sampleGroup("sampleA0", us[0], cc, ss, ldc, lds, nrem, rowsLeft, 0, "sampleA1")
	Label("sampleA1")
	rem := GP64()
	MOVQ(nrem, rem)
	SUBQ(U8(nr), rem)
	JLE(LabelRef("sampleAnext"))
	sampleGroup("sampleA1", us[1], cc, ss, ldc, lds, rem, rowsLeft, 4*nr, "sampleAnext")
	Label("sampleAnext")
	ADDQ(U8(8*nr), cc)
	ADDQ(U8(8*nr), ss)
	ADDQ(U8(8), blk)
	SUBQ(U8(2*nr), nrem)
	JG(LabelRef("sampleAcol"))
	ldc, lds = Load(Param("ldc"), GP64()), Load(Param("lds"), GP64())
	SHLQ(U8(3), ldc)
	SHLQ(U8(3), lds)
	ADDQ(ldc, cr)
	ADDQ(lds, sr)
	ADDQ(U8(2), rowCtr)
	SUBQ(U8(2), rowsLeft)
	JG(LabelRef("sampleArow"))
	JMP(LabelRef("sampleDone"))

	Label("sampleU")
	Comment("col0 % 4 != 0: one Philox vector = 1 row × 8 columns, lane j keeps word",
		"(col0+j)%4 of its own block; two vectors (16 columns) an iteration.")
	rowsLeft, cr, sr, rowCtr = GP64(), GP64(), GP64(), GP64()
	MOVQ(g.lMRows, rowsLeft)
	MOVQ(g.lCRow, cr)
	MOVQ(g.lSRow, sr)
	MOVQ(g.lRowIdx, rowCtr)
	Label("sampleUrow")
	cc, ss, blk, nrem = GP64(), GP64(), GP64(), GP64()
	MOVQ(cr, cc)
	MOVQ(sr, ss)
	Load(Param("col0"), blk)
	SHRQ(U8(2), blk)
	Load(Param("n"), nrem)
	Label("sampleUcol")
	xs = g.philoxBlocks(blk, rowCtr, g.lLaneAdd, nil, []Op{nil, vc("int2")})
	var uu [2]VecVirtual
	for v, x := range xs {
		w, m := YMM(), YMM()
		VMOVDQU(g.lLaneWord, w)
		for i := 1; i < 4; i++ {
			VPCMPEQD(vc(fmt.Sprintf("int%d", i)), w, m)
			VBLENDVPS(m, x[i], x[0], x[0])
		}
		uniform(x[0])
		uu[v] = x[0]
	}
	ldc, lds = GP64(), GP64() // unused: one row
	sampleGroup("sampleU0", [][]VecVirtual{{uu[0]}}, cc, ss, ldc, lds, nrem, rowsLeft, 0, "sampleU1")
	Label("sampleU1")
	rem = GP64()
	MOVQ(nrem, rem)
	SUBQ(U8(8), rem)
	JLE(LabelRef("sampleUnext"))
	sampleGroup("sampleU1", [][]VecVirtual{{uu[1]}}, cc, ss, ldc, lds, rem, rowsLeft, 32, "sampleUnext")
	Label("sampleUnext")
	ADDQ(U8(64), cc)
	ADDQ(U8(64), ss)
	ADDQ(U8(4), blk)
	SUBQ(U8(16), nrem)
	JG(LabelRef("sampleUcol"))
	ldc, lds = Load(Param("ldc"), GP64()), Load(Param("lds"), GP64())
	SHLQ(U8(2), ldc)
	SHLQ(U8(2), lds)
	ADDQ(ldc, cr)
	ADDQ(lds, sr)
	INCQ(rowCtr)
	DECQ(rowsLeft)
	JG(LabelRef("sampleUrow"))
	Label("sampleDone")
}

// packT8 emits gemmPackT8AVX2.
func packT8() {
	TEXT("gemmPackT8AVX2", NOSPLIT, "func(dst, src []float32, ld, rows, stride, kc int)")
	Doc("gemmPackT8AVX2 interleaves the first kc columns of 8 rows of src (ld",
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
	Pragma("noescape")
	src := Load(Param("src").Base(), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	rows := Load(Param("rows"), GP64())
	var rp [8]Register
	rp[0] = src
	for i := 1; i < 8; i++ {
		rp[i] = GP64()
		IMUL3Q(U8(i), ld, rp[i])
		ADDQ(src, rp[i])
		CMPQ(rows, U8(i))
		CMOVQLE(src, rp[i])
	}
	mask := YMM()
	{
		o, tab := GP64(), GP64()
		MOVQ(U32(nr), o)
		SUBQ(rows, o)
		LEAQ(maskTab, tab)
		VMOVUPS(Mem{Base: tab, Index: o, Scale: 4}, mask)
	}
	dst := Load(Param("dst").Base(), GP64())
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	cnt := Load(Param("kc"), GP64())
	SHRQ(U8(3), cnt)
	JZ(LabelRef("done"))
	off := GP64()
	XORQ(off, off)
	Label("loop")
	for half := range 2 {
		var R [4]VecVirtual
		for i := range R {
			R[i] = YMM()
			VMOVUPS(Mem{Base: rp[i], Index: off, Scale: 1, Disp: 16 * half}, R[i].AsX())
			VINSERTF128(U8(1), Mem{Base: rp[i+4], Index: off, Scale: 1, Disp: 16 * half}, R[i], R[i])
		}
		t0, t1, t2, t3 := YMM(), YMM(), YMM(), YMM()
		VUNPCKLPS(R[1], R[0], t0)
		VUNPCKHPS(R[1], R[0], t1)
		VUNPCKLPS(R[3], R[2], t2)
		VUNPCKHPS(R[3], R[2], t3)
		for q, pair := range [4][2]VecVirtual{{t0, t2}, {t0, t2}, {t1, t3}, {t1, t3}} {
			o := YMM()
			if q%2 == 0 {
				VUNPCKLPD(pair[1], pair[0], o)
			} else {
				VUNPCKHPD(pair[1], pair[0], o)
			}
			VANDPS(mask, o, o)
			VMOVUPS(o, Mem{Base: dst})
			ADDQ(stride, dst)
		}
	}
	ADDQ(U8(32), off)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// packRows emits gemmPackRows<width>AVX2, the copying pack: row p of src
// gives row p of every panel, reading src row by row.
func packRows(width int) {
	name := fmt.Sprintf("gemmPackRows%dAVX2", width)
	if width == 16 {
		TEXT(name, NOSPLIT, "func(dst, src []float32, ld, k, panels, tail, stride int)")
		Doc(name+" copies panels of 16 columns of the first k rows of src (ld",
			"elements apart) into dst, panel q at dst[q*stride:], zero padded, row by",
			"row (reading src in order):",
			"",
			"\tfor p := range k {",
			"\t\tfor q := range panels {",
			"\t\t\tcopy(dst[q*stride+p*16:][:16], src[p*ld+q*16:])",
			"\t\t}",
			"\t\tif tail > 0 {",
			"\t\t\td := dst[panels*stride+p*16:][:16]",
			"\t\t\tclear(d[copy(d, src[p*ld+panels*16:][:tail]):])",
			"\t\t}",
			"\t}",
			"",
			"0 ≤ tail < 16; columns past panels*16+tail are not read. The caller",
			"checks the lengths.")
	} else {
		TEXT(name, NOSPLIT, "func(dst, src []float32, ld, k, panels, stride int)")
		Doc(name+" copies panels of 6 columns of the first k rows of src (ld",
			"elements apart) into dst, panel q at dst[q*stride:], row by row",
			"(reading src in order):",
			"",
			"\tfor p := range k {",
			"\t\tfor q := range panels {",
			"\t\t\tcopy(dst[q*stride+p*6:][:6], src[p*ld+q*6:])",
			"\t\t}",
			"\t}",
			"",
			"The caller checks the lengths.")
	}
	Pragma("noescape")
	if width != 16 && width != 6 {
		panic("width")
	}
	src := Load(Param("src").Base(), GP64())
	dst := Load(Param("dst").Base(), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	kk := Load(Param("k"), GP64())
	var mask0, mask1 VecVirtual
	if width == 16 {
		Comment("Masks of the tail's lanes, for 8 columns each.")
		mask0, mask1 = YMM(), YMM()
		o, tab := GP64(), GP64()
		Load(Param("tail"), o)
		NEGQ(o)
		ADDQ(U8(nr), o)
		LEAQ(maskTab, tab)
		VMOVUPS(Mem{Base: tab, Index: o, Scale: 4}, mask0)
		VMOVUPS(Mem{Base: tab, Index: o, Scale: 4, Disp: 32}, mask1)
	}
	TESTQ(kk, kk)
	JZ(LabelRef("done"))
	Label("row")
	sp, dp, q := GP64(), GP64(), GP64()
	MOVQ(src, sp)
	MOVQ(dst, dp)
	Load(Param("panels"), q)
	TESTQ(q, q)
	JZ(LabelRef("tail"))
	Label("panel")
	if width == 16 {
		y0, y1 := YMM(), YMM()
		VMOVUPS(Mem{Base: sp}, y0)
		VMOVUPS(Mem{Base: sp, Disp: 32}, y1)
		VMOVUPS(y0, Mem{Base: dp})
		VMOVUPS(y1, Mem{Base: dp, Disp: 32})
	} else {
		x0, x1 := XMM(), XMM()
		VMOVUPS(Mem{Base: sp}, x0)
		VMOVQ(Mem{Base: sp, Disp: 16}, x1)
		VMOVUPS(x0, Mem{Base: dp})
		VMOVQ(x1, Mem{Base: dp, Disp: 16})
	}
	ADDQ(U8(4*width), sp)
	ADDQ(stride, dp)
	DECQ(q)
	JNZ(LabelRef("panel"))
	Label("tail")
	if width == 16 {
		t := GP64()
		Load(Param("tail"), t)
		TESTQ(t, t)
		JZ(LabelRef("next"))
		Comment("Masked loads of the tail: zeros in the lanes past it.")
		y0, y1 := YMM(), YMM()
		VMASKMOVPS(Mem{Base: sp}, mask0, y0)
		VMASKMOVPS(Mem{Base: sp, Disp: 32}, mask1, y1)
		VMOVUPS(y0, Mem{Base: dp})
		VMOVUPS(y1, Mem{Base: dp, Disp: 32})
	}
	Label("next")
	ADDQ(ld, src)
	ADDQ(U8(4*width), dst)
	DECQ(kk)
	JNZ(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}
