// Package gentest checks a generator's output against the files committed
// in ../asm, in memory: the tests of gen/ never write into asm/.
package gentest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boltzgo/boltz/gen/internal/x86"
	"github.com/mmcloughlin/avo/printer"
)

// Config returns the printer configuration gen/generate.sh gives the
// generator name at level isa: its "Code generated" line names the command
//
//	go run main.go -out ../asm/<file>_amd64.s -stubs ../asm/<file>_amd64.go -pkg asm [-isa LEVEL]
//
// with file = x86.FileName(name, isa) (-isa for levels other than AVX2).
func Config(name string, isa *x86.ISA) printer.Config {
	file := x86.FileName(name, isa)
	argv := []string{"go", "run", "main.go",
		"-out", "../asm/" + file + "_amd64.s",
		"-stubs", "../asm/" + file + "_amd64.go",
		"-pkg", "asm"}
	if isa != x86.AVX2 {
		argv = append(argv, "-isa", isa.Name)
	}
	return printer.Config{Argv: argv, Pkg: "asm"}
}

// Committed checks that the generator name (its test runs in gen/<name>)
// builds with body for isa into exactly the committed files
// asm/<file>_amd64.s and asm/<file>_amd64.go, file = x86.FileName(name, isa).
func Committed(t *testing.T, name string, isa *x86.ISA, body func(*x86.Gen)) {
	t.Helper()
	asm, stubs, err := x86.Generate(isa, Config(name, isa), body)
	name = x86.FileName(name, isa)
	if err != nil {
		t.Fatalf("generate %s: %v", name, err)
	}
	for _, f := range []struct {
		path string
		got  []byte
	}{
		{filepath.Join("..", "..", "asm", name+"_amd64.s"), asm},
		{filepath.Join("..", "..", "asm", name+"_amd64.go"), stubs},
	} {
		want, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if d := Diff(f.got, want); d != "" {
			t.Errorf("%s differs from a regeneration (run sh gen/generate.sh): %s", f.path, d)
		}
	}
}

// Diff describes the first line where got and want differ, or returns ""
// when they are equal.
func Diff(got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if i >= len(g) || i >= len(w) || gl != wl {
			return fmt.Sprintf("line %d: generated %q, committed %q (%d and %d lines)", i+1, gl, wl, len(g), len(w))
		}
	}
	return "same lines, different bytes"
}
