// Command matvec generates the AVX2/FMA cores of boltz's sigmoid-matvecs,
// asm/matvec_amd64.s and their stubs asm/matvec_amd64.go:
//
//	cd gen && go run ./matvec -out ../asm/matvec_amd64.s -stubs ../asm/matvec_amd64.go -pkg asm
//
// The Go twins are SigmoidMatVecGeneric and SigmoidMatTVecGeneric in
// asm/matvec.go. The sigmoid-matvecs stream W (H rows of V float32, row
// stride ldw) once; these kernels are their accumulation cores. The Go
// wrappers in asm/matvec_dispatch_amd64.go clear y, split W into blocks of
// at most about a millisecond of work and call a core once per block, then
// apply the bias and the sigmoid with biasSigmoidAVX2 (y is tiny next to W,
// so the separate pass over it costs well under 1%):
//
// matVecAVX2, y += W·x (dot products of rows of W with x):
//
//	for i := range y {
//		for j, xj := range x { y[i] += w[i*ldw+j] * xj }   // summed in 8 lanes
//	}
//
// Eight rows at a time, one ymm accumulator per row (eight independent FMA
// chains), x loaded once per 8 columns for the eight rows, the W loads folded
// into VFMADD231PS memory operands, 4 ymm columns per iteration. The eight
// row pointers are two bases (row 0 and row 3) plus ldw and 3·ldw bytes as
// index registers. The last len(x)%8 columns of each row are loaded with
// VMASKMOVPS, so padding beyond len(x) (NaN or otherwise) is never read. The
// eight accumulators are reduced to one ymm of eight row sums with VHADDPS,
// VPERM2F128 and VBLENDPS and added to y[i:i+8]. Leftover rows go one at a
// time with four accumulators.
//
// matTVecAVX2, y += Wᵀ·h (rows of W scaled by h summed into y):
//
//	for i, hi := range h {
//		for j := range y { y[j] += w[i*ldw+j] * hi }
//	}
//
// Eight rows at a time: h[i..i+7] broadcast in eight registers, and for each
// ymm of y one load, eight VFMADD231PS with W memory operands (in row
// order, as the loop above) and one store; y stays in L1 while the eight row
// streams go by. The last len(y)%8 columns accumulate in one register across
// all rows through masked loads of W and are written once with VMASKMOVPS at
// the end. Leftover rows go one at a time.
//
// One function per direction, matVec and matTVec, is parameterised by the
// number of rows per block and emits the blocks of 8 rows and the single-row
// blocks of its kernel.
//
// The tail-mask table and the row addressing are the shared generator
// library's, gen/internal/x86.
//
// Both stream W at about 95 GB/s for 500×784 (1.5 MB, from L2/L3) and about
// 29 GB/s for 4096×4096 (64 MB, from DRAM) on one Zen 4 core: the memory
// bounds them, not the FMAs (2 a cycle would take 235 GB/s).
package main

import (
	"fmt"

	"github.com/boltzgo/boltz/gen/internal/x86"
	"github.com/mmcloughlin/avo/attr"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	lanes  = 8 // float32 lanes in a ymm register
	unroll = 4 // ymm columns per iteration of the column loops
)

// tailMask at byte offset 32-4k holds k all-ones lanes, then zeros.
var tailMask x86.MaskTable

func main() { x86.Main(generate, x86.AVX2) }

// generate emits the file.
func generate(g *x86.Gen) {
	g.ConstraintExpr("!purego")
	tailMask = g.MaskTable("matvecTailMask", lanes)

	g.TEXT("matVecAVX2", attr.NOSPLIT, "func(y, w []float32, ldw int, x []float32)")
	g.Doc("matVecAVX2 adds W·x to y, W being len(y) rows of len(x) float32 at a",
		"stride of ldw elements starting at w[0]:",
		"",
		"\tfor i := range y {",
		"\t\tfor j, xj := range x {",
		"\t\t\ty[i] += w[i*ldw+j] * xj",
		"\t\t}",
		"\t}",
		"",
		"(the sum of each row is formed in eight lanes, then added to y[i]). The",
		"caller checks len(w) >= (len(y)-1)*ldw + len(x) when both are non-zero.")
	g.Pragma("noescape")
	matVec(g, 8)

	g.TEXT("matTVecAVX2", attr.NOSPLIT, "func(y, w []float32, ldw int, h []float32)")
	g.Doc("matTVecAVX2 adds Wᵀ·h to y, W being len(h) rows of len(y) float32 at a",
		"stride of ldw elements starting at w[0]:",
		"",
		"\tfor i, hi := range h {",
		"\t\tfor j := range y {",
		"\t\t\ty[j] += w[i*ldw+j] * hi",
		"\t\t}",
		"\t}",
		"",
		"The caller checks len(w) >= (len(h)-1)*ldw + len(y) when both are non-zero.")
	g.Pragma("noescape")
	matTVec(g, 8)
}

