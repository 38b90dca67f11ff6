// Command fmapeak generates asm/fmapeak_amd64.s and its stub
// asm/fmapeak_amd64.go:
//
//	cd gen && go run ./fmapeak -out ../asm/fmapeak_amd64.s -stubs ../asm/fmapeak_amd64.go -pkg asm
//
// fmaPeakAVX2(n) runs n iterations of a loop of accs independent
// VFMADD231PS on ymm registers and nothing else: no memory, no dependency
// between the FMAs of one iteration, each accumulator a chain across
// iterations. With accs ≥ FMA latency × FMA ports (4 × 2 on Zen3 and
// Haswell to Alder Lake), timing it gives the single-core float32 FMA peak:
// accs·8 lanes·2 flops per iteration. The Go twin is fmaPeakGeneric in
// asm/fmapeak.go (the same flops in scalar Go, for other architectures).
package main

import (
	"fmt"

	"github.com/boltzgo/boltz/gen/internal/x86"
	"github.com/mmcloughlin/avo/attr"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// accs is the number of independent accumulators; asm/fmapeak.go's
// FMAPeakFlopsPerIter is accs·16.
const accs = 12

func main() { x86.Main(generate, x86.AVX2, x86.AVX512) }

// generate emits the file.
func generate(g *x86.Gen) {
	g.ConstraintExpr("!purego")
	fmaPeak(g, "fmaPeak"+g.ISA.Name, accs)
}

// fmaPeak emits a kernel of n iterations of k independent FMAs of the
// level's width (8 lanes for AVX2, 16 for AVX512).
func fmaPeak(g *x86.Gen, name string, k int) {
	g.TEXT(name, attr.NOSPLIT, "func(n int)")
	lanes := g.ISA.Lanes()
	regName := map[int]string{8: "ymm", 16: "zmm"}[lanes]
	g.Doc(fmt.Sprintf("%s runs n iterations of %d independent VFMADD231PS on %s", name, k, regName),
		"registers (no memory operands), the Go loop",
		"",
		"\tfor ; n > 0; n-- {",
		fmt.Sprintf("\t\tfor r := range %d {", k),
		fmt.Sprintf("\t\t\tacc[r] += a * b // %d lanes", lanes),
		"\t\t}",
		"\t}",
		"",
		fmt.Sprintf("so %d float32 flops an iteration.", 2*lanes*k))
	g.Pragma("noescape")
	n := g.Load(g.Param("n"), g.GP64())
	acc := make([]VecVirtual, k)
	for r := range acc {
		acc[r] = g.Vec()
		g.Zero(acc[r])
	}
	a, b := g.Vec(), g.Vec()
	g.Zero(a)
	g.Zero(b)
	g.TESTQ(n, n)
	g.JLE(LabelRef("done"))
	g.Label("loop")
	for r := range acc {
		g.VFMADD231PS(b, a, acc[r])
	}
	g.DECQ(n)
	g.JNZ(LabelRef("loop"))
	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}
