package engine

import "github.com/boltzgo/boltz/backends"

// KernelEnv is the environment variable that forces a kernel at start:
// "generic" forces the pure-Go backend, "asm" (or "asm/avx2", ...) the
// assembly one; a name that cannot run here makes every engine constructor
// fail. The asm level itself is chosen with BOLTZ_ISA (see package asm).
const KernelEnv = backends.Env

// ErrKernel reports an unknown or unsupported kernel name.
var ErrKernel = backends.ErrKernel

// Kernels returns the names of the built-in kernels (package backends).
func Kernels() []string { return backends.Names() }

// KernelByName returns the built-in kernel called name, or an error wrapping
// ErrKernel when there is none or it cannot run on this CPU.
func KernelByName(name string) (Kernel, error) { return backends.ByName(name) }

// DefaultKernel returns the kernel an engine uses when none is chosen, and
// why: the one named by $BOLTZ_KERNEL when set, else the best one this CPU
// runs.
func DefaultKernel() (k Kernel, reason string, err error) { return backends.Default() }

// KernelID identifies k as checkpoints record it: its name, and its level
// when it has one ("asm/avx2"); KernelByName accepts it.
func KernelID(k Kernel) string { return backends.ID(k) }

// ISAEnv is the environment variable that forces an asm level (BOLTZ_ISA):
// generic, avx2, ...; see Levels.
const ISAEnv = backends.ISAEnv

// ErrISA reports an unknown asm level, or one this CPU cannot run.
var ErrISA = backends.ErrISA

// Levels returns the asm levels this CPU runs, best first.
func Levels() []string { return backends.Levels() }
