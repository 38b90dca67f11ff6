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
// Both stream W at about 95 GB/s for 500×784 (1.5 MB, from L2/L3) and about
// 29 GB/s for 4096×4096 (64 MB, from DRAM) on one Zen 4 core: the memory
// bounds them, not the FMAs (2 a cycle would take 235 GB/s).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	lanes  = 8 // float32 lanes in a ymm register
	unroll = 4 // ymm columns per iteration of the column loops
)

var tailMask Mem

func main() {
	ConstraintExpr("!purego")
	// tailMask at byte offset 32-4k holds k all-ones lanes, then zeros.
	tailMask = GLOBL("matvecTailMask", RODATA|NOPTR)
	for l := 0; l < 2*lanes; l++ {
		v := uint32(0)
		if l < lanes {
			v = 0xFFFFFFFF
		}
		DATA(4*l, U32(v))
	}

	TEXT("matVecAVX2", NOSPLIT, "func(y, w []float32, ldw int, x []float32)")
	Doc("matVecAVX2 adds W·x to y, W being len(y) rows of len(x) float32 at a",
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
	Pragma("noescape")
	matVec(8)

	TEXT("matTVecAVX2", NOSPLIT, "func(y, w []float32, ldw int, h []float32)")
	Doc("matTVecAVX2 adds Wᵀ·h to y, W being len(h) rows of len(y) float32 at a",
		"stride of ldw elements starting at w[0]:",
		"",
		"\tfor i, hi := range h {",
		"\t\tfor j := range y {",
		"\t\t\ty[j] += w[i*ldw+j] * hi",
		"\t\t}",
		"\t}",
		"",
		"The caller checks len(w) >= (len(h)-1)*ldw + len(y) when both are non-zero.")
	Pragma("noescape")
	matTVec(8)

	Generate()
}

// rowAddr returns the address of row r (< 8) of a block whose row 0 is at p
// and row 3 at q, with rows ldb bytes apart and ldb3 = 3·ldb.
func rowAddr(r int, p, q, ldb, ldb3 Register) Mem {
	switch r {
	case 0:
		return Mem{Base: p}
	case 1:
		return Mem{Base: p, Index: ldb, Scale: 1}
	case 2:
		return Mem{Base: p, Index: ldb, Scale: 2}
	case 3:
		return Mem{Base: p, Index: ldb3, Scale: 1}
	case 4:
		return Mem{Base: p, Index: ldb, Scale: 4}
	case 5:
		return Mem{Base: q, Index: ldb, Scale: 2}
	case 6:
		return Mem{Base: q, Index: ldb3, Scale: 1}
	case 7:
		return Mem{Base: q, Index: ldb, Scale: 4}
	}
	panic("row out of range")
}

// loadTailMask returns a ymm mask whose first n%8 lanes are all ones.
func loadTailMask(n Register) VecVirtual {
	off, tab := GP64(), GP64()
	MOVQ(n, off)
	ANDQ(U8(lanes-1), off)
	SHLQ(U8(2), off)
	NEGQ(off)
	ADDQ(U8(4*lanes), off)
	LEAQ(tailMask, tab)
	mask := YMM()
	VMOVUPS(Mem{Base: tab, Index: off, Scale: 1}, mask)
	return mask
}

// matVec emits the body of matVecAVX2 with blocks of rows rows (8 or 4),
// then single rows.
func matVec(rows int) {
	yp := Load(Param("y").Base(), GP64())
	ny := Load(Param("y").Len(), GP64())
	wp := Load(Param("w").Base(), GP64())
	ldb := Load(Param("ldw"), GP64())
	SHLQ(U8(2), ldb) // row stride in bytes
	xb := Load(Param("x").Base(), GP64())
	nx := Load(Param("x").Len(), GP64())
	ldb3 := GP64()
	LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)
	mask := loadTailMask(nx)
	p, q, xp, cnt := GP64(), GP64(), GP64(), GP64()
	xv, tmp := YMM(), YMM()

	blk := fmt.Sprintf("rows%d", rows)
	Label(blk)
	CMPQ(ny, U8(rows))
	JB(LabelRef("rows1"))
	MOVQ(wp, p)
	LEAQ(Mem{Base: wp, Index: ldb3, Scale: 1}, q)
	MOVQ(xb, xp)
	MOVQ(nx, cnt)
	acc := make([]VecVirtual, rows)
	for r := range acc {
		acc[r] = YMM()
		VXORPS(acc[r], acc[r], acc[r])
	}
	advance := func(cols int) {
		ADDQ(U32(4*cols), p)
		if rows > 3 {
			ADDQ(U32(4*cols), q)
		}
		ADDQ(U32(4*cols), xp)
		SUBQ(U32(cols), cnt)
	}
	Label(blk + "cols4")
	CMPQ(cnt, U8(unroll*lanes))
	JB(LabelRef(blk + "cols1"))
	for u := 0; u < unroll; u++ {
		VMOVUPS(Mem{Base: xp}.Offset(32*u), xv)
		for r := range acc {
			VFMADD231PS(rowAddr(r, p, q, ldb, ldb3).Offset(32*u), xv, acc[r])
		}
	}
	advance(unroll * lanes)
	JMP(LabelRef(blk + "cols4"))
	Label(blk + "cols1")
	CMPQ(cnt, U8(lanes))
	JB(LabelRef(blk + "tail"))
	VMOVUPS(Mem{Base: xp}, xv)
	for r := range acc {
		VFMADD231PS(rowAddr(r, p, q, ldb, ldb3), xv, acc[r])
	}
	advance(lanes)
	JMP(LabelRef(blk + "cols1"))
	Label(blk + "tail")
	Comment("The last len(x)%8 columns: masked loads, padding never read.")
	TESTQ(cnt, cnt)
	JZ(LabelRef(blk + "reduce"))
	VMASKMOVPS(Mem{Base: xp}, mask, xv)
	for r := range acc {
		VMASKMOVPS(rowAddr(r, p, q, ldb, ldb3), mask, tmp)
		VFMADD231PS(tmp, xv, acc[r])
	}
	Label(blk + "reduce")
	Comment(fmt.Sprintf("Reduce the %d accumulators to %d row sums and add them to y.", rows, rows))
	sums := reduceRows(acc)
	if rows == 8 {
		VADDPS(Mem{Base: yp}, sums, sums)
		VMOVUPS(sums, Mem{Base: yp})
	} else {
		VADDPS(Mem{Base: yp}, sums.AsX(), sums.AsX())
		VMOVUPS(sums.AsX(), Mem{Base: yp})
	}
	ADDQ(U8(4*rows), yp)
	LEAQ(Mem{Base: wp, Index: ldb, Scale: uint8(rows)}, wp)
	SUBQ(U8(rows), ny)
	JMP(LabelRef(blk))

	Comment("Leftover rows, one at a time with four accumulators.")
	Label("rows1")
	TESTQ(ny, ny)
	JZ(LabelRef("done"))
	MOVQ(wp, p)
	MOVQ(xb, xp)
	MOVQ(nx, cnt)
	a := make([]VecVirtual, unroll)
	for u := range a {
		a[u] = YMM()
		VXORPS(a[u], a[u], a[u])
	}
	Label("rows1cols4")
	CMPQ(cnt, U8(unroll*lanes))
	JB(LabelRef("rows1cols1"))
	for u := range a {
		VMOVUPS(Mem{Base: xp}.Offset(32*u), xv)
		VFMADD231PS(Mem{Base: p}.Offset(32*u), xv, a[u])
	}
	ADDQ(U8(4*unroll*lanes), p)
	ADDQ(U8(4*unroll*lanes), xp)
	SUBQ(U8(unroll*lanes), cnt)
	JMP(LabelRef("rows1cols4"))
	Label("rows1cols1")
	CMPQ(cnt, U8(lanes))
	JB(LabelRef("rows1tail"))
	VMOVUPS(Mem{Base: xp}, xv)
	VFMADD231PS(Mem{Base: p}, xv, a[0])
	ADDQ(U8(4*lanes), p)
	ADDQ(U8(4*lanes), xp)
	SUBQ(U8(lanes), cnt)
	JMP(LabelRef("rows1cols1"))
	Label("rows1tail")
	TESTQ(cnt, cnt)
	JZ(LabelRef("rows1reduce"))
	VMASKMOVPS(Mem{Base: xp}, mask, xv)
	VMASKMOVPS(Mem{Base: p}, mask, tmp)
	VFMADD231PS(tmp, xv, a[1])
	Label("rows1reduce")
	VADDPS(a[1], a[0], a[0])
	VADDPS(a[3], a[2], a[2])
	VADDPS(a[2], a[0], a[0])
	s := hsum(a[0])
	VADDSS(Mem{Base: yp}, s, s)
	VMOVSS(s, Mem{Base: yp})
	ADDQ(U8(4), yp)
	ADDQ(ldb, wp)
	DECQ(ny)
	JMP(LabelRef("rows1"))

	Label("done")
	VZEROUPPER()
	RET()
}

