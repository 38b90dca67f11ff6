package x86

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// sigmoidModel is Sigmoid1 of asm/sigmoid.go with its a*b + c fused where
// the kernels fuse them, in the given form.
func sigmoidModel(x float32, form SigmoidForm) float32 {
	c := func(k Const) float32 { return f32(k.Lanes[0]) }
	z := float32(math.Abs(float64(x)))
	if form == SigmoidClamped && c(SigZeroLimit) < z {
		z = c(SigZeroLimit)
	}
	n := fma32(z, c(SigMinusLog2E), c(SigMagicBias))
	s := f32(u32(n) << 23)
	n -= c(SigMagicBias)
	t := fma32(n, c(SigLn2Hi), z)
	t = fma32(n, c(SigLn2Lo), t)
	p := fma32(t, c(SigC5), c(SigC4))
	p = fma32(t, p, c(SigC3))
	p = fma32(t, p, c(SigC2))
	p = fma32(t, p, c(SigC1))
	t = float32(t * s)
	E := fma32(t, p, s)
	var f float32
	if form == SigmoidClamped {
		f = E / (E + c(SigTwoTo64))
	} else {
		e := float32(E * c(SigUnscale))
		f = e / (e + 1)
		if float32(math.Abs(float64(x))) > c(SigZeroLimit) {
			f = 0
		}
	}
	if math.Signbit(float64(x)) {
		return f
	}
	return 1 - f
}

// sigmoidInputs returns n·8 inputs: the edges of the algorithm, then
// pseudo-random values over the range where σ is neither 0 nor 1.
func sigmoidInputs(n int) []float32 {
	xs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 1e-8, -1e-8,
		104, -104, 103.99, -103.99, 104.01, -104.01, 87.3, -87.3,
		88, -88, 100, -100, 16.6, -16.6, 17, -17,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e30, -1e30, 3, -3, 0x1p-149}
	r := rand.New(rand.NewPCG(1, 2))
	for len(xs) < 8*n {
		xs = append(xs, float32(r.Float64()*230-115))
	}
	return xs[:8*n]
}

func sameFloat(a, b float32) bool {
	return a == b && math.Signbit(float64(a)) == math.Signbit(float64(b)) || a != a && b != b
}

