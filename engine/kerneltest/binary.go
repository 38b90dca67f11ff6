package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/boltzgo/boltz/internal/floats"
	"github.com/boltzgo/boltz/kernel"
	"github.com/boltzgo/boltz/rng"
)

// The binary products (kernel.BinaryProjector, kernel.PackedBinary): within
// float32 rounding of the definition (the tolerance of the dense products,
// over the active terms), the samples those of the probabilities written,
// the same bits for any split of rows or grain-aligned columns; and, for
// backends that promise it (BinaryExact), the dense form's bits.

// binaryShapes are the H×V matrices of the binary tests.
var binaryShapes = append([][2]int{{3, 1}, {1, 9}, {33, 17}}, packedShapes...)

// binCase is one binary product problem.
type binCase struct {
	down      bool
	R, K, N   int
	value     float32
	x         kernel.Mat // R×K, entries 0 or value
	a         *kernel.Active
	nonzeros  int
	w         kernel.Mat // H×V
	bias      []float32
	act       kernel.Act
	sample    bool
	what      string
	col0      int
	projector kernel.BinaryProjector
	packed    kernel.Packed
}

// binaryCases calls f with every case: shapes, rows, densities (0, MNIST's
// 13 %, a half, all ones), Value 1 and 0.37, both directions, both
// activations and sampling, a packed copy when the backend makes one.
func binaryCases(t *testing.T, k kernel.Kernel, f func(c *binCase)) {
	r := rand.New(rand.NewPCG(21, 22))
	bp, _ := k.(kernel.BinaryProjector)
	pk, _ := k.(kernel.Packer)
	for _, sh := range binaryShapes {
		H, V := sh[0], sh[1]
		w := padded(r, H, V, 3, normal)
		var p kernel.Packed
		if pk != nil {
			p = fill(k, pk, w)
		}
		if p == nil && bp == nil {
			continue
		}
		for _, R := range []int{1, 3, 13} {
			for _, d := range []float64{0, 0.13, 0.5, 1} {
				for _, down := range []bool{false, true} {
					K, N := V, H
					if down {
						K, N = H, V
					}
					value := float32(1)
					if r.IntN(3) == 0 {
						value = 0.37
					}
					x := padded(r, R, K, 2, func(r *rand.Rand) float32 {
						if r.Float64() < d {
							return value
						}
						return 0
					})
					want := 0
					for i := 0; i < R; i++ {
						for _, v := range x.Row(i) {
							if v != 0 {
								want++
							}
						}
					}
					a := kernel.NewActive(R, K)
					n, ok := a.Build(x, value)
					if !ok || n != want {
						t.Fatalf("Active.Build: %d nonzeros, ok=%v; want %d, true", n, ok, want)
					}
					bias := make([]float32, N)
					for i := range bias {
						bias[i] = normal(r)
					}
					for _, mode := range []int{0, 1, 2} {
						c := &binCase{down: down, R: R, K: K, N: N, value: value, x: x, a: a, nonzeros: n, w: w, bias: bias,
							act: kernel.Act(min(mode, 1)), sample: mode == 2, projector: bp, packed: p}
						c.what = fmt.Sprintf("%s H=%d V=%d R=%d density=%g value=%g down=%v act=%d sample=%v",
							k.Name(), H, V, R, d, value, down, c.act, c.sample)
						f(c)
					}
				}
			}
		}
	}
}

// run computes the product (rows [r0, r1), output columns [c0, c1) with
// c0 grain-aligned) into fresh NaN-filled outputs, by the packed copy when
// packed is set, else by the BinaryProjector.
func (c *binCase) run(packed bool, r0, r1, c0, c1 int) (out, s kernel.Mat) {
	nan := func(*rand.Rand) float32 { return float32(math.NaN()) }
	out = padded(nil, r1-r0, c1-c0, 2, nan)
	var sp *kernel.Sample
	if c.sample {
		s = padded(nil, r1-r0, c1-c0, 1, nan)
		sp = &kernel.Sample{Dst: s, Stream: rng.NewStream(uint64(c.N), 4, 8), Row0: 2 + r0, Col0: 9 + c0}
	}
	a := c.a.RowSlice(r0, r1)
	bias := c.bias[c0:c1]
	switch {
	case packed && c.down:
		c.packed.(kernel.PackedBinary).DownBinary(out, a, c0, bias, c.act, sp)
	case packed:
		c.packed.(kernel.PackedBinary).UpBinary(out, a, c0, bias, c.act, sp)
	case c.down:
		c.projector.DownBinary(out, a, c.w.ColSlice(c0, c1), bias, c.act, sp)
	default:
		c.projector.UpBinary(out, a, c.w.RowSlice(c0, c1), bias, c.act, sp)
	}
	return out, s
}

// dense is the dense product of the same operand (Kernel.Up and Down, or
// the packed copy's), whole.
func (c *binCase) dense(k kernel.Kernel, packed bool) (out, s kernel.Mat) {
	out, s = kernel.NewMat(c.R, c.N), kernel.NewMat(c.R, c.N)
	var sp *kernel.Sample
	if c.sample {
		sp = &kernel.Sample{Dst: s, Stream: rng.NewStream(uint64(c.N), 4, 8), Row0: 2, Col0: 9}
	}
	switch {
	case packed && c.down:
		c.packed.Down(out, c.x, 0, c.bias, c.act, sp)
	case packed:
		c.packed.Up(out, c.x, 0, c.bias, c.act, sp)
	case c.down:
		k.Down(out, c.x, c.w, c.bias, c.act, sp)
	default:
		k.Up(out, c.x, c.w, c.bias, c.act, sp)
	}
	return out, s
}