// loadTailMask returns a ymm mask whose first n%8 lanes are all ones.
func loadTailMask(g *x86.Gen, n Register) VecVirtual {
	off, tab := g.GP64(), g.GP64()
	g.MOVQ(n, off)
	g.ANDQ(U8(lanes-1), off)
	g.SHLQ(U8(2), off)
	g.NEGQ(off)
	g.ADDQ(U8(4*lanes), off)
	g.LEAQ(tailMask.Mem, tab)
	mask := g.Vec()
	g.VMOVUPS(Mem{Base: tab, Index: off, Scale: 1}, mask)
	return mask
}

// matVec emits the body of matVecAVX2 with blocks of rows rows (8 or 4),
// then single rows.
func matVec(g *x86.Gen, rows int) {
	yp := g.Load(g.Param("y").Base(), g.GP64())
	ny := g.Load(g.Param("y").Len(), g.GP64())
	wp := g.Load(g.Param("w").Base(), g.GP64())
	ldb := g.Load(g.Param("ldw"), g.GP64())
	g.SHLQ(U8(2), ldb) // row stride in bytes
	xb := g.Load(g.Param("x").Base(), g.GP64())
	nx := g.Load(g.Param("x").Len(), g.GP64())
	ldb3 := g.GP64()
	g.LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)
	mask := loadTailMask(g, nx)
	p, q, xp, cnt := g.GP64(), g.GP64(), g.GP64(), g.GP64()
	w := x86.Rows{P: p, Q: q, LD: ldb, LD3: ldb3} // the rows of the block of W
	xv, tmp := g.Vec(), g.Vec()

	blk := fmt.Sprintf("rows%d", rows)
	g.Label(blk)
	g.CMPQ(ny, U8(rows))
	g.JB(LabelRef("rows1"))
	g.MOVQ(wp, p)
	g.LEAQ(Mem{Base: wp, Index: ldb3, Scale: 1}, q)
	g.MOVQ(xb, xp)
	g.MOVQ(nx, cnt)
	acc := make([]VecVirtual, rows)
	for r := range acc {
		acc[r] = g.Vec()
		g.VXORPS(acc[r], acc[r], acc[r])
	}
	advance := func(cols int) {
		g.ADDQ(U32(4*cols), p)
		if rows > 3 {
			g.ADDQ(U32(4*cols), q)
		}
		g.ADDQ(U32(4*cols), xp)
		g.SUBQ(U32(cols), cnt)
	}
	g.Label(blk + "cols4")
	g.CMPQ(cnt, U8(unroll*lanes))
	g.JB(LabelRef(blk + "cols1"))
	for u := 0; u < unroll; u++ {
		g.VMOVUPS(Mem{Base: xp}.Offset(32*u), xv)
		for r := range acc {
			g.VFMADD231PS(w.Row(r, 32*u), xv, acc[r])
		}
	}
	advance(unroll * lanes)
	g.JMP(LabelRef(blk + "cols4"))
	g.Label(blk + "cols1")
	g.CMPQ(cnt, U8(lanes))
	g.JB(LabelRef(blk + "tail"))
	g.VMOVUPS(Mem{Base: xp}, xv)
	for r := range acc {
		g.VFMADD231PS(w.Row(r, 0), xv, acc[r])
	}
	advance(lanes)
	g.JMP(LabelRef(blk + "cols1"))
	g.Label(blk + "tail")
	g.Comment("The last len(x)%8 columns: masked loads, padding never read.")
	g.TESTQ(cnt, cnt)
	g.JZ(LabelRef(blk + "reduce"))
	g.MaskLoad(Mem{Base: xp}, mask, xv)
	for r := range acc {
		g.MaskLoad(w.Row(r, 0), mask, tmp)
		g.VFMADD231PS(tmp, xv, acc[r])
	}
	g.Label(blk + "reduce")
	g.Comment(fmt.Sprintf("Reduce the %d accumulators to %d row sums and add them to y.", rows, rows))
	sums := reduceRows(g, acc)
	if rows == 8 {
		g.VADDPS(Mem{Base: yp}, sums, sums)
		g.VMOVUPS(sums, Mem{Base: yp})
	} else {
		g.VADDPS(Mem{Base: yp}, sums.AsX(), sums.AsX())
		g.VMOVUPS(sums.AsX(), Mem{Base: yp})
	}
	g.ADDQ(U8(4*rows), yp)
	g.LEAQ(Mem{Base: wp, Index: ldb, Scale: uint8(rows)}, wp)
	g.SUBQ(U8(rows), ny)
	g.JMP(LabelRef(blk))

	g.Comment("Leftover rows, one at a time with four accumulators.")
	g.Label("rows1")
	g.TESTQ(ny, ny)
	g.JZ(LabelRef("done"))
	g.MOVQ(wp, p)
	g.MOVQ(xb, xp)
	g.MOVQ(nx, cnt)
	a := make([]VecVirtual, unroll)
	for u := range a {
		a[u] = g.Vec()
		g.VXORPS(a[u], a[u], a[u])
	}
	g.Label("rows1cols4")
	g.CMPQ(cnt, U8(unroll*lanes))
	g.JB(LabelRef("rows1cols1"))
	for u := range a {
		g.VMOVUPS(Mem{Base: xp}.Offset(32*u), xv)
		g.VFMADD231PS(Mem{Base: p}.Offset(32*u), xv, a[u])
	}
	g.ADDQ(U8(4*unroll*lanes), p)
	g.ADDQ(U8(4*unroll*lanes), xp)
	g.SUBQ(U8(unroll*lanes), cnt)
	g.JMP(LabelRef("rows1cols4"))
	g.Label("rows1cols1")
	g.CMPQ(cnt, U8(lanes))
	g.JB(LabelRef("rows1tail"))
	g.VMOVUPS(Mem{Base: xp}, xv)
	g.VFMADD231PS(Mem{Base: p}, xv, a[0])
	g.ADDQ(U8(4*lanes), p)
	g.ADDQ(U8(4*lanes), xp)
	g.SUBQ(U8(lanes), cnt)
	g.JMP(LabelRef("rows1cols1"))
	g.Label("rows1tail")
	g.TESTQ(cnt, cnt)
	g.JZ(LabelRef("rows1reduce"))
	g.MaskLoad(Mem{Base: xp}, mask, xv)
	g.MaskLoad(Mem{Base: p}, mask, tmp)
	g.VFMADD231PS(tmp, xv, a[1])
	g.Label("rows1reduce")
	g.VADDPS(a[1], a[0], a[0])
	g.VADDPS(a[3], a[2], a[2])
	g.VADDPS(a[2], a[0], a[0])
	s := hsum(g, a[0])
	g.VADDSS(Mem{Base: yp}, s, s)
	g.VMOVSS(s, Mem{Base: yp})
	g.ADDQ(U8(4), yp)
	g.ADDQ(ldb, wp)
	g.DECQ(ny)
	g.JMP(LabelRef("rows1"))

	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// reduceRows returns a register whose lane r holds the sum of the lanes of
