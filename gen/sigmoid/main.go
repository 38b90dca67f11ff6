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
// and the direct transcription. The main loop computes 4 vectors (32
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
	"math"

	"github.com/boltzgo/boltz/gen/internal/x86"
	"github.com/mmcloughlin/avo/attr"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The constants of Sigmoid1, in order of preference for a register.
var sigConsts = []struct {
	name string
	bits uint32
}{
	{"absMask", 0x7FFFFFFF},
	{"magicBias", math.Float32bits(0x1.80017Ep23)},
	{"one", math.Float32bits(1)},
	{"zeroLimit", math.Float32bits(104)},
	{"minusLog2E", math.Float32bits(-0x1.715476p+0)},
	{"ln2Hi", math.Float32bits(0x1.62E400p-1)},
	{"ln2Lo", math.Float32bits(0x1.7F7D1Cp-20)},
	{"c5", math.Float32bits(-0x1.0F9F9Cp-7)},
	{"c4", math.Float32bits(0x1.573A1Ap-5)},
	{"c3", math.Float32bits(-0x1.555A80p-3)},
	{"c2", math.Float32bits(0x1.FFFDC6p-2)},
	{"c1", math.Float32bits(-0x1.FFFFF6p-1)},
	{"twoTo64", math.Float32bits(0x1p64)},
	{"unscale", math.Float32bits(0x1p-64)}, // sigmoidDirectAVX2 only
}

const (
	lanes      = 8  // float32 lanes in a ymm register
	ymmRegs    = 16 // AVX2 has Y0-Y15: avo would hand out Y16-Y31 (AVX-512) beyond
	vecRegs    = 3  // registers a vector in flight (4 with a bias: x is kept)
	unroll     = 4  // vectors an iteration of the main loop
	biasUnroll = 3  // the same with a bias
)

// The kinds of kernel in the family.
const (
	plain  = iota // dst[i] = σ(src[i])
	bias          // dst[i] = σ(src[i] + bias[i])
	direct        // plain, the steps of Sigmoid1 as written
)

func main() { x86.Main(x86.AVX2, generate) }

// generate emits the file.
func generate(g *x86.Gen) {
	g.ConstraintExpr("!purego")

	consts := g.GLOBL("sigmoidConsts", attr.RODATA|attr.NOPTR)
	for i, c := range sigConsts {
		for l := 0; l < lanes; l++ {
			g.DATA(4*(lanes*i+l), U32(c.bits))
		}
	}
	// tailMask at byte offset 32-4k holds k all-ones lanes, then zeros.
	tailMask := g.GLOBL("sigmoidTailMask", attr.RODATA|attr.NOPTR)
	for l := 0; l < 2*lanes; l++ {
		v := uint32(0)
		if l < lanes {
			v = 0xFFFFFFFF
		}
		g.DATA(4*l, U32(v))
	}

	sigmoidFamily(g, "sigmoidAVX2", plain, consts, tailMask)
	sigmoidFamily(g, "biasSigmoidAVX2", bias, consts, tailMask)
	sigmoidFamily(g, "sigmoidDirectAVX2", direct, consts, tailMask)
}

// A vec is the registers of one vector in flight and how to load its x and
// store its result.
type vec struct {
	a, b, c VecVirtual
	load    func(dst VecVirtual) // dst = x
	abs     func(dst VecVirtual) // dst = |x|, if not nil
	x       VecVirtual           // x, kept, if not nil
	store   func(src VecVirtual) // the result = src
}

