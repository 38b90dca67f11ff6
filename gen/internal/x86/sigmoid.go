package x86

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The constants of the rr2-p5 sigmoid. Those of Sigmoid1 in asm/sigmoid.go
// (its sig* constants, which the tests compare with these) and the three
// the kernels add: the mask of |x|, 1, and 2^64 for SigmoidClamped.
var (
	SigAbsMask    = Splat("absMask", 0x7FFFFFFF)
	SigMagicBias  = SplatF("magicBias", 0x1.80017Ep23) // 1.5·2^23 + 191
	SigOne        = SplatF("one", 1)
	SigZeroLimit  = SplatF("zeroLimit", 104)
	SigMinusLog2E = SplatF("minusLog2E", -0x1.715476p+0)
	SigLn2Hi      = SplatF("ln2Hi", 0x1.62E400p-1)
	SigLn2Lo      = SplatF("ln2Lo", 0x1.7F7D1Cp-20)
	SigC5         = SplatF("c5", -0x1.0F9F9Cp-7)
	SigC4         = SplatF("c4", 0x1.573A1Ap-5)
	SigC3         = SplatF("c3", -0x1.555A80p-3)
	SigC2         = SplatF("c2", 0x1.FFFDC6p-2)
	SigC1         = SplatF("c1", -0x1.FFFFF6p-1)
	SigUnscale    = SplatF("unscale", 0x1p-64) // SigmoidDirect only
	SigTwoTo64    = SplatF("twoTo64", 0x1p64)  // SigmoidClamped only
)

// A SigmoidForm is one of the two instruction sequences for Sigmoid1.
type SigmoidForm int

const (
	// SigmoidDirect transcribes the steps of Sigmoid1 one for one:
	// e = (t·p + s)·2^-64, f = e/(e + 1), f = 0 where |x| > 104. It needs
	// the constants absMask, magicBias, minusLog2E, ln2Hi, ln2Lo, c5-c1,
	// unscale, one and zeroLimit.
	SigmoidDirect SigmoidForm = iota
	// SigmoidClamped rearranges two steps with bit-identical results (see
	// gen/sigmoid): z = min(104, |x|) first (VMINPS with 104 as the first
	// operand: NaN stays NaN), and f = E/(E + 2^64) with E = t·p + s, so no
	// compare, AND or multiplication by 2^-64. It needs twoTo64 rather than
	// unscale.
	SigmoidClamped
)

// A Sigmoid emits σ(x) with the rr2-p5 algorithm of Sigmoid1
// (asm/sigmoid.go) on vectors of x: with VFMADD231PS and VFMADD213PS where
// Sigmoid1 writes a*b + c, a division for e/(e+1) (not VRCPPS, which
// differs across vendors) and a blend on the sign of x for σ(x) = 1 - σ(-x):
//
//	z = |x|                          [SigmoidClamped: z = min(104, z)]
//	n = z·(-log2 e) + magic          s = bits(n) << 23 = 2^(n+64); n = n - magic
//	t = n·ln2hi + z; t = n·ln2lo + t
//	p = c5·t + c4; p = p·t + c3; p = p·t + c2; p = p·t + c1
//	t = t·s; E = t·p + s
//	f = e/(e+1) with e = E·2^-64, 0 where z > 104   [Clamped: f = E/(E + 2^64)]
//	result = x < 0 ? f : 1 - f
type Sigmoid struct {
	Form SigmoidForm
	// K holds the constants: memory operands of a Table, or registers.
	K Operands
	// LoadOne, for SigmoidDirect with the constant one in memory, loads it
	// into a register for e + 1 although VADDPS could read it in place.
	// sigmoidDirectAVX2 (gen/sigmoid) loads it, gemm's epilogues do not;
	// both give the same bits, and the flag keeps both generated files as
	// they were written.
	LoadOne bool
}

// A SigmoidVec is one vector in flight: three temporaries, the result
// ending in C, and how x comes and the result goes.
type SigmoidVec struct {
	A, B, C reg.VecVirtual
	// X, if not nil, holds x throughout (Load, if not nil, loads it there
	// first). Otherwise Load loads x into a temporary twice: for |x| and
	// for the final blend.
	X    reg.VecVirtual
	Load func(dst reg.VecVirtual)
	// Abs, if not nil, sets dst = |x| in one instruction (VANDPS with x as
	// the memory operand), in place of the first Load.
	Abs func(dst reg.VecVirtual)
	// Store, if not nil, stores the result; otherwise it stays in C.
	Store func(src reg.VecVirtual)
}

