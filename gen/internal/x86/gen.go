// Package x86 is the library every boltz generator in gen/ builds on: the
// description of an instruction-set level (ISA, with the AVX2 parameter
// set), a Gen that emits into an avo build context for one level, tables of
// vector constants and tail masks, the rr2-p5 sigmoid, the Philox4x32-10
// rounds, the row and panel addressing of row-major and packed matrices,
// and Main and Generate, which compile, check and print a generator's file.
//
// The Go references of what the emitters compute are in ../asm: Sigmoid1 in
// asm/sigmoid.go, rng.Block in rng/philox.go.
package x86

import (
	"flag"
	"log"
	"os"
	"strings"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	"github.com/mmcloughlin/avo/ir"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/printer"
	"github.com/mmcloughlin/avo/reg"
)

// A Gen emits the functions and data of one generated file for one ISA
// level. It is an avo build context (every instruction is a method:
// g.VFMADD231PS(b, a, acc), in Go's operand order, adds a·b to acc) with
// the operations that differ between levels on top.
type Gen struct {
	*build.Context
	ISA *ISA
}

// New returns a Gen with a fresh build context for isa.
func New(isa *ISA) *Gen {
	return &Gen{Context: build.NewContext(), ISA: isa}
}

// TEXT starts the function name with attributes a and the Go signature
// signature, as avo's global TEXT does.
func (g *Gen) TEXT(name string, a attr.Attribute, signature string) {
	g.Function(name)
	g.Attributes(a)
	g.SignatureExpr(signature)
}

// GLOBL starts a static data section, as avo's global GLOBL does.
func (g *Gen) GLOBL(name string, a attr.Attribute) operand.Mem {
	m := g.StaticGlobal(name)
	g.DataAttributes(a)
	return m
}

// DATA adds v at offset bytes into the active data section.
func (g *Gen) DATA(offset int, v operand.Constant) { g.AddDatum(offset, v) }

// ParamAddr returns the memory operand of the argument name of the active
// function (for instructions that read it in place, such as a broadcast).
func (g *Gen) ParamAddr(name string) operand.Mem {
	return mustResolve(g.Param(name))
}

