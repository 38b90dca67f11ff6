package x86

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/reg"
)

func TestConstValues(t *testing.T) {
	if got := Splat("a", 7).Values(8); !slices.Equal(got, []uint32{7, 7, 7, 7, 7, 7, 7, 7}) {
		t.Errorf("Splat: %v", got)
	}
	if got := SplatF("a", -2).Values(4); !slices.Equal(got, []uint32{0xC0000000, 0xC0000000, 0xC0000000, 0xC0000000}) {
		t.Errorf("SplatF: %#x", got)
	}
	if got := PerLane("a", 1, 2, 3, 4).Values(4); !slices.Equal(got, []uint32{1, 2, 3, 4}) {
		t.Errorf("PerLane: %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("an 8-lane constant in a 16-lane vector does not panic")
		}
	}()
	PerLane("a", 0, 1, 2, 3, 4, 5, 6, 7).Values(16)
}

// globals returns the data sections of f by name, as 32-bit words.
func globals(t *testing.T, f *ir.File) map[string][]uint32 {
	gs := map[string][]uint32{}
	for _, s := range f.Sections {
		if g, ok := s.(*ir.Global); ok {
			w := make([]uint32, g.Size/4)
			for _, d := range g.Data {
				w[d.Offset/4] = uint32(constValue(t, d.Value))
			}
			if g.Attributes != attr.RODATA|attr.NOPTR {
				t.Errorf("%s: attributes %v", g.Symbol.Name, g.Attributes)
			}
			gs[g.Symbol.Name] = w
		}
	}
	return gs
}

func TestTable(t *testing.T) {
	g := New(AVX2)
	cs := []Const{Splat("a", 1), PerLane("b", 0, 1, 2, 3, 4, 5, 6, 7), SplatF("c", 1)}
	tab := g.Table("tab", cs...)
	for i, c := range cs {
		if a := tab.Addr(c.Name); a.Symbol != tab.Mem.Symbol || a.Disp != 32*i {
			t.Errorf("Addr(%s) = %v, want %v+%d", c.Name, a, tab.Mem, 32*i)
		}
		if op := tab.Operands()[c.Name]; op != tab.Addr(c.Name) {
			t.Errorf("Operands()[%s] = %v", c.Name, op)
		}
	}
	g.MaskTable("mask", 8)
	f, err := g.Result()
	if err != nil {
		t.Fatal(err)
	}
	gs := globals(t, f)
	var want []uint32
	for _, c := range cs {
		want = append(want, c.Values(8)...)
	}
	if !slices.Equal(gs["tab"], want) {
		t.Errorf("tab holds %#x, want %#x", gs["tab"], want)
	}
	if !slices.Equal(gs["mask"], MaskValues(8)) {
		t.Errorf("mask holds %#x, want %#x", gs["mask"], MaskValues(8))
	}
	for _, bad := range []func(){
		func() { tab.Addr("d") },
		func() { g.Table("dup", Splat("a", 1), Splat("a", 2)) },
		func() { Operands{}.Get("a") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			bad()
		}()
	}
}

// TestMaskValues checks the tail-mask table: N ones then N zeros, so that
// the N lanes from lane N-k hold k leading ones for every k.
func TestMaskValues(t *testing.T) {
	for _, n := range []int{8, 16} {
		v := MaskValues(n)
		if len(v) != 2*n {
			t.Fatalf("MaskValues(%d) has %d lanes", n, len(v))
		}
		for k := 0; k <= n; k++ {
			for l, m := range v[n-k : 2*n-k] {
				if want := l < k; (m == 0xFFFFFFFF) != want || m != 0 && m != 0xFFFFFFFF {
					t.Errorf("MaskValues(%d): the mask of %d lanes has lane %d = %#x", n, k, l, m)
				}
			}
		}
	}
}

// sourceConsts returns the values of the constants declared in the Go file
// path (relative to the gen module's parent, the repository root) whose
// names keep returns a key for.
func sourceConsts(t *testing.T, path string, keep func(name string) string) map[string]constant.Value {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "..", "..", path), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	vs := map[string]constant.Value{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs1 := s.(*ast.ValueSpec)
			for i, n := range vs1.Names {
				k := keep(n.Name)
				if k == "" {
					continue
				}
				vs[k] = eval(t, vs1.Values[i])
			}
		}
	}
	return vs
}

