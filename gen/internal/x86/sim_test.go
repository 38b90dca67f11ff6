package x86

import (
	"math"
	"math/big"
	"testing"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// A machine interprets the instructions the emitters of this package use,
// on the virtual registers of an uncompiled function, so that the tests can
// check what an emitted sequence computes against a Go model of it. Vector
// registers hold lanes 32-bit lanes; memory is a map of 32-bit words, which
// holds the file's data sections and whatever the test puts there; reading
// a word nobody wrote fails the test (so a masked load that touches a lane
// it should not is caught).
type machine struct {
	t      *testing.T
	lanes  int
	vec    map[reg.ID][]uint32
	gp     map[reg.ID]int64
	mem    map[int64]uint32
	syms   map[string]int64 // data sections' addresses
	params map[string]int64 // the function's arguments, by name
}

// newMachine returns a machine with the data sections of f in memory, each
// at its own 1 MiB-aligned address.
func newMachine(t *testing.T, f *ir.File, lanes int) *machine {
	m := &machine{t: t, lanes: lanes, vec: map[reg.ID][]uint32{}, gp: map[reg.ID]int64{},
		mem: map[int64]uint32{}, syms: map[string]int64{}, params: map[string]int64{}}
	n := int64(0)
	for _, s := range f.Sections {
		g, ok := s.(*ir.Global)
		if !ok {
			continue
		}
		n++
		base := n << 20
		m.syms[g.Symbol.Name] = base
		for _, d := range g.Data {
			m.mem[base+int64(d.Offset)] = uint32(constValue(t, d.Value))
		}
	}
	return m
}

// emitF emits a function "f" with the signature sig and body into a new Gen
// for AVX2, and returns the Gen's uncompiled file. It also checks that the
// same body compiles (registers allocated within AVX2's budget).
func emitF(t *testing.T, sig string, body func(g *Gen)) (*ir.File, *ir.Function) {
	t.Helper()
	fn := func(g *Gen) {
		g.TEXT("f", attr.NOSPLIT, sig)
		body(g)
		g.VZEROUPPER()
		g.RET()
	}
	if _, err := Compile(AVX2, fn); err != nil {
		t.Fatalf("compile: %v", err)
	}
	g := New(AVX2)
	fn(g)
	f, err := g.Result()
	if err != nil {
		t.Fatal(err)
	}
	return f, f.Functions()[0]
}

func constValue(t *testing.T, c operand.Op) int64 {
	switch c := c.(type) {
	case operand.U8:
		return int64(c)
	case operand.I8:
		return int64(c)
	case operand.U32:
		return int64(c)
	case operand.I32:
		return int64(c)
	case operand.U64:
		return int64(c)
	}
	t.Fatalf("sim: constant %v of type %T", c, c)
	return 0
}

func (m *machine) addr(a operand.Mem) int64 {
	var p int64
	switch {
	case a.Base == reg.FramePointer:
		v, ok := m.params[a.Symbol.Name]
		if !ok {
			m.t.Fatalf("sim: argument %s not set", a.Symbol.Name)
		}
		return v // the argument's value stands at its own "address"
	case a.Symbol.Name != "":
		b, ok := m.syms[a.Symbol.Name]
		if !ok {
			m.t.Fatalf("sim: no symbol %s", a.Symbol.Name)
		}
		p = b
	}
	if a.Base != nil && a.Base.Kind() != reg.KindPseudo {
		p += m.reg(a.Base)
	}
	if a.Index != nil {
		p += m.reg(a.Index) * int64(a.Scale)
	}
	return p + int64(a.Disp)
}

func (m *machine) reg(r reg.Register) int64 {
	v, ok := m.gp[r.ID()]
	if !ok {
		m.t.Fatalf("sim: %s read before it was set", r.Asm())
	}
	return v
}

func (m *machine) word(p int64) uint32 {
	v, ok := m.mem[p]
	if !ok {
		m.t.Fatalf("sim: read of unset memory at %#x", p)
	}
	return v
}

// vread returns the lanes of a vector operand: a register or memory.
func (m *machine) vread(op operand.Op) []uint32 {
	switch op := op.(type) {
	case reg.Register:
		v, ok := m.vec[op.ID()]
		if !ok {
			m.t.Fatalf("sim: %s read before it was set", op.Asm())
		}
		return append([]uint32(nil), v...)
	case operand.Mem:
		p := m.addr(op)
		v := make([]uint32, m.lanes)
		for l := range v {
			v[l] = m.word(p + 4*int64(l))
		}
		return v
	}
	m.t.Fatalf("sim: vector operand %v of type %T", op, op)
	return nil
}

func (m *machine) vwrite(op operand.Op, v []uint32) {
	switch op := op.(type) {
	case reg.Register:
		m.vec[op.ID()] = v
	case operand.Mem:
		p := m.addr(op)
		for l, x := range v {
			m.mem[p+4*int64(l)] = x
		}
	default:
		m.t.Fatalf("sim: vector destination %v of type %T", op, op)
	}
}

// gread returns a general-purpose operand: a constant, a register or an
// argument.
func (m *machine) gread(op operand.Op) int64 {
	switch op := op.(type) {
	case reg.Register:
		return m.reg(op)
	case operand.Mem:
		return m.addr(op)
	}
	return constValue(m.t, op)
}

func f32(u uint32) float32 { return math.Float32frombits(u) }
func u32(f float32) uint32 { return math.Float32bits(f) }

// fma32 returns a·b + c rounded once to float32.
func fma32(a, b, c float32) float32 {
	for _, x := range []float32{a, b, c} {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return float32(float64(a)*float64(b) + float64(c)) // exact before the rounding
		}
	}
	x := new(big.Float).SetPrec(256).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetFloat64(float64(c)))
	r, _ := x.Float32()
	if r == 0 { // the sign of a zero as IEEE rounds it (a·b is exact in float64)
		return float32(float64(a)*float64(b) + float64(c))
	}
	return r
}