// TestSigmoid runs the emitted sigmoid in each form and in the ways the
// generators feed it (x kept in a register or loaded twice, constants in
// memory or some in registers, one vector or several interleaved) on the
// machine, and compares each lane with sigmoidModel; it also checks that
// the two forms agree bit for bit, as gen/sigmoid claims, and that the
// results are within 4 ulp of σ.
func TestSigmoid(t *testing.T) {
	consts := []Const{SigAbsMask, SigMagicBias, SigOne, SigZeroLimit, SigMinusLog2E, SigLn2Hi, SigLn2Lo,
		SigC5, SigC4, SigC3, SigC2, SigC1, SigTwoTo64, SigUnscale}
	const vecs = 4
	xs := sigmoidInputs(vecs)
	for _, c := range []struct {
		name    string
		form    SigmoidForm
		inRegs  int  // constants held in registers
		keepX   bool // x in SigmoidVec.X
		load    bool // Load set (with keepX: loads X)
		abs     bool // Abs set
		vecs    int
		loadOne bool
	}{
		{"direct, x kept (gemm)", SigmoidDirect, 0, true, false, false, 1, false},
		{"direct, x loaded (sigmoidDirectAVX2)", SigmoidDirect, 0, false, true, false, 1, true},
		{"clamped, 4 vectors, abs from memory (sigmoidAVX2)", SigmoidClamped, 4, false, true, true, 4, true},
		{"clamped, 3 vectors, x kept and loaded (biasSigmoidAVX2)", SigmoidClamped, 4, true, true, false, 3, true},
		{"clamped, 1 vector, constants in memory", SigmoidClamped, 0, false, true, false, 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var in, out *Table
			var vs []SigmoidVec
			f, fn := emitF(t, "func()", func(g *Gen) {
				tab := g.Table("consts", consts...)
				var xc, zc []Const
				for v := range c.vecs {
					xc = append(xc, PerLane(string(rune('a'+v)), u32s(xs[8*v:8*v+8])...))
					zc = append(zc, Splat(string(rune('a'+v)), 0))
				}
				in, out = g.Table("in", xc...), g.Table("out", zc...)
				k := Operands{}
				for i, cc := range consts {
					k[cc.Name] = tab.Addr(cc.Name)
					if i < c.inRegs {
						r := g.Vec()
						g.VMOVUPS(tab.Addr(cc.Name), r)
						k[cc.Name] = r
					}
				}
				vs = make([]SigmoidVec, c.vecs)
				for v := range vs {
					src, dst := in.Addr(string(rune('a'+v))), out.Addr(string(rune('a'+v)))
					vs[v] = SigmoidVec{A: g.Vec(), B: g.Vec(), C: g.Vec()}
					if c.keepX {
						vs[v].X = g.Vec()
						if !c.load {
							g.VMOVUPS(src, vs[v].X)
						}
					}
					if c.load {
						vs[v].Load = func(x reg.VecVirtual) { g.VMOVUPS(src, x) }
					}
					if r, ok := k[SigAbsMask.Name].(reg.Register); ok && c.abs {
						vs[v].Abs = func(z reg.VecVirtual) { g.VANDPS(src, r, z) }
					}
					if v%2 == 0 { // the others leave the result in C
						vs[v].Store = func(r reg.VecVirtual) { g.VMOVUPS(r, dst) }
					}
				}
				Sigmoid{Form: c.form, K: k, LoadOne: c.loadOne}.Emit(g, vs...)
			})
			m := newMachine(t, f, 8)
			m.run(fn)
			for v := range c.vecs {
				got := m.vread(vs[v].C)
				if v%2 == 0 {
					got = m.vread(out.Addr(string(rune('a' + v))))
				}
				for l, u := range got {
					x := xs[8*v+l]
					y, want := f32(u), sigmoidModel(x, c.form)
					if !sameFloat(y, want) {
						t.Errorf("σ(%g) = %g (%#x), the model gives %g (%#x)", x, y, u, want, u32(want))
					}
					if other := sigmoidModel(x, 1-c.form); !sameFloat(other, want) {
						t.Errorf("σ(%g): the clamped and direct forms differ: %g and %g", x, want, other)
					}
					if x == x {
						exact := 1 / (1 + math.Exp(-float64(x)))
						if d := ulps(y, float32(exact)); d > 4 {
							t.Errorf("σ(%g) = %g, %d ulp from %g", x, y, d, exact)
						}
					}
				}
			}
		})
	}
}

func u32s(xs []float32) []uint32 {
	v := make([]uint32, len(xs))
	for i, x := range xs {
		v[i] = u32(x)
	}
	return v
}

// ulps returns the distance between two non-negative finite floats in
// units in the last place.
func ulps(a, b float32) int64 {
	d := int64(u32(a)) - int64(u32(b))
	if d < 0 {
		d = -d
	}
	return d
}

// philoxBlock is rng.Block (rng/philox.go).
func philoxBlock(ctr [4]uint32, key [2]uint32) [4]uint32 {
	c0, c1, c2, c3 := ctr[0], ctr[1], ctr[2], ctr[3]
	k0, k1 := key[0], key[1]
	for range 10 {
		hi0, lo0 := bits.Mul32(PhiloxM0.Lanes[0], c0)
		hi1, lo1 := bits.Mul32(PhiloxM1.Lanes[0], c2)
		c0, c1, c2, c3 = hi1^c1^k0, lo1, hi0^c3^k1, lo0
		k0 += PhiloxW0.Lanes[0]
		k1 += PhiloxW1.Lanes[0]
	}
	return [4]uint32{c0, c1, c2, c3}
}