// forms returns the forms the case can run: false for the BinaryProjector,
// true for a packed copy with PackedBinary.
func (c *binCase) forms() []bool {
	var f []bool
	if c.projector != nil {
		f = append(f, false)
	}
	if _, ok := c.packed.(kernel.PackedBinary); ok && c.packed != nil {
		f = append(f, true)
	}
	return f
}

func testBinary(t *testing.T, k kernel.Kernel) {
	ran := 0
	binaryCases(t, k, func(c *binCase) {
		for _, packed := range c.forms() {
			ran++
			what := fmt.Sprintf("%s packed=%v", c.what, packed)
			x0, w0 := append([]float32(nil), c.x.Data...), append([]float32(nil), c.w.Data...)
			out, s := c.run(packed, 0, c.R, 0, c.N)
			if !floats.SameBits(c.x.Data, x0) || !floats.SameBits(c.w.Data, w0) {
				t.Fatalf("%s: inputs modified", what)
			}
			checkPadding(t, what+" out", out)
			for i := 0; i < c.R; i++ {
				for j := 0; j < c.N; j++ {
					ref, mag := float64(c.bias[j]), math.Abs(float64(c.bias[j]))
					for p := 0; p < c.K; p++ {
						var wv float32
						if c.down {
							wv = c.w.Row(p)[j]
						} else {
							wv = c.w.Row(j)[p]
						}
						term := float64(c.x.Row(i)[p]) * float64(wv)
						ref += term
						mag += math.Abs(term)
					}
					e := tol(len(c.a.Row(i)), mag)
					if c.act == kernel.Sigmoid {
						ref = sigmoid64(ref)
						e = e/4 + 4*0x1p-24
					}
					got := out.Row(i)[j]
					if !(math.Abs(float64(got)-ref) <= e) {
						t.Fatalf("%s: out[%d,%d] = %v, reference %v (tolerance %.3g)", what, i, j, got, ref, e)
					}
					if c.sample {
						want := float32(0)
						if rng.Uniform(rng.NewStream(uint64(c.N), 4, 8).Uint32(2+i, 9+j)) < got {
							want = 1
						}
						if s.Row(i)[j] != want {
							t.Fatalf("%s: sample[%d,%d] = %v, the stream gives %v for p=%v", what, i, j, s.Row(i)[j], want, got)
						}
					}
				}
			}
			if c.sample {
				checkPadding(t, what+" samples", s)
			}
			// Any split: rows, then grain-aligned columns.
			for _, cut := range []int{c.R / 2, c.R - 1} {
				if cut <= 0 || cut >= c.R {
					continue
				}
				o1, s1 := c.run(packed, 0, cut, 0, c.N)
				o2, s2 := c.run(packed, cut, c.R, 0, c.N)
				for i := 0; i < c.R; i++ {
					oi, si := o1, s1
					ri := i
					if i >= cut {
						oi, si, ri = o2, s2, i-cut
					}
					if !floats.SameBits(oi.Row(ri), out.Row(i)) || (c.sample && !floats.SameBits(si.Row(ri), s.Row(i))) {
						t.Fatalf("%s: rows split at %d differ from the whole", what, cut)
					}
				}
			}
			for _, cut := range colCuts(k, c.N) {
				o1, s1 := c.run(packed, 0, c.R, 0, cut)
				o2, s2 := c.run(packed, 0, c.R, cut, c.N)
				for i := 0; i < c.R; i++ {
					if !floats.SameBits(o1.Row(i), out.Row(i)[:cut]) || !floats.SameBits(o2.Row(i), out.Row(i)[cut:]) ||
						(c.sample && (!floats.SameBits(s1.Row(i), s.Row(i)[:cut]) || !floats.SameBits(s2.Row(i), s.Row(i)[cut:]))) {
						t.Fatalf("%s: columns split at %d differ from the whole", what, cut)
					}
				}
			}
		}
	})
	if ran == 0 {
		t.Errorf("%s: a binary-product backend that runs none of the shapes %v", k.Name(), binaryShapes)
	}
}

// BinaryExact checks that k's binary products give its dense products'
// bits (outputs and samples) on the same 0/1 (or 0/value) operands, for
// the backends whose dense kernels sum in index order, as asm's packed GEMM
// and the generic kernel do: with those, the engine's choice of form
// changes no result.
func BinaryExact(t *testing.T, k kernel.Kernel) {
	ran := 0
	binaryCases(t, k, func(c *binCase) {
		for _, packed := range c.forms() {
			ran++
			o1, s1 := c.run(packed, 0, c.R, 0, c.N)
			o2, s2 := c.dense(k, packed)
			for i := 0; i < c.R; i++ {
				if !floats.SameBits(o1.Row(i), o2.Row(i)) || (c.sample && !floats.SameBits(s1.Row(i), s2.Row(i))) {
					t.Fatalf("%s packed=%v: row %d: binary %v, dense %v", c.what, packed, i, o1.Row(i), o2.Row(i))
				}
			}
		}
	})
	if ran == 0 {
		t.Errorf("%s: no binary products to check", k.Name())
	}
}

// hasBinary reports whether k has binary products, on W or on its packed
// copies (asked of a copy of a small shape).
func hasBinary(k kernel.Kernel) bool {
	if _, ok := k.(kernel.BinaryProjector); ok {
		return true
	}
	if pk, ok := k.(kernel.Packer); ok {
		if p := pk.NewPacked(4, 4); p != nil {
			_, ok := p.(kernel.PackedBinary)
			return ok
		}
	}
	return false
}