// reduceRows returns a register whose lane r holds the sum of the lanes of
// acc[r]: a ymm for 8 accumulators, the low xmm for 4.
func reduceRows(acc []VecVirtual) VecVirtual {
	// VHADDPS pairs within each 128-bit half: after two rounds, lane r of
	// the low half holds lanes 0-3 of acc[r] summed, the high half lanes 4-7.
	h01, h23 := acc[0], acc[2]
	VHADDPS(acc[1], acc[0], h01)
	VHADDPS(acc[3], acc[2], h23)
	VHADDPS(h23, h01, h01) // [a0..a3 low sums | a0..a3 high sums]
	if len(acc) == 4 {
		hi := XMM()
		VEXTRACTF128(U8(1), h01, hi)
		VADDPS(hi, h01.AsX(), h01.AsX())
		return h01
	}
	h45, h67 := acc[4], acc[6]
	VHADDPS(acc[5], acc[4], h45)
	VHADDPS(acc[7], acc[6], h67)
	VHADDPS(h67, h45, h45) // [a4..a7 low sums | a4..a7 high sums]
	// cross = [h01 high | h45 low], same = [h01 low | h45 high].
	cross := acc[1]
	VPERM2F128(U8(0x21), h45, h01, cross)
	VBLENDPS(U8(0xF0), h45, h01, h01)
	VADDPS(cross, h01, h01)
	return h01
}