// TestPhilox runs the emitted rounds on two vectors of random counters
// and compares every lane with rng.Block's, then the uniforms with
// rng.Uniform's.
func TestPhilox(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	key := [2]uint32{r.Uint32(), r.Uint32()}
	var cs [2][4]reg.VecVirtual
	var k0, k1 reg.VecVirtual
	var u reg.VecVirtual
	f, fn := emitF(t, "func()", func(g *Gen) {
		tab := g.Table("consts", PhiloxM0, PhiloxM1, PhiloxW0, PhiloxW1, Inv24)
		for v := range cs {
			for w := range cs[v] {
				cs[v][w] = g.Vec()
			}
		}
		k0, k1 = g.Vec(), g.Vec()
		g.Philox(tab.Operands(), []*[4]reg.VecVirtual{&cs[0], &cs[1]}, k0, k1)
		u = g.Vec()
		g.VMOVDQU(cs[1][2], u)
		g.Uniform(tab.Operands(), u)
	})
	m := newMachine(t, f, 8)
	ctr := make([][4][]uint32, len(cs))
	for v := range cs {
		for w := range cs[v] {
			ctr[v][w] = make([]uint32, 8)
			for l := range 8 {
				ctr[v][w][l] = r.Uint32()
			}
			m.vec[cs[v][w].ID()] = append([]uint32(nil), ctr[v][w]...)
		}
	}
	m.vec[k0.ID()] = Splat("", key[0]).Values(8)
	m.vec[k1.ID()] = Splat("", key[1]).Values(8)
	m.run(fn)
	for v := range cs {
		for l := range 8 {
			want := philoxBlock([4]uint32{ctr[v][0][l], ctr[v][1][l], ctr[v][2][l], ctr[v][3][l]}, key)
			for w := range 4 {
				if got := m.vec[cs[v][w].ID()][l]; got != want[w] {
					t.Errorf("vector %d lane %d word %d: %#x, rng.Block gives %#x", v, l, w, got, want[w])
				}
			}
		}
	}
	for l, got := range m.vec[u.ID()] {
		raw := m.vec[cs[1][2].ID()][l]
		if want := float32(raw>>8) * (1.0 / (1 << 24)); f32(got) != want {
			t.Errorf("Uniform(%#x) = %g, rng.Uniform gives %g", raw, f32(got), want)
		}
	}
}

// TestMaskTablePtr checks MaskTable.Ptr and the masked loads and stores
// through the masks it points to: the first rem lanes of total (total = N,
// as gemm's sample pass uses it) or of the last N of total (total = 2N,
// as gemm's two-panel tiles do), with the masked-off lanes of memory
// neither read nor written.
func TestMaskTablePtr(t *testing.T) {
	const n = 16
	for _, total := range []int{n, 2 * n} {
		for rem := total - n + 1; rem <= total; rem++ {
			var p, o, rr reg.GPVirtual
			var x, y reg.VecVirtual
			var data *Table
			f, fn := emitF(t, "func()", func(g *Gen) {
				tab := g.MaskTable("mask", n)
				data = g.Table("data", PerLane("v", 1, 2, 3, 4, 5, 6, 7, 8))
				p, o, rr = g.GP64(), g.GP64(), g.GP64()
				tab.Ptr(g, p, o, total, rr)
				x, y = g.Vec(), g.Vec()
				g.VMOVUPS(operand.Mem{Base: p, Disp: 32}, x) // the mask of lanes 8-15 of the last 16
				g.MaskLoad(data.Addr("v"), x, y)
				g.VPADDD(y, y, y)
				g.MaskStore(y, x, data.Addr("v"))
			})
			m := newMachine(t, f, 8)
			m.gp[rr.ID()] = int64(rem)
			k := rem - (total - n) // lanes set among the last n
			m.mem = maskOnly(m, "data", k-8)
			m.run(fn)
			if got, want := m.gp[p.ID()], m.syms["mask"]+4*int64(total-rem); got != want {
				t.Fatalf("total %d, rem %d: p = %#x, want %#x", total, rem, got, want)
			}
			for l := range 8 {
				set := l < k-8
				if mask := m.vec[x.ID()][l]; (mask == 0xFFFFFFFF) != set || mask != 0 && mask != 0xFFFFFFFF {
					t.Errorf("total %d, rem %d: mask lane %d = %#x", total, rem, l+8, mask)
				}
				a := m.syms["data"] + 4*int64(l)
				v, ok := m.mem[a]
				switch {
				case set && (!ok || v != 2*uint32(l+1)):
					t.Errorf("total %d, rem %d: lane %d stored %d, want %d", total, rem, l, v, 2*(l+1))
				case !set && ok:
					t.Errorf("total %d, rem %d: masked-off lane %d written", total, rem, l)
				}
			}
		}
	}
}

