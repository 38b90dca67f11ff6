package x86

import (
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Rows addresses the rows of a block of a row-major matrix with x86's
// base + index·scale forms, so that a loop over the block advances two
// pointers only (four for more than 6 rows): row 0 is at P, rows are LD
// bytes apart, Q is row 3 (P + 3·LD, needed for more than 3 rows), R row 6
// and S row 9 (for blocks of up to 9 and 12 rows, without LD3), and LD3,
// when not nil, holds 3·LD.
type Rows struct {
	P, Q, LD, LD3 reg.Register
	R, S          reg.Register
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
		case 6, 7, 8:
			if r.R == nil {
				break
			}
			if i == 6 {
				return operand.Mem{Base: r.R, Disp: disp}
			}
			return at(r.R, r.LD, uint8(i-6))
		case 9, 10, 11:
			if r.S == nil {
				break
			}
			if i == 9 {
				return operand.Mem{Base: r.S, Disp: disp}
			}
			return at(r.S, r.LD, uint8(i-9))
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

// SetQ emits Q = P + 3·LD, and R = Q + 3·LD and S = R + 3·LD when they are
// set.
func (r Rows) SetQ(g *Gen) {
	g.LEAQ(operand.Mem{Base: r.P, Index: r.LD, Scale: 2}, r.Q)
	g.ADDQ(r.LD, r.Q)
	for _, p := range [][2]reg.Register{{r.Q, r.R}, {r.R, r.S}} {
		if p[1] != nil {
			g.LEAQ(operand.Mem{Base: p[0], Index: r.LD, Scale: 2}, p[1])
			g.ADDQ(r.LD, p[1])
		}
	}
}

// LoadRows emits the Rows of a tile of n rows of a row-major matrix, with
// new registers: P = the pointer in row plus colOff bytes, LD = the
// argument ld (elements) in bytes, Q when n > 3, R when n > 6 and S when
// n > 9.
func (g *Gen) LoadRows(n int, row operand.Mem, colOff reg.Register, ld string) Rows {
	return g.LoadRowsAt(n, row, colOff, ld, 0)
}

// LoadRowsAt is LoadRows for rows first to first+n of the matrix whose row
// 0 is at row (plus colOff bytes): P = row + colOff + first·LD.
func (g *Gen) LoadRowsAt(n int, row operand.Mem, colOff reg.Register, ld string, first int) Rows {
	r := Rows{P: g.GP64(), LD: g.GP64(), Q: g.GP64()}
	if n > 6 {
		r.R = g.GP64()
	}
	if n > 9 {
		r.S = g.GP64()
	}
	g.MOVQ(row, r.P)
	g.ADDQ(colOff, r.P)
	g.Load(g.Param(ld), r.LD)
	g.SHLQ(operand.U8(2), r.LD)
	if first > 0 {
		g.IMUL3Q(operand.U32(uint32(first)), r.LD, r.Q) // Q as a temporary: first·LD
		g.ADDQ(r.Q, r.P)
	}
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
