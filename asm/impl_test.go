package asm

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain says which level the exported functions run, and which levels
// the per-level tests cover.
func TestMain(m *testing.M) {
	fmt.Fprintf(os.Stderr, "asm: %s; levels tested: %v\n", Features(), Supported())
	os.Exit(m.Run())
}

// eachImpl runs f as a subtest once per level this machine supports, the
// way Go's crypto packages test every registered implementation: a new
// level is tested by every test that uses eachImpl without touching it.
func eachImpl(t *testing.T, f func(t *testing.T, im *Impl)) {
	t.Helper()
	for _, im := range Supported() {
		t.Run("isa="+im.name, func(t *testing.T) { f(t, im) })
	}
}

// asmImpls returns the supported assembly levels (for the tests that hold an
// assembly kernel to its exact twin).
func asmImpls() []*Impl {
	var s []*Impl
	for _, im := range Supported() {
		if im.Accelerated() {
			s = append(s, im)
		}
	}
	return s
}

func TestImplRegistry(t *testing.T) {
	all := Impls()
	if len(all) == 0 || all[len(all)-1] != genericImpl {
		t.Fatalf("Impls() = %v, want generic last", all)
	}
	seen := map[string]bool{}
	for _, im := range all {
		if seen[im.name] {
			t.Errorf("level %q registered twice", im.name)
		}
		seen[im.name] = true
		mr, nr := im.Tile()
		if mr < 1 || mr > maxTileMR || nr < 8 || nr > maxTileNR || nr%8 != 0 {
			t.Errorf("%s: tile %d×%d outside the Go twin's bounds", im.name, mr, nr)
		}
		if im.supported {
			if got, err := Lookup(im.name); err != nil || got != im {
				t.Errorf("Lookup(%q) = %v, %v", im.name, got, err)
			}
		} else if _, err := Lookup(im.name); !errors.Is(err, ErrISA) {
			t.Errorf("Lookup(%q) of an unsupported level: %v, want ErrISA", im.name, err)
		}
	}
	if _, err := Lookup("sse9"); !errors.Is(err, ErrISA) || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("Lookup(sse9) = %v, want an unknown-level error", err)
	}
	if s := Supported(); s[0] != Current() && os.Getenv(ISAEnv) == "" {
		t.Errorf("Current() = %v, want the best supported %v", Current(), s[0])
	}
}

func TestChooseEnv(t *testing.T) {
	best := Supported()[0]
	if im, err := choose(""); im != best || err != nil {
		t.Errorf("choose(\"\") = %v, %v; want %v", im, err, best)
	}
	if im, err := choose("generic"); im != genericImpl || err != nil {
		t.Errorf("choose(generic) = %v, %v", im, err)
	}
	im, err := choose("nonesuch")
	if im != best || !errors.Is(err, ErrISA) || !strings.HasPrefix(err.Error(), ISAEnv+"=nonesuch: ") {
		t.Errorf("choose(nonesuch) = %v, %v; want %v and a BOLTZ_ISA error", im, err, best)
	}
	if os.Getenv(ISAEnv) == "" && EnvError() != nil {
		t.Errorf("EnvError() = %v with %s unset", EnvError(), ISAEnv)
	}
}

// gemmRaw runs level im's GEMM kernel on g without the argument checks.
func (im *Impl) gemmRaw(g *GemmArgs) { im.gemm(*g) }
