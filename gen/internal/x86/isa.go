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
// AVX2 is the only level today. An AVX-512 level would set VecBytes 64,
// Regs 32, Features to the AVX512F (and friends) names avo uses, vec to
// (*build.Context).ZMM, Opmasks to true, and the mask operations to their
// opmask forms (VMOVUPS.Z and VMOVUPS under K1-K7 for masked loads and
// stores, VBLENDMPS and VPBLENDMD for blends); its masks would come from a
// lane count (an opmask register) rather than a MaskTable.
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
