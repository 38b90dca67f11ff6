package asm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/boltzgo/boltz/internal/floats"
)

// TestGemmPageEnd runs every level's GEMM kernels, all epilogues, on
// operands that end exactly where an inaccessible page begins: row-major A,
// packed B, C, the bias, S, W and the packed copy of W. The masked tails of
// the last rows and columns must not touch a byte past them. The results
// must equal those of the same case in ordinary memory.
func TestGemmPageEnd(t *testing.T) {
	eachImpl(t, func(t *testing.T, im *Impl) {
		_, NR := im.Tile()
		for _, m := range []int{1, 5, 12, 13} {
			for _, n := range []int{1, 7, 17, 31, 33, NR - 1, NR + 1} {
				for _, k := range []int{0, 1, 5} {
					for ep := range GemmEpilogue(gemmEpilogues) {
						r := rand.New(rand.NewPCG(uint64(m*1000+n*10+k), uint64(ep)))
						g := newGemmCase(r, im, m, n, k, ep, 1, 0.5, 0)
						want, wantS := g.run(im.gemmRaw)
						wantW := append([]float32(nil), g.w...)
						// The same case at page ends, with tight strides.
						cp := func(src []float32, n int) []float32 {
							d := pageEnd(t, n)
							copy(d, src)
							return d
						}
						a := cp(g.a, m*k)
						b := cp(g.pb, im.GemmPackedBLen(k, n, g.bstride))
						c := pageEnd(t, m*n)
						for i := range m {
							copy(c[i*n:(i+1)*n], g.c0[g.off+i*g.ldc:])
						}
						s := pageEnd(t, m*n)
						w := pageEnd(t, m*n)
						for i := range m {
							copy(w[i*n:(i+1)*n], g.w0[g.woff+i*g.ldw:])
						}
						var wp []float32
						if g.wp != nil {
							wp = pageEnd(t, (n-1)/NR*NR*m+NR*m)
						}
						args := &GemmArgs{M: m, N: n, K: k, A: a, LDA: max(k, 1), B: b, BStride: g.bstride,
							C: c, LDC: n, Alpha: 1, Beta: 0.5, Epilogue: ep,
							Bias: cp(g.bias, n), S: s, LDS: n, Stream: g.stream, Row0: g.row0, Col0: g.col0,
							W: w, LDW: n, Decay: g.decay, WP: wp, WPStride: NR * m}
						if k == 0 {
							args.A, args.LDA = nil, 0
						}
						im.GemmKernel(args)
						what := fmt.Sprintf("%s m=%d n=%d k=%d ep=%d", im.name, m, n, k, ep)
						for i := range m {
							if !floats.SameBits(c[i*n:(i+1)*n], want[g.off+i*g.ldc:][:n]) {
								t.Fatalf("%s: row %d of C differs at a page end", what, i)
							}
							if ep == GemmBiasSigmoidSample && !floats.SameBits(s[i*n:(i+1)*n], wantS[i*g.lds:][:n]) {
								t.Fatalf("%s: row %d of S differs at a page end", what, i)
							}
							if ep == GemmUpdate && !floats.SameBits(w[i*n:(i+1)*n], wantW[g.woff+i*g.ldw:][:n]) {
								t.Fatalf("%s: row %d of W differs at a page end", what, i)
							}
						}
					}
				}
			}
		}
	})
}
