// Package backends is the registry of boltz's built-in compute backends:
// the assembly backend ("asm", on the best asm level this CPU runs, or the
// one $BOLTZ_ISA names), the pure-Go one ("generic") and the one on gonum's
// BLAS ("gonum"). The engine chooses its default kernel here, by name,
// without naming any backend type; a third-party backend needs no
// registration (engine.WithKernel takes any kernel.Kernel).
package backends

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/boltzgo/boltz/asm"
	"github.com/boltzgo/boltz/asmkernel"
	"github.com/boltzgo/boltz/generickernel"
	"github.com/boltzgo/boltz/gonumkernel"
	"github.com/boltzgo/boltz/kernel"
)

// Env is the environment variable that forces a backend at start
// (BOLTZ_KERNEL=generic, asm, asm/avx2, gonum); the asm level is chosen with
// asm.ISAEnv (BOLTZ_ISA).
const Env = "BOLTZ_KERNEL"

// ErrKernel reports an unknown backend name, or one that cannot run here.
var ErrKernel = errors.New("kernel")

// entry is one built-in backend.
type entry struct {
	name, about string
	make        func() (kernel.Kernel, error)
}

// registry lists the built-in backends, in the order Names gives them.
var registry = []entry{
	{asmkernel.Name, "GEMMs on package asm's micro-kernels at the best asm level (or $BOLTZ_ISA's)",
		func() (kernel.Kernel, error) { return asmkernel.Default() }},
	{generickernel.Name, "plain Go loops", func() (kernel.Kernel, error) { return generickernel.Kernel{}, nil }},
	{"gonum", "gonum's blas32 Sgemm (its pure-Go BLAS unless blas32.Use chose another)",
		func() (kernel.Kernel, error) { return gonumkernel.Kernel{}, nil }},
}

// Names returns the names of the built-in backends; "asm/<level>" (for
// example asm/avx2, asm/generic) pins the assembly backend to one of the
// asm levels this CPU supports.
func Names() []string {
	var names []string
	for _, e := range registry {
		names = append(names, e.name)
	}
	return names
}

// About returns a line on the backend called name, or "".
func About(name string) string {
	for _, e := range registry {
		if e.name == name {
			return e.about
		}
	}
	return ""
}

// ByName returns the built-in backend called name: one of Names, or
// "asm/<level>" for the assembly backend pinned to an asm level ("avx2",
// the name of the assembly kernel of earlier versions, means asm/avx2). The
// error wraps ErrKernel (and asm.ErrISA for a level).
func ByName(name string) (kernel.Kernel, error) {
	if name == "avx2" {
		name = "asm/avx2"
	}
	if lvl, ok := strings.CutPrefix(name, asmkernel.Name+"/"); ok {
		im, err := asm.Lookup(lvl)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %w", ErrKernel, name, err)
		}
		return asmkernel.New(im), nil
	}
	for _, e := range registry {
		if e.name == name {
			k, err := e.make()
			if err != nil {
				return nil, fmt.Errorf("%w %q: %w", ErrKernel, name, err)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w %q is unknown (known: %s, or asm/<level> with a level of %s)",
		ErrKernel, name, strings.Join(Names(), ", "), levelNames())
}

// levelNames lists the asm levels this CPU runs.
func levelNames() string { return strings.Join(Levels(), ", ") }

// Default returns the backend an engine uses when none is chosen, and why:
// the one $BOLTZ_KERNEL names when it is set; else asm when its level runs
// assembly, else generic. A $BOLTZ_ISA this CPU cannot honour is an error.
func Default() (k kernel.Kernel, reason string, err error) {
	if name := os.Getenv(Env); name != "" {
		k, err := ByName(name)
		if err != nil {
			return nil, "", fmt.Errorf("%s=%s: %w", Env, name, err)
		}
		return k, "forced by " + Env + "=" + name, nil
	}
	if err := asm.EnvError(); err != nil {
		return nil, "", err
	}
	if asm.Current().Accelerated() {
		k, err := asmkernel.Default()
		return k, "the best this CPU runs", err
	}
	why := "no assembly level runs here"
	if os.Getenv(asm.ISAEnv) != "" {
		why = "forced by " + asm.ISAEnv + "=" + os.Getenv(asm.ISAEnv)
	}
	return generickernel.Kernel{}, why, nil
}

// ID identifies a backend as a checkpoint records it: the name, and the
// level for backends that have one ("asm/avx2"). Resuming on the same ID is
// bitwise the same as not stopping.
func ID(k kernel.Kernel) string {
	if d, ok := k.(kernel.Describer); ok && d.Level() != "" {
		return k.Name() + "/" + d.Level()
	}
	return k.Name()
}

// ISAEnv is the environment variable that forces an asm level (asm.ISAEnv).
const ISAEnv = asm.ISAEnv

// ErrISA reports an unknown asm level, or one this CPU cannot run.
var ErrISA = asm.ErrISA

// Levels returns the asm levels this CPU runs, best first.
func Levels() []string {
	var s []string
	for _, im := range asm.Supported() {
		s = append(s, im.Name())
	}
	return s
}