// acc[r]: a ymm for 8 accumulators, the low xmm for 4.
func reduceRows(g *x86.Gen, acc []VecVirtual) VecVirtual {
	// VHADDPS pairs within each 128-bit half: after two rounds, lane r of
	// the low half holds lanes 0-3 of acc[r] summed, the high half lanes 4-7.
	h01, h23 := acc[0], acc[2]
	g.VHADDPS(acc[1], acc[0], h01)
	g.VHADDPS(acc[3], acc[2], h23)
	g.VHADDPS(h23, h01, h01) // [a0..a3 low sums | a0..a3 high sums]
	if len(acc) == 4 {
		hi := g.XMM()
		g.VEXTRACTF128(U8(1), h01, hi)
		g.VADDPS(hi, h01.AsX(), h01.AsX())
		return h01
	}
	h45, h67 := acc[4], acc[6]
	g.VHADDPS(acc[5], acc[4], h45)
	g.VHADDPS(acc[7], acc[6], h67)
	g.VHADDPS(h67, h45, h45) // [a4..a7 low sums | a4..a7 high sums]
	// cross = [h01 high | h45 low], same = [h01 low | h45 high].
	cross := acc[1]
	g.VPERM2F128(U8(0x21), h45, h01, cross)
	g.VBLENDPS(U8(0xF0), h45, h01, h01)
	g.VADDPS(cross, h01, h01)
	return h01
}

// hsum returns an xmm whose lane 0 holds the sum of the eight lanes of v.
func hsum(g *x86.Gen, v VecVirtual) VecVirtual {
	hi := g.XMM()
	g.VEXTRACTF128(U8(1), v, hi)
	g.VADDPS(hi, v.AsX(), hi)
	g.VHADDPS(hi, hi, hi)
	g.VHADDPS(hi, hi, hi)
	return hi
}

