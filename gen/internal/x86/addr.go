package x86

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Rows addresses the rows of a block of a row-major matrix with x86's
// base + index·scale forms, so that a loop over the block advances two
// pointers only: row 0 is at P, rows are LD bytes apart, Q is row 3
// (P + 3·LD, needed for more than 3 rows), and LD3, when not nil, holds
// 3·LD.
type Rows struct {
	P, Q, LD, LD3 reg.Register
}

// Row returns the address of row i of the block, disp bytes into the row.
// Without LD3 (tiles of up to 6 rows): rows 0-2 are P + LD·{0,1,2} and rows
// 3-5 Q + LD·{0,1,2}. With LD3 (blocks of up to 8 rows): rows 0-4 are P,
// P + LD, P + 2·LD, P + LD3 and P + 4·LD, rows 5-7 Q + 2·LD, Q + LD3 and
// Q + 4·LD.
func (r Rows) Row(i, disp int) operand.Mem {
	at := func(base, index reg.Register, scale uint8) operand.Mem {
		return operand.Mem{Base: base, Index: index, Scale: scale, Disp: disp}
	}
	if r.LD3 == nil {
		switch i {
		case 0:
			return operand.Mem{Base: r.P, Disp: disp}
		case 1, 2:
			return at(r.P, r.LD, uint8(i))
		case 3:
			return operand.Mem{Base: r.Q, Disp: disp}
		case 4, 5:
			return at(r.Q, r.LD, uint8(i-3))
		}
		panic("x86: row out of range")
	}
	switch i {
	case 0:
		return operand.Mem{Base: r.P, Disp: disp}
	case 1, 2, 4:
		return at(r.P, r.LD, uint8(i))
	case 3:
		return at(r.P, r.LD3, 1)
	case 5:
		return at(r.Q, r.LD, 2)
	case 6:
		return at(r.Q, r.LD3, 1)
	case 7:
		return at(r.Q, r.LD, 4)
	}
	panic("x86: row out of range")
}

// SetQ emits Q = P + 3·LD.
func (r Rows) SetQ(g *Gen) {
	g.LEAQ(operand.Mem{Base: r.P, Index: r.LD, Scale: 2}, r.Q)
	g.ADDQ(r.LD, r.Q)
}

// LoadRows emits the Rows of a tile of n rows of a row-major matrix, with
// new registers: P = the pointer in row plus colOff bytes, LD = the
// argument ld (elements) in bytes, and Q when n > 3.
func (g *Gen) LoadRows(n int, row operand.Mem, colOff reg.Register, ld string) Rows {
	r := Rows{P: g.GP64(), LD: g.GP64(), Q: g.GP64()}
	g.MOVQ(row, r.P)
	g.ADDQ(colOff, r.P)
	g.Load(g.Param(ld), r.LD)
	g.SHLQ(operand.U8(2), r.LD)
	if n > 3 {
		r.SetQ(g)
	}
	return r
}

// Panels addresses one row of a matrix packed in column panels (the
// layout of GemmPackB: panel q holds columns q·w to q·w+w-1, row-major, PS
// bytes after panel q-1): panel 0 of the row at P and, when more than two
// panels are used, panel 2 at P2 = P + 2·PS. A row of a panel is Vecs
// vectors of VecBytes.
type Panels struct {
	P, P2, PS reg.Register
	Vecs      int
	VecBytes  int
}

// Panels returns the Panels of w-float32-wide panels for the level.
func (g *Gen) Panels(p, p2, ps reg.Register, w int) Panels {
	return Panels{P: p, P2: p2, PS: ps, Vecs: 4 * w / g.ISA.VecBytes, VecBytes: g.ISA.VecBytes}
}

// Vec returns the address of vector h of the row, which is vector h%Vecs
// of panel h/Vecs (panels 0-3), disp bytes into the panel.
func (p Panels) Vec(h, disp int) operand.Mem {
	disp += p.VecBytes * (h % p.Vecs)
	switch h / p.Vecs {
	case 0:
		return operand.Mem{Base: p.P, Disp: disp}
	case 1:
		return operand.Mem{Base: p.P, Index: p.PS, Scale: 1, Disp: disp}
	case 2:
		return operand.Mem{Base: p.P2, Disp: disp}
	case 3:
		return operand.Mem{Base: p.P2, Index: p.PS, Scale: 1, Disp: disp}
	}
	panic("x86: panel out of range")
}
