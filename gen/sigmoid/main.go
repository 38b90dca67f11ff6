// Command sigmoid generates boltz's AVX2/FMA logistic-sigmoid kernels,
// asm/sigmoid_amd64.s and their stubs asm/sigmoid_amd64.go:
//
//	cd gen && go run ./sigmoid -out ../asm/sigmoid_amd64.s -stubs ../asm/sigmoid_amd64.go -pkg asm
//
// The Go twin, and the reference for every step below, is Sigmoid1 in
// asm/sigmoid.go (SigmoidGeneric and BiasSigmoidGeneric loop over it). The
// kernels compute the same rr2-p5 algorithm with the same float32 constants,
// eight lanes per ymm register, with VFMADD231PS/VFMADD213PS wherever the Go
// twin writes a*b + c (so a kernel and its twin may differ by an ulp or two
// where the fused rounding differs):
//
//	z = |x|                                  (x = src[i], or src[i] + bias[i])
//	z = min(104, z)                          see "z > 104" below
//	n = z·(-log2 e) + magic                  magic = 1.5·2^23 + 191: the low mantissa
//	                                         bits of n hold round(-z·log2 e) + 127 + 64
//	s = bits(n) << 23                        s = 2^(n+64), a normal float even when
//	                                         2^n is denormal
//	n = n - magic                            n = round(-z·log2 e) as a float
//	t = n·ln2hi + z                          Cody-Waite reduction, |t| <= ln2/2;
//	t = n·ln2lo + t                          n·ln2hi is exact for |n| < 2^8
//	p = c5·t + c4; p = p·t + c3; p = p·t + c2; p = p·t + c1
//	t = t·s
//	E = t·p + s                              E = 2^64·e^-z
//	f = E / (E + 2^64)                       σ(-z) = e/(e+1) with VDIVPS (not VRCPPS,
//	                                         which differs across vendors)
//	result = x < 0 (sign bit) ? f : 1 - f    VBLENDVPS on the sign of x; x = +0 and
//	                                         -0 both give 0.5, NaN stays NaN
//
// Two steps are rearranged from Sigmoid1 with bit-identical results. The
// generator also emits sigmoidDirectAVX2, the steps of Sigmoid1 transcribed
// one for one, and the tests check that sigmoidAVX2 gives the same bits (on
// a dense sample; all 2^32 inputs were checked when this was written):
//
//   - Sigmoid1 computes e = E·2^-64 and f = e/(e+1). Here f = E/(E + 2^64):
//     while e is normal the scaling by 2^64 is exact, so E + 2^64 and the
//     quotient round exactly as e + 1 and e/(e+1); where e is denormal,
//     E + 2^64 = 2^64 exactly and both forms round E·2^-64 once. One
//     multiplication less.
//   - Sigmoid1 sets f = 0 where z > 104. Here z is clamped to 104 first
//     (VMINPS with 104 as the first operand, so NaN stays NaN and +Inf
//     becomes 104) and the algorithm itself gives f = 0 at z = 104
//     (e^-104 < 2^-150 rounds to 0). A compare and an AND less.
//
// One function, sigmoidFamily, emits the family: plain, with a bias vector,
// and the direct transcription. The steps themselves are the shared
// library's (gen/internal/x86: Sigmoid, its forms SigmoidClamped and
// SigmoidDirect; gen/gemm's epilogues use the direct form too). The main loop computes 4 vectors (32
// floats) an iteration, their steps interleaved; a one-vector loop and a
// last vector loaded and stored with VMASKMOVPS (a mask from a table)
// handle the rest, so nothing outside the slices is read or written. Each
// vector uses 3 registers (x is loaded again for the final blend rather than
// kept); the 4 other registers hold the most used constants and the rest are
// memory operands. With a bias, x = src + bias is kept in a fourth register
// instead and the main loop computes 3 vectors.
//
// Performance notes (Zen 4 at 3.7 GHz, measured with variants of this
// generator): about 7.7 cycles per 8 floats, 0.26 ns a float (0.28-0.30
// with the bias). A vector costs 8 FMAs, a multiplication and the blend on
// the two FMA ports, a VDIVPS (3 cycles of the divider) and 10 loads;
// removing the division, the blend or the clamp each saves under a cycle.
// Software-pipelining the loop (to shorten the ~65-cycle dependency chain
// the scheduler must hold) and keeping more constants in registers with
// fewer vectors in flight did not help.
package main