// maskOnly returns m's memory with the data section sym cut to its first
// k words (none when k ≤ 0), so that reading past them fails.
func maskOnly(m *machine, sym string, k int) map[int64]uint32 {
	base := m.syms[sym]
	for l := range 8 {
		if l >= k {
			delete(m.mem, base+4*int64(l))
		}
	}
	return m.mem
}

// TestRows checks Rows.Row's addresses, in both schemes, and LoadRows.
func TestRows(t *testing.T) {
	g := New(AVX2)
	p, q, ld, ld3 := g.GP64(), g.GP64(), g.GP64(), g.GP64()
	r6, r9 := g.GP64(), g.GP64()
	m := &machine{t: t, gp: map[reg.ID]int64{}}
	const base, stride = 1 << 20, 4 * 1000
	m.gp[p.ID()], m.gp[q.ID()], m.gp[ld.ID()], m.gp[ld3.ID()] = base, base+3*stride, stride, 3*stride
	m.gp[r6.ID()], m.gp[r9.ID()] = base+6*stride, base+9*stride
	for _, s := range []struct {
		rows Rows
		n    int
	}{{Rows{P: p, Q: q, LD: ld}, 6}, {Rows{P: p, Q: q, LD: ld, LD3: ld3}, 8},
		{Rows{P: p, Q: q, R: r6, LD: ld}, 9}, {Rows{P: p, Q: q, R: r6, S: r9, LD: ld}, 12}} {
		for i := range s.n {
			a := s.rows.Row(i, 12)
			if got, want := m.addr(a), int64(base+i*stride+12); got != want {
				t.Errorf("rows %d (LD3 %v): row %d at %#x, want %#x", s.n, s.rows.LD3 != nil, i, got, want)
			}
			if s.rows.LD3 == nil && i >= 3 && i < 6 && a.Base != q || s.rows.LD3 == nil && i >= 6 && a.Base != r6 && a.Base != r9 ||
				s.rows.LD3 != nil && (i <= 4) != (a.Base == p) {
				t.Errorf("rows %d (LD3 %v): row %d from the other base", s.n, s.rows.LD3 != nil, i)
			}
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("rows %d: row %d does not panic", s.n, s.n)
				}
			}()
			s.rows.Row(s.n, 0)
		}()
	}

	for _, n := range []int{1, 3, 4, 6} {
		var r Rows
		var col reg.GPVirtual
		f, fn := emitF(t, "func(row, ld int)", func(g *Gen) {
			col = g.GP64()
			r = g.LoadRows(n, g.ParamAddr("row"), col, "ld")
		})
		m := newMachine(t, f, 8)
		m.params["row"], m.params["ld"], m.gp[col.ID()] = base, 1000, 64
		m.run(fn)
		for i := range n {
			if got, want := m.addr(r.Row(i, 32)), int64(base+64+i*stride+32); got != want {
				t.Errorf("LoadRows(%d): row %d at %#x, want %#x", n, i, got, want)
			}
		}
	}
}

// TestPanels checks Panels.Vec's addresses for 16-float panels of ymm.
func TestPanels(t *testing.T) {
	g := New(AVX2)
	p, p2, ps := g.GP64(), g.GP64(), g.GP64()
	m := &machine{t: t, gp: map[reg.ID]int64{}}
	const base, stride = 1 << 20, 4 * 16 * 300
	m.gp[p.ID()], m.gp[p2.ID()], m.gp[ps.ID()] = base, base+2*stride, stride
	pan := g.Panels(p, p2, ps, 16)
	if pan.Vecs != 2 {
		t.Fatalf("16-float panels of ymm: %d vectors a row, want 2", pan.Vecs)
	}
	for h := range 8 {
		if got, want := m.addr(pan.Vec(h, 128)), int64(base+h/2*stride+32*(h%2)+128); got != want {
			t.Errorf("vector %d at %#x, want %#x", h, got, want)
		}
	}
}
