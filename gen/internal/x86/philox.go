package x86

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The constants of Philox4x32-10 (m0, m1, w0 and w1 of rng/philox.go, with
// which the tests compare them) and of rng.Uniform.
var (
	PhiloxM0 = Splat("m0", 0xD2511F53)
	PhiloxM1 = Splat("m1", 0xCD9E8D57)
	PhiloxW0 = Splat("w0", 0x9E3779B9)
	PhiloxW1 = Splat("w1", 0xBB67AE85)
	Inv24    = SplatF("inv24", 0x1p-24) // rng.Uniform's 2^-24
)

// Philox runs the 10 rounds of Philox4x32-10 (rng.Block) on len(cs) vectors
// of counters, one counter a lane (cs[v][w] holds word w of the counters of
// vector v), under the key (k0, k1) broadcast to every lane, in place; k0
// and k1 are clobbered. The rounds of the vectors are interleaved so that
// their dependency chains overlap. K holds the constants m0, m1, w0 and
// w1.
//
// A round is, per lane,
//
//	hi0, lo0 = m0·c0;  hi1, lo1 = m1·c2        (32×32 → 64-bit products)
//	c0, c1, c2, c3 = hi1^c1^k0, lo1, hi0^c3^k1, lo0
//	k0 += w0; k1 += w1                         (before every round but the first)
//
// VPMULUDQ multiplies the even lanes only: the odd ones go through a copy
// shifted right by 32, and MergeOdd and shifts put the high and low halves
// of the even and odd products back into the lanes.
func (g *Gen) Philox(k Operands, cs []*[4]reg.VecVirtual, k0, k1 reg.VecVirtual) {
	m0, m1 := k.Get(PhiloxM0.Name), k.Get(PhiloxM1.Name)
	for r := range 10 {
		if r > 0 {
			g.VPADDD(k.Get(PhiloxW0.Name), k0, k0)
			g.VPADDD(k.Get(PhiloxW1.Name), k1, k1)
		}
		for _, c := range cs {
			e0, o0, e1, o1 := g.Vec(), g.Vec(), g.Vec(), g.Vec()
			g.VPSRLQ(operand.U8(32), c[0], o0)
			g.VPMULUDQ(m0, o0, o0) // odd lanes: m0·c0 as 64-bit products
			g.VPMULUDQ(m0, c[0], e0)
			g.VPSRLQ(operand.U8(32), c[2], o1)
			g.VPMULUDQ(m1, o1, o1)
			g.VPMULUDQ(m1, c[2], e1)
			t := g.Vec()
			g.VPSRLQ(operand.U8(32), e0, t)
			g.MergeOdd(o0, t, t) // hi0
			g.VPXOR(c[3], t, t)
			g.VPXOR(k1, t, c[2]) // c2 = hi0 ^ c3 ^ k1
			g.VPSLLQ(operand.U8(32), o0, o0)
			g.MergeOdd(o0, e0, c[3]) // c3 = lo0
			t2 := g.Vec()
			g.VPSRLQ(operand.U8(32), e1, t2)
			g.MergeOdd(o1, t2, t2) // hi1
			g.VPXOR(c[1], t2, t2)
			g.VPXOR(k0, t2, c[0]) // c0 = hi1 ^ c1 ^ k0
			g.VPSLLQ(operand.U8(32), o1, o1)
			g.MergeOdd(o1, e1, c[1]) // c1 = lo1
		}
	}
}

// Uniform turns raw 32-bit words into rng.Uniform(r) = (r>>8)·2^-24 in
// place: a shift, an exact conversion and an exact multiplication by inv24
// (from K).
func (g *Gen) Uniform(k Operands, r reg.VecVirtual) {
	g.VPSRLD(operand.U8(8), r, r)
	g.VCVTDQ2PS(r, r)
	g.VMULPS(k.Get(Inv24.Name), r, r)
}