import (
	"fmt"

	"github.com/boltzgo/boltz/gen/internal/x86"
	"github.com/mmcloughlin/avo/attr"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The constants of Sigmoid1 (x86's), in order of preference for a register.
var sigConsts = []x86.Const{
	x86.SigAbsMask, x86.SigMagicBias, x86.SigOne, x86.SigZeroLimit,
	x86.SigMinusLog2E, x86.SigLn2Hi, x86.SigLn2Lo,
	x86.SigC5, x86.SigC4, x86.SigC3, x86.SigC2, x86.SigC1,
	x86.SigTwoTo64,
	x86.SigUnscale, // sigmoidDirectAVX2 only
}

const (
	vecRegs    = 3 // registers a vector in flight (4 with a bias: x is kept)
	unroll     = 4 // vectors an iteration of the main loop
	biasUnroll = 3 // the same with a bias
)

// The kinds of kernel in the family.
const (
	plain  = iota // dst[i] = σ(src[i])
	bias          // dst[i] = σ(src[i] + bias[i])
	direct        // plain, the steps of Sigmoid1 as written
)

func main() { x86.Main(generate, x86.AVX2, x86.AVX512) }

// generate emits the file of g's level. AVX512 has the plain and the bias
// kernel (their tails under an opmask); the direct transcription, whose
// compare makes a vector mask, exists for AVX2 only, and the tests hold the
// AVX512 kernels to it bit for bit.
func generate(g *x86.Gen) {
	g.ConstraintExpr("!purego")

	if g.ISA.Opmasks {
		consts := g.Table("sigmoidConsts", sigConsts...)
		sigmoidFamily(g, "sigmoid"+g.ISA.Name, plain, consts, x86.MaskTable{})
		sigmoidFamily(g, "biasSigmoid"+g.ISA.Name, bias, consts, x86.MaskTable{})
		return
	}
	consts := g.Table("sigmoidConsts", sigConsts...)
	// tailMask at byte offset 32-4k holds k all-ones lanes, then zeros.
	tailMask := g.MaskTable("sigmoidTailMask", g.ISA.Lanes())

	sigmoidFamily(g, "sigmoidAVX2", plain, consts, tailMask)
	sigmoidFamily(g, "biasSigmoidAVX2", bias, consts, tailMask)
	sigmoidFamily(g, "sigmoidDirectAVX2", direct, consts, tailMask)
}

// sigmoidFamily emits one kernel of the given kind.
func sigmoidFamily(g *x86.Gen, name string, kind int, consts *x86.Table, tailMask x86.MaskTable) {
	lanes := g.ISA.Lanes()
	switch kind {
	case bias:
		g.TEXT(name, attr.NOSPLIT, "func(dst, src, bias []float32)")
		g.Doc(name+" sets dst[i] = σ(src[i] + bias[i]) for i < len(src), with the",
			"algorithm of Sigmoid1:",
			"",
			"\tfor i, x := range src {",
			"\t\tdst[i] = Sigmoid1(x + bias[i])",
			"\t}",
			"",
			"dst and bias must be at least as long as src (the caller checks).")
	case direct:
		g.TEXT(name, attr.NOSPLIT, "func(dst, src []float32)")
		g.Doc(name+" computes what sigmoidAVX2 computes, with the steps of Sigmoid1",
			"transcribed one for one, one vector at a time: the tests check that",
			"sigmoidAVX2's rearranged steps give the same bits.")
	default:
		g.TEXT(name, attr.NOSPLIT, "func(dst, src []float32)")
		g.Doc(name+" sets dst[i] = σ(src[i]) for i < len(src), with the algorithm",
			"of Sigmoid1:",
			"",
			"\tfor i, x := range src {",
			"\t\tdst[i] = Sigmoid1(x)",
			"\t}",
			"",
			"dst must be at least as long as src (the caller checks).")
	}
	g.Pragma("noescape")

	dst := Mem{Base: g.Load(g.Param("dst").Base(), g.GP64())}
	src := Mem{Base: g.Load(g.Param("src").Base(), g.GP64())}
	var bp Mem
	if kind == bias {
		bp = Mem{Base: g.Load(g.Param("bias").Base(), g.GP64())}
	}
	n := g.Load(g.Param("src").Len(), g.GP64())

	form, vecs, nregs := x86.SigmoidClamped, unroll, g.ISA.Regs-vecRegs*unroll
	switch kind {
	case bias:
		vecs, nregs = biasUnroll, g.ISA.Regs-(vecRegs+1)*biasUnroll
	case direct:
		form, vecs, nregs = x86.SigmoidDirect, 1, 0
	}
	g.Comment(fmt.Sprintf("Constants: %d in registers, the others memory operands.", nregs))
	k := x86.Operands{}
	for i, c := range sigConsts {
		m := consts.Addr(c.Name)
		if i < nregs {
			r := g.Vec()
			g.VMOVUPS(m, r)
			k[c.Name] = r
		} else {
			k[c.Name] = m
		}
	}
	// LoadOne: the direct form loads the 1 of e + 1 into a register, as
	// this generator always did (gemm's epilogues read it from memory).
	sig := x86.Sigmoid{Form: form, K: k, LoadOne: true}

	vs := make([]x86.SigmoidVec, vecs)
	for v := range vs {
		vs[v] = x86.SigmoidVec{A: g.Vec(), B: g.Vec(), C: g.Vec()}
		if kind == bias {
			vs[v].X = g.Vec() // x = src + bias is kept rather than computed again
		}
		off := g.ISA.VecBytes * v
		vs[v].Load = func(x VecVirtual) {
			g.VMOVUPS(src.Offset(off), x)
			if kind == bias {
				g.VADDPS(bp.Offset(off), x, x)
			}
		}
		vs[v].Store = func(r VecVirtual) { g.VMOVUPS(r, dst.Offset(off)) }
		if r, ok := k[x86.SigAbsMask.Name].(Register); ok && kind == plain {
			vs[v].Abs = func(z VecVirtual) { g.VANDPS(src.Offset(off), r, z) }
		}
	}
	advance := func(elems int) {
		g.ADDQ(U32(4*elems), src.Base)
		g.ADDQ(U32(4*elems), dst.Base)
		if kind == bias {
			g.ADDQ(U32(4*elems), bp.Base)
		}
		g.SUBQ(U32(elems), n)
	}

	if vecs > 1 {
		g.Label("loop")
		g.CMPQ(n, U32(vecs*lanes))
		g.JB(LabelRef("loop1"))
		g.Comment(fmt.Sprintf("%d vectors, their steps interleaved.", vecs))
		sig.Emit(g, vs...)
		advance(vecs * lanes)
		g.JMP(LabelRef("loop"))
	}

	g.Label("loop1")
	g.CMPQ(n, U32(lanes))
	g.JB(LabelRef("tail"))
	sig.Emit(g, vs[0])
	advance(lanes)
	g.JMP(LabelRef("loop1"))

	g.Label("tail")
	g.Comment(fmt.Sprintf("The last n%%%d elements, through a mask of n all-ones lanes.", lanes))
	g.TESTQ(n, n)
	g.JZ(LabelRef("done"))
	var mask Op
	if g.ISA.Opmasks {
		k := g.K()
		g.TailMask(n.(GPVirtual), g.GP64(), k)
		mask = k
	} else {
		off := g.GP64()
		g.MOVQ(U32(g.ISA.VecBytes), off)
		g.SHLQ(U8(2), n)
		g.SUBQ(n, off)
		tab := g.GP64()
		g.LEAQ(tailMask.Mem, tab)
		m := g.Vec()
		g.VMOVUPS(Mem{Base: tab, Index: off, Scale: 1}, m)
		mask = m
	}
	tmp := g.Vec()
	last := vs[0]
	last.Abs = nil
	last.Load = func(x VecVirtual) {
		g.MaskLoad(src, mask, x)
		if kind == bias {
			g.MaskLoad(bp, mask, tmp)
			g.VADDPS(tmp, x, x)
		}
	}
	last.Store = func(r VecVirtual) { g.MaskStore(r, mask, dst) }
	sig.Emit(g, last)

	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}