// Emit emits the sigmoid of the vectors vs, their steps interleaved: step
// i of every vector, then step i+1, so that the dependency chains overlap.
func (s Sigmoid) Emit(g *Gen, vs ...SigmoidVec) {
	all := make([][]func(), len(vs))
	for v := range vs {
		all[v] = s.Steps(g, vs[v])
	}
	for i := range all[0] {
		for v := range vs {
			all[v][i]()
		}
	}
}

// Steps returns the steps of the sigmoid of v, each an instruction or two
// of its dependency chain.
func (s Sigmoid) Steps(g *Gen, v SigmoidVec) []func() {
	k := s.K.Get
	a, b, c := v.A, v.B, v.C
	abs := func() { // a = z = |x|
		switch {
		case v.Abs != nil:
			v.Abs(a)
		case v.X != nil:
			if v.Load != nil {
				v.Load(v.X)
			}
			g.VANDPS(k(SigAbsMask.Name), v.X, a)
		default:
			v.Load(a)
			g.VANDPS(k(SigAbsMask.Name), a, a)
		}
	}
	reduce := []func(){
		func() { g.VMOVUPS(k(SigMagicBias.Name), b); g.VFMADD231PS(k(SigMinusLog2E.Name), a, b) }, // b = n = z·(-log2 e) + magic
		func() { g.VPSLLD(operand.U8(23), b, c) },                                                 // c = s = 2^(n+64)
		func() { g.VSUBPS(k(SigMagicBias.Name), b, b) },                                           // b = n - magic
		func() { g.VFMADD231PS(k(SigLn2Hi.Name), b, a) },                                          // a = t = n·ln2hi + z
		func() { g.VFMADD231PS(k(SigLn2Lo.Name), b, a) },                                          // a = t = n·ln2lo + t
		func() { g.VMOVUPS(k(SigC5.Name), b); g.VFMADD213PS(k(SigC4.Name), a, b) },                // b = p = c5·t + c4
		func() { g.VFMADD213PS(k(SigC3.Name), a, b) },                                             // p = p·t + c3
		func() { g.VFMADD213PS(k(SigC2.Name), a, b) },                                             // p = p·t + c2
		func() { g.VFMADD213PS(k(SigC1.Name), a, b) },                                             // p = p·t + c1
		func() { g.VMULPS(c, a, a) },                                                              // a = t·s
		func() { g.VFMADD231PS(b, a, c) },                                                         // c = E = t·p + s
	}
	loadX := func() { // b = x
		if v.X != nil {
			b = v.X
			return
		}
		v.Load(b)
	}
	blend := []func(){
		func() { g.VSUBPS(a, g.InReg(s.K, SigOne.Name, c), c) }, // c = 1 - f
		func() { g.Blend(b, a, c, c) },                          // c = x < 0 ? f : 1 - f
		func() {
			if v.Store != nil {
				v.Store(c)
			}
		},
	}
	var steps []func()
	if s.Form == SigmoidClamped {
		steps = append(steps, abs,
			func() { g.VMINPS(a, g.InReg(s.K, SigZeroLimit.Name, b), a) }) // a = z = min(104, z), NaN kept
		steps = append(steps, reduce...)
		steps = append(steps,
			func() { g.VADDPS(k(SigTwoTo64.Name), c, a) }, // a = E + 2^64
			func() { g.VDIVPS(a, c, a) },                  // a = f = E / (E + 2^64)
			loadX)
		return append(steps, blend...)
	}
	steps = append(steps, abs)
	steps = append(steps, reduce...)
	steps = append(steps,
		func() { g.VMULPS(k(SigUnscale.Name), c, c) }, // c = e = E·2^-64
		func() { // a = e + 1
			one := k(SigOne.Name)
			if s.LoadOne {
				one = g.InReg(s.K, SigOne.Name, a)
			}
			g.VADDPS(one, c, a)
		},
		func() { g.VDIVPS(a, c, a) }, // a = f = e / (e + 1)
		loadX,
		func() { g.VANDPS(k(SigAbsMask.Name), b, c) },                     // c = z = |x|
		func() { g.VCMPPS(operand.U8(0x1E), k(SigZeroLimit.Name), c, c) }, // c = z > 104 (GT_OQ: false for NaN)
		func() { g.VANDNPS(a, c, a) },                                     // a = f, or 0 where z > 104
	)
	return append(steps, blend...)
}
