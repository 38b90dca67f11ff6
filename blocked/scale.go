package blocked

import (
	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/rng"
)

// The per-row scale of the write-back: each row i of the result is taken
// times scale[i] (len(scale) ≥ m) after α, β and the bias and before the
// sigmoid, in float32, in the same fused write-back as the unscaled
// products (asm.GemmArgs.Scale). Tempered sampling uses it for the inverse
// temperature of each chain; nil scale is no scale, and a scale of 1 gives
// the unscaled result bit for bit.

// SgemmRowScale computes C[i,:] = scale[i]·(α·op(A)·op(B) + β·C)[i,:], as
// Sgemm otherwise.
func SgemmRowScale(r Runner, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, scale []float32) {
	o := gemmOp{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
		scale: scale}
	o.check("blocked: ")
	o.run(r)
}

// SgemmBiasSigmoidRowScale computes C[i,j] = σ(scale[i]·(α·op(A)·op(B) +
// bias)[i,j]), as SgemmBiasSigmoid otherwise.
func SgemmBiasSigmoidRowScale(r Runner, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, bias []float32, c []float32, ldc int, scale []float32) {
	o := gemmOp{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
		ep: asm.GemmBiasSigmoid, bias: bias, scale: scale}
	o.check("blocked: ")
	o.run(r)
}

// SgemmBiasSigmoidSampleRowScale is SgemmBiasSigmoidRowScale with the
// Bernoulli samples of the scaled probabilities, as SgemmBiasSigmoidSample
// draws them.
func SgemmBiasSigmoidSampleRowScale(r Runner, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, bias []float32, c []float32, ldc int, s []float32, lds int, stream rng.Stream, row0, col0 int, scale []float32) {
	o := gemmOp{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
		ep: asm.GemmBiasSigmoidSample, bias: bias, s: s, lds: lds, stream: stream, row0: row0, col0: col0, scale: scale}
	o.check("blocked: ")
	o.run(r)
}
