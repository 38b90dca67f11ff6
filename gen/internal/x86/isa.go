package x86

import (
	"fmt"
	"slices"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// An ISA describes an x86 vector instruction-set level to the generators:
// the width and number of its vector registers, the features its code may
// require, and the instructions that differ from one level to the next
// (allocating a vector register, masked loads and stores, blends,
// broadcasts), which a Gen emits through its methods. The generators are
// written against an ISA, so a new level is a new value of this type, not a
// copy of the generators.
//
// The levels are AVX2 and AVX512. AVX512 has 64-byte vectors, 32 registers
// and opmask registers (K1-K7): its masks come from a lane count (BZHI, then
// KMOVW) rather than a MaskTable.
type ISA struct {
	// Name names the level; the kernels' names end with it ("sigmoidAVX2").
	Name string
	// VecBytes is the width of a vector register in bytes.
	VecBytes int
	// Regs is the vector register budget. avo hands out registers past it
	// (Y16-Y31, which are AVX-512) when a kernel has more vectors live;
	// Check rejects them.
	Regs int
	// Features are the CPU features the level's code may require, as avo
	// names them in the "// Requires:" line above each function. Check
	// rejects a function that requires another one.
	Features []string
	// Opmasks says whether masks are opmask registers (K1-K7), or vectors
	// whose lanes' sign bits select, loaded from a MaskTable.
	Opmasks bool

	vec          func(*build.Context) reg.VecVirtual
	maskLoad     func(c *build.Context, src operand.Mem, mask operand.Op, dst reg.VecVirtual)
	maskStore    func(c *build.Context, src reg.VecVirtual, mask operand.Op, dst operand.Mem)
	blend        func(c *build.Context, mask, a, b operand.Op, dst reg.VecVirtual)
	mergeOdd     func(c *build.Context, odd, even operand.Op, dst reg.VecVirtual)
	broadcast    func(c *build.Context, src operand.Op, dst reg.VecVirtual)
	broadcastInt func(c *build.Context, src operand.Op, dst reg.VecVirtual)
}

// Lanes returns the number of float32 (or 32-bit integer) lanes of a
// vector register.
func (s *ISA) Lanes() int { return s.VecBytes / 4 }

// AVX2 is AVX2 with FMA3: 16 ymm registers of 8 float32 lanes; masks are
// vectors from a MaskTable, VMASKMOVPS loads and stores under them (the
// masked-off lanes are neither read nor written, so no fault past the end of
// a slice) and VBLENDVPS blends on their sign bits.
var AVX2 = &ISA{
	Name:     "AVX2",
	VecBytes: 32,
	Regs:     16,
	Features: []string{"AVX", "AVX2", "CMOV", "FMA3"},
	vec:      (*build.Context).YMM,
	maskLoad: func(c *build.Context, src operand.Mem, mask operand.Op, dst reg.VecVirtual) {
		c.VMASKMOVPS(src, mask, dst)
	},
	maskStore: func(c *build.Context, src reg.VecVirtual, mask operand.Op, dst operand.Mem) {
		c.VMASKMOVPS(src, mask, dst)
	},
	blend: func(c *build.Context, mask, a, b operand.Op, dst reg.VecVirtual) {
		c.VBLENDVPS(mask, a, b, dst)
	},
	mergeOdd: func(c *build.Context, odd, even operand.Op, dst reg.VecVirtual) {
		c.VPBLENDD(operand.U8(0xAA), odd, even, dst)
	},
	broadcast: func(c *build.Context, src operand.Op, dst reg.VecVirtual) {
		c.VBROADCASTSS(src, dst)
	},
	broadcastInt: func(c *build.Context, src operand.Op, dst reg.VecVirtual) {
		c.VPBROADCASTD(src, dst)
	},
}

// AVX512 is AVX-512 F+BW+DQ+VL with FMA: 32 zmm registers of 16 float32
// lanes and opmask registers. Masked loads zero the lanes not selected
// (VMOVUPS.Z) and masked stores leave them alone (VMOVUPS under a mask);
// neither touches memory in those lanes, so no fault past the end of a
// slice. Blends take an opmask, or a vector whose lanes' sign bits select
// (turned into one by VPMOVD2M).
var AVX512 = &ISA{
	Name:     "AVX512",
	VecBytes: 64,
	Regs:     32,
	Features: []string{"AVX", "AVX2", "AVX512BW", "AVX512DQ", "AVX512F", "AVX512VL", "BMI2", "CMOV", "FMA3", "MMX+"},
	Opmasks:  true,
	vec:      (*build.Context).ZMM,
	maskLoad: func(c *build.Context, src operand.Mem, mask operand.Op, dst reg.VecVirtual) {
		c.VMOVUPS_Z(src, mask, dst)
	},
	maskStore: func(c *build.Context, src reg.VecVirtual, mask operand.Op, dst operand.Mem) {
		c.VMOVUPS(src, mask, dst)
	},
	blend: func(c *build.Context, mask, a, b operand.Op, dst reg.VecVirtual) {
		k := opmask(c, mask)
		c.VBLENDMPS(a, b, k, dst) // dst = k ? a : b
	},
	mergeOdd: func(c *build.Context, odd, even operand.Op, dst reg.VecVirtual) {
		r, k := c.GP32(), c.K()
		c.MOVL(operand.U32(0xAAAA), r)
		c.KMOVW(r, k)
		c.VPBLENDMD(odd, even, k, dst)
	},
	broadcast: func(c *build.Context, src operand.Op, dst reg.VecVirtual) {
		c.VBROADCASTSS(src, dst)
	},
	broadcastInt: func(c *build.Context, src operand.Op, dst reg.VecVirtual) {
		c.VPBROADCASTD(src, dst)
	},
}

// opmask returns mask as an opmask register: itself, or the sign bits of a
// vector register.
func opmask(c *build.Context, mask operand.Op) operand.Op {
	if r, ok := mask.(reg.Register); ok && r.Kind() == reg.KindOpmask {
		return mask
	}
	k := c.K()
	c.VPMOVD2M(mask, k)
	return k
}

// TailMask sets k to the opmask of the first n lanes (0 ≤ n; n ≥ 16 gives
// all 16) of an AVX512 vector, with the scratch register t: BZHI of all
// ones, then KMOVW.
func (g *Gen) TailMask(n, t reg.GPVirtual, k reg.OpmaskVirtual) {
	t32 := t.As32()
	g.MOVL(operand.U32(0xFFFF), t32)
	g.BZHIL(n.As32(), t32, t32)
	g.KMOVW(t32, k)
}

// Check reports the first function of the compiled file f that steps
// outside the level: one that requires a feature not in s.Features, or uses
// a vector register past the budget s.Regs or wider than s.VecBytes.
func (s *ISA) Check(f *ir.File) error {
	for _, fn := range f.Functions() {
		for _, feat := range fn.ISA {
			if !slices.Contains(s.Features, feat) {
				return fmt.Errorf("%s: requires %s, which %s does not have", fn.Name, feat, s.Name)
			}
		}
		for _, i := range fn.Instructions() {
			for _, op := range i.Operands {
				for _, r := range operand.Registers(op) {
					p := reg.ToPhysical(r)
					if p == nil || r.Kind() != reg.KindVector {
						continue
					}
					if int(p.PhysicalIndex()) >= s.Regs {
						return fmt.Errorf("%s: %s uses %s, past the %d vector registers of %s", fn.Name, i.Opcode, r.Asm(), s.Regs, s.Name)
					}
					if int(r.Size()) > s.VecBytes {
						return fmt.Errorf("%s: %s uses %s, wider than the %d-byte vectors of %s", fn.Name, i.Opcode, r.Asm(), s.VecBytes, s.Name)
					}
				}
			}
		}
	}
	return nil
}