// matTVec emits the body of matTVecAVX2 with blocks of rows rows (8 or 4),
// then single rows.
func matTVec(g *x86.Gen, rows int) {
	yb := g.Load(g.Param("y").Base(), g.GP64())
	ny := g.Load(g.Param("y").Len(), g.GP64())
	wp := g.Load(g.Param("w").Base(), g.GP64())
	ldb := g.Load(g.Param("ldw"), g.GP64())
	g.SHLQ(U8(2), ldb) // row stride in bytes
	hp := g.Load(g.Param("h").Base(), g.GP64())
	nh := g.Load(g.Param("h").Len(), g.GP64())
	ldb3 := g.GP64()
	g.LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)

	g.Comment("The last len(y)%8 columns accumulate in tacc across all rows.")
	mask := loadTailMask(g, ny)
	nfull := g.GP64() // columns in whole ymm
	g.MOVQ(ny, nfull)
	g.ANDQ(I8(-lanes), nfull)
	yt := Mem{Base: g.GP64()} // the tail of y
	g.LEAQ(Mem{Base: yb, Index: nfull, Scale: 4}, yt.Base)
	tacc := g.Vec()
	g.MaskLoad(yt, mask, tacc)
	hasTail := g.GP64()
	g.MOVQ(ny, hasTail)
	g.ANDQ(U8(lanes-1), hasTail)

	p, q, yq, cnt := g.GP64(), g.GP64(), g.GP64(), g.GP64()
	w := x86.Rows{P: p, Q: q, LD: ldb, LD3: ldb3} // the rows of the block of W
	yv, tmp := g.Vec(), g.Vec()
	hr := make([]VecVirtual, rows)
	for r := range hr {
		hr[r] = g.Vec()
	}

	block := func(rows int) {
		blk := fmt.Sprintf("rows%d", rows)
		g.Label(blk)
		if rows == 1 {
			g.TESTQ(nh, nh)
			g.JZ(LabelRef("done"))
		} else {
			g.CMPQ(nh, U8(rows))
			g.JB(LabelRef("rows1"))
		}
		for r := 0; r < rows; r++ {
			g.Broadcast(Mem{Base: hp}.Offset(4*r), hr[r])
		}
		g.MOVQ(wp, p)
		if rows > 3 {
			g.LEAQ(Mem{Base: wp, Index: ldb3, Scale: 1}, q)
		}
		g.MOVQ(yb, yq)
		g.MOVQ(nfull, cnt)
		g.Label(blk + "cols4")
		g.CMPQ(cnt, U8(unroll*lanes))
		g.JB(LabelRef(blk + "cols1"))
		for u := 0; u < unroll; u++ {
			g.VMOVUPS(Mem{Base: yq}.Offset(32*u), yv)
			for r := 0; r < rows; r++ {
				g.VFMADD231PS(w.Row(r, 32*u), hr[r], yv)
			}
			g.VMOVUPS(yv, Mem{Base: yq}.Offset(32*u))
		}
		advance := func(cols int) {
			g.ADDQ(U32(4*cols), p)
			if rows > 3 {
				g.ADDQ(U32(4*cols), q)
			}
			g.ADDQ(U32(4*cols), yq)
			g.SUBQ(U32(cols), cnt)
		}
		advance(unroll * lanes)
		g.JMP(LabelRef(blk + "cols4"))
		g.Label(blk + "cols1")
		g.TESTQ(cnt, cnt)
		g.JZ(LabelRef(blk + "tail"))
		g.VMOVUPS(Mem{Base: yq}, yv)
		for r := 0; r < rows; r++ {
			g.VFMADD231PS(w.Row(r, 0), hr[r], yv)
		}
		g.VMOVUPS(yv, Mem{Base: yq})
		advance(lanes)
		g.JMP(LabelRef(blk + "cols1"))
		g.Label(blk + "tail")
		g.TESTQ(hasTail, hasTail)
		g.JZ(LabelRef(blk + "next"))
		for r := 0; r < rows; r++ {
			g.MaskLoad(w.Row(r, 0), mask, tmp)
			g.VFMADD231PS(tmp, hr[r], tacc)
		}
		g.Label(blk + "next")
		g.LEAQ(Mem{Base: wp, Index: ldb, Scale: uint8(rows)}, wp)
		g.ADDQ(U8(4*rows), hp)
		g.SUBQ(U8(rows), nh)
		g.JMP(LabelRef(blk))
	}
	block(rows)
	g.Comment("Leftover rows, one at a time.")
	block(1)

	g.Label("done")
	g.TESTQ(hasTail, hasTail)
	g.JZ(LabelRef("ret"))
	g.MaskStore(tacc, mask, yt)
	g.Label("ret")
	g.VZEROUPPER()
	g.RET()
}