// hsum returns an xmm whose lane 0 holds the sum of the eight lanes of v.
func hsum(v VecVirtual) VecVirtual {
	hi := XMM()
	VEXTRACTF128(U8(1), v, hi)
	VADDPS(hi, v.AsX(), hi)
	VHADDPS(hi, hi, hi)
	VHADDPS(hi, hi, hi)
	return hi
}

// matTVec emits the body of matTVecAVX2 with blocks of rows rows (8 or 4),
// then single rows.
func matTVec(rows int) {
	yb := Load(Param("y").Base(), GP64())
	ny := Load(Param("y").Len(), GP64())
	wp := Load(Param("w").Base(), GP64())
	ldb := Load(Param("ldw"), GP64())
	SHLQ(U8(2), ldb) // row stride in bytes
	hp := Load(Param("h").Base(), GP64())
	nh := Load(Param("h").Len(), GP64())
	ldb3 := GP64()
	LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)

	Comment("The last len(y)%8 columns accumulate in tacc across all rows.")
	mask := loadTailMask(ny)
	nfull := GP64() // columns in whole ymm
	MOVQ(ny, nfull)
	ANDQ(I8(-lanes), nfull)
	yt := Mem{Base: GP64()} // the tail of y
	LEAQ(Mem{Base: yb, Index: nfull, Scale: 4}, yt.Base)
	tacc := YMM()
	VMASKMOVPS(yt, mask, tacc)
	hasTail := GP64()
	MOVQ(ny, hasTail)
	ANDQ(U8(lanes-1), hasTail)

	p, q, yq, cnt := GP64(), GP64(), GP64(), GP64()
	yv, tmp := YMM(), YMM()
	hr := make([]VecVirtual, rows)
	for r := range hr {
		hr[r] = YMM()
	}

	block := func(rows int) {
		blk := fmt.Sprintf("rows%d", rows)
		Label(blk)
		if rows == 1 {
			TESTQ(nh, nh)
			JZ(LabelRef("done"))
		} else {
			CMPQ(nh, U8(rows))
			JB(LabelRef("rows1"))
		}
		for r := 0; r < rows; r++ {
			VBROADCASTSS(Mem{Base: hp}.Offset(4*r), hr[r])
		}
		MOVQ(wp, p)
		if rows > 3 {
			LEAQ(Mem{Base: wp, Index: ldb3, Scale: 1}, q)
		}
		MOVQ(yb, yq)
		MOVQ(nfull, cnt)
		Label(blk + "cols4")
		CMPQ(cnt, U8(unroll*lanes))
		JB(LabelRef(blk + "cols1"))
		for u := 0; u < unroll; u++ {
			VMOVUPS(Mem{Base: yq}.Offset(32*u), yv)
			for r := 0; r < rows; r++ {
				VFMADD231PS(rowAddr(r, p, q, ldb, ldb3).Offset(32*u), hr[r], yv)
			}
			VMOVUPS(yv, Mem{Base: yq}.Offset(32*u))
		}
		advance := func(cols int) {
			ADDQ(U32(4*cols), p)
			if rows > 3 {
				ADDQ(U32(4*cols), q)
			}
			ADDQ(U32(4*cols), yq)
			SUBQ(U32(cols), cnt)
		}
		advance(unroll * lanes)
		JMP(LabelRef(blk + "cols4"))
		Label(blk + "cols1")
		TESTQ(cnt, cnt)
		JZ(LabelRef(blk + "tail"))
		VMOVUPS(Mem{Base: yq}, yv)
		for r := 0; r < rows; r++ {
			VFMADD231PS(rowAddr(r, p, q, ldb, ldb3), hr[r], yv)
		}
		VMOVUPS(yv, Mem{Base: yq})
		advance(lanes)
		JMP(LabelRef(blk + "cols1"))
		Label(blk + "tail")
		TESTQ(hasTail, hasTail)
		JZ(LabelRef(blk + "next"))
		for r := 0; r < rows; r++ {
			VMASKMOVPS(rowAddr(r, p, q, ldb, ldb3), mask, tmp)
			VFMADD231PS(tmp, hr[r], tacc)
		}
		Label(blk + "next")
		LEAQ(Mem{Base: wp, Index: ldb, Scale: uint8(rows)}, wp)
		ADDQ(U8(4*rows), hp)
		SUBQ(U8(rows), nh)
		JMP(LabelRef(blk))
	}
	block(rows)
	Comment("Leftover rows, one at a time.")
	block(1)

	Label("done")
	TESTQ(hasTail, hasTail)
	JZ(LabelRef("ret"))
	VMASKMOVPS(tacc, mask, yt)
	Label("ret")
	VZEROUPPER()
	RET()
}
