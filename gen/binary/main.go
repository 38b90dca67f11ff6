// Command binary generates the cores of boltz's binary products (sums of
// selected rows of a packed weight matrix), asm/binary_amd64.s (AVX2) and
// asm/binary_avx512_amd64.s (AVX512) and their stubs:
//
//	cd gen && go run ./binary -out ../asm/binary_amd64.s -stubs ../asm/binary_amd64.go -pkg asm
//	cd gen && go run ./binary -isa AVX512 -out ../asm/binary_avx512_amd64.s -stubs ../asm/binary_avx512_amd64.go -pkg asm
//
// The Go twin is binarySumGeneric in asm/binary.go. A product whose left
// operand is 0 or val is, row by row, a sum of the rows of the right
// operand that the row's nonzeros select; the core forms one output row's
// strip of np panels (np = 1..4) of GemmPackB's layout, two vectors a panel
// (NR = 16 floats for AVX2, 32 for AVX512: up to 64 or 128 columns):
//
//	for p := range np {
//		for c := range nr {
//			acc := float32(0)
//			for _, k := range idx { acc = fma(val, w[p*panel+k*ld+c], acc) }
//			dst[p*nr+c] = acc
//		}
//	}
//
// The chain over idx is in its order (increasing k when idx is a row of a
// kernel.Active) with one VFMADD231PS a term, exactly the FMA chain of the
// packed GEMM with the zero terms left out, so the sums are the GEMM's bits.
// One accumulator a vector: 2·np independent chains, the W loads folded into
// the FMAs as memory operands; each index is checked against k (an index
// out of range stops the core, which returns 1). The caller (asm/binary.go)
// loops over the batch rows inside a column strip, so the strip of W stays
// in L2 while the batch passes, and applies the epilogue.
package main

import (
	"fmt"

	"github.com/boltzgo/boltz/gen/internal/x86"
	"github.com/mmcloughlin/avo/attr"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// maxPanels is the widest strip, in panels of two vectors.
const maxPanels = 4

func main() { x86.Main(generate, x86.AVX2, x86.AVX512) }

// generate emits the file of g's level.
func generate(g *x86.Gen) {
	g.ConstraintExpr("!purego")
	name := "binarySum" + g.ISA.Name
	g.TEXT(name, attr.NOSPLIT, "func(dst, w []float32, k, panel, ld int, idx []int32, np int, val float32) int")
	nr := 2 * g.ISA.Lanes()
	g.Doc(fmt.Sprintf("%s sets dst[p*%d+c], p < np (1 to %d), c < %d, to the FMA chain", name, nr, maxPanels, nr),
		"over the indices in idx, in order, of val times w[p*panel+k*ld+c], and",
		"returns 0; or returns 1 at the first index not below k. The caller",
		fmt.Sprintf("checks len(dst) >= np*%d and len(w) >= (np-1)*panel+(k-1)*ld+%d.", nr, nr))
	g.Pragma("noescape")

	dst := g.Load(g.Param("dst").Base(), g.GP64())
	w := g.Load(g.Param("w").Base(), g.GP64())
	kk := g.Load(g.Param("k"), g.GP64())
	pb := g.Load(g.Param("panel"), g.GP64())
	g.SHLQ(U8(2), pb)
	ldb := g.Load(g.Param("ld"), g.GP64())
	g.SHLQ(U8(2), ldb)
	ip := g.Load(g.Param("idx").Base(), g.GP64())
	n := g.Load(g.Param("idx").Len(), g.GP64())
	np := g.Load(g.Param("np"), g.GP64())
	val := g.Vec()
	g.Broadcast(g.ParamAddr("val"), val)
	for p := 1; p < maxPanels; p++ {
		g.CMPQ(np, U8(p))
		g.JE(LabelRef(fmt.Sprintf("panels%d", p)))
	}
	for p := maxPanels; p >= 1; p-- {
		strip(g, p, dst, w, kk, pb, ldb, ip, n, val)
	}
	g.Label("bad")
	g.VZEROUPPER()
	g.MOVQ(U32(1), n)
	g.Store(n, g.ReturnIndex(0))
	g.RET()
}

// strip emits the loop for np panels: zeroed accumulators, one FMA per
// vector per index, the stores and the return of 0.
func strip(g *x86.Gen, np int, dst, w, kk, pb, ldb, ip, n Register, val VecVirtual) {
	g.Label(fmt.Sprintf("panels%d", np))
	base := make([]Register, np)
	base[0] = w
	for p := 1; p < np; p++ {
		base[p] = g.GP64()
		g.LEAQ(Mem{Base: base[p-1], Index: pb, Scale: 1}, base[p])
	}
	acc := make([]VecVirtual, 2*np)
	for i := range acc {
		acc[i] = g.Vec()
		g.Zero(acc[i])
	}
	loop, done := fmt.Sprintf("loop%d", np), fmt.Sprintf("store%d", np)
	j := g.GP64()
	g.Label(loop)
	g.TESTQ(n, n)
	g.JZ(LabelRef(done))
	g.MOVL(Mem{Base: ip}, j.As32())
	g.CMPQ(j, kk)
	g.JAE(LabelRef("bad"))
	g.IMULQ(ldb, j)
	for p := 0; p < np; p++ {
		for v := 0; v < 2; v++ {
			g.VFMADD231PS(Mem{Base: base[p], Index: j, Scale: 1, Disp: v * g.ISA.VecBytes}, val, acc[2*p+v])
		}
	}
	g.ADDQ(U8(4), ip)
	g.DECQ(n)
	g.JMP(LabelRef(loop))
	g.Label(done)
	for i, a := range acc {
		g.VMOVUPS(a, Mem{Base: dst, Disp: i * g.ISA.VecBytes})
	}
	g.VZEROUPPER()
	r := g.GP64()
	g.XORQ(r, r)
	g.Store(r, g.ReturnIndex(0))
	g.RET()
}