// sigmoidFamily emits one kernel of the given kind.
func sigmoidFamily(g *x86.Gen, name string, kind int, consts, tailMask Mem) {
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

	steps, vecs, nregs := sigmoidSteps, unroll, ymmRegs-vecRegs*unroll
	switch kind {
	case bias:
		vecs, nregs = biasUnroll, ymmRegs-(vecRegs+1)*biasUnroll
	case direct:
		steps, vecs, nregs = sigmoidDirectSteps, 1, 0
	}
	g.Comment(fmt.Sprintf("Constants: %d in registers, the others memory operands.", nregs))
	k := map[string]Op{}
	for i, c := range sigConsts {
		m := consts.Offset(32 * i)
		if i < nregs {
			r := g.Vec()
			g.VMOVUPS(m, r)
			k[c.name] = r
		} else {
			k[c.name] = m
		}
	}

	vs := make([]vec, vecs)
	for v := range vs {
		vs[v] = vec{a: g.Vec(), b: g.Vec(), c: g.Vec()}
		if kind == bias {
			vs[v].x = g.Vec() // x = src + bias is kept rather than computed again
		}
		off := 32 * v
		vs[v].load = func(x VecVirtual) {
			g.VMOVUPS(src.Offset(off), x)
			if kind == bias {
				g.VADDPS(bp.Offset(off), x, x)
			}
		}
		vs[v].store = func(r VecVirtual) { g.VMOVUPS(r, dst.Offset(off)) }
		if r, ok := k["absMask"].(Register); ok && kind == plain {
			vs[v].abs = func(z VecVirtual) { g.VANDPS(src.Offset(off), r, z) }
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
		emit(g, k, steps, vs)
		advance(vecs * lanes)
		g.JMP(LabelRef("loop"))
	}

	g.Label("loop1")
	g.CMPQ(n, U32(lanes))
	g.JB(LabelRef("tail"))
	emit(g, k, steps, vs[:1])
	advance(lanes)
	g.JMP(LabelRef("loop1"))

	g.Label("tail")
	g.Comment("The last n%8 elements, through a mask of n all-ones lanes.")
	g.TESTQ(n, n)
	g.JZ(LabelRef("done"))
	off := g.GP64()
	g.MOVQ(U32(4*lanes), off)
	g.SHLQ(U8(2), n)
	g.SUBQ(n, off)
	tab := g.GP64()
	g.LEAQ(tailMask, tab)
	mask := g.Vec()
	g.VMOVUPS(Mem{Base: tab, Index: off, Scale: 1}, mask)
	tmp := g.Vec()
	last := vs[0]
	last.abs = nil
	last.load = func(x VecVirtual) {
		g.MaskLoad(src, mask, x)
		if kind == bias {
			g.MaskLoad(bp, mask, tmp)
			g.VADDPS(tmp, x, x)
		}
	}
	last.store = func(r VecVirtual) { g.MaskStore(r, mask, dst) }
	emit(g, k, steps, []vec{last})

	g.Label("done")
	g.VZEROUPPER()
	g.RET()
}

// emit emits the steps of the vectors vs, interleaved: step i of every
// vector, then step i+1.
func emit(g *x86.Gen, k map[string]Op, steps func(*x86.Gen, map[string]Op, vec) []func(), vs []vec) {
	all := make([][]func(), len(vs))
	for v := range vs {
		all[v] = steps(g, k, vs[v])
	}
	for i := range all[0] {
		for v := range vs {
			all[v][i]()
		}
	}
}

// inReg returns the constant k[name] as a register: itself, or loaded into
// tmp.
func inReg(g *x86.Gen, k map[string]Op, name string, tmp VecVirtual) Op {
	if r, ok := k[name].(Register); ok {
		return r
	}
	g.VMOVUPS(k[name], tmp)
	return tmp
}

// sigmoidSteps returns the steps of sigmoidAVX2 and biasSigmoidAVX2 for the
// vector v; k holds the constants (registers or memory operands).
func sigmoidSteps(g *x86.Gen, k map[string]Op, v vec) []func() {
	a, b, c := v.a, v.b, v.c
	return []func(){
		func() { // a = z = |x|
			switch {
			case v.abs != nil:
				v.abs(a)
			case v.x != nil:
				v.load(v.x)
				g.VANDPS(k["absMask"], v.x, a)
			default:
				v.load(a)
				g.VANDPS(k["absMask"], a, a)
			}
		},
		func() { g.VMINPS(a, inReg(g, k, "zeroLimit", b), a) },                        // a = z = min(104, z), NaN kept
		func() { g.VMOVUPS(k["magicBias"], b); g.VFMADD231PS(k["minusLog2E"], a, b) }, // b = n = z·(-log2 e) + magic
		func() { g.VPSLLD(U8(23), b, c) },                                             // c = s = 2^(n+64)
		func() { g.VSUBPS(k["magicBias"], b, b) },                                     // b = n - magic
		func() { g.VFMADD231PS(k["ln2Hi"], b, a) },                                    // a = t = n·ln2hi + z
		func() { g.VFMADD231PS(k["ln2Lo"], b, a) },                                    // a = t = n·ln2lo + t
		func() { g.VMOVUPS(k["c5"], b); g.VFMADD213PS(k["c4"], a, b) },                // b = p = c5·t + c4
		func() { g.VFMADD213PS(k["c3"], a, b) },                                       // p = p·t + c3
		func() { g.VFMADD213PS(k["c2"], a, b) },                                       // p = p·t + c2
		func() { g.VFMADD213PS(k["c1"], a, b) },                                       // p = p·t + c1
		func() { g.VMULPS(c, a, a) },                                                  // a = t·s
		func() { g.VFMADD231PS(b, a, c) },                                             // c = E = t·p + s
		func() { g.VADDPS(k["twoTo64"], c, a) },                                       // a = E + 2^64
		func() { g.VDIVPS(a, c, a) },                                                  // a = f = E / (E + 2^64)
		func() { // b = x
			if v.x != nil {
				b = v.x
				return
			}
			v.load(b)
		},
		func() { g.VSUBPS(a, inReg(g, k, "one", c), c) }, // c = 1 - f
		func() { g.Blend(b, a, c, c) },               // c = x < 0 ? f : 1 - f
		func() { v.store(c) },
	}
}

// sigmoidDirectSteps returns the steps of Sigmoid1 as written, for
// sigmoidDirectAVX2.
func sigmoidDirectSteps(g *x86.Gen, k map[string]Op, v vec) []func() {
	a, b, c := v.a, v.b, v.c
	return []func(){
		func() { v.load(a) },                    // a = x
		func() { g.VANDPS(k["absMask"], a, a) }, // a = z = |x|
		func() { g.VMOVUPS(k["magicBias"], b); g.VFMADD231PS(k["minusLog2E"], a, b) }, // b = n = z·(-log2 e) + magic
		func() { g.VPSLLD(U8(23), b, c) },                                             // c = s = 2^(n+64)
		func() { g.VSUBPS(k["magicBias"], b, b) },                                     // b = n - magic
		func() { g.VFMADD231PS(k["ln2Hi"], b, a) },                                    // a = t = n·ln2hi + z
		func() { g.VFMADD231PS(k["ln2Lo"], b, a) },                                    // a = t = n·ln2lo + t
		func() { g.VMOVUPS(k["c5"], b); g.VFMADD213PS(k["c4"], a, b) },                // b = p = c5·t + c4
		func() { g.VFMADD213PS(k["c3"], a, b) },                                       // p = p·t + c3
		func() { g.VFMADD213PS(k["c2"], a, b) },                                       // p = p·t + c2
		func() { g.VFMADD213PS(k["c1"], a, b) },                                       // p = p·t + c1
		func() { g.VMULPS(c, a, a) },                                                  // a = t·s
		func() { g.VFMADD231PS(b, a, c) },                                             // c = t·p + s
		func() { g.VMULPS(k["unscale"], c, c) },                                       // c = e = (t·p + s)·2^-64
		func() { g.VADDPS(inReg(g, k, "one", a), c, a) },                              // a = e + 1
		func() { g.VDIVPS(a, c, a) },                                                  // a = f = e / (e + 1)
		func() { v.load(b) },                                                          // b = x
		func() { g.VANDPS(k["absMask"], b, c) },                                       // c = |x|
		func() { g.VCMPPS(U8(0x1E), k["zeroLimit"], c, c) },                           // c = |x| > 104 (GT_OQ: false for NaN)
		func() { g.VANDNPS(a, c, a) },                                                 // a = f, or 0 where |x| > 104
		func() { g.VSUBPS(a, inReg(g, k, "one", c), c) },                              // c = 1 - f
		func() { g.Blend(b, a, c, c) },                                            // c = x < 0 ? f : 1 - f
		func() { v.store(c) },
	}
}