// eval returns the value of a constant expression of literals, signs and
// parentheses.
func eval(t *testing.T, e ast.Expr) constant.Value {
	switch e := e.(type) {
	case *ast.BasicLit:
		return constant.MakeFromLiteral(e.Value, e.Kind, 0)
	case *ast.UnaryExpr:
		return constant.UnaryOp(e.Op, eval(t, e.X), 0)
	case *ast.ParenExpr:
		return eval(t, e.X)
	}
	t.Fatalf("constant expression %T", e)
	return nil
}

// TestSigmoidConstsMatchAsm compares the sigmoid's constants with the sig*
// constants of Sigmoid1 in asm/sigmoid.go, one for one.
func TestSigmoidConstsMatchAsm(t *testing.T) {
	src := sourceConsts(t, "asm/sigmoid.go", func(n string) string {
		if !strings.HasPrefix(n, "sig") || len(n) < 4 {
			return ""
		}
		return strings.ToLower(n[3:4]) + n[4:] // sigMagicBias: magicBias
	})
	lib := []Const{SigMagicBias, SigMinusLog2E, SigLn2Hi, SigLn2Lo, SigC5, SigC4, SigC3, SigC2, SigC1, SigUnscale, SigZeroLimit}
	if len(src) != len(lib) {
		t.Errorf("asm/sigmoid.go has %d sig constants, x86 %d", len(src), len(lib))
	}
	for _, c := range lib {
		v, ok := src[c.Name]
		if !ok {
			t.Errorf("asm/sigmoid.go has no constant for %s", c.Name)
			continue
		}
		f, _ := constant.Float32Val(v)
		if u32(f) != c.Lanes[0] || len(c.Lanes) != 1 {
			t.Errorf("%s: x86 has %#x, asm/sigmoid.go %#x (%g)", c.Name, c.Lanes, u32(f), f)
		}
	}
	// The three the kernels add.
	if SigAbsMask.Lanes[0] != math.MaxInt32 || f32(SigOne.Lanes[0]) != 1 ||
		f32(SigTwoTo64.Lanes[0])*f32(SigUnscale.Lanes[0]) != 1 {
		t.Errorf("absMask %#x, one %g, twoTo64 %g", SigAbsMask.Lanes, f32(SigOne.Lanes[0]), f32(SigTwoTo64.Lanes[0]))
	}
}

// TestPhiloxConstsMatchRng compares Philox's constants with m0, m1, w0 and
// w1 in rng/philox.go.
func TestPhiloxConstsMatchRng(t *testing.T) {
	src := sourceConsts(t, "rng/philox.go", func(n string) string {
		if slices.Contains([]string{"m0", "m1", "w0", "w1"}, n) {
			return n
		}
		return ""
	})
	for _, c := range []Const{PhiloxM0, PhiloxM1, PhiloxW0, PhiloxW1} {
		v, ok := constant.Uint64Val(src[c.Name])
		if !ok || uint32(v) != c.Lanes[0] || len(c.Lanes) != 1 {
			t.Errorf("%s: x86 has %#x, rng/philox.go %v", c.Name, c.Lanes, src[c.Name])
		}
	}
}

// TestCheck checks that ISA.Check rejects what AVX2 code must not use:
// registers past Y15, zmm registers, AVX-512 instructions.
func TestCheck(t *testing.T) {
	if AVX2.Lanes() != 8 || AVX2.Regs != 16 || AVX2.VecBytes != 32 || AVX2.Opmasks {
		t.Errorf("AVX2: %d lanes, %d registers, %d bytes, opmasks %v", AVX2.Lanes(), AVX2.Regs, AVX2.VecBytes, AVX2.Opmasks)
	}
	for _, c := range []struct {
		name string
		body func(g *Gen)
		want string // in the error; "" for none
	}{
		{"ymm", func(g *Gen) { x := g.Vec(); g.VXORPS(x, x, x); g.VADDPS(x, x, x) }, ""},
		{"Y16", func(g *Gen) { g.VADDPS(reg.Y16, reg.Y0, reg.Y0) }, "Y16"},
		{"zmm", func(g *Gen) { x := g.ZMM(); g.VXORPS(x, x, x); g.VADDPS(x, x, x) }, "requires AVX512"},
		{"17 vectors", func(g *Gen) {
			var xs []reg.VecVirtual
			for range 17 {
				x := g.Vec()
				g.VXORPS(x, x, x)
				xs = append(xs, x)
			}
			for _, x := range xs {
				g.VADDPS(x, xs[0], xs[0])
			}
		}, "past the 16 vector registers"},
	} {
		_, err := Compile(AVX2, func(g *Gen) {
			g.TEXT("f", attr.NOSPLIT, "func()")
			c.body(g)
			g.VZEROUPPER()
			g.RET()
		})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
}
