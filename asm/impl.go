package asm

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// ISAEnv is the environment variable that forces an implementation level at
// start: BOLTZ_ISA=generic runs the pure-Go twins, BOLTZ_ISA=avx2 demands the
// AVX2/FMA3 assembly. An unknown level, or one this CPU cannot run, is an
// error (see EnvError); the kernels then run the best level available.
const ISAEnv = "BOLTZ_ISA"

// ErrISA reports an unknown implementation level, or one this CPU or build
// cannot run.
var ErrISA = errors.New("instruction set level")

// Impl is one implementation level of every kernel of the package: the
// pure-Go twins ("generic"), or the assembly for one instruction set
// ("avx2"). The levels are registered in one list, best first (see Impls);
// one of them is chosen at init (see Current) and runs behind the exported
// functions. An Impl's own methods run that level whatever was chosen, which
// is how the tests compare every level with its twin and how a backend can
// pin one.
//
// The GEMM operand layouts depend on the level's register tile (see Tile):
// pack and multiply with the same Impl.
type Impl struct {
	name      string
	about     string // what runs, for logs: "AVX2+FMA3 assembly"
	mr, nr    int    // the GEMM register tile
	supported bool   // this CPU (and OS) runs it
	why       string // why not, when !supported

	gemm        func(g GemmArgs)                              // checked arguments, by value: a pointer would escape
	pack        packers                                       // GEMM packing cores for this tile
	sigmoid     func(dst, src []float32)                      // len(dst) ≥ len(src)
	direct      func(dst, src []float32)                      // the line-by-line sigmoid (tests)
	biasSigmoid func(dst, src, bias []float32)                // checked lengths
	matVec      func(y, w []float32, ldw int, x, c []float32) // checked
	matTVec     func(y, w []float32, ldw int, h, b []float32) // checked
	fma         func(n int)                                   // n ≤ fmaPeakChunk iterations
	fmaFlops    int                                           // flops of one fma iteration
}

// Name returns the level's name, as BOLTZ_ISA spells it.
func (im *Impl) Name() string { return im.name }

// String returns the name.
func (im *Impl) String() string { return im.name }

// About says what the level runs, for logs and reports.
func (im *Impl) About() string { return im.about }

// Supported reports whether this CPU and build run the level.
func (im *Impl) Supported() bool { return im.supported }

// Tile returns the register tile of the level's GEMM micro-kernel: mr rows
// of A times nr columns of B. Packed A comes in panels of mr rows, packed B
// in panels of nr columns.
func (im *Impl) Tile() (mr, nr int) { return im.mr, im.nr }

// Accelerated reports whether the level runs assembly (every level but
// generic).
func (im *Impl) Accelerated() bool { return im != genericImpl }

// impls lists every level compiled in, best first; generic is last and
// always supported.
var impls = append(archImpls(), genericImpl)

// cur is the level the exported functions run; envErr is the error of
// $BOLTZ_ISA, if any.
var cur, envErr = choose(os.Getenv(ISAEnv))

// choose returns the level named by env, or the best supported one when env
// is empty (or wrong, with the error).
func choose(env string) (*Impl, error) {
	best := genericImpl
	for _, im := range impls {
		if im.supported {
			best = im
			break
		}
	}
	if env == "" {
		return best, nil
	}
	im, err := Lookup(env)
	if err != nil {
		return best, fmt.Errorf("%s=%s: %w", ISAEnv, env, err)
	}
	return im, nil
}

// Impls returns every level compiled into this build, best first, whether
// this CPU runs it or not.
func Impls() []*Impl { return append([]*Impl(nil), impls...) }

// Supported returns the levels this CPU runs, best first; generic is always
// among them.
func Supported() []*Impl {
	var s []*Impl
	for _, im := range impls {
		if im.supported {
			s = append(s, im)
		}
	}
	return s
}

// Lookup returns the level called name, or an error wrapping ErrISA when no
// such level is compiled in or this CPU cannot run it.
func Lookup(name string) (*Impl, error) {
	var names []string
	for _, im := range impls {
		if im.name == name {
			if !im.supported {
				return nil, fmt.Errorf("%w %q cannot run here: %s", ErrISA, name, im.why)
			}
			return im, nil
		}
		names = append(names, im.name)
	}
	return nil, fmt.Errorf("%w %q is unknown (known: %s)", ErrISA, name, strings.Join(names, ", "))
}

// Current returns the level the exported functions run: the one $BOLTZ_ISA
// names, else the best this CPU supports. It is chosen once, at init.
func Current() *Impl { return cur }

// EnvError returns the error of $BOLTZ_ISA (unknown, or not supported here),
// or nil. Callers that must not silently run another level than the one
// asked for (the engine's constructors) fail with it.
func EnvError() error { return envErr }

// Accelerated reports whether the exported functions run assembly, that is
// whether Current is not the generic level.
func Accelerated() bool { return cur.Accelerated() }

// Features describes, for logs and benchmark reports, the level in use and
// why, for example "avx2: AVX2+FMA3 assembly (AMD EPYC 7B13), the best
// supported" or "generic: pure Go (forced by BOLTZ_ISA=generic)".
func Features() string { return features(cur) }

func features(im *Impl) string {
	why := "the best supported"
	if env := os.Getenv(ISAEnv); env != "" && envErr == nil {
		why = "forced by " + ISAEnv + "=" + env
	}
	return fmt.Sprintf("%s: %s (%s; %s)", im.name, im.about, cpuName(), why)
}

// cpuName is the CPU's brand name, or "unknown CPU".
func cpuName() string {
	if n := cpuid.CPU.BrandName; n != "" {
		return n
	}
	return "unknown CPU"
}

// genericImpl is the pure-Go level: the twins of every assembly kernel, on
// the same 6×16 tile as avx2 so that the two read the same packed operands.
var genericImpl = newGeneric("generic", 6, 16)

// newGeneric returns a pure-Go level on the tile mr×nr.
func newGeneric(name string, mr, nr int) *Impl {
	return &Impl{
		name: name, about: "pure Go", mr: mr, nr: nr, supported: true,
		gemm:        goGemm(mr, nr),
		pack:        genericPackers(mr, nr),
		sigmoid:     SigmoidGeneric,
		direct:      SigmoidGeneric,
		biasSigmoid: BiasSigmoidGeneric,
		matVec:      SigmoidMatVecGeneric,
		matTVec:     SigmoidMatTVecGeneric,
		fma:         fmaPeakGeneric,
		fmaFlops:    FMAPeakFlopsPerIter,
	}
}

// Twin returns the pure-Go twin of level im: the generic code on im's tile,
// so that it reads and writes im's operand layouts. The tests hold every
// level to its twin; generic is its own twin.
func (im *Impl) Twin() *Impl {
	if im.mr == genericImpl.mr && im.nr == genericImpl.nr {
		return genericImpl
	}
	return newGeneric("generic-"+im.name, im.mr, im.nr)
}
