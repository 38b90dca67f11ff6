package asm

import "math"

// Constants of the rr2-p5 sigmoid (the algorithm of XNNPACK's f32-vsigmoid
// rr2-p5): z = |x|; e^{-z} = 2^n · e^{-t} with n = round(-z·log2 e) found with a
// magic-bias addition, t = z + n·ln 2 reduced in two steps (Cody-Waite: ln 2
// split in a high and a low part, which keeps |n| up to 150 accurate), and e^{-t} ≈ 1 + t·p(t)
// with a degree-5 minimax polynomial; σ(-z) = e/(e+1), σ(z) = 1 − σ(-z).
// Unlike XNNPACK, which flushes results below 2^-126 to zero, the scale 2^n is
// built as 2^(n+64) and e multiplied by 2^-64 at the end, so the denormal
// results for 87.3 < |x| < 104 are correctly rounded rather than zero.
const (
	sigMagicBias  = 0x1.80017Ep23 // 1.5·2^23 + 191: the low bits hold n + 127 + 64 after the addition
	sigMinusLog2E = -0x1.715476p+0
	sigLn2Hi      = 0x1.62E400p-1 // ln 2 = Hi + Lo; n·Hi is exact for |n| < 2^8
	sigLn2Lo      = 0x1.7F7D1Cp-20
	sigC5         = -0x1.0F9F9Cp-7
	sigC4         = 0x1.573A1Ap-5
	sigC3         = -0x1.555A80p-3
	sigC2         = 0x1.FFFDC6p-2
	sigC1         = -0x1.FFFFF6p-1
	sigUnscale    = 0x1p-64 // s is built as 2^(n+64) so that denormal results keep their precision
	sigZeroLimit  = 104.0   // above this |x|, σ(-|x|) < 2^-150 rounds to exactly 0 (and σ(|x|) to 1)
)

// Sigmoid1 returns σ(x) = 1/(1+e^{-x}) for one value with the rr2-p5
// algorithm: at most a few ulp from the exact value, exactly 0 below
// about -87.3 and 1 where float32 rounds there, NaN for NaN, 1 for +Inf and 0
// for -Inf.
func Sigmoid1(x float32) float32 {
	z := float32(math.Abs(float64(x)))
	n := z*sigMinusLog2E + sigMagicBias
	s := math.Float32frombits(math.Float32bits(n) << 23)
	n -= sigMagicBias
	t := n*sigLn2Hi + z
	t = n*sigLn2Lo + t
	p := t*sigC5 + sigC4
	p = t*p + sigC3
	p = t*p + sigC2
	p = t*p + sigC1
	t *= s
	e := (t*p + s) * sigUnscale
	f := e / (e + 1)
	if z > sigZeroLimit {
		f = 0
	}
	if x > 0 {
		f = 1 - f
	}
	return f
}

// SigmoidGeneric sets dst[i] = σ(src[i]) for i < len(src) with Sigmoid1. It is
// the pure-Go twin of Sigmoid. dst must be at least as long as src.
func SigmoidGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = Sigmoid1(x)
	}
}

// BiasSigmoidGeneric sets dst[i] = σ(src[i] + bias[i]) for i < len(src). It is
// the pure-Go twin of BiasSigmoid.
func BiasSigmoidGeneric(dst, src, bias []float32) {
	dst = dst[:len(src)]
	bias = bias[:len(src)]
	for i, x := range src {
		dst[i] = Sigmoid1(x + bias[i])
	}
}

// Sigmoid sets dst[i] = σ(src[i]) for i < len(src) on the Current level;
// every level follows Sigmoid1, at most 4 ulp from the exact value (levels
// may differ by an ulp or two where FMA rounding differs). dst may be src. It
// panics if len(dst) < len(src), and it does not allocate.
func Sigmoid(dst, src []float32) { cur.Sigmoid(dst, src) }

// BiasSigmoid sets dst[i] = σ(src[i] + bias[i]) for i < len(src) on the
// Current level. dst may be src. It panics if dst or bias is shorter than
// src, and it does not allocate.
func BiasSigmoid(dst, src, bias []float32) { cur.BiasSigmoid(dst, src, bias) }

// Sigmoid is Sigmoid on level im.
func (im *Impl) Sigmoid(dst, src []float32) {
	if len(dst) < len(src) {
		panic("asm: Sigmoid: len(dst) < len(src)")
	}
	im.sigmoid(dst, src)
}

// BiasSigmoid is BiasSigmoid on level im.
func (im *Impl) BiasSigmoid(dst, src, bias []float32) {
	if len(dst) < len(src) {
		panic("asm: BiasSigmoid: len(dst) < len(src)")
	}
	if len(bias) < len(src) {
		panic("asm: BiasSigmoid: len(bias) < len(src)")
	}
	im.biasSigmoid(dst, src, bias)
}

// sigmoidChunk bounds the elements of one sigmoid assembly call (about 20 µs
// of work): assembly functions are not preemptible. A variable so that the
// tests can make it small.
var sigmoidChunk = 1 << 16