func mustResolve(c gotypes.Component) operand.Mem {
	b, err := c.Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// Vec allocates a vector register of the level's width (a ymm for AVX2).
func (g *Gen) Vec() reg.VecVirtual { return g.ISA.vec(g.Context) }

// Zero sets v to all zero bits (VXORPS for AVX2, VPXORD for AVX512, whose
// VXORPS would need AVX512DQ). Zero accumulators once, before a loop: avo
// does not take a xor of a register with itself for a fresh value, so a
// zeroing inside a loop keeps the register live across its back edge.
func (g *Gen) Zero(v reg.VecVirtual) {
	if g.ISA.Opmasks {
		g.VPXORD(v, v, v)
		return
	}
	g.VXORPS(v, v, v)
}

// MaskLoad loads the lanes of src that mask selects into dst and zeros the
// others; the lanes not selected are not read.
func (g *Gen) MaskLoad(src operand.Mem, mask operand.Op, dst reg.VecVirtual) {
	g.ISA.maskLoad(g.Context, src, mask, dst)
}

// MaskStore stores the lanes of src that mask selects at dst; the others
// are not written.
func (g *Gen) MaskStore(src reg.VecVirtual, mask operand.Op, dst operand.Mem) {
	g.ISA.maskStore(g.Context, src, mask, dst)
}

// Blend sets dst to a in the lanes that mask selects and to b in the others
// (with a vector mask, the lanes whose sign bit is set).
func (g *Gen) Blend(mask, a, b operand.Op, dst reg.VecVirtual) {
	g.ISA.blend(g.Context, mask, a, b, dst)
}

// MergeOdd sets dst to the odd 32-bit lanes of odd and the even lanes of
// even.
func (g *Gen) MergeOdd(odd, even operand.Op, dst reg.VecVirtual) {
	g.ISA.mergeOdd(g.Context, odd, even, dst)
}

// Broadcast sets every lane of dst to the float32 src (memory, or lane 0
// of a register).
func (g *Gen) Broadcast(src operand.Op, dst reg.VecVirtual) {
	g.ISA.broadcast(g.Context, src, dst)
}

// BroadcastInt sets every lane of dst to the 32-bit integer src (memory,
// or lane 0 of an xmm register).
func (g *Gen) BroadcastInt(src operand.Op, dst reg.VecVirtual) {
	g.ISA.broadcastInt(g.Context, src, dst)
}

// Compile builds a file with body into a new Gen for isa, compiles it
// (register allocation included) and checks it against isa (ISA.Check).
func Compile(isa *ISA, body func(*Gen)) (*ir.File, error) {
	g := New(isa)
	body(g)
	f, err := g.Result()
	if err != nil {
		return nil, err
	}
	if err := pass.Compile.Execute(f); err != nil {
		return nil, err
	}
	return f, isa.Check(f)
}

// Generate compiles a file as Compile does and returns it printed as Go
// assembly and as Go stubs under cfg (cfg.Pkg names the package, cfg.Argv
// the command in the "Code generated" line).
func Generate(isa *ISA, cfg printer.Config, body func(*Gen)) (asm, stubs []byte, err error) {
	f, err := Compile(isa, body)
	if err != nil {
		return nil, nil, err
	}
	if asm, err = printer.NewGoAsm(cfg).Print(f); err != nil {
		return nil, nil, err
	}
	if stubs, err = printer.NewStubs(cfg).Print(f); err != nil {
		return nil, nil, err
	}
	return asm, stubs, nil
}

// Main is a generator's main function. It takes avo's flags (-out, the
// assembly file, standard output by default; -stubs, the Go stub file;
// -pkg, the package name, the directory's name by default), runs Generate
// and writes the files, or prints the errors and exits with status 1; the
// files are written only when the whole file generated.
//
// A generator with several levels lists them all (the first is the
// default): -isa chooses the level to generate, and -list prints their
// names, one a line, for gen/generate.sh. body sees the level in g.ISA.
func Main(body func(*Gen), isas ...*ISA) {
	fs := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	out := fs.String("out", "", "assembly output `file` (default standard output)")
	stubs := fs.String("stubs", "", "Go stub `file`")
	pkg := fs.String("pkg", "", "package name (default the current directory's name)")
	level := fs.String("isa", isas[0].Name, "instruction-set `level` to generate")
	list := fs.Bool("list", false, "print the levels this generator has, and exit")
	fs.Parse(os.Args[1:])
	if *list {
		for _, s := range isas {
			os.Stdout.WriteString(s.Name + "\n")
		}
		return
	}
	var isa *ISA
	for _, s := range isas {
		if strings.EqualFold(s.Name, *level) {
			isa = s
		}
	}
	if isa == nil {
		log.Fatalf("no level %q in this generator", *level)
	}
	cfg := printer.NewGoRunConfig()
	if *pkg != "" {
		cfg.Pkg = *pkg
	}
	a, s, err := Generate(isa, cfg, body)
	if err == nil && *out == "" {
		_, err = os.Stdout.Write(a)
	} else if err == nil {
		err = os.WriteFile(*out, a, 0o666)
	}
	if err == nil && *stubs != "" {
		err = os.WriteFile(*stubs, s, 0o666)
	}
	if err != nil {
		build.LogError(log.New(os.Stderr, "", 0), err, 0)
		os.Exit(1)
	}
}

// FileName returns the base name (no extension, no _amd64) of the files a
// generator writes for a level: the generator's name for AVX2 (the first
// level, whose files keep their names), name_<level> for the others
// ("gemm_avx512").
func FileName(name string, isa *ISA) string {
	if isa == AVX2 {
		return name
	}
	return name + "_" + strings.ToLower(isa.Name)
}
