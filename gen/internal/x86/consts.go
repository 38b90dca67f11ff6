package x86

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// A Const is a named vector constant: one 32-bit value in every lane (a
// splat), or one value per lane.
type Const struct {
	Name  string
	Lanes []uint32 // one value: a splat; otherwise one value per lane
}

// Splat returns the constant with v in every lane.
func Splat(name string, v uint32) Const { return Const{name, []uint32{v}} }

// SplatF returns the constant with the float32 f in every lane.
func SplatF(name string, f float32) Const { return Splat(name, math.Float32bits(f)) }

// PerLane returns the constant with lane i set to lanes[i]; it fits only
// vectors of len(lanes) lanes.
func PerLane(name string, lanes ...uint32) Const { return Const{name, lanes} }

// Values returns the lanes of c in a vector of n lanes. It panics when c is
// neither a splat nor n lanes long.
func (c Const) Values(n int) []uint32 {
	switch len(c.Lanes) {
	case n:
		return c.Lanes
	case 1:
		v := make([]uint32, n)
		for i := range v {
			v[i] = c.Lanes[0]
		}
		return v
	}
	panic(fmt.Sprintf("x86: constant %s has %d lanes, not 1 or %d", c.Name, len(c.Lanes), n))
}

// A Table is a read-only data section of vector constants, one vector
// each, in the order given: that order sets the offsets.
type Table struct {
	Mem      operand.Mem // the section
	vecBytes int
	index    map[string]int
}

// Table emits the data section name holding the constants cs, one vector
// of the level's width each.
func (g *Gen) Table(name string, cs ...Const) *Table {
	t := &Table{Mem: g.GLOBL(name, attr.RODATA|attr.NOPTR), vecBytes: g.ISA.VecBytes, index: map[string]int{}}
	for i, c := range cs {
		if _, dup := t.index[c.Name]; dup {
			panic("x86: constant " + c.Name + " twice in table " + name)
		}
		t.index[c.Name] = i
		for l, v := range c.Values(g.ISA.Lanes()) {
			g.DATA(t.vecBytes*i+4*l, operand.U32(v))
		}
	}
	return t
}

// Addr returns the memory operand of the constant name. It panics when the
// table has no such constant.
func (t *Table) Addr(name string) operand.Mem {
	i, ok := t.index[name]
	if !ok {
		panic("x86: no constant " + name)
	}
	return t.Mem.Offset(t.vecBytes * i)
}

// Operands returns the constants of the table as memory operands by name,
// the form the emitters of this package take their constants in (a caller
// may replace some with registers it loaded them into).
func (t *Table) Operands() Operands {
	k := Operands{}
	for name := range t.index {
		k[name] = t.Addr(name)
	}
	return k
}

// Operands holds the operand of each named constant an emitter uses: its
// memory operand in a Table or a register that holds it.
type Operands map[string]operand.Op

// Get returns the operand of the constant name. It panics when there is
// none.
func (k Operands) Get(name string) operand.Op {
	op, ok := k[name]
	if !ok {
		panic("x86: no operand for constant " + name)
	}
	return op
}

// InReg returns the constant name as a register: the register that holds
// it, or tmp after loading it there (for an operand position that takes no
// memory).
func (g *Gen) InReg(k Operands, name string, tmp reg.VecVirtual) operand.Op {
	op := k.Get(name)
	if r, ok := op.(reg.Register); ok {
		return r
	}
	g.VMOVUPS(op, tmp)
	return tmp
}

// A MaskTable is how AVX2 gets the mask of the first k lanes (VMASKMOVPS
// takes a vector whose lanes' sign bits select): N all-ones 32-bit lanes,
// then N zero lanes. The N lanes from lane N-k on are the mask of the first
// k of N lanes, and so are the vectors from there. (A level with opmasks
// builds its masks from a lane count instead.)
type MaskTable struct {
	Mem operand.Mem // the section
	N   int         // all-ones lanes, then as many zeros
}

// MaskValues returns the 2n lanes of a MaskTable of n all-ones lanes.
func MaskValues(n int) []uint32 {
	v := make([]uint32, 2*n)
	for l := range n {
		v[l] = 0xFFFFFFFF
	}
	return v
}

// MaskTable emits the data section name of a MaskTable of n all-ones lanes.
func (g *Gen) MaskTable(name string, n int) MaskTable {
	t := MaskTable{Mem: g.GLOBL(name, attr.RODATA|attr.NOPTR), N: n}
	for l, v := range MaskValues(n) {
		g.DATA(4*l, operand.U32(v))
	}
	return t
}

// Ptr emits p = the address of lane total-rem of the table, with o as
// scratch (o = total - rem): from there the table holds N-total+rem
// all-ones lanes, so the vectors at p mask the first rem lanes of total
// when total = N, and the first rem-(total-N) lanes of the last N when
// total > N.
func (t MaskTable) Ptr(g *Gen, p, o reg.Register, total int, rem reg.Register) {
	g.MOVQ(operand.U32(total), o)
	g.SUBQ(rem, o)
	g.LEAQ(t.Mem, p)
	g.LEAQ(operand.Mem{Base: p, Index: o, Scale: 4}, p)
}