// lanewise applies op to the lanes of x and y.
func lanewise(x, y []uint32, op func(x, y uint32) uint32) []uint32 {
	v := make([]uint32, len(x))
	for l := range v {
		v[l] = op(x[l], y[l])
	}
	return v
}

// run interprets the instructions of fn. Go's operand order is Intel's
// reversed: OP(a, b, dst) is "OP dst, b, a".
func (m *machine) run(fn *ir.Function) {
	bin := func(ops []operand.Op, f func(x, y uint32) uint32) { // dst = b op a
		m.vwrite(ops[2], lanewise(m.vread(ops[1]), m.vread(ops[0]), f))
	}
	fbin := func(ops []operand.Op, f func(x, y float32) float32) {
		bin(ops, func(x, y uint32) uint32 { return u32(f(f32(x), f32(y))) })
	}
	// qwords applies f to the 64-bit halves of the lanes of x and y.
	qwords := func(x, y []uint32, f func(x, y uint64) uint64) []uint32 {
		v := make([]uint32, len(x))
		for l := 0; l < len(v); l += 2 {
			r := f(uint64(x[l])|uint64(x[l+1])<<32, uint64(y[l])|uint64(y[l+1])<<32)
			v[l], v[l+1] = uint32(r), uint32(r>>32)
		}
		return v
	}
	for _, i := range fn.Instructions() {
		ops := i.Operands
		switch i.Opcode {
		case "RET", "VZEROUPPER":
		case "VMOVUPS", "VMOVDQU":
			m.vwrite(ops[1], m.vread(ops[0]))
		case "VANDPS", "VPAND":
			bin(ops, func(x, y uint32) uint32 { return x & y })
		case "VANDNPS":
			bin(ops, func(x, y uint32) uint32 { return ^x & y })
		case "VPXOR":
			bin(ops, func(x, y uint32) uint32 { return x ^ y })
		case "VPADDD":
			bin(ops, func(x, y uint32) uint32 { return x + y })
		case "VADDPS":
			fbin(ops, func(x, y float32) float32 { return x + y })
		case "VSUBPS":
			fbin(ops, func(x, y float32) float32 { return x - y })
		case "VMULPS":
			fbin(ops, func(x, y float32) float32 { return float32(x * y) })
		case "VDIVPS":
			fbin(ops, func(x, y float32) float32 { return x / y })
		case "VMINPS": // src1 < src2 ? src1 : src2: src2 where either is NaN
			fbin(ops, func(x, y float32) float32 {
				if x < y {
					return x
				}
				return y
			})
		case "VFMADD231PS", "VFMADD213PS": // 231: dst = src1·src2 + dst; 213: dst = src1·dst + src2
			a, b, d := m.vread(ops[0]), m.vread(ops[1]), m.vread(ops[2])
			for l := range d {
				if i.Opcode == "VFMADD231PS" {
					d[l] = u32(fma32(f32(b[l]), f32(a[l]), f32(d[l])))
				} else {
					d[l] = u32(fma32(f32(b[l]), f32(d[l]), f32(a[l])))
				}
			}
			m.vwrite(ops[2], d)
		case "VCMPPS":
			pred := map[int64]func(x, y float32) bool{
				0x11: func(x, y float32) bool { return x < y }, // LT_OQ
				0x1E: func(x, y float32) bool { return x > y }, // GT_OQ
			}[constValue(m.t, ops[0])]
			if pred == nil {
				m.t.Fatalf("sim: VCMPPS predicate %v", ops[0])
			}
			m.vwrite(ops[3], lanewise(m.vread(ops[2]), m.vread(ops[1]), func(x, y uint32) uint32 {
				if pred(f32(x), f32(y)) {
					return 0xFFFFFFFF
				}
				return 0
			}))
		case "VBLENDVPS": // dst = mask's sign ? src2 : src1
			mask, a, b := m.vread(ops[0]), m.vread(ops[1]), m.vread(ops[2])
			for l := range b {
				if int32(mask[l]) < 0 {
					b[l] = a[l]
				}
			}
			m.vwrite(ops[3], b)
		case "VPBLENDD": // dst = imm bit ? src2 : src1
			imm, a, b := constValue(m.t, ops[0]), m.vread(ops[1]), m.vread(ops[2])
			for l := range b {
				if imm>>l&1 != 0 {
					b[l] = a[l]
				}
			}
			m.vwrite(ops[3], b)
		case "VMASKMOVPS":
			if r, ok := ops[2].(reg.Register); ok { // load: masked-off lanes are 0 and not read
				mask, p := m.vread(ops[1]), m.addr(ops[0].(operand.Mem))
				v := make([]uint32, m.lanes)
				for l := range v {
					if int32(mask[l]) < 0 {
						v[l] = m.word(p + 4*int64(l))
					}
				}
				m.vwrite(r, v)
				break
			}
			v, mask, p := m.vread(ops[0]), m.vread(ops[1]), m.addr(ops[2].(operand.Mem))
			for l := range v {
				if int32(mask[l]) < 0 {
					m.mem[p+4*int64(l)] = v[l]
				}
			}
		case "VPSLLD", "VPSRLD":
			n, left := constValue(m.t, ops[0]), i.Opcode == "VPSLLD"
			m.vwrite(ops[2], lanewise(m.vread(ops[1]), m.vread(ops[1]), func(x, _ uint32) uint32 {
				if left {
					return x << n
				}
				return x >> n
			}))
		case "VPSLLQ", "VPSRLQ":
			n, left, x := constValue(m.t, ops[0]), i.Opcode == "VPSLLQ", m.vread(ops[1])
			m.vwrite(ops[2], qwords(x, x, func(x, _ uint64) uint64 {
				if left {
					return x << n
				}
				return x >> n
			}))
		case "VPMULUDQ": // the low 32 bits of each qword, multiplied to 64
			m.vwrite(ops[2], qwords(m.vread(ops[1]), m.vread(ops[0]), func(x, y uint64) uint64 {
				return uint64(uint32(x)) * uint64(uint32(y))
			}))
		case "VCVTDQ2PS":
			x := m.vread(ops[0])
			for l := range x {
				x[l] = u32(float32(int32(x[l])))
			}
			m.vwrite(ops[1], x)
		case "MOVQ":
			m.gp[ops[1].(reg.Register).ID()] = m.gread(ops[0])
		case "LEAQ":
			m.gp[ops[1].(reg.Register).ID()] = m.addr(ops[0].(operand.Mem))
		case "ADDQ", "SUBQ", "SHLQ":
			d := ops[1].(reg.Register)
			x, y := m.reg(d), m.gread(ops[0])
			switch i.Opcode {
			case "ADDQ":
				x += y
			case "SUBQ":
				x -= y
			default:
				x <<= y
			}
			m.gp[d.ID()] = x
		default:
			m.t.Fatalf("sim: no %s", i.Opcode)
		}
	}
}
